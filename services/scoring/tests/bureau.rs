//! Bureau data fetched before scoring: providers in priority order until the policy's blocks are
//! all there, a fresh stored report reused, failures skipped, monitoring notifications re-scoring.
mod support;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use credit_proto::scoring as pb;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use support::*;

const DAY: i64 = 86_400_000_000;

/// What the test bureau shares with its handler: calls, blocks asked, the answer's status and body.
type BureauState = (
    Arc<AtomicUsize>,
    Arc<std::sync::Mutex<Vec<String>>>,
    StatusCode,
    serde_json::Value,
);

/// A local HTTP bureau: answers `body` for ACME (or `status` when it is not 200), counts calls,
/// and remembers the blocks asked for.
async fn http_bureau(
    status: StatusCode,
    body: serde_json::Value,
) -> (String, Arc<AtomicUsize>, Arc<std::sync::Mutex<Vec<String>>>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let state = (calls.clone(), asked.clone(), status, body);
    let app = axum::Router::new()
        .route(
            "/companies/{id}",
            get(
                |State((calls, asked, status, body)): State<BureauState>,
                 Path(id): Path<String>,
                 Query(query): Query<HashMap<String, String>>| async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    asked
                        .lock()
                        .expect("lock")
                        .push(query.get("blocks").cloned().unwrap_or_default());
                    if id != "ACME" {
                        return (StatusCode::NOT_FOUND, axum::Json(serde_json::json!({})));
                    }
                    (status, axum::Json(body))
                },
            ),
        )
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), calls, asked)
}

async fn statement_only(c: &mut Client, customer: &str) {
    c.put_financial_statement(pb::PutFinancialStatementRequest {
        customer_id: customer.into(),
        statement: Some(statement()),
        request_id: rid(),
    })
    .await
    .expect("statement");
}

async fn score(c: &mut Client, customer: &str) -> pb::Score {
    c.score_customer(pb::ScoreCustomerRequest {
        customer_id: customer.into(),
        requested_amount: None,
        request_id: rid(),
    })
    .await
    .expect("score")
    .into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn providers_are_asked_in_order_until_the_blocks_suffice_and_failures_are_skipped() {
    let (down, down_calls, _) =
        http_bureau(StatusCode::SERVICE_UNAVAILABLE, serde_json::json!({})).await;
    let (firmo, firmo_calls, asked) = http_bureau(
        StatusCode::OK,
        serde_json::json!({"firmographics": {"years_in_business": 35, "employees": 120, "industry": "G"}}),
    )
    .await;
    let files = tempfile::tempdir().expect("dir");
    std::fs::write(
        files.path().join("ACME.json"),
        serde_json::json!({
            "firmographics": {"years_in_business": 1, "employees": 2, "industry": "I"},
            "failure_score": {"value": 91},
            "payment_index": {"value": 80},
            "legal_events": []
        })
        .to_string(),
    )
    .expect("file");
    let dir = files.path().display().to_string();
    let app = App::start_with(|config| {
        config.bureau_providers = vec![
            format!("down={down}").parse().expect("spec"),
            format!("firmo={firmo}").parse().expect("spec"),
            format!("files={dir}").parse().expect("spec"),
        ];
    })
    .await;
    let mut c = app.analyst();
    statement_only(&mut c, "ACME").await;
    let first = score(&mut c, "ACME").await;
    assert!(
        !first.missing_inputs.contains(&"bureau".to_string()),
        "{:?}",
        first.missing_inputs
    );
    assert_eq!(down_calls.load(Ordering::SeqCst), 1);
    assert_eq!(firmo_calls.load(Ordering::SeqCst), 1);
    assert_eq!(
        asked.lock().expect("lock")[0],
        "firmographics,failure_score,payment_index,legal_events"
    );
    let fetched = app
        .events()
        .await
        .into_iter()
        .find(|e| e.event_type == "credit.scoring.bureau_report.fetched")
        .expect("fetched event");
    // Firmographics came from the first provider that had them; the scores from the file.
    assert!(
        fetched
            .payload_json
            .contains(r#""providers":["firmo","files"]"#),
        "{}",
        fetched.payload_json
    );
    assert!(
        fetched.payload_json.contains("down unavailable"),
        "{}",
        fetched.payload_json
    );

    // Within the policy's 90 days the stored report is reused: nobody is asked again.
    app.clock.advance(30 * DAY);
    score(&mut c, "ACME").await;
    assert_eq!(firmo_calls.load(Ordering::SeqCst), 1);
    // After 90 days a new report is bought.
    app.clock.advance(61 * DAY);
    score(&mut c, "ACME").await;
    assert_eq!(firmo_calls.load(Ordering::SeqCst), 2);

    // A company no bureau knows is scored without bureau data, and says so.
    statement_only(&mut c, "UNKNOWN-CO").await;
    let unknown = score(&mut c, "UNKNOWN-CO").await;
    assert!(unknown.missing_inputs.contains(&"bureau".to_string()));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monitoring_notification_refetches_and_rescores_with_an_early_warning() {
    let files = tempfile::tempdir().expect("dir");
    let report = |legal: serde_json::Value, failure: u32| {
        serde_json::json!({
            "firmographics": {"years_in_business": 35, "employees": 120, "industry": "M"},
            "failure_score": {"value": failure},
            "payment_index": {"value": 82},
            "legal_events": legal
        })
        .to_string()
    };
    let path = files.path().join("ACME.json");
    std::fs::write(&path, report(serde_json::json!([]), 92)).expect("file");
    let dir = files.path().display().to_string();
    let app = App::start_with(|config| {
        config.bureau_providers = vec![format!("files={dir}").parse().expect("spec")];
    })
    .await;
    let mut c = app.analyst();
    statement_only(&mut c, "ACME").await;
    let before = score(&mut c, "ACME").await;
    assert!(!before.rejected);

    // The bureau's monitoring reports an insolvency filing.
    std::fs::write(
        &path,
        report(
            serde_json::json!([{"kind": "INSOLVENCY", "filed_on": "2026-11-20"}]),
            4,
        ),
    )
    .expect("file");
    let notified = c
        .notify_bureau_change(pb::NotifyBureauChangeRequest {
            customer_id: "ACME".into(),
            provider: "files".into(),
        })
        .await
        .expect("notify")
        .into_inner();
    assert!(notified.refreshed);
    let after = notified.score.expect("re-scored");
    assert!(after.rejected);
    assert_eq!(after.trigger(), pb::ScoreTrigger::NewInformation);
    assert_eq!(after.reasons[0].code, "INSOLVENCY_FILING");
    let events = app.events().await;
    assert!(
        events
            .iter()
            .any(|e| e.event_type == "credit.scoring.early_warning.raised")
    );
    app.stop().await;
}
