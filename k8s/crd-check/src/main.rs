//! Checks the custom resources of rendered manifests strictly, offline: every document must be
//! a kind this tool knows, deserialize into that kind's generated type (required fields,
//! enumerations, types) and carry no field the type does not have (a misspelt or misplaced
//! field is an error, not silently dropped by the cluster). Built-in kinds are
//! kubernetes-validate's; k8s/validate gives this tool the rest.
//!
//! Usage: credit-crd-check FILE... (multi-document YAML). Exit 1 with one line per problem.
use anyhow::{Context, bail};
use serde::de::DeserializeOwned;

/// Deserializes `doc` as `T`, answering the paths of fields `T` does not have. The generated
/// types leave `apiVersion` and `kind` to their caller: [`check`] has matched them already.
fn strictly<T: DeserializeOwned>(mut doc: serde_yaml::Value) -> anyhow::Result<Vec<String>> {
    if let Some(fields) = doc.as_mapping_mut() {
        fields.remove("apiVersion");
        fields.remove("kind");
    }
    let mut unknown = Vec::new();
    let _: T = serde_ignored::deserialize(doc, |path| unknown.push(path.to_string()))?;
    Ok(unknown)
}

/// The problems of one document, by its apiVersion and kind.
fn check(api_version: &str, kind: &str, doc: serde_yaml::Value) -> anyhow::Result<Vec<String>> {
    use kcr_cert_manager_io::v1 as cert_manager;
    use kcr_gateway_networking_k8s_io::{v1 as gateway, v1beta1 as gateway_beta};
    use kcr_monitoring_coreos_com::v1 as monitoring;
    use kcr_postgresql_cnpg_io::v1 as cnpg;
    match (api_version, kind) {
        ("gateway.networking.k8s.io/v1", "GRPCRoute") => {
            strictly::<gateway::grpcroutes::GrpcRoute>(doc)
        }
        ("gateway.networking.k8s.io/v1beta1", "ReferenceGrant") => {
            strictly::<gateway_beta::referencegrants::ReferenceGrant>(doc)
        }
        ("postgresql.cnpg.io/v1", "Cluster") => strictly::<cnpg::clusters::Cluster>(doc),
        ("postgresql.cnpg.io/v1", "ScheduledBackup") => {
            strictly::<cnpg::scheduledbackups::ScheduledBackup>(doc)
        }
        ("monitoring.coreos.com/v1", "ServiceMonitor") => {
            strictly::<monitoring::servicemonitors::ServiceMonitor>(doc)
        }
        ("monitoring.coreos.com/v1", "PodMonitor") => {
            strictly::<monitoring::podmonitors::PodMonitor>(doc)
        }
        ("monitoring.coreos.com/v1", "PrometheusRule") => {
            strictly::<monitoring::prometheusrules::PrometheusRule>(doc)
        }
        ("cert-manager.io/v1", "Certificate") => {
            strictly::<cert_manager::certificates::Certificate>(doc)
        }
        ("cert-manager.io/v1", "Issuer") => strictly::<cert_manager::issuers::Issuer>(doc),
        ("gateway.networking.k8s.io/v1", "BackendTLSPolicy") => {
            strictly::<gateway::backendtlspolicies::BackendTlsPolicy>(doc)
        }
        _ => bail!("unknown kind {kind} ({api_version}): no schema to check it against"),
    }
}

/// The problems of every document in `text` (read from `file`), and how many were checked.
fn problems_in(file: &str, text: &str) -> anyhow::Result<(Vec<String>, usize)> {
    let mut problems = Vec::new();
    let mut checked = 0;
    for document in serde_yaml::Deserializer::from_str(text) {
        let doc = serde_yaml::Value::deserialize(document)
            .with_context(|| format!("{file}: not YAML"))?;
        if doc.is_null() {
            continue;
        }
        let field = |name: &str| {
            doc.get(name)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_owned()
        };
        let (api_version, kind) = (field("apiVersion"), field("kind"));
        let name = doc
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(|n| n.as_str())
            .unwrap_or("?")
            .to_owned();
        let at = format!("{file}: {kind}/{name}");
        checked += 1;
        match check(&api_version, &kind, doc) {
            Ok(unknown) => problems.extend(
                unknown
                    .into_iter()
                    .map(|path| format!("{at}: unknown field {path}")),
            ),
            Err(error) => problems.push(format!("{at}: {error:#}")),
        }
    }
    Ok((problems, checked))
}

fn main() -> anyhow::Result<()> {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        bail!("usage: credit-crd-check FILE...");
    }
    let mut problems = Vec::new();
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?;
        let (found, count) = problems_in(file, &text)?;
        problems.extend(found);
        checked += count;
    }
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("{problem}");
        }
        std::process::exit(1);
    }
    println!("{checked} custom resources checked strictly");
    Ok(())
}

use serde::Deserialize;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_mistake_is_caught() {
        let (problems, checked) =
            problems_in("wrong.yaml", include_str!("../tests/wrong.yaml")).expect("YAML");
        assert_eq!(checked, 5);
        let expected = [
            "Cluster/a: unknown field spec.instance",
            "Cluster/b: unknown variant `sometimes`",
            "GRPCRoute/c: missing field `name`",
            "ServiceMonitor/d: unknown field spec.endpoints.0.honourLabels",
            "Widget/e: unknown kind Widget",
        ];
        assert_eq!(problems.len(), expected.len(), "{problems:#?}");
        for (problem, expected) in problems.iter().zip(expected) {
            assert!(
                problem.contains(expected),
                "{problem} should say {expected}"
            );
        }
    }

    #[test]
    fn a_correct_resource_passes() {
        let route = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: ok}
spec:
  parentRefs: [{name: platform-gateway}]
  rules:
    - backendRefs: [{name: credit-gateway, port: 50051}]
"#;
        let (problems, checked) = problems_in("ok.yaml", route).expect("YAML");
        assert_eq!((problems, checked), (Vec::<String>::new(), 1));
    }
}
