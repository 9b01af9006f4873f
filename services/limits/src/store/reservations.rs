//! Reservations: credit held for one open sales order.
use super::{decimal, text};
use crate::domain::Micros;
use credit_platform::db::Backend;
use rust_decimal::Decimal;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// The columns of a [`Reservation`], in one place for every query (SQL must be static text).
macro_rules! reservation_columns {
    () => {
        "reservation_id, customer_id, order_id, state, amount, open_amount, delivered_amount, \
         invoiced_amount, order_amount, order_currency, expires_at, decision_id, created_at, updated_at"
    };
}

/// Lifecycle states; only `Open` changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReservationState {
    /// Holding credit.
    Open,
    /// Fully invoiced.
    Captured,
    /// Released by the caller.
    Released,
    /// Released at its expiry.
    Expired,
}

impl ReservationState {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "OPEN",
            Self::Captured => "CAPTURED",
            Self::Released => "RELEASED",
            Self::Expired => "EXPIRED",
        }
    }

    fn parse(text: &str) -> sqlx::Result<Self> {
        Ok(match text {
            "OPEN" => Self::Open,
            "CAPTURED" => Self::Captured,
            "RELEASED" => Self::Released,
            "EXPIRED" => Self::Expired,
            other => {
                return Err(sqlx::Error::Decode(
                    format!("unknown reservation state {other}").into(),
                ));
            }
        })
    }
}

/// A stored reservation. Amounts are in the account currency except `order_amount`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reservation {
    pub reservation_id: String,
    pub customer_id: String,
    /// Sales order.
    pub order_id: String,
    pub state: ReservationState,
    /// Approved amount.
    pub amount: Decimal,
    /// Still reserved.
    pub open_amount: Decimal,
    /// Shipped, not invoiced.
    pub delivered_amount: Decimal,
    pub invoiced_amount: Decimal,
    /// Order amount in the order currency.
    pub order_amount: Decimal,
    /// Order currency.
    pub order_currency: String,
    /// Releases itself then.
    pub expires_at: Micros,
    /// Decision that created or last adjusted it.
    pub decision_id: String,
    pub created_at: Micros,
    /// Last change.
    pub updated_at: Micros,
}

impl Reservation {
    fn from_row(row: &AnyRow) -> sqlx::Result<Self> {
        Ok(Self {
            reservation_id: row.try_get("reservation_id")?,
            customer_id: row.try_get("customer_id")?,
            order_id: row.try_get("order_id")?,
            state: ReservationState::parse(&row.try_get::<String, _>("state")?)?,
            amount: decimal(row, "amount")?,
            open_amount: decimal(row, "open_amount")?,
            delivered_amount: decimal(row, "delivered_amount")?,
            invoiced_amount: decimal(row, "invoiced_amount")?,
            order_amount: decimal(row, "order_amount")?,
            order_currency: row.try_get("order_currency")?,
            expires_at: row.try_get("expires_at")?,
            decision_id: row.try_get("decision_id")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

/// Inserts a new reservation.
pub async fn insert(conn: &mut AnyConnection, r: &Reservation) -> sqlx::Result<()> {
    insert_many(conn, std::slice::from_ref(r)).await
}

/// Rows per statement of the batched reads and writes (fourteen parameters a row at most).
const CHUNK: usize = 200;

/// Inserts new reservations, a statement per two hundred.
pub async fn insert_many(conn: &mut AnyConnection, new: &[Reservation]) -> sqlx::Result<()> {
    // About half a kilobyte a row with its placeholders (see `db::runs`).
    let size = |_: &Reservation| 512;
    for chunk in credit_platform::db::runs(new, CHUNK, credit_platform::db::STATEMENT_BYTES, size) {
        let sql = format!(
            concat!(
                "INSERT INTO reservations (",
                reservation_columns!(),
                ") VALUES {}"
            ),
            credit_platform::db::value_rows(chunk.len(), 14, 1)
        );
        // Safe: constant text and numbered placeholders; values are bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for r in chunk {
            query = query
                .bind(r.reservation_id.clone())
                .bind(r.customer_id.clone())
                .bind(r.order_id.clone())
                .bind(r.state.as_str())
                .bind(text(r.amount))
                .bind(text(r.open_amount))
                .bind(text(r.delivered_amount))
                .bind(text(r.invoiced_amount))
                .bind(text(r.order_amount))
                .bind(r.order_currency.clone())
                .bind(r.expires_at)
                .bind(r.decision_id.clone())
                .bind(r.created_at)
                .bind(r.updated_at);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Open reservations of some accounts: of the orders `orders` (by customer and order id), or,
/// with `due_at`, those due to expire then — one statement per two hundred accounts.
async fn open_of(
    conn: &mut AnyConnection,
    customers: &[String],
    orders: Option<&[String]>,
    due_at: Option<Micros>,
) -> sqlx::Result<Vec<Reservation>> {
    let mut found = Vec::new();
    let orders = orders.map(credit_platform::db::padded_list);
    for chunk in customers.chunks(CHUNK) {
        let chunk = credit_platform::db::padded_list(chunk);
        let mut sql = format!(
            concat!(
                "SELECT ",
                reservation_columns!(),
                " FROM reservations WHERE state = 'OPEN' AND customer_id IN ({})"
            ),
            credit_platform::db::placeholders(chunk.len(), 1)
        );
        let mut next = chunk.len() + 1;
        if let Some(orders) = &orders {
            sql.push_str(&format!(
                " AND order_id IN ({})",
                credit_platform::db::placeholders(orders.len(), next)
            ));
            next += orders.len();
        }
        if due_at.is_some() {
            sql.push_str(&format!(" AND expires_at <= ${next}"));
        }
        // Safe: constant text and numbered placeholders; values are bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for customer in &chunk {
            query = query.bind(customer.clone());
        }
        for order in orders.iter().flatten() {
            query = query.bind(order.clone());
        }
        if let Some(at) = due_at {
            query = query.bind(at);
        }
        for row in query.fetch_all(&mut *conn).await? {
            found.push(Reservation::from_row(&row)?);
        }
    }
    Ok(found)
}

/// The open reservations of `orders` (customer id, order id), in one statement for a batch.
pub async fn open_for_orders(
    conn: &mut AnyConnection,
    orders: &[(String, String)],
) -> sqlx::Result<Vec<Reservation>> {
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let mut customers: Vec<String> = orders.iter().map(|(c, _)| c.clone()).collect();
    let mut order_ids: Vec<String> = orders.iter().map(|(_, o)| o.clone()).collect();
    customers.sort();
    customers.dedup();
    order_ids.sort();
    order_ids.dedup();
    let wanted: std::collections::HashSet<&(String, String)> = orders.iter().collect();
    let mut found = Vec::new();
    // The order ids are bound beside each chunk of customers: keep both lists bounded.
    for orders_chunk in order_ids.chunks(CHUNK) {
        for r in open_of(conn, &customers, Some(orders_chunk), None).await? {
            if wanted.contains(&(r.customer_id.clone(), r.order_id.clone())) {
                found.push(r);
            }
        }
    }
    Ok(found)
}

/// Open reservations of `customers` that are due to expire at `now`.
pub async fn due_of_accounts(
    conn: &mut AnyConnection,
    customers: &[String],
    now: Micros,
) -> sqlx::Result<Vec<Reservation>> {
    open_of(conn, customers, None, Some(now)).await
}

/// Writes every mutable field of `r`.
pub async fn update(conn: &mut AnyConnection, r: &Reservation) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE reservations SET state = $2, amount = $3, open_amount = $4, delivered_amount = $5, \
         invoiced_amount = $6, order_amount = $7, order_currency = $8, expires_at = $9, decision_id = $10, \
         updated_at = $11 WHERE reservation_id = $1",
    )
    .bind(r.reservation_id.clone())
    .bind(r.state.as_str())
    .bind(text(r.amount))
    .bind(text(r.open_amount))
    .bind(text(r.delivered_amount))
    .bind(text(r.invoiced_amount))
    .bind(text(r.order_amount))
    .bind(r.order_currency.clone())
    .bind(r.expires_at)
    .bind(r.decision_id.clone())
    .bind(r.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// One reservation by id.
pub async fn get(
    conn: &mut AnyConnection,
    reservation_id: &str,
) -> sqlx::Result<Option<Reservation>> {
    sqlx::query(concat!(
        "SELECT ",
        reservation_columns!(),
        " FROM reservations WHERE reservation_id = $1"
    ))
    .bind(reservation_id.to_string())
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(Reservation::from_row)
    .transpose()
}

/// The open reservation of an order, if any.
pub async fn open_for_order(
    conn: &mut AnyConnection,
    customer_id: &str,
    order_id: &str,
) -> sqlx::Result<Option<Reservation>> {
    let order = (customer_id.to_string(), order_id.to_string());
    Ok(open_for_orders(conn, &[order]).await?.pop())
}

/// Open reservations of one account that are due to expire at `now`.
pub async fn expired_of_account(
    conn: &mut AnyConnection,
    customer_id: &str,
    now: Micros,
) -> sqlx::Result<Vec<Reservation>> {
    due_of_accounts(conn, &[customer_id.to_string()], now).await
}

/// Accounts with open reservations due to expire at `now` (for the sweeper).
pub async fn accounts_with_expired(
    conn: &mut AnyConnection,
    now: Micros,
    limit: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query(
        "SELECT DISTINCT customer_id FROM reservations WHERE state = 'OPEN' AND expires_at <= $1 LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| row.try_get(0))
    .collect()
}

/// Locks one reservation row (PostgreSQL) after its account chain is locked.
pub async fn get_for_update(
    conn: &mut AnyConnection,
    backend: Backend,
    reservation_id: &str,
) -> sqlx::Result<Option<Reservation>> {
    let sql = match backend {
        Backend::Postgres => {
            concat!(
                "SELECT ",
                reservation_columns!(),
                " FROM reservations WHERE reservation_id = $1 FOR UPDATE"
            )
        }
        Backend::Sqlite => {
            concat!(
                "SELECT ",
                reservation_columns!(),
                " FROM reservations WHERE reservation_id = $1"
            )
        }
    };
    sqlx::query(sql)
        .bind(reservation_id.to_string())
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(Reservation::from_row)
        .transpose()
}
