//! Setting approved limits in the limits service: instructions written in the approval's
//! transaction are delivered until limits confirms, so a limit is set exactly once even when
//! limits is down at the moment of approval (the calls carry request ids derived from the
//! instruction: a retry after a lost answer is answered from limits' idempotency record).
use crate::domain::application::{LimitSetting, LimitSettingState};
use crate::peers::{Delivery, LimitsPeer};
use crate::store::{self, LimitInstruction};
use credit_platform::clock::SharedClock;
use credit_platform::context::RequestContext;
use credit_platform::db::Db;
use credit_platform::error::ApiError;
use credit_platform::outbox::{self, FeedSignals, NewEvent, Payload};
use credit_proto::applications as pb;
use credit_proto::types::Money as MoneyProto;
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};
use tracing::Instrument;

/// Instructions read per round.
const BATCH: i64 = 100;
/// Gauge: limit instructions waiting for delivery to limits (growing: limits refuses or is
/// unreachable, and approved limits are not in force yet).
pub const PENDING: &str = "applications_limit_deliveries_pending";
/// Deliveries in flight at once (to distinct customers).
const CONCURRENCY: usize = 8;
/// Pause after a round that left instructions to retry: 0.2 s, doubling to this.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// A round runs at least this often, so nothing waits on a lost wake-up.
const POLL: Duration = Duration::from_secs(5);

/// What a round did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    /// Instructions that ended (set, or refused for good).
    pub delivered: usize,
    /// Instructions to retry.
    pub left: usize,
}

/// The delivery loop.
pub struct LimitDelivery {
    db: Db,
    clock: SharedClock,
    signals: FeedSignals,
    limits: LimitsPeer,
    wake: Arc<Notify>,
}

impl LimitDelivery {
    /// A loop delivering to `limits`, woken by `wake`.
    pub fn new(
        db: Db,
        clock: SharedClock,
        signals: FeedSignals,
        limits: LimitsPeer,
        wake: Arc<Notify>,
    ) -> Self {
        // Every outcome's series exists from the start, so ratios and alerts see zeros.
        for state in LimitSettingState::ALL {
            metrics::counter!("applications_limit_deliveries_total", "outcome" => state.name())
                .increment(0);
        }
        Self {
            db,
            clock,
            signals,
            limits,
            wake,
        }
    }

    /// Delivers until `shutdown`.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = Duration::from_millis(200);
        loop {
            if *shutdown.borrow() {
                return;
            }
            let pause = match self.round().await {
                // More may be waiting behind what was delivered (later instructions of the
                // same customers, or beyond the batch): go again at once.
                Ok(round) if round.delivered > 0 => {
                    backoff = Duration::from_millis(200);
                    continue;
                }
                Ok(round) if round.left == 0 => {
                    backoff = Duration::from_millis(200);
                    POLL
                }
                Ok(_) => {
                    let pause = backoff;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    pause
                }
                Err(error) => {
                    tracing::warn!(%error, "limit delivery round failed");
                    MAX_BACKOFF
                }
            };
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// One pass over the pending instructions; answers what it did. Customers
    /// are served concurrently, each customer's instructions one after the other in order (a
    /// later change must not overtake an earlier one).
    pub async fn round(&self) -> Result<Round, ApiError> {
        let pending = {
            let mut conn = self.db.pool.acquire().await?;
            let waiting = store::count_pending_instructions(&mut conn).await?;
            metrics::gauge!(PENDING).set(waiting as f64);
            store::pending_instructions(&mut conn, BATCH).await?
        };
        let mut seen = std::collections::HashSet::new();
        let firsts: Vec<_> = pending
            .into_iter()
            .filter(|(i, _)| seen.insert(i.customer_id.clone()))
            .collect();
        let results: Vec<Result<bool, ApiError>> = futures::stream::iter(firsts)
            .map(|(instruction, attempts)| async move {
                let span = tracing::info_span!("deliver limit",
                    application_id = %instruction.application_id);
                credit_platform::telemetry::continue_trace(&span, &instruction.trace_parent);
                let outcome = self.limits.deliver(&instruction).instrument(span).await;
                let retry = matches!(outcome, Delivery::Retry(_));
                self.record(&instruction, attempts + 1, outcome).await?;
                Ok(retry)
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut left = 0;
        let mut delivered = 0;
        for result in results {
            if result? {
                left += 1;
            } else {
                delivered += 1;
            }
        }
        Ok(Round { delivered, left })
    }

    /// Records an attempt on the instruction and on its application, with an event when it
    /// ended either way.
    async fn record(
        &self,
        instruction: &LimitInstruction,
        attempts: i32,
        outcome: Delivery,
    ) -> Result<(), ApiError> {
        let (state, error) = match &outcome {
            Delivery::Done => (LimitSettingState::Done, String::new()),
            Delivery::Retry(e) => (LimitSettingState::Pending, e.clone()),
            Delivery::Refused(e) => (LimitSettingState::Failed, e.clone()),
        };
        metrics::counter!("applications_limit_deliveries_total", "outcome" => state.name())
            .increment(1);
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await?;
        store::record_attempt(
            &mut tx,
            &instruction.instruction_id,
            state.name(),
            &error,
            now,
        )
        .await?;
        if let Some(mut row) = store::get(&mut tx, &instruction.application_id).await? {
            // The body is stored masked; only the masked part changes here.
            row.body.limit_setting = Some(LimitSetting {
                state,
                attempts,
                last_error: error.clone(),
                done_at: (state == LimitSettingState::Done).then_some(now),
            });
            store::update(&mut tx, &row).await?;
        }
        if state != LimitSettingState::Pending {
            let context = RequestContext::system("limit-delivery");
            outbox::append(
                &mut tx,
                &context,
                now,
                NewEvent {
                    event_type: if state == LimitSettingState::Done {
                        "credit.applications.limit.set"
                    } else {
                        "credit.applications.limit.failed"
                    },
                    entity_type: "application",
                    entity_id: instruction.application_id.clone(),
                    customer_id: instruction.customer_id.clone(),
                    payload: Payload::of(&pb::LimitDelivered {
                        application_id: instruction.application_id.clone(),
                        instruction_id: instruction.instruction_id.clone(),
                        limit: Some(MoneyProto {
                            amount: instruction.amount.to_string(),
                            currency_code: instruction.currency_code.clone(),
                        }),
                        attempts: i64::from(attempts),
                        error: error.to_string(),
                    }),
                },
            )
            .await?;
        }
        tx.commit().await?;
        self.signals.notify_committed();
        if let Delivery::Refused(e) = outcome {
            tracing::error!(application_id = %instruction.application_id, error = %e,
                "limits refused an approved limit; it needs a person");
        }
        Ok(())
    }
}
