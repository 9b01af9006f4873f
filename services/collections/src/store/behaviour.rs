//! What a customer's payment behaviour is computed from, and the figures last said on the feed.
use credit_platform::clock::Micros;
use sqlx::{AnyConnection, Row};

/// Invoices of the customer paid in full whose last payment was applied on or after
/// `since_day`: (amount, days beyond terms of that last payment).
pub async fn paid_invoices_since(
    conn: &mut AnyConnection,
    customer_id: &str,
    since_day: i64,
) -> sqlx::Result<Vec<(i64, i64)>> {
    sqlx::query(
        "SELECT d.amount, MAX(a.applied_day) - d.due_day FROM documents d \
         JOIN allocations a ON a.invoice_id = d.document_id \
         JOIN documents p ON p.document_id = a.source_id AND p.kind = 'PAYMENT' \
         WHERE d.customer_id = $1 AND d.kind = 'INVOICE' AND d.open_amount = 0 \
         GROUP BY d.document_id, d.amount, d.due_day HAVING MAX(a.applied_day) >= $2",
    )
    .bind(customer_id.to_string())
    .bind(since_day)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
    .collect()
}

/// The customer's open disputes.
pub async fn open_disputes(conn: &mut AnyConnection, customer_id: &str) -> sqlx::Result<i64> {
    sqlx::query("SELECT COUNT(*) FROM disputes WHERE customer_id = $1 AND state = 'OPEN'")
        .bind(customer_id.to_string())
        .fetch_one(conn)
        .await?
        .try_get(0)
}

/// Promises the customer broke and payment plans it breached since `since`.
pub async fn broken_promises_since(
    conn: &mut AnyConnection,
    customer_id: &str,
    since: Micros,
) -> sqlx::Result<i64> {
    let mut broken = 0;
    for sql in [
        "SELECT COUNT(*) FROM promises WHERE customer_id = $1 AND state = 'BROKEN' \
         AND settled_at >= $2",
        "SELECT COUNT(*) FROM payment_plans WHERE customer_id = $1 AND state = 'BREACHED' \
         AND ended_at >= $2",
    ] {
        let n: i64 = sqlx::query(sql)
            .bind(customer_id.to_string())
            .bind(since)
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        broken += n;
    }
    Ok(broken)
}

/// Records the customer's figures (as JSON text) unless they are what was last said; answers
/// whether they changed.
pub async fn publish_behaviour(
    conn: &mut AnyConnection,
    customer_id: &str,
    figures: &str,
    at: Micros,
) -> sqlx::Result<bool> {
    let changed = sqlx::query(
        "INSERT INTO payment_behaviour (customer_id, figures, published_at) VALUES ($1, $2, $3) \
         ON CONFLICT (customer_id) DO UPDATE SET figures = excluded.figures, \
         published_at = excluded.published_at WHERE payment_behaviour.figures <> excluded.figures",
    )
    .bind(customer_id.to_string())
    .bind(figures.to_string())
    .bind(at)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(changed > 0)
}
