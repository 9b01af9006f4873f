//! SQL of the scoring service (sqlx Any: one code path for PostgreSQL and SQLite).
mod bureau_reports;
mod evidence;
mod legacy;
mod scores;

pub use bureau_reports::*;
pub use evidence::*;
pub use legacy::convert_legacy_scores;
pub use scores::*;
use sqlx::{AnyConnection, Row};

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("a domain value serialises to JSON")
}

fn parse<T: serde::de::DeserializeOwned>(text: &str) -> sqlx::Result<T> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// Every customer with any information on file, in id order.
pub async fn customers(conn: &mut AnyConnection) -> sqlx::Result<Vec<String>> {
    sqlx::query(
        "SELECT customer_id FROM financial_statements UNION SELECT customer_id FROM bureau_reports \
         UNION SELECT customer_id FROM customer_references \
         UNION SELECT customer_id FROM payment_behaviour ORDER BY 1",
    )
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| row.try_get(0))
    .collect()
}
