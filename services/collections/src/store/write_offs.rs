//! Write-offs (the domain record as the body) and the recoveries booked against them.
use super::{encode_record, one_record, records};
use crate::domain::write_offs::WriteOff;
use credit_platform::customer_in_scope;
use credit_platform::scope::DataScope;
use sqlx::{AnyConnection, Row};

/// One write-off.
pub async fn write_off(
    conn: &mut AnyConnection,
    write_off_id: &str,
) -> sqlx::Result<Option<WriteOff>> {
    one_record(
        conn,
        "SELECT body FROM write_offs WHERE write_off_id = $1",
        write_off_id,
    )
    .await
}

/// Records a requested write-off.
pub async fn insert_write_off(conn: &mut AnyConnection, w: &WriteOff) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO write_offs (write_off_id, customer_id, invoice_id, currency, amount, \
         state, requested_at, decided_at, body) VALUES ($1, $2, $3, $4, $5, 'REQUESTED', $6, \
         NULL, $7)",
    )
    .bind(w.write_off_id.clone())
    .bind(w.customer_id.clone())
    .bind(w.invoice_id.clone())
    .bind(w.currency.clone())
    .bind(w.amount)
    .bind(w.requested_at)
    .bind(encode_record(w))
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes a write-off's state, when it was decided and its record.
pub async fn save_write_off(conn: &mut AnyConnection, w: &WriteOff) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE write_offs SET state = $2, decided_at = $3, body = $4 WHERE write_off_id = $1",
    )
    .bind(w.write_off_id.clone())
    .bind(w.state.name())
    .bind(w.decided_at)
    .bind(encode_record(w))
    .execute(conn)
    .await?;
    Ok(())
}

/// What was recovered on a write-off so far (minor units).
pub async fn recovered_on(conn: &mut AnyConnection, write_off_id: &str) -> sqlx::Result<i64> {
    sqlx::query(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM recoveries WHERE write_off_id = $1",
    )
    .bind(write_off_id.to_string())
    .fetch_one(conn)
    .await?
    .try_get(0)
}

/// A recovery booked against a write-off.
pub struct NewRecovery<'a> {
    /// Its id.
    pub recovery_id: &'a str,
    /// The write-off.
    pub write_off_id: &'a str,
    /// The customer.
    pub customer_id: &'a str,
    /// ISO 4217.
    pub currency: &'a str,
    /// Minor units.
    pub amount: i64,
    /// The day it was received.
    pub day: i64,
}

/// Records a recovery.
pub async fn insert_recovery(conn: &mut AnyConnection, r: NewRecovery<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO recoveries (recovery_id, write_off_id, customer_id, currency, amount, day) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(r.recovery_id.to_string())
    .bind(r.write_off_id.to_string())
    .bind(r.customer_id.to_string())
    .bind(r.currency.to_string())
    .bind(r.amount)
    .bind(r.day)
    .execute(conn)
    .await?;
    Ok(())
}

/// Write-offs of a customer and state ("" for any), newest first: `limit` of them requested
/// before the write-off `before` ("" for the newest).
pub async fn list_write_offs(
    conn: &mut AnyConnection,
    scope: &DataScope,
    customer_id: &str,
    state: &str,
    before: &str,
    limit: i64,
) -> sqlx::Result<Vec<WriteOff>> {
    records(
        conn,
        concat!(
            "SELECT body FROM write_offs WHERE ($1 = '' OR customer_id = $1) \
             AND ($2 = '' OR state = $2) AND ($3 = '' OR write_off_id < $3) AND ",
            customer_in_scope!("customer_id", "$4", "$5"),
            " ORDER BY write_off_id DESC LIMIT $6"
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
