//! The credit check: the hot path. Checks are decided in batches (see `engine`): one short
//! transaction locks the batch's account chains, decides each check in order from the stored
//! state, and writes every reservation, decision, event and replay record with a few
//! set-based statements — one commit for the batch.
use super::Limits;
use crate::convert;
use crate::domain::check::{
    self, CheckInputs, LevelInputs, Outcome, RULE_VERSION, RateUsed, Release,
};
use crate::domain::exposure::{Category, Counting, Exposure};
use crate::store::accounts::{self, AccountRow, Chains};
use crate::store::decisions::{self, StoredDecision};
use crate::store::fx;
use crate::store::reservations::{self, Reservation, ReservationState};
use credit_platform::clock::Micros;
use credit_platform::context::RequestContext;
use credit_platform::error::ApiError;
use credit_platform::idempotency::{self, IdempotencyKey};
use credit_platform::money::Money;
use credit_platform::outbox::{self, NewEvent, Outgoing, Payload};
use credit_proto::limits as pb;
use prost::Message;
use rust_decimal::Decimal;
use sqlx::AnyConnection;
use std::collections::{BTreeMap, HashMap, HashSet};

/// A validated credit check.
#[derive(Debug, Clone)]
pub struct CheckOrder {
    /// The customer the order is for.
    pub customer_id: String,
    /// Sales order.
    pub order_id: String,
    /// Order amount in the order currency.
    pub amount: Money,
    /// Reservation lifetime, when not the default.
    pub reservation_ttl: Option<Micros>,
    /// Decide only.
    pub dry_run: bool,
    /// A person's one-off release beyond the rules.
    pub release: Option<Release>,
}

/// The payload of a stored decision's event: what the caller was told, and the release.
fn decided(order: &CheckOrder, answer: &pb::CheckCreditResponse) -> Payload {
    let reservation = answer.reservation.as_ref();
    Payload::of(&pb::CreditCheckDecided {
        order_id: order.order_id.clone(),
        decision_id: answer.decision_id.clone(),
        outcome: answer.outcome,
        reasons: answer.reasons.clone(),
        checked_amount: answer.checked_amount.clone(),
        max_approvable_amount: answer.max_approvable_amount.clone(),
        binding_customer_id: answer.binding_customer_id.clone(),
        reservation_id: reservation
            .map(|r| r.reservation_id.clone())
            .unwrap_or_default(),
        reserved_amount: reservation.and_then(|r| r.open_amount.clone()),
        expire_time: reservation.and_then(|r| r.expire_time),
        release: order.release.as_ref().map(|r| pb::CreditRelease {
            approved_by: r.approved_by.clone(),
            reference: r.reference.clone(),
            reason: r.reason.clone(),
        }),
    })
}

/// Domain counter for decisions, by outcome.
pub const CHECKS_TOTAL: &str = "credit_checks_total";

/// The method a check's answer is stored under for replay.
const METHOD: &str = "CheckCredit";

/// One credit check of a batch: who asked, what, and the trace it belongs to.
#[derive(Debug, Clone)]
pub struct CheckJob {
    /// The call.
    pub context: RequestContext,
    /// The request as sent (its hash keys the replay).
    pub request: pb::CheckCreditRequest,
    /// The validated order.
    pub order: CheckOrder,
    /// The W3C traceparent of the call's span, for its event.
    pub traceparent: String,
}

/// A check's answer.
pub type CheckAnswer = Result<pb::CheckCreditResponse, ApiError>;

/// What a batch read once for all its checks.
struct Loaded {
    /// The locked accounts and each checked account's chain.
    accounts: Chains,
    /// Answers stored by earlier calls, by (caller, request id).
    stored: HashMap<(String, String), idempotency::Stored>,
    /// Open reservations by (customer, order), as the batch changes them.
    open: HashMap<(String, String), Reservation>,
    /// Segment counting rules.
    segment_bits: HashMap<String, i64>,
    /// Exchange rates in force, by (order currency, account currency).
    rates: HashMap<(String, String), Option<RateUsed>>,
}

/// What a batch writes when its checks are decided.
#[derive(Default)]
struct Writes {
    /// Reservations created in the batch (final state), by id.
    created: HashMap<String, Reservation>,
    /// Stored reservations the batch changed (final state), by id.
    changed: HashMap<String, Reservation>,
    /// Accounts whose exposure moved, with the cause their history gives.
    moved: BTreeMap<String, &'static str>,
    decisions: Vec<StoredDecision>,
    /// Events, each with the job that caused it (none: the expiry of a reservation).
    events: Vec<(Option<usize>, NewEvent)>,
    /// Answers to store for replay.
    answers: Vec<(IdempotencyKey, Vec<u8>)>,
    /// The same answers by (caller, request id), for a twin later in the batch.
    answered: HashMap<(String, String), idempotency::Stored>,
    /// Outcomes decided (approved or not), counted once the batch commits.
    outcomes: Vec<bool>,
}

impl Writes {
    /// Marks `chain`'s accounts as moved by `cause` (a check's cause wins over an expiry's).
    fn moved(&mut self, chain: &[AccountRow], cause: &'static str) {
        for row in chain {
            let entry = self.moved.entry(row.customer_id.clone()).or_insert(cause);
            if cause == CHECK_CAUSE {
                *entry = cause;
            }
        }
    }

    /// Keeps a reservation's new state, as created or as changed.
    fn keep(&mut self, r: &Reservation) {
        if let Some(created) = self.created.get_mut(&r.reservation_id) {
            *created = r.clone();
        } else {
            self.changed.insert(r.reservation_id.clone(), r.clone());
        }
    }
}

/// The history cause of exposure moved by checks.
const CHECK_CAUSE: &str = "credit_check";
/// The history cause of exposure released by an expiry.
const EXPIRY_CAUSE: &str = "reservation_expired";

impl Limits {
    /// Decides `jobs` in one transaction, in order, each against the state the ones before it
    /// left, and commits once: every answer is given after its reservation, decision, event
    /// and replay record are durable. Errors that belong to one check (an unknown account, a
    /// request id reused) are that check's answer; an error of the whole batch (the
    /// database) writes nothing.
    pub async fn check_batch(&self, jobs: &[CheckJob]) -> Result<Vec<CheckAnswer>, ApiError> {
        let now = self.clock.now();
        let mut tx = self.begin_write().await?;
        let keys: Vec<Option<IdempotencyKey>> = jobs
            .iter()
            .map(|job| {
                (!job.context.request_id.is_empty()).then(|| {
                    IdempotencyKey::new(
                        &job.context.caller.subject,
                        METHOD,
                        &job.context.request_id,
                        &job.request,
                    )
                })
            })
            .collect();
        let mut writes = Writes::default();
        let mut loaded = self.load(&mut tx, jobs, &keys, now, &mut writes).await?;
        let answers: Vec<CheckAnswer> = jobs
            .iter()
            .zip(&keys)
            .enumerate()
            .map(|(i, (job, key))| {
                self.decide_one(i, job, key.as_ref(), &mut loaded, &mut writes, now)
            })
            .collect();
        self.write(&mut tx, jobs, &loaded, &writes, now).await?;
        tx.commit().await?;
        if !writes.events.is_empty() {
            self.signals.notify_committed();
        }
        for approved in &writes.outcomes {
            let outcome = if *approved { "approved" } else { "rejected" };
            metrics::counter!(CHECKS_TOTAL, "outcome" => outcome).increment(1);
        }
        Ok(answers)
    }

    /// Locks the batch's account chains and reads, once for the batch, what its decisions
    /// depend on; expires the checked accounts' reservations that are due.
    async fn load(
        &self,
        conn: &mut AnyConnection,
        jobs: &[CheckJob],
        keys: &[Option<IdempotencyKey>],
        now: Micros,
        writes: &mut Writes,
    ) -> Result<Loaded, ApiError> {
        let customers: Vec<String> = jobs.iter().map(|j| j.order.customer_id.clone()).collect();
        // Locked first: a twin of a check in another process or batch locks the same chain,
        // so once it is locked the twin's answer is either stored or not yet begun.
        let accounts = accounts::lock_chains(conn, self.backend(), &customers)
            .await?
            .ok_or_else(|| {
                ApiError::Aborted("an account moved in its group while being checked".into())
            })?;
        let stored = idempotency::stored_many(conn, METHOD, keys.iter().flatten()).await?;
        let mut loaded = Loaded {
            accounts,
            stored,
            open: HashMap::new(),
            segment_bits: HashMap::new(),
            rates: HashMap::new(),
        };
        let mut checked: Vec<String> = loaded.accounts.chains.keys().cloned().collect();
        checked.sort();
        let due = reservations::due_of_accounts(conn, &checked, now).await?;
        let expired: HashSet<String> = due.iter().map(|r| r.reservation_id.clone()).collect();
        for r in due {
            expire_in_batch(&mut loaded.accounts, r, now, writes);
        }
        let orders: Vec<(String, String)> = jobs
            .iter()
            .filter(|j| loaded.accounts.chains.contains_key(&j.order.customer_id))
            .map(|j| (j.order.customer_id.clone(), j.order.order_id.clone()))
            .collect();
        loaded.open = reservations::open_for_orders(conn, &orders)
            .await?
            .into_iter()
            .filter(|r| !expired.contains(&r.reservation_id))
            .map(|r| ((r.customer_id.clone(), r.order_id.clone()), r))
            .collect();
        let mut segments: Vec<String> = loaded
            .accounts
            .rows
            .values()
            .filter(|row| row.counting_bits.is_none() && !row.segment.is_empty())
            .map(|row| row.segment.clone())
            .collect();
        segments.sort();
        segments.dedup();
        loaded.segment_bits = accounts::segments_counting_bits(conn, &segments).await?;
        for job in jobs {
            let Some(account) = loaded.accounts.rows.get(&job.order.customer_id) else {
                continue;
            };
            let pair = (
                job.order.amount.currency.code().to_string(),
                account.currency_code.clone(),
            );
            if pair.0 != pair.1 && !loaded.rates.contains_key(&pair) {
                let rate = fx::in_force(conn, &pair.0, &pair.1, now)
                    .await?
                    .map(|(rate, effective_at)| RateUsed { rate, effective_at });
                loaded.rates.insert(pair, rate);
            }
        }
        Ok(loaded)
    }

    /// Decides one check of the batch against the batch's state, and records what it writes.
    fn decide_one(
        &self,
        index: usize,
        job: &CheckJob,
        key: Option<&IdempotencyKey>,
        loaded: &mut Loaded,
        writes: &mut Writes,
        now: Micros,
    ) -> CheckAnswer {
        let order = &job.order;
        if let Some(key) = key {
            let id = (key.caller.clone(), key.request_id.clone());
            // Asked before, in an earlier call or earlier in this batch: the same answer.
            if let Some(stored) = loaded.stored.get(&id).or_else(|| writes.answered.get(&id)) {
                return stored.answer_to(key);
            }
        }
        let mut chain = loaded
            .accounts
            .chain(&order.customer_id)
            .ok_or_else(|| super::account_not_found(&order.customer_id))?;
        super::in_scope(&job.context.caller.scope, &chain[0])?;
        let order_key = (order.customer_id.clone(), order.order_id.clone());
        let existing = loaded.open.get(&order_key).cloned();
        let rate = loaded
            .rates
            .get(&(
                order.amount.currency.code().to_string(),
                chain[0].currency_code.clone(),
            ))
            .cloned()
            .flatten();
        let segment_bits = &loaded.segment_bits;
        let inputs = check_inputs(
            &chain,
            order,
            existing.as_ref(),
            now,
            |row| {
                // An account's own rule wins; a segment's applies only without one.
                let segment = match row.counting_bits {
                    Some(_) => None,
                    None => segment_bits.get(&row.segment).copied(),
                };
                Counting::resolve(row.counting_bits, segment)
            },
            rate,
        )?;
        let decision = check::decide(&inputs);
        let approved = decision.outcome == Outcome::Approved;
        writes.outcomes.push(approved);
        let mut answer = convert::check_response(&decision, &inputs);
        if order.dry_run {
            // Nothing is stored.
            return Ok(answer);
        }
        let decision_id = uuid::Uuid::now_v7().to_string();
        answer.decision_id = decision_id.clone();
        let currency = chain[0].currency_code.clone();
        let event = if approved {
            let amount = decision.checked_amount.unwrap_or_default();
            let ttl = order
                .reservation_ttl
                .unwrap_or(self.default_reservation_ttl);
            let (reservation, reserved_delta, event_type) = match existing {
                Some(mut r) => {
                    // A re-check replaces the order's amount; shipped and invoiced parts stay.
                    let new_open =
                        (amount - r.delivered_amount - r.invoiced_amount).max(Decimal::ZERO);
                    let delta = new_open - r.open_amount;
                    r.amount = amount;
                    r.open_amount = new_open;
                    r.order_amount = order.amount.amount;
                    r.order_currency = order.amount.currency.code().to_string();
                    r.expires_at = now.saturating_add(ttl);
                    r.decision_id = decision_id.clone();
                    r.updated_at = now;
                    writes.keep(&r);
                    (r, delta, "credit.limits.reservation.adjusted")
                }
                None => {
                    let r = Reservation {
                        reservation_id: uuid::Uuid::now_v7().to_string(),
                        customer_id: order.customer_id.clone(),
                        order_id: order.order_id.clone(),
                        state: ReservationState::Open,
                        amount,
                        open_amount: amount,
                        delivered_amount: Decimal::ZERO,
                        invoiced_amount: Decimal::ZERO,
                        order_amount: order.amount.amount,
                        order_currency: order.amount.currency.code().to_string(),
                        expires_at: now.saturating_add(ttl),
                        decision_id: decision_id.clone(),
                        created_at: now,
                        updated_at: now,
                    };
                    writes.created.insert(r.reservation_id.clone(), r.clone());
                    (r, amount, "credit.limits.reservation.created")
                }
            };
            loaded.open.insert(order_key, reservation.clone());
            if !reserved_delta.is_zero() {
                let mut delta = Exposure::default();
                delta.add(Category::ReservedOrders, reserved_delta);
                accounts::add_exposure(&mut chain, &delta, now);
                writes.moved(&chain, CHECK_CAUSE);
                loaded.accounts.put(chain);
            }
            answer.reservation = Some(convert::reservation(&reservation, &currency));
            NewEvent {
                event_type,
                entity_type: "reservation",
                entity_id: reservation.reservation_id.clone(),
                customer_id: order.customer_id.clone(),
                payload: decided(order, &answer),
            }
        } else {
            NewEvent {
                event_type: "credit.limits.credit_check.rejected",
                entity_type: "credit_decision",
                entity_id: decision_id.clone(),
                customer_id: order.customer_id.clone(),
                payload: decided(order, &answer),
            }
        };
        writes.decisions.push(StoredDecision {
            decision_id,
            customer_id: order.customer_id.clone(),
            order_id: order.order_id.clone(),
            request_id: job.context.request_id.clone(),
            actor_subject: job.context.caller.subject.clone(),
            outcome: if approved { "APPROVED" } else { "REJECTED" }.into(),
            inputs: crate::store::json(&inputs),
            response: answer.encode_to_vec(),
            decided_at: now,
        });
        writes.events.push((Some(index), event));
        if let Some(key) = key {
            let response = answer.encode_to_vec();
            writes.answered.insert(
                (key.caller.clone(), key.request_id.clone()),
                idempotency::Stored {
                    request_hash: key.request_hash.clone(),
                    response: response.clone(),
                },
            );
            writes.answers.push((key.clone(), response));
        }
        Ok(answer)
    }

    /// Writes what the batch decided: a few set-based statements for all its checks.
    async fn write(
        &self,
        conn: &mut AnyConnection,
        jobs: &[CheckJob],
        loaded: &Loaded,
        writes: &Writes,
        now: Micros,
    ) -> Result<(), ApiError> {
        // Changed reservations first: an expired one frees its order for a new reservation.
        for r in writes.changed.values() {
            reservations::update(conn, r).await?;
        }
        let created: Vec<Reservation> = writes.created.values().cloned().collect();
        reservations::insert_many(conn, &created).await?;
        for cause in [EXPIRY_CAUSE, CHECK_CAUSE] {
            let moved = writes
                .moved
                .iter()
                .filter(|(_, c)| **c == cause)
                .filter_map(|(id, _)| loaded.accounts.rows.get(id));
            accounts::write_exposures(conn, moved, now, cause).await?;
        }
        decisions::insert_many(conn, &writes.decisions).await?;
        let expiry = RequestContext::system("reservation-expiry");
        let events: Vec<Outgoing> = writes
            .events
            .iter()
            .map(|(job, event)| {
                let (context, traceparent) = match job {
                    Some(i) => (&jobs[*i].context, jobs[*i].traceparent.clone()),
                    None => (&expiry, String::new()),
                };
                Outgoing {
                    context,
                    traceparent,
                    event: event.clone(),
                }
            })
            .collect();
        outbox::append_many(conn, now, &events).await?;
        idempotency::record_many(conn, &writes.answers, now).await?;
        Ok(())
    }

    /// A stored decision.
    pub async fn get_decision(&self, decision_id: &str) -> Result<pb::CreditDecision, ApiError> {
        let mut tx = self.read().await?;
        let stored =
            decisions::get(&mut tx, decision_id)
                .await?
                .ok_or_else(|| ApiError::NotFound {
                    kind: "credit decision",
                    id: decision_id.to_string(),
                })?;
        decision_view(&stored)
    }

    /// Recomputes a stored decision from its inputs.
    pub async fn replay_decision(
        &self,
        decision_id: &str,
    ) -> Result<pb::ReplayCreditDecisionResponse, ApiError> {
        let decision = self.get_decision(decision_id).await?;
        let inputs: CheckInputs = serde_json::from_str(&decision.inputs_json)
            .map_err(|e| ApiError::Internal(e.into()))?;
        let mut replayed = convert::check_response(&check::decide(&inputs), &inputs);
        let original = decision.response.clone().unwrap_or_default();
        // Ids and the reservation are consequences of the decision, not part of it.
        replayed.decision_id = original.decision_id.clone();
        replayed.reservation = original.reservation.clone();
        let identical = replayed == original;
        Ok(pb::ReplayCreditDecisionResponse {
            decision: Some(decision),
            replayed: Some(replayed),
            identical,
        })
    }
}

/// Expires a due reservation of a checked account in the batch's memory.
fn expire_in_batch(accounts: &mut Chains, mut r: Reservation, now: Micros, writes: &mut Writes) {
    let Some(mut chain) = accounts.chain(&r.customer_id) else {
        return;
    };
    let mut delta = Exposure::default();
    delta.add(Category::ReservedOrders, -r.open_amount);
    r.open_amount = Decimal::ZERO;
    r.state = ReservationState::Expired;
    r.updated_at = now;
    accounts::add_exposure(&mut chain, &delta, now);
    writes.moved(&chain, EXPIRY_CAUSE);
    let currency = chain[0].currency_code.clone();
    accounts.put(chain);
    writes
        .events
        .push((None, super::reservations::expired_event(&r, &currency)));
    writes.keep(&r);
}

/// Gathers everything the decision depends on from the locked chain, with the counting rule
/// of each level and the exchange rate in force (when the order is in another currency).
fn check_inputs(
    chain: &[AccountRow],
    order: &CheckOrder,
    existing: Option<&Reservation>,
    now: Micros,
    counting_of: impl Fn(&AccountRow) -> Counting,
    rate: Option<RateUsed>,
) -> Result<CheckInputs, ApiError> {
    let account = &chain[0];
    let account_currency = credit_platform::money::Currency::from_code(&account.currency_code)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "stored account currency {} is invalid",
                account.currency_code
            )
        })?;
    let levels = chain
        .iter()
        .map(|row| LevelInputs {
            customer_id: row.customer_id.clone(),
            on_hold: row.active_holds > 0,
            limit: row.credit_limit.clone(),
            counting: counting_of(row),
            group_exposure: row.group_exposure,
        })
        .collect();
    let rate = if order.amount.currency == account_currency {
        None
    } else {
        rate
    };
    Ok(CheckInputs {
        rule_version: RULE_VERSION.to_string(),
        at: now,
        order_amount: order.amount.amount,
        order_currency: order.amount.currency.code().to_string(),
        account_currency: account_currency.code().to_string(),
        account_minor_digits: account_currency.minor_unit_digits(),
        order_minor_digits: order.amount.currency.minor_unit_digits(),
        rate,
        existing_reservation: existing.map_or(Decimal::ZERO, |r| {
            r.open_amount + r.delivered_amount + r.invoiced_amount
        }),
        levels,
        release: order.release.clone(),
    })
}

fn decision_view(stored: &StoredDecision) -> Result<pb::CreditDecision, ApiError> {
    let response = pb::CheckCreditResponse::decode(stored.response.as_slice())
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(pb::CreditDecision {
        decision_id: stored.decision_id.clone(),
        customer_id: stored.customer_id.clone(),
        order_id: stored.order_id.clone(),
        request_id: stored.request_id.clone(),
        actor_subject: stored.actor_subject.clone(),
        response: Some(response),
        inputs_json: stored.inputs.clone(),
    })
}
