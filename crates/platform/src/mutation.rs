//! One shape for every mutating use case: begin a write transaction keyed by the caller's
//! request id, replay the stored answer of an identical earlier request, and at the end store
//! the answer with the change and commit — so a retried command never does anything twice.
use crate::clock::{Clock, Micros};
use crate::context::RequestContext;
use crate::db::Db;
use crate::error::ApiError;
use crate::idempotency::{self, IdempotencyKey};
use crate::outbox::FeedSignals;
use prost::Message;
use sqlx::{Any, Transaction};

/// A mutation under way: its transaction, its idempotency key and its moment.
pub struct Mutation {
    /// The write transaction.
    pub tx: Transaction<'static, Any>,
    key: Option<IdempotencyKey>,
    /// Now, once for the whole mutation.
    pub now: Micros,
}

/// Either the stored answer of an earlier identical request, or a fresh mutation.
pub enum Started<R> {
    /// The request was done before: its answer.
    Replayed(R),
    /// A new mutation.
    Fresh(Mutation),
}

/// Begins a mutation keyed by the caller's request id (none when `request_id` is empty and
/// the operation is naturally idempotent), replaying an earlier answer if there is one.
pub async fn start<R: Message + Default>(
    db: &Db,
    clock: &dyn Clock,
    context: &RequestContext,
    method: &'static str,
    request: &impl Message,
) -> Result<Started<R>, ApiError> {
    let mut tx = db.begin_write().await?;
    let key = (!context.request_id.is_empty()).then(|| {
        IdempotencyKey::new(
            &context.caller.subject,
            method,
            &context.request_id,
            request,
        )
    });
    if let Some(key) = &key
        && let Some(answer) = idempotency::replay::<R>(&mut tx, key).await?
    {
        return Ok(Started::Replayed(answer));
    }
    Ok(Started::Fresh(Mutation {
        tx,
        key,
        now: clock.now(),
    }))
}

/// Stores the answer for replay, commits, and wakes the outbox relay.
pub async fn finish<R: Message>(
    signals: &FeedSignals,
    mut mutation: Mutation,
    answer: &R,
) -> Result<(), ApiError> {
    if let Some(key) = &mutation.key {
        idempotency::record(&mut mutation.tx, key, answer, mutation.now).await?;
    }
    mutation.tx.commit().await?;
    signals.notify_committed();
    Ok(())
}

/// Runs a use case, and again (up to three times) when it failed only because a concurrent twin
/// (same request id) or a deadlock got in the way: the next run replays the twin's answer or
/// succeeds.
pub async fn with_retry<T, F, Fut>(mut run: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    let mut attempts = 0;
    loop {
        attempts += 1;
        match run().await {
            Err(ApiError::Internal(error)) if attempts < 3 && is_transient(&error) => {
                tracing::debug!(%error, attempts, "retrying after a concurrent conflict");
            }
            other => return other,
        }
    }
}

fn is_transient(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<sqlx::Error>()
        .is_some_and(|e| crate::db::is_unique_violation(e) || crate::db::is_retryable_conflict(e))
}

/// `let mutation = begin_mutation!(db, clock, context, METHOD, &request);` — returns the
/// replayed answer from the enclosing function, or gives the fresh mutation.
#[macro_export]
macro_rules! begin_mutation {
    ($db:expr, $clock:expr, $context:expr, $method:expr, $request:expr) => {
        match $crate::mutation::start($db, $clock, $context, $method, $request).await? {
            $crate::mutation::Started::Replayed(answer) => return Ok(answer),
            $crate::mutation::Started::Fresh(mutation) => mutation,
        }
    };
}
