//! One trace across the suite: the production binaries export their spans over OTLP to a
//! collector inside this test (a tonic server of the OTLP trace service), and a credit check
//! sent with the caller's trace context — through a gateway, into a limits replica, onto limits'
//! event feed and into audit's log — arrives there as one trace whose every span hangs from the
//! caller's span. Needs PostgreSQL (`TEST_DATABASE_URL`), like the fault tests whose cluster it
//! runs. A credit application takes the longer way: gateway → applications → scoring, and
//! later, from applications' delivery of the approved limit, → limits → audit, one trace too.
#[path = "faults/cluster.rs"]
mod cluster;
#[path = "faults/load.rs"]
mod load;

use cluster::{Cluster, Options};
use credit_platform::auth::BearerToken;
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

/// The cluster, exporting its spans to a collector inside the test.
async fn traced_cluster(applications: bool) -> Option<(Cluster, Collector)> {
    let (collector, port) = start_collector().await;
    let common = BTreeMap::from([
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT".to_string(),
            format!("http://127.0.0.1:{port}"),
        ),
        // Export at once rather than every 5 s.
        ("OTEL_BSP_SCHEDULE_DELAY".to_string(), "100".to_string()),
    ]);
    let cluster = Cluster::start_with(Options {
        common,
        applications,
        ..Options::default()
    })
    .await?;
    Some((cluster, collector))
}

/// A caller's own span: a new trace id and span id, sampled.
struct Caller {
    trace_id: String,
    span_id: String,
}

impl Caller {
    fn new() -> Self {
        Self {
            trace_id: uuid::Uuid::new_v4().simple().to_string(),
            span_id: uuid::Uuid::new_v4().simple().to_string()[..16].to_string(),
        }
    }

    /// `message` sent from within the caller's span.
    fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.metadata_mut().insert(
            "traceparent",
            format!("00-{}-{}-01", self.trace_id, self.span_id)
                .parse()
                .expect("traceparent"),
        );
        request
    }

    /// Waits (bounded) until spans of `services` in this trace arrived and `complete` says
    /// they are all there; answers the trace's spans, checked to be one tree hanging from the
    /// caller's span.
    async fn trace(
        &self,
        collector: &Collector,
        cluster: &Cluster,
        complete: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let started = Instant::now();
        let spans = loop {
            let spans: Vec<Received> = collector
                .0
                .lock()
                .expect("collector")
                .iter()
                .filter(|s| s.trace_id == self.trace_id)
                .cloned()
                .collect();
            if complete(&spans) {
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
                span.parent_span_id == self.span_id || ids.contains(span.parent_span_id.as_str()),
                "{span:?} hangs from nothing in the trace: {spans:#?}"
            );
        }
        println!(
            "TRACE {}: {} spans, {}",
            self.trace_id,
            spans.len(),
            spans
                .iter()
                .map(|s| format!("{}:{}", s.service, s.name))
                .collect::<Vec<_>>()
                .join(", ")
        );
        spans
    }
}

/// Whether `spans` has a span of `service` (named `name`, when given) whose parent is a span
/// of `parent` (or the caller's span, for `parent` None).
fn has_child(
    spans: &[Received],
    caller: &Caller,
    service: &str,
    name: Option<&str>,
    parent: Option<&str>,
) -> bool {
    spans.iter().any(|s| {
        s.service == service
            && name.is_none_or(|n| s.name == n)
            && match parent {
                None => s.parent_span_id == caller.span_id,
                Some(parent) => spans
                    .iter()
                    .any(|p| p.span_id == s.parent_span_id && p.service == parent),
            }
    })
}

fn services(spans: &[Received]) -> BTreeSet<&str> {
    spans.iter().map(|s| s.service.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credit_check_and_its_audit_entry_are_one_trace() {
    let Some((cluster, collector)) = traced_cluster(false).await else {
        return;
    };
    let mut limits = load::limits(cluster.channel(), &cluster.token);
    let mut limit_setter = load::limits(cluster.channel(), &cluster::limit_setter_token());
    let customers = load::open_accounts(&mut limits, &mut limit_setter, 1, "100.00").await;

    let caller = Caller::new();
    let answer = limits
        .check_credit(caller.request(credit_proto::limits::CheckCreditRequest {
            customer_id: customers[0].clone(),
            order_id: "SO-TRACED".into(),
            amount: load::eur("10.00"),
            request_id: uuid::Uuid::new_v4().to_string(),
            ..Default::default()
        }))
        .await
        .expect("check")
        .into_inner();
    assert_eq!(
        answer.outcome,
        credit_proto::limits::CheckOutcome::Approved as i32
    );

    let spans = caller
        .trace(&collector, &cluster, |spans| {
            let services = services(spans);
            ["credit-gateway", "credit-limits", "credit-audit"]
                .iter()
                .all(|s| services.contains(s))
        })
        .await;
    // The right parents: the gateway's span is the caller's child; limits' server span the
    // gateway's; audit's entry a child of limits' work that appended the event.
    let child = |service, name, parent| has_child(&spans, &caller, service, name, parent);
    assert!(
        child("credit-gateway", None, None),
        "the gateway's span is the caller's child: {spans:#?}"
    );
    assert!(
        child("credit-limits", None, Some("credit-gateway")),
        "limits' span is the gateway's child: {spans:#?}"
    );
    assert!(
        child(
            "credit-audit",
            Some("record audit entry"),
            Some("credit-limits")
        ),
        "audit's entry is a child of limits' span that appended the event: {spans:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_scoring_its_limit_and_the_audit_entry_are_one_trace() {
    use credit_proto::applications as pb;
    use credit_proto::applications::applications_service_client::ApplicationsServiceClient;
    use credit_proto::scoring as spb;
    use credit_proto::scoring::scoring_service_client::ScoringServiceClient;
    let Some((cluster, collector)) = traced_cluster(true).await else {
        return;
    };
    let token = || BearerToken(Some(cluster.token.clone()));
    ScoringServiceClient::with_interceptor(cluster.channel(), token())
        .put_bureau_report(spb::PutBureauReportRequest {
            customer_id: "TRACED-FR".into(),
            report: Some(credit_applications::testing::sound_bureau_report()),
            request_id: uuid::Uuid::new_v4().to_string(),
        })
        .await
        .expect("bureau report");
    let mut sales = ApplicationsServiceClient::with_interceptor(cluster.channel(), token());
    let draft = sales
        .create_application(pb::CreateApplicationRequest {
            application: Some(credit_applications::testing::sound_application(
                "TRACED-FR",
                "FR40303265045",
                "20000",
            )),
            request_id: uuid::Uuid::new_v4().to_string(),
        })
        .await
        .expect("draft")
        .into_inner();

    // The submission is the caller's: scoring at once, the limit in limits a little later.
    let caller = Caller::new();
    let decided = sales
        .submit_application(caller.request(pb::SubmitApplicationRequest {
            application_id: draft.application_id,
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await
        .expect("submit")
        .into_inner();
    assert_eq!(
        decided.state(),
        pb::ApplicationState::Approved,
        "{decided:?}"
    );

    let spans = caller
        .trace(&collector, &cluster, |spans| {
            has_child(
                spans,
                &caller,
                "credit-audit",
                Some("record audit entry"),
                Some("credit-limits"),
            )
        })
        .await;
    let child = |service, name, parent| has_child(&spans, &caller, service, name, parent);
    assert!(
        child("credit-gateway", None, None),
        "the gateway's span is the caller's child: {spans:#?}"
    );
    assert!(
        child("credit-applications", None, Some("credit-gateway")),
        "applications' span is the gateway's child: {spans:#?}"
    );
    assert!(
        child("credit-scoring", None, Some("credit-applications")),
        "scoring's span is a child of applications' submission: {spans:#?}"
    );
    assert!(
        child(
            "credit-applications",
            Some("deliver limit"),
            Some("credit-applications")
        ),
        "the limit's delivery continues the submission's trace: {spans:#?}"
    );
    assert!(
        child("credit-limits", None, Some("credit-applications")),
        "limits' span is a child of the delivery: {spans:#?}"
    );
}
