//! What the collector's desk reads (grouped per customer and currency) and writes (collector
//! assignments, the activity log).
use crate::domain::activities::Activity;
use credit_platform::clock::Micros;
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// A case: (customer, currency).
pub type CaseKey = (String, String);

/// Past-due cases: (customer, currency), overdue not disputed nor planned (minor units), oldest
/// due day.
pub async fn overdue_cases(
    conn: &mut AnyConnection,
    today: i64,
) -> sqlx::Result<Vec<(CaseKey, i64, i64)>> {
    sqlx::query(
        "SELECT d.customer_id, d.currency, \
         CAST(SUM(d.open_amount - CAST(COALESCE(x.disputed, 0) AS BIGINT)) AS BIGINT), \
         MIN(d.due_day) FROM documents d LEFT JOIN (SELECT invoice_id, SUM(amount) AS disputed \
         FROM disputes WHERE state = 'OPEN' GROUP BY invoice_id) x \
         ON x.invoice_id = d.document_id \
         WHERE d.kind IN ('INVOICE', 'FEE', 'INTEREST') AND d.open_amount > 0 AND d.due_day < $1 \
         AND d.open_amount - CAST(COALESCE(x.disputed, 0) AS BIGINT) > 0 \
         AND NOT EXISTS (SELECT 1 FROM plan_invoices p WHERE p.invoice_id = d.document_id \
         AND p.active = 1) GROUP BY d.customer_id, d.currency",
    )
    .bind(today)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        Ok((
            (row.try_get(0)?, row.try_get(1)?),
            row.try_get(2)?,
            row.try_get(3)?,
        ))
    })
    .collect()
}

/// Rows of (customer, currency, a, b) as a map.
async fn by_case(
    conn: &mut AnyConnection,
    sql: &'static str,
    binds: &[i64],
) -> sqlx::Result<HashMap<CaseKey, (i64, i64)>> {
    let mut query = sqlx::query(sql);
    for value in binds {
        query = query.bind(*value);
    }
    query
        .fetch_all(conn)
        .await?
        .iter()
        .map(|row| {
            Ok((
                (row.try_get(0)?, row.try_get(1)?),
                (row.try_get(2)?, row.try_get(3)?),
            ))
        })
        .collect()
}

/// Promises broken since `since` per case: (how many, the latest promised day).
pub async fn broken_promises_by_case(
    conn: &mut AnyConnection,
    since: Micros,
) -> sqlx::Result<HashMap<CaseKey, (i64, i64)>> {
    by_case(
        conn,
        "SELECT customer_id, currency, COUNT(*), MAX(promised_day) FROM promises \
         WHERE state = 'BROKEN' AND settled_at >= $1 GROUP BY customer_id, currency",
        &[since],
    )
    .await
}

/// Payment plans breached since `since` per case: (how many, how many).
pub async fn breached_plans_by_case(
    conn: &mut AnyConnection,
    since: Micros,
) -> sqlx::Result<HashMap<CaseKey, (i64, i64)>> {
    by_case(
        conn,
        "SELECT customer_id, currency, COUNT(*), COUNT(*) FROM payment_plans \
         WHERE state = 'BREACHED' AND ended_at >= $1 GROUP BY customer_id, currency",
        &[since],
    )
    .await
}

/// Open promises per case: (the smallest amount, the earliest promised day).
pub async fn open_promises_by_case(
    conn: &mut AnyConnection,
) -> sqlx::Result<HashMap<CaseKey, (i64, i64)>> {
    by_case(
        conn,
        "SELECT customer_id, currency, MIN(amount), MIN(promised_day) FROM promises \
         WHERE state = 'OPEN' GROUP BY customer_id, currency",
        &[],
    )
    .await
}

/// Open disputes per case: (how many, how many are past their resolution day on `today`).
pub async fn open_disputes_by_case(
    conn: &mut AnyConnection,
    today: i64,
) -> sqlx::Result<HashMap<CaseKey, (i64, i64)>> {
    by_case(
        conn,
        "SELECT customer_id, currency, COUNT(*), \
         SUM(CASE WHEN due_day < $1 THEN 1 ELSE 0 END) FROM disputes WHERE state = 'OPEN' \
         GROUP BY customer_id, currency",
        &[today],
    )
    .await
}

/// The oldest open dispute past its resolution day on `today`, per case.
pub async fn late_disputes_by_case(
    conn: &mut AnyConnection,
    today: i64,
) -> sqlx::Result<HashMap<CaseKey, String>> {
    sqlx::query(
        "SELECT customer_id, currency, MIN(dispute_id) FROM disputes \
         WHERE state = 'OPEN' AND due_day < $1 GROUP BY customer_id, currency",
    )
    .bind(today)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| Ok(((row.try_get(0)?, row.try_get(1)?), row.try_get(2)?)))
    .collect()
}

/// The last dunning step taken per case.
pub async fn dunning_steps_by_case(
    conn: &mut AnyConnection,
) -> sqlx::Result<HashMap<CaseKey, String>> {
    sqlx::query("SELECT customer_id, currency, step_code FROM dunning_state")
        .fetch_all(conn)
        .await?
        .iter()
        .map(|row| Ok(((row.try_get(0)?, row.try_get(1)?), row.try_get(2)?)))
        .collect()
}

/// Per customer: the latest agreed follow-up day and when the latest activity was logged.
pub async fn follow_ups(
    conn: &mut AnyConnection,
) -> sqlx::Result<HashMap<String, (Option<i64>, Micros)>> {
    sqlx::query(
        "SELECT customer_id, MAX(follow_up_day), MAX(recorded_at) FROM activities \
         GROUP BY customer_id",
    )
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| Ok((row.try_get(0)?, (row.try_get(1)?, row.try_get(2)?))))
    .collect()
}

/// Puts a customer in a collector's charge (none when empty); answers false when there is no
/// such customer.
pub async fn assign_customer_collector(
    conn: &mut AnyConnection,
    customer_id: &str,
    collector: &str,
    at: Micros,
) -> sqlx::Result<bool> {
    let updated =
        sqlx::query("UPDATE customers SET collector = $2, updated_at = $3 WHERE customer_id = $1")
            .bind(customer_id.to_string())
            .bind(collector.to_string())
            .bind(at)
            .execute(conn)
            .await?
            .rows_affected();
    Ok(updated > 0)
}

/// Puts a segment in a collector's charge, or takes it out of anyone's when `collector` is
/// empty.
pub async fn assign_segment_collector(
    conn: &mut AnyConnection,
    segment: &str,
    collector: &str,
    at: Micros,
) -> sqlx::Result<()> {
    if collector.is_empty() {
        sqlx::query("DELETE FROM segment_collectors WHERE segment = $1")
            .bind(segment.to_string())
            .execute(conn)
            .await?;
    } else {
        sqlx::query(
            "INSERT INTO segment_collectors (segment, collector, assigned_at) \
             VALUES ($1, $2, $3) ON CONFLICT (segment) DO UPDATE SET \
             collector = excluded.collector, assigned_at = excluded.assigned_at",
        )
        .bind(segment.to_string())
        .bind(collector.to_string())
        .bind(at)
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// Logs an activity (its record as the body).
pub async fn insert_activity(conn: &mut AnyConnection, activity: &Activity) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO activities (activity_id, customer_id, collector, kind, outcome, \
         follow_up_day, recorded_at, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(activity.activity_id.clone())
    .bind(activity.customer_id.clone())
    .bind(activity.collector.clone())
    .bind(activity.kind.name())
    .bind(activity.outcome.name())
    .bind(activity.follow_up_day)
    .bind(activity.recorded_at)
    .bind(super::encode_record(activity))
    .execute(conn)
    .await?;
    Ok(())
}

/// A customer's activities, newest first: `limit` of them logged before the activity `before`
/// ("" for the newest).
pub async fn activities_of(
    conn: &mut AnyConnection,
    customer_id: &str,
    before: &str,
    limit: i64,
) -> sqlx::Result<Vec<Activity>> {
    super::records(
        conn,
        "SELECT body FROM activities WHERE customer_id = $1 \
         AND ($2 = '' OR activity_id < $2) ORDER BY activity_id DESC LIMIT $3",
        &[customer_id, before],
        Some(limit),
    )
    .await
}
