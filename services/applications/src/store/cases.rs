//! Blocked-order credit cases: one per blocked order, stored as the JSON of the domain record,
//! with the columns queries need (customer, order, first decision, state).
use crate::domain::credit_case::CreditCase;
use credit_platform::clock::Micros;
use credit_platform::customer_in_scope;
use credit_platform::records::{encode, many, one};
use credit_platform::scope::DataScope;
use sqlx::AnyConnection;

/// One case.
pub async fn credit_case(
    conn: &mut AnyConnection,
    case_id: &str,
) -> sqlx::Result<Option<CreditCase>> {
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
) -> sqlx::Result<Option<CreditCase>> {
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
) -> sqlx::Result<Option<CreditCase>> {
    one(
        conn,
        "SELECT body FROM credit_cases \
         WHERE customer_id = $1 AND order_id = $2 AND state = 'OPEN'",
        &[customer_id, order_id],
    )
    .await
}

/// Writes a case (a new one when `new`) with its first check's decision and its state.
pub async fn save_case(
    conn: &mut AnyConnection,
    case: &CreditCase,
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
        .bind(case.state.name())
        .bind(encode(case))
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Cases in a state (its name, "" for any) and of a customer ("" for any), newest first,
/// before the case id `before` ("" from the newest).
pub async fn list_cases(
    conn: &mut AnyConnection,
    scope: &DataScope,
    [state, customer_id, before]: [&str; 3],
    limit: i64,
) -> sqlx::Result<Vec<CreditCase>> {
    many(
        conn,
        concat!(
            "SELECT body FROM credit_cases WHERE ($1 = '' OR state = $1) \
             AND ($2 = '' OR customer_id = $2) AND ($3 = '' OR case_id < $3) AND ",
            customer_in_scope!("customer_id", "$4", "$5"),
            " ORDER BY case_id DESC LIMIT $6"
        ),
        &[
            state,
            customer_id,
            before,
            &scope.region_filter(),
            &scope.business_unit_filter(),
        ],
        Some(limit),
    )
    .await
}
