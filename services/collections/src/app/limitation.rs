//! The statute of limitations on open receivables: each one's deadline under its customer's
//! jurisdiction's rule (the policy), the acts that start the period again — recorded by
//! collectors, written by dunning's formal notices, and partial payments read from the ledger —
//! and alerts on the feed before a deadline passes, once per threshold and deadline.
use crate::convert;
use crate::convert::money;
use crate::domain::limitation::{Act, standing};
use crate::domain::policy::Policy;
use crate::store;
use credit_platform::begin_mutation;
use credit_platform::calendar;
use credit_platform::clock::{Micros, SharedClock, day_of, to_timestamp};
use credit_platform::context::RequestContext;
use credit_platform::db::Db;
use credit_platform::error::{ApiError, FieldViolation};
use credit_platform::mutation;
use credit_platform::outbox::{self, FeedSignals, NewEvent, Payload};
use credit_platform::paging::PageRequest;
use credit_platform::scope::{self, DataScope};
use credit_proto::collections as pb;
use credit_proto::wire;
use sqlx::AnyConnection;
use std::collections::HashMap;

/// An open receivable and where it stands.
#[derive(Debug, Clone)]
pub struct Claim {
    /// The customer.
    pub customer_id: String,
    /// Its currency.
    pub currency: String,
    /// The document.
    pub document_id: String,
    /// Its open amount, minor units.
    pub open: i64,
    /// Due day.
    pub due_day: i64,
    /// The jurisdiction applied ("*" when the customer has none listed).
    pub jurisdiction: String,
    /// Where the period stands.
    pub standing: crate::domain::limitation::Standing,
}

/// Records acts on invoices (in the caller's transaction).
#[allow(clippy::too_many_arguments)]
pub async fn record_acts(
    tx: &mut AnyConnection,
    customer_id: &str,
    invoice_ids: &[String],
    act: Act,
    day: i64,
    recorded_by: &str,
    note: &str,
    now: Micros,
) -> Result<Vec<String>, ApiError> {
    let targets: Vec<String> = if invoice_ids.is_empty() {
        vec![String::new()]
    } else {
        invoice_ids.to_vec()
    };
    let mut ids = Vec::new();
    for invoice_id in targets {
        let act_id = uuid::Uuid::now_v7().to_string();
        store::insert_act(
            &mut *tx,
            store::NewAct {
                act_id: &act_id,
                customer_id,
                invoice_id: &invoice_id,
                act,
                day,
                recorded_by,
                note,
                recorded_at: now,
            },
        )
        .await?;
        ids.push(act_id);
    }
    Ok(ids)
}

/// Open receivables due on or before `due_by` (of one customer, or all), with their standing.
pub async fn claims(
    conn: &mut AnyConnection,
    policy: &Policy,
    customer_id: &str,
    due_by: i64,
) -> Result<Vec<Claim>, ApiError> {
    let rows = store::open_receivables_due_by(&mut *conn, customer_id, due_by).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    // The acts of the customers concerned: explicit ones, and the last payment on each invoice.
    let explicit = store::acts_by_customer(&mut *conn, customer_id).await?;
    let paid = store::last_payment_days(&mut *conn, customer_id).await?;
    let mut claims = Vec::new();
    for store::OpenReceivable {
        customer_id: customer,
        currency,
        document_id,
        open,
        due_day,
        jurisdiction,
    } in rows
    {
        let rule = policy.document.limitation.rule(&jurisdiction);
        let mut acts: Vec<(Act, i64)> = explicit
            .get(&customer)
            .map(|list| {
                list.iter()
                    // A customer-wide act covers what was due by its day.
                    .filter(|(invoice, _, day)| {
                        *invoice == document_id || (invoice.is_empty() && due_day <= *day)
                    })
                    .map(|(_, act, day)| (*act, *day))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(day) = paid.get(&document_id) {
            acts.push((Act::PartialPayment, *day));
        }
        claims.push(Claim {
            standing: standing(rule, due_day, &acts),
            customer_id: customer,
            currency,
            document_id,
            open,
            due_day,
            jurisdiction: rule.jurisdiction.clone(),
        });
    }
    Ok(claims)
}

/// The receivables whose deadline is within `days` of `today`: the earliest per (customer,
/// currency) — what the worklist warns of.
pub async fn nearest_deadlines(
    conn: &mut AnyConnection,
    policy: &Policy,
    today: i64,
    days: i64,
) -> Result<HashMap<(String, String), (String, i64)>, ApiError> {
    let rules = &policy.document.limitation;
    let due_by = today + days - rules.shortest_days();
    let mut nearest: HashMap<(String, String), (String, i64)> = HashMap::new();
    for claim in claims(conn, policy, "", due_by).await? {
        let left = claim.standing.deadline_day - today;
        if left > days {
            continue;
        }
        let key = (claim.customer_id.clone(), claim.currency.clone());
        if nearest.get(&key).is_none_or(|(_, l)| left < *l) {
            nearest.insert(key, (claim.document_id, left));
        }
    }
    Ok(nearest)
}

fn act_of(name: &str) -> Option<Act> {
    Act::from_name(name).filter(|a| *a != Act::PartialPayment)
}

/// The limitation use cases.
#[derive(Clone)]
pub struct Limitation {
    db: Db,
    clock: SharedClock,
    signals: FeedSignals,
}

impl Limitation {
    /// Over `db`.
    pub fn new(db: Db, clock: SharedClock, signals: FeedSignals) -> Self {
        Self { db, clock, signals }
    }

    /// Where open receivables stand (one customer, or all), deadlines within `within_days` (0:
    /// every one), earliest deadline first.
    pub async fn list(
        &self,
        data_scope: &DataScope,
        customer_id: &str,
        within_days: i64,
        page: &PageRequest,
    ) -> Result<pb::ListLimitationsResponse, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let visible = scope::visible_customers(&mut conn, data_scope).await?;
        let (_, policy) = crate::app::policy::active_policy(&mut conn).await?;
        let today = day_of(self.clock.now());
        let due_by = if within_days > 0 {
            today + within_days - policy.document.limitation.shortest_days()
        } else {
            i64::MAX / 2
        };
        let mut claims = claims(&mut conn, &policy, customer_id, due_by).await?;
        claims.retain(|c| {
            visible.admits(&c.customer_id)
                && (within_days == 0 || c.standing.deadline_day - today <= within_days)
        });
        claims.sort_by_key(|c| (c.standing.deadline_day, c.document_id.clone()));
        // The position is the deadline's day and the document (zero-padded so text order is
        // the sort order): the list is computed, so the page starts after it.
        let position = |c: &Claim| format!("{:012}/{}", c.standing.deadline_day, c.document_id);
        claims.retain(|c| page.after.is_empty() || position(c) > page.after);
        claims.truncate(usize::try_from(page.fetch()).unwrap_or(usize::MAX));
        let next_page_token = page.finish(&mut claims, position);
        let alert = policy
            .document
            .limitation
            .alert_days
            .iter()
            .max()
            .copied()
            .unwrap_or(0);
        Ok(pb::ListLimitationsResponse {
            next_page_token,
            limitations: claims
                .into_iter()
                .map(|c| {
                    let left = c.standing.deadline_day - today;
                    pb::LimitationStanding {
                        customer_id: c.customer_id,
                        document_id: c.document_id,
                        open_amount: Some(money(c.open, &c.currency)),
                        currency_code: c.currency,
                        due_date: Some(calendar::date(c.due_day)),
                        jurisdiction: c.jurisdiction,
                        period_start_date: Some(calendar::date(c.standing.start_day)),
                        interrupted_by: c
                            .standing
                            .interrupted
                            .map_or(0, |(act, _)| convert::wire::<pb::LimitationAct>(act.name())),
                        deadline_date: Some(calendar::date(c.standing.deadline_day)),
                        days_left: left,
                        state: convert::wire::<pb::LimitationState>(if left < 0 {
                            "EXPIRED"
                        } else if left <= alert {
                            "ALERT"
                        } else {
                            "RUNNING"
                        }),
                    }
                })
                .collect(),
            as_of_date: Some(calendar::date(today)),
        })
    }

    /// Records an act (acknowledgement, formal notice, legal action) on invoices of a customer
    /// (all of them due by its day when none is named).
    pub async fn record(
        &self,
        context: &RequestContext,
        request: &pb::RecordLimitationActRequest,
    ) -> Result<pb::RecordLimitationActResponse, ApiError> {
        let act = convert::name_of::<pb::LimitationAct>(request.kind)
            .and_then(act_of)
            .ok_or_else(|| {
            ApiError::from(FieldViolation::new(
                "kind",
                "ACKNOWLEDGEMENT, FORMAL_NOTICE or LEGAL_ACTION (partial payments come from the \
                 ledger)",
            ))
        })?;
        let mut m = begin_mutation!(
            &self.db,
            &*self.clock,
            context,
            "RecordLimitationAct",
            request
        );
        let today = day_of(m.now);
        let day = calendar::required_day("date", request.date.as_ref())?;
        if day > today {
            return Err(FieldViolation::new("date", "not in the future").into());
        }
        for (i, invoice_id) in request.invoice_ids.iter().enumerate() {
            let ours = crate::store::document(&mut m.tx, invoice_id)
                .await?
                .is_some_and(|d| d.customer_id == request.customer_id && d.kind.is_receivable());
            if !ours {
                return Err(FieldViolation::new(
                    format!("invoice_ids[{i}]"),
                    format!("no receivable {invoice_id} of {}", request.customer_id),
                )
                .into());
            }
        }
        let ids = record_acts(
            &mut m.tx,
            &request.customer_id,
            &request.invoice_ids,
            act,
            day,
            &context.caller.subject,
            request.note.trim(),
            m.now,
        )
        .await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            NewEvent {
                event_type: "credit.collections.limitation.act_recorded",
                entity_type: "customer",
                entity_id: request.customer_id.clone(),
                customer_id: request.customer_id.clone(),
                payload: Payload::of(&pb::LimitationActRecorded {
                    kind: wire::<pb::LimitationAct>(act.name()),
                    date: Some(calendar::date(day)),
                    invoice_ids: request.invoice_ids.clone(),
                    note: request.note.trim().to_string(),
                }),
            },
        )
        .await?;
        let answer = pb::RecordLimitationActResponse {
            act_ids: ids,
            record_time: Some(to_timestamp(m.now)),
        };
        mutation::finish(&self.signals, m, &answer).await?;
        Ok(answer)
    }

    /// Raises the alerts due today (each threshold once per deadline) and says when deadlines
    /// passed; answers how many were raised.
    pub async fn sweep(&self) -> Result<usize, ApiError> {
        let context = RequestContext::system("limitation");
        let raised = mutation::with_retry(|| async {
            let mut tx = self.db.begin_write().await?;
            let now = self.clock.now();
            let today = day_of(now);
            let (_, policy) = crate::app::policy::active_policy(&mut tx).await?;
            let rules = &policy.document.limitation;
            let widest = rules.alert_days.iter().max().copied().unwrap_or(0);
            let due_by = today + widest - rules.shortest_days();
            let mut raised = 0;
            for claim in claims(&mut tx, &policy, "", due_by).await? {
                let left = claim.standing.deadline_day - today;
                // Thresholds reached, the tightest first; 0 once it passed.
                let mut thresholds: Vec<i64> = rules
                    .alert_days
                    .iter()
                    .copied()
                    .filter(|t| left <= *t)
                    .collect();
                if left < 0 {
                    thresholds = vec![0];
                }
                let Some(threshold) = thresholds.into_iter().min() else {
                    continue;
                };
                let raised_now = store::raise_limitation_alert(
                    &mut tx,
                    &claim.document_id,
                    threshold,
                    claim.standing.deadline_day,
                    now,
                )
                .await?;
                if !raised_now {
                    continue;
                }
                outbox::append(
                    &mut tx,
                    &context,
                    now,
                    NewEvent {
                        event_type: if left < 0 {
                            "credit.collections.limitation.expired"
                        } else {
                            "credit.collections.limitation.expiring"
                        },
                        entity_type: "receivable",
                        entity_id: claim.document_id.clone(),
                        customer_id: claim.customer_id.clone(),
                        payload: Payload::of(&pb::LimitationDeadlineReached {
                            document_id: claim.document_id.clone(),
                            jurisdiction: claim.jurisdiction.clone(),
                            deadline_date: Some(calendar::date(claim.standing.deadline_day)),
                            days_left: left,
                            open_amount: Some(convert::money(claim.open, &claim.currency)),
                        }),
                    },
                )
                .await?;
                raised += 1;
            }
            tx.commit().await?;
            Ok::<_, ApiError>(raised)
        })
        .await?;
        if raised > 0 {
            self.signals.notify_committed();
        }
        Ok(raised)
    }
}
