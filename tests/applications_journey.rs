//! End-to-end through the gateway: a customer applies, is decided automatically, its limit is in
//! place and its first order passes the credit check; a larger application is referred and
//! approved by two approvers; audit shows every step.
mod support;

use credit_applications::testing::{sound_application as application, sound_bureau_report};
use credit_platform::auth::roles;
use credit_proto::applications as pb;
use credit_proto::applications::applications_service_client::ApplicationsServiceClient;
use credit_proto::audit as apb;
use credit_proto::audit::audit_service_client::AuditServiceClient;
use credit_proto::limits as lpb;
use credit_proto::limits::limits_service_client::LimitsServiceClient;
use credit_proto::scoring as spb;
use credit_proto::scoring::scoring_service_client::ScoringServiceClient;
use credit_proto::types::Money;
use std::time::Duration;
use support::Journey;

fn rid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn eur(amount: &str) -> Option<Money> {
    Some(Money {
        amount: amount.into(),
        currency_code: "EUR".into(),
    })
}

/// Waits until limits holds `amount` as the customer's limit.
async fn wait_limit(limits: &mut Limits, customer_id: &str, amount: &str) {
    for _ in 0..200 {
        let account = limits
            .get_credit_account(lpb::GetCreditAccountRequest {
                customer_id: customer_id.into(),
            })
            .await;
        if account.is_ok_and(|a| {
            a.into_inner()
                .credit_limit
                .and_then(|l| l.amount)
                .is_some_and(|m| m.amount == amount)
        }) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("limits never held {amount} for {customer_id}");
}

/// Waits until audit holds every `wanted` event type for the customer; answers its entries.
async fn audited(journey: &Journey, customer_id: &str, wanted: &[&str]) -> Vec<apb::AuditEntry> {
    let mut audit = AuditServiceClient::with_interceptor(journey.channel.clone(), journey.token());
    let mut seen = Vec::new();
    for _ in 0..300 {
        seen = audit
            .list_audit_entries(apb::ListAuditEntriesRequest {
                filter: Some(apb::AuditEntryFilter {
                    customer_id: customer_id.into(),
                    ..Default::default()
                }),
                page_size: 1000,
                ..Default::default()
            })
            .await
            .expect("history")
            .into_inner()
            .entries;
        // A type named n times in `wanted` must have been recorded n times: audit follows each
        // service's feed on its own, so one source's events can arrive before another's.
        let recorded = |w: &&str| seen.iter().filter(|e| e.event_type == *w).count();
        let expected = |w: &&str| wanted.iter().filter(|x| *x == w).count();
        if wanted.iter().all(|w| recorded(w) >= expected(w)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let types: Vec<&str> = seen.iter().map(|e| e.event_type.as_str()).collect();
    for w in wanted {
        assert!(types.contains(w), "{w} in {types:?}");
    }
    seen
}

type Limits = LimitsServiceClient<
    tonic::service::interceptor::InterceptedService<
        tonic::transport::Channel,
        credit_platform::auth::BearerToken,
    >,
>;

/// What a bureau provider reports on a sound company.
async fn bureau(journey: &Journey, customer_id: &str) {
    ScoringServiceClient::with_interceptor(
        journey.channel.clone(),
        journey.token_for("ana.analyst", &[roles::ANALYST]),
    )
    .put_bureau_report(spb::PutBureauReportRequest {
        customer_id: customer_id.into(),
        report: Some(sound_bureau_report()),
        request_id: rid(),
    })
    .await
    .expect("bureau");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_decide_set_the_limit_check_an_order_and_audit_every_step() {
    let journey = Journey::start().await;
    let client = |subject: &str, role: &str| {
        ApplicationsServiceClient::with_interceptor(
            journey.channel.clone(),
            journey.token_for(subject, &[role]),
        )
    };
    for customer in ["NEWCO-FR", "BIGCO-FR"] {
        bureau(&journey, customer).await;
    }

    // Apply → automatic decision → limit in place → the first order passes.
    let mut sales = client("sam.sales", roles::SALES_ORDER);
    let draft = sales
        .create_application(pb::CreateApplicationRequest {
            application: Some(application("NEWCO-FR", "FR40303265045", "40000")),
            request_id: rid(),
        })
        .await
        .expect("draft")
        .into_inner();
    let decided = sales
        .submit_application(pb::SubmitApplicationRequest {
            application_id: draft.application_id.clone(),
            request_id: rid(),
        })
        .await
        .expect("submit")
        .into_inner();
    assert_eq!(
        decided.state(),
        pb::ApplicationState::Approved,
        "{decided:?}"
    );
    assert!(decided.final_decision.as_ref().expect("decision").automatic);
    let mut limits = LimitsServiceClient::with_interceptor(
        journey.channel.clone(),
        journey.token_for("orders", &[roles::SALES_ORDER]),
    );
    wait_limit(&mut limits, "NEWCO-FR", "40000.00").await;
    let check = limits
        .check_credit(lpb::CheckCreditRequest {
            customer_id: "NEWCO-FR".into(),
            order_id: "SO-1".into(),
            amount: eur("12000"),
            request_id: rid(),
            ..Default::default()
        })
        .await
        .expect("check")
        .into_inner();
    assert_eq!(check.outcome(), lpb::CheckOutcome::Approved, "{check:?}");

    // A larger request is referred: an analyst, then a manager approve.
    let big = sales
        .create_application(pb::CreateApplicationRequest {
            application: Some(application("BIGCO-FR", "FR83404833048", "150000")),
            request_id: rid(),
        })
        .await
        .expect("draft")
        .into_inner();
    let referred = sales
        .submit_application(pb::SubmitApplicationRequest {
            application_id: big.application_id.clone(),
            request_id: rid(),
        })
        .await
        .expect("submit")
        .into_inner();
    assert_eq!(referred.state(), pb::ApplicationState::InReview);
    let levels: Vec<&str> = referred
        .approval_steps
        .iter()
        .map(|s| s.level.as_str())
        .collect();
    assert_eq!(levels, ["analyst", "manager"]);
    let approve = |id: &str| pb::ApproveApplicationRequest {
        application_id: id.into(),
        request_id: rid(),
        ..Default::default()
    };
    client("bob.analyst", roles::ANALYST)
        .approve_application(approve(&big.application_id))
        .await
        .expect("analyst");
    let approved = client("max.manager", roles::MANAGER)
        .approve_application(approve(&big.application_id))
        .await;
    // Scoring may recommend less than asked; then the manager's approval in full is an
    // override and needs its reason.
    let approved = match approved {
        Ok(a) => a.into_inner(),
        Err(status) => {
            assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
            client("max.manager", roles::MANAGER)
                .approve_application(pb::ApproveApplicationRequest {
                    override_reason_code: "STRATEGIC_CUSTOMER".into(),
                    override_comment: "long-standing relationship".into(),
                    ..approve(&big.application_id)
                })
                .await
                .expect("manager")
                .into_inner()
        }
    };
    assert_eq!(approved.state(), pb::ApplicationState::Approved);
    let approvers: Vec<String> = approved
        .approval_steps
        .iter()
        .flat_map(|s| s.approvals.iter().map(|a| a.approver.clone()))
        .collect();
    assert_eq!(approvers, ["bob.analyst", "max.manager"]);

    // Audit shows every step of the automatic case, the limit set by applications' own
    // identity in limits, and the order.
    let seen = audited(
        &journey,
        "NEWCO-FR",
        &[
            "credit.applications.application.created",
            "credit.applications.application.submitted",
            "credit.applications.application.approved",
            "credit.applications.limit.set",
            "credit.limits.credit_account.created",
            "credit.limits.credit_limit.changed",
            "credit.limits.reservation.created",
        ],
    )
    .await;
    let limit_set = seen
        .iter()
        .find(|e| e.event_type == "credit.limits.credit_limit.changed")
        .expect("limit change");
    assert_eq!(limit_set.actor_subject, "service:applications");
    let submitted = seen
        .iter()
        .find(|e| e.event_type == "credit.applications.application.submitted")
        .expect("submitted");
    assert_eq!(submitted.actor_subject, "sam.sales");
    assert!(
        !submitted.payload_json.contains("FR40303265045"),
        "tax id masked"
    );
    // Every event of the journey is typed, and its JSON is its message's.
    assert!(journey.assert_every_event_is_typed().await > 10);
    journey.stop().await;
}

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
