"""What the schemas cannot say, checked on rendered manifests (k8s/validate runs it): every
workload meets the restricted Pod Security Standard and the suite's operating rules. A failure
names the object and the rule."""
import sys

import yaml


def selects(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def environment(container, by_kind):
    """The container's variables from its ConfigMaps (later ones win) and its own env."""
    configmaps = {cm["metadata"]["name"]: cm for cm in by_kind.get("ConfigMap", [])}
    env = {}
    for ref in container.get("envFrom", []):
        cm = configmaps.get(ref.get("configMapRef", {}).get("name"))
        if cm:
            env.update(cm.get("data", {}))
    for var in container.get("env", []):
        env[var["name"]] = var.get("value", "(from a reference)")
    return env


def problems_of(docs):
    """The rules `docs` (rendered manifests) break, one line each."""
    problems = []

    def need(condition, obj, rule):
        if not condition:
            problems.append(f"{obj['kind']}/{obj['metadata']['name']}: {rule}")

    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)

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
        for c in pod.get("initContainers", []) + pod["containers"]:
            where = dict(dep, metadata={"name": f"{dep['metadata']['name']}/{c['name']}"})
            image = c.get("image", "")
            need(":" in image and not image.endswith(":latest"), where,
                 "an image with a tag other than latest")
            res = c.get("resources", {})
            need({"cpu", "memory"} <= set(res.get("requests", {})), where, "cpu and memory requests")
            need("memory" in res.get("limits", {}), where, "a memory limit")
            sc = c.get("securityContext", {})
            need(sc.get("allowPrivilegeEscalation") is False, where, "no privilege escalation")
            need(sc.get("readOnlyRootFilesystem") is True, where, "read-only root filesystem")
            need(sc.get("capabilities", {}).get("drop") == ["ALL"], where, "all capabilities dropped")
        for c in pod["containers"]:
            where = dict(dep, metadata={"name": f"{dep['metadata']['name']}/{c['name']}"})
            ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
            need(set(ports) >= {"grpc", "admin"}, where, "ports named grpc and admin")
            # The gRPC port speaks (mutual) TLS, which the kubelet's gRPC probe cannot: probes
            # ask the admin port's plain HTTP paths.
            for probe, path in (("startupProbe", "/readyz"), ("readinessProbe", "/readyz"),
                                ("livenessProbe", "/livez")):
                http = c.get(probe, {}).get("httpGet", {})
                need(http.get("port") in ("admin", ports.get("admin")) and http.get("path") == path,
                     where, f"{probe} asks {path} on the admin port")
            need(c.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/readyz", where,
                 "livenessProbe does not ask readiness (a database outage must not restart Pods)")
            env = environment(c, by_kind)
            need(env.get("GRPC_TLS_CERT_FILE") and env.get("GRPC_TLS_KEY_FILE"), where,
                 "serves gRPC over TLS (GRPC_TLS_CERT_FILE, GRPC_TLS_KEY_FILE)")
            need(env.get("GRPC_TLS_PEER_CA_FILE"), where,
                 "calls its peers over TLS (GRPC_TLS_PEER_CA_FILE)")
            gateway = "credit-gateway" in c.get("command", [""])[0]
            need(gateway or env.get("GRPC_TLS_CLIENT_CA_FILE"), where,
                 "demands client certificates (mutual TLS: GRPC_TLS_CLIENT_CA_FILE)")
            for name, value in env.items():
                need("http://credit-" not in str(value), where,
                     f"{name} calls a peer over https://, not in plaintext")
            issued = {cert["spec"]["secretName"] for cert in by_kind.get("Certificate", [])}
            tls_volumes = [v for v in pod.get("volumes", [])
                           if v.get("secret", {}).get("secretName") in issued]
            need(tls_volumes, where, "mounts a certificate cert-manager issues (renewed in place)")
            sleep = c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds")
            need(sleep is not None, where, "a preStop sleep (the image has no shell)")
            # Later envFrom sources override earlier ones, as in the kubelet.
            drain = 0
            configmaps = {cm["metadata"]["name"]: cm for cm in by_kind.get("ConfigMap", [])}
            for ref in c.get("envFrom", []):
                cm = configmaps.get(ref.get("configMapRef", {}).get("name"))
                need(cm is not None or "configMapRef" not in ref, where,
                     f"envFrom ConfigMap {ref.get('configMapRef', {}).get('name')} exists")
                if cm:
                    drain = int(cm.get("data", {}).get("SHUTDOWN_DRAIN_SECS", drain))
            need(pod.get("terminationGracePeriodSeconds", 30) > (sleep or 0) + drain, where,
                 "grace period longer than preStop sleep plus drain")
        need(any(selects(p["spec"].get("selector", {}).get("matchLabels"), labels)
                 for p in by_kind.get("PodDisruptionBudget", [])), dep, "a PodDisruptionBudget")
        need(any(h["spec"]["scaleTargetRef"]["name"] == dep["metadata"]["name"]
                 for h in by_kind.get("HorizontalPodAutoscaler", [])), dep, "a HorizontalPodAutoscaler")
        policies = [p for p in by_kind.get("NetworkPolicy", [])
                    if selects(p["spec"].get("podSelector", {}).get("matchLabels"), labels)]
        need(any("Ingress" in p["spec"].get("policyTypes", []) for p in policies)
             and any("Egress" in p["spec"].get("policyTypes", []) for p in policies), dep,
             "NetworkPolicies of its own for ingress and egress")
        services = [s for s in by_kind.get("Service", []) if selects(s["spec"].get("selector"), labels)]
        need(any(s["spec"].get("clusterIP") == "None" for s in services), dep,
             "a headless Service (clients balance over the Pods; HTTP/2 pins a ClusterIP to one)")
        for s in services:
            grpc = [p for p in s["spec"]["ports"] if p.get("name") == "grpc"]
            need(grpc and grpc[0].get("appProtocol") != "kubernetes.io/h2c", s,
                 "grpc port not announced as h2c (it speaks TLS)")

    for secret in by_kind.get("Secret", []):
        need(False, secret, "no Secret in the manifests (reference them; create them apart)")

    if by_kind.get("Deployment"):
        need(any(p["spec"].get("podSelector") == {}
                 and set(p["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
                 and not p["spec"].get("ingress") and not p["spec"].get("egress")
                 for p in by_kind.get("NetworkPolicy", [])),
             {"kind": "Namespace", "metadata": {"name": "credit-suite"}},
             "a default-deny NetworkPolicy for ingress and egress")

    return problems


if __name__ == "__main__":
    found = problems_of([d for d in yaml.safe_load_all(open(sys.argv[1])) if d])
    if found:
        print("\n".join(found), file=sys.stderr)
        sys.exit(1)
