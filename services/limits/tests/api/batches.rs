//! The check engine's batches: checks decided together answer as if decided one after another,
//! a replay in the same batch as its original reserves nothing twice, thousands of checks at
//! once never over-commit, and a full queue is refused with retry advice.
use crate::concurrency::approved_total;
use crate::helpers::*;
use credit_limits::app::{CheckAnswer, CheckJob, CheckOrder, Limits};
use credit_platform::auth::{Caller, roles};
use credit_platform::context::RequestContext;
use credit_platform::db::Db;
use credit_platform::money::{Currency, Money};
use credit_platform::outbox::FeedSignals;
use credit_platform::testing::TestDatabase;
use credit_proto::limits as pb;
use sqlx::Row;
use std::str::FromStr;
use std::sync::Arc;
use tonic_types::StatusExt;

/// The use cases over the test server's database, as a second process would see it.
async fn limits_beside(app: &TestApp) -> Limits {
    let db = Db::connect(&app.db.config).await.expect("connect");
    Limits::new(
        db,
        Arc::new(app.clock.clone()),
        FeedSignals::default(),
        14 * DAY,
    )
}

/// A check as the sales-order service sends it, ready for a batch.
fn job(request: &pb::CheckCreditRequest) -> CheckJob {
    let amount = request.amount.clone().expect("amount");
    CheckJob {
        context: RequestContext {
            caller: Caller::of(
                None,
                "service:sales-orders",
                vec![roles::SALES_ORDER.into()],
            ),
            request_id: request.request_id.clone(),
            trace_id: String::new(),
        },
        request: request.clone(),
        order: CheckOrder {
            customer_id: request.customer_id.clone(),
            order_id: request.order_id.clone(),
            amount: Money::new(
                rust_decimal::Decimal::from_str(&amount.amount).expect("amount"),
                Currency::from_code(&amount.currency_code).expect("currency"),
            ),
            reservation_ttl: None,
            dry_run: false,
            release: None,
        },
        traceparent: String::new(),
    }
}

/// What an answer says, without its ids: the outcome and the amount reserved, or the error.
fn said(answer: &CheckAnswer) -> String {
    match answer {
        Ok(a) => format!(
            "{:?} {}",
            outcome(a),
            a.reservation
                .as_ref()
                .map(|r| amount_of(&r.open_amount))
                .unwrap_or_default()
        ),
        Err(error) => format!("error: {error}"),
    }
}

/// The checks of one story: an order, its twin (same request id), the id reused for another
/// amount, a second order and its re-check, an unknown customer, and an order too large.
fn story() -> Vec<pb::CheckCreditRequest> {
    let first = check_request("HOT", "SO-1", "100", "EUR");
    let mut reused = first.clone();
    reused.amount = money("200", "EUR");
    let second = check_request("HOT", "SO-2", "100", "EUR");
    let recheck = check_request("HOT", "SO-2", "300", "EUR");
    vec![
        first.clone(),
        first,
        reused,
        second,
        recheck,
        check_request("NOBODY", "SO-9", "1", "EUR"),
        check_request("HOT", "SO-3", "700", "EUR"),
    ]
}

async fn hot_account() -> TestApp {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "HOT", "").await;
    set_limit(&app, "HOT", amount_limit("1000", "EUR")).await;
    app
}

async fn events_by_type(app: &TestApp) -> Vec<(String, i64)> {
    let db = Db::connect(&app.db.config).await.expect("connect");
    sqlx::query(
        "SELECT event_type, COUNT(*) FROM outbox_events WHERE event_type LIKE '%reservation%' \
         OR event_type LIKE '%credit_check%' GROUP BY event_type ORDER BY event_type",
    )
    .fetch_all(&db.pool)
    .await
    .expect("events")
    .iter()
    .map(|row| (row.get(0), row.get(1)))
    .collect()
}

#[tokio::test]
async fn a_batch_answers_as_its_checks_one_after_another_and_a_twin_in_it_reserves_once() {
    let batched = hot_account().await;
    let limits = limits_beside(&batched).await;
    let jobs: Vec<CheckJob> = story().iter().map(job).collect();
    let answers = limits.check_batch(&jobs).await.expect("batch");

    // The same story, one check per transaction.
    let alone = hot_account().await;
    let limits_alone = limits_beside(&alone).await;
    let mut answers_alone = Vec::new();
    for job in &jobs {
        let mut answer = limits_alone
            .check_batch(std::slice::from_ref(job))
            .await
            .expect("alone");
        answers_alone.push(answer.pop().expect("one answer"));
    }
    let told: Vec<String> = answers.iter().map(said).collect();
    assert_eq!(told, answers_alone.iter().map(said).collect::<Vec<_>>());
    let reused = format!(
        "error: request_id '{}' was already used for a different request",
        jobs[0].context.request_id
    );
    assert_eq!(
        told[..5],
        [
            "Approved 100.00",
            "Approved 100.00",
            reused.as_str(),
            "Approved 100.00",
            "Approved 300.00",
        ]
    );
    assert!(told[5].starts_with("error: "), "{}", told[5]);
    assert!(
        matches!(
            answers[5],
            Err(credit_platform::error::ApiError::NotFound { .. })
        ),
        "an unknown account fails its own check only"
    );
    assert_eq!(told[6], "Rejected ");

    // The twin is the first answer again, not a second reservation.
    let (first, twin) = (
        answers[0].as_ref().expect("first"),
        answers[1].as_ref().expect("twin"),
    );
    assert_eq!(first, twin);
    // The re-check adjusted the reservation the same batch created.
    let second = answers[3].as_ref().expect("second");
    let recheck = answers[4].as_ref().expect("recheck");
    let reservation_of = |a: &pb::CheckCreditResponse| {
        a.reservation
            .as_ref()
            .expect("reservation")
            .reservation_id
            .clone()
    };
    assert_eq!(reservation_of(second), reservation_of(recheck));

    let mut c = batched.client.clone();
    let e = exposure(&mut c, "HOT").await;
    assert_eq!(
        amount_of(&e.own.as_ref().expect("own").reserved_orders),
        "400.00",
        "SO-1 once and SO-2 at its re-checked amount"
    );
    // Every decision is stored.
    for answer in answers.iter().flatten() {
        c.get_credit_decision(pb::GetCreditDecisionRequest {
            decision_id: answer.decision_id.clone(),
        })
        .await
        .expect("stored decision");
    }
    // Asked again in a later batch, the original's request id gives the stored answer.
    let replayed = limits
        .check_batch(&jobs[..1])
        .await
        .expect("replay")
        .pop()
        .expect("one answer")
        .expect("replayed");
    assert_eq!(&replayed, first);
    // One event per decision, in both runs.
    let expected = vec![
        ("credit.limits.credit_check.rejected".to_string(), 1),
        ("credit.limits.reservation.adjusted".to_string(), 1),
        ("credit.limits.reservation.created".to_string(), 2),
    ];
    assert_eq!(events_by_type(&batched).await, expected);
    assert_eq!(events_by_type(&alone).await, expected);
    alone.stop().await;
    batched.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousands_of_checks_at_once_on_one_account_never_over_commit() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "HOT", "").await;
    set_limit(&app, "HOT", amount_limit("5000", "EUR")).await;
    let clients: Vec<Client> = (0..8).map(|_| app.client.clone()).collect();
    let approved = approved_total(clients, &["HOT"], 2000, "10").await;
    assert_eq!(approved, 500, "exactly the 5000 EUR fit");
    let e = exposure(&mut c, "HOT").await;
    assert_eq!(
        amount_of(&e.own.as_ref().expect("own").reserved_orders),
        "5000.00"
    );
    assert_eq!(amount_of(&e.available_credit), "0.00");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousands_of_checks_at_once_across_a_group_never_exceed_its_limit() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "HOLDING", "").await;
    set_limit(&app, "HOLDING", amount_limit("3000", "EUR")).await;
    let subs = ["SUB-1", "SUB-2", "SUB-3", "SUB-4"];
    for sub in subs {
        create_account(&mut c, sub, "HOLDING").await;
        set_limit(&app, sub, amount_limit("1000", "EUR")).await;
    }
    let approved = approved_total(vec![c.clone()], &subs, 2000, "10").await;
    assert_eq!(approved, 300);
    let mut sum = rust_decimal::Decimal::ZERO;
    for sub in subs {
        let own = exposure(&mut c, sub)
            .await
            .own
            .expect("own")
            .reserved_orders;
        let own = rust_decimal::Decimal::from_str(&amount_of(&own)).expect("decimal");
        assert!(
            own <= rust_decimal::Decimal::from(1000),
            "{sub} over its own limit"
        );
        sum += own;
    }
    assert_eq!(sum, rust_decimal::Decimal::from(3000));
    let group = exposure(&mut c, "HOLDING").await;
    assert_eq!(
        amount_of(&group.group.as_ref().expect("group").reserved_orders),
        "3000.00"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousands_of_checks_through_two_servers_on_one_database_never_over_commit() {
    let first = spawn_app().await;
    let second = spawn_app_on(Arc::clone(&first.db)).await;
    let mut c = first.client.clone();
    create_account(&mut c, "SHARED", "").await;
    set_limit(&first, "SHARED", amount_limit("2500", "EUR")).await;
    let approved = approved_total(
        vec![first.client.clone(), second.client.clone()],
        &["SHARED"],
        2000,
        "10",
    )
    .await;
    assert_eq!(approved, 250);
    let mut via_second = second.client.clone();
    let e = exposure(&mut via_second, "SHARED").await;
    assert_eq!(
        amount_of(&e.own.as_ref().expect("own").reserved_orders),
        "2500.00"
    );
    second.stop().await;
    first.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_queue_refuses_checks_with_retry_advice_and_their_retries_reserve_once() {
    let db = Arc::new(TestDatabase::create().await.expect("test database"));
    let app = spawn_tuned(
        db,
        credit_platform::clock::ManualClock::new(START),
        |config| {
            config.check_batch = 1;
            config.check_queue = 1;
        },
    )
    .await;
    let mut c = app.client.clone();
    create_account(&mut c, "HOT", "").await;
    set_limit(&app, "HOT", amount_limit("1000", "EUR")).await;
    let requests: Vec<pb::CheckCreditRequest> = (0..300)
        .map(|i| check_request("HOT", &format!("SO-{i}"), "10", "EUR"))
        .collect();
    let sent = requests.iter().map(|request| {
        let mut client = c.clone();
        let request = request.clone();
        async move { client.check_credit(request).await }
    });
    let answers = futures::future::join_all(sent).await;
    let mut refused = Vec::new();
    for (request, answer) in requests.iter().zip(&answers) {
        if let Err(status) = answer {
            assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
            let info = status.get_details_error_info().expect("error info");
            assert_eq!(info.reason, "OVERLOADED");
            let retry = status.get_details_retry_info().expect("retry info");
            assert!(retry.retry_delay.is_some_and(|d| !d.is_zero()));
            refused.push(request.clone());
        }
    }
    assert!(
        !refused.is_empty(),
        "300 checks at once overflow a queue of one"
    );
    // Sent again with the same request ids, as advised: each decided once.
    for request in refused {
        loop {
            match c.check_credit(request.clone()).await {
                Err(status) if status.code() == tonic::Code::Unavailable => {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                answer => {
                    answer.expect("retried check");
                    break;
                }
            }
        }
    }
    let e = exposure(&mut c, "HOT").await;
    assert_eq!(
        amount_of(&e.own.as_ref().expect("own").reserved_orders),
        "1000.00",
        "100 of 300 orders fit, whether refused first or not"
    );
    app.stop().await;
}
