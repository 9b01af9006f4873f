//! End-to-end through the gateway: an order blocked by the credit check is released by an
//! analyst, the limit raised through an application, and audit shows it.
mod support;

use credit_applications::testing::sound_application as application;
use credit_platform::auth::roles;
use credit_proto::applications as pb;
use credit_proto::applications::applications_service_client::ApplicationsServiceClient;
use credit_proto::limits as lpb;
use credit_proto::limits::limits_service_client::LimitsServiceClient;
use support::Journey;
use support::applications::{audited, bureau, eur, rid, wait_limit};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_order_is_released_by_an_analyst_the_limit_raised_and_audit_shows_it() {
    let journey = Journey::start().await;
    let client = |subject: &str, role: &str| {
        ApplicationsServiceClient::with_interceptor(
            journey.channel.clone(),
            journey.token_for(subject, &[role]),
        )
    };
    bureau(&journey, "GROWCO-FR").await;
    let mut sales = client("sam.sales", roles::SALES_ORDER);
    let draft = sales
        .create_application(pb::CreateApplicationRequest {
            application: Some(application("GROWCO-FR", "FR40303265045", "40000")),
            request_id: rid(),
        })
        .await
        .expect("draft")
        .into_inner();
    sales
        .submit_application(pb::SubmitApplicationRequest {
            application_id: draft.application_id.clone(),
            request_id: rid(),
        })
        .await
        .expect("submit");
    let mut limits = LimitsServiceClient::with_interceptor(
        journey.channel.clone(),
        journey.token_for("orders", &[roles::SALES_ORDER]),
    );
    wait_limit(&mut limits, "GROWCO-FR", "40000.00").await;

    // The order is over the limit: the sales-order service refers it instead of failing it.
    let blocked = limits
        .check_credit(lpb::CheckCreditRequest {
            customer_id: "GROWCO-FR".into(),
            order_id: "SO-500".into(),
            amount: eur("55000"),
            request_id: rid(),
            ..Default::default()
        })
        .await
        .expect("check")
        .into_inner();
    assert_eq!(blocked.outcome(), lpb::CheckOutcome::Rejected);
    let mut orders = client("orders", roles::SALES_ORDER);
    let case = orders
        .refer_blocked_order(pb::ReferBlockedOrderRequest {
            decision_id: blocked.decision_id.clone(),
            request_id: rid(),
        })
        .await
        .expect("refer")
        .into_inner();
    let released = client("bob.analyst", roles::ANALYST)
        .release_blocked_order(pb::ReleaseBlockedOrderRequest {
            case_id: case.case_id.clone(),
            comment: "guaranteed by the parent company".into(),
            request_id: rid(),
        })
        .await
        .expect("release")
        .into_inner();
    assert_eq!(released.state(), pb::CreditCaseState::Released);
    let reservation = limits
        .get_reservation(lpb::GetReservationRequest {
            reservation_id: released.reservation_id.clone(),
        })
        .await
        .expect("reservation")
        .into_inner();
    assert_eq!(reservation.order_id, "SO-500");

    // Sales asks for a permanent increase: referred to the analyst level and approved there.
    let asked = sales
        .request_limit_change(pb::RequestLimitChangeRequest {
            customer_id: "GROWCO-FR".into(),
            kind: pb::ApplicationKind::LimitIncrease as i32,
            requested_limit: eur("90000"),
            reason: "orders doubled since the spring".into(),
            request_id: rid(),
            ..Default::default()
        })
        .await
        .expect("change")
        .into_inner();
    assert_eq!(asked.state(), pb::ApplicationState::InReview, "{asked:?}");
    let approved = client("bob.analyst", roles::ANALYST)
        .approve_application(pb::ApproveApplicationRequest {
            application_id: asked.application_id.clone(),
            request_id: rid(),
            ..Default::default()
        })
        .await;
    // Scoring may recommend less than asked: then the approval needs the override authority.
    let approved = match approved {
        Ok(a) => a.into_inner(),
        Err(status) => {
            assert!(
                matches!(
                    status.code(),
                    tonic::Code::InvalidArgument | tonic::Code::PermissionDenied
                ),
                "{status:?}"
            );
            client("bob.analyst", roles::ANALYST)
                .approve_application(pb::ApproveApplicationRequest {
                    application_id: asked.application_id.clone(),
                    approved_limit: asked
                        .recommendation
                        .clone()
                        .and_then(|r| r.recommended_limit),
                    request_id: rid(),
                    ..Default::default()
                })
                .await
                .expect("approve within the recommendation")
                .into_inner()
        }
    };
    assert_eq!(approved.state(), pb::ApplicationState::Approved);
    let granted = approved
        .final_decision
        .and_then(|d| d.approved_limit)
        .expect("granted")
        .amount;
    wait_limit(&mut limits, "GROWCO-FR", &granted).await;

    let seen = audited(
        &journey,
        "GROWCO-FR",
        &[
            "credit.limits.credit_check.rejected",
            "credit.applications.credit_case.opened",
            "credit.applications.credit_case.released",
            "credit.limits.reservation.created",
            "credit.applications.limit_change.requested",
            "credit.applications.application.approved",
            "credit.limits.credit_limit.changed",
            "credit.limits.credit_limit.changed",
        ],
    )
    .await;
    let reserved = seen
        .iter()
        .find(|e| e.event_type == "credit.limits.reservation.created")
        .expect("reservation");
    assert!(
        reserved.payload_json.contains("bob.analyst")
            && reserved.payload_json.contains(&case.case_id),
        "the release names its approver and case: {}",
        reserved.payload_json
    );
    let changes = seen
        .iter()
        .filter(|e| e.event_type == "credit.limits.credit_limit.changed")
        .count();
    assert_eq!(changes, 2, "the first limit, then the increase");
    assert!(journey.assert_every_event_is_typed().await > 10);
    journey.stop().await;
}
