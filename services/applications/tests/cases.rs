//! Blocked orders against real limits and scoring servers: a rejected check referred as a
//! credit case, released by the level the amount needs (four eyes), rejected, or rechecked
//! after something changed — each outcome on the event feed the sales-order service reads.
mod support;

use credit_platform::auth::roles;
use credit_proto::applications as pb;
use credit_proto::limits as lpb;
use support::{Suite, eur, fields, rid, token};

/// The sales-order service checks an order and answers the decision.
async fn check(
    suite: &Suite,
    customer_id: &str,
    order_id: &str,
    amount: &str,
) -> lpb::CheckCreditResponse {
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", suite.limits_addr))
        .expect("uri")
        .connect_lazy();
    lpb::limits_service_client::LimitsServiceClient::with_interceptor(
        channel,
        token("order-service", &[roles::SALES_ORDER]),
    )
    .check_credit(lpb::CheckCreditRequest {
        customer_id: customer_id.into(),
        order_id: order_id.into(),
        amount: eur(amount),
        request_id: rid(),
        ..Default::default()
    })
    .await
    .expect("check")
    .into_inner()
}

async fn refer(
    c: &mut support::Client,
    decision_id: &str,
) -> Result<pb::CreditCase, tonic::Status> {
    c.refer_blocked_order(pb::ReferBlockedOrderRequest {
        decision_id: decision_id.into(),
        request_id: rid(),
    })
    .await
    .map(tonic::Response::into_inner)
}

async fn release(c: &mut support::Client, case_id: &str) -> Result<pb::CreditCase, tonic::Status> {
    c.release_blocked_order(pb::ReleaseBlockedOrderRequest {
        case_id: case_id.into(),
        comment: "the customer wired 20 000 this morning".into(),
        request_id: rid(),
    })
    .await
    .map(tonic::Response::into_inner)
}

async fn reserved(suite: &Suite, customer_id: &str) -> String {
    suite
        .limits_client()
        .get_exposure(lpb::GetExposureRequest {
            customer_id: customer_id.into(),
            ..Default::default()
        })
        .await
        .expect("exposure")
        .into_inner()
        .own
        .and_then(|o| o.reserved_orders)
        .map(|m| m.amount)
        .unwrap_or_default()
}

#[tokio::test]
async fn a_blocked_order_is_referred_and_released_by_the_level_its_amount_needs() {
    let suite = Suite::start().await;
    suite.approved_customer("BLOCK-FR").await;
    let mut sales = suite.sales();

    let fits = check(&suite, "BLOCK-FR", "SO-0", "1000").await;
    let status = refer(&mut sales, &fits.decision_id)
        .await
        .expect_err("nothing blocked");
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    let status = refer(&mut sales, "not-a-uuid").await.expect_err("bad id");
    assert_eq!(fields(status), ["decision_id"]);

    let blocked = check(&suite, "BLOCK-FR", "SO-1", "45000").await;
    assert_eq!(blocked.outcome(), lpb::CheckOutcome::Rejected);
    let case = refer(&mut sales, &blocked.decision_id)
        .await
        .expect("refer");
    assert_eq!(case.state(), pb::CreditCaseState::Open);
    assert_eq!(case.order_id, "SO-1");
    assert_eq!(case.order_amount, eur("45000.00"));
    assert_eq!(case.checks.len(), 1);
    assert_eq!(
        case.checks[0].reasons().collect::<Vec<_>>(),
        [lpb::CheckReason::OverLimit]
    );
    assert_eq!(case.checks[0].available_before, eur("39000.00"));
    assert!(case.inputs_json.contains("levels"), "{}", case.inputs_json);
    assert_eq!(case.required_level, "analyst");
    assert_eq!(case.referred_by, "sam.sales");
    // Referring the same decision again finds the case.
    let again = refer(&mut sales, &blocked.decision_id)
        .await
        .expect("again");
    assert_eq!(again.case_id, case.case_id);

    // Sales cannot release; the referrer cannot release (four eyes); an analyst can.
    let status = release(&mut sales, &case.case_id).await.expect_err("sales");
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    let mut analyst_referrer = suite.client("ana.analyst", &[roles::ANALYST]);
    let second = check(&suite, "BLOCK-FR", "SO-2", "41000").await;
    let own = refer(&mut analyst_referrer, &second.decision_id)
        .await
        .expect("refer");
    let status = release(&mut analyst_referrer, &own.case_id)
        .await
        .expect_err("four eyes");
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    assert!(status.message().contains("four-eyes"), "{status:?}");

    let mut analyst = suite.client("al.analyst", &[roles::ANALYST]);
    let status = analyst
        .release_blocked_order(pb::ReleaseBlockedOrderRequest {
            case_id: case.case_id.clone(),
            comment: String::new(),
            request_id: rid(),
        })
        .await
        .expect_err("no comment");
    assert_eq!(fields(status), ["comment"]);
    let released = release(&mut analyst, &case.case_id).await.expect("release");
    assert_eq!(released.state(), pb::CreditCaseState::Released);
    assert_eq!(
        released.resolution(),
        pb::CreditCaseResolution::ReleasedByApproval
    );
    assert_eq!(released.resolved_by, "al.analyst");
    assert!(!released.reservation_id.is_empty());
    let last = released.checks.last().expect("release check");
    assert_eq!(
        last.reasons().collect::<Vec<_>>(),
        [
            lpb::CheckReason::OverLimit,
            lpb::CheckReason::ReleasedByApproval
        ]
    );
    assert_eq!(reserved(&suite, "BLOCK-FR").await, "46000.00");
    let status = release(&mut analyst, &case.case_id)
        .await
        .expect_err("twice");
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert!(status.message().contains("RELEASED"), "{status:?}");

    // A large order needs the manager level, to release it or to reject it.
    let large = check(&suite, "BLOCK-FR", "SO-3", "200000").await;
    let big = refer(&mut sales, &large.decision_id).await.expect("refer");
    assert_eq!(big.required_level, "manager");
    let status = release(&mut analyst, &big.case_id)
        .await
        .expect_err("authority");
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    assert!(status.message().contains("manager"), "{status:?}");
    let reject = || pb::RejectBlockedOrderRequest {
        case_id: big.case_id.clone(),
        reason: "five times the limit".into(),
        request_id: rid(),
    };
    let status = analyst
        .reject_blocked_order(reject())
        .await
        .expect_err("rejecting needs the same authority");
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    assert!(status.message().contains("manager"), "{status:?}");
    // Nor does who referred it reject it (four eyes), whatever their role.
    let status = suite
        .client("sam.sales", &[roles::SALES_ORDER, roles::MANAGER])
        .reject_blocked_order(reject())
        .await
        .expect_err("four eyes");
    assert_eq!(status.code(), tonic::Code::PermissionDenied, "{status:?}");
    let rejected = suite
        .client("max.manager", &[roles::MANAGER])
        .reject_blocked_order(reject())
        .await
        .expect("reject")
        .into_inner();
    assert_eq!(rejected.state(), pb::CreditCaseState::Rejected);
    assert_eq!(reserved(&suite, "BLOCK-FR").await, "46000.00");

    // The sales-order service reads the outcomes on the applications feed.
    let events: Vec<_> = suite
        .events_as("order-service", roles::SALES_ORDER)
        .await
        .into_iter()
        .filter(|e| e.entity_type == "credit_case")
        .collect();
    let outcome = |case_id: &str, event_type: &str| {
        events
            .iter()
            .any(|e| e.entity_id == case_id && e.event_type == event_type)
    };
    assert!(outcome(
        &case.case_id,
        "credit.applications.credit_case.opened"
    ));
    assert!(outcome(
        &case.case_id,
        "credit.applications.credit_case.released"
    ));
    assert!(outcome(
        &big.case_id,
        "credit.applications.credit_case.rejected"
    ));
    let released_event = events
        .iter()
        .find(|e| e.event_type == "credit.applications.credit_case.released")
        .expect("released");
    assert!(released_event.payload_json.contains("SO-1"));
    assert!(
        released_event
            .payload_json
            .contains(&released.reservation_id)
    );
    suite.stop().await;
}

#[tokio::test]
async fn a_recheck_releases_the_order_once_it_fits() {
    let suite = Suite::start().await;
    suite.approved_customer("WAIT-FR").await;
    let mut sales = suite.sales();
    let blocked = check(&suite, "WAIT-FR", "SO-9", "45000").await;
    let case = refer(&mut sales, &blocked.decision_id)
        .await
        .expect("refer");
    let recheck = |c: &mut support::Client| {
        let mut c = c.clone();
        let case_id = case.case_id.clone();
        async move {
            c.recheck_blocked_order(pb::RecheckBlockedOrderRequest {
                case_id,
                request_id: rid(),
            })
            .await
            .expect("recheck")
            .into_inner()
        }
    };
    let still = recheck(&mut sales).await;
    assert_eq!(still.state(), pb::CreditCaseState::Open);
    assert_eq!(still.checks.len(), 2);
    assert_eq!(reserved(&suite, "WAIT-FR").await, "0.00");
    // The limit went up meanwhile.
    suite
        .limit_setter_client()
        .set_credit_limit(lpb::SetCreditLimitRequest {
            customer_id: "WAIT-FR".into(),
            credit_limit: Some(lpb::CreditLimit {
                mode: lpb::LimitMode::Amount as i32,
                amount: eur("60000"),
                ..Default::default()
            }),
            reason: "raised by the credit manager".into(),
            request_id: rid(),
            approved_by: vec!["max.manager".into()],
            approval_reference: "APP-WAIT-FR".into(),
        })
        .await
        .expect("raise");
    let fits = recheck(&mut sales).await;
    assert_eq!(fits.state(), pb::CreditCaseState::Released);
    assert_eq!(
        fits.resolution(),
        pb::CreditCaseResolution::ReleasedOnRecheck
    );
    assert_eq!(fits.checks.len(), 3);
    assert!(!fits.reservation_id.is_empty());
    assert_eq!(reserved(&suite, "WAIT-FR").await, "45000.00");
    let listed = suite
        .client("vic.viewer", &[roles::VIEWER])
        .list_credit_cases(pb::ListCreditCasesRequest {
            state: pb::CreditCaseState::Released as i32,
            customer_id: "WAIT-FR".into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .cases;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].case_id, case.case_id);
    suite.stop().await;
}
