//! The scoring service's use cases: each mutation one transaction with its event; new
//! information about a scored customer re-scores it in the same transaction and raises an
//! early warning when the risk got materially worse.
mod evidence;
mod policy;
mod scores;
mod stress;

pub use stress::{StressRequest, StressTesting};

use crate::bureau::Bureaus;
use crate::model::Scorecard;
use credit_platform::clock::SharedClock;
use credit_platform::db::Db;
use credit_platform::error::ApiError;
use credit_platform::mutation::{self, Mutation};
use credit_platform::outbox::{FeedSignals, NewEvent, Payload};
use std::sync::Arc;

/// The scoring use cases.
#[derive(Clone)]
pub struct Scoring {
    db: Db,
    clock: SharedClock,
    signals: FeedSignals,
    model: Arc<Scorecard>,
    bureaus: Bureaus,
}

/// Why a score was computed.
#[derive(Debug, Clone, Copy)]
pub enum Trigger {
    /// ScoreCustomer.
    Request,
    /// New information about a customer scored before.
    NewInformation,
    /// A portfolio re-score.
    Batch,
}

impl Trigger {
    fn name(self) -> &'static str {
        match self {
            Self::Request => "REQUEST",
            Self::NewInformation => "NEW_INFORMATION",
            Self::Batch => "BATCH",
        }
    }
}

fn not_found(customer_id: &str) -> ApiError {
    ApiError::NotFound {
        kind: "scoring information for customer",
        id: customer_id.to_string(),
    }
}

fn event(event_type: &'static str, customer_id: &str, payload: Payload) -> NewEvent {
    NewEvent {
        event_type,
        entity_type: "customer",
        entity_id: customer_id.to_string(),
        customer_id: customer_id.to_string(),
        payload,
    }
}

impl Scoring {
    /// Use cases over `db` with `model`.
    pub fn new(
        db: Db,
        clock: SharedClock,
        signals: FeedSignals,
        model: Arc<Scorecard>,
        bureaus: Bureaus,
    ) -> Self {
        Self {
            db,
            clock,
            signals,
            model,
            bureaus,
        }
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The active model.
    pub fn model(&self) -> &Scorecard {
        &self.model
    }

    async fn finish<R: prost::Message>(&self, m: Mutation, answer: &R) -> Result<(), ApiError> {
        mutation::finish(&self.signals, m, answer).await
    }
}
