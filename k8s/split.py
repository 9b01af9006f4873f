"""Splits rendered manifests into built-in kinds (for kubernetes-validate) and custom resources
(for credit-crd-check): split.py RENDERED BUILTIN CUSTOM. A built-in is an apiVersion served by
Kubernetes itself; a mistyped one lands in CUSTOM, where it fails as an unknown kind."""
import sys

import yaml

BUILTIN_API_VERSIONS = {
    "v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v2", "networking.k8s.io/v1",
    "rbac.authorization.k8s.io/v1", "storage.k8s.io/v1", "scheduling.k8s.io/v1",
}

docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
builtin = [d for d in docs if d.get("apiVersion") in BUILTIN_API_VERSIONS]
custom = [d for d in docs if d.get("apiVersion") not in BUILTIN_API_VERSIONS]
for path, part in ((sys.argv[2], builtin), (sys.argv[3], custom)):
    with open(path, "w") as out:
        yaml.safe_dump_all(part, out, sort_keys=False)
