//! Exposure follows the ledger: limits follows collections' feed — invoices become receivables
//! (capturing their order's reservation), payments reduce them, and a customer overdue beyond
//! the threshold is held in limits until it is cleared.
mod support;

use credit_platform::auth::roles;
use credit_proto::collections as pb;
use credit_proto::limits as lpb;
use std::time::Duration;
use support::{App, LimitsClient, import, invoice, money, payment, rid};

const DAY: i64 = 86_400_000_000;

async fn exposure(limits: &mut LimitsClient) -> (String, String) {
    let e = limits
        .get_exposure(lpb::GetExposureRequest {
            customer_id: "ACME".into(),
            ..Default::default()
        })
        .await
        .expect("exposure")
        .into_inner()
        .own
        .expect("own");
    let amount = |m: Option<credit_proto::types::Money>| m.map(|m| m.amount).unwrap_or_default();
    (amount(e.reserved_orders), amount(e.open_receivables))
}

/// Waits until limits shows `reserved` and `receivables` for ACME.
async fn wait_exposure(limits: &mut LimitsClient, reserved: &str, receivables: &str) {
    let mut seen = (String::new(), String::new());
    for _ in 0..400 {
        seen = exposure(limits).await;
        if seen == (reserved.to_string(), receivables.to_string()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("exposure stayed {seen:?}, expected ({reserved}, {receivables})");
}

async fn holds(limits: &mut LimitsClient) -> Vec<lpb::CreditHold> {
    limits
        .list_credit_holds(lpb::ListCreditHoldsRequest {
            customer_id: "ACME".into(),
            include_released: false,
            ..Default::default()
        })
        .await
        .expect("holds")
        .into_inner()
        .credit_holds
}

async fn wait_holds(limits: &mut LimitsClient, count: usize) -> Vec<lpb::CreditHold> {
    let mut seen = Vec::new();
    for _ in 0..400 {
        seen = holds(limits).await;
        if seen.len() == count {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("holds stayed {seen:?}, expected {count}");
}

#[tokio::test]
async fn exposure_follows_the_ledger_and_an_overdue_customer_is_held_until_paid() {
    let app = App::start_with_limits().await;
    let mut limits = app.limits();
    limits
        .create_credit_account(lpb::CreateCreditAccountRequest {
            credit_account: Some(lpb::CreditAccount {
                customer_id: "ACME".into(),
                name: "Acme SAS".into(),
                currency_code: "EUR".into(),
                ..Default::default()
            }),
            request_id: rid(),
        })
        .await
        .expect("account");
    app.limit_setter()
        .set_credit_limit(lpb::SetCreditLimitRequest {
            customer_id: "ACME".into(),
            credit_limit: Some(lpb::CreditLimit {
                mode: lpb::LimitMode::Amount as i32,
                amount: money("10000", "EUR"),
                ..Default::default()
            }),
            reason: "initial".into(),
            request_id: rid(),
            approved_by: vec!["max.manager".into()],
            approval_reference: "APP-ACME".into(),
        })
        .await
        .expect("limit");
    let check = |order: &str, amount: &str| lpb::CheckCreditRequest {
        customer_id: "ACME".into(),
        order_id: order.into(),
        amount: money(amount, "EUR"),
        request_id: rid(),
        ..Default::default()
    };
    let reserved = limits
        .check_credit(check("SO-1", "3000"))
        .await
        .expect("check")
        .into_inner();
    assert_eq!(reserved.outcome(), lpb::CheckOutcome::Approved);
    wait_exposure(&mut limits, "3000.00", "0.00").await;

    // The order is invoiced: its reservation becomes the receivable.
    let mut erp = app.erp();
    let mut inv1 = invoice("INV-1", "ACME", "3000", "2026-03-01", "2026-03-31");
    inv1.order_id = "SO-1".into();
    import(
        &mut erp,
        false,
        vec![
            inv1,
            invoice("INV-2", "ACME", "2000", "2026-03-01", "2026-03-31"),
        ],
    )
    .await;
    wait_exposure(&mut limits, "0.00", "5000.00").await;
    let reservation = limits
        .get_reservation(lpb::GetReservationRequest {
            reservation_id: reserved.reservation.expect("reservation").reservation_id,
        })
        .await
        .expect("reservation")
        .into_inner();
    assert_eq!(reservation.state(), lpb::ReservationState::Captured);

    // A payment reduces it.
    import(
        &mut erp,
        false,
        vec![payment(
            "PAY-1",
            "ACME",
            "1000",
            "2026-03-20",
            &[("INV-1", "1000")],
        )],
    )
    .await;
    wait_exposure(&mut limits, "0.00", "4000.00").await;
    assert!(holds(&mut limits).await.is_empty());

    // 61 days past due (31 March + 61): collections says so, limits holds the account.
    app.clock.set(support::START + (30 + 61) * DAY);
    let placed = wait_holds(&mut limits, 1).await;
    assert_eq!(placed[0].rule_code, "COLLECTIONS_OVERDUE");
    assert!(placed[0].reason.contains("4000.00 EUR"), "{placed:?}");
    let refused = limits
        .check_credit(check("SO-2", "100"))
        .await
        .expect("check")
        .into_inner();
    assert_eq!(refused.outcome(), lpb::CheckOutcome::Rejected);

    // Paid: the hold goes, exposure returns to nothing open.
    import(
        &mut erp,
        false,
        vec![payment(
            "PAY-2",
            "ACME",
            "4000",
            "2026-05-31",
            &[("INV-1", "2000"), ("INV-2", "2000")],
        )],
    )
    .await;
    wait_exposure(&mut limits, "0.00", "0.00").await;
    wait_holds(&mut limits, 0).await;
    let passes = limits
        .check_credit(check("SO-3", "100"))
        .await
        .expect("check")
        .into_inner();
    assert_eq!(passes.outcome(), lpb::CheckOutcome::Approved);
    app.stop().await;
}

#[tokio::test]
async fn an_approved_write_off_leaves_exposure_and_releases_the_hold() {
    let app = App::start_with_limits().await;
    let mut limits = app.limits();
    limits
        .create_credit_account(lpb::CreateCreditAccountRequest {
            credit_account: Some(lpb::CreditAccount {
                customer_id: "ACME".into(),
                name: "Acme SAS".into(),
                currency_code: "EUR".into(),
                ..Default::default()
            }),
            request_id: rid(),
        })
        .await
        .expect("account");
    let mut erp = app.erp();
    import(
        &mut erp,
        false,
        vec![invoice("INV-1", "ACME", "1500", "2026-03-01", "2026-03-31")],
    )
    .await;
    wait_exposure(&mut limits, "0.00", "1500.00").await;
    app.clock.set(support::START + (30 + 61) * DAY);
    wait_holds(&mut limits, 1).await;

    let mut collector = app.client("cora.collector", &[roles::ANALYST]);
    let asked = collector
        .request_write_off(pb::RequestWriteOffRequest {
            invoice_id: "INV-1".into(),
            amount: money("1500", "EUR"),
            reason: "customer in liquidation, nothing to distribute".into(),
            dispute_id: String::new(),
            request_id: rid(),
        })
        .await
        .expect("requested")
        .into_inner();
    // Nothing moves until someone with the authority approves.
    assert_eq!(exposure(&mut limits).await.1, "1500.00");
    app.client("max.manager", &[roles::MANAGER])
        .decide_write_off(pb::DecideWriteOffRequest {
            write_off_id: asked.write_off_id,
            approve: true,
            comment: "liquidator's statement on file".into(),
            request_id: rid(),
        })
        .await
        .expect("approved");
    wait_exposure(&mut limits, "0.00", "0.00").await;
    wait_holds(&mut limits, 0).await;
    app.stop().await;
}
