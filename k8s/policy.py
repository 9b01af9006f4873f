"""What the schemas cannot say, checked on rendered manifests (k8s/validate runs it): every
workload meets the restricted Pod Security Standard and the suite's operating rules. A failure
names the object and the rule."""
import sys

import yaml

problems = []


def need(condition, obj, rule):
    if not condition:
        problems.append(f"{obj['kind']}/{obj['metadata']['name']}: {rule}")


docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
by_kind = {}
for d in docs:
    by_kind.setdefault(d["kind"], []).append(d)


def selects(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


for ns in by_kind.get("Namespace", []):
    labels = ns["metadata"].get("labels", {})
    need(labels.get("pod-security.kubernetes.io/enforce") == "restricted", ns,
         "namespace enforces the restricted Pod Security Standard")

for sa in by_kind.get("ServiceAccount", []):
    need(sa.get("automountServiceAccountToken") is False, sa, "service account token not mounted")

for dep in by_kind.get("Deployment", []):
    spec = dep["spec"]
    pod = spec["template"]["spec"]
    labels = spec["template"]["metadata"]["labels"]
    need(spec.get("replicas", 1) >= 2, dep, "at least two replicas")
    rolling = spec.get("strategy", {}).get("rollingUpdate", {})
    need(rolling.get("maxUnavailable") == 0, dep, "rolling updates with maxUnavailable 0")
    need(pod.get("automountServiceAccountToken") is False, dep, "service account token not mounted")
    psc = pod.get("securityContext", {})
    need(psc.get("runAsNonRoot") is True, dep, "pod runs as non-root")
    need(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", dep, "seccomp RuntimeDefault")
    keys = {c.get("topologyKey") for c in pod.get("topologySpreadConstraints", [])}
    need({"topology.kubernetes.io/zone", "kubernetes.io/hostname"} <= keys, dep,
         "spread across zones and nodes")
    for c in pod["containers"]:
        where = dict(dep, metadata={"name": f"{dep['metadata']['name']}/{c['name']}"})
        image = c.get("image", "")
        need(image and not image.endswith(":latest"), where, "an image without the latest tag")
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            need("grpc" in c.get(probe, {}), where, f"a native gRPC {probe}")
        ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
        need(set(ports) >= {"grpc", "admin"}, where, "ports named grpc and admin")
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            need(c.get(probe, {}).get("grpc", {}).get("port") == ports.get("grpc"), where,
                 f"{probe} on the grpc port")
        res = c.get("resources", {})
        need({"cpu", "memory"} <= set(res.get("requests", {})), where, "cpu and memory requests")
        need("memory" in res.get("limits", {}), where, "a memory limit")
        sc = c.get("securityContext", {})
        need(sc.get("allowPrivilegeEscalation") is False, where, "no privilege escalation")
        need(sc.get("readOnlyRootFilesystem") is True, where, "read-only root filesystem")
        need(sc.get("capabilities", {}).get("drop") == ["ALL"], where, "all capabilities dropped")
        sleep = c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds")
        need(sleep is not None, where, "a preStop sleep (the image has no shell)")
        drain = 0
        for cm in by_kind.get("ConfigMap", []):
            if any(ref.get("configMapRef", {}).get("name") == cm["metadata"]["name"]
                   for ref in c.get("envFrom", [])):
                drain = int(cm.get("data", {}).get("SHUTDOWN_DRAIN_SECS", drain))
        need(pod.get("terminationGracePeriodSeconds", 30) > (sleep or 0) + drain, where,
             "grace period longer than preStop sleep plus drain")
    need(any(selects(p["spec"].get("selector", {}).get("matchLabels"), labels)
             for p in by_kind.get("PodDisruptionBudget", [])), dep, "a PodDisruptionBudget")
    need(any(h["spec"]["scaleTargetRef"]["name"] == dep["metadata"]["name"]
             for h in by_kind.get("HorizontalPodAutoscaler", [])), dep, "a HorizontalPodAutoscaler")
    services = [s for s in by_kind.get("Service", []) if selects(s["spec"].get("selector"), labels)]
    need(services, dep, "a Service")
    for s in services:
        grpc = [p for p in s["spec"]["ports"] if p.get("name") == "grpc"]
        need(grpc and grpc[0].get("appProtocol") == "kubernetes.io/h2c", s,
             "grpc port with appProtocol kubernetes.io/h2c")

if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
