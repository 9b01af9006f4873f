//! Review cases: one open per customer, opened when a review date passes or an early warning
//! arrives, closed by an analyst with an outcome.
use crate::domain::review::{ReviewCase, ReviewOutcome, ReviewReason, ReviewState};
use credit_platform::customer_in_scope;
use credit_platform::scope::DataScope;
use sqlx::{AnyConnection, Row};

fn named<T>(
    row: &sqlx::any::AnyRow,
    column: &str,
    parse: fn(&str) -> Option<T>,
) -> sqlx::Result<T> {
    let name: String = row.try_get(column)?;
    parse(&name).ok_or_else(|| sqlx::Error::Decode(format!("review case {column} {name}").into()))
}

fn from_row(row: &sqlx::any::AnyRow) -> sqlx::Result<ReviewCase> {
    let outcome: String = row.try_get("outcome")?;
    Ok(ReviewCase {
        case_id: row.try_get("case_id")?,
        customer_id: row.try_get("customer_id")?,
        application_id: row.try_get("application_id")?,
        reason: named(row, "reason", ReviewReason::from_name)?,
        state: named(row, "state", ReviewState::from_name)?,
        review_at: row
            .try_get::<Option<i64>, _>("review_at")?
            .unwrap_or_default(),
        opened_at: row
            .try_get::<Option<i64>, _>("opened_at")?
            .unwrap_or_default(),
        closed_at: row
            .try_get::<Option<i64>, _>("closed_at")?
            .filter(|t| *t > 0),
        closed_by: row.try_get("closed_by")?,
        // '' while open.
        outcome: ReviewOutcome::from_name(&outcome),
        comment: row.try_get("comment")?,
        next_review_at: None,
        signals: serde_json::from_str(&row.try_get::<String, _>("signals")?)
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        score_id: row.try_get("score_id")?,
        proposed_application_id: row.try_get("proposed_application_id")?,
    })
}

/// The columns [`from_row`] reads (SQL must be static text).
macro_rules! case_columns {
    () => {
        "case_id, customer_id, application_id, reason, state, review_at, opened_at, closed_at, \
         closed_by, outcome, comment, signals, score_id, proposed_application_id"
    };
}

/// The customer's open review case, if there is one.
pub async fn open_review_case(
    conn: &mut AnyConnection,
    customer_id: &str,
) -> sqlx::Result<Option<ReviewCase>> {
    sqlx::query(concat!(
        "SELECT ",
        case_columns!(),
        " FROM review_cases WHERE customer_id = $1 AND state = 'OPEN'"
    ))
    .bind(customer_id.to_string())
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Inserts a new open case (the caller has made sure none is open for the customer).
pub async fn insert_review_case(conn: &mut AnyConnection, case: &ReviewCase) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO review_cases (case_id, customer_id, application_id, reason, state, \
         review_at, opened_at, closed_at, closed_by, outcome, comment, signals, score_id, \
         proposed_application_id) \
         VALUES ($1, $2, $3, $4, 'OPEN', $5, $6, NULL, '', '', '', $7, $8, $9)",
    )
    .bind(case.case_id.clone())
    .bind(case.customer_id.clone())
    .bind(case.application_id.clone())
    .bind(case.reason.name())
    .bind(case.review_at)
    .bind(case.opened_at)
    .bind(serde_json::to_string(&case.signals).expect("strings serialise"))
    .bind(case.score_id.clone())
    .bind(case.proposed_application_id.clone())
    .execute(conn)
    .await?;
    Ok(())
}

/// One review case.
pub async fn review_case(
    conn: &mut AnyConnection,
    case_id: &str,
) -> sqlx::Result<Option<ReviewCase>> {
    sqlx::query(concat!(
        "SELECT ",
        case_columns!(),
        " FROM review_cases WHERE case_id = $1"
    ))
    .bind(case_id.to_string())
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Writes what an early warning added to an open case: its signals, score and proposal.
pub async fn update_review_signals(
    conn: &mut AnyConnection,
    case: &ReviewCase,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE review_cases SET signals = $2, score_id = $3, proposed_application_id = $4 \
         WHERE case_id = $1",
    )
    .bind(case.case_id.clone())
    .bind(serde_json::to_string(&case.signals).expect("strings serialise"))
    .bind(case.score_id.clone())
    .bind(case.proposed_application_id.clone())
    .execute(conn)
    .await?;
    Ok(())
}

/// Review cases in a state and of a customer ("" for any), newest first, at most 1000.
pub async fn list_review_cases(
    conn: &mut AnyConnection,
    scope: &DataScope,
    state: &str,
    customer_id: &str,
    before: &str,
    limit: i64,
) -> sqlx::Result<Vec<ReviewCase>> {
    sqlx::query(concat!(
        "SELECT ",
        case_columns!(),
        " FROM review_cases WHERE ($1 = '' OR state = $1) AND ($2 = '' OR customer_id = $2) \
         AND ($3 = '' OR case_id < $3) AND ",
        customer_in_scope!("customer_id", "$5", "$6"),
        " ORDER BY case_id DESC LIMIT $4"
    ))
    .bind(state.to_string())
    .bind(customer_id.to_string())
    .bind(before.to_string())
    .bind(limit)
    .bind(scope.region_filter())
    .bind(scope.business_unit_filter())
    .fetch_all(conn)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Writes a closed case: when and by whom, its outcome and comment.
pub async fn close_review_case(conn: &mut AnyConnection, case: &ReviewCase) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE review_cases SET state = 'CLOSED', closed_at = $2, closed_by = $3, \
         outcome = $4, comment = $5 WHERE case_id = $1",
    )
    .bind(case.case_id.clone())
    .bind(case.closed_at.unwrap_or_default())
    .bind(case.closed_by.clone())
    .bind(case.outcome.map(|o| o.name()).unwrap_or_default())
    .bind(case.comment.clone())
    .execute(conn)
    .await?;
    Ok(())
}
