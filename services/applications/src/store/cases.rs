//! Blocked-order credit cases: one per blocked order, the checks it went through, its outcome.
use credit_platform::clock::Micros;
use credit_proto::applications as pb;
use prost::Message;
use sqlx::{AnyConnection, Row};

fn decode(bytes: Vec<u8>) -> sqlx::Result<pb::CreditCase> {
    pb::CreditCase::decode(bytes.as_slice()).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

async fn one(
    conn: &mut AnyConnection,
    query: &'static str,
    keys: &[&str],
) -> sqlx::Result<Option<pb::CreditCase>> {
    let mut query = sqlx::query(query);
    for key in keys {
        query = query.bind(key.to_string());
    }
    query
        .fetch_optional(conn)
        .await?
        .map(|row| decode(row.try_get(0)?))
        .transpose()
}

/// One case.
pub async fn credit_case(
    conn: &mut AnyConnection,
    case_id: &str,
) -> sqlx::Result<Option<pb::CreditCase>> {
    one(
        conn,
        "SELECT body FROM credit_cases WHERE case_id = $1",
        &[case_id],
    )
    .await
}

/// The case a blocked check's decision was referred to, if it was.
pub async fn case_of_decision(
    conn: &mut AnyConnection,
    decision_id: &str,
) -> sqlx::Result<Option<pb::CreditCase>> {
    one(
        conn,
        "SELECT body FROM credit_cases WHERE decision_id = $1",
        &[decision_id],
    )
    .await
}

/// The open case of a customer's order, if there is one.
pub async fn open_case_of_order(
    conn: &mut AnyConnection,
    customer_id: &str,
    order_id: &str,
) -> sqlx::Result<Option<pb::CreditCase>> {
    one(
        conn,
        "SELECT body FROM credit_cases \
         WHERE customer_id = $1 AND order_id = $2 AND state = 'OPEN'",
        &[customer_id, order_id],
    )
    .await
}

/// Writes a case (a new one when `new`), its first check's decision and its state's name.
pub async fn save_case(
    conn: &mut AnyConnection,
    case: &pb::CreditCase,
    state: &str,
    now: Micros,
    new: bool,
) -> sqlx::Result<()> {
    let query = if new {
        "INSERT INTO credit_cases (case_id, customer_id, order_id, decision_id, state, body, \
         referred_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)"
    } else {
        "UPDATE credit_cases SET customer_id = $2, order_id = $3, decision_id = $4, state = $5, \
         body = $6, updated_at = $7 WHERE case_id = $1"
    };
    let first = case
        .checks
        .first()
        .map(|c| c.decision_id.clone())
        .unwrap_or_default();
    sqlx::query(query)
        .bind(case.case_id.clone())
        .bind(case.customer_id.clone())
        .bind(case.order_id.clone())
        .bind(first)
        .bind(state.to_string())
        .bind(case.encode_to_vec())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Cases in a state and of a customer ("" for any), newest first, at most 1000.
pub async fn list_cases(
    conn: &mut AnyConnection,
    state: &str,
    customer_id: &str,
    before: &str,
    limit: i64,
) -> sqlx::Result<Vec<pb::CreditCase>> {
    sqlx::query(
        "SELECT body FROM credit_cases WHERE ($1 = '' OR state = $1) \
         AND ($2 = '' OR customer_id = $2) AND ($3 = '' OR case_id < $3) \
         ORDER BY case_id DESC LIMIT $4",
    )
    .bind(state.to_string())
    .bind(customer_id.to_string())
    .bind(before.to_string())
    .bind(limit)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|row| decode(row.try_get(0)?))
    .collect()
}
