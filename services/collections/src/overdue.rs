//! The credit-hold rule: a customer with an invoice more than the threshold days past due (or
//! reached by a dunning step whose consequence is a credit hold) is said to be overdue on the
//! feed, and limits places its rule hold; once nothing is past due any more — paid, credited,
//! or the invoice changed — it is cleared and limits releases the hold. Reviewed after every
//! ledger change of the customer and by a sweep as days pass.
use crate::domain::ledger::from_minor;
use credit_platform::clock::Micros;
use credit_platform::context::RequestContext;
use credit_platform::error::ApiError;
use credit_platform::outbox::{self, NewEvent};
use serde_json::json;
use sqlx::{AnyConnection, Row};

/// Reviews `customer_id` on `today`: flags or clears it, saying so on the feed. Answers whether
/// it changed.
pub async fn review(
    conn: &mut AnyConnection,
    context: &RequestContext,
    now: Micros,
    today: i64,
    threshold_days: i64,
    customer_id: &str,
) -> Result<bool, ApiError> {
    let flagged = is_flagged(conn, customer_id).await?;
    let (oldest, amounts) = overdue_since(conn, customer_id, today).await?;
    match (oldest, flagged) {
        (Some(due), false) if today - due > threshold_days => {
            flag(
                conn,
                context,
                now,
                customer_id,
                today - due,
                &amounts,
                "THRESHOLD",
            )
            .await?;
            Ok(true)
        }
        (None, true) => {
            sqlx::query("DELETE FROM customer_overdue WHERE customer_id = $1")
                .bind(customer_id.to_string())
                .execute(&mut *conn)
                .await?;
            outbox::append(
                conn,
                context,
                now,
                NewEvent {
                    event_type: "credit.collections.customer.overdue_cleared",
                    entity_type: "customer",
                    entity_id: customer_id.to_string(),
                    customer_id: customer_id.to_string(),
                    payload: json!({"threshold_days": threshold_days}),
                },
            )
            .await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

async fn is_flagged(conn: &mut AnyConnection, customer_id: &str) -> Result<bool, ApiError> {
    Ok(
        sqlx::query("SELECT days FROM customer_overdue WHERE customer_id = $1")
            .bind(customer_id.to_string())
            .fetch_optional(&mut *conn)
            .await?
            .is_some(),
    )
}

/// The oldest due day among the customer's open invoices past due on `today`, and the amounts
/// past due per currency ("1234.00 EUR").
pub async fn overdue_since(
    conn: &mut AnyConnection,
    customer_id: &str,
    today: i64,
) -> Result<(Option<i64>, Vec<String>), ApiError> {
    // A disputed amount is not held against the customer while the dispute is open.
    let late = sqlx::query(
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
    .fetch_all(&mut *conn)
    .await?;
    let mut oldest: Option<i64> = None;
    let mut amounts = Vec::new();
    for row in &late {
        let currency: String = row.try_get(0)?;
        let due: i64 = row.try_get(1)?;
        let open: i64 = row.try_get(2)?;
        oldest = Some(oldest.map_or(due, |o: i64| o.min(due)));
        let digits = crate::domain::ledger::digits_of(&currency);
        amounts.push(format!("{} {currency}", from_minor(open, digits)));
    }
    Ok((oldest, amounts))
}

/// Says the customer is overdue (once: nothing when it is flagged already); `cause` is
/// "THRESHOLD" or the dunning step that asked for the hold.
pub async fn flag(
    conn: &mut AnyConnection,
    context: &RequestContext,
    now: Micros,
    customer_id: &str,
    days_past_due: i64,
    amounts: &[String],
    cause: &str,
) -> Result<(), ApiError> {
    if is_flagged(conn, customer_id).await? {
        return Ok(());
    }
    sqlx::query("INSERT INTO customer_overdue (customer_id, days, flagged_at) VALUES ($1, $2, $3)")
        .bind(customer_id.to_string())
        .bind(days_past_due)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    outbox::append(
        conn,
        context,
        now,
        NewEvent {
            event_type: "credit.collections.customer.overdue",
            entity_type: "customer",
            entity_id: customer_id.to_string(),
            customer_id: customer_id.to_string(),
            payload: json!({
                "days_past_due": days_past_due,
                "overdue_amounts": amounts,
                "cause": cause,
            }),
        },
    )
    .await?;
    Ok(())
}

/// Customers the sweep must look at on `today`: those with an invoice late beyond the
/// threshold, and those flagged.
pub async fn candidates(
    conn: &mut AnyConnection,
    today: i64,
    threshold_days: i64,
) -> Result<Vec<String>, ApiError> {
    let rows = sqlx::query(
        "SELECT DISTINCT customer_id FROM documents WHERE kind IN ('INVOICE', 'FEE', 'INTEREST') \
         AND open_amount > 0 \
         AND due_day < $1 UNION SELECT customer_id FROM customer_overdue",
    )
    .bind(today - threshold_days)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| r.try_get::<String, _>(0).map_err(ApiError::from))
        .collect()
}
