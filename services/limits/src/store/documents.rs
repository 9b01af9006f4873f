//! Exposure documents: receivables and other commitments posted by document id.
use super::{decimal, text};
use crate::domain::Micros;
use crate::domain::exposure::Category;
use rust_decimal::Decimal;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// A posted document; amounts in the account currency unless named "posted".
#[derive(Debug, Clone, PartialEq)]
pub struct ExposureDocument {
    pub customer_id: String,
    /// Receivable or other commitment.
    pub category: Category,
    /// ERP id.
    pub document_id: String,
    /// Open amount in the account currency.
    pub open_amount: Decimal,
    /// Amount as posted.
    pub posted_amount: Decimal,
    /// Currency as posted.
    pub posted_currency: String,
    /// Rate used, when converted.
    pub fx_rate: Option<Decimal>,
    /// When that rate took effect.
    pub fx_effective_at: Option<Micros>,
    /// Due date.
    pub due_at: Option<Micros>,
    /// Last change.
    pub updated_at: Micros,
}

fn from_row(row: &AnyRow) -> sqlx::Result<ExposureDocument> {
    let category_text: String = row.try_get("category")?;
    let fx_rate: Option<String> = row.try_get("fx_rate")?;
    Ok(ExposureDocument {
        customer_id: row.try_get("customer_id")?,
        category: Category::parse(&category_text).ok_or_else(|| {
            sqlx::Error::Decode(format!("unknown category {category_text}").into())
        })?,
        document_id: row.try_get("document_id")?,
        open_amount: decimal(row, "open_amount")?,
        posted_amount: decimal(row, "posted_amount")?,
        posted_currency: row.try_get("posted_currency")?,
        fx_rate: fx_rate
            .map(|r| credit_platform::money::decimal_from_db(&r))
            .transpose()?,
        fx_effective_at: row.try_get("fx_effective_at")?,
        due_at: row.try_get("due_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// The document, if posted before.
pub async fn get(
    conn: &mut AnyConnection,
    customer_id: &str,
    category: Category,
    document_id: &str,
) -> sqlx::Result<Option<ExposureDocument>> {
    sqlx::query(
        "SELECT customer_id, category, document_id, open_amount, posted_amount, posted_currency, fx_rate, \
         fx_effective_at, due_at, updated_at FROM exposure_documents \
         WHERE customer_id = $1 AND category = $2 AND document_id = $3",
    )
    .bind(customer_id.to_string())
    .bind(category.as_str())
    .bind(document_id.to_string())
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Inserts or replaces the document.
pub async fn upsert(conn: &mut AnyConnection, d: &ExposureDocument) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO exposure_documents (customer_id, category, document_id, open_amount, posted_amount, \
         posted_currency, fx_rate, fx_effective_at, due_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (customer_id, category, document_id) DO UPDATE SET open_amount = excluded.open_amount, \
         posted_amount = excluded.posted_amount, posted_currency = excluded.posted_currency, fx_rate = excluded.fx_rate, \
         fx_effective_at = excluded.fx_effective_at, due_at = excluded.due_at, updated_at = excluded.updated_at",
    )
    .bind(d.customer_id.clone())
    .bind(d.category.as_str())
    .bind(d.document_id.clone())
    .bind(text(d.open_amount))
    .bind(text(d.posted_amount))
    .bind(d.posted_currency.clone())
    .bind(d.fx_rate.map(text))
    .bind(d.fx_effective_at)
    .bind(d.due_at)
    .bind(d.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}
