//! Applications against real limits and scoring servers: intake, automatic decisions, the
//! approval workflow, overrides, sensitive data, and the limit set exactly once.
mod support;

use credit_platform::auth::roles;
use credit_proto::applications as pb;
use credit_proto::limits as lpb;
use support::{START, Suite, application, approve, create, eur, fields, named, rid, submit};

async fn limit_in_limits(suite: &Suite, customer_id: &str) -> Option<String> {
    suite
        .limits_client()
        .get_credit_account(lpb::GetCreditAccountRequest {
            customer_id: customer_id.into(),
        })
        .await
        .ok()
        .and_then(|a| a.into_inner().credit_limit)
        .and_then(|l| l.amount)
        .map(|m| format!("{} {}", m.amount, m.currency_code))
}

#[tokio::test]
async fn a_small_request_from_a_sound_company_is_approved_automatically_and_its_limit_set() {
    let suite = Suite::start().await;
    suite.bureau("ACME-FR").await;
    let mut sales = suite.sales();
    let id = create(&mut sales, application("ACME-FR", "FR40303265045", "40000")).await;
    let decided = submit(&mut sales, &id).await;
    assert_eq!(
        decided.state(),
        pb::ApplicationState::Approved,
        "{decided:?}"
    );
    let recommendation = decided.recommendation.clone().expect("recommendation");
    assert_eq!(recommendation.outcome(), pb::RecommendationOutcome::Approve);
    assert_eq!(recommendation.policy_version, 1);
    assert!(!recommendation.score_id.is_empty());
    let decision = decided.final_decision.clone().expect("decision");
    assert!(decision.automatic && !decision.overridden);
    assert_eq!(decision.decided_by, "system");
    assert_eq!(decision.approved_limit, eur("40000.00"));
    assert!(decision.review_time.is_some());
    assert_eq!(decided.submission_count, 1);
    // The decision notice, in the applicant's language, and in any other on request.
    let notice = decided.notice.clone().expect("notice");
    assert_eq!(notice.language, "fr");
    assert!(
        notice.subject.starts_with("Votre demande de crédit"),
        "{notice:?}"
    );
    assert!(notice.body.contains("40\u{202f}000,00 EUR") && notice.body.contains("30 jours"));
    for (language, words) in [
        ("zh", "已获批准"),
        ("ro", "a fost aprobată"),
        ("en", "approved"),
    ] {
        let other = sales
            .get_decision_notice(pb::GetDecisionNoticeRequest {
                application_id: id.clone(),
                language: language.into(),
            })
            .await
            .expect("notice")
            .into_inner();
        assert!(other.subject.contains(words), "{language}: {other:?}");
    }
    let status = sales
        .get_decision_notice(pb::GetDecisionNoticeRequest {
            application_id: id.clone(),
            language: "xx".into(),
        })
        .await
        .expect_err("unknown language");
    assert_eq!(fields(status), ["language"]);

    let done = suite
        .wait_limit_setting(&id, pb::LimitSettingState::Done)
        .await;
    assert_eq!(done.limit_setting.expect("setting").attempts, 1);
    assert_eq!(
        limit_in_limits(&suite, "ACME-FR").await.as_deref(),
        Some("40000.00 EUR")
    );
    let account = suite
        .limits_client()
        .get_credit_account(lpb::GetCreditAccountRequest {
            customer_id: "ACME-FR".into(),
        })
        .await
        .expect("account")
        .into_inner();
    assert_eq!(
        (account.segment.as_str(), account.region.as_str()),
        ("SME", "EMEA")
    );

    let types: Vec<String> = suite
        .events()
        .await
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    for wanted in [
        "credit.applications.application.created",
        "credit.applications.application.submitted",
        "credit.applications.application.approved",
        "credit.applications.limit.set",
    ] {
        assert!(types.iter().any(|t| t == wanted), "{wanted} in {types:?}");
    }
    suite.stop().await;
}

#[tokio::test]
async fn a_large_request_climbs_the_authority_matrix_under_the_four_eyes_rule() {
    let suite = Suite::start().await;
    suite.bureau("BIG-FR").await;
    let mut ana = suite.client("ana.analyst", &[roles::ANALYST]);
    let id = create(&mut ana, application("BIG-FR", "FR40303265045", "400000")).await;
    let referred = submit(&mut ana, &id).await;
    assert_eq!(referred.state(), pb::ApplicationState::InReview);
    let steps: Vec<(String, i32, String)> = referred
        .approval_steps
        .iter()
        .map(|s| {
            (
                s.level.clone(),
                s.approvals_required,
                named::<pb::ApprovalStepState>(s.state).to_string(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("analyst".to_string(), 1, "PENDING".to_string()),
            ("manager".to_string(), 2, "WAITING".to_string())
        ],
        "above 250 000 EUR two managers decide"
    );
    assert!(referred.approval_steps[0].due_time.is_some());

    // Deciding a draft, or something not yet reached, is refused with the state named.
    let draft = create(&mut ana, application("OTHER-FR", "FR83404833048", "1000")).await;
    let status = approve(&mut suite.client("bob.analyst", &[roles::ANALYST]), &draft)
        .await
        .expect_err("a draft");
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert!(status.message().contains("DRAFT"), "{}", status.message());

    // Who submitted never approves.
    let status = approve(&mut ana, &id).await.expect_err("four eyes");
    assert_eq!(status.code(), tonic::Code::PermissionDenied, "{status:?}");
    // A manager cannot act while the analyst level is current… (the manager's role is not
    // the analyst level's)
    let status = approve(&mut suite.client("max.manager", &[roles::MANAGER]), &id)
        .await
        .expect_err("not this level");
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    let after_analyst = approve(&mut suite.client("bob.analyst", &[roles::ANALYST]), &id)
        .await
        .expect("analyst approves");
    assert_eq!(
        after_analyst.approval_steps[1].state(),
        pb::ApprovalStepState::Pending
    );
    // …nor an analyst at the manager level, nor the same manager twice.
    let status = approve(&mut suite.client("bea.analyst", &[roles::ANALYST]), &id)
        .await
        .expect_err("analyst at manager level");
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    let one = approve(&mut suite.client("max.manager", &[roles::MANAGER]), &id)
        .await
        .expect("first manager");
    assert_eq!(one.state(), pb::ApplicationState::InReview);
    let status = approve(&mut suite.client("max.manager", &[roles::MANAGER]), &id)
        .await
        .expect_err("twice");
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    let recommended = one
        .recommendation
        .clone()
        .and_then(|r| r.recommended_limit)
        .expect("recommended limit");
    // The second manager approves what scoring recommends (no override).
    let decided = suite
        .client("mia.manager", &[roles::MANAGER])
        .approve_application(pb::ApproveApplicationRequest {
            application_id: id.clone(),
            approved_limit: Some(recommended.clone()),
            conditions: vec!["parent company guarantee".into()],
            request_id: rid(),
            ..Default::default()
        })
        .await
        .expect("second manager")
        .into_inner();
    assert_eq!(decided.state(), pb::ApplicationState::Approved);
    let decision = decided.final_decision.expect("decision");
    assert!(!decision.automatic && !decision.overridden);
    assert_eq!(decision.decided_by, "mia.manager");
    assert_eq!(decision.conditions, ["parent company guarantee"]);
    suite
        .wait_limit_setting(&id, pb::LimitSettingState::Done)
        .await;
    assert_eq!(
        limit_in_limits(&suite, "BIG-FR").await,
        Some(format!("{} EUR", recommended.amount))
    );
    // Approving twice is refused with the state named.
    let status = approve(&mut suite.client("zoe.manager", &[roles::MANAGER]), &id)
        .await
        .expect_err("twice");
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert!(status.message().contains("APPROVED"));
    suite.stop().await;
}

/// A policy where one desk (analysts and managers) decides everything and people decide
/// every application: overrides are then easy to provoke.
fn desk_policy() -> String {
    let mut doc: serde_json::Value =
        serde_json::from_str(credit_applications::domain::policy::DEFAULT_POLICY).expect("json");
    doc["name"] = "One desk".into();
    doc["automatic_decisions"] = false.into();
    doc["levels"] = serde_json::json!([
        {"name": "desk", "roles": ["credit.analyst", "credit.manager"], "sla_hours": 8}
    ]);
    doc["dual_approval_above"] = serde_json::json!({});
    doc.to_string()
}

#[tokio::test]
async fn departing_from_the_recommendation_needs_a_reason_and_the_authority() {
    let suite = Suite::start().await;
    // One manager proposes the policy (the authority matrix with it); it is in force only
    // once a second approves it, never its uploader.
    let mut proposer = suite.client("max.manager", &[roles::MANAGER]);
    let proposed = proposer
        .upload_decision_policy(pb::UploadDecisionPolicyRequest {
            document_json: desk_policy(),
            activate: false,
            request_id: rid(),
        })
        .await
        .expect("policy")
        .into_inner();
    assert_eq!((proposed.version, proposed.active), (2, false));
    let approve_version = |version| pb::ApproveDecisionPolicyRequest {
        version,
        request_id: rid(),
    };
    let own = proposer
        .approve_decision_policy(approve_version(2))
        .await
        .expect_err("four eyes");
    assert_eq!(own.code(), tonic::Code::PermissionDenied);
    let uploaded = suite
        .client("mia.manager", &[roles::MANAGER])
        .approve_decision_policy(approve_version(2))
        .await
        .expect("second manager")
        .into_inner();
    assert_eq!((uploaded.version, uploaded.active), (2, true));
    assert_eq!(uploaded.approved_by, "mia.manager");
    suite.bureau("OVER-FR").await;
    suite.bureau("GOOD-FR").await;
    let mut sales = suite.sales();

    // Far more than scoring recommends: approving it in full is an override.
    let id = create(
        &mut sales,
        application("OVER-FR", "FR40303265045", "5000000"),
    )
    .await;
    let referred = submit(&mut sales, &id).await;
    let recommendation = referred.recommendation.expect("recommendation");
    assert_eq!(recommendation.policy_version, 2);
    let recommended: rust_decimal::Decimal = recommendation
        .recommended_limit
        .expect("limit")
        .amount
        .parse()
        .expect("decimal");
    assert!(recommended < rust_decimal::Decimal::from(5_000_000));
    let status = approve(&mut suite.client("bob.analyst", &[roles::ANALYST]), &id)
        .await
        .expect_err("analysts do not override");
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    assert!(
        status.message().contains("override"),
        "{}",
        status.message()
    );
    let status = approve(&mut suite.client("max.manager", &[roles::MANAGER]), &id)
        .await
        .expect_err("no reason");
    assert_eq!(fields(status), ["override_reason_code", "override_comment"]);
    let overridden = suite
        .client("max.manager", &[roles::MANAGER])
        .approve_application(pb::ApproveApplicationRequest {
            application_id: id.clone(),
            override_reason_code: "STRATEGIC_CUSTOMER".into(),
            override_comment: "group-level guarantee signed".into(),
            request_id: rid(),
            ..Default::default()
        })
        .await
        .expect("override")
        .into_inner()
        .final_decision
        .expect("decision");
    assert!(overridden.overridden);
    assert_eq!(overridden.override_reason_code, "STRATEGIC_CUSTOMER");

    // Policy would approve this one; rejecting it is the override.
    let good = create(&mut sales, application("GOOD-FR", "FR83404833048", "20000")).await;
    let referred = submit(&mut sales, &good).await;
    assert_eq!(
        referred.state(),
        pb::ApplicationState::InReview,
        "people decide all"
    );
    assert_eq!(
        referred.recommendation.expect("r").outcome(),
        pb::RecommendationOutcome::Approve
    );
    let reject = |code: &str| pb::RejectApplicationRequest {
        application_id: good.clone(),
        reasons: vec!["sector exposure".into()],
        override_reason_code: code.into(),
        override_comment: if code.is_empty() { "" } else { "sector cap" }.into(),
        request_id: rid(),
        ..Default::default()
    };
    let status = suite
        .client("max.manager", &[roles::MANAGER])
        .reject_application(reject(""))
        .await
        .expect_err("no reason");
    assert_eq!(fields(status), ["override_reason_code", "override_comment"]);
    let rejected = suite
        .client("max.manager", &[roles::MANAGER])
        .reject_application(reject("SECTOR_CAP"))
        .await
        .expect("reject")
        .into_inner();
    assert_eq!(rejected.state(), pb::ApplicationState::Rejected);
    let letter = rejected.notice.clone().expect("notice");
    assert!(
        letter.subject.contains("n’a pas pu être acceptée")
            && letter.body.contains("sector exposure"),
        "{letter:?}"
    );
    assert!(rejected.final_decision.expect("d").overridden);
    assert!(limit_in_limits(&suite, "GOOD-FR").await.is_none());
    suite.stop().await;
}

#[tokio::test]
async fn bad_input_is_named_duplicates_are_refused_and_incomplete_drafts_stay_drafts() {
    let suite = Suite::start().await;
    let mut sales = suite.sales();
    let mut bad = application("BAD-FR", "DE123456789", "-5");
    {
        let a = bad.applicant.as_mut().expect("applicant");
        a.bank_account.as_mut().expect("bank").iban = "FR15 2004 1010 0505 0001 3M02 606".into();
        a.contacts[0].email = "not-an-address".into();
        a.preferred_language = "de".into();
    }
    bad.credit_request
        .as_mut()
        .expect("request")
        .payment_terms_days = 400;
    let status = sales
        .create_application(pb::CreateApplicationRequest {
            application: Some(bad),
            request_id: rid(),
        })
        .await
        .expect_err("invalid");
    let named = fields(status);
    for field in [
        "application.applicant.tax_id",
        "application.applicant.bank_account.iban",
        "application.applicant.contacts[0].email",
        "application.applicant.preferred_language",
        "application.credit_request.requested_limit.amount",
        "application.credit_request.payment_terms_days",
    ] {
        assert!(named.iter().any(|f| f == field), "{field} in {named:?}");
    }

    // Limit changes come from RequestLimitChange only: a new application cannot pose as one.
    let mut forged = application("FORGE-FR", "FR40303265045", "1000");
    forged.kind = pb::ApplicationKind::LimitDecrease.into();
    forged.limit_change = Some(pb::LimitChange {
        current_limit: eur("900000"),
        ..Default::default()
    });
    let status = sales
        .create_application(pb::CreateApplicationRequest {
            application: Some(forged),
            request_id: rid(),
        })
        .await
        .expect_err("a forged change");
    assert_eq!(
        fields(status),
        ["application.kind", "application.limit_change"]
    );
    let mut explicit = application("NEW-FR", "FR32123456789", "1000");
    explicit.kind = pb::ApplicationKind::NewCredit.into();
    let explicit = create(&mut sales, explicit).await;
    let answered = sales
        .get_application(pb::GetApplicationRequest {
            application_id: explicit,
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(answered.kind(), pb::ApplicationKind::NewCredit);

    let first = create(&mut sales, application("DUP-FR", "FR40303265045", "1000")).await;
    let status = sales
        .create_application(pb::CreateApplicationRequest {
            // Same tax id written differently.
            application: Some(application("DUP2-FR", "fr 403 032 65045", "1000")),
            request_id: rid(),
        })
        .await
        .expect_err("duplicate");
    assert_eq!(status.code(), tonic::Code::AlreadyExists);
    // It names the open application, and nothing of another applicant (issue 16).
    assert!(status.message().contains(&first), "{}", status.message());
    assert!(
        !status.message().contains("DUP-FR"),
        "the refusal reveals the other applicant: {}",
        status.message()
    );

    // A partial draft is fine; submitting it names everything missing and changes nothing.
    let partial = create(
        &mut sales,
        pb::Application {
            customer_id: "PART-FR".into(),
            applicant: Some(pb::Applicant {
                legal_name: "Part SARL".into(),
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .await;
    let status = sales
        .submit_application(pb::SubmitApplicationRequest {
            application_id: partial.clone(),
            request_id: rid(),
        })
        .await
        .expect_err("incomplete");
    let missing = fields(status);
    assert!(missing.iter().any(|f| f == "application.applicant.tax_id"));
    assert!(missing.iter().any(|f| f == "application.credit_request"));
    let still = sales
        .get_application(pb::GetApplicationRequest {
            application_id: partial,
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(still.state(), pb::ApplicationState::Draft);
    assert_eq!(still.submission_count, 0);

    // Withdrawing frees the tax id for a new application.
    sales
        .withdraw_application(pb::WithdrawApplicationRequest {
            application_id: first,
            reason: "entered twice".into(),
            request_id: rid(),
        })
        .await
        .expect("withdraw");
    create(&mut sales, application("DUP2-FR", "FR40303265045", "1000")).await;
    suite.stop().await;
}

#[tokio::test]
async fn sensitive_fields_are_sealed_at_rest_masked_for_most_and_clear_for_assessors() {
    let suite = Suite::start().await;
    let mut sales = suite.sales();
    let id = create(&mut sales, application("SEAL-FR", "FR40303265045", "1000")).await;
    let get = |subject: &str, role: &str| {
        let mut c = suite.client(subject, &[role]);
        let id = id.clone();
        async move {
            c.get_application(pb::GetApplicationRequest { application_id: id })
                .await
                .expect("get")
                .into_inner()
        }
    };
    let viewer = get("vic.viewer", roles::VIEWER).await;
    assert!(viewer.sensitive_masked);
    let a = viewer.applicant.expect("applicant");
    assert_eq!(a.tax_id, "****5045");
    assert_eq!(a.bank_account.expect("bank").iban, "****2606");
    assert_eq!(a.contacts[0].email, "j***@example.fr");
    assert_eq!(a.owners[0].name, "J*** M***");
    let analyst = get("ana.analyst", roles::ANALYST).await;
    assert!(!analyst.sensitive_masked);
    let a = analyst.applicant.expect("applicant");
    assert_eq!(a.tax_id, "FR40303265045");
    assert_eq!(a.contacts[0].phone, "+33 1 23 45 67 89");
    let listed = suite
        .client("ana.analyst", &[roles::ANALYST])
        .list_applications(pb::ListApplicationsRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert!(
        listed.applications[0].sensitive_masked,
        "lists are always masked"
    );

    // Nothing sensitive in clear in the database or on the feed.
    use sqlx::Row;
    let db = credit_platform::db::Db::connect(&suite.applications_db.config)
        .await
        .expect("db");
    let row = sqlx::query("SELECT body, sensitive FROM applications")
        .fetch_one(&db.pool)
        .await
        .expect("row");
    let body: Vec<u8> = row.try_get(0).expect("body");
    let sensitive: String = row.try_get(1).expect("sensitive");
    let stored = format!("{} {sensitive}", String::from_utf8_lossy(&body));
    for secret in [
        "FR40303265045",
        "3M02",
        "jeanne.dupont",
        "23 45 67",
        "Jean Martin",
    ] {
        assert!(!stored.contains(secret), "{secret} stored in clear");
    }
    for event in suite.events().await {
        assert!(
            !event.payload_json.contains("FR40303265045"),
            "{}",
            event.payload_json
        );
    }
    suite.stop().await;
}

#[tokio::test]
async fn a_limit_approved_while_limits_is_down_is_set_once_it_is_back() {
    let mut suite = Suite::start().await;
    suite.bureau("DOWN-FR").await;
    suite.stop_limits().await;
    let mut sales = suite.sales();
    let id = create(&mut sales, application("DOWN-FR", "FR40303265045", "30000")).await;
    let approved = submit(&mut sales, &id).await;
    assert_eq!(approved.state(), pb::ApplicationState::Approved);
    // Delivery keeps failing while limits is away, and says why.
    let mut c = suite.client("vic.viewer", &[roles::VIEWER]);
    let mut pending = None;
    for _ in 0..200 {
        let app = c
            .get_application(pb::GetApplicationRequest {
                application_id: id.clone(),
            })
            .await
            .expect("get")
            .into_inner();
        let setting = app.limit_setting.expect("setting");
        if setting.attempts >= 1 {
            pending = Some(setting);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let pending = pending.expect("an attempt was made");
    assert_eq!(pending.state(), pb::LimitSettingState::Pending);
    assert!(
        pending.last_error.contains("limits"),
        "{}",
        pending.last_error
    );

    suite.restart_limits().await;
    suite
        .wait_limit_setting(&id, pb::LimitSettingState::Done)
        .await;
    assert_eq!(
        limit_in_limits(&suite, "DOWN-FR").await.as_deref(),
        Some("30000.00 EUR")
    );
    let changes = suite
        .limits_client()
        .list_credit_limit_changes(lpb::ListCreditLimitChangesRequest {
            customer_id: "DOWN-FR".into(),
            ..Default::default()
        })
        .await
        .expect("changes")
        .into_inner();
    assert_eq!(changes.credit_limit_changes.len(), 1, "set exactly once");
    suite.stop().await;
}

/// An analyst asks for the 2026 interim accounts: the application goes back to its applicant.
async fn return_for_information(suite: &Suite, id: &str) -> pb::Application {
    suite
        .client("bob.analyst", &[roles::ANALYST])
        .request_information(pb::RequestInformationRequest {
            application_id: id.to_string(),
            questions: vec!["2026 interim accounts".into()],
            request_id: rid(),
        })
        .await
        .expect("request information")
        .into_inner()
}

#[tokio::test]
async fn a_request_for_information_returns_the_application_and_it_is_decided_again() {
    let suite = Suite::start().await;
    suite.bureau("INFO-FR").await;
    let mut sales = suite.sales();
    let id = create(&mut sales, application("INFO-FR", "FR40303265045", "90000")).await;
    let referred = submit(&mut sales, &id).await;
    assert_eq!(referred.state(), pb::ApplicationState::InReview);
    let returned = return_for_information(&suite, &id).await;
    assert_eq!(returned.state(), pb::ApplicationState::InformationRequested);
    let letter = returned.notice.clone().expect("notice");
    assert!(letter.body.contains("2026 interim accounts"), "{letter:?}");
    let status = approve(&mut suite.client("bea.analyst", &[roles::ANALYST]), &id)
        .await
        .expect_err("not in review");
    assert!(status.message().contains("INFORMATION_REQUESTED"));
    // The applicant lowers the amount and submits again: decided automatically this time.
    let mut changed = returned.clone();
    changed
        .credit_request
        .as_mut()
        .expect("request")
        .requested_limit = eur("45000");
    sales
        .update_application(pb::UpdateApplicationRequest {
            application: Some(changed),
            request_id: rid(),
        })
        .await
        .expect("update");
    let again = submit(&mut sales, &id).await;
    assert_eq!(again.submission_count, 2);
    assert_eq!(again.state(), pb::ApplicationState::Approved, "{again:?}");
    suite.stop().await;
}

#[tokio::test]
async fn who_edited_a_returned_application_does_not_approve_it_after_another_resubmits() {
    let suite = Suite::start().await;
    suite.bureau("EDIT-FR").await;
    let mut sales = suite.sales();
    let id = create(&mut sales, application("EDIT-FR", "FR40303265045", "90000")).await;
    submit(&mut sales, &id).await;
    let returned = return_for_information(&suite, &id).await;
    // An analyst answers the questions in the application itself; sales submits it again.
    let mut editor = suite.client("ed.analyst", &[roles::ANALYST]);
    let edited = editor
        .update_application(pb::UpdateApplicationRequest {
            application: Some(returned),
            request_id: rid(),
        })
        .await
        .expect("update")
        .into_inner();
    assert_eq!(edited.edited_by, ["ed.analyst"]);
    let again = submit(&mut sales, &id).await;
    assert_eq!(again.state(), pb::ApplicationState::InReview);
    assert_eq!(again.submitted_by, "sam.sales");
    // The editor shaped what is decided: four eyes keep them out of the decision.
    let status = approve(&mut editor, &id).await.expect_err("edited it");
    assert_eq!(status.code(), tonic::Code::PermissionDenied, "{status:?}");
    assert!(status.message().contains("four-eyes"), "{status:?}");
    approve(&mut suite.client("al.analyst", &[roles::ANALYST]), &id)
        .await
        .expect("another analyst decides");
    suite.stop().await;
}

#[tokio::test]
async fn an_overdue_step_escalates_to_the_next_level_and_the_top_raises_an_alarm() {
    let suite = Suite::start().await;
    suite.bureau("SLOW-FR").await;
    let mut sales = suite.sales();
    let id = create(&mut sales, application("SLOW-FR", "FR40303265045", "90000")).await;
    let referred = submit(&mut sales, &id).await;
    let levels: Vec<&str> = referred
        .approval_steps
        .iter()
        .map(|s| s.level.as_str())
        .collect();
    assert_eq!(
        levels,
        ["analyst"],
        "the analyst level decides 90 000 EUR of class A"
    );
    let get = || {
        let mut c = suite.client("vic.viewer", &[roles::VIEWER]);
        let id = id.clone();
        async move {
            c.get_application(pb::GetApplicationRequest { application_id: id })
                .await
                .expect("get")
                .into_inner()
        }
    };
    let wait_for = |wanted: usize| async move {
        for _ in 0..200 {
            let app = get().await;
            if app.approval_steps.len() >= wanted {
                return app;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("no escalation to {wanted} steps");
    };
    // Within its 24 hours nothing moves.
    suite.clock.advance(23 * 3_600_000_000);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        get().await.approval_steps[0].state(),
        pb::ApprovalStepState::Pending
    );
    // Past them the manager level takes over, due after its own 48 hours.
    suite.clock.advance(2 * 3_600_000_000);
    let escalated = wait_for(2).await;
    let states: Vec<(&str, &str)> = escalated
        .approval_steps
        .iter()
        .map(|s| (s.level.as_str(), named::<pb::ApprovalStepState>(s.state)))
        .collect();
    assert_eq!(states, [("analyst", "ESCALATED"), ("manager", "PENDING")]);
    // An analyst can no longer decide it; a manager can.
    let status = approve(&mut suite.client("bob.analyst", &[roles::ANALYST]), &id)
        .await
        .expect_err("escalated away from analysts");
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    suite.clock.advance(49 * 3_600_000_000);
    let committee = wait_for(3).await;
    assert_eq!(committee.approval_steps[2].level, "committee");
    // The committee is the top: past its SLA the alarm is raised once.
    suite.clock.advance(73 * 3_600_000_000);
    let mut alarmed = false;
    for _ in 0..200 {
        if get().await.approval_steps[2].overdue {
            alarmed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(alarmed, "the top level's overdue step is flagged");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let events: Vec<String> = suite
        .events()
        .await
        .into_iter()
        .map(|e| e.event_type)
        .filter(|t| t.starts_with("credit.applications.step."))
        .collect();
    assert_eq!(
        events,
        [
            "credit.applications.step.escalated",
            "credit.applications.step.escalated",
            "credit.applications.step.overdue"
        ]
    );
    let decided = approve(&mut suite.client("max.manager", &[roles::MANAGER]), &id)
        .await
        .expect("the committee decides");
    assert_eq!(decided.state(), pb::ApplicationState::Approved);
    suite.stop().await;
}

#[tokio::test]
async fn metrics_give_cycle_times_automation_overrides_backlog_and_approver_activity() {
    let suite = Suite::start().await;
    let mut sales = suite.sales();
    let mut ids = Vec::new();
    for (customer, tax_id, amount) in [
        ("M-AUTO", "FR40303265045", "30000"),
        ("M-SLOW", "FR83404833048", "90000"),
        ("M-NO", "FR44732829320", "90000"),
        ("M-WAIT", "FR18552100554", "90000"),
    ] {
        suite.bureau(customer).await;
        let id = create(&mut sales, application(customer, tax_id, amount)).await;
        submit(&mut sales, &id).await;
        ids.push(id);
    }
    const HOUR: i64 = 3_600_000_000;
    suite.clock.advance(4 * HOUR);
    suite
        .client("bea.analyst", &[roles::ANALYST])
        .reject_application(pb::RejectApplicationRequest {
            application_id: ids[2].clone(),
            reasons: vec!["sector exposure".into()],
            request_id: rid(),
            ..Default::default()
        })
        .await
        .expect("reject");
    suite.clock.advance(6 * HOUR);
    approve(&mut suite.client("bob.analyst", &[roles::ANALYST]), &ids[1])
        .await
        .expect("approve");
    let metrics = |region: &str| {
        let mut c = suite.client("max.manager", &[roles::MANAGER]);
        let region = region.to_string();
        async move {
            c.get_application_metrics(pb::GetApplicationMetricsRequest {
                region,
                ..Default::default()
            })
            .await
            .expect("metrics")
            .into_inner()
        }
    };
    let m = metrics("EMEA").await;
    assert_eq!((m.submissions, m.decisions, m.approved), (4, 3, 2));
    assert_eq!(m.automatic_decisions, 1);
    assert_eq!(m.auto_decision_rate, "0.3333");
    assert_eq!((m.overrides, m.override_frequency.as_str()), (0, "0.0000"));
    // Cycle times 0 h, 4 h, 10 h: the median is 4 h, the 90th percentile and the longest 10 h.
    let hours = |d: Option<prost_types::Duration>| d.expect("duration").seconds / 3600;
    assert_eq!(hours(m.cycle_time_p50), 4);
    assert_eq!(hours(m.cycle_time_p90), 10);
    assert_eq!(hours(m.cycle_time_max), 10);
    assert_eq!(m.backlog.len(), 1);
    assert_eq!(
        (
            m.backlog[0].level.as_str(),
            m.backlog[0].pending,
            m.backlog[0].overdue
        ),
        ("analyst", 1, 0)
    );
    let activity: Vec<(String, i64, i64)> = m
        .approvers
        .iter()
        .map(|a| (a.approver.clone(), a.approvals, a.rejections))
        .collect();
    assert_eq!(
        activity,
        [
            ("bea.analyst".to_string(), 0, 1),
            ("bob.analyst".to_string(), 1, 0)
        ]
    );
    let elsewhere = metrics("US").await;
    assert_eq!(
        (elsewhere.decisions, elsewhere.auto_decision_rate.as_str()),
        (0, "")
    );
    let status = suite
        .client("max.manager", &[roles::MANAGER])
        .get_application_metrics(pb::GetApplicationMetricsRequest {
            start_time: Some(prost_types::Timestamp {
                seconds: 100,
                nanos: 0,
            }),
            end_time: Some(prost_types::Timestamp {
                seconds: 50,
                nanos: 0,
            }),
            ..Default::default()
        })
        .await
        .expect_err("end before start");
    assert_eq!(fields(status), ["end_time"]);
    suite.stop().await;
}

#[tokio::test]
async fn a_due_review_opens_a_case_and_confirming_it_schedules_the_next() {
    let suite = Suite::start().await;
    suite.bureau("REV-FR").await;
    let mut sales = suite.sales();
    let id = create(&mut sales, application("REV-FR", "FR40303265045", "30000")).await;
    let approved = submit(&mut sales, &id).await;
    let decision = approved.final_decision.expect("decision");
    // Class A: reviewed after 24 months (default policy).
    assert_eq!(approved.recommendation.expect("r").risk_class, "A");
    let review = decision.review_time.expect("review date").seconds;
    const DAY: i64 = 86_400_000_000;
    let cases = || {
        let mut c = suite.client("vic.viewer", &[roles::VIEWER]);
        async move {
            c.list_review_cases(pb::ListReviewCasesRequest {
                state: pb::ReviewCaseState::Open.into(),
                customer_id: "REV-FR".into(),
                ..Default::default()
            })
            .await
            .expect("cases")
            .into_inner()
            .cases
        }
    };
    suite.clock.advance(700 * DAY);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(cases().await.is_empty(), "not due yet");
    suite.clock.advance(40 * DAY);
    let mut opened = Vec::new();
    for _ in 0..200 {
        opened = cases().await;
        if !opened.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(opened.len(), 1, "one case for the due review");
    let case = &opened[0];
    assert_eq!(
        (case.reason(), case.application_id.as_str()),
        (pb::ReviewReason::Periodic, id.as_str())
    );
    assert_eq!(case.review_time.expect("due").seconds, review);
    // Sweeps go on: still one case.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(cases().await.len(), 1);

    let status = suite
        .client("bob.analyst", &[roles::ANALYST])
        .close_review_case(pb::CloseReviewCaseRequest {
            case_id: case.case_id.clone(),
            outcome: 0,
            comment: String::new(),
            request_id: rid(),
        })
        .await
        .expect_err("bad outcome");
    assert_eq!(fields(status), ["outcome", "comment"]);
    let closed = suite
        .client("bob.analyst", &[roles::ANALYST])
        .close_review_case(pb::CloseReviewCaseRequest {
            case_id: case.case_id.clone(),
            outcome: pb::ReviewOutcome::Confirmed.into(),
            comment: "payments on time, accounts filed".into(),
            request_id: rid(),
        })
        .await
        .expect("close")
        .into_inner();
    assert_eq!(
        (closed.state(), closed.outcome()),
        (pb::ReviewCaseState::Closed, pb::ReviewOutcome::Confirmed)
    );
    let next = closed.next_review_time.expect("next review").seconds;
    let now = (START + 740 * DAY) / 1_000_000;
    assert!(
        (next - now) > 700 * 86_400 && (next - now) < 740 * 86_400,
        "24 months after closing"
    );
    let status = suite
        .client("bob.analyst", &[roles::ANALYST])
        .close_review_case(pb::CloseReviewCaseRequest {
            case_id: case.case_id.clone(),
            outcome: pb::ReviewOutcome::Confirmed.into(),
            comment: "again".into(),
            request_id: rid(),
        })
        .await
        .expect_err("closed already");
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert!(cases().await.is_empty());
    let types: Vec<String> = suite
        .events()
        .await
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert!(types.contains(&"credit.applications.review.opened".to_string()));
    assert!(types.contains(&"credit.applications.review.closed".to_string()));
    suite.stop().await;
}
