use crate::helpers::*;
use credit_proto::limits as pb;

#[tokio::test]
async fn an_account_is_created_read_and_listed_with_filters_and_pages() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    for id in ["C-001", "C-002", "C-003", "C-004", "C-005"] {
        create_account(&mut c, id, "").await;
    }
    c.update_credit_account(pb::UpdateCreditAccountRequest {
        credit_account: Some(pb::CreditAccount {
            customer_id: "C-003".into(),
            region: "APAC".into(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["region".into()],
        }),
        request_id: rid(),
    })
    .await
    .expect("update");

    let got = c
        .get_credit_account(pb::GetCreditAccountRequest {
            customer_id: "C-003".into(),
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(got.region, "APAC");
    assert_eq!(got.name, "C-003 GmbH", "fields outside the mask stay");
    assert_eq!(
        pb::LimitMode::try_from(got.credit_limit.expect("limit").mode),
        Ok(pb::LimitMode::None)
    );

    let emea = c
        .list_credit_accounts(pb::ListCreditAccountsRequest {
            region: "EMEA".into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(emea.credit_accounts.len(), 4);

    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = c
            .list_credit_accounts(pb::ListCreditAccountsRequest {
                page_size: 2,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .expect("page")
            .into_inner();
        assert!(page.credit_accounts.len() <= 2);
        seen.extend(page.credit_accounts.into_iter().map(|a| a.customer_id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen, ["C-001", "C-002", "C-003", "C-004", "C-005"]);
    app.stop().await;
}

#[tokio::test]
async fn utilisation_and_hold_filters_select_the_right_accounts() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    for id in ["HIGH", "LOW", "HELD"] {
        create_account(&mut c, id, "").await;
        set_limit(&app, id, amount_limit("1000", "EUR")).await;
    }
    assert_eq!(
        outcome(&check(&mut c, "HIGH", "O-1", "900").await),
        pb::CheckOutcome::Approved
    );
    assert_eq!(
        outcome(&check(&mut c, "LOW", "O-2", "100").await),
        pb::CheckOutcome::Approved
    );
    c.place_credit_hold(pb::PlaceCreditHoldRequest {
        customer_id: "HELD".into(),
        reason: "returned direct debit".into(),
        request_id: rid(),
        ..Default::default()
    })
    .await
    .expect("hold");

    let busy = c
        .list_credit_accounts(pb::ListCreditAccountsRequest {
            min_utilisation: "0.8".into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(
        busy.credit_accounts
            .iter()
            .map(|a| a.customer_id.as_str())
            .collect::<Vec<_>>(),
        ["HIGH"]
    );
    assert_eq!(
        busy.credit_accounts[0]
            .exposure
            .as_ref()
            .expect("exposure")
            .utilisation,
        "0.9000"
    );
    let held = c
        .list_credit_accounts(pb::ListCreditAccountsRequest {
            on_hold: Some(true),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(
        held.credit_accounts
            .iter()
            .map(|a| a.customer_id.as_str())
            .collect::<Vec<_>>(),
        ["HELD"]
    );
    app.stop().await;
}

#[tokio::test]
async fn every_limit_change_is_kept_with_actor_and_reason() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "HIST", "").await;
    set_limit(&app, "HIST", amount_limit("1000", "EUR")).await;
    set_limit(&app, "HIST", amount_limit("2500.50", "EUR")).await;
    let history = c
        .list_credit_limit_changes(pb::ListCreditLimitChangesRequest {
            customer_id: "HIST".into(),
            ..Default::default()
        })
        .await
        .expect("history")
        .into_inner();
    assert_eq!(history.credit_limit_changes.len(), 2);
    let newest = &history.credit_limit_changes[0];
    assert_eq!(
        amount_of(&newest.after.as_ref().expect("after").amount),
        "2500.50"
    );
    assert_eq!(
        amount_of(&newest.before.as_ref().expect("before").amount),
        "1000.00"
    );
    assert_eq!(newest.actor_subject, "service:applications");
    assert_eq!(newest.reason, "annual review");
    app.stop().await;
}

#[tokio::test]
async fn a_retried_create_returns_the_first_answer_and_a_second_account_with_the_same_id_is_refused()
 {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    let request = pb::CreateCreditAccountRequest {
        credit_account: Some(pb::CreditAccount {
            customer_id: "DUP".into(),
            name: "Dup SA".into(),
            currency_code: "EUR".into(),
            ..Default::default()
        }),
        request_id: rid(),
    };
    let first = c
        .create_credit_account(request.clone())
        .await
        .expect("first")
        .into_inner();
    let retry = c
        .create_credit_account(request.clone())
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(first, retry);
    let mut other = request.clone();
    other.request_id = rid();
    let err = c.create_credit_account(other).await.expect_err("duplicate");
    assert_eq!(err.code(), tonic::Code::AlreadyExists);
    let mut reused = request;
    reused.credit_account.as_mut().expect("account").name = "Other".into();
    let err = c
        .create_credit_account(reused)
        .await
        .expect_err("reused id");
    assert_eq!(err.code(), tonic::Code::AlreadyExists);
    assert!(err.message().contains("request_id"));
    app.stop().await;
}

#[tokio::test]
async fn moving_an_account_into_a_group_moves_its_exposure_and_cycles_are_refused() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "PARENT", "").await;
    create_account(&mut c, "CHILD", "").await;
    set_limit(&app, "CHILD", amount_limit("1000", "EUR")).await;
    check(&mut c, "CHILD", "O-1", "400").await;
    c.update_credit_account(pb::UpdateCreditAccountRequest {
        credit_account: Some(pb::CreditAccount {
            customer_id: "CHILD".into(),
            parent_customer_id: "PARENT".into(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["parent_customer_id".into()],
        }),
        request_id: rid(),
    })
    .await
    .expect("join group");
    let parent = exposure(&mut c, "PARENT").await;
    assert_eq!(
        amount_of(&parent.group.expect("group").reserved_orders),
        "400.00"
    );
    assert_eq!(amount_of(&parent.own.expect("own").reserved_orders), "0.00");

    let err = c
        .update_credit_account(pb::UpdateCreditAccountRequest {
            credit_account: Some(pb::CreditAccount {
                customer_id: "PARENT".into(),
                parent_customer_id: "CHILD".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["parent_customer_id".into()],
            }),
            request_id: rid(),
        })
        .await
        .expect_err("cycle");
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);

    c.update_credit_account(pb::UpdateCreditAccountRequest {
        credit_account: Some(pb::CreditAccount {
            customer_id: "CHILD".into(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["parent_customer_id".into()],
        }),
        request_id: rid(),
    })
    .await
    .expect("leave group");
    let parent = exposure(&mut c, "PARENT").await;
    assert_eq!(
        amount_of(&parent.group.expect("group").reserved_orders),
        "0.00"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_group_shares_one_currency() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account_in(&mut c, "EU-HOLDING", "", "EUR").await;
    let err = c
        .create_credit_account(pb::CreateCreditAccountRequest {
            credit_account: Some(pb::CreditAccount {
                customer_id: "US-SUB".into(),
                name: "US Sub Inc".into(),
                currency_code: "USD".into(),
                parent_customer_id: "EU-HOLDING".into(),
                ..Default::default()
            }),
            request_id: rid(),
        })
        .await
        .expect_err("mixed currencies");
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);
    app.stop().await;
}
