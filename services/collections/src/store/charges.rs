//! How far default interest has been charged on each invoice.
use sqlx::{AnyConnection, Row};

/// The last day interest was charged through on an invoice, if it ever was.
pub async fn interest_charged_through(
    conn: &mut AnyConnection,
    invoice_id: &str,
) -> sqlx::Result<Option<i64>> {
    sqlx::query("SELECT through_day FROM interest_charged WHERE invoice_id = $1")
        .bind(invoice_id.to_string())
        .fetch_optional(conn)
        .await?
        .map(|row| row.try_get(0))
        .transpose()
}

/// Records that interest on an invoice is charged through `day`.
pub async fn set_interest_charged_through(
    conn: &mut AnyConnection,
    invoice_id: &str,
    day: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO interest_charged (invoice_id, through_day) VALUES ($1, $2) \
         ON CONFLICT (invoice_id) DO UPDATE SET through_day = excluded.through_day",
    )
    .bind(invoice_id.to_string())
    .bind(day)
    .execute(conn)
    .await?;
    Ok(())
}
