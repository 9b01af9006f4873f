//! Sums over a period that the metrics (DSO, CEI, ADD…) are computed from.
use sqlx::{AnyConnection, Row};

/// Invoices issued from `start` to `end` (inclusive) per (customer, currency): credit sales.
pub async fn credit_sales(
    conn: &mut AnyConnection,
    start: i64,
    end: i64,
    customer_id: &str,
) -> sqlx::Result<Vec<(String, String, i64)>> {
    sums(
        conn,
        "SELECT customer_id, currency, CAST(SUM(amount) AS BIGINT) FROM documents \
         WHERE kind = 'INVOICE' AND issue_day >= $1 AND issue_day <= $2 \
         AND ($3 = '' OR customer_id = $3) GROUP BY customer_id, currency",
        (start, end),
        customer_id,
    )
    .await
}

/// A sum per (customer, currency) between two bounds ($1, $2), optionally of one customer ($3).
async fn sums(
    conn: &mut AnyConnection,
    sql: &'static str,
    (from, to): (i64, i64),
    customer_id: &str,
) -> sqlx::Result<Vec<(String, String, i64)>> {
    sqlx::query(sql)
        .bind(from)
        .bind(to)
        .bind(customer_id.to_string())
        .fetch_all(conn)
        .await?
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
        .collect()
}

/// Open invoices as of `day`, added up per (customer, currency, due day): the amount less what
/// was applied by that day, for invoices issued by then.
pub async fn open_as_of(
    conn: &mut AnyConnection,
    day: i64,
    customer_id: &str,
) -> sqlx::Result<Vec<(String, String, i64, i64, i64)>> {
    sqlx::query(
        "SELECT d.customer_id, d.currency, d.due_day, \
         CAST(SUM(d.amount - COALESCE(a.applied, 0)) AS BIGINT), COUNT(*) \
         FROM documents d LEFT JOIN (SELECT invoice_id, CAST(SUM(amount) AS BIGINT) AS applied \
         FROM allocations WHERE applied_day <= $1 GROUP BY invoice_id) a \
         ON a.invoice_id = d.document_id \
         WHERE d.kind IN ('INVOICE', 'FEE', 'INTEREST') AND d.issue_day <= $1 \
         AND ($2 = '' OR d.customer_id = $2) \
         AND d.amount - COALESCE(a.applied, 0) <> 0 \
         GROUP BY d.customer_id, d.currency, d.due_day",
    )
    .bind(day)
    .bind(customer_id.to_string())
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
            row.try_get(4)?,
        ))
    })
    .collect()
}

/// Unapplied cash and credit as of `day` per (customer, currency).
pub async fn unapplied_as_of(
    conn: &mut AnyConnection,
    day: i64,
    customer_id: &str,
) -> sqlx::Result<Vec<(String, String, i64)>> {
    sqlx::query(
        "SELECT d.customer_id, d.currency, CAST(SUM(d.amount - COALESCE(a.applied, 0)) AS BIGINT) \
         FROM documents d LEFT JOIN (SELECT source_id, CAST(SUM(amount) AS BIGINT) AS applied \
         FROM allocations WHERE applied_day <= $1 GROUP BY source_id) a \
         ON a.source_id = d.document_id \
         WHERE d.kind IN ('PAYMENT', 'CREDIT_NOTE') AND d.issue_day <= $1 \
         AND ($2 = '' OR d.customer_id = $2) \
         GROUP BY d.customer_id, d.currency",
    )
    .bind(day)
    .bind(customer_id.to_string())
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
    .collect()
}

/// Disputes open at the end of `day` per (customer, currency): (amount, count).
pub async fn disputes_open_at(
    conn: &mut AnyConnection,
    day: i64,
    customer_id: &str,
) -> sqlx::Result<Vec<(String, String, i64, i64)>> {
    let end = (day + 1) * credit_platform::clock::MICROS_PER_DAY;
    sqlx::query(
        "SELECT customer_id, currency, CAST(SUM(amount) AS BIGINT), COUNT(*) FROM disputes \
         WHERE opened_at < $1 AND (resolved_at IS NULL OR resolved_at >= $1) \
         AND ($2 = '' OR customer_id = $2) GROUP BY customer_id, currency",
    )
    .bind(end)
    .bind(customer_id.to_string())
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
        ))
    })
    .collect()
}

/// Promises settled from `start` to `end` (days, inclusive) per (customer, currency):
/// (settled, kept).
pub async fn promises_settled(
    conn: &mut AnyConnection,
    start: i64,
    end: i64,
    customer_id: &str,
) -> sqlx::Result<Vec<(String, String, i64, i64)>> {
    sqlx::query(
        "SELECT customer_id, currency, COUNT(*), \
         SUM(CASE WHEN state = 'KEPT' THEN 1 ELSE 0 END) FROM promises \
         WHERE settled_at >= $1 AND settled_at < $2 AND ($3 = '' OR customer_id = $3) \
         GROUP BY customer_id, currency",
    )
    .bind(start * credit_platform::clock::MICROS_PER_DAY)
    .bind((end + 1) * credit_platform::clock::MICROS_PER_DAY)
    .bind(customer_id.to_string())
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get::<i64, _>(3)?,
        ))
    })
    .collect()
}

/// Write-offs approved from `start` to `end` (days, inclusive) per (customer, currency).
pub async fn written_off(
    conn: &mut AnyConnection,
    start: i64,
    end: i64,
    customer_id: &str,
) -> sqlx::Result<Vec<(String, String, i64)>> {
    sums(
        conn,
        "SELECT customer_id, currency, CAST(SUM(amount) AS BIGINT) FROM write_offs \
         WHERE state = 'APPROVED' AND decided_at >= $1 AND decided_at < $2 \
         AND ($3 = '' OR customer_id = $3) GROUP BY customer_id, currency",
        (
            start * credit_platform::clock::MICROS_PER_DAY,
            (end + 1) * credit_platform::clock::MICROS_PER_DAY,
        ),
        customer_id,
    )
    .await
}

/// Money recovered on write-offs from `start` to `end` (days, inclusive) per (customer,
/// currency).
pub async fn recovered(
    conn: &mut AnyConnection,
    start: i64,
    end: i64,
    customer_id: &str,
) -> sqlx::Result<Vec<(String, String, i64)>> {
    sums(
        conn,
        "SELECT customer_id, currency, CAST(SUM(amount) AS BIGINT) FROM recoveries \
         WHERE day >= $1 AND day <= $2 AND ($3 = '' OR customer_id = $3) \
         GROUP BY customer_id, currency",
        (start, end),
        customer_id,
    )
    .await
}
