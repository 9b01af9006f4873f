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

/// Runs a use case, and again (up to five runs) when it failed only because a concurrent twin
/// (same request id), a deadlock or a concurrent update of the same rows (a serialization
/// failure under snapshot writes) got in the way: the next run replays the twin's answer or
/// succeeds on what the other committed.
pub async fn with_retry<T, F, Fut>(mut run: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    let mut attempts = 0;
    loop {
        attempts += 1;
        let conflict = match run().await {
            Err(ApiError::Aborted(conflict)) if attempts < ATTEMPTS => conflict,
            Err(ApiError::Internal(error)) if attempts < ATTEMPTS && is_transient(&error) => {
                error.to_string()
            }
            other => return other,
        };
        tracing::debug!(%conflict, attempts, "running again after a concurrent conflict");
        // A short random pause, growing with the attempts, so the transactions that collided do
        // not collide again in step.
        let pause = rand::random_range(1..=5 * attempts as u64);
        tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
    }
}

/// Runs of a use case, the first included, before a conflict is answered ABORTED.
const ATTEMPTS: usize = 5;

/// A concurrent twin inserted the same key first, or a conflict that reached here unmapped.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Writes;
    use sqlx::Row;

    /// `writers` concurrent read-modify-writes of one counter, each holding what it read for a
    /// moment before writing it back plus one; the counter at the end.
    async fn count_concurrently(db: &Db, writers: i64) -> i64 {
        let increment = || async {
            let mut tx = db.begin_write().await?;
            let value: i64 = sqlx::query("SELECT value FROM counters WHERE id = 1")
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            sqlx::query("UPDATE counters SET value = $1 WHERE id = 1")
                .bind(value + 1)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, ApiError>(())
        };
        let runs = futures::future::join_all((0..writers).map(|_| with_retry(increment))).await;
        for run in runs {
            run.expect("every writer gets through");
        }
        sqlx::query("SELECT value FROM counters WHERE id = 1")
            .fetch_one(&db.pool)
            .await
            .expect("read")
            .try_get(0)
            .expect("value")
    }

    #[tokio::test]
    async fn concurrent_read_modify_writes_lose_nothing_under_snapshot_writes() {
        let database = crate::testing::TestDatabase::create()
            .await
            .expect("database");
        let db = Db::connect(&database.config)
            .await
            .expect("connect")
            .with_writes(Writes::Snapshot);
        for statement in [
            "CREATE TABLE counters (id INTEGER PRIMARY KEY, value BIGINT NOT NULL)",
            "INSERT INTO counters (id, value) VALUES (1, 0)",
        ] {
            sqlx::query(statement)
                .execute(&db.pool)
                .await
                .expect("setup");
        }
        // Four writers read the same value at once; each must see the others' increments,
        // running again after a serialization failure, never overwrite them.
        assert_eq!(count_concurrently(&db, 4).await, 4);
    }
}
