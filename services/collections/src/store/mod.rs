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

use credit_platform::records::{decode as record, encode as encode_record, many as records};

/// The one record a static query ($1 = `key`) finds, if any.
async fn one_record<T: serde::de::DeserializeOwned>(
    conn: &mut AnyConnection,
    sql: &'static str,
    key: &str,
) -> sqlx::Result<Option<T>> {
    credit_platform::records::one(conn, sql, &[key]).await
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
