//! One database code path for PostgreSQL and SQLite through sqlx's `Any` driver.
//!
//! Everything stored is text, integers or bytes (money as canonical decimal text, time as UTC
//! microseconds), which both databases keep exactly. The few statements that must differ (row
//! locks) are chosen with [`Db::backend`].
use crate::secret::{ExposeSecret, SecretString};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};
use std::str::FromStr;
use std::time::Duration;

/// Which database a pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL (production; many replicas may share one database).
    Postgres,
    /// SQLite (embedded; one process).
    Sqlite,
}

/// Pool settings (see the configuration reference in docs/operations.md).
#[derive(Debug, Clone, clap::Args)]
pub struct DatabaseConfig {
    /// postgres://user@host/db or sqlite://path/file.db (created if missing).
    /// Held as a secret: the URL may carry a password.
    #[arg(
        long,
        env = "DATABASE_URL",
        hide_env_values = true,
        value_parser = crate::secret::parse
    )]
    pub database_url: SecretString,
    /// Most pooled connections. SQLite always uses one: it has one writer, and a single
    /// connection serialises writes without lock-upgrade failures.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 16)]
    pub database_max_connections: u32,
    /// Seconds to wait for a free connection before failing a call.
    #[arg(long, env = "DATABASE_ACQUIRE_TIMEOUT_SECS", default_value_t = 5)]
    pub database_acquire_timeout_secs: u64,
}

impl DatabaseConfig {
    /// Settings for `url` with the defaults.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            database_url: SecretString::from(url.into()),
            database_max_connections: 16,
            database_acquire_timeout_secs: 5,
        }
    }
}

/// The platform's own migrations, tracked apart from each service's so their versions never meet.
static PLATFORM_POSTGRES: std::sync::LazyLock<Migrator> = std::sync::LazyLock::new(|| {
    let mut migrator = sqlx::migrate!("migrations/postgres");
    migrator.dangerous_set_table_name("_platform_migrations");
    migrator
});
static PLATFORM_SQLITE: std::sync::LazyLock<Migrator> = std::sync::LazyLock::new(|| {
    let mut migrator = sqlx::migrate!("migrations/sqlite");
    migrator.dangerous_set_table_name("_platform_migrations");
    migrator
});

/// A migration error, with what to do when the database was migrated by a development build
/// from before the migrations were squashed (nothing is released yet, so history was rewritten
/// once instead of carried).
fn explain_migration(error: sqlx::migrate::MigrateError) -> anyhow::Error {
    use sqlx::migrate::MigrateError;
    match error {
        MigrateError::VersionMismatch(_) | MigrateError::VersionMissing(_) => anyhow::anyhow!(
            "{error}: this database was migrated by an earlier development build whose \
             migrations differ; recreate it (for the one-process suite, delete its data \
             directory)"
        ),
        other => other.into(),
    }
}

/// How a service's write transactions keep concurrent writers (two calls, two replicas) from
/// losing each other's changes on PostgreSQL. SQLite has one writer at a time either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Writes {
    /// READ COMMITTED: the service locks what it changes itself (`SELECT … FOR UPDATE` in a
    /// fixed order), as limits does on the credit check's hot path, where waiting for a lock is
    /// cheaper than running again.
    #[default]
    LockRows,
    /// REPEATABLE READ: a transaction that changes a row another committed after it began fails
    /// with a serialization error and runs again ([`crate::mutation::with_retry`]) on what the
    /// other wrote, so no read-modify-write (an approval, a payment applied to an invoice)
    /// silently overwrites a concurrent one.
    Snapshot,
}

/// A connection pool and the backend behind it.
#[derive(Clone, Debug)]
pub struct Db {
    /// The pool.
    pub pool: AnyPool,
    backend: Backend,
    writes: Writes,
    /// How to open another connection ([`Db::dedicated`]).
    options: Options,
    acquire_timeout: Duration,
}

/// Connect options, never shown: they hold the URL and its password.
#[derive(Clone)]
struct Options(AnyConnectOptions);

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Options(redacted)")
    }
}

impl Db {
    /// Connects (creating a SQLite file when missing).
    pub async fn connect(config: &DatabaseConfig) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let url = config.database_url.expose_secret();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            // Only the scheme is shown: the rest of the URL may hold a password.
            let scheme = url.split_once(':').map_or("(none)", |(scheme, _)| scheme);
            anyhow::bail!("DATABASE_URL must start with postgres:// or sqlite:, not {scheme}:");
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let separator = if url.contains('?') { '&' } else { '?' };
                format!("{url}{separator}mode=rwc")
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let max_connections = match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => config.database_max_connections.max(1),
        };
        let acquire_timeout = Duration::from_secs(config.database_acquire_timeout_secs);
        let pool = open_pool(&options, backend, max_connections, acquire_timeout).await?;
        Ok(Self {
            pool,
            backend,
            writes: Writes::default(),
            options: Options(options),
            acquire_timeout,
        })
    }

    /// More connections to the same database (`connections` of them), in a pool of their own
    /// (reconnected when one breaks): for work that must not queue behind the service's other calls for a pooled
    /// connection (the credit check engine). On SQLite it is the service's
    /// one connection: the file has one writer, and a second connection waits for its lock by
    /// polling (measured: the credit check's p99 doubled), where the pool's queue is first come,
    /// first served.
    pub async fn dedicated(&self, connections: u32) -> anyhow::Result<Self> {
        if self.backend == Backend::Sqlite {
            return Ok(self.clone());
        }
        let pool = open_pool(
            &self.options.0,
            self.backend,
            connections.max(1),
            self.acquire_timeout,
        )
        .await?;
        Ok(Self {
            pool,
            backend: self.backend,
            writes: self.writes,
            options: self.options.clone(),
            acquire_timeout: self.acquire_timeout,
        })
    }

    /// The same pool, with write transactions as `writes` says.
    pub fn with_writes(mut self, writes: Writes) -> Self {
        self.writes = writes;
        self
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs the platform's migrations (outbox, idempotency, feed positions: the tables the
    /// platform's code reads and writes, tracked in `_platform_migrations`), then the service's
    /// for this backend. PostgreSQL takes an advisory lock, so replicas starting together migrate
    /// once.
    pub async fn migrate(&self, postgres: &Migrator, sqlite: &Migrator) -> anyhow::Result<()> {
        let (platform, service) = match self.backend {
            Backend::Postgres => (&*PLATFORM_POSTGRES, postgres),
            Backend::Sqlite => (&*PLATFORM_SQLITE, sqlite),
        };
        platform.run(&self.pool).await.map_err(explain_migration)?;
        service.run(&self.pool).await.map_err(explain_migration)?;
        Ok(())
    }

    /// Rewrites stored `rows` an earlier build wrote in an older form into the current one, in
    /// one write transaction (after the migrations, at start-up and in `migrate`), saying in the
    /// log how many it changed. `rewrite` answers how many rows it changed, and changes none
    /// once done.
    pub async fn rewrite_stored<F>(&self, rows: &str, rewrite: F) -> sqlx::Result<usize>
    where
        F: for<'a> FnOnce(
            &'a mut sqlx::AnyConnection,
        ) -> futures::future::BoxFuture<'a, sqlx::Result<usize>>,
    {
        let mut tx = self.begin_write().await?;
        let changed = rewrite(&mut tx).await?;
        tx.commit().await?;
        if changed > 0 {
            tracing::info!(changed, rows, "rows stored in an older form rewritten");
        }
        Ok(changed)
    }

    /// A transaction that will write. On SQLite it takes the write lock at once (BEGIN
    /// IMMEDIATE): a deferred transaction that reads and then writes fails instead of waiting
    /// when another process writes to the same file.
    /// On PostgreSQL its isolation is the service's [`Writes`].
    pub async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Any>> {
        match (self.backend, self.writes) {
            (Backend::Sqlite, _) => self.pool.begin_with("BEGIN IMMEDIATE").await,
            (Backend::Postgres, Writes::LockRows) => self.pool.begin().await,
            (Backend::Postgres, Writes::Snapshot) => {
                self.pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ")
                    .await
            }
        }
    }

    /// A write transaction that locks what it changes itself (READ COMMITTED on PostgreSQL,
    /// whatever the service's [`Writes`]): under a snapshot, waiting for a row lock another
    /// transaction held would end in a serialization failure instead of the row.
    pub async fn begin_locking(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Any>> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Whether the database answers, within about a second.
    pub async fn ping(&self) -> bool {
        let pooled = tokio::time::timeout(PING, sqlx::query("SELECT 1").execute(&self.pool));
        match pooled.await {
            Ok(Ok(_)) => true,
            // Every pooled connection busy (SQLite has one, held by a long import) is load, not
            // an unreachable database; a database that went away also leaves the pool waiting
            // (it retries refused connections until its acquire timeout). A session of its own,
            // opened outside the pool, tells the two apart.
            Ok(Err(sqlx::Error::PoolTimedOut)) | Err(_) => self.answers_outside_the_pool().await,
            Ok(Err(_)) => false,
        }
    }

    async fn answers_outside_the_pool(&self) -> bool {
        if self.backend == Backend::Sqlite {
            // A file: it is there, only busy.
            return true;
        }
        let options = self.pool.connect_options();
        let session = async {
            use sqlx::{ConnectOptions, Connection};
            let mut conn = options.connect().await?;
            sqlx::query("SELECT 1").execute(&mut conn).await?;
            conn.close().await
        };
        matches!(tokio::time::timeout(PING, session).await, Ok(Ok(())))
    }
}

/// How long [`Db::ping`] waits for the database each way.
const PING: std::time::Duration = std::time::Duration::from_secs(1);

/// Whether an error is a unique-constraint violation (a concurrent insert of the same key).
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            db.is_unique_violation()
                || db
                    .code()
                    .is_some_and(|c| c == "23505" || c == "2067" || c == "1555")
        }
        _ => false,
    }
}

/// Whether an error is a transient conflict worth retrying the whole transaction for
/// (PostgreSQL serialization failure or deadlock, SQLite busy).
pub fn is_retryable_conflict(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c == "40001" || c == "40P01" || c == "5" || c == "517"),
        _ => false,
    }
}

/// A pool of at most `max_connections` to the database of `options`, each connection set up
/// for `backend`.
async fn open_pool(
    options: &AnyConnectOptions,
    backend: Backend,
    max_connections: u32,
    acquire_timeout: Duration,
) -> sqlx::Result<AnyPool> {
    AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(acquire_timeout)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // WAL lets readers of other processes (backups, the CLI) and the service's
                    // own dedicated connections work during writes; NORMAL sync is durable in
                    // WAL mode against a crash of the process, not against a power cut.
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    conn.execute("PRAGMA busy_timeout = 5000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                }
                Ok(())
            })
        })
        .connect_with(options.clone())
        .await
}

/// Cuts `items` into runs for multi-row statements: each run at most `rows` items and about
/// `bytes` bytes of bound values (`size` of each; a larger item goes alone), and each a power
/// of two long. Few lengths mean few statement texts, which stay in the connection's cache of
/// prepared statements: on PostgreSQL a statement prepared anew costs a round trip, and sqlx
/// (which does not turn Nagle's algorithm off) can wait for the server's delayed ACK — 40 ms
/// — before sending the rest (measured on the credit check's batch). The byte bound keeps a
/// message within one loopback segment for the same reason.
pub fn runs<T>(items: &[T], rows: usize, bytes: usize, size: impl Fn(&T) -> usize) -> Vec<&[T]> {
    let mut runs = Vec::new();
    let mut start = 0;
    while start < items.len() {
        let mut fit = 0;
        let mut taken = 0;
        for item in &items[start..] {
            let item_size = size(item);
            if fit == rows.max(1) || (fit > 0 && taken + item_size > bytes) {
                break;
            }
            taken += item_size;
            fit += 1;
        }
        let length = 1 << fit.ilog2();
        runs.push(&items[start..start + length]);
        start += length;
    }
    runs
}

/// `count` rounded up to a power of two: the length to give an `IN (…)` list of `count`
/// values (repeating the last), so lists of similar lengths share one prepared statement
/// (see [`runs`]).
pub fn padded(count: usize) -> usize {
    count.max(1).next_power_of_two()
}

/// `values` with the last repeated up to [`padded`] length, for an `IN (…)` list.
pub fn padded_list<T: Clone>(values: &[T]) -> Vec<T> {
    let mut list = values.to_vec();
    if let Some(last) = values.last() {
        list.resize(padded(values.len()), last.clone());
    }
    list
}

/// The bytes of bound values a multi-row statement carries at most (see [`runs`]).
pub const STATEMENT_BYTES: usize = 24 * 1024;

/// Numbered placeholders for a multi-row statement: `rows` groups of `columns`, from `$first`
/// on — `value_rows(2, 3, 1)` is `($1, $2, $3), ($4, $5, $6)`. Batched statements are built
/// from this and constant column lists only; every value is bound.
pub fn value_rows(rows: usize, columns: usize, first: usize) -> String {
    (0..rows)
        .map(|row| format!("({})", placeholders(columns, first + row * columns)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `count` numbered placeholders from `$first` on, comma-separated: `placeholders(3, 2)` is
/// `$2, $3, $4` (an `IN (…)` list).
pub fn placeholders(count: usize, first: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod placeholder_tests {
    use super::*;

    #[test]
    fn value_rows_number_every_column_of_every_row() {
        assert_eq!(value_rows(2, 3, 1), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(value_rows(1, 2, 5), "($5, $6)");
        assert_eq!(placeholders(3, 2), "$2, $3, $4");
        assert_eq!(placeholders(0, 1), "");
    }

    #[test]
    fn runs_are_powers_of_two_bounded_by_rows_and_by_bytes() {
        let lengths = |runs: Vec<&[i32]>| runs.iter().map(|r| r.len()).collect::<Vec<_>>();
        let items = [10; 7];
        assert_eq!(lengths(runs(&items, 100, 1000, |n| *n as usize)), [4, 2, 1]);
        assert_eq!(
            lengths(runs(&items, 2, 1000, |n| *n as usize)),
            [2, 2, 2, 1]
        );
        assert_eq!(
            lengths(runs(&items, 100, 35, |n| *n as usize)),
            [2, 2, 2, 1]
        );
        // An item over the bound goes alone; nothing is left out.
        assert_eq!(
            lengths(runs(&[5, 100, 5], 10, 20, |n| *n as usize)),
            [1, 1, 1]
        );
        assert!(runs(&[] as &[i32], 10, 10, |_| 1).is_empty());
        assert_eq!((padded(0), padded(1), padded(5), padded(8)), (1, 1, 8, 8));
    }
}
