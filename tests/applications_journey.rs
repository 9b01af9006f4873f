//! End-to-end through the gateway, every service over mutual TLS: a customer applies, is
//! decided automatically, its limit is in place and its first order passes the credit check; a
//! larger application is referred and approved by two approvers; audit shows every step.
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
async fn apply_decide_set_the_limit_check_an_order_and_audit_every_step() {
    // Every service over mutual TLS, the gateway over TLS (`credit-suite --tls`): the calls
    // between them (applications → scoring → limits, audit following every feed) included.
    let journey = Journey::start_with(|c| c.tls = true).await;
    journey.assert_services_demand_client_certificates().await;
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
