//! Data scopes in limits: a token limited to regions or business units reads only their
//! customers (others look absent), changes only them (others are refused with
//! PERMISSION_DENIED, `OUT_OF_SCOPE`), and its lists and feed leave the others out.
use crate::helpers::*;
use credit_platform::auth::{BearerToken, ScopeClaims, mint_hs256_scoped_token, roles};
use credit_proto::event::event_feed_service_client::EventFeedServiceClient;
use credit_proto::limits as pb;
use credit_proto::limits::limits_service_client::LimitsServiceClient;
use futures::StreamExt;
use std::time::Duration;
use tonic_types::StatusExt;

fn scoped_token(roles: &[&str], regions: &[&str], business_units: Option<&[&str]>) -> String {
    let list = |values: &[&str]| values.iter().map(|v| v.to_string()).collect();
    let scope = ScopeClaims {
        regions: Some(list(regions)),
        business_units: business_units.map(list),
    };
    mint_hs256_scoped_token(SECRET, "regional", roles, &scope, Duration::from_secs(600))
        .expect("token")
}

fn scoped(app: &TestApp, roles: &[&str], regions: &[&str]) -> Client {
    let token = scoped_token(roles, regions, None);
    LimitsServiceClient::with_interceptor(app.channel.clone(), BearerToken(Some(token)))
}

async fn open(client: &mut Client, customer_id: &str, region: &str) -> tonic::Status {
    let answer = client
        .create_credit_account(pb::CreateCreditAccountRequest {
            credit_account: Some(pb::CreditAccount {
                customer_id: customer_id.into(),
                name: format!("{customer_id} Ltd"),
                currency_code: "EUR".into(),
                region: region.into(),
                business_unit: "industrial".into(),
                ..Default::default()
            }),
            request_id: rid(),
        })
        .await;
    match answer {
        Ok(_) => tonic::Status::ok(""),
        Err(status) => status,
    }
}

fn assert_out_of_scope(status: &tonic::Status) {
    assert_eq!(status.code(), tonic::Code::PermissionDenied, "{status:?}");
    let info = status.get_error_details().error_info().cloned();
    assert_eq!(info.expect("error info").reason, "OUT_OF_SCOPE");
}

fn hold(customer_id: &str) -> pb::PlaceCreditHoldRequest {
    pb::PlaceCreditHoldRequest {
        customer_id: customer_id.into(),
        reason: "overdue".into(),
        request_id: rid(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_regional_token_reads_and_changes_only_its_regions_customers() {
    let app = spawn_app().await;
    let mut admin = app.client.clone();
    assert_eq!(
        open(&mut admin, "C-EU", "EMEA").await.code(),
        tonic::Code::Ok
    );
    assert_eq!(
        open(&mut admin, "C-US", "AMER").await.code(),
        tonic::Code::Ok
    );
    set_limit(&app, "C-EU", amount_limit("1000", "EUR")).await;
    set_limit(&app, "C-US", amount_limit("1000", "EUR")).await;
    let us_order = check(&mut admin, "C-US", "O-US", "100").await;
    let us_reservation = us_order
        .reservation
        .clone()
        .expect("reserved")
        .reservation_id;

    let mut emea = scoped(&app, &[roles::ANALYST], &["EMEA"]);
    // Reads: its customer is there, the other region's looks absent.
    let get = |customer: &str| pb::GetCreditAccountRequest {
        customer_id: customer.into(),
    };
    emea.get_credit_account(get("C-EU"))
        .await
        .expect("own region");
    let hidden = emea
        .get_credit_account(get("C-US"))
        .await
        .expect_err("hidden");
    assert_eq!(hidden.code(), tonic::Code::NotFound);
    assert!(!hidden.message().contains("AMER"), "{}", hidden.message());
    let exposure = pb::GetExposureRequest {
        customer_id: "C-US".into(),
        as_of_time: None,
    };
    let hidden = emea.get_exposure(exposure).await.expect_err("hidden");
    assert_eq!(hidden.code(), tonic::Code::NotFound);
    let changes = pb::ListCreditLimitChangesRequest {
        customer_id: "C-US".into(),
        ..Default::default()
    };
    let hidden = emea.list_credit_limit_changes(changes).await;
    assert_eq!(hidden.expect_err("hidden").code(), tonic::Code::NotFound);
    let holds = pb::ListCreditHoldsRequest {
        customer_id: "C-US".into(),
        ..Default::default()
    };
    let hidden = emea.list_credit_holds(holds).await.expect_err("hidden");
    assert_eq!(hidden.code(), tonic::Code::NotFound);
    let reservation = pb::GetReservationRequest {
        reservation_id: us_reservation.clone(),
    };
    let hidden = emea.get_reservation(reservation).await.expect_err("hidden");
    assert_eq!(hidden.code(), tonic::Code::NotFound);
    let decision = pb::GetCreditDecisionRequest {
        decision_id: us_order.decision_id.clone(),
    };
    let hidden = emea
        .get_credit_decision(decision)
        .await
        .expect_err("hidden");
    assert_eq!(hidden.code(), tonic::Code::NotFound);
    let replay = pb::ReplayCreditDecisionRequest {
        decision_id: us_order.decision_id.clone(),
    };
    let hidden = emea
        .replay_credit_decision(replay)
        .await
        .expect_err("hidden");
    assert_eq!(hidden.code(), tonic::Code::NotFound);

    // Lists leave the other region out; the unscoped token sees both.
    let list = |client: &mut Client| {
        let mut client = client.clone();
        async move {
            let listed = client
                .list_credit_accounts(pb::ListCreditAccountsRequest::default())
                .await
                .expect("list")
                .into_inner();
            let ids: Vec<String> = listed
                .credit_accounts
                .into_iter()
                .map(|a| a.customer_id)
                .collect();
            ids
        }
    };
    assert_eq!(list(&mut emea).await, ["C-EU"]);
    assert_eq!(list(&mut admin).await, ["C-EU", "C-US"]);

    // Changes: refused outside, done inside.
    assert_out_of_scope(&emea.place_credit_hold(hold("C-US")).await.expect_err("out"));
    let receivable = pb::PostReceivableRequest {
        customer_id: "C-US".into(),
        document_id: "INV-1".into(),
        open_amount: money("10", "EUR"),
        ..Default::default()
    };
    assert_out_of_scope(&emea.post_receivable(receivable).await.expect_err("out"));
    assert_out_of_scope(&open(&mut emea, "C-NEW-US", "AMER").await);
    assert_eq!(
        open(&mut emea, "C-NEW-EU", "EMEA").await.code(),
        tonic::Code::Ok
    );
    emea.place_credit_hold(hold("C-NEW-EU"))
        .await
        .expect("own region");
    // Moving its own customer to another region would lose it: refused.
    let moved = emea
        .update_credit_account(pb::UpdateCreditAccountRequest {
            credit_account: Some(pb::CreditAccount {
                customer_id: "C-NEW-EU".into(),
                region: "AMER".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["region".into()],
            }),
            request_id: rid(),
        })
        .await
        .expect_err("moved out");
    assert_out_of_scope(&moved);
    // What applies to every region is not a regional manager's to change.
    let mut regional_manager = scoped(&app, &[roles::MANAGER], &["EMEA"]);
    let rate = regional_manager
        .set_fx_rate(pb::SetFxRateRequest {
            fx_rate: Some(pb::FxRate {
                base_currency_code: "USD".into(),
                quote_currency_code: "EUR".into(),
                rate: "0.9".into(),
                ..Default::default()
            }),
            request_id: rid(),
        })
        .await
        .expect_err("global");
    assert_out_of_scope(&rate);

    // A scoped sales-order caller checks and draws down only its region's orders.
    let mut emea_orders = scoped(&app, &[roles::SALES_ORDER], &["EMEA"]);
    let refused = emea_orders
        .check_credit(check_request("C-US", "O-2", "10", "EUR"))
        .await
        .expect_err("other region");
    assert_out_of_scope(&refused);
    let release = pb::ReleaseReservationRequest {
        reservation_id: us_reservation.clone(),
        request_id: rid(),
        ..Default::default()
    };
    assert_out_of_scope(
        &emea_orders
            .release_reservation(release)
            .await
            .expect_err("out"),
    );
    assert_eq!(
        outcome(&check(&mut emea_orders, "C-EU", "O-3", "10").await),
        pb::CheckOutcome::Approved
    );

    // A business unit the customers are not in sees none of them.
    let token = scoped_token(&[roles::VIEWER], &["EMEA", "AMER"], Some(&["paper"]));
    let mut paper =
        LimitsServiceClient::with_interceptor(app.channel.clone(), BearerToken(Some(token)));
    assert!(list(&mut paper).await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_regional_feed_carries_only_its_regions_customers() {
    let app = spawn_app().await;
    let mut admin = app.client.clone();
    open(&mut admin, "C-EU", "EMEA").await;
    open(&mut admin, "C-US", "AMER").await;
    let read = |token: String| {
        let channel = app.channel.clone();
        async move {
            let mut feed =
                EventFeedServiceClient::with_interceptor(channel, BearerToken(Some(token)));
            let events: Vec<String> = feed
                .stream_events(credit_proto::event::StreamEventsRequest {
                    after_sequence: 0,
                    backlog_only: true,
                })
                .await
                .expect("feed")
                .into_inner()
                .map(|e| e.expect("event").event.expect("event").customer_id)
                .collect()
                .await;
            events
        }
    };
    let emea = scoped_token(&[roles::AUDITOR], &["EMEA"], None);
    assert_eq!(read(emea).await, ["C-EU"]);
    let everyone = scoped_token(&[roles::AUDITOR], &["EMEA", "AMER"], None);
    assert_eq!(read(everyone).await, ["C-EU", "C-US"]);
    app.stop().await;
}
