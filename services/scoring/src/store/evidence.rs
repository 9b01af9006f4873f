//! What the customer's file holds besides bureau reports: financial statements, references and
//! payment behaviour (one JSON body per record).
use super::{json, parse};
use crate::domain::decision::{PaymentBehaviour, Reference};
use crate::domain::financials::Statement;
use credit_platform::clock::Micros;
use sqlx::{AnyConnection, Row};

/// Stores a statement; one per customer and period (a new one replaces it).
pub async fn put_statement(
    conn: &mut AnyConnection,
    customer_id: &str,
    statement: &Statement,
    at: Micros,
    by: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO financial_statements (customer_id, period_end, body, recorded_at, recorded_by) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (customer_id, period_end) DO UPDATE SET \
         body = excluded.body, recorded_at = excluded.recorded_at, recorded_by = excluded.recorded_by",
    )
    .bind(customer_id.to_string())
    .bind(statement.period_end.clone())
    .bind(json(statement))
    .bind(at)
    .bind(by.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// Every statement of a customer, newest period first.
pub async fn statements(
    conn: &mut AnyConnection,
    customer_id: &str,
) -> sqlx::Result<Vec<Statement>> {
    page_of_statements(conn, customer_id, "", i64::MAX).await
}

/// The customer's statements, newest period first: `limit` of those before the period ending
/// `before_period_end` ("" for the newest).
pub async fn page_of_statements(
    conn: &mut AnyConnection,
    customer_id: &str,
    before_period_end: &str,
    limit: i64,
) -> sqlx::Result<Vec<Statement>> {
    sqlx::query(
        "SELECT body FROM financial_statements WHERE customer_id = $1 \
         AND ($2 = '' OR period_end < $2) ORDER BY period_end DESC LIMIT $3",
    )
    .bind(customer_id.to_string())
    .bind(before_period_end.to_string())
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| parse(&row.try_get::<String, _>(0)?))
    .collect()
}

macro_rules! single_body {
    ($put:ident, $get:ident, $table:literal, $type:ty) => {
        /// Replaces the customer's record.
        pub async fn $put(
            conn: &mut AnyConnection,
            customer_id: &str,
            value: &$type,
            at: Micros,
        ) -> sqlx::Result<()> {
            sqlx::query(concat!(
                "INSERT INTO ",
                $table,
                " (customer_id, body, recorded_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (customer_id) DO UPDATE SET body = excluded.body, \
                 recorded_at = excluded.recorded_at"
            ))
            .bind(customer_id.to_string())
            .bind(json(value))
            .bind(at)
            .execute(conn)
            .await?;
            Ok(())
        }

        /// The customer's record, if any.
        pub async fn $get(
            conn: &mut AnyConnection,
            customer_id: &str,
        ) -> sqlx::Result<Option<$type>> {
            sqlx::query(concat!(
                "SELECT body FROM ",
                $table,
                " WHERE customer_id = $1"
            ))
            .bind(customer_id.to_string())
            .fetch_optional(conn)
            .await?
            .map(|row| parse(&row.try_get::<String, _>(0)?))
            .transpose()
        }
    };
}

single_body!(
    put_references,
    references,
    "customer_references",
    Vec<Reference>
);
single_body!(
    put_payment_behaviour,
    payment_behaviour,
    "payment_behaviour",
    PaymentBehaviour
);
