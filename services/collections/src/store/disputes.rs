//! Disputes: one row per dispute with the columns the metrics and dunning filter on, and the
//! dispute itself (its domain record) as its body.
use super::{encode_record, one_record, records};
use crate::domain::disputes::{Dispute, DisputeState};
use credit_platform::clock::Micros;
use credit_platform::customer_in_scope;
use credit_platform::scope::DataScope;
use sqlx::{AnyConnection, Row};

/// What open disputes hold on an invoice (minor units).
pub async fn disputed(conn: &mut AnyConnection, invoice_id: &str) -> sqlx::Result<i64> {
    sqlx::query(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM disputes \
         WHERE invoice_id = $1 AND state = 'OPEN'",
    )
    .bind(invoice_id.to_string())
    .fetch_one(conn)
    .await?
    .try_get(0)
}

/// One dispute.
pub async fn dispute(conn: &mut AnyConnection, dispute_id: &str) -> sqlx::Result<Option<Dispute>> {
    one_record(
        conn,
        "SELECT body FROM disputes WHERE dispute_id = $1",
        dispute_id,
    )
    .await
}

/// The state of a dispute on an invoice, if there is such a dispute.
pub async fn dispute_state_on(
    conn: &mut AnyConnection,
    dispute_id: &str,
    invoice_id: &str,
) -> sqlx::Result<Option<DisputeState>> {
    let state: Option<String> =
        sqlx::query("SELECT state FROM disputes WHERE dispute_id = $1 AND invoice_id = $2")
            .bind(dispute_id.to_string())
            .bind(invoice_id.to_string())
            .fetch_optional(conn)
            .await?
            .map(|row| row.try_get(0))
            .transpose()?;
    state
        .map(|name| {
            DisputeState::from_name(&name)
                .ok_or_else(|| sqlx::Error::Decode(format!("dispute state {name}").into()))
        })
        .transpose()
}

/// Records a new, open dispute.
pub async fn insert_dispute(conn: &mut AnyConnection, dispute: &Dispute) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO disputes (dispute_id, customer_id, invoice_id, currency, amount, reason, \
         state, opened_at, due_day, resolved_at, body) \
         VALUES ($1, $2, $3, $4, $5, $6, 'OPEN', $7, $8, NULL, $9)",
    )
    .bind(dispute.dispute_id.clone())
    .bind(dispute.customer_id.clone())
    .bind(dispute.invoice_id.clone())
    .bind(dispute.currency.clone())
    .bind(dispute.amount)
    // The column keeps the reason's number on the wire, as the metrics group by it.
    .bind(dispute.reason.number().to_string())
    .bind(dispute.opened_at)
    .bind(dispute.due_day)
    .bind(encode_record(dispute))
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes a dispute's state, resolution time and body.
pub async fn save_dispute(conn: &mut AnyConnection, d: &Dispute) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE disputes SET state = $2, resolved_at = $3, body = $4 WHERE dispute_id = $1",
    )
    .bind(d.dispute_id.clone())
    .bind(d.state.name())
    .bind(d.resolved_at)
    .bind(encode_record(d))
    .execute(conn)
    .await?;
    Ok(())
}

/// Disputes of a customer and state ("" for any), newest first: `limit` of them opened
/// before the dispute `before` ("" for the newest).
pub async fn list_disputes(
    conn: &mut AnyConnection,
    scope: &DataScope,
    customer_id: &str,
    state: &str,
    before: &str,
    limit: i64,
) -> sqlx::Result<Vec<Dispute>> {
    records(
        conn,
        concat!(
            "SELECT body FROM disputes WHERE ($1 = '' OR customer_id = $1) \
             AND ($2 = '' OR state = $2) AND ($3 = '' OR dispute_id < $3) AND ",
            customer_in_scope!("customer_id", "$4", "$5"),
            " ORDER BY dispute_id DESC LIMIT $6"
        ),
        &[
            customer_id,
            state,
            before,
            &scope.region_filter(),
            &scope.business_unit_filter(),
        ],
        Some(limit),
    )
    .await
}

/// A dispute as the metrics count it.
#[derive(Debug, Clone)]
pub struct DisputeFigures {
    /// The customer.
    pub customer_id: String,
    /// ISO 4217.
    pub currency: String,
    /// The reason as stored (the enum's number).
    pub reason: String,
    /// Disputed amount, minor units.
    pub amount: i64,
    /// OPEN, RESOLVED_BY_CREDIT_NOTE, RESOLVED_BY_WRITE_OFF, REJECTED.
    pub state: String,
    /// When it was opened.
    pub opened_at: Micros,
    /// When it was resolved, if it was.
    pub resolved_at: Option<Micros>,
    /// The day its resolution is due.
    pub due_day: i64,
}

/// Disputes open at some time in `[from, until)`.
pub async fn disputes_during(
    conn: &mut AnyConnection,
    from: Micros,
    until: Micros,
) -> sqlx::Result<Vec<DisputeFigures>> {
    sqlx::query(
        "SELECT customer_id, currency, reason, amount, state, opened_at, resolved_at, due_day \
         FROM disputes WHERE opened_at < $2 AND (resolved_at IS NULL OR resolved_at >= $1)",
    )
    .bind(from)
    .bind(until)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        Ok(DisputeFigures {
            customer_id: row.try_get(0)?,
            currency: row.try_get(1)?,
            reason: row.try_get(2)?,
            amount: row.try_get(3)?,
            state: row.try_get(4)?,
            opened_at: row.try_get(5)?,
            resolved_at: row.try_get(6)?,
            due_day: row.try_get(7)?,
        })
    })
    .collect()
}
