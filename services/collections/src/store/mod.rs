//! SQL of the collections service (sqlx Any: one code path for PostgreSQL and SQLite).
mod behaviour;
mod charges;
mod customers;
mod disputes;
mod documents;
mod dunning;
mod figures;
mod legacy;
mod limitation;
mod overdue;
mod plans;
mod promises;
mod risk;
mod worklist;
mod write_offs;

pub use behaviour::*;
pub use charges::*;
pub use customers::*;
pub use disputes::*;
pub use documents::*;
pub use dunning::*;
pub use figures::*;
pub use legacy::convert_legacy_records;
pub use limitation::*;
pub use overdue::*;
pub use plans::*;
pub use promises::*;
pub use risk::*;
pub use worklist::*;
pub use write_offs::*;

use sqlx::{AnyConnection, Row};

/// An aggregate stored as the JSON of its domain record (the disputes, promises, plans and
/// write-offs tables' `body`), so the wire format can change without touching stored rows.
fn record<T: serde::de::DeserializeOwned>(bytes: Vec<u8>) -> sqlx::Result<T> {
    serde_json::from_slice(&bytes).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// The stored form of a domain record.
fn encode_record<T: serde::Serialize>(value: &T) -> Vec<u8> {
    // Serialising plain structs of strings, integers and enums cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

/// The one record a static query ($1 = `key`) finds, if any.
async fn one_record<T: serde::de::DeserializeOwned>(
    conn: &mut AnyConnection,
    sql: &'static str,
    key: &str,
) -> sqlx::Result<Option<T>> {
    sqlx::query(sql)
        .bind(key.to_string())
        .fetch_optional(conn)
        .await?
        .map(|row| record(row.try_get(0)?))
        .transpose()
}

/// The records a static query finds, its text parameters bound in order (then `limit`, when
/// the query pages).
async fn records<T: serde::de::DeserializeOwned>(
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
        .map(|row| record(row.try_get(0)?))
        .collect()
}

/// The one text column a static query returns, row by row.
async fn column(conn: &mut AnyConnection, sql: &'static str) -> sqlx::Result<Vec<String>> {
    sqlx::query(sql)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|row| row.try_get(0))
        .collect()
}
