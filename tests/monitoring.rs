//! The alerts and dashboards use metrics the suite really exports: every name in
//! k8s/base/monitoring/metrics.txt (which k8s/validate keeps equal to the names the rules and
//! dashboards use) is in the /metrics of a running suite after a short journey, and the names
//! only an optional integration exports are recorded somewhere in the code.
mod support;

use credit_proto::limits as pb;
use credit_proto::limits::limits_service_client::LimitsServiceClient;
use credit_proto::types::Money;
use std::time::Duration;

const LIST: &str = include_str!("../k8s/base/monitoring/metrics.txt");

/// (required, optional) names of the list.
fn listed() -> (Vec<&'static str>, Vec<&'static str>) {
    let mut required = Vec::new();
    let mut optional = Vec::new();
    for line in LIST.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.strip_prefix("optional ") {
            Some(name) => optional.push(name.trim()),
            None => required.push(line),
        }
    }
    (required, optional)
}

/// Whether the exposition has a sample of `name` (a series line, not only a comment).
fn exported(metrics: &str, name: &str) -> bool {
    metrics.lines().any(|line| {
        line.strip_prefix(name)
            .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
    })
}

#[tokio::test]
async fn every_metric_the_alerts_and_dashboards_use_is_exported() {
    let (required, optional) = listed();
    assert!(required.len() > 20, "the list is read: {required:?}");

    let journey = support::Journey::start().await;
    // The kubelet probes readiness here (it cannot probe gRPC over TLS).
    let ready = support::admin_get(journey.suite.admin_addr, "/readyz").await;
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
    // A little traffic: an account and a check, so calls, checks, events, audit
    // entries and a checkpoint exist.
    journey.create_account("MON-1", "Monitored SA").await;
    let mut limits =
        LimitsServiceClient::with_interceptor(journey.channel.clone(), journey.token());
    limits
        .check_credit(pb::CheckCreditRequest {
            customer_id: "MON-1".into(),
            order_id: "SO-MON-1".into(),
            amount: Some(Money {
                amount: "10".into(),
                currency_code: "EUR".into(),
            }),
            request_id: uuid::Uuid::new_v4().to_string(),
            ..Default::default()
        })
        .await
        .expect("check");

    // Gauges sampled by background work (lag probes, checkpoints) appear within seconds.
    let mut missing = required.clone();
    for _ in 0..150 {
        let metrics = support::metrics_text(journey.suite.admin_addr).await;
        missing.retain(|name| !exported(&metrics, name));
        if missing.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        missing.is_empty(),
        "the alerts or dashboards use metrics the suite does not export: {missing:?}"
    );
    journey.stop().await;

    // Optional ones: the code records them (a literal name in a metrics macro or constant).
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for name in optional {
        let quoted = format!("\"{name}\"");
        assert!(
            source_mentions(&root.join("services"), &quoted)
                || source_mentions(&root.join("crates"), &quoted),
            "{name} is listed as optional but no code records it"
        );
    }
}

fn source_mentions(dir: &std::path::Path, needle: &str) -> bool {
    std::fs::read_dir(dir)
        .expect("source dir")
        .flatten()
        .any(|entry| {
            let path = entry.path();
            if path.is_dir() {
                path.file_name().is_some_and(|n| n != "target") && source_mentions(&path, needle)
            } else {
                path.extension().is_some_and(|e| e == "rs")
                    && std::fs::read_to_string(&path).is_ok_and(|text| text.contains(needle))
            }
        })
}

/// Calls to paths the suite does not define — a scanner trying random names — are counted under
/// `grpc_method="unknown"`, through the gateway and directly at a service, so they cannot grow
/// the number of series without bound.
#[tokio::test]
async fn calls_to_made_up_methods_are_counted_as_unknown() {
    let journey = support::Journey::start().await;
    let made_up = [
        "/credit.limits.v1.LimitsService/NoSuchMethod-1f3a",
        "/scanner.Probe/Random-9c2e",
    ];
    let call = |channel: tonic::transport::Channel, path: &'static str| async move {
        let mut grpc = tonic::client::Grpc::new(channel);
        grpc.ready().await.expect("ready");
        let codec = tonic_prost::ProstCodec::<pb::PingRequest, pb::PingResponse>::default();
        let status = grpc
            .unary(
                tonic::Request::new(pb::PingRequest {}),
                path.parse().expect("path"),
                codec,
            )
            .await
            .expect_err("no such method");
        assert!(
            matches!(
                status.code(),
                tonic::Code::Unimplemented | tonic::Code::Unauthenticated
            ),
            "{status:?}"
        );
    };
    let limits_addr = journey
        .suite
        .services
        .iter()
        .find(|s| s.name == "limits")
        .expect("limits")
        .addr;
    let limits = tonic::transport::Channel::from_shared(format!("http://{limits_addr}"))
        .expect("url")
        .connect_lazy();
    for path in made_up {
        call(journey.channel.clone(), path).await;
        call(limits.clone(), path).await;
    }
    let metrics = support::metrics_text(journey.suite.admin_addr).await;
    for path in made_up {
        assert!(
            !metrics.contains(path),
            "{path} became a label of its own:\n{metrics}"
        );
    }
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("grpc_server_handled_total{")
                && l.contains("grpc_method=\"unknown\"")),
        "made-up methods are counted as unknown:\n{metrics}"
    );
    journey.stop().await;
}
