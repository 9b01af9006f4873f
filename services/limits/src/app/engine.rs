//! The check engine: group commit for the credit check.
//!
//! Concurrent checks queue here. One worker takes everything waiting (up to the batch bound),
//! decides the batch in one transaction ([`Limits::check_batch`]) and commits once, so one
//! commit and one fsync serve many checks, and the account rows of a hot customer are locked
//! once per batch instead of once per check. Nothing waits on a timer: a lone check is taken
//! the moment it arrives, and a batch grows only from what queued while the previous one was
//! being written. The queue is bounded: when it is full the check is answered UNAVAILABLE
//! (OVERLOADED, with a retry delay) at once instead of waiting without end.
use super::Limits;
use super::check::{CheckAnswer, CheckJob, CheckOrder};
use credit_platform::context::RequestContext;
use credit_platform::error::ApiError;
use credit_platform::mutation::with_retry;
use credit_proto::limits as pb;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tracing::Instrument;

/// Checks waiting for the engine.
pub const QUEUE_DEPTH: &str = "limits_check_queue_depth";
/// Checks decided per batch (one transaction, one commit).
pub const BATCH_SIZE: &str = "limits_check_batch_size";
/// Checks refused because the queue was full.
pub const OVERLOADED_TOTAL: &str = "limits_check_overloaded_total";

/// How the engine batches (see the README's configuration reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineSettings {
    /// Most checks in one transaction; 1 turns batching off (one commit per check).
    pub batch: usize,
    /// Most checks waiting; more are refused with UNAVAILABLE.
    pub queue: usize,
    /// Batches decided at once, each in its own transaction (1 on SQLite: one writer).
    pub workers: usize,
}

/// A queued check and where its answer goes.
struct Queued {
    job: CheckJob,
    reply: oneshot::Sender<CheckAnswer>,
}

/// The way into the engine; clones share one queue and one worker.
#[derive(Clone)]
pub struct CheckEngine {
    queue: mpsc::Sender<Queued>,
}

/// How long a refused caller is asked to wait before retrying.
const RETRY_AFTER: Duration = Duration::from_millis(50);

impl CheckEngine {
    /// Starts the worker. It stops when the last clone of the engine is dropped, after the
    /// checks already queued are answered.
    pub fn start(limits: Limits, settings: EngineSettings) -> Self {
        let (queue, waiting) = mpsc::channel(settings.queue.max(1));
        metrics::gauge!(QUEUE_DEPTH).set(0.0);
        metrics::counter!(OVERLOADED_TOTAL).increment(0);
        let workers = match limits.db().backend() {
            credit_platform::db::Backend::Sqlite => 1,
            credit_platform::db::Backend::Postgres => settings.workers.max(1),
        };
        tokio::spawn(work(limits, waiting, settings.batch.max(1), workers));
        Self { queue }
    }

    /// Checks an order and reserves it when approved, in the next batch.
    pub async fn check(
        &self,
        context: RequestContext,
        request: pb::CheckCreditRequest,
        order: CheckOrder,
    ) -> CheckAnswer {
        let (reply, answer) = oneshot::channel();
        let job = CheckJob {
            context,
            request,
            order,
            traceparent: credit_platform::telemetry::current_traceparent().unwrap_or_default(),
        };
        self.queue
            .try_send(Queued { job, reply })
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full(_) => {
                    metrics::counter!(OVERLOADED_TOTAL).increment(1);
                    ApiError::Overloaded {
                        message: "too many credit checks are waiting; retry with the same \
                                  request_id"
                            .into(),
                        retry_after: RETRY_AFTER,
                    }
                }
                mpsc::error::TrySendError::Closed(_) => {
                    ApiError::Unavailable("the credit check engine has stopped".into())
                }
            })?;
        answer.await.unwrap_or_else(|_| {
            // The batch's task ended without answering (a panic): nothing of it committed
            // unless its commit ran, and a retry with the same request id is safe either way.
            Err(ApiError::Internal(anyhow::anyhow!(
                "the credit check's batch failed before answering"
            )))
        })
    }
}

/// The worker: whenever one of `workers` is free, takes what waits, up to `batch`, and decides
/// it; never waits for more. While every worker is busy, checks gather in the queue for the
/// next batch. Batches that run at once lock their chains in the one shared order.
async fn work(limits: Limits, mut waiting: mpsc::Receiver<Queued>, batch: usize, workers: usize) {
    let free = Arc::new(Semaphore::new(workers));
    loop {
        let Ok(worker) = free.clone().acquire_owned().await else {
            return;
        };
        let Some(first) = waiting.recv().await else {
            return;
        };
        let mut taken = vec![first];
        while taken.len() < batch {
            match waiting.try_recv() {
                Ok(next) => taken.push(next),
                Err(_) => break,
            }
        }
        metrics::gauge!(QUEUE_DEPTH).set(waiting.len() as f64);
        metrics::histogram!(BATCH_SIZE).record(taken.len() as f64);
        let span = tracing::debug_span!("check batch", size = taken.len());
        // In a task of its own, so a panic deciding one batch answers its callers (their reply
        // senders drop) and the engine goes on with the next.
        let limits = limits.clone();
        tokio::spawn(
            async move {
                decide(&limits, taken).await;
                drop(worker);
            }
            .instrument(span),
        );
    }
}

/// Decides a batch and answers each check. A batch that fails as a whole (a conflict with
/// another process, a deadlock) runs again; if it still fails, each check runs alone, so one
/// check's trouble is not every check's answer.
async fn decide(limits: &Limits, taken: Vec<Queued>) {
    let (jobs, replies): (Vec<CheckJob>, Vec<_>) =
        taken.into_iter().map(|q| (q.job, q.reply)).unzip();
    match with_retry(|| limits.check_batch(&jobs)).await {
        Ok(answers) => {
            for (reply, answer) in replies.into_iter().zip(answers) {
                let _ = reply.send(answer);
            }
        }
        Err(ApiError::Unavailable(message)) => {
            // The database is not there: every check would wait for it again, one by one.
            for reply in replies {
                let _ = reply.send(Err(ApiError::Unavailable(message.clone())));
            }
        }
        Err(error) if jobs.len() > 1 => {
            tracing::warn!(%error, size = jobs.len(), "a batch of credit checks failed; checking each alone");
            for (job, reply) in jobs.into_iter().zip(replies) {
                let alone = std::slice::from_ref(&job);
                let answer =
                    with_retry(|| limits.check_batch(alone))
                        .await
                        .and_then(|mut answers| {
                            answers
                                .pop()
                                .unwrap_or_else(|| Err(anyhow::anyhow!("no answer").into()))
                        });
                let _ = reply.send(answer);
            }
        }
        Err(error) => {
            if let Some(reply) = replies.into_iter().next() {
                let _ = reply.send(Err(error));
            }
        }
    }
}
