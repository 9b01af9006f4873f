//! The collector's desk: the prioritised worklist (every customer and currency with something
//! past due, ranked by expected loss and urgency, with the next best action), the assignment of
//! customers and segments to collectors, and the activity log. The worklist is computed from
//! the ledger as it stands — a handful of grouped queries, then the pure ranking of
//! [`crate::domain::worklist`].
use crate::convert;
use crate::convert::money;
use crate::domain::activities::{Activity, ActivityKind, ActivityOutcome};
use crate::domain::dunning::Consequence;
use crate::domain::ledger::{digits_of, from_minor};
use crate::domain::worklist::{Case, LOOKBACK_DAYS, rank};
use crate::store;
use credit_platform::begin_mutation;
use credit_platform::calendar;
use credit_platform::clock::{SharedClock, date_of_day, day_of};
use credit_platform::context::RequestContext;
use credit_platform::db::Db;
use credit_platform::error::{ApiError, FieldViolation};
use credit_platform::mutation;
use credit_platform::outbox::{self, FeedSignals, NewEvent, Payload};
use credit_platform::paging::PageRequest;
use credit_platform::scope::{self, DataScope};
use credit_proto::collections as pb;
use rust_decimal::Decimal;
use std::str::FromStr;

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
use credit_proto::wire;

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
        data_scope: &DataScope,
    ) -> Result<pb::Worklist, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let visible = scope::visible_customers(&mut conn, data_scope).await?;
        let now = self.clock.now();
        let today = day_of(now);
        let since = now - LOOKBACK_DAYS * DAY;
        let (_, policy) = crate::app::policy::active_policy(&mut conn).await?;
        let rules = &policy.document.worklist;
        let default_probability =
            Decimal::from_str(&rules.default_probability).unwrap_or(Decimal::new(5, 2));
        let cases = store::overdue_cases(&mut conn, today).await?;
        let profiles = store::customers(&mut conn).await?;
        let broken = store::broken_promises_by_case(&mut conn, since).await?;
        let breached = store::breached_plans_by_case(&mut conn, since).await?;
        let promised = store::open_promises_by_case(&mut conn).await?;
        let disputes = store::open_disputes_by_case(&mut conn, today).await?;
        let late_dispute = store::late_disputes_by_case(&mut conn, today).await?;
        let steps = store::dunning_steps_by_case(&mut conn).await?;
        // Per customer: the latest agreed follow-up and the latest activity.
        let follow_ups = store::follow_ups(&mut conn).await?;
        let widest = policy
            .document
            .limitation
            .alert_days
            .iter()
            .max()
            .copied()
            .unwrap_or(0);
        let barred =
            crate::app::limitation::nearest_deadlines(&mut conn, &policy, today, widest).await?;
        drop(conn);

        let mut items = Vec::new();
        for (key, overdue, oldest_due) in cases {
            let (customer_id, currency) = &key;
            let profile = profiles.get(customer_id).cloned().unwrap_or_default();
            if !visible.admits(customer_id)
                || (!collector.is_empty() && profile.collector_in_charge != collector)
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
                overdue_amount: Some(money(overdue, currency)),
                days_past_due: case.days_past_due,
                risk_class: profile.risk_class.clone(),
                probability_of_default: ranked.probability.to_string(),
                expected_loss: ranked.expected_loss.to_string(),
                priority: ranked.priority.to_string(),
                broken_promises: case.broken_promises,
                breached_plans: case.breached_plans,
                open_disputes: case.open_disputes,
                action: convert::wire::<pb::NextAction>(ranked.action.name()),
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
            as_of_date: Some(calendar::date(today)),
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
            let assigned =
                store::assign_customer_collector(&mut m.tx, customer_id, &collector, m.now).await?;
            if !assigned {
                return Err(FieldViolation::new(
                    format!("customer_ids[{i}]"),
                    format!("no customer {customer_id} (PutCustomer first)"),
                )
                .into());
            }
        }
        for segment in &request.segments {
            store::assign_segment_collector(&mut m.tx, segment, &collector, m.now).await?;
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
                payload: Payload::of(&pb::CollectorAssigned {
                    collector: collector.clone(),
                    customer_ids: request.customer_ids.clone(),
                    segments: request.segments.clone(),
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
        let follow_up = calendar::optional_day("follow_up_date", request.follow_up_date.as_ref())?;
        if follow_up.is_some_and(|d| d < today || d > today + 366) {
            return Err(FieldViolation::new("follow_up_date", "from today to a year ahead").into());
        }
        if store::customer(&mut m.tx, &request.customer_id)
            .await?
            .is_none()
        {
            return Err(ApiError::NotFound {
                kind: "customer",
                id: request.customer_id.clone(),
            });
        }
        let activity = Activity {
            activity_id: uuid::Uuid::now_v7().to_string(),
            customer_id: request.customer_id.clone(),
            kind: convert::name_of::<pb::ActivityKind>(request.kind)
                .and_then(ActivityKind::from_name)
                .ok_or_else(|| ApiError::from(FieldViolation::new("kind", "must be set")))?,
            outcome: convert::name_of::<pb::ActivityOutcome>(request.outcome)
                .and_then(ActivityOutcome::from_name)
                .ok_or_else(|| ApiError::from(FieldViolation::new("outcome", "must be set")))?,
            note: request.note.trim().to_string(),
            follow_up_day: follow_up,
            collector: context.caller.subject.clone(),
            recorded_at: m.now,
        };
        store::insert_activity(&mut m.tx, &activity).await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            NewEvent {
                event_type: "credit.collections.activity.logged",
                entity_type: "activity",
                entity_id: activity.activity_id.clone(),
                customer_id: activity.customer_id.clone(),
                payload: Payload::of(&pb::ActivityLogged {
                    kind: wire::<pb::ActivityKind>(activity.kind.name()),
                    outcome: wire::<pb::ActivityOutcome>(activity.outcome.name()),
                    follow_up_date: calendar::optional_date(follow_up),
                    collector: activity.collector.clone(),
                }),
            },
        )
        .await?;
        let answer = convert::activity(&activity);
        mutation::finish(&self.signals, m, &answer).await?;
        Ok(answer)
    }

    /// A customer's activities, newest first.
    pub async fn activities(
        &self,
        customer_id: &str,
        page: &PageRequest,
    ) -> Result<pb::ListActivitiesResponse, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let mut activities =
            store::activities_of(&mut conn, customer_id, &page.after, page.fetch()).await?;
        let next_page_token = page.finish(&mut activities, |a| a.activity_id.clone());
        Ok(pb::ListActivitiesResponse {
            activities: activities.iter().map(convert::activity).collect(),
            next_page_token,
        })
    }
}
