//! The latest bureau report per customer, with when it was bought.
use super::{json, parse};
use crate::domain::bureau::BureauReport;
use credit_platform::clock::Micros;
use sqlx::{AnyConnection, Row};

/// Replaces the customer's bureau report.
pub async fn put_bureau_report(
    conn: &mut AnyConnection,
    customer_id: &str,
    report: &BureauReport,
    reported_at: Micros,
    at: Micros,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO bureau_reports (customer_id, provider, body, reported_at, recorded_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (customer_id) DO UPDATE SET \
         provider = excluded.provider, body = excluded.body, reported_at = excluded.reported_at, \
         recorded_at = excluded.recorded_at",
    )
    .bind(customer_id.to_string())
    .bind(report.provider.clone())
    .bind(json(report))
    .bind(reported_at)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// When the customer's bureau report was recorded, if there is one.
pub async fn bureau_report_recorded_at(
    conn: &mut AnyConnection,
    customer_id: &str,
) -> sqlx::Result<Option<Micros>> {
    sqlx::query("SELECT recorded_at FROM bureau_reports WHERE customer_id = $1")
        .bind(customer_id.to_string())
        .fetch_optional(conn)
        .await?
        .map(|row| row.try_get(0))
        .transpose()
}

/// The customer's bureau report, if any.
pub async fn bureau_report(
    conn: &mut AnyConnection,
    customer_id: &str,
) -> sqlx::Result<Option<BureauReport>> {
    sqlx::query("SELECT body FROM bureau_reports WHERE customer_id = $1")
        .bind(customer_id.to_string())
        .fetch_optional(conn)
        .await?
        .map(|row| parse(&row.try_get::<String, _>(0)?))
        .transpose()
}

/// Every customer's bureau report, by customer.
pub async fn bureau_reports(conn: &mut AnyConnection) -> sqlx::Result<Vec<(String, BureauReport)>> {
    sqlx::query("SELECT customer_id, body FROM bureau_reports")
        .fetch_all(conn)
        .await?
        .iter()
        .map(|row| Ok((row.try_get(0)?, parse(&row.try_get::<String, _>(1)?)?)))
        .collect()
}
