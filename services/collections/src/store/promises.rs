//! Promises to pay, with the columns settling reads (amount, promised day, when recorded) and
//! the promise's domain record as the body.
use super::{encode_record, record, records};
use crate::domain::promises::Promise;
use credit_platform::clock::Micros;
use sqlx::{AnyConnection, Row};

/// The open promise of a customer in a currency, when there is one: (amount, promised day).
pub async fn open_promise(
    conn: &mut AnyConnection,
    customer_id: &str,
    currency: &str,
) -> sqlx::Result<Option<(i64, i64)>> {
    sqlx::query(
        "SELECT amount, promised_day FROM promises WHERE customer_id = $1 AND currency = $2 \
         AND state = 'OPEN' ORDER BY promised_day LIMIT 1",
    )
    .bind(customer_id.to_string())
    .bind(currency.to_string())
    .fetch_optional(conn)
    .await?
    .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
    .transpose()
}

/// The customer's open promises.
pub async fn open_promises(
    conn: &mut AnyConnection,
    customer_id: &str,
) -> sqlx::Result<Vec<Promise>> {
    sqlx::query("SELECT body FROM promises WHERE customer_id = $1 AND state = 'OPEN'")
        .bind(customer_id.to_string())
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(|row| record(row.try_get(0)?))
        .collect()
}

/// Payments of a customer in a currency that reached the ledger since `since`, booked by
/// `by_day` (minor units).
pub async fn paid_since(
    conn: &mut AnyConnection,
    customer_id: &str,
    currency: &str,
    since: Micros,
    by_day: i64,
) -> sqlx::Result<i64> {
    sqlx::query(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM documents \
         WHERE customer_id = $1 AND currency = $2 AND kind = 'PAYMENT' \
         AND created_at >= $3 AND issue_day <= $4",
    )
    .bind(customer_id.to_string())
    .bind(currency.to_string())
    .bind(since)
    .bind(by_day)
    .fetch_one(conn)
    .await?
    .try_get(0)
}

/// Writes a settled promise: its state, what was paid, when, and its record.
pub async fn settle_promise(conn: &mut AnyConnection, promise: &Promise) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE promises SET state = $2, paid = $3, settled_at = $4, body = $5 \
         WHERE promise_id = $1",
    )
    .bind(promise.promise_id.clone())
    .bind(promise.state.name())
    .bind(promise.paid)
    .bind(promise.settled_at)
    .bind(encode_record(promise))
    .execute(conn)
    .await?;
    Ok(())
}

/// Records an open promise, made on `made_day`.
pub async fn insert_promise(
    conn: &mut AnyConnection,
    promise: &Promise,
    made_day: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO promises (promise_id, customer_id, currency, amount, promised_day, \
         made_day, state, paid, body, recorded_at, settled_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'OPEN', 0, $7, $8, NULL)",
    )
    .bind(promise.promise_id.clone())
    .bind(promise.customer_id.clone())
    .bind(promise.currency.clone())
    .bind(promise.amount)
    .bind(promise.promised_day)
    .bind(made_day)
    .bind(encode_record(promise))
    .bind(promise.recorded_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A customer's promises, newest first: `limit` of them made before the promise `before` (""
/// for the newest).
pub async fn list_promises(
    conn: &mut AnyConnection,
    customer_id: &str,
    before: &str,
    limit: i64,
) -> sqlx::Result<Vec<Promise>> {
    records(
        conn,
        "SELECT body FROM promises WHERE customer_id = $1 AND ($2 = '' OR promise_id < $2) \
         ORDER BY promise_id DESC LIMIT $3",
        &[customer_id, before],
        Some(limit),
    )
    .await
}

/// Customers with an open promise.
pub async fn customers_with_open_promises(conn: &mut AnyConnection) -> sqlx::Result<Vec<String>> {
    super::column(
        conn,
        "SELECT DISTINCT customer_id FROM promises WHERE state = 'OPEN'",
    )
    .await
}
