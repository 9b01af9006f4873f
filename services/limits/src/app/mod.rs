//! The use cases of the limits service. Each mutation is one transaction: it locks what it
//! changes, applies the domain rules, appends its event to the outbox and stores its answer for
//! idempotent replay, then commits. Handlers in `grpc` validate input and call these.
/// Begins a mutation, or returns from the calling use case with the stored answer when the
/// request was already done (see [`Limits::start`]).
macro_rules! begin_mutation {
    ($limits:expr, $context:expr, $method:expr, $request:expr) => {
        credit_platform::begin_mutation!(&$limits.db, &*$limits.clock, $context, $method, $request)
    };
}

mod accounts;
mod check;
mod engine;
mod exposure;
mod fx;
mod holds;
mod reservations;

use credit_platform::clock::{Micros, SharedClock};
use credit_platform::db::{Backend, Db};
use credit_platform::error::ApiError;
use credit_platform::mutation::Mutation;
use credit_platform::outbox::FeedSignals;
use credit_platform::scope::DataScope;
use prost::Message;
use sqlx::{Any, Transaction};

pub use accounts::{AccountChanges, AccountQuery, NewAccount};
pub use check::{CHECKS_TOTAL, CheckAnswer, CheckJob, CheckOrder};
pub use engine::{CheckEngine, EngineSettings};
pub use exposure::DocumentPost;

/// The limits service's use cases over its database.
#[derive(Clone)]
pub struct Limits {
    db: Db,
    clock: SharedClock,
    signals: FeedSignals,
    default_reservation_ttl: Micros,
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

    /// The same use cases over `db` (the same database through another pool).
    pub fn over(&self, db: Db) -> Self {
        Self { db, ..self.clone() }
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

    /// Stores the answer for replay and commits the mutation.
    pub(crate) async fn finish<R: Message>(
        &self,
        mutation: Mutation,
        answer: &R,
    ) -> Result<(), ApiError> {
        credit_platform::mutation::finish(&self.signals, mutation, answer).await
    }

    /// A write transaction (see [`Db::begin_write`]).
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>, ApiError> {
        Ok(self.db.begin_write().await?)
    }

    /// Locks an account and the accounts above it (see `store::accounts::lock_chain`) for a
    /// change by a caller limited to `scope`; NOT_FOUND when the account does not exist,
    /// PERMISSION_DENIED (`OUT_OF_SCOPE`) when it is outside the scope.
    pub(crate) async fn locked_chain(
        &self,
        conn: &mut sqlx::AnyConnection,
        scope: &DataScope,
        customer_id: &str,
    ) -> Result<Vec<crate::store::accounts::AccountRow>, ApiError> {
        let chain = crate::store::accounts::lock_chain(conn, self.backend(), customer_id)
            .await?
            .ok_or_else(|| account_not_found(customer_id))?;
        in_scope(scope, &chain[0])?;
        Ok(chain)
    }

    /// `found` when its customer is inside `scope`; otherwise `hidden` (the NOT_FOUND of what
    /// was asked for), as if it did not exist.
    pub async fn seen<T>(
        &self,
        scope: &DataScope,
        found: Result<T, ApiError>,
        customer_of: impl Fn(&T) -> &str,
        hidden: impl FnOnce() -> ApiError,
    ) -> Result<T, ApiError> {
        let found = found?;
        credit_platform::scope::must_see(&self.db, scope, customer_of(&found), hidden).await?;
        Ok(found)
    }

    /// NOT_FOUND for the account when `scope` does not see it.
    pub async fn must_see_account(
        &self,
        scope: &DataScope,
        customer_id: &str,
    ) -> Result<(), ApiError> {
        credit_platform::scope::must_see(&self.db, scope, customer_id, || {
            account_not_found(customer_id)
        })
        .await
    }

    /// A read-only transaction (one consistent view on both databases).
    pub(crate) async fn read(&self) -> Result<Transaction<'static, Any>, ApiError> {
        Ok(self.db.pool.begin().await?)
    }
}

pub use credit_platform::mutation::with_retry;

/// Refuses a change to `account` by a caller limited to `scope` when the account is outside.
pub(crate) fn in_scope(
    scope: &DataScope,
    account: &crate::store::accounts::AccountRow,
) -> Result<(), ApiError> {
    scope.must_admit(
        &account.customer_id,
        &account.region,
        &account.business_unit,
    )
}

/// NOT_FOUND for a credit account.
pub(crate) fn account_not_found(customer_id: impl Into<String>) -> ApiError {
    ApiError::NotFound {
        kind: "credit account",
        id: customer_id.into(),
    }
}

pub(crate) use credit_platform::paging::{decode_page_token, encode_page_token, page_size};
