//! The collector's desk: the prioritised worklist (every customer and currency with something
//! past due, ranked by expected loss and urgency, with the next best action), the assignment of
//! customers and segments to collectors, and the activity log. The worklist is computed from
//! the ledger as it stands — a handful of grouped queries, then the pure ranking of
//! [`crate::domain::worklist`].
use crate::domain::dunning::Consequence;
use crate::domain::ledger::{digits_of, from_minor};
use crate::domain::worklist::{Case, LOOKBACK_DAYS, rank};
use crate::store;
use credit_platform::begin_mutation;
use credit_platform::clock::{SharedClock, date_of_day, day_of, parse_date, to_timestamp};
use credit_platform::context::RequestContext;
use credit_platform::db::Db;
use credit_platform::error::{ApiError, FieldViolation};
use credit_platform::mutation;
use credit_platform::outbox::{self, FeedSignals, NewEvent};
use credit_proto::collections as pb;
use prost::Message;
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;
use std::str::FromStr;

/// Kinds of activity a collector logs.
pub const ACTIVITY_KINDS: &[&str] = &["CALL", "EMAIL", "LETTER", "VISIT", "NOTE"];
/// Outcomes of an activity.
pub const OUTCOMES: &[&str] = &[
    "REACHED",
    "NO_ANSWER",
    "PROMISED",
    "DISPUTED",
    "REFUSED",
    "NONE",
];

use credit_platform::clock::MICROS_PER_DAY as DAY;

type Key = (String, String);

/// Past-due cases: (customer, currency) → (overdue not disputed nor planned, oldest due day).
async fn overdue_cases(
    conn: &mut AnyConnection,
    today: i64,
) -> Result<Vec<(Key, i64, i64)>, ApiError> {
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
    .collect::<sqlx::Result<_>>()
    .map_err(ApiError::from)
}

/// Rows of (customer, currency, a, b) as a map.
async fn by_case(
    conn: &mut AnyConnection,
    sql: &'static str,
    binds: &[i64],
) -> Result<HashMap<Key, (i64, i64)>, ApiError> {
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
        .collect::<sqlx::Result<_>>()
        .map_err(ApiError::from)
}

/// The collector's desk.
#[derive(Clone)]
pub struct Desk {
    db: Db,
    clock: SharedClock,
    signals: FeedSignals,
}

impl Desk {
    /// Over `db`.
    pub fn new(db: Db, clock: SharedClock, signals: FeedSignals) -> Self {
        Self { db, clock, signals }
    }

    /// The worklist of `collector` (all when empty) in `segment` (all when empty).
    pub async fn worklist(
        &self,
        collector: &str,
        segment: &str,
        limit: usize,
    ) -> Result<pb::Worklist, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let now = self.clock.now();
        let today = day_of(now);
        let since = now - LOOKBACK_DAYS * DAY;
        let (_, policy) = crate::policy::active_policy(&mut conn).await?;
        let rules = &policy.document.worklist;
        let default_probability =
            Decimal::from_str(&rules.default_probability).unwrap_or(Decimal::new(5, 2));
        let cases = overdue_cases(&mut conn, today).await?;
        let profiles = store::customers(&mut conn).await?;
        let broken = by_case(
            &mut conn,
            "SELECT customer_id, currency, COUNT(*), MAX(promised_day) FROM promises \
             WHERE state = 'BROKEN' AND settled_at >= $1 GROUP BY customer_id, currency",
            &[since],
        )
        .await?;
        let breached = by_case(
            &mut conn,
            "SELECT customer_id, currency, COUNT(*), COUNT(*) FROM payment_plans \
             WHERE state = 'BREACHED' AND ended_at >= $1 GROUP BY customer_id, currency",
            &[since],
        )
        .await?;
        let promised = by_case(
            &mut conn,
            "SELECT customer_id, currency, MIN(amount), MIN(promised_day) FROM promises \
             WHERE state = 'OPEN' GROUP BY customer_id, currency",
            &[],
        )
        .await?;
        let disputes = by_case(
            &mut conn,
            "SELECT customer_id, currency, COUNT(*), \
             SUM(CASE WHEN due_day < $1 THEN 1 ELSE 0 END) FROM disputes WHERE state = 'OPEN' \
             GROUP BY customer_id, currency",
            &[today],
        )
        .await?;
        let late_dispute: HashMap<Key, String> = sqlx::query(
            "SELECT customer_id, currency, MIN(dispute_id) FROM disputes \
             WHERE state = 'OPEN' AND due_day < $1 GROUP BY customer_id, currency",
        )
        .bind(today)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| Ok(((row.try_get(0)?, row.try_get(1)?), row.try_get(2)?)))
        .collect::<sqlx::Result<_>>()?;
        let steps: HashMap<Key, String> =
            sqlx::query("SELECT customer_id, currency, step_code FROM dunning_state")
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|row| Ok(((row.try_get(0)?, row.try_get(1)?), row.try_get(2)?)))
                .collect::<sqlx::Result<_>>()?;
        // Per customer: the latest agreed follow-up and the latest activity.
        let follow_ups: HashMap<String, (Option<i64>, i64)> = sqlx::query(
            "SELECT customer_id, MAX(follow_up_day), MAX(recorded_at) FROM activities \
             GROUP BY customer_id",
        )
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| Ok((row.try_get(0)?, (row.try_get(1)?, row.try_get(2)?))))
        .collect::<sqlx::Result<_>>()?;
        let widest = policy
            .document
            .limitation
            .alert_days
            .iter()
            .max()
            .copied()
            .unwrap_or(0);
        let barred =
            crate::limitation::nearest_deadlines(&mut conn, &policy, today, widest).await?;
        drop(conn);

        let mut items = Vec::new();
        for (key, overdue, oldest_due) in cases {
            let (customer_id, currency) = &key;
            let profile = profiles.get(customer_id).cloned().unwrap_or_default();
            if (!collector.is_empty() && profile.collector_in_charge != collector)
                || (!segment.is_empty() && profile.segment != segment)
            {
                continue;
            }
            let digits = digits_of(currency);
            let strategy = policy.strategy(&profile.segment, &profile.risk_class);
            let handed_over = steps.get(&key).and_then(|code| {
                strategy
                    .steps
                    .iter()
                    .find(|s| &s.code == code)
                    .and_then(|s| match s.consequence {
                        Consequence::Agency => Some("AGENCY".to_string()),
                        Consequence::Legal => Some("LEGAL".to_string()),
                        _ => None,
                    })
            });
            let follow_up = follow_ups
                .get(customer_id)
                .and_then(|(day, last)| day.map(|d| (d, day_of(*last))))
                // Someone acted on or after the follow-up day: it is done.
                .filter(|(day, last_activity)| *day > today || *last_activity < *day)
                .map(|(day, _)| (date_of_day(day), day <= today));
            let (broken_count, broken_day) = broken.get(&key).copied().unwrap_or_default();
            let case = Case {
                overdue: Decimal::new(overdue, digits),
                days_past_due: today - oldest_due,
                probability: Decimal::from_str(&profile.probability_of_default).ok(),
                broken_promises: broken_count,
                last_broken_promise: (broken_count > 0).then(|| date_of_day(broken_day)),
                breached_plans: breached.get(&key).map_or(0, |b| b.0),
                open_promise: promised.get(&key).map(|(amount, day)| {
                    (
                        format!("{} {currency}", from_minor(*amount, digits)),
                        date_of_day(*day),
                    )
                }),
                open_disputes: disputes.get(&key).map_or(0, |d| d.0),
                dispute_past_due: late_dispute.get(&key).cloned(),
                has_email: !profile.email.trim().is_empty(),
                handed_over,
                follow_up,
                call_after_days: rules.call_after_days,
                limitation: barred.get(&key).cloned(),
            };
            let ranked = rank(&case, default_probability);
            items.push(pb::WorklistItem {
                rank: 0,
                customer_id: customer_id.clone(),
                name: profile.name.clone(),
                currency_code: currency.clone(),
                overdue_amount: from_minor(overdue, digits),
                days_past_due: case.days_past_due,
                risk_class: profile.risk_class.clone(),
                probability_of_default: ranked.probability.to_string(),
                expected_loss: ranked.expected_loss.to_string(),
                priority: ranked.priority.to_string(),
                broken_promises: case.broken_promises,
                breached_plans: case.breached_plans,
                open_disputes: case.open_disputes,
                action: ranked.action.into(),
                reason: ranked.reason,
                actionable: ranked.actionable,
                collector: profile.collector_in_charge.clone(),
            });
        }
        items.sort_by(|a, b| {
            let priority =
                |i: &pb::WorklistItem| Decimal::from_str(&i.priority).unwrap_or_default();
            b.actionable
                .cmp(&a.actionable)
                .then(priority(b).cmp(&priority(a)))
                .then(a.customer_id.cmp(&b.customer_id))
                .then(a.currency_code.cmp(&b.currency_code))
        });
        items.truncate(limit);
        for (i, item) in items.iter_mut().enumerate() {
            item.rank = i32::try_from(i + 1).unwrap_or(i32::MAX);
        }
        Ok(pb::Worklist {
            items,
            as_of_date: date_of_day(today),
        })
    }

    /// Assigns customers and segments to a collector.
    pub async fn assign(
        &self,
        context: &RequestContext,
        request: &pb::AssignCollectorRequest,
    ) -> Result<pb::AssignCollectorResponse, ApiError> {
        let mut m = begin_mutation!(&self.db, &*self.clock, context, "AssignCollector", request);
        let collector = request.collector.trim().to_string();
        for (i, customer_id) in request.customer_ids.iter().enumerate() {
            let updated = sqlx::query(
                "UPDATE customers SET collector = $2, updated_at = $3 WHERE customer_id = $1",
            )
            .bind(customer_id.clone())
            .bind(collector.clone())
            .bind(m.now)
            .execute(&mut *m.tx)
            .await?
            .rows_affected();
            if updated == 0 {
                return Err(FieldViolation::new(
                    format!("customer_ids[{i}]"),
                    format!("no customer {customer_id} (PutCustomer first)"),
                )
                .into());
            }
        }
        for segment in &request.segments {
            if collector.is_empty() {
                sqlx::query("DELETE FROM segment_collectors WHERE segment = $1")
                    .bind(segment.clone())
                    .execute(&mut *m.tx)
                    .await?;
            } else {
                sqlx::query(
                    "INSERT INTO segment_collectors (segment, collector, assigned_at) \
                     VALUES ($1, $2, $3) ON CONFLICT (segment) DO UPDATE SET \
                     collector = excluded.collector, assigned_at = excluded.assigned_at",
                )
                .bind(segment.clone())
                .bind(collector.clone())
                .bind(m.now)
                .execute(&mut *m.tx)
                .await?;
            }
        }
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            NewEvent {
                event_type: "credit.collections.collector.assigned",
                entity_type: "collector",
                entity_id: collector.clone(),
                customer_id: String::new(),
                payload: json!({
                    "collector": collector,
                    "customer_ids": request.customer_ids,
                    "segments": request.segments,
                }),
            },
        )
        .await?;
        let answer = pb::AssignCollectorResponse {
            customers_assigned: i32::try_from(request.customer_ids.len()).unwrap_or(i32::MAX),
            segments_assigned: i32::try_from(request.segments.len()).unwrap_or(i32::MAX),
        };
        mutation::finish(&self.signals, m, &answer).await?;
        Ok(answer)
    }

    /// Logs an activity.
    pub async fn log(
        &self,
        context: &RequestContext,
        request: &pb::LogActivityRequest,
    ) -> Result<pb::Activity, ApiError> {
        let mut m = begin_mutation!(&self.db, &*self.clock, context, "LogActivity", request);
        let today = day_of(m.now);
        let follow_up = if request.follow_up_date.is_empty() {
            None
        } else {
            Some(
                parse_date(&request.follow_up_date)
                    .filter(|d| *d >= today && *d <= today + 366)
                    .ok_or_else(|| {
                        ApiError::from(FieldViolation::new(
                            "follow_up_date",
                            "a date YYYY-MM-DD from today to a year ahead",
                        ))
                    })?,
            )
        };
        if store::customer(&mut m.tx, &request.customer_id)
            .await?
            .is_none()
        {
            return Err(ApiError::NotFound {
                kind: "customer",
                id: request.customer_id.clone(),
            });
        }
        let activity = pb::Activity {
            activity_id: uuid::Uuid::now_v7().to_string(),
            customer_id: request.customer_id.clone(),
            kind: request.kind.clone(),
            outcome: request.outcome.clone(),
            note: request.note.trim().to_string(),
            follow_up_date: follow_up.map(date_of_day).unwrap_or_default(),
            collector: context.caller.subject.clone(),
            record_time: Some(to_timestamp(m.now)),
        };
        sqlx::query(
            "INSERT INTO activities (activity_id, customer_id, collector, kind, outcome, \
             follow_up_day, recorded_at, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(activity.activity_id.clone())
        .bind(activity.customer_id.clone())
        .bind(activity.collector.clone())
        .bind(activity.kind.clone())
        .bind(activity.outcome.clone())
        .bind(follow_up)
        .bind(m.now)
        .bind(activity.encode_to_vec())
        .execute(&mut *m.tx)
        .await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            NewEvent {
                event_type: "credit.collections.activity.logged",
                entity_type: "activity",
                entity_id: activity.activity_id.clone(),
                customer_id: activity.customer_id.clone(),
                payload: json!({
                    "kind": activity.kind,
                    "outcome": activity.outcome,
                    "follow_up_date": activity.follow_up_date,
                    "collector": activity.collector,
                }),
            },
        )
        .await?;
        mutation::finish(&self.signals, m, &activity).await?;
        Ok(activity)
    }

    /// A customer's activities, newest first.
    pub async fn activities(&self, customer_id: &str) -> Result<Vec<pb::Activity>, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        sqlx::query(
            "SELECT body FROM activities WHERE customer_id = $1 \
             ORDER BY activity_id DESC LIMIT 1000",
        )
        .bind(customer_id.to_string())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| {
            pb::Activity::decode(row.try_get::<Vec<u8>, _>(0)?.as_slice())
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored activity: {e}")))
        })
        .collect()
    }
}
