//! The statute of limitations against a real server: deadlines by jurisdiction, the acts that
//! start the period again (and those that do not), alerts on the feed once, the worklist.
mod support;

use credit_proto::collections as pb;
use std::time::Duration;
use support::{App, Client, fields, import, invoice, payment, rid};

async fn customer(c: &mut Client, id: &str, jurisdiction: &str) {
    c.put_customer(pb::PutCustomerRequest {
        customer: Some(pb::Customer {
            customer_id: id.into(),
            name: format!("{id} SA"),
            email: format!("ap@{}.example", id.to_lowercase()),
            jurisdiction: jurisdiction.into(),
            ..Default::default()
        }),
        request_id: rid(),
    })
    .await
    .expect("customer");
}

async fn standings(c: &mut Client) -> Vec<(String, String, String, String)> {
    c.list_limitations(pb::ListLimitationsRequest {
        customer_id: String::new(),
        within_days: 0,
        ..Default::default()
    })
    .await
    .expect("limitations")
    .into_inner()
    .limitations
    .into_iter()
    .map(|l| {
        (
            l.document_id,
            support::iso(&l.deadline_date).to_string(),
            support::named::<pb::LimitationState>(l.state).to_string(),
            support::name_or_empty::<pb::LimitationAct>(l.interrupted_by).to_string(),
        )
    })
    .collect()
}

fn row(id: &str, deadline: &str, state: &str, by: &str) -> (String, String, String, String) {
    (id.into(), deadline.into(), state.into(), by.into())
}

fn act(
    customer: &str,
    invoices: &[&str],
    kind: &str,
    date: &str,
) -> pb::RecordLimitationActRequest {
    pb::RecordLimitationActRequest {
        customer_id: customer.into(),
        invoice_ids: invoices.iter().map(|i| i.to_string()).collect(),
        kind: support::wire::<pb::LimitationAct>(kind),
        date: support::date(date),
        note: "signed statement of account".into(),
        request_id: rid(),
    }
}

#[tokio::test]
async fn deadlines_follow_the_jurisdiction_and_the_acts_that_interrupt_it() {
    let app = App::start_configured(|c| c.dunning_enabled = false).await;
    let mut erp = app.erp();
    customer(&mut erp, "FRCO", "FR").await;
    customer(&mut erp, "DECO", "DE").await;
    customer(&mut erp, "XXCO", "").await;
    import(
        &mut erp,
        false,
        vec![
            // France: 5 years from the due date — 2026-05-01, 61 days from 2026-03-01.
            invoice("FR-1", "FRCO", "900", "2021-04-01", "2021-05-01"),
            // Germany: 3 years from the end of the due year — 2026-12-31.
            invoice("DE-1", "DECO", "700", "2023-05-15", "2023-06-15"),
            // Elsewhere: 3 years from the due date — passed on 2026-02-20.
            invoice("XX-1", "XXCO", "500", "2023-01-20", "2023-02-20"),
        ],
    )
    .await;
    assert_eq!(
        standings(&mut erp).await,
        [
            row("XX-1", "2026-02-20", "EXPIRED", ""),
            row("FR-1", "2026-05-01", "ALERT", ""),
            row("DE-1", "2026-12-31", "RUNNING", ""),
        ]
    );
    // The sweep says so on the feed, once each however often it runs.
    let mut alerts = Vec::new();
    for _ in 0..400 {
        alerts = app
            .events()
            .await
            .into_iter()
            .filter(|e| e.event_type.starts_with("credit.collections.limitation."))
            .map(|e| (e.event_type, e.entity_id))
            .collect();
        if alerts.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let again = app
        .events()
        .await
        .into_iter()
        .filter(|e| e.event_type.starts_with("credit.collections.limitation."))
        .count();
    assert_eq!(again, 2, "{alerts:?}");
    alerts.sort();
    assert_eq!(
        alerts,
        [
            (
                "credit.collections.limitation.expired".to_string(),
                "XX-1".to_string()
            ),
            (
                "credit.collections.limitation.expiring".to_string(),
                "FR-1".to_string()
            ),
        ]
    );
    // The worklist puts protecting the French claim first.
    let worklist = erp
        .get_worklist(pb::GetWorklistRequest::default())
        .await
        .expect("worklist")
        .into_inner();
    let fr = worklist
        .items
        .iter()
        .find(|i| i.customer_id == "FRCO")
        .expect("FRCO");
    assert_eq!(support::named::<pb::NextAction>(fr.action), "PROTECT_CLAIM");
    assert!(
        fr.reason.contains("FR-1") && fr.reason.contains("61 days"),
        "{}",
        fr.reason
    );

    // A partial payment starts the French period again; a formal notice does not in Germany,
    // a customer-wide acknowledgement does.
    import(
        &mut erp,
        false,
        vec![payment(
            "PAY-1",
            "FRCO",
            "100",
            "2026-03-01",
            &[("FR-1", "100")],
        )],
    )
    .await;
    erp.record_limitation_act(act("DECO", &["DE-1"], "FORMAL_NOTICE", "2026-02-10"))
        .await
        .expect("notice");
    assert_eq!(
        standings(&mut erp).await[1..],
        [
            row("DE-1", "2026-12-31", "RUNNING", ""),
            row("FR-1", "2031-03-01", "RUNNING", "PARTIAL_PAYMENT"),
        ]
    );
    erp.record_limitation_act(act("DECO", &[], "ACKNOWLEDGEMENT", "2026-02-27"))
        .await
        .expect("acknowledgement");
    assert_eq!(
        standings(&mut erp).await[1],
        row("DE-1", "2029-02-27", "RUNNING", "ACKNOWLEDGEMENT")
    );

    // Bad acts are named.
    let status = erp
        .record_limitation_act(act("DECO", &[], "PARTIAL_PAYMENT", "2026-02-27"))
        .await
        .expect_err("from the ledger only");
    assert_eq!(fields(status), ["kind"]);
    let status = erp
        .record_limitation_act(act("DECO", &[], "ACKNOWLEDGEMENT", "2026-03-02"))
        .await
        .expect_err("future");
    assert_eq!(fields(status), ["date"]);
    let status = erp
        .record_limitation_act(act("DECO", &["FR-1"], "ACKNOWLEDGEMENT", "2026-02-27"))
        .await
        .expect_err("another customer's");
    assert_eq!(fields(status), ["invoice_ids[0]"]);
    let status = erp
        .put_customer(pb::PutCustomerRequest {
            customer: Some(pb::Customer {
                customer_id: "BAD".into(),
                jurisdiction: "France".into(),
                ..Default::default()
            }),
            request_id: rid(),
        })
        .await
        .expect_err("not a country code");
    assert_eq!(fields(status), ["customer.jurisdiction"]);
    app.stop().await;
}
