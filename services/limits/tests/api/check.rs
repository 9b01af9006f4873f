use crate::helpers::*;
use credit_proto::limits as pb;
use pb::CheckReason as R;

#[tokio::test]
async fn an_order_within_the_limit_is_approved_and_reserved() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "ACME", "").await;
    set_limit(&app, "ACME", amount_limit("10000", "EUR")).await;
    let answer = check(&mut c, "ACME", "SO-1", "2500.50").await;
    assert_eq!(outcome(&answer), pb::CheckOutcome::Approved);
    assert_eq!(amount_of(&answer.available_before), "10000.00");
    assert_eq!(amount_of(&answer.available_after), "7499.50");
    let reservation = answer.reservation.expect("reservation");
    assert_eq!(amount_of(&reservation.open_amount), "2500.50");
    assert_eq!(
        pb::ReservationState::try_from(reservation.state),
        Ok(pb::ReservationState::Open)
    );
    let e = exposure(&mut c, "ACME").await;
    assert_eq!(amount_of(&e.own.expect("own").reserved_orders), "2500.50");
    assert_eq!(amount_of(&e.available_credit), "7499.50");
    app.stop().await;
}

#[tokio::test]
async fn a_rejected_order_says_what_would_pass_and_which_limit_binds() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "ACME", "").await;
    set_limit(&app, "ACME", amount_limit("1000", "EUR")).await;
    check(&mut c, "ACME", "SO-1", "700").await;
    let answer = check(&mut c, "ACME", "SO-2", "400").await;
    assert_eq!(outcome(&answer), pb::CheckOutcome::Rejected);
    assert_eq!(reasons(&answer), [R::OverLimit]);
    assert_eq!(amount_of(&answer.max_approvable_amount), "300.00");
    assert_eq!(
        pb::BindingLimit::try_from(answer.binding_limit),
        Ok(pb::BindingLimit::Own)
    );
    assert!(answer.reservation.is_none());
    assert_eq!(
        amount_of(
            &exposure(&mut c, "ACME")
                .await
                .own
                .expect("own")
                .reserved_orders
        ),
        "700.00"
    );
    app.stop().await;
}

#[tokio::test]
async fn no_limit_zero_limit_and_unlimited_answer_differently() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    for id in ["NONE", "ZERO", "OPEN"] {
        create_account(&mut c, id, "").await;
    }
    set_limit(&app, "ZERO", amount_limit("0", "EUR")).await;
    set_limit(
        &app,
        "OPEN",
        pb::CreditLimit {
            mode: pb::LimitMode::Unlimited as i32,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        reasons(&check(&mut c, "NONE", "O-1", "1").await),
        [R::NoLimit]
    );
    let zero = check(&mut c, "ZERO", "O-2", "1").await;
    assert_eq!(reasons(&zero), [R::OverLimit]);
    assert_eq!(amount_of(&zero.max_approvable_amount), "0.00");
    let open = check(&mut c, "OPEN", "O-3", "99999999").await;
    assert_eq!(outcome(&open), pb::CheckOutcome::Approved);
    assert_eq!(reasons(&open), [R::Unlimited]);
    assert_eq!(
        amount_of(
            &exposure(&mut c, "OPEN")
                .await
                .own
                .expect("own")
                .reserved_orders
        ),
        "99999999.00"
    );
    app.stop().await;
}

#[tokio::test]
async fn tolerance_lets_an_order_through_and_is_reported() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "TOL", "").await;
    let mut limit = amount_limit("1000", "EUR");
    limit.tolerance = Some(pb::Tolerance {
        kind: Some(pb::tolerance::Kind::Percent("5".into())),
    });
    set_limit(&app, "TOL", limit).await;
    let within = check(&mut c, "TOL", "O-1", "1040").await;
    assert_eq!(outcome(&within), pb::CheckOutcome::Approved);
    assert_eq!(reasons(&within), [R::WithinTolerance]);
    let over = check(&mut c, "TOL", "O-2", "20").await;
    assert_eq!(reasons(&over), [R::OverLimit]);
    assert_eq!(amount_of(&over.max_approvable_amount), "10.00");
    assert_eq!(
        pb::BindingLimit::try_from(over.binding_limit),
        Ok(pb::BindingLimit::Tolerance)
    );
    app.stop().await;
}

#[tokio::test]
async fn a_parent_limit_caps_the_whole_group() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "GROUP", "").await;
    create_account(&mut c, "SUB-A", "GROUP").await;
    create_account(&mut c, "SUB-B", "GROUP").await;
    set_limit(&app, "GROUP", amount_limit("1000", "EUR")).await;
    set_limit(&app, "SUB-A", amount_limit("800", "EUR")).await;
    set_limit(&app, "SUB-B", amount_limit("800", "EUR")).await;
    assert_eq!(
        outcome(&check(&mut c, "SUB-A", "O-1", "700").await),
        pb::CheckOutcome::Approved
    );
    let b = check(&mut c, "SUB-B", "O-2", "500").await;
    assert_eq!(reasons(&b), [R::GroupLimitExceeded]);
    assert_eq!(amount_of(&b.max_approvable_amount), "300.00");
    assert_eq!(b.binding_customer_id, "GROUP");
    assert_eq!(
        outcome(&check(&mut c, "SUB-B", "O-3", "300").await),
        pb::CheckOutcome::Approved
    );
    let group = exposure(&mut c, "GROUP").await;
    assert_eq!(
        amount_of(&group.group.expect("group").reserved_orders),
        "1000.00"
    );
    assert_eq!(group.utilisation, "1.0000");
    app.stop().await;
}

#[tokio::test]
async fn a_hold_rejects_every_check_until_released() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "HOLD", "").await;
    create_account(&mut c, "HOLD-SUB", "HOLD").await;
    set_limit(&app, "HOLD", amount_limit("1000", "EUR")).await;
    set_limit(&app, "HOLD-SUB", amount_limit("1000", "EUR")).await;
    let hold = c
        .place_credit_hold(pb::PlaceCreditHoldRequest {
            customer_id: "HOLD".into(),
            reason: "insolvency rumour".into(),
            request_id: rid(),
            ..Default::default()
        })
        .await
        .expect("hold")
        .into_inner();
    assert_eq!(
        reasons(&check(&mut c, "HOLD", "O-1", "1").await),
        [R::AccountOnHold]
    );
    assert_eq!(
        reasons(&check(&mut c, "HOLD-SUB", "O-2", "1").await),
        [R::GroupOnHold]
    );
    c.release_credit_hold(pb::ReleaseCreditHoldRequest {
        hold_id: hold.hold_id.clone(),
        reason: "cleared".into(),
        request_id: rid(),
    })
    .await
    .expect("release");
    assert_eq!(
        outcome(&check(&mut c, "HOLD", "O-3", "1").await),
        pb::CheckOutcome::Approved
    );
    let err = c
        .release_credit_hold(pb::ReleaseCreditHoldRequest {
            hold_id: hold.hold_id,
            reason: "again".into(),
            request_id: rid(),
        })
        .await
        .expect_err("released twice");
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);
    app.stop().await;
}

#[tokio::test]
async fn a_rule_hold_is_placed_once_per_rule() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "RULED", "").await;
    let place = || pb::PlaceCreditHoldRequest {
        customer_id: "RULED".into(),
        reason: "overdue beyond 60 days".into(),
        kind: pb::CreditHoldKind::Rule as i32,
        rule_code: "OVERDUE_60".into(),
        request_id: rid(),
    };
    let first = c
        .place_credit_hold(place())
        .await
        .expect("first")
        .into_inner();
    let second = c
        .place_credit_hold(place())
        .await
        .expect("second")
        .into_inner();
    assert_eq!(first.hold_id, second.hold_id);
    let holds = c
        .list_credit_holds(pb::ListCreditHoldsRequest {
            customer_id: "RULED".into(),
            include_released: true,
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(holds.credit_holds.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_foreign_currency_order_is_converted_at_the_rate_in_force() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "FX", "").await;
    set_limit(&app, "FX", amount_limit("1000", "EUR")).await;
    let no_rate = c
        .check_credit(check_request("FX", "O-1", "100", "USD"))
        .await
        .expect("check")
        .into_inner();
    assert_eq!(reasons(&no_rate), [R::NoFxRate]);
    for (rate, at) in [("0.90", START - DAY), ("0.95", START - 1)] {
        c.set_fx_rate(pb::SetFxRateRequest {
            fx_rate: Some(pb::FxRate {
                base_currency_code: "USD".into(),
                quote_currency_code: "EUR".into(),
                rate: rate.into(),
                effective_time: Some(credit_platform::clock::to_timestamp(at)),
                actor_subject: String::new(),
            }),
            request_id: rid(),
        })
        .await
        .expect("rate");
    }
    let answer = c
        .check_credit(check_request("FX", "O-2", "100.01", "USD"))
        .await
        .expect("check")
        .into_inner();
    assert_eq!(outcome(&answer), pb::CheckOutcome::Approved);
    assert_eq!(amount_of(&answer.checked_amount), "95.01");
    assert_eq!(answer.fx_conversion.expect("fx").rate, "0.95");
    // JPY has no minor unit; the largest order in JPY is rounded down.
    c.set_fx_rate(pb::SetFxRateRequest {
        fx_rate: Some(pb::FxRate {
            base_currency_code: "EUR".into(),
            quote_currency_code: "JPY".into(),
            rate: "160".into(),
            effective_time: Some(credit_platform::clock::to_timestamp(START - 1)),
            actor_subject: String::new(),
        }),
        request_id: rid(),
    })
    .await
    .expect("rate");
    let yen = c
        .check_credit(check_request("FX", "O-3", "1000000", "JPY"))
        .await
        .expect("check")
        .into_inner();
    assert_eq!(reasons(&yen), [R::OverLimit]);
    assert_eq!(amount_of(&yen.max_approvable_order_amount), "144798");
    app.stop().await;
}

#[tokio::test]
async fn limits_expire_and_temporary_limits_end_by_themselves() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "SEASON", "").await;
    let mut limit = amount_limit("1000", "EUR");
    limit.valid_to = Some(credit_platform::clock::to_timestamp(START + 30 * DAY));
    limit.temporary_limit = Some(pb::TemporaryLimit {
        amount: money("500", "EUR"),
        valid_from: None,
        valid_to: Some(credit_platform::clock::to_timestamp(START + 10 * DAY)),
    });
    set_limit(&app, "SEASON", limit).await;
    let peak = check(&mut c, "SEASON", "O-1", "1200").await;
    assert_eq!(outcome(&peak), pb::CheckOutcome::Approved);
    c.release_reservation(pb::ReleaseReservationRequest {
        reservation_id: peak.reservation.expect("reservation").reservation_id,
        reason: "cancelled".into(),
        request_id: rid(),
    })
    .await
    .expect("release");
    app.clock.advance(10 * DAY);
    assert_eq!(
        reasons(&check(&mut c, "SEASON", "O-2", "1200").await),
        [R::OverLimit]
    );
    app.clock.advance(20 * DAY);
    assert_eq!(
        reasons(&check(&mut c, "SEASON", "O-3", "1").await),
        [R::LimitExpired]
    );
    app.stop().await;
}

#[tokio::test]
async fn the_same_request_id_replays_the_first_answer_and_never_reserves_twice() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "IDEM", "").await;
    set_limit(&app, "IDEM", amount_limit("1000", "EUR")).await;
    let request = check_request("IDEM", "O-1", "600", "EUR");
    let first = c
        .check_credit(request.clone())
        .await
        .expect("first")
        .into_inner();
    let again = c
        .check_credit(request.clone())
        .await
        .expect("again")
        .into_inner();
    assert_eq!(first, again);
    assert_eq!(
        amount_of(
            &exposure(&mut c, "IDEM")
                .await
                .own
                .expect("own")
                .reserved_orders
        ),
        "600.00"
    );
    let mut changed = request;
    changed.amount = money("700", "EUR");
    let err = c
        .check_credit(changed)
        .await
        .expect_err("same id, other amount");
    assert_eq!(err.code(), tonic::Code::AlreadyExists);
    app.stop().await;
}

#[tokio::test]
async fn rechecking_an_order_adjusts_its_reservation() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "ADJ", "").await;
    set_limit(&app, "ADJ", amount_limit("1000", "EUR")).await;
    let first = check(&mut c, "ADJ", "O-1", "600").await;
    let second = check(&mut c, "ADJ", "O-1", "900").await;
    assert_eq!(outcome(&second), pb::CheckOutcome::Approved);
    assert_eq!(reasons(&second), [R::ReservationAdjusted]);
    assert_eq!(
        first.reservation.expect("first").reservation_id,
        second.reservation.as_ref().expect("second").reservation_id
    );
    assert_eq!(
        amount_of(
            &exposure(&mut c, "ADJ")
                .await
                .own
                .expect("own")
                .reserved_orders
        ),
        "900.00"
    );
    let too_much = check(&mut c, "ADJ", "O-1", "1100").await;
    assert_eq!(reasons(&too_much), [R::OverLimit]);
    assert_eq!(amount_of(&too_much.max_approvable_amount), "1000.00");
    app.stop().await;
}

#[tokio::test]
async fn a_past_decision_is_shown_with_its_inputs_and_replays_identically() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "AUDIT", "").await;
    set_limit(&app, "AUDIT", amount_limit("1000", "EUR")).await;
    let approved = check(&mut c, "AUDIT", "O-1", "800").await;
    let rejected = check(&mut c, "AUDIT", "O-2", "300").await;
    // Later changes must not alter the replay of earlier decisions.
    set_limit(&app, "AUDIT", amount_limit("5000", "EUR")).await;
    for answer in [approved, rejected] {
        let decision = c
            .get_credit_decision(pb::GetCreditDecisionRequest {
                decision_id: answer.decision_id.clone(),
            })
            .await
            .expect("decision")
            .into_inner();
        assert_eq!(decision.response.as_ref(), Some(&answer));
        assert!(decision.inputs_json.contains("\"group_exposure\""));
        let replay = c
            .replay_credit_decision(pb::ReplayCreditDecisionRequest {
                decision_id: answer.decision_id.clone(),
            })
            .await
            .expect("replay")
            .into_inner();
        assert!(replay.identical, "{replay:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_dry_run_decides_without_reserving() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "DRY", "").await;
    set_limit(&app, "DRY", amount_limit("1000", "EUR")).await;
    let mut request = check_request("DRY", "O-1", "500", "EUR");
    request.dry_run = true;
    request.request_id.clear();
    let answer = c.check_credit(request).await.expect("dry run").into_inner();
    assert_eq!(outcome(&answer), pb::CheckOutcome::Approved);
    assert!(answer.decision_id.is_empty() && answer.reservation.is_none());
    assert_eq!(
        amount_of(
            &exposure(&mut c, "DRY")
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
async fn shown_only_categories_do_not_consume_the_limit() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "SHOWN", "").await;
    set_limit(&app, "SHOWN", amount_limit("1000", "EUR")).await;
    c.post_receivable(pb::PostReceivableRequest {
        customer_id: "SHOWN".into(),
        document_id: "INV-1".into(),
        open_amount: money("900", "EUR"),
        ..Default::default()
    })
    .await
    .expect("receivable");
    assert_eq!(
        reasons(&check(&mut c, "SHOWN", "O-1", "200").await),
        [R::OverLimit]
    );
    c.set_exposure_counting(pb::SetExposureCountingRequest {
        exposure_counting: Some(pb::ExposureCounting {
            scope: pb::ExposureCountingScope::Segment as i32,
            scope_id: "SME".into(),
            reserved_orders: true,
            delivered_not_invoiced: true,
            open_receivables: false,
            other_commitments: true,
        }),
        request_id: rid(),
    })
    .await
    .expect("counting");
    assert_eq!(
        outcome(&check(&mut c, "SHOWN", "O-2", "200").await),
        pb::CheckOutcome::Approved
    );
    let e = exposure(&mut c, "SHOWN").await;
    assert_eq!(
        amount_of(&e.own.as_ref().expect("own").counted_total),
        "200.00"
    );
    assert_eq!(amount_of(&e.own.as_ref().expect("own").total), "1100.00");
    assert_eq!(
        pb::ExposureCountingScope::try_from(e.counting.expect("counting").scope),
        Ok(pb::ExposureCountingScope::Segment)
    );
    app.stop().await;
}

#[tokio::test]
async fn a_release_reserves_a_rejected_order_only_from_the_applications_service_and_replays_identically()
 {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "ACME", "").await;
    set_limit(&app, "ACME", amount_limit("1000", "EUR")).await;
    check(&mut c, "ACME", "SO-1", "900").await;
    let release = pb::CreditRelease {
        approved_by: "ana".into(),
        reference: "case-7".into(),
        reason: "paid by wire this morning".into(),
    };
    let mut released = check_request("ACME", "SO-2", "400", "EUR");
    released.release = Some(release.clone());

    // Sales checks orders but cannot release them; people release through a credit case in
    // applications (which checks their authority), never here directly — not even an admin.
    use credit_platform::auth::roles;
    for (who, role) in [
        ("sales", roles::SALES_ORDER),
        ("ana", roles::ANALYST),
        ("max", roles::MANAGER),
        ("root", roles::ADMIN),
    ] {
        let refused = app
            .client_as(who, Some(&[role]))
            .check_credit(released.clone())
            .await
            .expect_err("only the applications service releases");
        assert_eq!(refused.code(), tonic::Code::PermissionDenied, "{who}");
    }

    let mut empty = check_request("ACME", "SO-2", "400", "EUR");
    empty.release = Some(pb::CreditRelease::default());
    let mut applications = app.limit_setter();
    let invalid = applications
        .check_credit(empty)
        .await
        .expect_err("empty release");
    assert_eq!(invalid.code(), tonic::Code::InvalidArgument);
    for field in ["release.approved_by", "release.reference", "release.reason"] {
        assert!(
            invalid.message().contains(field) || format!("{invalid:?}").contains(field),
            "{field} named in {invalid:?}"
        );
    }

    let answer = applications
        .check_credit(released)
        .await
        .expect("released")
        .into_inner();
    assert_eq!(outcome(&answer), pb::CheckOutcome::Approved);
    assert_eq!(reasons(&answer), [R::OverLimit, R::ReleasedByApproval]);
    assert_eq!(amount_of(&answer.available_after), "-300.00");
    assert!(answer.reservation.is_some());
    let e = exposure(&mut c, "ACME").await;
    assert_eq!(amount_of(&e.own.expect("own").reserved_orders), "1300.00");

    // The release is part of the stored inputs: the decision replays identically.
    let replay = c
        .replay_credit_decision(pb::ReplayCreditDecisionRequest {
            decision_id: answer.decision_id.clone(),
        })
        .await
        .expect("replay")
        .into_inner();
    assert!(replay.identical, "{replay:?}");
    assert!(
        replay
            .decision
            .expect("decision")
            .inputs_json
            .contains("case-7")
    );
    app.stop().await;
}
