"""Tests of policy.py: the rendered manifests pass, and each way of breaking a rule is caught.
Usage: policy_test.py RENDERED.yaml (k8s/validate runs it on the dev overlay)."""
import copy
import sys
import unittest

import yaml

from policy import problems_of

RENDERED = [d for d in yaml.safe_load_all(open(sys.argv.pop(1))) if d]


def first(docs, kind, name=None):
    return next(d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name))


def server(docs, name="credit-limits"):
    return first(docs, "Deployment", name)["spec"]["template"]["spec"]["containers"][0]


class Policy(unittest.TestCase):
    def broken(self, change):
        docs = copy.deepcopy(RENDERED)
        change(docs)
        return "\n".join(problems_of(docs))

    def test_the_rendered_manifests_pass(self):
        self.assertEqual(problems_of(RENDERED), [])

    def test_a_missing_probe(self):
        self.assertIn("readinessProbe asks /readyz on the admin port",
                      self.broken(lambda d: server(d).pop("readinessProbe")))

    def test_liveness_asking_readiness(self):
        def change(d):
            server(d)["livenessProbe"]["httpGet"]["path"] = "/readyz"
        self.assertIn("livenessProbe does not ask readiness", self.broken(change))

    def test_a_server_without_mutual_tls(self):
        def change(d):
            server(d)["env"] = [v for v in server(d)["env"]
                                if v["name"] != "GRPC_TLS_CLIENT_CA_FILE"]
        self.assertIn("credit-limits/server: demands client certificates", self.broken(change))

    def test_a_peer_called_in_plaintext(self):
        def change(d):
            data = first(d, "ConfigMap", "credit-limits")["data"]
            data["LIMITS_COLLECTIONS_URL"] = "http://credit-collections:50051"
        self.assertIn("LIMITS_COLLECTIONS_URL calls a peer over https://", self.broken(change))

    def test_a_certificate_nobody_issues(self):
        def change(d):
            d.remove(first(d, "Certificate", "credit-scoring"))
        self.assertIn("credit-scoring/server: mounts a certificate cert-manager issues",
                      self.broken(change))

    def test_the_latest_tag(self):
        def change(d):
            server(d)["image"] = "registry.example/credit-suite:latest"
        self.assertIn("a tag other than latest", self.broken(change))

    def test_privilege_escalation_in_an_init_container(self):
        def change(d):
            pod = first(d, "Deployment", "credit-limits")["spec"]["template"]["spec"]
            pod["initContainers"][0]["securityContext"]["allowPrivilegeEscalation"] = True
        self.assertIn("credit-limits/migrate: no privilege escalation", self.broken(change))

    def test_a_writable_root_filesystem(self):
        def change(d):
            server(d)["securityContext"]["readOnlyRootFilesystem"] = False
        self.assertIn("read-only root filesystem", self.broken(change))

    def test_no_memory_limit(self):
        self.assertIn("a memory limit",
                      self.broken(lambda d: server(d)["resources"].pop("limits")))

    def test_a_grace_period_shorter_than_sleep_and_drain(self):
        def change(d):
            first(d, "Deployment", "credit-limits")["spec"]["template"]["spec"][
                "terminationGracePeriodSeconds"] = 25
        self.assertIn("grace period longer than preStop sleep plus drain", self.broken(change))

    def test_no_disruption_budget(self):
        def change(d):
            d.remove(first(d, "PodDisruptionBudget", "credit-limits"))
        self.assertIn("Deployment/credit-limits: a PodDisruptionBudget", self.broken(change))

    def test_no_network_policy_of_its_own(self):
        def change(d):
            for p in [p for p in d if p["kind"] == "NetworkPolicy"
                      and p["metadata"]["name"].endswith("-scoring")]:
                d.remove(p)
        self.assertIn("Deployment/credit-scoring: NetworkPolicies of its own", self.broken(change))

    def test_no_default_deny(self):
        def change(d):
            d.remove(first(d, "NetworkPolicy", "credit-default-deny"))
        self.assertIn("a default-deny NetworkPolicy", self.broken(change))

    def test_a_cluster_ip_service(self):
        def change(d):
            first(d, "Service", "credit-audit")["spec"].pop("clusterIP")
        self.assertIn("Deployment/credit-audit: a headless Service", self.broken(change))

    def test_a_committed_secret(self):
        def change(d):
            d.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "oops"},
                      "stringData": {"key": "value"}})
        self.assertIn("Secret/oops: no Secret in the manifests", self.broken(change))

    def test_a_namespace_without_the_restricted_standard(self):
        def change(d):
            first(d, "Namespace")["metadata"]["labels"].pop("pod-security.kubernetes.io/enforce")
        self.assertIn("restricted Pod Security Standard", self.broken(change))


if __name__ == "__main__":
    unittest.main()
