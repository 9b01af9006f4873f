//! Never over-commit: under concurrent checks the sum of reserved orders and receivables never
//! exceeds the limit, on one account, across a group, and across two servers on one database.
use crate::helpers::*;
use credit_proto::limits as pb;
use std::sync::Arc;

pub(crate) async fn approved_total(
    clients: Vec<Client>,
    customers: &[&str],
    checks: usize,
    amount: &str,
) -> usize {
    let mut tasks = Vec::new();
    for i in 0..checks {
        let mut client = clients[i % clients.len()].clone();
        let customer = customers[i % customers.len()].to_string();
        let amount = amount.to_string();
        tasks.push(tokio::spawn(async move {
            let request = check_request(&customer, &format!("ORDER-{i}"), &amount, "EUR");
            // As the sales-order service does: a check refused for load (UNAVAILABLE: no
            // database connection came within the wait on a busy machine, or the engine's queue
            // was full; RESOURCE_EXHAUSTED: more calls at once than a connection takes) or for a
            // conflict (ABORTED) is sent again with the same request id, which never reserves
            // twice.
            // Thousands at once over one connection wait their turn for a while.
            for _ in 0..300 {
                match client.check_credit(request.clone()).await {
                    Err(status)
                        if matches!(
                            status.code(),
                            tonic::Code::Unavailable
                                | tonic::Code::Aborted
                                | tonic::Code::ResourceExhausted
                        ) =>
                    {
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                    answer => return answer.map(|r| r.into_inner()),
                }
            }
            client.check_credit(request).await.map(|r| r.into_inner())
        }));
    }
    let mut approved = 0;
    for task in tasks {
        let answer = task.await.expect("task").expect("check answered");
        if outcome(&answer) == pb::CheckOutcome::Approved {
            approved += 1;
        }
    }
    approved
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundreds_of_concurrent_checks_on_one_account_never_over_commit() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "HOT", "").await;
    set_limit(&app, "HOT", amount_limit("5000", "EUR")).await;
    c.post_receivable(pb::PostReceivableRequest {
        customer_id: "HOT".into(),
        document_id: "INV-1".into(),
        open_amount: money("1000", "EUR"),
        ..Default::default()
    })
    .await
    .expect("receivable");
    let approved = approved_total(vec![c.clone()], &["HOT"], 300, "100").await;
    assert_eq!(approved, 40, "exactly the 4000 EUR left fit");
    let e = exposure(&mut c, "HOT").await;
    assert_eq!(
        amount_of(&e.own.as_ref().expect("own").reserved_orders),
        "4000.00"
    );
    assert_eq!(amount_of(&e.available_credit), "0.00");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_checks_on_siblings_never_exceed_the_group_limit() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "HOLDING", "").await;
    set_limit(&app, "HOLDING", amount_limit("3000", "EUR")).await;
    let subs = ["SUB-1", "SUB-2", "SUB-3", "SUB-4"];
    for sub in subs {
        create_account(&mut c, sub, "HOLDING").await;
        set_limit(&app, sub, amount_limit("2000", "EUR")).await;
    }
    let approved = approved_total(vec![c.clone()], &subs, 200, "100").await;
    assert_eq!(approved, 30);
    let group = exposure(&mut c, "HOLDING").await;
    assert_eq!(
        amount_of(&group.group.as_ref().expect("group").reserved_orders),
        "3000.00"
    );
    let mut sum = rust_decimal::Decimal::ZERO;
    for sub in subs {
        let own: rust_decimal::Decimal = amount_of(
            &exposure(&mut c, sub)
                .await
                .own
                .expect("own")
                .reserved_orders,
        )
        .parse()
        .expect("decimal");
        sum += own;
    }
    assert_eq!(
        sum,
        rust_decimal::Decimal::from(3000),
        "the parent's group total equals the sum of its members"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_database_never_over_commit() {
    let first = spawn_app().await;
    let second = spawn_app_on(Arc::clone(&first.db)).await;
    let mut c = first.client.clone();
    create_account(&mut c, "SHARED", "").await;
    set_limit(&first, "SHARED", amount_limit("2500", "EUR")).await;
    let approved = approved_total(
        vec![first.client.clone(), second.client.clone()],
        &["SHARED"],
        200,
        "100",
    )
    .await;
    assert_eq!(approved, 25);
    let mut via_second = second.client.clone();
    assert_eq!(
        amount_of(
            &exposure(&mut via_second, "SHARED")
                .await
                .own
                .expect("own")
                .reserved_orders
        ),
        "2500.00"
    );
    second.stop().await;
    first.stop().await;
}
