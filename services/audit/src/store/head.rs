//! The head row: the log's size, locked by the one writer, and the census verification reads.
use credit_platform::db::{Backend, Db};
use sqlx::{AnyConnection, Row};

/// Locks the log head and reads the committed tree size.
pub async fn lock_head(conn: &mut AnyConnection, backend: Backend) -> sqlx::Result<i64> {
    let sql = match backend {
        Backend::Postgres => "SELECT tree_size FROM audit_log_head WHERE id = 1 FOR UPDATE",
        // SQLite: BEGIN IMMEDIATE already holds the write lock.
        Backend::Sqlite => "SELECT tree_size FROM audit_log_head WHERE id = 1",
    };
    sqlx::query(sql).fetch_one(conn).await?.try_get(0)
}

/// Moves the log head.
pub async fn set_head(conn: &mut AnyConnection, tree_size: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE audit_log_head SET tree_size = $1 WHERE id = 1")
        .bind(tree_size)
        .execute(conn)
        .await?;
    Ok(())
}

/// The head, the number of stored entries and the largest index, read in one statement so
/// they describe one moment.
pub async fn census(db: &Db) -> sqlx::Result<(i64, i64, Option<i64>)> {
    let row = sqlx::query(
        "SELECT h.tree_size, (SELECT COUNT(*) FROM audit_entries), \
         (SELECT MAX(log_index) FROM audit_entries) FROM audit_log_head h WHERE h.id = 1",
    )
    .fetch_one(&db.pool)
    .await?;
    Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
}
