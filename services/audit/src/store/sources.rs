//! Where each source's feed stands: the last sequence recorded from it.
use credit_platform::clock::Micros;
use credit_platform::db::Db;
use sqlx::{AnyConnection, Row};

/// The last sequence recorded from `source` (0 when none).
pub async fn source_position(conn: &mut AnyConnection, source: &str) -> sqlx::Result<i64> {
    Ok(
        sqlx::query("SELECT last_sequence FROM audit_sources WHERE source = $1")
            .bind(source.to_string())
            .fetch_optional(conn)
            .await?
            .map(|row| row.try_get(0))
            .transpose()?
            .unwrap_or(0),
    )
}

/// Records how far `source` has been recorded.
pub async fn set_source_position(
    conn: &mut AnyConnection,
    source: &str,
    last_sequence: i64,
    last_occurred_at: Micros,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_sources (source, last_sequence, last_occurred_at) VALUES ($1, $2, $3) \
         ON CONFLICT (source) DO UPDATE SET last_sequence = excluded.last_sequence, \
         last_occurred_at = excluded.last_occurred_at",
    )
    .bind(source.to_string())
    .bind(last_sequence)
    .bind(last_occurred_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every source with recorded entries: (source, last sequence, when it occurred).
pub async fn source_positions(db: &Db) -> sqlx::Result<Vec<(String, i64, Micros)>> {
    sqlx::query("SELECT source, last_sequence, last_occurred_at FROM audit_sources ORDER BY source")
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
        .collect()
}
