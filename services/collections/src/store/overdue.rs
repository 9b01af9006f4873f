//! Customers flagged overdue (what limits holds them for), and what is past due.
use credit_platform::clock::Micros;
use sqlx::{AnyConnection, Row};

/// Whether the customer is flagged overdue.
pub async fn is_flagged_overdue(conn: &mut AnyConnection, customer_id: &str) -> sqlx::Result<bool> {
    Ok(
        sqlx::query("SELECT days FROM customer_overdue WHERE customer_id = $1")
            .bind(customer_id.to_string())
            .fetch_optional(conn)
            .await?
            .is_some(),
    )
}

/// Flags the customer overdue by `days` past due.
pub async fn flag_overdue(
    conn: &mut AnyConnection,
    customer_id: &str,
    days: i64,
    at: Micros,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO customer_overdue (customer_id, days, flagged_at) VALUES ($1, $2, $3)")
        .bind(customer_id.to_string())
        .bind(days)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Clears the customer's overdue flag.
pub async fn clear_overdue(conn: &mut AnyConnection, customer_id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM customer_overdue WHERE customer_id = $1")
        .bind(customer_id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// What the customer has past due on `today` per currency: (currency, oldest due day, amount in
/// minor units), receivables only, less what open disputes hold (not held against the customer
/// while the dispute is open).
pub async fn past_due_by_currency(
    conn: &mut AnyConnection,
    customer_id: &str,
    today: i64,
) -> sqlx::Result<Vec<(String, i64, i64)>> {
    sqlx::query(
        "SELECT d.currency, MIN(d.due_day), \
         CAST(SUM(d.open_amount - COALESCE(x.disputed, 0)) AS BIGINT) FROM documents d \
         LEFT JOIN (SELECT invoice_id, SUM(amount) AS disputed FROM disputes \
         WHERE state = 'OPEN' GROUP BY invoice_id) x ON x.invoice_id = d.document_id \
         WHERE d.customer_id = $1 AND d.kind IN ('INVOICE', 'FEE', 'INTEREST') AND d.due_day < $2 \
         AND d.open_amount - CAST(COALESCE(x.disputed, 0) AS BIGINT) > 0 \
         GROUP BY d.currency ORDER BY d.currency",
    )
    .bind(customer_id.to_string())
    .bind(today)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
    .collect()
}

/// Customers with a receivable open and due before `due_before`, and those flagged.
pub async fn overdue_candidates(
    conn: &mut AnyConnection,
    due_before: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query(
        "SELECT DISTINCT customer_id FROM documents WHERE kind IN ('INVOICE', 'FEE', 'INTEREST') \
         AND open_amount > 0 \
         AND due_day < $1 UNION SELECT customer_id FROM customer_overdue",
    )
    .bind(due_before)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect()
}
