//! The receivables ledger against a real server: imports idempotent by document id with
//! rejected rows named, all-or-nothing, updates with history, allocations, aging as of any
//! date.
mod support;

use credit_platform::auth::roles;
use credit_proto::collections as pb;
use support::{App, amount, document, fields, import, invoice, money, payment, rid};

fn rejected(report: &pb::ImportReport) -> Vec<(i64, String)> {
    report
        .rejected
        .iter()
        .map(|r| (r.row_number, r.field.clone()))
        .collect()
}

#[tokio::test]
async fn an_import_records_each_document_once_names_rejected_rows_and_keeps_versions() {
    let app = App::start().await;
    let mut erp = app.erp();
    let mut credit_note = payment("CN-1", "ACME", "100", "2026-02-16", &[("INV-2", "100")]);
    credit_note.kind = pb::DocumentKind::CreditNote as i32;
    let mut bad_amount = invoice("INV-3", "ACME", "-5", "2026-01-10", "2026-02-09");
    bad_amount.amount = money("-5", "EUR");
    let backwards = invoice("INV-4", "ACME", "10", "2026-02-10", "2026-01-09");
    let mut unknown_currency = invoice("INV-5", "ACME", "10", "2026-01-10", "2026-02-09");
    unknown_currency.amount = money("10", "ABC");
    let rows = vec![
        invoice("INV-1", "ACME", "1000", "2026-01-10", "2026-02-09"),
        invoice("INV-2", "ACME", "500.5", "2026-01-21", "2026-02-20"),
        payment(
            "PAY-1",
            "ACME",
            "1200",
            "2026-02-15",
            &[("INV-1", "1000"), ("INV-2", "150")],
        ),
        credit_note,
        bad_amount,
        backwards,
        unknown_currency,
        // Only 250.50 is still open on INV-2.
        payment("PAY-2", "ACME", "400", "2026-02-17", &[("INV-2", "400")]),
    ];
    let report = import(&mut erp, false, rows.clone()).await;
    assert_eq!((report.rows, report.created, report.updated), (8, 4, 0));
    assert_eq!(
        rejected(&report),
        [
            (5, "document.amount.amount".to_string()),
            (6, "document.due_date".to_string()),
            (7, "document.amount.currency_code".to_string()),
            (8, "document.allocations[0].amount".to_string()),
        ]
    );
    assert!(report.rejected[3].message.contains("250.50"), "{report:?}");

    // Sending the same file again changes nothing.
    let again = import(&mut erp, false, rows).await;
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 4));
    assert_eq!(again.rejected.len(), 4);

    let inv2 = document(&mut erp, "INV-2").await;
    assert_eq!(inv2.amount, money("500.50", "EUR"));
    assert_eq!(support::amount(&inv2.open_amount), "250.50");
    assert_eq!(inv2.applied.len(), 2);
    assert_eq!(
        support::amount(&document(&mut erp, "INV-1").await.open_amount),
        "0.00"
    );
    assert_eq!(
        support::amount(&document(&mut erp, "PAY-1").await.open_amount),
        "50.00"
    );

    // A changed document is an explicit update, with history.
    let bigger = import(
        &mut erp,
        false,
        vec![invoice("INV-2", "ACME", "600", "2026-01-21", "2026-02-20")],
    )
    .await;
    assert_eq!((bigger.updated, bigger.rejected.len()), (1, 0));
    let inv2 = document(&mut erp, "INV-2").await;
    assert_eq!(
        (inv2.version, support::amount(&inv2.open_amount)),
        (2, "350.00")
    );
    let versions = erp
        .list_document_versions(pb::ListDocumentVersionsRequest {
            document_id: "INV-2".into(),
            ..Default::default()
        })
        .await
        .expect("versions")
        .into_inner()
        .versions;
    assert_eq!(versions.len(), 2);
    assert_eq!(
        versions[0].document.clone().expect("v1").amount,
        money("500.50", "EUR")
    );
    assert_eq!(versions[1].actor_subject, "erp");
    assert_eq!(versions[1].source, "test.csv");

    // Below what is applied, another kind or another customer under the same id: refused.
    let mut moved = invoice("INV-1", "OTHER", "1000", "2026-01-10", "2026-02-09");
    moved.customer_id = "OTHER".into();
    let refused = import(
        &mut erp,
        false,
        vec![
            invoice("INV-1", "ACME", "900", "2026-01-10", "2026-02-09"),
            moved,
        ],
    )
    .await;
    assert_eq!(
        rejected(&refused),
        [
            (1, "document.amount.amount".to_string()),
            (2, "document.document_id".to_string())
        ]
    );

    // Every open-amount change is on the feed for limits, typed (the contract limits decodes)
    // and as JSON (for people and the audit log, rendered from the message), saying the same.
    let events = app.events().await;
    for e in events
        .iter()
        .filter(|e| e.event_type == "credit.collections.receivable.changed")
    {
        let typed = e
            .payload
            .as_ref()
            .expect("a typed payload")
            .to_msg::<pb::ReceivableChanged>()
            .expect("a ReceivableChanged");
        let json: serde_json::Value = serde_json::from_str(&e.payload_json).expect("payload");
        assert_eq!(typed.invoice_id, e.entity_id);
        assert_eq!(
            (
                amount(&typed.open_amount),
                typed.open_amount.as_ref().map(|m| m.currency_code.as_str())
            ),
            (
                json["open_amount"]["amount"].as_str().unwrap_or_default(),
                json["open_amount"]["currency_code"].as_str()
            )
        );
        assert_eq!(
            typed.previous_open_amount.is_none(),
            json["previous_open_amount"].is_null()
        );
    }
    let changes: Vec<(String, String)> = events
        .iter()
        .filter(|e| e.event_type == "credit.collections.receivable.changed")
        .map(|e| {
            let payload: serde_json::Value =
                serde_json::from_str(&e.payload_json).expect("payload");
            (
                e.entity_id.clone(),
                payload["open_amount"]["amount"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("INV-1".to_string(), "1000.00".to_string()),
            ("INV-2".to_string(), "500.50".to_string()),
            ("INV-1".to_string(), "0.00".to_string()),
            ("INV-2".to_string(), "350.50".to_string()),
            ("INV-2".to_string(), "250.50".to_string()),
            ("INV-2".to_string(), "350.00".to_string()),
        ]
    );
    app.stop().await;
}

#[tokio::test]
async fn all_or_nothing_applies_nothing_when_one_row_is_rejected() {
    let app = App::start().await;
    let mut erp = app.erp();
    let report = import(
        &mut erp,
        true,
        vec![
            invoice("INV-1", "ACME", "1000", "2026-01-10", "2026-02-09"),
            payment("PAY-1", "ACME", "1200", "2026-02-15", &[("INV-1", "1200")]),
        ],
    )
    .await;
    assert!(report.rolled_back);
    assert_eq!(report.created, 0);
    assert_eq!(
        rejected(&report),
        [(2, "document.allocations[0].amount".to_string())]
    );
    let status = erp
        .get_document(pb::GetDocumentRequest {
            document_id: "INV-1".into(),
        })
        .await
        .expect_err("nothing applied");
    assert_eq!(status.code(), tonic::Code::NotFound);
    // Nothing of the ledger on the feed (the policy installed at start is all there is).
    assert!(
        app.events()
            .await
            .iter()
            .all(|e| e.entity_type == "dunning_policy"),
        "nothing applied, nothing said"
    );
    app.stop().await;
}

#[tokio::test]
async fn unapplied_cash_is_allocated_later_within_what_is_open() {
    let app = App::start().await;
    let mut erp = app.erp();
    import(
        &mut erp,
        false,
        vec![
            invoice("INV-1", "ACME", "300", "2026-01-10", "2026-02-09"),
            payment("PAY-1", "ACME", "500", "2026-02-15", &[]),
        ],
    )
    .await;
    let allocate = |amount: &str, target: &str| pb::AllocateDocumentRequest {
        document_id: "PAY-1".into(),
        allocations: vec![pb::Allocation {
            invoice_id: target.into(),
            amount: money(amount, "EUR"),
        }],
        request_id: rid(),
    };
    let status = erp
        .allocate_document(allocate("301", "INV-1"))
        .await
        .expect_err("over the open amount");
    assert_eq!(fields(status), ["allocations[0].amount"]);
    let paid = erp
        .allocate_document(allocate("300", "INV-1"))
        .await
        .expect("allocate")
        .into_inner();
    assert_eq!(support::amount(&paid.open_amount), "200.00");
    assert_eq!(
        support::amount(&document(&mut erp, "INV-1").await.open_amount),
        "0.00"
    );
    let status = erp
        .allocate_document(pb::AllocateDocumentRequest {
            document_id: "INV-1".into(),
            ..allocate("1", "INV-1")
        })
        .await
        .expect_err("an invoice allocates nothing");
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    let viewer = app.client("vic", &[roles::VIEWER]);
    let status = viewer
        .clone()
        .allocate_document(allocate("1", "INV-1"))
        .await
        .expect_err("viewers read only");
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    app.stop().await;
}

#[tokio::test]
async fn aging_buckets_open_amounts_as_of_any_date_by_group_and_currency() {
    let app = App::start().await;
    let mut erp = app.erp();
    for (customer, segment) in [("A", "SME"), ("B", "KEY_ACCOUNT")] {
        erp.put_customer(pb::PutCustomerRequest {
            customer: Some(pb::Customer {
                customer_id: customer.into(),
                name: format!("{customer} SA"),
                segment: segment.into(),
                region: "EMEA".into(),
                group_id: "G".into(),
                language: "fr".into(),
                ..Default::default()
            }),
            request_id: rid(),
        })
        .await
        .expect("customer");
    }
    let mut b1 = invoice("B1", "B", "300", "2025-11-01", "2025-12-01");
    b1.amount = money("300", "USD");
    import(
        &mut erp,
        false,
        vec![
            invoice("A1", "A", "1000", "2026-01-01", "2026-01-31"),
            invoice("A2", "A", "200", "2026-02-01", "2026-03-15"),
            b1,
            payment("PA", "A", "400", "2026-02-20", &[("A1", "400")]),
            payment("PB", "A", "50", "2026-02-25", &[]),
        ],
    )
    .await;
    let aging = |as_of: &str, bucket_days: Vec<i32>, group_by: pb::AgingGroup| {
        let mut c = app.client("vic", &[roles::VIEWER]);
        let request = pb::GetAgingRequest {
            as_of_date: support::date(as_of),
            bucket_days,
            group_by: group_by as i32,
            customer_id: String::new(),
        };
        async move { c.get_aging(request).await.expect("aging").into_inner() }
    };
    let amounts = |row: &pb::AgingRow| -> Vec<String> {
        row.buckets
            .iter()
            .map(|b| amount(&b.amount).to_string())
            .collect()
    };
    // 1 March: A1 600 open, 29 days late; A2 200 not due; B1 300 USD, 90 days late.
    let march = aging("2026-03-01", vec![], pb::AgingGroup::Customer).await;
    assert_eq!(march.rows.len(), 2);
    let a = &march.rows[0];
    assert_eq!((a.key.as_str(), a.currency_code.as_str()), ("A", "EUR"));
    assert_eq!(amounts(a), ["200.00", "600.00", "0.00", "0.00", "0.00"]);
    assert_eq!(
        (amount(&a.total), amount(&a.overdue), amount(&a.unapplied)),
        ("800.00", "600.00", "50.00")
    );
    let b = &march.rows[1];
    assert_eq!((b.key.as_str(), b.currency_code.as_str()), ("B", "USD"));
    assert_eq!(amounts(b), ["0.00", "0.00", "0.00", "300.00", "0.00"]);
    // 15 February: before the payments; A1 fully open, 15 days late.
    let february = aging("2026-02-15", vec![], pb::AgingGroup::Customer).await;
    assert_eq!(
        amounts(&february.rows[0]),
        ["200.00", "1000.00", "0.00", "0.00", "0.00"]
    );
    assert_eq!(amount(&february.rows[0].unapplied), "0.00");
    // By corporate group: both customers in G, one row per currency.
    let group = aging("2026-03-01", vec![], pb::AgingGroup::Group).await;
    let keys: Vec<(&str, &str)> = group
        .rows
        .iter()
        .map(|r| (r.key.as_str(), r.currency_code.as_str()))
        .collect();
    assert_eq!(keys, [("G", "EUR"), ("G", "USD")]);
    // Configurable buckets.
    let custom = aging("2026-03-01", vec![15, 45], pb::AgingGroup::Portfolio).await;
    let labels: Vec<&str> = custom.rows[0]
        .buckets
        .iter()
        .map(|b| b.label.as_str())
        .collect();
    assert_eq!(labels, ["current", "1-15", "16-45", "45+"]);
    assert_eq!(
        amounts(&custom.rows[0]),
        ["200.00", "0.00", "600.00", "0.00"]
    );
    // Today by the service's clock (1 March 2026 in this test) is the default.
    assert_eq!(
        support::iso(
            &aging("", vec![], pb::AgingGroup::Portfolio)
                .await
                .as_of_date
        ),
        "2026-03-01"
    );
    let status = app
        .client("vic", &[roles::VIEWER])
        .get_aging(pb::GetAgingRequest {
            as_of_date: support::date("2026-02-30"),
            bucket_days: vec![30, 30],
            ..Default::default()
        })
        .await
        .expect_err("bad request");
    assert_eq!(fields(status), ["as_of_date", "bucket_days"]);
    app.stop().await;
}

#[tokio::test]
async fn metrics_follow_the_domain_definitions_on_a_hand_computed_quarter() {
    let app = App::start().await;
    let mut erp = app.erp();
    erp.put_customer(pb::PutCustomerRequest {
        customer: Some(pb::Customer {
            customer_id: "ACME".into(),
            collector: "cleo".into(),
            ..Default::default()
        }),
        request_id: rid(),
    })
    .await
    .expect("customer");
    import(
        &mut erp,
        false,
        vec![
            invoice("INV-0", "ACME", "1000", "2025-12-01", "2025-12-31"),
            invoice("INV-1", "ACME", "2000", "2026-01-15", "2026-02-14"),
            invoice("INV-2", "ACME", "1000", "2026-03-20", "2026-04-19"),
            payment("PAY-1", "ACME", "1000", "2026-01-20", &[("INV-0", "1000")]),
            payment("PAY-2", "ACME", "1500", "2026-03-01", &[("INV-1", "1500")]),
        ],
    )
    .await;
    let metrics = app
        .client("vic", &[roles::VIEWER])
        .get_collection_metrics(pb::GetCollectionMetricsRequest {
            start_date: support::date("2026-01-01"),
            end_date: support::date("2026-03-31"),
            group_by: pb::AgingGroup::Collector as i32,
            customer_id: String::new(),
        })
        .await
        .expect("metrics")
        .into_inner();
    assert_eq!(metrics.days, 90);
    let row = &metrics.rows[0];
    assert_eq!(
        (row.key.as_str(), row.currency_code.as_str()),
        ("cleo", "EUR")
    );
    // Sales 3000; opening AR 1000 (INV-0); closing AR 1500 = INV-1 500 overdue + INV-2 1000 current.
    assert_eq!(
        (
            amount(&row.credit_sales),
            amount(&row.opening_receivables),
            amount(&row.closing_receivables),
            amount(&row.closing_current_receivables),
            amount(&row.closing_overdue)
        ),
        ("3000.00", "1000.00", "1500.00", "1000.00", "500.00")
    );
    // DSO 1500/3000×90 = 45; best 1000/3000×90 = 30; ADD 15;
    // CEI (1000+3000−1500)/(1000+3000−1000)×100 = 83.33; overdue share 500/1500.
    assert_eq!(
        (
            row.days_sales_outstanding.as_str(),
            row.best_possible_dso.as_str(),
            row.average_days_delinquent.as_str(),
            row.collection_effectiveness_index.as_str(),
            row.overdue_share.as_str()
        ),
        ("45.00", "30.00", "15.00", "83.33", "0.3333")
    );
    let status = app
        .client("vic", &[roles::VIEWER])
        .get_collection_metrics(pb::GetCollectionMetricsRequest {
            start_date: support::date("2026-04-01"),
            end_date: support::date("2026-03-31"),
            ..Default::default()
        })
        .await
        .expect_err("backwards");
    assert_eq!(fields(status), ["end_date"]);
    app.stop().await;
}
