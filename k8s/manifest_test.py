"""The manifests really run the suite: starts the built binaries as separate processes with
exactly the configuration the rendered dev overlay gives each Deployment, and drives them.

For every Deployment: its init containers (migrations) and then its container run with the
command, arguments and environment of the manifest — ConfigMaps resolved, Secrets from the test
values below, downward-API fields, $(VAR) expansion — with the volumes it mounts as directories
(secret volumes hold the test Secrets' keys as files) and every cluster address mapped to a
local port: listen addresses, the headless Services (http://credit-limits:50051), and anything
else in the cluster (the OTLP collector) to a closed port. Each service gets its own database
on the local PostgreSQL, through the `uri` of the Secret CloudNativePG would write.

Every server speaks gRPC over TLS with the certificate its cert-manager Certificate would give
it (issued here by a test CA), the services demand client certificates (mutual TLS) and call
each other over https://.

Then: every container's startup, readiness and liveness probes (HTTP on the admin port) answer
200; a journey through the gateway (an account, a limit, an
approved and a rejected check) works; audit records the check from limits' feed, and every
feed follower is connected (so every URL, token file and key file is right); SIGTERM stops each
process cleanly within its grace period. A manifest that names a wrong variable, flag, port,
path, Secret key or health name fails here.

Usage: manifest_test.py RENDERED_DEV_OVERLAY.yaml BINARY_DIR"""
import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import yaml

RENDERED, BIN = sys.argv[1], sys.argv[2]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PG = os.environ.get("MANIFEST_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432")
RUN = uuid.uuid4().hex[:8]
work = tempfile.mkdtemp(prefix="credit-manifest-test.")
processes = {}


def fail(message):
    raise SystemExit(f"manifest test: {message}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def run(*command, **kwargs):
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs).stdout


# --- Test values for the Secrets the manifests reference (operators create these; the
# --- operators' guide lists them). An RSA key pair signs every token, as an identity provider.
key_pem = os.path.join(work, "jwt-private.pem")
run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key_pem)
public_pem = run("openssl", "pkey", "-in", key_pem, "-pubout")


def token(subject, roles):
    header = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    # As an identity provider issues them: issuer and audience as the manifests require.
    claims = b64url(json.dumps({"sub": subject, "roles": roles,
                                "iss": "https://identity.example.com/", "aud": "credit-suite",
                                "exp": int(time.time()) + 3600}).encode())
    signed = f"{header}.{claims}".encode()
    signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key_pem], input=signed,
                               check=True, capture_output=True).stdout
    return f"{header}.{claims}.{b64url(signature)}"


def database(service):
    name = f"credit_manifest_{RUN}_{service}"
    run("psql", f"{PG}/postgres", "-qc", f"CREATE DATABASE {name}")
    return f"{PG}/{name}"


SERVICE_ROLES = {
    "limits": ["credit.viewer"],
    "scoring": ["credit.viewer"],
    "collections": ["credit.viewer"],
    "applications": ["credit.service.applications"],
    "audit": ["credit.auditor"],
}
SECRETS = {"credit-jwt-public": {"public.pem": public_pem}}
for service, roles in SERVICE_ROLES.items():
    SECRETS[f"credit-{service}-service-token"] = {"token": token(f"service:{service}", roles)}
    SECRETS[f"credit-db-{service}-app"] = {"uri": database(service)}
SECRETS["credit-applications-encryption-key"] = {
    "key": run(f"{BIN}/credit-applications", "generate-key").strip()}
SECRETS["credit-audit-signing-key"] = {"key": re.search(
    r"^PRIVATE\+KEY\+\S+$", run(f"{BIN}/credit-audit", "generate-key", "--origin",
                                 "credit-suite.manifest-test"), re.M).group(0)}

docs = [d for d in yaml.safe_load_all(open(RENDERED)) if d]

# --- What cert-manager would put in each Certificate's Secret (tls.crt, tls.key, ca.crt), from a
# --- test CA, for the names the Certificate asks — plus 127.0.0.1, where this test runs them.
ca_key, ca_crt = os.path.join(work, "ca.key"), os.path.join(work, "ca.crt")
run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", ca_key, "-out", ca_crt, "-days", "2", "-subj", "/CN=manifest-test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
CA_PEM = open(ca_crt).read()


def issued(certificate):
    name = certificate["spec"]["secretName"]
    key, csr, crt = (os.path.join(work, f"{name}.{ext}") for ext in ("key", "csr", "crt"))
    names = ",".join([f"DNS:{n}" for n in certificate["spec"]["dnsNames"]] + ["IP:127.0.0.1"])
    usages = {"server auth": "serverAuth", "client auth": "clientAuth"}
    extended = ",".join(usages[u] for u in certificate["spec"].get("usages", []) if u in usages)
    run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", key, "-out", csr, "-subj", f"/CN={certificate['spec']['dnsNames'][0]}")
    extensions = os.path.join(work, f"{name}.ext")
    with open(extensions, "w") as f:
        f.write(f"subjectAltName={names}\nextendedKeyUsage={extended}\n")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial",
        "-out", crt, "-days", "1", "-extfile", extensions)
    return {"tls.crt": open(crt).read(), "tls.key": open(key).read(), "ca.crt": CA_PEM}


CERTIFICATES = {c["spec"]["secretName"]: c for c in docs if c["kind"] == "Certificate"
                and c["spec"].get("issuerRef", {}).get("name") == "credit-ca"}
configmaps = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}
deployments = [d for d in docs if d["kind"] == "Deployment"]
services = [d for d in docs if d["kind"] == "Service" and d["spec"].get("clusterIP") == "None"]

guide = open(os.path.join(ROOT, "k8s/README.md")).read()
for name in SECRETS:
    generic = re.sub("|".join(SERVICE_ROLES), "<service>", name)
    if name not in guide and generic not in guide:
        fail(f"k8s/README.md does not tell operators to create the Secret {name}")

# --- Addresses: each Deployment's container ports get local ports; a headless Service's
# --- name:port maps to its Deployment's.
ports = {}  # deployment -> {containerPort: local port}
for dep in deployments:
    container = dep["spec"]["template"]["spec"]["containers"][0]
    ports[dep["metadata"]["name"]] = {p["containerPort"]: free_port() for p in container["ports"]}
hosts = {}
for svc in services:
    selector = svc["spec"]["selector"]
    dep = next(d for d in deployments
               if all(d["spec"]["template"]["metadata"]["labels"].get(k) == v
                      for k, v in selector.items()))
    container = dep["spec"]["template"]["spec"]["containers"][0]
    by_name = {p["name"]: p["containerPort"] for p in container["ports"]}
    for port in svc["spec"]["ports"]:
        target = port["targetPort"]
        target = by_name[target] if isinstance(target, str) else target
        local = ports[dep["metadata"]["name"]][target]
        for host in (svc["metadata"]["name"],
                     f"{svc['metadata']['name']}.{svc['metadata']['namespace']}.svc"):
            hosts[f"{host}:{port['port']}"] = f"127.0.0.1:{local}"
closed = free_port()  # nothing listens: the OTLP collector and other cluster addresses


def localize(value, dep_name, mounts):
    # Paths under a mount point, in one pass (the directories standing in for the mounts may
    # themselves lie under a path that is also mounted, /tmp).
    if mounts:
        inside = "|".join(re.escape(m) for m in sorted(mounts, key=len, reverse=True))
        value = re.sub(rf"(?<![\w./-])({inside})(?=/|$|[\s,;])",
                       lambda m: mounts[m.group(1)], value)
    for container_port, local in ports[dep_name].items():
        value = value.replace(f"0.0.0.0:{container_port}", f"127.0.0.1:{local}")
    for address, local in hosts.items():
        value = re.sub(rf"(?<![\w.-]){re.escape(address)}(?![\w.-])", local, value)
    # Any other in-cluster address.
    return re.sub(r"[a-z0-9-]+(\.[a-z0-9-]+)*\.svc(\.cluster\.local)?:\d+", f"127.0.0.1:{closed}",
                  value)


def environment(dep, container, mounts):
    pod = dep["spec"]["template"]
    fields = {
        "metadata.name": f"{dep['metadata']['name']}-0",
        "metadata.namespace": dep["metadata"]["namespace"],
        "spec.nodeName": "node-0",
    }
    env = {}
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef")
        if not ref or ref["name"] not in configmaps:
            fail(f"{dep['metadata']['name']}: envFrom {source} names no ConfigMap of the overlay")
        env.update(configmaps[ref["name"]])
    for var in container.get("env", []):
        if "value" in var:
            value = re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), var["value"])
        else:
            source = var["valueFrom"]
            if "fieldRef" in source:
                path = source["fieldRef"]["fieldPath"]
                label = re.fullmatch(r"metadata\.labels\['(.+)'\]", path)
                value = (pod["metadata"]["labels"][label.group(1)] if label else fields[path])
            elif "configMapKeyRef" in source:
                ref = source["configMapKeyRef"]
                value = configmaps[ref["name"]][ref["key"]]
            else:
                ref = source["secretKeyRef"]
                value = SECRETS.get(ref["name"], {}).get(ref["key"])
                if value is None:
                    if ref.get("optional"):
                        continue
                    fail(f"{dep['metadata']['name']}: Secret {ref['name']} key {ref['key']} "
                         "has no test value (and operators must create it)")
        env[var["name"]] = value
    return {k: localize(str(v), dep["metadata"]["name"], mounts) for k, v in env.items()}


def volumes(dep):
    """Each volume of the Pod as a directory; secret volumes hold the Secret's keys."""
    dirs = {}
    for volume in dep["spec"]["template"]["spec"].get("volumes", []):
        path = os.path.join(work, dep["metadata"]["name"], "volumes", volume["name"])
        os.makedirs(path)
        if "secret" in volume:
            name = volume["secret"]["secretName"]
            if name in CERTIFICATES and name not in SECRETS:
                SECRETS[name] = issued(CERTIFICATES[name])
            if name not in SECRETS:
                fail(f"{dep['metadata']['name']}: volume {volume['name']} mounts Secret {name}, "
                     "which has no test value")
            for key, value in SECRETS[name].items():
                with open(os.path.join(path, key), "w") as f:
                    f.write(value)
        dirs[volume["name"]] = path
    return dirs


def mounts_of(container, dirs):
    return {m["mountPath"]: dirs[m["name"]] for m in container.get("volumeMounts", [])}


def binary(container):
    command = container["command"][0]
    if not command.startswith("/usr/local/bin/"):
        fail(f"{container['name']}: command {command} is not one of the image's binaries")
    path = os.path.join(BIN, os.path.basename(command))
    if not os.path.exists(path):
        fail(f"{container['name']}: the image has no {os.path.basename(command)}")
    return [path] + container["command"][1:] + container.get("args", [])


def gateway_flags(port):
    """creditctl's flags to call the gateway on `port` over TLS, as a caller trusting the CA."""
    return ["--gateway", f"https://127.0.0.1:{port}", "--ca-file", ca_crt]


def health(port, service):
    result = subprocess.run([f"{BIN}/creditctl", *gateway_flags(port), "health", "--service",
                             service], capture_output=True, text=True)
    return result.returncode == 0


def admin_get(dep_name, path):
    """(status, body) of GET `path` on the Deployment's admin port; (0, "") when it does not answer."""
    admin = next(local for container_port, local in ports[dep_name].items()
                 if container_port != 50051)
    try:
        with socket.create_connection(("127.0.0.1", admin), timeout=2) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            text = b""
            while chunk := s.recv(65536):
                text += chunk
    except OSError:
        return 0, ""
    head, _, body = text.decode().partition("\r\n\r\n")
    return int(head.split()[1]), body


def wait_for(what, condition, seconds=90):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.25)
    for name, (process, log) in processes.items():
        if process.poll() is not None:
            print(f"--- {name} exited {process.returncode}:\n{open(log).read()[-3000:]}",
                  file=sys.stderr)
    fail(f"timed out waiting for {what}")


def start(dep):
    name = dep["metadata"]["name"]
    pod = dep["spec"]["template"]["spec"]
    dirs = volumes(dep)
    for init in pod.get("initContainers", []):
        env = environment(dep, init, mounts_of(init, dirs))
        result = subprocess.run(binary(init), env=env, cwd=os.path.join(work, name),
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            fail(f"{name}: init container {init['name']} failed:\n{result.stderr[-3000:]}")
    container = pod["containers"][0]
    env = environment(dep, container, mounts_of(container, dirs))
    log = os.path.join(work, f"{name}.log")
    processes[name] = (subprocess.Popen(binary(container), env=env, cwd=os.path.join(work, name),
                                        stdout=open(log, "w"), stderr=subprocess.STDOUT), log)


def probes(dep):
    container = dep["spec"]["template"]["spec"]["containers"][0]
    name = dep["metadata"]["name"]
    admin = next(p["containerPort"] for p in container["ports"] if p["name"] == "admin")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        http = container[probe]["httpGet"]
        if http["port"] not in ("admin", admin):
            fail(f"{name} {probe} asks port {http['port']}, not the admin port")
        wait_for(f"{name} {probe} ({http['path']}) answering 200",
                 lambda: admin_get(name, http["path"])[0] == 200)


def metric(dep_name, pattern):
    return re.search(pattern, admin_get(dep_name, "/metrics")[1], re.M) is not None


def creditctl(*args):
    gateway = ports["credit-gateway"][50051]
    return run(f"{BIN}/creditctl", *gateway_flags(gateway), "--token", ADMIN, "--json", *args)


try:
    # Dependencies first only to save retries; each service also waits for its peers itself.
    order = ["credit-collections", "credit-scoring", "credit-limits", "credit-applications",
             "credit-audit", "credit-gateway"]
    if sorted(order) != sorted(d["metadata"]["name"] for d in deployments):
        fail(f"the overlay's Deployments are not the suite's six: {[d['metadata']['name'] for d in deployments]}")
    for name in order:
        os.makedirs(os.path.join(work, name))
        start(next(d for d in deployments if d["metadata"]["name"] == name))
    for dep in deployments:
        probes(dep)
    gateway = ports["credit-gateway"][50051]
    # Every service demands a client certificate: plaintext and certificate-less clients fail.
    for dep_name in ports:
        if dep_name != "credit-gateway":
            if health(ports[dep_name][50051], ""):
                fail(f"{dep_name} answered a client without a certificate")
    for service in ("", "credit.limits.v1.LimitsService", "credit.scoring.v1.ScoringService",
                    "credit.applications.v1.ApplicationsService",
                    "credit.collections.v1.CollectionsService", "credit.audit.v1.AuditService"):
        wait_for(f"the gateway reporting {service or 'the suite'} SERVING",
                 lambda: health(gateway, service))

    ADMIN = token("manifest-test", ["credit.admin"])
    creditctl("account", "create", "MANIFEST-1", "--name", "Manifest SE", "--currency", "EUR",
              "--segment", "KEY_ACCOUNT", "--region", "EMEA")
    # Limits change only from the applications service's identity, naming the approvers.
    gateway = ports["credit-gateway"][50051]
    run(f"{BIN}/creditctl", *gateway_flags(gateway), "--token",
        token("service:applications", ["credit.service.applications"]), "--json", "limit", "set",
        "MANIFEST-1", "--amount", "1000", "--reason", "manifest test", "--approved-by",
        "manifest.manager", "--approval-reference", "MANIFEST-APP-1")
    approved = json.loads(creditctl("check", "MANIFEST-1", "SO-1", "400", "--currency", "EUR"))
    rejected = json.loads(creditctl("check", "MANIFEST-1", "SO-2", "700", "--currency", "EUR"))
    if not (approved.get("outcome", "").endswith("APPROVED")
            and rejected.get("outcome", "").endswith("REJECTED")):
        fail(f"checks through the gateway: {approved} {rejected}")
    # Audit follows limits' feed with its token file and signs with its key file.
    def checks_audited():
        global history
        history = creditctl("audit", "history", "--customer", "MANIFEST-1")
        # The approved check reserved; the rejected one is recorded as such.
        return ("credit.limits.reservation.created" in history
                and "credit.limits.credit_check.rejected" in history)

    history = ""
    try:
        wait_for("audit recording the checks from limits' feed", checks_audited)
    except SystemExit:
        print(f"audit history:\n{history}", file=sys.stderr)
        raise
    # Every follower connected with the URL and token the manifest gives it.
    for dep_name, source in (("credit-limits", "collections"), ("credit-scoring", "collections"),
                             ("credit-collections", "scoring")):
        wait_for(f"{dep_name} following {source}", lambda: metric(
            dep_name, rf'^feed_follower_connected\{{source="{source}"\}} 1$'))
    for source in ("limits", "scoring", "applications", "collections"):
        wait_for(f"audit following {source}", lambda: metric(
            "credit-audit", rf'^audit_source_connected\{{source="{source}"\}} 1$'))

    # SIGTERM: each process drains and exits 0 within its grace period.
    for dep in deployments:
        process, log = processes[dep["metadata"]["name"]]
        process.send_signal(signal.SIGTERM)
    for dep in deployments:
        name = dep["metadata"]["name"]
        process, log = processes.pop(name)
        grace = dep["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        try:
            code = process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            fail(f"{name} did not stop within its grace period of {grace} s")
        if code != 0:
            fail(f"{name} exited {code} on SIGTERM:\n{open(log).read()[-3000:]}")
    print(f"manifest test: the dev overlay's six Deployments ran as processes over mutual TLS; probes answering, "
          f"journey through the gateway, audit and every follower connected, clean SIGTERM")
finally:
    for process, _ in processes.values():
        process.kill()
    for service in SERVICE_ROLES:
        subprocess.run(["psql", f"{PG}/postgres", "-qc",
                        f"DROP DATABASE IF EXISTS credit_manifest_{RUN}_{service} WITH (FORCE)"],
                       capture_output=True)
    shutil.rmtree(work, ignore_errors=True)
