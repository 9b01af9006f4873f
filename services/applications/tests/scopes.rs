//! Master data and data scopes in applications, against real limits and scoring servers: the
//! authority matrix routes by the region limits has for the customer, not by what intake typed;
//! a token limited to some regions reads, lists and changes only their customers' applications.
mod support;

use credit_platform::auth::{BearerToken, ScopeClaims, mint_hs256_scoped_token, roles};
use credit_proto::applications as pb;
use credit_proto::applications::applications_service_client::ApplicationsServiceClient;
use credit_proto::event::StreamEventsRequest;
use credit_proto::event::event_feed_service_client::EventFeedServiceClient;
use credit_proto::limits as lpb;
use futures::StreamExt;
use std::time::Duration;
use support::{Client, SECRET, Suite, application, create, rid, submit};
use tonic_types::StatusExt;

fn scoped_token(subject: &str, token_roles: &[&str], regions: &[&str]) -> BearerToken {
    let scope = ScopeClaims::regions(regions);
    let token = mint_hs256_scoped_token(
        SECRET,
        subject,
        token_roles,
        &scope,
        Duration::from_secs(600),
    )
    .expect("token");
    BearerToken(Some(token))
}

fn regional(suite: &Suite, subject: &str, token_roles: &[&str], regions: &[&str]) -> Client {
    ApplicationsServiceClient::with_interceptor(
        suite.applications.channel.clone(),
        scoped_token(subject, token_roles, regions),
    )
}

/// Opens the customer's account in limits: its master data.
async fn open_account(suite: &Suite, customer_id: &str, region: &str) {
    suite
        .limits_client()
        .create_credit_account(lpb::CreateCreditAccountRequest {
            credit_account: Some(lpb::CreditAccount {
                customer_id: customer_id.into(),
                name: format!("{customer_id} SAS"),
                currency_code: "EUR".into(),
                region: region.into(),
                business_unit: "industrial".into(),
                ..Default::default()
            }),
            request_id: rid(),
        })
        .await
        .expect("account");
}

fn typed_in(customer_id: &str, tax_id: &str, region: &str) -> pb::Application {
    let mut app = application(customer_id, tax_id, "40000");
    app.applicant.as_mut().expect("applicant").region = region.into();
    app
}

/// The Americas have their own desk of analysts; everything else goes to head office.
fn regional_policy() -> String {
    let mut doc: serde_json::Value =
        serde_json::from_str(credit_applications::domain::policy::DEFAULT_POLICY).expect("json");
    doc["name"] = "Regional desks".into();
    doc["automatic_decisions"] = false.into();
    doc["levels"] = serde_json::json!([
        {"name": "americas desk", "roles": ["credit.analyst"], "sla_hours": 8,
         "regions": ["AMER"]},
        {"name": "head office", "roles": ["credit.manager"], "sla_hours": 8}
    ]);
    doc["dual_approval_above"] = serde_json::json!({});
    doc.to_string()
}

async fn put_in_force(suite: &Suite, document_json: String) {
    let proposed = suite
        .client("max.manager", &[roles::MANAGER])
        .upload_decision_policy(pb::UploadDecisionPolicyRequest {
            document_json,
            activate: false,
            request_id: rid(),
        })
        .await
        .expect("upload")
        .into_inner();
    suite
        .client("mia.manager", &[roles::MANAGER])
        .approve_decision_policy(pb::ApproveDecisionPolicyRequest {
            version: proposed.version,
            request_id: rid(),
        })
        .await
        .expect("approve");
}

fn first_level(app: &pb::Application) -> String {
    app.approval_steps
        .first()
        .map(|s| s.level.clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_authority_matrix_routes_by_the_region_limits_has_for_the_customer() {
    let suite = Suite::start().await;
    put_in_force(&suite, regional_policy()).await;
    let mut sales = suite.sales();
    // A European customer typed in as American would reach the Americas' analysts.
    open_account(&suite, "KNOWN-FR", "EMEA").await;
    suite.bureau("KNOWN-FR").await;
    let id = create(&mut sales, typed_in("KNOWN-FR", "FR40303265045", "AMER")).await;
    let submitted = submit(&mut sales, &id).await;
    assert_eq!(first_level(&submitted), "head office", "{submitted:?}");
    let applicant = submitted.applicant.expect("applicant");
    assert_eq!(applicant.region, "EMEA", "routed by master data");
    // A customer limits does not know yet is routed by its intake.
    suite.bureau("NEW-US").await;
    let id = create(&mut sales, typed_in("NEW-US", "FR12345678901", "AMER")).await;
    assert_eq!(first_level(&submit(&mut sales, &id).await), "americas desk");
    // Policies apply to every region: a regional manager neither proposes nor approves one.
    let refused = regional(&suite, "rita.manager", &[roles::MANAGER], &["EMEA"])
        .upload_decision_policy(pb::UploadDecisionPolicyRequest {
            document_json: regional_policy(),
            activate: false,
            request_id: rid(),
        })
        .await
        .expect_err("regional");
    assert_out_of_scope(&refused);
    suite.stop().await;
}

fn assert_out_of_scope(status: &tonic::Status) {
    assert_eq!(status.code(), tonic::Code::PermissionDenied, "{status:?}");
    let info = status.get_error_details().error_info().cloned();
    assert_eq!(info.expect("error info").reason, "OUT_OF_SCOPE");
}

async fn listed(client: &mut Client) -> Vec<String> {
    let mut customers: Vec<String> = client
        .list_applications(pb::ListApplicationsRequest::default())
        .await
        .expect("list")
        .into_inner()
        .applications
        .into_iter()
        .map(|a| a.customer_id)
        .collect();
    customers.sort();
    customers
}

#[tokio::test]
async fn a_regional_token_sees_and_acts_on_its_regions_applications_only() {
    let suite = Suite::start().await;
    let mut sales = suite.sales();
    let eu = create(&mut sales, typed_in("EU-FR", "FR40303265045", "EMEA")).await;
    let us = create(&mut sales, typed_in("US-FR", "FR12345678901", "AMER")).await;
    let mut emea = regional(&suite, "eva.analyst", &[roles::ANALYST], &["EMEA"]);

    // Reads: its region's application is there, the other looks absent.
    let get = |id: &str| pb::GetApplicationRequest {
        application_id: id.into(),
    };
    emea.get_application(get(&eu)).await.expect("own region");
    let hidden = emea.get_application(get(&us)).await.expect_err("hidden");
    assert_eq!(hidden.code(), tonic::Code::NotFound);
    let documents = pb::ListDocumentsRequest {
        application_id: us.clone(),
        ..Default::default()
    };
    let hidden = emea.list_documents(documents).await.expect_err("hidden");
    assert_eq!(hidden.code(), tonic::Code::NotFound);
    let notice = pb::GetDecisionNoticeRequest {
        application_id: us.clone(),
        language: String::new(),
    };
    let hidden = emea.get_decision_notice(notice).await.expect_err("hidden");
    assert_eq!(hidden.code(), tonic::Code::NotFound);
    assert_eq!(listed(&mut emea).await, ["EU-FR"]);
    assert_eq!(listed(&mut sales).await, ["EU-FR", "US-FR"]);

    // Changes: refused outside, done inside; a new customer only in its own region.
    let submitted = emea
        .submit_application(pb::SubmitApplicationRequest {
            application_id: us.clone(),
            request_id: rid(),
        })
        .await
        .expect_err("other region");
    assert_out_of_scope(&submitted);
    let withdrawn = emea
        .withdraw_application(pb::WithdrawApplicationRequest {
            application_id: us.clone(),
            reason: "not ours".into(),
            request_id: rid(),
        })
        .await
        .expect_err("other region");
    assert_out_of_scope(&withdrawn);
    let created = emea
        .create_application(pb::CreateApplicationRequest {
            application: Some(typed_in("NEW-US", "FR55555555555", "AMER")),
            request_id: rid(),
        })
        .await
        .expect_err("other region");
    assert_out_of_scope(&created);
    emea.create_application(pb::CreateApplicationRequest {
        application: Some(typed_in("NEW-EU", "FR55555555555", "EMEA")),
        request_id: rid(),
    })
    .await
    .expect("own region");
    assert_eq!(listed(&mut emea).await, ["EU-FR", "NEW-EU"]);

    // When limits places the customer elsewhere, master data wins: the application moves out
    // of the regional view (applications follows limits' feed).
    open_account(&suite, "NEW-EU", "AMER").await;
    let mut moved = false;
    for _ in 0..500 {
        if listed(&mut emea).await == ["EU-FR"] {
            moved = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        moved,
        "NEW-EU should leave the EMEA view once limits places it in AMER"
    );

    // The feed, for a regional auditor, carries only its region's customers.
    let mut feed = EventFeedServiceClient::with_interceptor(
        suite.applications.channel.clone(),
        scoped_token("audrey.auditor", &[roles::AUDITOR], &["EMEA"]),
    );
    let customers: Vec<String> = feed
        .stream_events(StreamEventsRequest {
            after_sequence: 0,
            backlog_only: true,
        })
        .await
        .expect("feed")
        .into_inner()
        .map(|e| e.expect("event").event.expect("event").customer_id)
        .collect()
        .await;
    assert!(!customers.is_empty());
    assert!(
        customers.iter().all(|c| c.is_empty() || c == "EU-FR"),
        "{customers:?}"
    );
    suite.stop().await;
}
