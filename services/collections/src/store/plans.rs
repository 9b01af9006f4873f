//! Payment plans (the domain record as the body) and the invoices each covers (active while
//! the plan is kept).
use super::{encode_record, records};
use crate::domain::plans::PaymentPlan;
use sqlx::{AnyConnection, Row};

/// What the invoices of a plan have open now (minor units).
pub async fn plan_outstanding(conn: &mut AnyConnection, plan_id: &str) -> sqlx::Result<i64> {
    sqlx::query(
        "SELECT CAST(COALESCE(SUM(d.open_amount), 0) AS BIGINT) FROM plan_invoices p \
         JOIN documents d ON d.document_id = p.invoice_id WHERE p.plan_id = $1",
    )
    .bind(plan_id.to_string())
    .fetch_one(conn)
    .await?
    .try_get(0)
}

/// The customer's active plans.
pub async fn active_plans(
    conn: &mut AnyConnection,
    customer_id: &str,
) -> sqlx::Result<Vec<PaymentPlan>> {
    records(
        conn,
        "SELECT body FROM payment_plans WHERE customer_id = $1 AND state = 'ACTIVE'",
        &[customer_id],
        None,
    )
    .await
}

/// The customer's plans, newest first: `limit` of them agreed before the plan `before` (""
/// for the newest).
pub async fn plans_of(
    conn: &mut AnyConnection,
    customer_id: &str,
    before: &str,
    limit: i64,
) -> sqlx::Result<Vec<PaymentPlan>> {
    records(
        conn,
        "SELECT body FROM payment_plans WHERE customer_id = $1 AND ($2 = '' OR plan_id < $2) \
         ORDER BY plan_id DESC LIMIT $3",
        &[customer_id, before],
        Some(limit),
    )
    .await
}

/// Ends a plan (its state, end and record as given): dunning takes its invoices back.
pub async fn end_plan(conn: &mut AnyConnection, plan: &PaymentPlan) -> sqlx::Result<()> {
    sqlx::query("UPDATE payment_plans SET state = $2, ended_at = $3, body = $4 WHERE plan_id = $1")
        .bind(plan.plan_id.clone())
        .bind(plan.state.name())
        .bind(plan.ended_at)
        .bind(encode_record(plan))
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE plan_invoices SET active = 0 WHERE plan_id = $1")
        .bind(plan.plan_id.clone())
        .execute(conn)
        .await?;
    Ok(())
}

/// The active plan that covers an invoice, if one does.
pub async fn active_plan_of_invoice(
    conn: &mut AnyConnection,
    invoice_id: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query("SELECT plan_id FROM plan_invoices WHERE invoice_id = $1 AND active = 1")
        .bind(invoice_id.to_string())
        .fetch_optional(conn)
        .await?
        .map(|r| r.try_get(0))
        .transpose()
}

/// Records an active plan over its invoices.
pub async fn insert_plan(conn: &mut AnyConnection, plan: &PaymentPlan) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO payment_plans (plan_id, customer_id, currency, state, total, created_at, \
         ended_at, body) VALUES ($1, $2, $3, 'ACTIVE', $4, $5, NULL, $6)",
    )
    .bind(plan.plan_id.clone())
    .bind(plan.customer_id.clone())
    .bind(plan.currency.clone())
    .bind(plan.total)
    .bind(plan.created_at)
    .bind(encode_record(plan))
    .execute(&mut *conn)
    .await?;
    for invoice_id in &plan.invoice_ids {
        sqlx::query("INSERT INTO plan_invoices (plan_id, invoice_id, active) VALUES ($1, $2, 1)")
            .bind(plan.plan_id.clone())
            .bind(invoice_id.clone())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Writes a plan's record (paid amounts and instalment states brought up to date).
pub async fn save_plan_body(conn: &mut AnyConnection, plan: &PaymentPlan) -> sqlx::Result<()> {
    sqlx::query("UPDATE payment_plans SET body = $2 WHERE plan_id = $1")
        .bind(plan.plan_id.clone())
        .bind(encode_record(plan))
        .execute(conn)
        .await?;
    Ok(())
}

/// Customers with an active plan.
pub async fn customers_with_active_plans(conn: &mut AnyConnection) -> sqlx::Result<Vec<String>> {
    super::column(
        conn,
        "SELECT DISTINCT customer_id FROM payment_plans WHERE state = 'ACTIVE'",
    )
    .await
}
