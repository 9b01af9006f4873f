#![allow(dead_code)]
//! Credit-check load as the sales-order service makes it, and what it saw: every check has a
//! request id; an answer that says nothing was done (UNAVAILABLE, RESOURCE_EXHAUSTED, ABORTED,
//! DEADLINE_EXCEEDED, CANCELLED) is retried with the same id after a short pause, so a check
//! that did commit before its answer was lost replays its answer instead of reserving twice.
use credit_platform::auth::BearerToken;
use credit_proto::limits as pb;
use credit_proto::limits::limits_service_client::LimitsServiceClient;
use credit_proto::types::Money;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tonic::codegen::InterceptedService;
use tonic::transport::Channel;

pub type Limits = LimitsServiceClient<InterceptedService<Channel, BearerToken>>;

/// A client of limits through `channel`.
pub fn limits(channel: Channel, token: &str) -> Limits {
    LimitsServiceClient::with_interceptor(channel, BearerToken(Some(token.to_string())))
}

pub fn eur(amount: &str) -> Option<Money> {
    Some(Money {
        amount: amount.into(),
        currency_code: "EUR".into(),
    })
}

/// Opens `count` accounts with a limit of `limit` EUR each, the limits set by `limit_setter`
/// (the applications service's identity); their ids.
pub async fn open_accounts(
    client: &mut Limits,
    limit_setter: &mut Limits,
    count: usize,
    limit: &str,
) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..count {
        let id = format!("FAULT-{i:03}");
        client
            .create_credit_account(pb::CreateCreditAccountRequest {
                credit_account: Some(pb::CreditAccount {
                    customer_id: id.clone(),
                    name: format!("{id} Ltd"),
                    currency_code: "EUR".into(),
                    segment: "FAULTS".into(),
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
            })
            .await
            .expect("account");
        limit_setter
            .set_credit_limit(pb::SetCreditLimitRequest {
                customer_id: id.clone(),
                credit_limit: Some(pb::CreditLimit {
                    mode: pb::LimitMode::Amount as i32,
                    amount: eur(limit),
                    ..Default::default()
                }),
                reason: "fault test".into(),
                request_id: uuid::Uuid::new_v4().to_string(),
                approved_by: vec!["max.manager".into()],
                approval_reference: "fault-test".into(),
            })
            .await
            .expect("limit");
        ids.push(id);
    }
    ids
}

/// An approved check as the client saw it.
#[derive(Debug, Clone)]
pub struct Approved {
    pub customer_id: String,
    pub reservation_id: String,
}

/// What the clients saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// Checks asked for (each once, whatever its retries).
    pub attempted: usize,
    pub approved: Vec<Approved>,
    pub rejected: usize,
    /// Retries after an answer that said nothing was done, by code.
    pub retried: BTreeMap<String, usize>,
    /// Checks that never got an answer, or got an answer that is not retriable, by code.
    pub failed: BTreeMap<String, usize>,
    /// Checks that needed more than one retry.
    pub retried_more_than_once: usize,
}

impl Seen {
    pub fn retries(&self) -> usize {
        self.retried.values().sum()
    }

    pub fn failures(&self) -> usize {
        self.failed.values().sum()
    }
}

fn retriable(code: tonic::Code) -> bool {
    use tonic::Code::*;
    matches!(
        code,
        Unavailable | ResourceExhausted | Aborted | DeadlineExceeded | Cancelled
    )
}

/// How long one check is retried before the client gives up on it.
/// The connection broke with the call in flight (the server process died): whether it was
/// done is unknown, so it is sent again with the same request id, which is safe — it replays
/// the answer if the change committed and decides afresh if not.
fn cut_off(status: &tonic::Status) -> bool {
    use std::error::Error;
    status.code() == tonic::Code::Unknown
        && (status.source().is_some() || status.message().contains("transport"))
}

const GIVE_UP_AFTER: Duration = Duration::from_secs(20);

/// `workers` callers checking orders of `amount` EUR on `customers` (round robin) until `until`.
pub async fn drive_checks(
    client: Limits,
    customers: Arc<Vec<String>>,
    workers: usize,
    amount: &'static str,
    until: Instant,
) -> Seen {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut tasks = Vec::new();
    for worker in 0..workers {
        let (mut client, customers, seen) = (client.clone(), customers.clone(), seen.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while Instant::now() < until {
                let customer_id = customers[(worker + n * workers) % customers.len()].clone();
                let request = pb::CheckCreditRequest {
                    customer_id: customer_id.clone(),
                    order_id: format!("SO-{worker}-{n}"),
                    amount: eur(amount),
                    request_id: uuid::Uuid::new_v4().to_string(),
                    ..Default::default()
                };
                n += 1;
                let mut retries = 0;
                let first = Instant::now();
                let outcome = loop {
                    let mut call = tonic::Request::new(request.clone());
                    call.set_timeout(Duration::from_secs(5));
                    match client.check_credit(call).await {
                        Ok(answer) => break Ok(answer.into_inner()),
                        Err(status)
                            if (retriable(status.code()) || cut_off(&status))
                                && first.elapsed() < GIVE_UP_AFTER =>
                        {
                            retries += 1;
                            *seen
                                .lock()
                                .expect("seen")
                                .retried
                                .entry(format!("{:?}", status.code()))
                                .or_default() += 1;
                            let pause = Duration::from_millis(20 * retries as u64);
                            tokio::time::sleep(pause.min(Duration::from_millis(500))).await;
                        }
                        Err(status) => break Err(status),
                    }
                };
                let mut seen = seen.lock().expect("seen");
                seen.attempted += 1;
                if retries > 1 {
                    seen.retried_more_than_once += 1;
                }
                match outcome {
                    Ok(answer) if answer.outcome == pb::CheckOutcome::Approved as i32 => {
                        seen.approved.push(Approved {
                            customer_id,
                            reservation_id: answer
                                .reservation
                                .map(|r| r.reservation_id)
                                .unwrap_or_default(),
                        });
                    }
                    Ok(_) => seen.rejected += 1,
                    Err(status) => {
                        eprintln!("check failed: {status:?}");
                        *seen
                            .failed
                            .entry(format!("{:?}", status.code()))
                            .or_default() += 1;
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("worker");
    }
    Arc::try_unwrap(seen)
        .expect("workers done")
        .into_inner()
        .expect("seen")
}
