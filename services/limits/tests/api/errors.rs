use crate::helpers::*;
use credit_platform::auth::roles;
use credit_proto::limits as pb;
use tonic_types::StatusExt;

fn violated_fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn bad_checks_are_refused_with_the_field_named_and_nothing_written() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "BAD", "").await;
    set_limit(&app, "BAD", amount_limit("1000", "EUR")).await;
    let cases: Vec<(&str, pb::CheckCreditRequest, &str)> = vec![
        (
            "zero amount",
            check_request("BAD", "O-1", "0", "EUR"),
            "amount.amount",
        ),
        (
            "negative amount",
            check_request("BAD", "O-1", "-5", "EUR"),
            "amount.amount",
        ),
        (
            "too many decimals",
            check_request("BAD", "O-1", "10.001", "EUR"),
            "amount.amount",
        ),
        (
            "decimals for JPY",
            check_request("BAD", "O-1", "10.5", "JPY"),
            "amount.amount",
        ),
        (
            "float notation",
            check_request("BAD", "O-1", "1e3", "EUR"),
            "amount.amount",
        ),
        (
            "unknown currency",
            check_request("BAD", "O-1", "10", "XXY"),
            "amount.currency_code",
        ),
        (
            "malformed customer",
            check_request("bad id!", "O-1", "10", "EUR"),
            "customer_id",
        ),
        (
            "missing order",
            check_request("BAD", "", "10", "EUR"),
            "order_id",
        ),
        (
            "malformed request id",
            pb::CheckCreditRequest {
                request_id: "abc".into(),
                ..check_request("BAD", "O-1", "10", "EUR")
            },
            "request_id",
        ),
        (
            "missing amount",
            pb::CheckCreditRequest {
                amount: None,
                ..check_request("BAD", "O-1", "10", "EUR")
            },
            "amount",
        ),
    ];
    for (name, request, field) in cases {
        let status = c.check_credit(request).await.expect_err(name);
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{name}");
        assert!(
            violated_fields(&status).contains(&field.to_string()),
            "{name}: {:?}",
            violated_fields(&status)
        );
    }
    let e = exposure(&mut c, "BAD").await;
    assert_eq!(
        amount_of(&e.own.expect("own").reserved_orders),
        "0.00",
        "nothing reserved"
    );
    let events = app
        .feed()
        .stream_events(credit_proto::event::StreamEventsRequest {
            after_sequence: 0,
            backlog_only: true,
        })
        .await
        .expect("events")
        .into_inner();
    use futures::StreamExt;
    let count = events.collect::<Vec<_>>().await.len();
    assert_eq!(count, 2, "only the account and its limit wrote events");
    app.stop().await;
}

#[tokio::test]
async fn unknown_accounts_are_not_found() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    let status = c
        .check_credit(check_request("NOBODY", "O-1", "10", "EUR"))
        .await
        .expect_err("unknown");
    assert_eq!(status.code(), tonic::Code::NotFound);
    let info = status
        .get_error_details()
        .error_info()
        .cloned()
        .expect("error info");
    assert_eq!(info.reason, "RESOURCE_NOT_FOUND");
    let status = c
        .get_credit_account(pb::GetCreditAccountRequest {
            customer_id: "NOBODY".into(),
        })
        .await
        .expect_err("unknown");
    assert_eq!(status.code(), tonic::Code::NotFound);
    app.stop().await;
}

#[tokio::test]
async fn page_sizes_out_of_range_and_bad_tokens_are_invalid() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    for size in [-1, 1001] {
        let status = c
            .list_credit_accounts(pb::ListCreditAccountsRequest {
                page_size: size,
                ..Default::default()
            })
            .await
            .expect_err("page size");
        assert_eq!(violated_fields(&status), ["page_size"]);
    }
    let status = c
        .list_credit_limit_changes(pb::ListCreditLimitChangesRequest {
            customer_id: "X".into(),
            page_size: 5000,
            ..Default::default()
        })
        .await
        .expect_err("page size");
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    app.stop().await;
}

#[tokio::test]
async fn bad_limits_name_every_offending_field() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "LIM", "").await;
    let mut limit = amount_limit("-1", "EUR");
    limit.valid_from = Some(credit_platform::clock::to_timestamp(START + DAY));
    limit.valid_to = Some(credit_platform::clock::to_timestamp(START));
    limit.tolerance = Some(pb::Tolerance {
        kind: Some(pb::tolerance::Kind::Percent("150".into())),
    });
    let mut setter = app.limit_setter();
    let status = setter
        .set_credit_limit(pb::SetCreditLimitRequest {
            customer_id: "LIM".into(),
            credit_limit: Some(limit),
            reason: String::new(),
            request_id: rid(),
            approved_by: Vec::new(),
            approval_reference: String::new(),
        })
        .await
        .expect_err("bad limit");
    let fields = violated_fields(&status);
    for field in [
        "approved_by",
        "approval_reference",
        "credit_limit.amount.amount",
        "credit_limit.valid_to",
        "credit_limit.tolerance.percent",
        "reason",
    ] {
        assert!(
            fields.contains(&field.to_string()),
            "{field} missing in {fields:?}"
        );
    }
    let status = setter
        .set_credit_limit(pb::SetCreditLimitRequest {
            customer_id: "LIM".into(),
            credit_limit: Some(amount_limit("100", "USD")),
            reason: "x".into(),
            request_id: rid(),
            approved_by: vec!["max.manager".into()],
            approval_reference: "APP-1".into(),
        })
        .await
        .expect_err("wrong currency");
    assert_eq!(
        violated_fields(&status),
        ["credit_limit.amount.currency_code"]
    );
    app.stop().await;
}

#[tokio::test]
async fn calls_without_a_valid_token_are_unauthenticated_and_wrong_roles_denied() {
    let app = spawn_app().await;
    let mut admin = app.client.clone();
    create_account(&mut admin, "AUTH", "").await;
    let mut anonymous = app.client_as("nobody", None);
    let status = anonymous
        .get_credit_account(pb::GetCreditAccountRequest {
            customer_id: "AUTH".into(),
        })
        .await
        .expect_err("no token");
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    let mut sales = app.client_as("order-service", Some(&[roles::SALES_ORDER]));
    let set = || pb::SetCreditLimitRequest {
        customer_id: "AUTH".into(),
        credit_limit: Some(amount_limit("1", "EUR")),
        reason: "x".into(),
        request_id: rid(),
        approved_by: vec!["max.manager".into()],
        approval_reference: "APP-1".into(),
    };
    // Nobody but the applications service sets a limit: not sales, not a manager skipping the
    // authority matrix, not an administrator.
    for (who, role) in [
        ("order-service", roles::SALES_ORDER),
        ("max.manager", roles::MANAGER),
        ("root", roles::ADMIN),
    ] {
        let status = app
            .client_as(who, Some(&[role]))
            .set_credit_limit(set())
            .await
            .expect_err("not the applications service");
        assert_eq!(status.code(), tonic::Code::PermissionDenied, "{who}");
    }
    // A service identity that also holds an approver role is no identity at all.
    let status = app
        .client_as(
            "service:applications",
            Some(&[roles::APPLICATIONS_SERVICE, roles::MANAGER]),
        )
        .set_credit_limit(set())
        .await
        .expect_err("service with an approver role");
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    // The role that may check can check, and its subject is recorded on the decision.
    set_limit(&app, "AUTH", amount_limit("100", "EUR")).await;
    // The change records who approved it, as applications named them.
    let changes = admin
        .list_credit_limit_changes(pb::ListCreditLimitChangesRequest {
            customer_id: "AUTH".into(),
            ..Default::default()
        })
        .await
        .expect("history")
        .into_inner()
        .credit_limit_changes;
    assert_eq!(changes[0].approved_by, ["max.manager", "ada.director"]);
    assert_eq!(changes[0].approval_reference, "APP-REVIEW-1");
    assert_eq!(changes[0].actor_subject, "service:applications");
    let answer = sales
        .check_credit(check_request("AUTH", "O-1", "10", "EUR"))
        .await
        .expect("check")
        .into_inner();
    let decision = admin
        .get_credit_decision(pb::GetCreditDecisionRequest {
            decision_id: answer.decision_id,
        })
        .await
        .expect("decision")
        .into_inner();
    assert_eq!(decision.actor_subject, "order-service");
    app.stop().await;
}
