//! Credit holds: manual, or placed by a rule.
use crate::domain::Micros;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// The columns of a [`Hold`], in one place for every query (SQL must be static text).
macro_rules! hold_columns {
    () => {
        "hold_id, customer_id, kind, rule_code, reason, placed_by, placed_at, active, released_by, \
         release_reason, released_at"
    };
}

/// A stored hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub hold_id: String,
    pub customer_id: String,
    /// "MANUAL" or "RULE".
    pub kind: String,
    /// Rule code for rule holds.
    pub rule_code: String,
    /// Why placed.
    pub reason: String,
    /// Who placed it.
    pub placed_by: String,
    /// When it was placed.
    pub placed_at: Micros,
    /// In force.
    pub active: bool,
    /// Who released it.
    pub released_by: String,
    /// Why released.
    pub release_reason: String,
    /// When released.
    pub released_at: Option<Micros>,
}

fn from_row(row: &AnyRow) -> sqlx::Result<Hold> {
    Ok(Hold {
        hold_id: row.try_get("hold_id")?,
        customer_id: row.try_get("customer_id")?,
        kind: row.try_get("kind")?,
        rule_code: row.try_get("rule_code")?,
        reason: row.try_get("reason")?,
        placed_by: row.try_get("placed_by")?,
        placed_at: row.try_get("placed_at")?,
        active: row.try_get::<i32, _>("active")? == 1,
        released_by: row.try_get("released_by")?,
        release_reason: row.try_get("release_reason")?,
        released_at: row.try_get("released_at")?,
    })
}

/// Inserts a hold.
pub async fn insert(conn: &mut AnyConnection, h: &Hold) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO credit_holds (hold_id, customer_id, kind, rule_code, reason, placed_by, placed_at, active, \
         released_by, release_reason, released_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(h.hold_id.clone())
    .bind(h.customer_id.clone())
    .bind(h.kind.clone())
    .bind(h.rule_code.clone())
    .bind(h.reason.clone())
    .bind(h.placed_by.clone())
    .bind(h.placed_at)
    .bind(i32::from(h.active))
    .bind(h.released_by.clone())
    .bind(h.release_reason.clone())
    .bind(h.released_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks a hold released.
pub async fn release(conn: &mut AnyConnection, h: &Hold) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE credit_holds SET active = 0, released_by = $2, release_reason = $3, released_at = $4 WHERE hold_id = $1",
    )
    .bind(h.hold_id.clone())
    .bind(h.released_by.clone())
    .bind(h.release_reason.clone())
    .bind(h.released_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// One hold.
pub async fn get(conn: &mut AnyConnection, hold_id: &str) -> sqlx::Result<Option<Hold>> {
    sqlx::query(concat!(
        "SELECT ",
        hold_columns!(),
        " FROM credit_holds WHERE hold_id = $1"
    ))
    .bind(hold_id.to_string())
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The active hold of a rule on an account.
pub async fn active_rule_hold(
    conn: &mut AnyConnection,
    customer_id: &str,
    rule_code: &str,
) -> sqlx::Result<Option<Hold>> {
    sqlx::query(concat!(
        "SELECT ",
        hold_columns!(),
        " FROM credit_holds \
         WHERE customer_id = $1 AND rule_code = $2 AND kind = 'RULE' AND active = 1"
    ))
    .bind(customer_id.to_string())
    .bind(rule_code.to_string())
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// An account's holds, newest first.
pub async fn list(
    conn: &mut AnyConnection,
    customer_id: &str,
    include_released: bool,
    before: &str,
    limit: i64,
) -> sqlx::Result<Vec<Hold>> {
    // Hold ids are UUID v7: their order is the order they were placed in.
    sqlx::query(concat!(
        "SELECT ",
        hold_columns!(),
        " FROM credit_holds WHERE customer_id = $1 AND (active = 1 OR $2 = 1) \
         AND ($3 = '' OR hold_id < $3) ORDER BY hold_id DESC LIMIT $4"
    ))
    .bind(customer_id.to_string())
    .bind(i32::from(include_released))
    .bind(before.to_string())
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(from_row)
    .collect()
}
