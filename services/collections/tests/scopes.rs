//! Data scopes in collections: a token limited to some regions reads its customers only
//! (others look absent), changes only them (others are refused, `OUT_OF_SCOPE`), and its
//! portfolio reports and lists leave the others out.
mod support;

use credit_platform::auth::{BearerToken, ScopeClaims, mint_hs256_scoped_token, roles};
use credit_proto::collections as pb;
use credit_proto::collections::collections_service_client::CollectionsServiceClient;
use std::time::Duration;
use support::{App, Client, SECRET, date, import, invoice, money, rid};
use tonic_types::StatusExt;

fn regional(app: &App, subject: &str, token_roles: &[&str], regions: &[&str]) -> Client {
    let scope = ScopeClaims::regions(regions);
    let token = mint_hs256_scoped_token(
        SECRET,
        subject,
        token_roles,
        &scope,
        Duration::from_secs(600),
    )
    .expect("token");
    CollectionsServiceClient::with_interceptor(app.channel.clone(), BearerToken(Some(token)))
}

fn customer(id: &str, region: &str) -> pb::PutCustomerRequest {
    pb::PutCustomerRequest {
        customer: Some(pb::Customer {
            customer_id: id.into(),
            name: format!("{id} Ltd"),
            segment: "SME".into(),
            region: region.into(),
            language: "en".into(),
            time_zone: "Europe/London".into(),
            email: format!("ap@{}.example", id.to_lowercase()),
            ..Default::default()
        }),
        request_id: rid(),
    }
}

fn assert_out_of_scope(status: &tonic::Status) {
    assert_eq!(status.code(), tonic::Code::PermissionDenied, "{status:?}");
    let info = status.get_error_details().error_info().cloned();
    assert_eq!(info.expect("error info").reason, "OUT_OF_SCOPE");
}

fn dispute(invoice_id: &str) -> pb::OpenDisputeRequest {
    pb::OpenDisputeRequest {
        invoice_id: invoice_id.into(),
        amount: money("100", "EUR"),
        reason: pb::DisputeReason::Damaged as i32,
        comment: "two pallets arrived broken".into(),
        request_id: rid(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_regional_token_sees_and_acts_on_its_regions_customers_only() {
    let app = App::start().await;
    let mut erp = app.erp();
    erp.put_customer(customer("EU-1", "EMEA"))
        .await
        .expect("EU");
    erp.put_customer(customer("US-1", "AMER"))
        .await
        .expect("US");
    import(
        &mut erp,
        true,
        vec![
            invoice("INV-EU", "EU-1", "1000", "2026-01-01", "2026-01-31"),
            invoice("INV-US", "US-1", "2000", "2026-01-01", "2026-01-31"),
        ],
    )
    .await;
    erp.open_dispute(dispute("INV-US"))
        .await
        .expect("US dispute");
    let mut emea = regional(&app, "eva", &[roles::ANALYST], &["EMEA"]);

    // Reads of another region's customer look like reads of nothing.
    let get = |id: &str| pb::GetCustomerRequest {
        customer_id: id.into(),
    };
    emea.get_customer(get("EU-1")).await.expect("own region");
    let hidden = emea.get_customer(get("US-1")).await.expect_err("hidden");
    assert_eq!(hidden.code(), tonic::Code::NotFound);
    let document = pb::GetDocumentRequest {
        document_id: "INV-US".into(),
    };
    let hidden = emea.get_document(document).await.expect_err("hidden");
    assert_eq!(hidden.code(), tonic::Code::NotFound);
    let listed = pb::ListDocumentsRequest {
        customer_id: "US-1".into(),
        ..Default::default()
    };
    let hidden = emea.list_documents(listed).await.expect_err("hidden");
    assert_eq!(hidden.code(), tonic::Code::NotFound);

    // Portfolio reports and lists count only its customers.
    let aging = |client: &mut Client| {
        let mut client = client.clone();
        async move {
            let aging = client
                .get_aging(pb::GetAgingRequest {
                    as_of_date: date("2026-03-01"),
                    group_by: pb::AgingGroup::Customer as i32,
                    ..Default::default()
                })
                .await
                .expect("aging")
                .into_inner();
            aging.rows.into_iter().map(|r| r.key).collect::<Vec<_>>()
        }
    };
    assert_eq!(aging(&mut emea).await, ["EU-1"]);
    assert_eq!(aging(&mut erp).await, ["EU-1", "US-1"]);
    let worklist = emea
        .get_worklist(pb::GetWorklistRequest::default())
        .await
        .expect("worklist")
        .into_inner();
    let customers: Vec<String> = worklist.items.into_iter().map(|i| i.customer_id).collect();
    assert_eq!(customers, ["EU-1"]);
    let disputes = emea
        .list_disputes(pb::ListDisputesRequest::default())
        .await
        .expect("disputes")
        .into_inner();
    assert!(disputes.disputes.is_empty(), "{disputes:?}");
    let metrics = emea
        .get_collection_metrics(pb::GetCollectionMetricsRequest {
            start_date: date("2026-01-01"),
            end_date: date("2026-02-28"),
            group_by: pb::AgingGroup::Customer as i32,
            ..Default::default()
        })
        .await
        .expect("metrics")
        .into_inner();
    assert!(metrics.rows.iter().all(|r| r.key == "EU-1"), "{metrics:?}");

    // Changes: refused outside the scope, done inside it.
    assert_out_of_scope(&emea.open_dispute(dispute("INV-US")).await.expect_err("out"));
    emea.open_dispute(dispute("INV-EU"))
        .await
        .expect("own region");
    let promise = |customer: &str| pb::RecordPromiseRequest {
        customer_id: customer.into(),
        amount: money("100", "EUR"),
        promised_date: date("2026-03-20"),
        request_id: rid(),
        ..Default::default()
    };
    assert_out_of_scope(&emea.record_promise(promise("US-1")).await.expect_err("out"));
    emea.record_promise(promise("EU-1"))
        .await
        .expect("own region");
    let moved = emea
        .put_customer(customer("US-2", "AMER"))
        .await
        .expect_err("a customer of another region");
    assert_out_of_scope(&moved);
    let mut messages = vec![pb::ImportDocumentsRequest {
        part: Some(pb::import_documents_request::Part::Options(
            pb::ImportOptions {
                all_or_nothing: true,
                source: "regional.csv".into(),
            },
        )),
    }];
    messages.push(pb::ImportDocumentsRequest {
        part: Some(pb::import_documents_request::Part::Row(pb::DocumentRow {
            row_number: 1,
            document: Some(invoice("INV-US-2", "US-1", "5", "2026-02-01", "2026-03-03")),
        })),
    });
    let refused = emea
        .import_documents(futures::stream::iter(messages))
        .await
        .expect_err("another region's invoice");
    assert_out_of_scope(&refused);
    // A dunning policy applies to every region.
    let policy = regional(&app, "rita", &[roles::MANAGER], &["EMEA"])
        .upload_dunning_policy(pb::UploadDunningPolicyRequest {
            document_json: credit_collections::domain::policy::DEFAULT_POLICY.into(),
            request_id: rid(),
            ..Default::default()
        })
        .await
        .expect_err("regional manager");
    assert_out_of_scope(&policy);
    app.stop().await;
}
