//! The credit check: the hot path. One short transaction that locks the account chain, decides
//! from the stored state and reserves.
use super::Limits;
use crate::convert;
use crate::domain::check::{
    self, CheckInputs, LevelInputs, Outcome, RULE_VERSION, RateUsed, Release,
};
use crate::domain::exposure::{Category, Exposure};
use crate::store::accounts::{self, AccountRow};
use crate::store::decisions::{self, StoredDecision};
use crate::store::fx;
use crate::store::reservations::{self, Reservation, ReservationState};
use credit_platform::clock::Micros;
use credit_platform::context::RequestContext;
use credit_platform::error::ApiError;
use credit_platform::money::Money;
use credit_platform::outbox::{self, NewEvent, Payload};
use credit_proto::limits as pb;
use prost::Message;
use rust_decimal::Decimal;
use sqlx::AnyConnection;

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

impl Limits {
    /// Checks an order and reserves it when approved.
    pub async fn check_credit(
        &self,
        context: &RequestContext,
        request: &pb::CheckCreditRequest,
        order: CheckOrder,
    ) -> Result<pb::CheckCreditResponse, ApiError> {
        let mut m = begin_mutation!(self, context, "CheckCredit", request);
        let now = m.now;
        let mut chain = self
            .locked_chain(&mut m.tx, &context.caller.scope, &order.customer_id)
            .await?;
        self.expire_due(&mut m.tx, &mut chain, now).await?;
        let existing =
            reservations::open_for_order(&mut m.tx, &order.customer_id, &order.order_id).await?;
        let inputs = self
            .check_inputs(&mut m.tx, &chain, &order, existing.as_ref(), now)
            .await?;
        let decision = check::decide(&inputs);
        let approved = decision.outcome == Outcome::Approved;
        metrics::counter!(CHECKS_TOTAL, "outcome" => if approved { "approved" } else { "rejected" }).increment(1);

        let mut answer = convert::check_response(&decision, &inputs);
        if order.dry_run {
            // Nothing is stored; the transaction rolls back when dropped.
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
                    reservations::update(&mut m.tx, &r).await?;
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
                    reservations::insert(&mut m.tx, &r).await?;
                    (r, amount, "credit.limits.reservation.created")
                }
            };
            let mut delta = Exposure::default();
            delta.add(Category::ReservedOrders, reserved_delta);
            accounts::move_exposure(&mut m.tx, &mut chain, &delta, now, "credit_check").await?;
            answer.reservation = Some(convert::reservation(&reservation, &currency));
            NewEvent {
                event_type,
                entity_type: "reservation",
                entity_id: reservation.reservation_id.clone(),
                customer_id: order.customer_id.clone(),
                payload: decided(&order, &answer),
            }
        } else {
            NewEvent {
                event_type: "credit.limits.credit_check.rejected",
                entity_type: "credit_decision",
                entity_id: decision_id.clone(),
                customer_id: order.customer_id.clone(),
                payload: decided(&order, &answer),
            }
        };
        decisions::insert(
            &mut m.tx,
            &StoredDecision {
                decision_id,
                customer_id: order.customer_id.clone(),
                order_id: order.order_id.clone(),
                request_id: context.request_id.clone(),
                actor_subject: context.caller.subject.clone(),
                outcome: if approved { "APPROVED" } else { "REJECTED" }.into(),
                inputs: crate::store::json(&inputs),
                response: answer.encode_to_vec(),
                decided_at: now,
            },
        )
        .await?;
        outbox::append(&mut m.tx, context, now, event).await?;
        self.finish(m, &answer).await?;
        Ok(answer)
    }

    /// Gathers everything the decision depends on from the locked chain.
    async fn check_inputs(
        &self,
        conn: &mut AnyConnection,
        chain: &[AccountRow],
        order: &CheckOrder,
        existing: Option<&Reservation>,
        now: Micros,
    ) -> Result<CheckInputs, ApiError> {
        let account = &chain[0];
        let account_currency = credit_platform::money::Currency::from_code(&account.currency_code)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "stored account currency {} is invalid",
                    account.currency_code
                )
            })?;
        let mut levels = Vec::with_capacity(chain.len());
        for row in chain {
            levels.push(LevelInputs {
                customer_id: row.customer_id.clone(),
                on_hold: row.active_holds > 0,
                limit: row.credit_limit.clone(),
                counting: accounts::counting_of(conn, row).await?,
                group_exposure: row.group_exposure,
            });
        }
        let rate = if order.amount.currency == account_currency {
            None
        } else {
            fx::in_force(
                conn,
                order.amount.currency.code(),
                account_currency.code(),
                now,
            )
            .await?
            .map(|(rate, effective_at)| RateUsed { rate, effective_at })
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
