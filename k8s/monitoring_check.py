"""Checks the alerts, dashboards and runbooks (k8s/validate runs it on the rendered base):

- every alert has a severity (critical or warning), a summary, a description and a
  runbook_url pointing at docs/runbooks/<alert>.md, which exists; every runbook belongs to an
  alert; every alert has a firing case in the promtool tests;
- every dashboard is valid JSON with a unique uid, and every query parses as PromQL;
- the suite's metrics that alerts and dashboards use are exactly those listed in
  k8s/base/monitoring/metrics.txt, which tests/monitoring.rs checks against the /metrics of a
  running suite (so a renamed metric fails a test instead of silencing an alert).

Usage: monitoring_check.py RENDERED.yaml"""
import json
import pathlib
import sys

import promql_parser
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
MONITORING = ROOT / "k8s/base/monitoring"
RUNBOOKS = ROOT / "docs/runbooks"
RUNBOOK_URL = "https://github.com/credit-suite/credit-suite/blob/main/docs/runbooks/"
# Metrics of other exporters: CloudNativePG's instances, Prometheus itself, kube-state-metrics.
EXTERNAL_PREFIXES = ("cnpg_", "kube_", "container_")
EXTERNAL = {"up"}

problems = []


def metric_names(node, found):
    """Collects the metric names a parsed PromQL expression selects."""
    name = type(node).__name__
    if name == "VectorSelector":
        if node.name:
            found.add(node.name)
        return
    for attribute in ("lhs", "rhs", "expr", "param", "vector_selector", "args"):
        child = getattr(node, attribute, None)
        for item in child if isinstance(child, list) else [child]:
            if item is not None and not isinstance(item, (str, int, float)):
                metric_names(item, found)


def parse(expr, where, used):
    try:
        metric_names(promql_parser.parse(expr), used)
    except Exception as error:  # the parser raises its own exception types
        problems.append(f"{where}: does not parse as PromQL: {error}")


docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
used, recorded, alerts = set(), set(), []
for rule_set in (d for d in docs if d["kind"] == "PrometheusRule"):
    for group in rule_set["spec"]["groups"]:
        for rule in group["rules"]:
            where = f"rule {rule.get('alert') or rule.get('record')}"
            parse(rule["expr"], where, used)
            if "record" in rule:
                recorded.add(rule["record"])
                continue
            alert = rule["alert"]
            alerts.append(alert)
            if rule.get("labels", {}).get("severity") not in ("critical", "warning"):
                problems.append(f"alert {alert}: severity critical or warning")
            notes = rule.get("annotations", {})
            for key in ("summary", "description"):
                if not notes.get(key):
                    problems.append(f"alert {alert}: a {key}")
            if notes.get("runbook_url") != f"{RUNBOOK_URL}{alert}.md":
                problems.append(f"alert {alert}: runbook_url {RUNBOOK_URL}{alert}.md")
            if not (RUNBOOKS / f"{alert}.md").is_file():
                problems.append(f"alert {alert}: no runbook docs/runbooks/{alert}.md")

books = {p.stem for p in RUNBOOKS.glob("*.md")} - {"README"}
for orphan in sorted(books - set(alerts)):
    problems.append(f"docs/runbooks/{orphan}.md: no alert of that name")
tested = set()
for case in yaml.safe_load(open(MONITORING / "tests/alerts.yaml"))["tests"]:
    for test in case.get("alert_rule_test", []):
        if test.get("exp_alerts"):
            tested.add(test["alertname"])
for alert in alerts:
    if alert not in tested:
        problems.append(f"alert {alert}: no promtool test where it fires")

uids = {}
for path in sorted((MONITORING / "dashboards").glob("*.json")):
    try:
        dashboard = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        problems.append(f"{path.name}: not JSON: {error}")
        continue
    uid = dashboard.get("uid")
    if not uid or uid in uids:
        problems.append(f"{path.name}: uid {uid!r} missing or also in {uids.get(uid)}")
    uids[uid] = path.name
    for panel in dashboard.get("panels", []):
        for target in panel.get("targets", []):
            parse(target["expr"], f"{path.name} panel {panel['title']!r}", used)
generated = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "credit-dashboards"]
if not generated or len(generated[0]["data"]) != len(uids):
    problems.append("every dashboard is in the credit-dashboards ConfigMap")

ours = sorted(m for m in used - recorded - EXTERNAL if not m.startswith(EXTERNAL_PREFIXES))
# One name per line; "optional NAME" for a metric only an optional integration exports.
listed = sorted(line.split()[-1] for line in (MONITORING / "metrics.txt").read_text().splitlines()
                if line.strip() and not line.startswith("#"))
if ours != listed:
    problems.append(
        "k8s/base/monitoring/metrics.txt must list exactly the suite's metrics the alerts and "
        f"dashboards use:\n  missing: {sorted(set(ours) - set(listed))}\n"
        f"  not used: {sorted(set(listed) - set(ours))}")

if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"{len(alerts)} alerts with runbooks and tests, {len(uids)} dashboards, "
      f"{len(ours)} suite metrics used")
