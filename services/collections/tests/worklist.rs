//! The collector's worklist against a real server: ranking by expected loss and urgency, the
//! next best action with its reason, assignment of customers and segments, the activity log.
mod support;

use credit_platform::auth::roles;
use credit_proto::collections as pb;
use support::{App, Client, START, amount, fields, import, invoice, rid};

const DAY: i64 = 86_400_000_000;

async fn customer(c: &mut Client, id: &str, segment: &str, email: &str) {
    c.put_customer(pb::PutCustomerRequest {
        customer: Some(pb::Customer {
            customer_id: id.into(),
            name: format!("{id} Ltd"),
            segment: segment.into(),
            language: "en".into(),
            time_zone: "Europe/London".into(),
            email: email.into(),
            ..Default::default()
        }),
        request_id: rid(),
    })
    .await
    .expect("customer");
}

async fn worklist(c: &mut Client, collector: &str) -> Vec<pb::WorklistItem> {
    c.get_worklist(pb::GetWorklistRequest {
        collector: collector.into(),
        segment: String::new(),
        limit: 0,
    })
    .await
    .expect("worklist")
    .into_inner()
    .items
}

#[tokio::test]
async fn cases_rank_by_expected_loss_and_urgency_with_the_next_action() {
    let app = App::start_configured(|c| c.dunning_enabled = false).await;
    let mut erp = app.erp();
    customer(&mut erp, "BIG", "SME", "ap@big.example").await;
    customer(&mut erp, "OLD", "SME", "ap@old.example").await;
    customer(&mut erp, "MUTE", "KEY_ACCOUNT", "").await;
    customer(&mut erp, "FRESH", "SME", "ap@fresh.example").await;
    // Today is 2026-03-01.
    import(
        &mut erp,
        false,
        vec![
            // 10 000 EUR 45 days late: 10 000 × 0.05 × (1 + 1.5) = 1 250.
            invoice("B-1", "BIG", "10000", "2025-12-16", "2026-01-15"),
            // 3 000 EUR 120 days late: 3 000 × 0.05 × (1 + 4) = 750.
            invoice("O-1", "OLD", "3000", "2025-10-02", "2025-11-01"),
            // 2 000 EUR 10 days late, no address: 2 000 × 0.05 × (1 + 1/3) = 133.33.
            invoice("M-1", "MUTE", "2000", "2026-01-20", "2026-02-19"),
            // 500 EUR 5 days late: reminders are running, nothing to do yet.
            invoice("F-1", "FRESH", "500", "2026-01-25", "2026-02-24"),
            // Not due: not a case.
            invoice("F-2", "FRESH", "900", "2026-02-25", "2026-03-27"),
        ],
    )
    .await;
    let items = worklist(&mut erp, "").await;
    let seen: Vec<(&str, &str, &str, bool)> = items
        .iter()
        .map(|i| {
            (
                i.customer_id.as_str(),
                i.priority.as_str(),
                support::named::<pb::NextAction>(i.action),
                i.actionable,
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("BIG", "1250.00", "CALL", true),
            ("OLD", "750.00", "CALL", true),
            ("MUTE", "133.33", "UPDATE_CONTACT", true),
            ("FRESH", "29.17", "FOLLOW_DUNNING", false),
        ]
    );
    assert_eq!(items[0].rank, 1);
    assert_eq!(items[0].expected_loss, "500.00");
    assert_eq!(items[0].probability_of_default, "0.05");
    assert_eq!(items[1].days_past_due, 120);

    // A call agreed a follow-up: the case waits until that day, then comes back.
    let mut cora = app.client("cora.collector", &[roles::ANALYST]);
    let logged = cora
        .log_activity(pb::LogActivityRequest {
            customer_id: "BIG".into(),
            kind: support::wire::<pb::ActivityKind>("CALL"),
            outcome: support::wire::<pb::ActivityOutcome>("PROMISED"),
            note: "the CFO will confirm a payment date on Friday".into(),
            follow_up_date: support::date("2026-03-06"),
            request_id: rid(),
        })
        .await
        .expect("logged")
        .into_inner();
    assert_eq!(logged.collector, "cora.collector");
    let items = worklist(&mut erp, "").await;
    let big = items.iter().find(|i| i.customer_id == "BIG").expect("BIG");
    assert_eq!(
        support::named::<pb::NextAction>(big.action),
        "WAIT_FOR_FOLLOW_UP"
    );
    assert!(!big.actionable);
    assert_eq!(items[0].customer_id, "OLD", "actionable cases first");
    app.clock.set(START + 5 * DAY);
    let items = worklist(&mut erp, "").await;
    assert_eq!(
        (
            items[0].customer_id.as_str(),
            support::named::<pb::NextAction>(items[0].action)
        ),
        ("BIG", "CALL_BACK")
    );
    let log = cora
        .list_activities(pb::ListActivitiesRequest {
            customer_id: "BIG".into(),
            ..Default::default()
        })
        .await
        .expect("activities")
        .into_inner()
        .activities;
    assert_eq!(log.len(), 1);
    assert_eq!(support::iso(&log[0].follow_up_date), "2026-03-06");

    // Bad activities are named.
    let bad = cora
        .log_activity(pb::LogActivityRequest {
            customer_id: "BIG".into(),
            // Values no client of this version can name.
            kind: 99,
            outcome: 42,
            note: String::new(),
            follow_up_date: None,
            request_id: rid(),
        })
        .await
        .expect_err("bad");
    assert_eq!(fields(bad), ["kind", "outcome", "note"]);
    app.stop().await;
}

#[tokio::test]
async fn customers_and_segments_are_assigned_to_collectors() {
    let app = App::start_configured(|c| c.dunning_enabled = false).await;
    let mut erp = app.erp();
    customer(&mut erp, "A", "SME", "ap@a.example").await;
    customer(&mut erp, "B", "SME", "ap@b.example").await;
    customer(&mut erp, "K", "KEY_ACCOUNT", "ap@k.example").await;
    import(
        &mut erp,
        false,
        vec![
            invoice("A-1", "A", "1000", "2026-01-01", "2026-01-31"),
            invoice("B-1", "B", "1000", "2026-01-01", "2026-01-31"),
            invoice("K-1", "K", "1000", "2026-01-01", "2026-01-31"),
        ],
    )
    .await;
    let mut max = app.client("max.manager", &[roles::MANAGER]);
    // Analysts may not assign.
    let denied = erp
        .assign_collector(pb::AssignCollectorRequest {
            collector: "cora".into(),
            segments: vec!["SME".into()],
            customer_ids: vec![],
            request_id: rid(),
        })
        .await
        .expect_err("managers assign");
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    max.assign_collector(pb::AssignCollectorRequest {
        collector: "cora".into(),
        segments: vec!["SME".into()],
        customer_ids: vec![],
        request_id: rid(),
    })
    .await
    .expect("segment");
    // B has its own collector, which wins over its segment's.
    max.assign_collector(pb::AssignCollectorRequest {
        collector: "kim".into(),
        segments: vec![],
        customer_ids: vec!["B".into(), "K".into()],
        request_id: rid(),
    })
    .await
    .expect("customers");
    let cora: Vec<String> = worklist(&mut erp, "cora")
        .await
        .into_iter()
        .map(|i| i.customer_id)
        .collect();
    assert_eq!(cora, ["A"]);
    let kim: Vec<String> = worklist(&mut erp, "kim")
        .await
        .into_iter()
        .map(|i| i.customer_id)
        .collect();
    assert_eq!(kim, ["B", "K"]);
    let a = erp
        .get_customer(pb::GetCustomerRequest {
            customer_id: "A".into(),
        })
        .await
        .expect("customer")
        .into_inner();
    assert_eq!(
        (a.collector.as_str(), a.collector_in_charge.as_str()),
        ("", "cora")
    );
    // The ERP writing B's profile again (without a collector) keeps B's assignment.
    customer(&mut erp, "B", "SME", "ap@b.example").await;
    let b = erp
        .get_customer(pb::GetCustomerRequest {
            customer_id: "B".into(),
        })
        .await
        .expect("customer")
        .into_inner();
    assert_eq!(b.collector_in_charge, "kim");
    // Metrics by collector follow the same assignment.
    let by_collector = erp
        .get_collection_metrics(pb::GetCollectionMetricsRequest {
            start_date: support::date("2026-01-01"),
            end_date: support::date("2026-02-28"),
            group_by: pb::AgingGroup::Collector as i32,
            customer_id: String::new(),
        })
        .await
        .expect("metrics")
        .into_inner();
    let keys: Vec<(&str, &str)> = by_collector
        .rows
        .iter()
        .map(|r| (r.key.as_str(), amount(&r.credit_sales)))
        .collect();
    assert_eq!(keys, [("cora", "1000.00"), ("kim", "2000.00")]);
    let unknown = max
        .assign_collector(pb::AssignCollectorRequest {
            collector: "kim".into(),
            segments: vec![],
            customer_ids: vec!["NOPE".into()],
            request_id: rid(),
        })
        .await
        .expect_err("unknown customer");
    assert_eq!(fields(unknown), ["customer_ids[0]"]);
    app.stop().await;
}
