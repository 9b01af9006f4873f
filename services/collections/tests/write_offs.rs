//! Write-offs against a real server: authority by amount, four eyes, what the ledger and the
//! metrics show, disputes settled by a write-off, recoveries, and bad input.
mod support;

use credit_platform::auth::roles;
use credit_proto::collections as pb;
use support::{App, Client, START, amount, document, fields, import, invoice, money, rid};

const DAY: i64 = 86_400_000_000;

fn ask(invoice_id: &str, amount: &str) -> pb::RequestWriteOffRequest {
    pb::RequestWriteOffRequest {
        invoice_id: invoice_id.into(),
        amount: money(amount, "EUR"),
        reason: "insolvency: the administrator expects no dividend".into(),
        dispute_id: String::new(),
        request_id: rid(),
    }
}

fn decide(write_off_id: &str, approve: bool) -> pb::DecideWriteOffRequest {
    pb::DecideWriteOffRequest {
        write_off_id: write_off_id.into(),
        approve,
        comment: "checked against the file".into(),
        request_id: rid(),
    }
}

async fn setup() -> (App, Client) {
    let app = App::start_configured(|c| c.dunning_enabled = false).await;
    let mut erp = app.erp();
    import(
        &mut erp,
        false,
        vec![
            invoice("INV-1", "ACME", "800", "2026-01-10", "2026-02-09"),
            invoice("INV-2", "ACME", "5000", "2026-01-10", "2026-02-09"),
            invoice("INV-3", "ACME", "2000", "2026-03-01", "2026-03-31"),
        ],
    )
    .await;
    (app, erp)
}

#[tokio::test]
async fn authority_grows_with_the_amount_and_nobody_approves_their_own() {
    let (app, _erp) = setup().await;
    let mut cora = app.client("cora.collector", &[roles::ANALYST]);
    let mut alan = app.client("alan.analyst", &[roles::ANALYST]);
    let mut max = app.client("max.manager", &[roles::MANAGER]);

    // 800 EUR: within an analyst's authority, but not the requester's to decide.
    let small = cora
        .request_write_off(ask("INV-1", "800"))
        .await
        .expect("asked")
        .into_inner();
    assert_eq!(
        support::named::<pb::WriteOffState>(small.state),
        "REQUESTED"
    );
    assert_eq!(small.required_role, roles::ANALYST);
    let own = cora
        .decide_write_off(decide(&small.write_off_id, true))
        .await
        .expect_err("four eyes");
    assert_eq!(own.code(), tonic::Code::PermissionDenied);
    let approved = alan
        .decide_write_off(decide(&small.write_off_id, true))
        .await
        .expect("approved")
        .into_inner();
    assert_eq!(
        support::named::<pb::WriteOffState>(approved.state),
        "APPROVED"
    );
    assert_eq!(approved.decided_by, "alan.analyst");
    let again = max
        .decide_write_off(decide(&small.write_off_id, false))
        .await
        .expect_err("decided once");
    assert_eq!(again.code(), tonic::Code::FailedPrecondition);

    // The ledger: a WRITE_OFF document applied to the invoice, which is closed.
    let inv1 = document(&mut cora, "INV-1").await;
    assert_eq!(support::amount(&inv1.open_amount), "0.00");
    assert_eq!(inv1.applied.len(), 1);
    assert_eq!(inv1.applied[0].kind(), pb::DocumentKind::WriteOff);
    assert_eq!(inv1.applied[0].document_id, small.write_off_id);
    let booked = document(&mut cora, &small.write_off_id).await;
    assert_eq!(booked.kind(), pb::DocumentKind::WriteOff);
    assert_eq!(booked.amount.map(|m| m.amount).as_deref(), Some("800.00"));

    // 5 000 EUR needs a manager: an analyst cannot, the manager can; part of an invoice is fine.
    let large = cora
        .request_write_off(ask("INV-2", "4000"))
        .await
        .expect("asked")
        .into_inner();
    assert_eq!(large.required_role, roles::MANAGER);
    let denied = alan
        .decide_write_off(decide(&large.write_off_id, true))
        .await
        .expect_err("above the analyst's authority");
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    assert!(denied.message().contains(roles::MANAGER), "{denied:?}");
    max.decide_write_off(decide(&large.write_off_id, true))
        .await
        .expect("approved");
    assert_eq!(
        support::amount(&document(&mut cora, "INV-2").await.open_amount),
        "1000.00"
    );

    // A rejected one changes nothing in the ledger.
    let rejected_ask = cora
        .request_write_off(ask("INV-3", "100"))
        .await
        .expect("asked")
        .into_inner();
    let rejected = alan
        .decide_write_off(decide(&rejected_ask.write_off_id, false))
        .await
        .expect("rejected")
        .into_inner();
    assert_eq!(
        support::named::<pb::WriteOffState>(rejected.state),
        "REJECTED"
    );
    assert_eq!(
        support::amount(&document(&mut cora, "INV-3").await.open_amount),
        "2000.00"
    );

    let listed = cora
        .list_write_offs(pb::ListWriteOffsRequest {
            customer_id: "ACME".into(),
            state: support::wire::<pb::WriteOffState>("APPROVED"),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .write_offs;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].write_off_id, large.write_off_id, "newest first");

    let events: Vec<String> = app
        .events()
        .await
        .into_iter()
        .map(|e| e.event_type)
        .filter(|t| t.contains("write_off"))
        .collect();
    assert_eq!(
        events,
        [
            "credit.collections.write_off.requested",
            "credit.collections.write_off.approved",
            "credit.collections.write_off.requested",
            "credit.collections.write_off.approved",
            "credit.collections.write_off.requested",
            "credit.collections.write_off.rejected",
        ]
    );
    app.stop().await;
}

#[tokio::test]
async fn the_trend_counts_write_offs_and_recoveries_of_the_period() {
    let (app, _erp) = setup().await;
    let mut cora = app.client("cora.collector", &[roles::ANALYST]);
    let mut max = app.client("max.manager", &[roles::MANAGER]);
    // Approved on 2026-03-10.
    app.clock.set(START + 9 * DAY);
    let w = cora
        .request_write_off(ask("INV-2", "5000"))
        .await
        .expect("asked")
        .into_inner();
    max.decide_write_off(decide(&w.write_off_id, true))
        .await
        .expect("approved");
    app.clock.set(START + 20 * DAY);
    let recovery = |amount: &str, date: &str| pb::RecordRecoveryRequest {
        write_off_id: w.write_off_id.clone(),
        amount: money(amount, "EUR"),
        date: support::date(date),
        reference: "administrator's first dividend".into(),
        request_id: rid(),
    };
    let recovered = cora
        .record_recovery(recovery("600", "2026-03-20"))
        .await
        .expect("recovered")
        .into_inner();
    assert_eq!(support::amount(&recovered.recovered_amount), "600.00");
    assert_eq!(recovered.recoveries.len(), 1);
    let too_much = cora
        .record_recovery(recovery("4400.01", "2026-03-20"))
        .await
        .expect_err("more than written off");
    assert_eq!(fields(too_much), ["amount.amount"]);
    let before = cora
        .record_recovery(recovery("1", "2026-03-09"))
        .await
        .expect_err("before the write-off");
    assert_eq!(fields(before), ["date"]);

    // March: sales 2 000 (INV-3), written off 5 000, recovered 600.
    let metrics = cora
        .get_collection_metrics(pb::GetCollectionMetricsRequest {
            start_date: support::date("2026-03-01"),
            end_date: support::date("2026-03-31"),
            group_by: pb::AgingGroup::Portfolio as i32,
            customer_id: String::new(),
        })
        .await
        .expect("metrics")
        .into_inner();
    let row = &metrics.rows[0];
    assert_eq!(amount(&row.credit_sales), "2000.00");
    assert_eq!(amount(&row.written_off), "5000.00");
    assert_eq!(row.write_off_share, "2.5000");
    assert_eq!(amount(&row.recovered), "600.00");
    // Closing AR: INV-1 800 + INV-3 2 000 (INV-2 written off); opening: 5 800.
    assert_eq!(amount(&row.closing_receivables), "2800.00");
    assert_eq!(amount(&row.opening_receivables), "5800.00");
    // February saw none of it.
    let february = cora
        .get_collection_metrics(pb::GetCollectionMetricsRequest {
            start_date: support::date("2026-02-01"),
            end_date: support::date("2026-02-28"),
            group_by: pb::AgingGroup::Portfolio as i32,
            customer_id: String::new(),
        })
        .await
        .expect("metrics")
        .into_inner();
    assert_eq!(amount(&february.rows[0].written_off), "0.00");
    assert_eq!(amount(&february.rows[0].closing_receivables), "5800.00");
    app.stop().await;
}

#[tokio::test]
async fn a_write_off_settles_its_dispute_and_bad_requests_are_named() {
    let (app, mut erp) = setup().await;
    let mut cora = app.client("cora.collector", &[roles::ANALYST]);
    let mut alan = app.client("alan.analyst", &[roles::ANALYST]);
    let dispute = cora
        .open_dispute(pb::OpenDisputeRequest {
            invoice_id: "INV-3".into(),
            amount: money("300", "EUR"),
            reason: pb::DisputeReason::Damaged as i32,
            line: String::new(),
            owner: String::new(),
            comment: "one crate broken, not worth a credit note run".into(),
            request_id: rid(),
        })
        .await
        .expect("dispute")
        .into_inner();
    let w = cora
        .request_write_off(pb::RequestWriteOffRequest {
            dispute_id: dispute.dispute_id.clone(),
            ..ask("INV-3", "300")
        })
        .await
        .expect("asked")
        .into_inner();
    alan.decide_write_off(decide(&w.write_off_id, true))
        .await
        .expect("approved");
    let disputes = cora
        .list_disputes(pb::ListDisputesRequest {
            customer_id: "ACME".into(),
            state: support::wire::<pb::DisputeState>("RESOLVED_BY_WRITE_OFF"),
            ..Default::default()
        })
        .await
        .expect("disputes")
        .into_inner()
        .disputes;
    assert_eq!(disputes.len(), 1);
    assert_eq!(disputes[0].write_off_id, w.write_off_id);
    assert_eq!(
        support::amount(&document(&mut cora, "INV-3").await.open_amount),
        "1700.00"
    );

    // More than open; another currency; a dispute of another invoice; no reason.
    let over = cora
        .request_write_off(ask("INV-3", "1700.01"))
        .await
        .expect_err("over the open amount");
    assert_eq!(fields(over), ["amount.amount"]);
    let usd = cora
        .request_write_off(pb::RequestWriteOffRequest {
            amount: money("10", "USD"),
            ..ask("INV-3", "10")
        })
        .await
        .expect_err("currency");
    assert_eq!(fields(usd), ["amount.currency_code"]);
    let elsewhere = cora
        .request_write_off(pb::RequestWriteOffRequest {
            dispute_id: dispute.dispute_id.clone(),
            ..ask("INV-1", "10")
        })
        .await
        .expect_err("dispute of another invoice");
    assert_eq!(fields(elsewhere), ["dispute_id"]);
    let blank = cora
        .request_write_off(pb::RequestWriteOffRequest {
            reason: " ".into(),
            ..ask("INV-3", "10")
        })
        .await
        .expect_err("reason");
    assert_eq!(fields(blank), ["reason"]);
    let missing = cora
        .request_write_off(ask("INV-404", "10"))
        .await
        .expect_err("no invoice");
    assert_eq!(missing.code(), tonic::Code::NotFound);

    // Paid in part between request and approval beyond what is left: refused, nothing booked.
    let w2 = cora
        .request_write_off(ask("INV-1", "800"))
        .await
        .expect("asked")
        .into_inner();
    import(
        &mut erp,
        false,
        vec![support::payment(
            "PAY-1",
            "ACME",
            "100",
            "2026-03-01",
            &[("INV-1", "100")],
        )],
    )
    .await;
    let stale = alan
        .decide_write_off(decide(&w2.write_off_id, true))
        .await
        .expect_err("no longer open");
    assert_eq!(stale.code(), tonic::Code::FailedPrecondition);
    assert_eq!(
        support::amount(&document(&mut cora, "INV-1").await.open_amount),
        "700.00"
    );

    // The ERP cannot import write-offs.
    let mut forged = invoice("WO-1", "ACME", "10", "2026-03-01", "");
    forged.kind = pb::DocumentKind::WriteOff as i32;
    let report = import(&mut erp, false, vec![forged]).await;
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].field, "document.kind");
    app.stop().await;
}
