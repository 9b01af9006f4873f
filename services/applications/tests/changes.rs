//! Limit changes of approved customers against real limits and scoring servers: increases and
//! decreases through the scoring/policy/approval path, temporary increases that end by
//! themselves, and scoring's early warnings opening reviews and proposing decreases.
mod support;

use credit_platform::auth::roles;
use credit_proto::applications as pb;
use credit_proto::limits as lpb;
use credit_proto::scoring as spb;
use std::time::Duration;
use support::{Suite, eur, fields, rid};

const DAY: i64 = 86_400_000_000;

async fn limit(suite: &Suite, customer_id: &str) -> lpb::CreditLimit {
    suite
        .limits_client()
        .get_credit_account(lpb::GetCreditAccountRequest {
            customer_id: customer_id.into(),
        })
        .await
        .expect("account")
        .into_inner()
        .credit_limit
        .expect("limit")
}

/// A limit approved earlier (with a 5 % tolerance a change must keep), set in limits as the
/// applications service sets limits.
async fn set_limit(suite: &Suite, customer_id: &str, amount: &str) {
    suite
        .limit_setter_client()
        .set_credit_limit(lpb::SetCreditLimitRequest {
            customer_id: customer_id.into(),
            credit_limit: Some(lpb::CreditLimit {
                mode: lpb::LimitMode::Amount as i32,
                amount: eur(amount),
                tolerance: Some(lpb::Tolerance {
                    kind: Some(lpb::tolerance::Kind::Percent("5".into())),
                }),
                ..Default::default()
            }),
            reason: "set by hand".into(),
            request_id: rid(),
            approved_by: vec!["max.manager".into()],
            approval_reference: "APP-EARLIER".into(),
        })
        .await
        .expect("set limit");
}

fn change(
    customer_id: &str,
    kind: pb::ApplicationKind,
    amount: &str,
) -> pb::RequestLimitChangeRequest {
    pb::RequestLimitChangeRequest {
        customer_id: customer_id.into(),
        kind: kind as i32,
        requested_limit: eur(amount),
        temporary_end_time: None,
        reason: "orders grow with the new season".into(),
        request_id: rid(),
    }
}

async fn check(suite: &Suite, customer_id: &str, order_id: &str, amount: &str) -> bool {
    suite
        .limits_client()
        .check_credit(lpb::CheckCreditRequest {
            customer_id: customer_id.into(),
            order_id: order_id.into(),
            amount: eur(amount),
            request_id: rid(),
            dry_run: true,
            ..Default::default()
        })
        .await
        .expect("check")
        .into_inner()
        .outcome
        == lpb::CheckOutcome::Approved as i32
}

#[tokio::test]
async fn an_increase_takes_the_approval_path_and_changes_only_the_amount_in_limits() {
    let suite = Suite::start().await;
    let first = suite.approved_customer("GROW-FR").await;
    set_limit(&suite, "GROW-FR", "40000").await;
    let mut sales = suite.sales();

    // Bad requests are refused with every field named, nothing is created.
    let mut bad = change("GROW-FR", pb::ApplicationKind::Unspecified, "-5");
    bad.reason = String::new();
    bad.temporary_end_time = Some(prost_types::Timestamp {
        seconds: 1,
        nanos: 0,
    });
    let status = sales.request_limit_change(bad).await.expect_err("bad");
    assert_eq!(
        fields(status),
        [
            "kind",
            "requested_limit.amount",
            "temporary_end_time",
            "reason"
        ]
    );
    let lower = change("GROW-FR", pb::ApplicationKind::LimitIncrease, "30000");
    let status = sales.request_limit_change(lower).await.expect_err("lower");
    assert_eq!(fields(status), ["requested_limit.amount"]);
    let mut usd = change("GROW-FR", pb::ApplicationKind::LimitIncrease, "90000");
    usd.requested_limit.as_mut().expect("money").currency_code = "USD".into();
    let status = sales.request_limit_change(usd).await.expect_err("usd");
    assert_eq!(fields(status), ["requested_limit.currency_code"]);
    let unknown = change("NOBODY", pb::ApplicationKind::LimitIncrease, "90000");
    let status = sales
        .request_limit_change(unknown)
        .await
        .expect_err("never approved");
    assert_eq!(status.code(), tonic::Code::FailedPrecondition, "{status:?}");

    // 90 000 is above the automatic threshold: the analyst level decides.
    let request = change("GROW-FR", pb::ApplicationKind::LimitIncrease, "90000");
    let asked = sales
        .request_limit_change(request.clone())
        .await
        .expect("increase")
        .into_inner();
    assert_eq!(asked.kind(), pb::ApplicationKind::LimitIncrease);
    assert_eq!(asked.state(), pb::ApplicationState::InReview, "{asked:?}");
    let change_of = asked.limit_change.clone().expect("limit change");
    assert_eq!(change_of.current_limit, eur("40000.00"));
    assert_eq!(change_of.previous_application_id, first.application_id);
    assert_eq!(change_of.proposed_by, "sam.sales");
    assert_eq!(
        asked
            .recommendation
            .clone()
            .expect("recommendation")
            .outcome(),
        pb::RecommendationOutcome::Refer
    );
    // A retry answers the same application; a second change while this one is open is refused.
    let again = sales
        .request_limit_change(request)
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(again.application_id, asked.application_id);
    let status = sales
        .request_limit_change(change(
            "GROW-FR",
            pb::ApplicationKind::LimitIncrease,
            "95000",
        ))
        .await
        .expect_err("duplicate");
    assert_eq!(status.code(), tonic::Code::AlreadyExists);
    assert!(
        status.message().contains(&asked.application_id),
        "{status:?}"
    );

    let approved = suite
        .client("al.analyst", &[roles::ANALYST])
        .approve_application(pb::ApproveApplicationRequest {
            application_id: asked.application_id.clone(),
            approved_limit: eur("80000"),
            comment: "80k is enough for the season".into(),
            request_id: rid(),
            ..Default::default()
        })
        .await
        .expect("approve")
        .into_inner();
    assert_eq!(approved.state(), pb::ApplicationState::Approved);
    suite
        .wait_limit_setting(&asked.application_id, pb::LimitSettingState::Done)
        .await;
    let now = limit(&suite, "GROW-FR").await;
    assert_eq!(now.amount, eur("80000.00"));
    assert!(now.tolerance.is_some(), "the tolerance stays: {now:?}");
    // The review schedule moved to the newest approval: when reviews fall due, the one case
    // opened is about it.
    suite.clock.advance(25 * 30 * DAY);
    let mut viewer = suite.client("vic.viewer", &[roles::VIEWER]);
    let mut cases = Vec::new();
    for _ in 0..400 {
        cases = viewer
            .list_review_cases(pb::ListReviewCasesRequest {
                state: pb::ReviewCaseState::Open.into(),
                customer_id: "GROW-FR".into(),
                ..Default::default()
            })
            .await
            .expect("cases")
            .into_inner()
            .cases;
        if !cases.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(cases.len(), 1, "{cases:?}");
    assert_eq!(cases[0].application_id, asked.application_id);
    assert_ne!(cases[0].application_id, first.application_id);
    let types: Vec<String> = suite
        .events()
        .await
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert!(types.contains(&"credit.applications.limit_change.requested".to_string()));
    suite.stop().await;
}

#[tokio::test]
async fn a_temporary_increase_adds_an_amount_that_ends_by_itself() {
    let suite = Suite::start().await;
    suite.approved_customer("SEASON-FR").await;
    let mut sales = suite.sales();
    let mut no_end = change("SEASON-FR", pb::ApplicationKind::TemporaryIncrease, "45000");
    let status = sales
        .request_limit_change(no_end.clone())
        .await
        .expect_err("no end");
    assert_eq!(fields(status), ["temporary_end_time"]);
    let end = support::START + 60 * DAY;
    no_end.temporary_end_time = Some(credit_platform::clock::to_timestamp(end));
    let asked = sales
        .request_limit_change(no_end)
        .await
        .expect("temporary")
        .into_inner();
    // Small and sound: approved by the policy alone.
    assert_eq!(asked.state(), pb::ApplicationState::Approved, "{asked:?}");
    suite
        .wait_limit_setting(&asked.application_id, pb::LimitSettingState::Done)
        .await;
    let now = limit(&suite, "SEASON-FR").await;
    assert_eq!(now.amount, eur("40000.00"), "the permanent limit stays");
    let temporary = now.temporary_limit.expect("temporary");
    assert_eq!(temporary.amount, eur("5000.00"));
    assert_eq!(temporary.valid_to.expect("end").seconds, end / 1_000_000);
    assert!(check(&suite, "SEASON-FR", "SO-1", "44000").await);
    suite.clock.advance(61 * DAY);
    assert!(!check(&suite, "SEASON-FR", "SO-1", "44000").await);
    suite.stop().await;
}

#[tokio::test]
async fn an_early_warning_opens_a_review_and_proposes_a_decrease_an_analyst_confirms() {
    let suite = Suite::start().await;
    let first = suite.approved_customer("SLIP-FR").await;
    // Meanwhile the limit grew by hand to 200 000.
    set_limit(&suite, "SLIP-FR", "200000").await;
    // Collections reports that the customer now pays very late and broke promises: scoring
    // re-scores, the class drops, an early warning goes out on its feed.
    worsen_payments(suite.scoring_client(), "SLIP-FR").await;
    let mut viewer = suite.client("vic.viewer", &[roles::VIEWER]);
    let mut case = None;
    for _ in 0..400 {
        let cases = viewer
            .list_review_cases(pb::ListReviewCasesRequest {
                state: pb::ReviewCaseState::Open.into(),
                customer_id: "SLIP-FR".into(),
                ..Default::default()
            })
            .await
            .expect("cases")
            .into_inner()
            .cases;
        if let Some(found) = cases.into_iter().next() {
            case = Some(found);
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let case = case.expect("the early warning opened a review case");
    assert_eq!(case.reason(), pb::ReviewReason::EarlyWarning);
    assert_eq!(case.application_id, first.application_id);
    assert!(!case.score_id.is_empty());
    assert!(
        case.signals.iter().any(|s| s.contains("score dropped")),
        "{case:?}"
    );
    assert!(!case.proposed_application_id.is_empty(), "{case:?}");

    let mut analyst = suite.client("al.analyst", &[roles::ANALYST]);
    let proposed = analyst
        .get_application(pb::GetApplicationRequest {
            application_id: case.proposed_application_id.clone(),
        })
        .await
        .expect("proposal")
        .into_inner();
    assert_eq!(proposed.kind(), pb::ApplicationKind::LimitDecrease);
    assert_eq!(proposed.created_by, "scoring");
    let change_of = proposed.limit_change.clone().expect("change");
    assert_eq!(change_of.current_limit, eur("200000.00"));
    assert_eq!(change_of.early_warning_score_id, case.score_id);
    let recommendation = proposed.recommendation.clone().expect("recommendation");
    assert_eq!(recommendation.score_id, case.score_id);
    let requested = proposed
        .credit_request
        .clone()
        .and_then(|r| r.requested_limit)
        .expect("requested");
    assert_eq!(Some(requested.clone()), recommendation.recommended_limit);
    // Proposed by the system: a person confirms it, whatever the thresholds say.
    assert_eq!(
        proposed.state(),
        pb::ApplicationState::InReview,
        "{proposed:?}"
    );
    assert_eq!(recommendation.reasons, ["PROPOSED_BY_EARLY_WARNING"]);

    // Nobody may cut above the limit in force; anywhere up to it is a person's call.
    let status = analyst
        .approve_application(pb::ApproveApplicationRequest {
            application_id: proposed.application_id.clone(),
            approved_limit: eur("250000"),
            request_id: rid(),
            ..Default::default()
        })
        .await
        .expect_err("above the current limit");
    assert_eq!(fields(status), ["approved_limit.amount"]);
    let decided = analyst
        .approve_application(pb::ApproveApplicationRequest {
            application_id: proposed.application_id.clone(),
            comment: "agreed: cut to what scoring recommends".into(),
            request_id: rid(),
            ..Default::default()
        })
        .await
        .expect("approve")
        .into_inner();
    assert!(!decided.final_decision.clone().expect("decision").overridden);
    assert_eq!(
        decided.state(),
        pb::ApplicationState::Approved,
        "{decided:?}"
    );
    suite
        .wait_limit_setting(&proposed.application_id, pb::LimitSettingState::Done)
        .await;
    let now = limit(&suite, "SLIP-FR").await;
    assert_eq!(now.amount.map(|m| m.amount), Some(requested.amount));
    assert!(now.tolerance.is_some());
    suite.stop().await;
}

async fn worsen_payments(mut scoring: support::ScoringClient, customer_id: &str) {
    scoring
        .put_payment_behaviour(spb::PutPaymentBehaviourRequest {
            customer_id: customer_id.into(),
            payment_behaviour: Some(spb::PaymentBehaviour {
                average_days_beyond_terms: "75".into(),
                share_paid_late: "0.7".into(),
                disputes: 2,
                broken_promises: 3,
            }),
            request_id: rid(),
        })
        .await
        .expect("payment behaviour");
}

async fn review_cases(suite: &Suite, customer_id: &str) -> Vec<pb::ReviewCase> {
    suite
        .client("vic.viewer", &[roles::VIEWER])
        .list_review_cases(pb::ListReviewCasesRequest {
            customer_id: customer_id.into(),
            ..Default::default()
        })
        .await
        .expect("cases")
        .into_inner()
        .cases
}

#[tokio::test]
async fn an_early_warning_raised_while_applications_is_down_is_handled_once_it_is_back_and_once_only()
 {
    let suite = Suite::start().await;
    suite.approved_customer("DOWN-FR").await;
    set_limit(&suite, "DOWN-FR", "200000").await;
    let scoring = suite.scoring_client();
    let suite = suite
        .restart_applications_after(worsen_payments(scoring, "DOWN-FR"))
        .await;
    let mut cases = Vec::new();
    for _ in 0..400 {
        cases = review_cases(&suite, "DOWN-FR").await;
        if !cases.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(cases.len(), 1, "{cases:?}");
    assert!(!cases[0].proposed_application_id.is_empty());
    // The feed is read again from the start of what was not recorded: nothing twice.
    let suite = suite.restart_applications_after(async {}).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = review_cases(&suite, "DOWN-FR").await;
    assert_eq!(after.len(), 1);
    // A warning handled twice would have joined the case again, doubling its signals.
    assert_eq!(after[0].signals, cases[0].signals);
    let decreases = suite
        .client("vic.viewer", &[roles::VIEWER])
        .list_applications(pb::ListApplicationsRequest {
            customer_id: "DOWN-FR".into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .applications
        .into_iter()
        .filter(|a| a.kind() == pb::ApplicationKind::LimitDecrease)
        .count();
    assert_eq!(decreases, 1);
    suite.stop().await;
}
