//! End-to-end through the gateway: a customer applies, is decided automatically, its limit is in
//! place and its first order passes the credit check; a larger application is referred and
//! approved by two approvers; audit shows every step.
mod support;

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

fn application(customer_id: &str, tax_id: &str, amount: &str) -> pb::Application {
    pb::Application {
        customer_id: customer_id.into(),
        applicant: Some(pb::Applicant {
            legal_name: format!("{customer_id} SAS"),
            registration_id: "552 100 554".into(),
            tax_id: tax_id.into(),
            country_code: "FR".into(),
            registered_address: Some(pb::Address {
                lines: vec!["1 avenue des Champs-Élysées".into()],
                postal_code: "75008".into(),
                city: "Paris".into(),
                country_code: "FR".into(),
            }),
            contacts: vec![pb::Contact {
                name: "Claire Petit".into(),
                role: "CFO".into(),
                email: "claire.petit@example.fr".into(),
                phone: "+33 1 40 00 00 00".into(),
            }],
            industry: "G".into(),
            years_in_business: 20,
            bank_account: Some(pb::BankAccount {
                iban: "FR14 2004 1010 0505 0001 3M02 606".into(),
                bic: "PSSTFRPPPAR".into(),
                ..Default::default()
            }),
            preferred_language: "fr".into(),
            region: "EMEA".into(),
            segment: "SME".into(),
            ..Default::default()
        }),
        credit_request: Some(pb::CreditRequest {
            requested_limit: eur(amount),
            payment_terms_days: 30,
            expected_monthly_volume: None,
        }),
        financial_statements: vec![spb::FinancialStatement {
            period_end: "2025-12-31".into(),
            currency_code: "EUR".into(),
            revenue: "8000000".into(),
            ebit: "900000".into(),
            net_income: "600000".into(),
            interest_expense: "50000".into(),
            total_assets: "4000000".into(),
            current_assets: "2400000".into(),
            cash: "600000".into(),
            inventory: "700000".into(),
            receivables: "900000".into(),
            intangible_assets: "200000".into(),
            total_liabilities: "1600000".into(),
            current_liabilities: "1000000".into(),
            retained_earnings: "1500000".into(),
            equity: "2400000".into(),
        }],
        ..Default::default()
    }
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
    // What a bureau provider reports on both companies.
    let mut scoring = ScoringServiceClient::with_interceptor(
        journey.channel.clone(),
        journey.token_for("ana.analyst", &[roles::ANALYST]),
    );
    for customer in ["NEWCO-FR", "BIGCO-FR"] {
        scoring
            .put_bureau_report(spb::PutBureauReportRequest {
                customer_id: customer.into(),
                report: Some(spb::BureauReport {
                    provider: "manual".into(),
                    years_in_business: "20".into(),
                    employees: "80".into(),
                    industry: "G".into(),
                    failure_score: "90".into(),
                    payment_index: "80".into(),
                    ..Default::default()
                }),
                request_id: rid(),
            })
            .await
            .expect("bureau");
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
    let mut in_place = false;
    for _ in 0..200 {
        let account = limits
            .get_credit_account(lpb::GetCreditAccountRequest {
                customer_id: "NEWCO-FR".into(),
            })
            .await;
        if account.is_ok_and(|a| {
            a.into_inner()
                .credit_limit
                .and_then(|l| l.amount)
                .is_some_and(|m| m.amount == "40000.00")
        }) {
            in_place = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(in_place, "the approved limit reaches limits");
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
    let mut audit = AuditServiceClient::with_interceptor(journey.channel.clone(), journey.token());
    let wanted = [
        "credit.applications.application.created",
        "credit.applications.application.submitted",
        "credit.applications.application.approved",
        "credit.applications.limit.set",
        "credit.limits.credit_account.created",
        "credit.limits.credit_limit.changed",
        "credit.limits.reservation.created",
    ];
    let mut seen = Vec::new();
    for _ in 0..300 {
        seen = audit
            .list_audit_entries(apb::ListAuditEntriesRequest {
                filter: Some(apb::AuditEntryFilter {
                    customer_id: "NEWCO-FR".into(),
                    ..Default::default()
                }),
                page_size: 1000,
                ..Default::default()
            })
            .await
            .expect("history")
            .into_inner()
            .entries;
        if wanted
            .iter()
            .all(|w| seen.iter().any(|e| e.event_type == *w))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let types: Vec<&str> = seen.iter().map(|e| e.event_type.as_str()).collect();
    for w in wanted {
        assert!(types.contains(&w), "{w} in {types:?}");
    }
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
    journey.stop().await;
}
