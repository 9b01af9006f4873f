//! The use cases of the limits service. Each mutation is one transaction: it locks what it
//! changes, applies the domain rules, appends its event to the outbox and stores its answer for
//! idempotent replay, then commits. Handlers in `grpc` validate input and call these.
/// Begins a mutation, or returns from the calling use case with the stored answer when the
/// request was already done (see [`Limits::start`]).
macro_rules! begin_mutation {
    ($limits:expr, $context:expr, $method:expr, $request:expr) => {
        match $limits.start($context, $method, $request).await? {
            Started::Replayed(answer) => return Ok(answer),
            Started::Fresh(mutation) => mutation,
        }
    };
}

mod accounts;
mod check;
mod exposure;
mod fx;
mod holds;
mod reservations;

use credit_platform::clock::{Micros, SharedClock};
use credit_platform::context::RequestContext;
use credit_platform::db::{Backend, Db};
use credit_platform::error::ApiError;
use credit_platform::idempotency::{self, IdempotencyKey};
use credit_platform::outbox::FeedSignals;
use prost::Message;
use sqlx::{Any, Transaction};

pub use accounts::{AccountChanges, AccountQuery, NewAccount};
pub use check::CheckOrder;
pub use exposure::DocumentPost;

/// The limits service's use cases over its database.
#[derive(Clone)]
pub struct Limits {
    db: Db,
    clock: SharedClock,
    signals: FeedSignals,
    default_reservation_ttl: Micros,
}

/// A mutation under way: its transaction, its idempotency key and its moment.
pub(crate) struct Mutation {
    pub tx: Transaction<'static, Any>,
    key: Option<IdempotencyKey>,
    pub now: Micros,
}

/// Either the stored answer of an earlier identical request, or a fresh mutation.
pub(crate) enum Started<R> {
    Replayed(R),
    Fresh(Mutation),
}

impl Limits {
    /// Use cases over `db`, reading time from `clock`.
    pub fn new(
        db: Db,
        clock: SharedClock,
        signals: FeedSignals,
        default_reservation_ttl: Micros,
    ) -> Self {
        Self {
            db,
            clock,
            signals,
            default_reservation_ttl,
        }
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Now, from the injected clock.
    pub fn now(&self) -> Micros {
        self.clock.now()
    }

    pub(crate) fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// Begins a mutation keyed by the caller's request id (none when `request_id` is empty and
    /// the operation is naturally idempotent), replaying an earlier answer if there is one.
    pub(crate) async fn start<R: Message + Default>(
        &self,
        context: &RequestContext,
        method: &'static str,
        request: &impl Message,
    ) -> Result<Started<R>, ApiError> {
        let mut tx = self.begin_write().await?;
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
            now: self.clock.now(),
        }))
    }

    /// Stores the answer for replay and commits the mutation.
    pub(crate) async fn finish<R: Message>(
        &self,
        mut mutation: Mutation,
        answer: &R,
    ) -> Result<(), ApiError> {
        if let Some(key) = &mutation.key {
            idempotency::record(&mut mutation.tx, key, answer, mutation.now).await?;
        }
        mutation.tx.commit().await?;
        self.signals.notify_committed();
        Ok(())
    }

    /// A write transaction (see [`Db::begin_write`]).
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>, ApiError> {
        Ok(self.db.begin_write().await?)
    }

    /// Locks an account and the accounts above it (see `store::accounts::lock_chain`); NOT_FOUND
    /// when the account does not exist.
    pub(crate) async fn locked_chain(
        &self,
        conn: &mut sqlx::AnyConnection,
        customer_id: &str,
    ) -> Result<Vec<crate::store::accounts::AccountRow>, ApiError> {
        crate::store::accounts::lock_chain(conn, self.backend(), customer_id)
            .await?
            .ok_or_else(|| account_not_found(customer_id))
    }

    /// A read-only transaction (one consistent view on both databases).
    pub(crate) async fn read(&self) -> Result<Transaction<'static, Any>, ApiError> {
        Ok(self.db.pool.begin().await?)
    }
}

/// Runs a use case, and once more when it failed only because a concurrent twin (same request
/// id) or a deadlock got in the way: the second run replays the twin's answer or succeeds.
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
    error.downcast_ref::<sqlx::Error>().is_some_and(|e| {
        credit_platform::db::is_unique_violation(e) || credit_platform::db::is_retryable_conflict(e)
    })
}

/// NOT_FOUND for a credit account.
pub(crate) fn account_not_found(customer_id: impl Into<String>) -> ApiError {
    ApiError::NotFound {
        kind: "credit account",
        id: customer_id.into(),
    }
}

pub(crate) use credit_platform::paging::{decode_page_token, encode_page_token, page_size};
