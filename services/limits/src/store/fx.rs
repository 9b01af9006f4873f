//! Exchange rates with effective times.
use super::{decimal, text};
use crate::domain::Micros;
use rust_decimal::Decimal;
use sqlx::{AnyConnection, Row};

/// A stored rate: `rate` units of quote per unit of base from `effective_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FxRate {
    /// The currency converted from.
    pub base_currency: String,
    /// The currency converted to.
    pub quote_currency: String,
    /// Units of quote per base.
    pub rate: Decimal,
    /// In force from.
    pub effective_at: Micros,
    /// Who recorded it.
    pub actor_subject: String,
}

/// Inserts or replaces the rate of a pair at an effective time.
pub async fn upsert(conn: &mut AnyConnection, r: &FxRate) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO fx_rates (base_currency, quote_currency, effective_at, rate, actor_subject) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (base_currency, quote_currency, effective_at) DO UPDATE SET rate = excluded.rate, actor_subject = excluded.actor_subject",
    )
    .bind(r.base_currency.clone())
    .bind(r.quote_currency.clone())
    .bind(r.effective_at)
    .bind(text(r.rate))
    .bind(r.actor_subject.clone())
    .execute(conn)
    .await?;
    Ok(())
}

/// The rate from `base` to `quote` in force at `at`: the pair's latest rate effective by then,
/// or the inverse of the reverse pair's.
pub async fn in_force(
    conn: &mut AnyConnection,
    base: &str,
    quote: &str,
    at: Micros,
) -> sqlx::Result<Option<(Decimal, Micros)>> {
    if let Some(direct) = latest(&mut *conn, base, quote, at).await? {
        return Ok(Some(direct));
    }
    Ok(latest(&mut *conn, quote, base, at)
        .await?
        .filter(|(rate, _)| !rate.is_zero())
        .map(|(rate, effective_at)| (Decimal::ONE / rate, effective_at)))
}

async fn latest(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
    at: Micros,
) -> sqlx::Result<Option<(Decimal, Micros)>> {
    let row = sqlx::query(
        "SELECT rate, effective_at FROM fx_rates WHERE base_currency = $1 AND quote_currency = $2 \
         AND effective_at <= $3 ORDER BY effective_at DESC LIMIT 1",
    )
    .bind(from.to_string())
    .bind(to.to_string())
    .bind(at)
    .fetch_optional(conn)
    .await?;
    row.map(|row| Ok((decimal(&row, "rate")?, row.try_get("effective_at")?)))
        .transpose()
}

/// Rates newest first, optionally for one base or quote currency, after row offset `offset`.
pub async fn list(
    conn: &mut AnyConnection,
    base: Option<&str>,
    quote: Option<&str>,
    offset: i64,
    limit: i64,
) -> sqlx::Result<Vec<FxRate>> {
    sqlx::query(
        "SELECT base_currency, quote_currency, effective_at, rate, actor_subject FROM fx_rates \
         WHERE ($1 = '' OR base_currency = $1) AND ($2 = '' OR quote_currency = $2) \
         ORDER BY effective_at DESC, base_currency, quote_currency LIMIT $3 OFFSET $4",
    )
    .bind(base.unwrap_or("").to_string())
    .bind(quote.unwrap_or("").to_string())
    .bind(limit)
    .bind(offset)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        Ok(FxRate {
            base_currency: row.try_get("base_currency")?,
            quote_currency: row.try_get("quote_currency")?,
            rate: decimal(row, "rate")?,
            effective_at: row.try_get("effective_at")?,
            actor_subject: row.try_get("actor_subject")?,
        })
    })
    .collect()
}
