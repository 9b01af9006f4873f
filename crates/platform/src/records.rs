//! Aggregates stored as the JSON of their domain records (a table's `body` column), so the
//! wire format can change without touching stored rows; and the static queries that read them.
use sqlx::{AnyConnection, Row};

/// A stored record.
pub fn decode<T: serde::de::DeserializeOwned>(bytes: Vec<u8>) -> sqlx::Result<T> {
    serde_json::from_slice(&bytes).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// Whether stored bytes are a record already (JSON, so they start with `{`), not a wire message
/// an earlier version stored: what a conversion of older rows skips.
pub fn is_record(bytes: &[u8]) -> bool {
    bytes.first() == Some(&b'{')
}

/// The rows a static query finds whose `body` column is still a wire message (not a record):
/// what a conversion of older rows works through.
pub async fn legacy_rows(
    conn: &mut AnyConnection,
    sql: &'static str,
) -> sqlx::Result<Vec<sqlx::any::AnyRow>> {
    let rows = sqlx::query(sql).fetch_all(&mut *conn).await?;
    Ok(rows
        .into_iter()
        .filter(|row| {
            let body: Vec<u8> = row.try_get("body").unwrap_or_default();
            !is_record(&body)
        })
        .collect())
}

/// The stored form of a domain record.
pub fn encode<T: serde::Serialize>(value: &T) -> Vec<u8> {
    // Serialising plain structs of strings, numbers and enums cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

/// The one record (first column) a static query finds, its text parameters bound in order.
pub async fn one<T: serde::de::DeserializeOwned>(
    conn: &mut AnyConnection,
    sql: &'static str,
    keys: &[&str],
) -> sqlx::Result<Option<T>> {
    let mut query = sqlx::query(sql);
    for key in keys {
        query = query.bind(key.to_string());
    }
    query
        .fetch_optional(conn)
        .await?
        .map(|row| decode(row.try_get(0)?))
        .transpose()
}

/// The records (first column) a static query finds, its text parameters bound in order (then
/// `limit`, when the query pages).
pub async fn many<T: serde::de::DeserializeOwned>(
    conn: &mut AnyConnection,
    sql: &'static str,
    keys: &[&str],
    limit: Option<i64>,
) -> sqlx::Result<Vec<T>> {
    let mut query = sqlx::query(sql);
    for key in keys {
        query = query.bind(key.to_string());
    }
    if let Some(limit) = limit {
        query = query.bind(limit);
    }
    query
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(|row| decode(row.try_get(0)?))
        .collect()
}
