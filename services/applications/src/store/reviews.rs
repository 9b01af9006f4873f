//! Review cases: one open per customer, opened when a review date passes or an early warning
//! arrives, closed by an analyst with an outcome.
use credit_platform::clock::{Micros, to_timestamp};
use credit_proto::applications as pb;
use sqlx::{AnyConnection, Row};

fn from_row(row: &sqlx::any::AnyRow) -> sqlx::Result<pb::ReviewCase> {
    let time = |column: &str| -> sqlx::Result<Option<prost_types::Timestamp>> {
        Ok(row
            .try_get::<Option<i64>, _>(column)?
            .filter(|t| *t > 0)
            .map(to_timestamp))
    };
    Ok(pb::ReviewCase {
        case_id: row.try_get("case_id")?,
        customer_id: row.try_get("customer_id")?,
        application_id: row.try_get("application_id")?,
        reason: row.try_get("reason")?,
        state: row.try_get("state")?,
        review_time: time("review_at")?,
        open_time: time("opened_at")?,
        close_time: time("closed_at")?,
        closed_by: row.try_get("closed_by")?,
        outcome: row.try_get("outcome")?,
        comment: row.try_get("comment")?,
        next_review_time: None,
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
) -> sqlx::Result<Option<pb::ReviewCase>> {
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
pub async fn insert_review_case(
    conn: &mut AnyConnection,
    case: &pb::ReviewCase,
    due: Micros,
    now: Micros,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO review_cases (case_id, customer_id, application_id, reason, state, \
         review_at, opened_at, closed_at, closed_by, outcome, comment, signals, score_id, \
         proposed_application_id) \
         VALUES ($1, $2, $3, $4, 'OPEN', $5, $6, NULL, '', '', '', $7, $8, $9)",
    )
    .bind(case.case_id.clone())
    .bind(case.customer_id.clone())
    .bind(case.application_id.clone())
    .bind(case.reason.clone())
    .bind(due)
    .bind(now)
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
) -> sqlx::Result<Option<pb::ReviewCase>> {
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
    case: &pb::ReviewCase,
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
    state: &str,
    customer_id: &str,
    before: &str,
    limit: i64,
) -> sqlx::Result<Vec<pb::ReviewCase>> {
    sqlx::query(concat!(
        "SELECT ",
        case_columns!(),
        " FROM review_cases WHERE ($1 = '' OR state = $1) AND ($2 = '' OR customer_id = $2) \
         AND ($3 = '' OR case_id < $3) ORDER BY case_id DESC LIMIT $4"
    ))
    .bind(state.to_string())
    .bind(customer_id.to_string())
    .bind(before.to_string())
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Closes a case with who closed it, the outcome and the comment it carries, at `at`.
pub async fn close_review_case(
    conn: &mut AnyConnection,
    case: &pb::ReviewCase,
    at: Micros,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE review_cases SET state = 'CLOSED', closed_at = $2, closed_by = $3, \
         outcome = $4, comment = $5 WHERE case_id = $1",
    )
    .bind(case.case_id.clone())
    .bind(at)
    .bind(case.closed_by.clone())
    .bind(case.outcome.clone())
    .bind(case.comment.clone())
    .execute(conn)
    .await?;
    Ok(())
}
