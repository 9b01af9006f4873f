//! Limitation acts (acknowledgements, suits… that restart or suspend a period) and the alerts
//! raised as deadlines approach.
use crate::domain::limitation::Act;
use credit_platform::clock::Micros;
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// An act recorded on an invoice ("" for every invoice of the customer due by its day).
pub struct NewAct<'a> {
    /// Its id.
    pub act_id: &'a str,
    /// The customer.
    pub customer_id: &'a str,
    /// The invoice, or "".
    pub invoice_id: &'a str,
    /// What it is.
    pub act: Act,
    /// The day it happened.
    pub day: i64,
    /// Who recorded it.
    pub recorded_by: &'a str,
    /// What the collector noted with it.
    pub note: &'a str,
    /// When it was recorded.
    pub recorded_at: Micros,
}

/// Records an act.
pub async fn insert_act(conn: &mut AnyConnection, a: NewAct<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO limitation_acts (act_id, customer_id, invoice_id, kind, day, \
         recorded_by, note, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(a.act_id.to_string())
    .bind(a.customer_id.to_string())
    .bind(a.invoice_id.to_string())
    .bind(a.act.name().to_string())
    .bind(a.day)
    .bind(a.recorded_by.to_string())
    .bind(a.note.to_string())
    .bind(a.recorded_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// An open receivable with the jurisdiction its customer's period follows.
pub struct OpenReceivable {
    /// The customer.
    pub customer_id: String,
    /// ISO 4217.
    pub currency: String,
    /// The document.
    pub document_id: String,
    /// Open amount, minor units.
    pub open: i64,
    /// Due day.
    pub due_day: i64,
    /// The customer's jurisdiction ("" when none is listed).
    pub jurisdiction: String,
}

/// Open receivables due on or before `due_by`, of one customer or all (""), by customer and
/// due day.
pub async fn open_receivables_due_by(
    conn: &mut AnyConnection,
    customer_id: &str,
    due_by: i64,
) -> sqlx::Result<Vec<OpenReceivable>> {
    sqlx::query(
        "SELECT d.customer_id, d.currency, d.document_id, d.open_amount, d.due_day, \
         COALESCE(c.jurisdiction, '') FROM documents d \
         LEFT JOIN customers c ON c.customer_id = d.customer_id \
         WHERE d.kind IN ('INVOICE', 'FEE', 'INTEREST') AND d.open_amount > 0 \
         AND d.due_day <= $1 AND ($2 = '' OR d.customer_id = $2) \
         ORDER BY d.customer_id, d.due_day",
    )
    .bind(due_by)
    .bind(customer_id.to_string())
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        Ok(OpenReceivable {
            customer_id: row.try_get(0)?,
            currency: row.try_get(1)?,
            document_id: row.try_get(2)?,
            open: row.try_get(3)?,
            due_day: row.try_get(4)?,
            jurisdiction: row.try_get(5)?,
        })
    })
    .collect()
}

/// The acts recorded for one customer or all (""), by customer: (invoice or "", act, day).
pub async fn acts_by_customer(
    conn: &mut AnyConnection,
    customer_id: &str,
) -> sqlx::Result<HashMap<String, Vec<(String, Act, i64)>>> {
    let mut acts: HashMap<String, Vec<(String, Act, i64)>> = HashMap::new();
    for row in sqlx::query(
        "SELECT customer_id, invoice_id, kind, day FROM limitation_acts \
         WHERE ($1 = '' OR customer_id = $1)",
    )
    .bind(customer_id.to_string())
    .fetch_all(conn)
    .await?
    {
        if let Some(act) = Act::from_name(&row.try_get::<String, _>(2)?) {
            acts.entry(row.try_get(0)?)
                .or_default()
                .push((row.try_get(1)?, act, row.try_get(3)?));
        }
    }
    Ok(acts)
}

/// The day of the last payment applied to each invoice of one customer or all ("").
pub async fn last_payment_days(
    conn: &mut AnyConnection,
    customer_id: &str,
) -> sqlx::Result<HashMap<String, i64>> {
    sqlx::query(
        "SELECT a.invoice_id, MAX(a.applied_day) FROM allocations a \
         JOIN documents p ON p.document_id = a.source_id \
         WHERE p.kind = 'PAYMENT' AND ($1 = '' OR p.customer_id = $1) GROUP BY a.invoice_id",
    )
    .bind(customer_id.to_string())
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
    .collect()
}

/// Records that the alert at `threshold` days was raised for an invoice's deadline; answers
/// false when it had been already.
pub async fn raise_limitation_alert(
    conn: &mut AnyConnection,
    invoice_id: &str,
    threshold: i64,
    deadline_day: i64,
    at: Micros,
) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO limitation_alerts (invoice_id, threshold, deadline_day, \
         raised_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(invoice_id.to_string())
    .bind(threshold)
    .bind(deadline_day)
    .bind(at)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted > 0)
}
