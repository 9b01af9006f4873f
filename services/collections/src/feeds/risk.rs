//! Scoring's view of each customer, followed on its event feed: every score keeps the latest
//! risk class (which chooses the dunning strategy) and probability of default (which ranks the
//! worklist). The position is stored with the row, so a redelivered score changes nothing twice.
use crate::store;
use credit_platform::clock::SharedClock;
use credit_platform::db::Db;
use credit_platform::error::ApiError;
use credit_platform::follow::{Consumed, EventHandler, Handled};
use credit_proto::event::Event;
use serde::Deserialize;

/// The event this follower keeps.
pub const SCORED: &str = "credit.scoring.customer.scored";

/// `credit.scoring.customer.scored` as scoring wrote it before it was typed.
#[derive(Debug, Deserialize)]
struct JsonScored {
    #[serde(default)]
    score_id: String,
    #[serde(default)]
    score: i64,
    #[serde(default)]
    risk_class: String,
    #[serde(default)]
    probability_of_default: String,
}

/// Keeps scoring's latest view of each customer.
pub struct RiskFollower {
    db: Db,
    clock: SharedClock,
}

impl RiskFollower {
    /// The handler.
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }
}

impl EventHandler for RiskFollower {
    async fn handle(&self, event: Event, consumed: Consumed) -> Result<Handled, ApiError> {
        if event.event_type != SCORED || event.customer_id.is_empty() {
            return Ok(Handled::Ignored);
        }
        let scored = credit_platform::follow::contract(&event, |json: JsonScored| {
            credit_proto::scoring::CustomerScored {
                score_id: json.score_id,
                score: json.score,
                risk_class: json.risk_class,
                probability_of_default: json.probability_of_default,
                ..Default::default()
            }
        })?;
        let mut tx = self.db.begin_write().await?;
        let now = self.clock.now();
        if !consumed.record(&mut tx, now).await? {
            return Ok(Handled::Recorded);
        }
        let scored_at = event
            .occur_time
            .as_ref()
            .and_then(credit_platform::clock::from_timestamp)
            .unwrap_or(now);
        // Scores arrive in feed order; an older one never replaces a newer.
        store::record_risk(
            &mut tx,
            store::CustomerRisk {
                customer_id: &event.customer_id,
                risk_class: &scored.risk_class,
                probability_of_default: &scored.probability_of_default,
                score: scored.score,
                score_id: &scored.score_id,
                scored_at,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Handled::Recorded)
    }
}
