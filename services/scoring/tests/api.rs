//! The scoring service over gRPC on its own database (SQLite, or PostgreSQL with
//! TEST_DATABASE_URL): recording facts, scoring, early warning, policies, errors, roles.
mod support;

use credit_platform::auth::roles;
use credit_proto::scoring as pb;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_is_scored_explainably_stored_and_the_same_facts_give_the_same_score() {
    let app = App::start().await;
    let mut c = app.analyst();
    onboard(&mut c, "ACME").await;
    let request = pb::ScoreCustomerRequest {
        customer_id: "ACME".into(),
        requested_amount: eur("150000"),
        request_id: rid(),
    };
    let score = c
        .score_customer(request.clone())
        .await
        .expect("score")
        .into_inner();
    assert!(!score.rejected);
    assert!(
        ["A", "B"].contains(&score.risk_class.as_str()),
        "{score:#?}"
    );
    assert!(score.probability_of_default.parse::<f64>().expect("pd") < 0.05);
    assert_eq!(score.policy_version, 1);
    assert_eq!(score.model_version, "pd-sample-2026.11");
    assert_eq!(score.trigger(), pb::ScoreTrigger::Request);
    assert!(
        score.missing_inputs.is_empty(),
        "{:?}",
        score.missing_inputs
    );
    assert_eq!(
        score.altman_z.as_ref().expect("z").zone(),
        pb::AltmanZone::Safe
    );
    let limit = score.recommended_limit.clone().expect("limit");
    assert_eq!(limit.basis(), pb::LimitBasis::TangibleNetWorth);
    assert_eq!(limit.amount.expect("amount").amount, "150000.00");

    // A retry with the same request id gets the same score back, not a second one.
    let again = c
        .score_customer(request)
        .await
        .expect("replay")
        .into_inner();
    assert_eq!(again.score_id, score.score_id);
    // A new request on the same facts scores the same.
    let second = c
        .score_customer(pb::ScoreCustomerRequest {
            customer_id: "ACME".into(),
            requested_amount: eur("150000"),
            request_id: rid(),
        })
        .await
        .expect("score")
        .into_inner();
    assert_ne!(second.score_id, score.score_id);
    assert_eq!(
        (
            second.score,
            &second.risk_class,
            &second.probability_of_default
        ),
        (
            score.score,
            &score.risk_class,
            &score.probability_of_default
        )
    );

    let history = c
        .list_scores(pb::ListScoresRequest {
            customer_id: "ACME".into(),
            page_size: 1,
            page_token: String::new(),
        })
        .await
        .expect("history")
        .into_inner();
    assert_eq!(history.scores[0].score_id, second.score_id, "newest first");
    let next = c
        .list_scores(pb::ListScoresRequest {
            customer_id: "ACME".into(),
            page_size: 1,
            page_token: history.next_page_token,
        })
        .await
        .expect("page 2")
        .into_inner();
    assert_eq!(next.scores[0].score_id, score.score_id);
    assert!(next.next_page_token.is_empty());
    let stored = c
        .get_score(pb::GetScoreRequest {
            score_id: score.score_id.clone(),
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(stored, score);

    let events = app.events().await;
    let scored: Vec<_> = events
        .iter()
        .filter(|e| e.event_type == "credit.scoring.customer.scored")
        .collect();
    assert_eq!(scored.len(), 2);
    assert_eq!(scored[0].actor_subject, "ana.analyst");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_information_rescores_and_a_material_deterioration_raises_an_early_warning() {
    let app = App::start().await;
    let mut c = app.analyst();
    onboard(&mut c, "ACME").await;
    let first = c
        .score_customer(pb::ScoreCustomerRequest {
            customer_id: "ACME".into(),
            requested_amount: None,
            request_id: rid(),
        })
        .await
        .expect("score")
        .into_inner();
    // The collections side reports the customer now pays very late and broke promises.
    c.put_payment_behaviour(pb::PutPaymentBehaviourRequest {
        customer_id: "ACME".into(),
        payment_behaviour: Some(pb::PaymentBehaviour {
            average_days_beyond_terms: "75".into(),
            share_paid_late: "0.7".into(),
            disputes: 2,
            broken_promises: 3,
        }),
        request_id: rid(),
    })
    .await
    .expect("payment");
    let latest = c
        .list_scores(pb::ListScoresRequest {
            customer_id: "ACME".into(),
            page_size: 1,
            page_token: String::new(),
        })
        .await
        .expect("history")
        .into_inner()
        .scores
        .remove(0);
    assert_eq!(latest.trigger(), pb::ScoreTrigger::NewInformation);
    assert!(
        latest.score < first.score - 25,
        "{} → {}",
        first.score,
        latest.score
    );
    let codes: Vec<&str> = latest.reasons.iter().map(|r| r.code.as_str()).collect();
    assert!(
        codes.contains(&"SEVERELY_LATE_WITH_US") && codes.contains(&"BROKEN_PROMISES"),
        "{codes:?}"
    );

    let events = app.events().await;
    let warning = events
        .iter()
        .find(|e| e.event_type == "credit.scoring.early_warning.raised")
        .expect("an early warning");
    assert_eq!(warning.customer_id, "ACME");
    assert!(
        warning.payload_json.contains("score dropped"),
        "{}",
        warning.payload_json
    );
    // The contract applications decodes says the same as the JSON.
    let typed = warning
        .payload
        .as_ref()
        .expect("a typed payload")
        .to_msg::<pb::EarlyWarningRaised>()
        .expect("an EarlyWarningRaised");
    let json: serde_json::Value = serde_json::from_str(&warning.payload_json).expect("json");
    assert_eq!(
        typed.score_id,
        json["score_id"].as_str().unwrap_or_default()
    );
    assert_eq!(
        typed.current.as_ref().map(|c| c.score),
        json["current"]["score"].as_i64()
    );
    assert!(typed.signals.iter().any(|s| s.contains("score dropped")));
    let scored = events
        .iter()
        .rfind(|e| e.event_type == "credit.scoring.customer.scored")
        .expect("a score event");
    let typed = scored
        .payload
        .as_ref()
        .expect("a typed payload")
        .to_msg::<pb::CustomerScored>()
        .expect("a CustomerScored");
    assert_eq!(
        (typed.score_id.as_str(), typed.risk_class.as_str()),
        (latest.score_id.as_str(), latest.risk_class.as_str())
    );

    // An insolvency filing from the bureau: re-scored as rejected, with a warning.
    c.put_bureau_report(pb::PutBureauReportRequest {
        customer_id: "ACME".into(),
        report: Some(pb::BureauReport {
            provider: "manual".into(),
            failure_score: "5".into(),
            legal_events: vec![pb::LegalEvent {
                kind: "INSOLVENCY".into(),
                filed_on: credit_proto::google::r#type::Date::read("2026-11-20"),
            }],
            ..Default::default()
        }),
        request_id: rid(),
    })
    .await
    .expect("bureau");
    let rejected = c
        .list_scores(pb::ListScoresRequest {
            customer_id: "ACME".into(),
            page_size: 1,
            page_token: String::new(),
        })
        .await
        .expect("history")
        .into_inner()
        .scores
        .remove(0);
    assert!(rejected.rejected);
    assert_eq!(rejected.reasons[0].code, "INSOLVENCY_FILING");
    assert_eq!(
        rejected
            .recommended_limit
            .and_then(|l| l.amount)
            .map(|m| m.amount),
        Some("0.00".into())
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policies_are_validated_versioned_and_recorded_on_every_score() {
    let app = App::start().await;
    let mut manager = app.client("marie.manager", &[roles::MANAGER]);
    let active = manager
        .get_policy(pb::GetPolicyRequest { version: 0 })
        .await
        .expect("policy")
        .into_inner();
    assert_eq!((active.version, active.active), (1, true));

    let mut broken: serde_json::Value = serde_json::from_str(&active.document_json).expect("json");
    broken["hard_rejects"][0]["when"] = "bureau.insolvency_filings >".into();
    broken["risk_classes"][0]["limit_share"] = "2".into();
    let refused = manager
        .upload_policy(pb::UploadPolicyRequest {
            document_json: broken.to_string(),
            activate: false,
            request_id: rid(),
        })
        .await
        .expect_err("invalid");
    assert_eq!(
        fields(refused),
        [
            "document_json.hard_rejects[0].when",
            "document_json.risk_classes[0].limit_share"
        ]
    );

    // A stricter policy: no score without a bureau report.
    let mut strict: serde_json::Value = serde_json::from_str(&active.document_json).expect("json");
    strict["name"] = "Strict: bureau required".into();
    strict["required_inputs"] = serde_json::json!(["bureau"]);
    // Four eyes: in force at once is refused; an upload is a proposal…
    let at_once = manager
        .upload_policy(pb::UploadPolicyRequest {
            document_json: strict.to_string(),
            activate: true,
            request_id: rid(),
        })
        .await
        .expect_err("one manager alone puts no policy in force");
    assert_eq!(at_once.code(), tonic::Code::FailedPrecondition);
    assert!(at_once.message().contains("ApprovePolicy"), "{at_once:?}");
    let uploaded = manager
        .upload_policy(pb::UploadPolicyRequest {
            document_json: strict.to_string(),
            activate: false,
            request_id: rid(),
        })
        .await
        .expect("upload")
        .into_inner();
    assert_eq!((uploaded.version, uploaded.active), (2, false));
    assert_eq!(
        manager
            .get_policy(pb::GetPolicyRequest { version: 0 })
            .await
            .expect("policy")
            .into_inner()
            .version,
        1,
        "a proposal is not in force"
    );
    // …which its uploader cannot approve, and a second manager puts in force.
    let own = manager
        .approve_policy(pb::ApprovePolicyRequest {
            version: 2,
            request_id: rid(),
        })
        .await
        .expect_err("four eyes");
    assert_eq!(own.code(), tonic::Code::PermissionDenied);
    let approved = app
        .client("otto.manager", &[roles::MANAGER])
        .approve_policy(pb::ApprovePolicyRequest {
            version: 2,
            request_id: rid(),
        })
        .await
        .expect("second manager")
        .into_inner();
    assert_eq!((approved.version, approved.active), (2, true));
    assert_eq!(approved.approved_by, "otto.manager");
    assert_eq!(approved.uploaded_by, "marie.manager");
    let listed = manager
        .list_policies(pb::ListPoliciesRequest {
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .policies;
    assert_eq!(
        listed
            .iter()
            .map(|p| (p.version, p.active))
            .collect::<Vec<_>>(),
        [(2, true), (1, false)]
    );

    let mut analyst = app.analyst();
    analyst
        .put_financial_statement(pb::PutFinancialStatementRequest {
            customer_id: "NOBUREAU".into(),
            statement: Some(statement()),
            request_id: rid(),
        })
        .await
        .expect("statement");
    let refused = analyst
        .score_customer(pb::ScoreCustomerRequest {
            customer_id: "NOBUREAU".into(),
            requested_amount: None,
            request_id: rid(),
        })
        .await
        .expect_err("bureau required");
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    assert!(
        refused.message().contains("bureau"),
        "{}",
        refused.message()
    );

    onboard(&mut analyst, "ACME").await;
    let score = analyst
        .score_customer(pb::ScoreCustomerRequest {
            customer_id: "ACME".into(),
            requested_amount: None,
            request_id: rid(),
        })
        .await
        .expect("score")
        .into_inner();
    assert_eq!(score.policy_version, 2);

    // Only managers change policy.
    let denied = analyst
        .upload_policy(pb::UploadPolicyRequest {
            document_json: strict.to_string(),
            activate: false,
            request_id: rid(),
        })
        .await
        .expect_err("analysts do not set policy");
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_named_unknown_customers_are_not_found_and_flagged_statements_reported() {
    let app = App::start().await;
    let mut c = app.analyst();
    let bad = c
        .put_financial_statement(pb::PutFinancialStatementRequest {
            customer_id: "a b".into(),
            statement: Some(pb::FinancialStatement {
                period_end: credit_proto::google::r#type::Date::read("2025-13-01"),
                currency_code: "EURO".into(),
                revenue: "NaN".into(),
                total_assets: "1e9".into(),
                ..statement()
            }),
            request_id: "not-a-uuid".into(),
        })
        .await
        .expect_err("invalid");
    // Every bad field is named, each once (in the order the handler checks them).
    let mut named = fields(bad);
    named.sort();
    let mut expected = [
        "customer_id",
        "request_id",
        "statement.period_end",
        "statement.currency_code",
        "statement.revenue",
        "statement.total_assets",
    ];
    expected.sort();
    assert_eq!(named, expected);
    let unknown = c
        .score_customer(pb::ScoreCustomerRequest {
            customer_id: "NOBODY".into(),
            requested_amount: None,
            request_id: rid(),
        })
        .await
        .expect_err("unknown");
    assert_eq!(unknown.code(), tonic::Code::NotFound);

    let unbalanced = c
        .put_financial_statement(pb::PutFinancialStatementRequest {
            customer_id: "SHAKY".into(),
            statement: Some(pb::FinancialStatement {
                equity: "1000000".into(),
                ..statement()
            }),
            request_id: rid(),
        })
        .await
        .expect("recorded")
        .into_inner();
    assert_eq!(unbalanced.flags[0].code, "BALANCE_SHEET_DOES_NOT_BALANCE");
    let score = c
        .score_customer(pb::ScoreCustomerRequest {
            customer_id: "SHAKY".into(),
            requested_amount: None,
            request_id: rid(),
        })
        .await
        .expect("scores with what is there")
        .into_inner();
    assert!(
        score.missing_inputs.contains(&"altman_z".to_string()),
        "{:?}",
        score.missing_inputs
    );
    assert!(score.missing_inputs.contains(&"bureau".to_string()));
    assert_eq!(
        score.statement_flags[0].code,
        "BALANCE_SHEET_DOES_NOT_BALANCE"
    );

    let model = c
        .get_model(pb::GetModelRequest {})
        .await
        .expect("model")
        .into_inner();
    assert!(model.holdout_auc.parse::<f64>().expect("auc") > 0.75);
    let mut sales = app.client("orders", &[roles::SALES_ORDER]);
    let denied = sales
        .score_customer(pb::ScoreCustomerRequest {
            customer_id: "SHAKY".into(),
            requested_amount: None,
            request_id: rid(),
        })
        .await
        .expect_err("denied");
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portfolio_is_rescored_under_a_new_policy_with_streamed_progress() {
    use futures::StreamExt;
    let app = App::start().await;
    let mut analyst = app.analyst();
    for (i, customer) in ["C1", "C2", "C3", "C4", "C5"].iter().enumerate() {
        onboard(&mut analyst, customer).await;
        if i < 3 {
            analyst
                .score_customer(pb::ScoreCustomerRequest {
                    customer_id: customer.to_string(),
                    requested_amount: None,
                    request_id: rid(),
                })
                .await
                .expect("score");
        }
    }
    let mut manager = app.client("marie.manager", &[roles::MANAGER]);
    let active = manager
        .get_policy(pb::GetPolicyRequest { version: 0 })
        .await
        .expect("policy")
        .into_inner();
    let mut stricter: serde_json::Value =
        serde_json::from_str(&active.document_json).expect("json");
    stricter["name"] = "Stricter bands".into();
    stricter["risk_classes"][0]["min_score"] = 700.into();
    let proposed = manager
        .upload_policy(pb::UploadPolicyRequest {
            document_json: stricter.to_string(),
            activate: false,
            request_id: rid(),
        })
        .await
        .expect("upload")
        .into_inner();
    app.client("otto.manager", &[roles::MANAGER])
        .approve_policy(pb::ApprovePolicyRequest {
            version: proposed.version,
            request_id: rid(),
        })
        .await
        .expect("approve");

    let progress: Vec<pb::RescorePortfolioResponse> = manager
        .rescore_portfolio(pb::RescorePortfolioRequest {
            reason: "policy v2".into(),
            progress_every: 2,
        })
        .await
        .expect("rescore")
        .into_inner()
        .map(|p| p.expect("progress"))
        .collect()
        .await;
    assert_eq!(
        progress.iter().map(|p| p.scored).collect::<Vec<_>>(),
        [2, 4, 5]
    );
    let last = progress.last().expect("last");
    assert!(last.done && last.total == 5 && last.skipped == 0);
    // The customers scored before in class A fell to B under the stricter bands: early warnings.
    assert_eq!(last.early_warnings, 3);
    let latest = analyst
        .list_scores(pb::ListScoresRequest {
            customer_id: "C5".into(),
            page_size: 1,
            page_token: String::new(),
        })
        .await
        .expect("scores")
        .into_inner()
        .scores
        .remove(0);
    assert_eq!(
        (latest.trigger(), latest.policy_version),
        (pb::ScoreTrigger::Batch, 2)
    );

    let denied = analyst
        .rescore_portfolio(pb::RescorePortfolioRequest {
            reason: String::new(),
            progress_every: 0,
        })
        .await
        .expect_err("analysts do not re-score the portfolio");
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    app.stop().await;
}
