use crate::helpers::*;
use credit_proto::limits as pb;

async fn reserve(c: &mut Client, customer: &str, order: &str, amount: &str) -> pb::Reservation {
    check(c, customer, order, amount)
        .await
        .reservation
        .expect("approved")
}

#[tokio::test]
async fn shipping_and_invoicing_move_the_amount_between_categories_never_above_the_reservation() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "FLOW", "").await;
    set_limit(&app, "FLOW", amount_limit("1000", "EUR")).await;
    let r = reserve(&mut c, "FLOW", "O-1", "600").await;
    let shipped = c
        .ship_reservation(pb::ShipReservationRequest {
            reservation_id: r.reservation_id.clone(),
            amount: money("200", "EUR"),
            request_id: rid(),
        })
        .await
        .expect("ship")
        .into_inner();
    assert_eq!(amount_of(&shipped.open_amount), "400.00");
    assert_eq!(amount_of(&shipped.delivered_amount), "200.00");
    let too_much = c
        .ship_reservation(pb::ShipReservationRequest {
            reservation_id: r.reservation_id.clone(),
            amount: money("400.01", "EUR"),
            request_id: rid(),
        })
        .await
        .expect_err("above the open amount");
    assert_eq!(too_much.code(), tonic::Code::InvalidArgument);

    let e = exposure(&mut c, "FLOW").await.own.expect("own");
    assert_eq!(
        (
            amount_of(&e.reserved_orders),
            amount_of(&e.delivered_not_invoiced)
        ),
        ("400.00".into(), "200.00".into())
    );

    let invoiced = c
        .invoice_reservation(pb::InvoiceReservationRequest {
            reservation_id: r.reservation_id.clone(),
            amount: money("600", "EUR"),
            document_id: "INV-9".into(),
            due_time: None,
            request_id: rid(),
        })
        .await
        .expect("invoice")
        .into_inner();
    assert_eq!(
        pb::ReservationState::try_from(invoiced.state),
        Ok(pb::ReservationState::Captured)
    );
    let e = exposure(&mut c, "FLOW").await.own.expect("own");
    assert_eq!(amount_of(&e.reserved_orders), "0.00");
    assert_eq!(amount_of(&e.delivered_not_invoiced), "0.00");
    assert_eq!(amount_of(&e.open_receivables), "600.00");

    // Paying the invoice closes the receivable: exposure follows the ledger.
    c.post_receivable(pb::PostReceivableRequest {
        customer_id: "FLOW".into(),
        document_id: "INV-9".into(),
        open_amount: money("0", "EUR"),
        ..Default::default()
    })
    .await
    .expect("paid");
    assert_eq!(
        amount_of(
            &exposure(&mut c, "FLOW")
                .await
                .own
                .expect("own")
                .open_receivables
        ),
        "0.00"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_reservation_resolves_at_most_once() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "ONCE", "").await;
    set_limit(&app, "ONCE", amount_limit("1000", "EUR")).await;
    let r = reserve(&mut c, "ONCE", "O-1", "300").await;
    let release = |id: String| pb::ReleaseReservationRequest {
        reservation_id: id,
        reason: "order cancelled".into(),
        request_id: rid(),
    };
    let released = c
        .release_reservation(release(r.reservation_id.clone()))
        .await
        .expect("release")
        .into_inner();
    assert_eq!(
        pb::ReservationState::try_from(released.state),
        Ok(pb::ReservationState::Released)
    );
    let err = c
        .release_reservation(release(r.reservation_id.clone()))
        .await
        .expect_err("twice");
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);
    let err = c
        .ship_reservation(pb::ShipReservationRequest {
            reservation_id: r.reservation_id,
            amount: money("1", "EUR"),
            request_id: rid(),
        })
        .await
        .expect_err("ship after release");
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);
    assert_eq!(
        amount_of(
            &exposure(&mut c, "ONCE")
                .await
                .own
                .expect("own")
                .reserved_orders
        ),
        "0.00"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_unused_reservation_expires_by_itself() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "EXP", "").await;
    set_limit(&app, "EXP", amount_limit("1000", "EUR")).await;
    let mut request = check_request("EXP", "O-1", "900", "EUR");
    request.reservation_ttl = Some(prost_types::Duration {
        seconds: 3600,
        nanos: 0,
    });
    let r = c
        .check_credit(request)
        .await
        .expect("check")
        .into_inner()
        .reservation
        .expect("reserved");
    assert_eq!(
        reasons(&check(&mut c, "EXP", "O-2", "500").await),
        [pb::CheckReason::OverLimit]
    );
    app.clock.advance(3600 * 1_000_000);
    // The next check on the account releases what expired before deciding.
    assert_eq!(
        outcome(&check(&mut c, "EXP", "O-2", "500").await),
        pb::CheckOutcome::Approved
    );
    let expired = c
        .get_reservation(pb::GetReservationRequest {
            reservation_id: r.reservation_id,
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(
        pb::ReservationState::try_from(expired.state),
        Ok(pb::ReservationState::Expired)
    );
    assert_eq!(
        amount_of(
            &exposure(&mut c, "EXP")
                .await
                .own
                .expect("own")
                .reserved_orders
        ),
        "500.00"
    );
    app.stop().await;
}

#[tokio::test]
async fn posting_the_same_receivable_twice_changes_nothing_and_history_answers_the_past() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "LEDGER", "").await;
    let post = |amount: &str| pb::PostReceivableRequest {
        customer_id: "LEDGER".into(),
        document_id: "INV-1".into(),
        open_amount: money(amount, "EUR"),
        ..Default::default()
    };
    c.post_receivable(post("1200")).await.expect("post");
    c.post_receivable(post("1200")).await.expect("post again");
    assert_eq!(
        amount_of(
            &exposure(&mut c, "LEDGER")
                .await
                .own
                .expect("own")
                .open_receivables
        ),
        "1200.00"
    );
    app.clock.advance(DAY);
    c.post_receivable(post("200")).await.expect("partly paid");
    assert_eq!(
        amount_of(
            &exposure(&mut c, "LEDGER")
                .await
                .own
                .expect("own")
                .open_receivables
        ),
        "200.00"
    );
    let then = c
        .get_exposure(pb::GetExposureRequest {
            customer_id: "LEDGER".into(),
            as_of_time: Some(credit_platform::clock::to_timestamp(START + DAY / 2)),
        })
        .await
        .expect("as of")
        .into_inner();
    assert_eq!(
        amount_of(&then.own.expect("own").open_receivables),
        "1200.00"
    );
    let before = c
        .get_exposure(pb::GetExposureRequest {
            customer_id: "LEDGER".into(),
            as_of_time: Some(credit_platform::clock::to_timestamp(START - 1)),
        })
        .await
        .expect("before")
        .into_inner();
    assert_eq!(
        amount_of(&before.own.expect("own").open_receivables),
        "0.00"
    );
    app.stop().await;
}
