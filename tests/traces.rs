//! One trace across the suite: the production binaries export their spans over OTLP to a
//! collector inside this test (a tonic server of the OTLP trace service), and a credit check
//! sent with the caller's trace context — through a gateway, into a limits replica, onto limits'
//! event feed and into audit's log — arrives there as one trace whose every span hangs from the
//! caller's span. Needs PostgreSQL (`TEST_DATABASE_URL`), like the fault tests whose cluster it
//! runs.
#[path = "faults/cluster.rs"]
mod cluster;
#[path = "faults/load.rs"]
mod load;

use cluster::Cluster;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A span as the collector received it.
#[derive(Debug, Clone)]
struct Received {
    service: String,
    name: String,
    trace_id: String,
    span_id: String,
    parent_span_id: String,
}

#[derive(Default, Clone)]
struct Collector(Arc<Mutex<Vec<Received>>>);

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut received = self.0.lock().expect("collector");
        for resource_spans in request.into_inner().resource_spans {
            let service = resource_spans
                .resource
                .iter()
                .flat_map(|r| &r.attributes)
                .find(|a| a.key == "service.name")
                .and_then(|a| a.value.as_ref())
                .and_then(|v| match &v.value {
                    Some(
                        opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue(s),
                    ) => Some(s.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            for span in resource_spans.scope_spans.into_iter().flat_map(|s| s.spans) {
                received.push(Received {
                    service: service.clone(),
                    name: span.name,
                    trace_id: hex(&span.trace_id),
                    span_id: hex(&span.span_id),
                    parent_span_id: hex(&span.parent_span_id),
                });
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn start_collector() -> (Collector, u16) {
    let collector = Collector::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = TraceServiceServer::new(collector.clone());
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(server)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    (collector, port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credit_check_and_its_audit_entry_are_one_trace() {
    let (collector, port) = start_collector().await;
    let common = BTreeMap::from([
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT".to_string(),
            format!("http://127.0.0.1:{port}"),
        ),
        // Export at once rather than every 5 s.
        ("OTEL_BSP_SCHEDULE_DELAY".to_string(), "100".to_string()),
    ]);
    let Some(cluster) = Cluster::start_with(common).await else {
        return;
    };
    let mut limits = load::limits(cluster.channel(), &cluster.token);
    let customers = load::open_accounts(&mut limits, 1, "100.00").await;

    // The caller's own span: a trace id and span id of its own, sampled.
    let trace_id = uuid::Uuid::new_v4().simple().to_string();
    let caller_span = uuid::Uuid::new_v4().simple().to_string()[..16].to_string();
    let mut request = tonic::Request::new(credit_proto::limits::CheckCreditRequest {
        customer_id: customers[0].clone(),
        order_id: "SO-TRACED".into(),
        amount: load::eur("10.00"),
        request_id: uuid::Uuid::new_v4().to_string(),
        ..Default::default()
    });
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{trace_id}-{caller_span}-01")
            .parse()
            .expect("traceparent"),
    );
    let answer = limits
        .check_credit(request)
        .await
        .expect("check")
        .into_inner();
    assert_eq!(
        answer.outcome,
        credit_proto::limits::CheckOutcome::Approved as i32
    );

    // Wait (bounded) until the gateway's, limits' and audit's spans of this trace arrived.
    let started = Instant::now();
    let spans = loop {
        let spans: Vec<Received> = collector
            .0
            .lock()
            .expect("collector")
            .iter()
            .filter(|s| s.trace_id == trace_id)
            .cloned()
            .collect();
        let services: BTreeSet<&str> = spans.iter().map(|s| s.service.as_str()).collect();
        if ["credit-gateway", "credit-limits", "credit-audit"]
            .iter()
            .all(|s| services.contains(s))
        {
            break spans;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the trace never reached every service: {spans:#?}\n{}",
            cluster.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    // One tree: every span hangs from the caller's span or from another span of the trace.
    let ids: BTreeSet<&str> = spans.iter().map(|s| s.span_id.as_str()).collect();
    for span in &spans {
        assert!(
            span.parent_span_id == caller_span || ids.contains(span.parent_span_id.as_str()),
            "{span:?} hangs from nothing in the trace: {spans:#?}"
        );
    }
    // The right parents: the gateway's span is the caller's child; limits' server span the
    // gateway's; audit's entry a child of limits' work that appended the event.
    let of = |service: &str| -> Vec<&Received> {
        spans.iter().filter(|s| s.service == service).collect()
    };
    let parent_service = |span: &Received| {
        spans
            .iter()
            .find(|s| s.span_id == span.parent_span_id)
            .map(|s| s.service.clone())
    };
    assert!(
        of("credit-gateway")
            .iter()
            .any(|s| s.parent_span_id == caller_span),
        "the gateway's span is the caller's child: {spans:#?}"
    );
    assert!(
        of("credit-limits")
            .iter()
            .any(|s| parent_service(s).as_deref() == Some("credit-gateway")),
        "limits' span is the gateway's child: {spans:#?}"
    );
    let recorded = of("credit-audit");
    assert!(
        recorded.iter().any(|s| s.name == "record audit entry"
            && parent_service(s).as_deref() == Some("credit-limits")),
        "audit's entry is a child of limits' span that appended the event: {spans:#?}"
    );
    println!(
        "TRACE {trace_id}: {} spans, {}",
        spans.len(),
        spans
            .iter()
            .map(|s| format!("{}:{}", s.service, s.name))
            .collect::<Vec<_>>()
            .join(", ")
    );
}
