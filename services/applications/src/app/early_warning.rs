//! Scoring's early warnings, followed on its event feed: each opens a review case for the
//! approved customer and, when scoring's recommended limit is now below the limit in force,
//! proposes a decrease that takes the decision policy's path like any application.
use crate::app::changes::{
    ChangeRequest, change_application, current_account, limit_of, requested_event,
};
use crate::app::decision::{place_of, route_by};
use crate::app::reviews::{EarlyWarning, open_for_early_warning};
use crate::app::{Applications, with_notice};
use crate::domain::review::Warning;
use crate::domain::state::Kind;
use crate::peers::LimitsPeer;
use crate::store;
use credit_platform::context::RequestContext;
use credit_platform::error::ApiError;
use credit_platform::follow::{Consumed, EventHandler, Handled};
use credit_platform::outbox;
use credit_proto::event::Event;
use credit_proto::scoring as spb;
use credit_proto::types::Money as MoneyProto;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::str::FromStr;

/// The event this handler acts on.
pub const EARLY_WARNING: &str = "credit.scoring.early_warning.raised";

#[derive(Debug, Deserialize, Default)]
struct Standing {
    #[serde(default)]
    score: i64,
    #[serde(default)]
    risk_class: String,
    #[serde(default)]
    probability_of_default: String,
}

#[derive(Debug, Deserialize, Default, Clone)]
struct Amount {
    amount: String,
    currency_code: String,
}

impl From<Amount> for MoneyProto {
    fn from(a: Amount) -> Self {
        Self {
            amount: a.amount,
            currency_code: a.currency_code,
        }
    }
}

/// `credit.scoring.early_warning.raised` as scoring wrote it before it was typed.
#[derive(Debug, Deserialize, Default)]
struct WarningPayload {
    #[serde(default)]
    score_id: String,
    #[serde(default)]
    current: Standing,
    #[serde(default)]
    signals: Vec<String>,
    #[serde(default)]
    rejected: bool,
    #[serde(default)]
    recommended_limit: Option<Amount>,
}

impl WarningPayload {
    /// The contract of a warning written before it was typed.
    fn into_contract(self) -> spb::EarlyWarningRaised {
        spb::EarlyWarningRaised {
            score_id: self.score_id,
            current: Some(spb::ScoreStanding {
                score: self.current.score,
                risk_class: self.current.risk_class,
                probability_of_default: self.current.probability_of_default,
            }),
            signals: self.signals,
            rejected: self.rejected,
            recommended_limit: self.recommended_limit.map(Into::into),
            ..Default::default()
        }
    }
}

/// The warning's score as the decision policy reads one.
fn score_of(warning: &spb::EarlyWarningRaised, customer_id: &str) -> spb::Score {
    let current = warning.current.clone().unwrap_or_default();
    spb::Score {
        score_id: warning.score_id.clone(),
        customer_id: customer_id.to_string(),
        score: current.score,
        risk_class: current.risk_class,
        probability_of_default: current.probability_of_default,
        rejected: warning.rejected,
        recommended_limit: warning
            .recommended_limit
            .clone()
            .map(|amount| spb::RecommendedLimit {
                amount: Some(amount),
                ..Default::default()
            }),
        ..Default::default()
    }
}

/// Acts on scoring's early warnings.
pub struct EarlyWarnings {
    applications: Applications,
    limits: LimitsPeer,
}

impl EarlyWarnings {
    /// The handler.
    pub fn new(applications: Applications, limits: LimitsPeer) -> Self {
        Self {
            applications,
            limits,
        }
    }
}

fn amount(m: &MoneyProto) -> Option<Decimal> {
    Decimal::from_str(&m.amount).ok()
}

impl EventHandler for EarlyWarnings {
    async fn handle(&self, event: Event, consumed: Consumed) -> Result<Handled, ApiError> {
        if event.event_type != EARLY_WARNING || event.customer_id.is_empty() {
            return Ok(Handled::Ignored);
        }
        let payload = credit_platform::follow::contract(&event, WarningPayload::into_contract)?;
        let apps = &self.applications;
        // Only customers this service approved are reviewed here.
        let approved = {
            let mut conn = apps.db.pool.acquire().await?;
            store::latest_approved(&mut conn, &event.customer_id).await?
        };
        if approved.is_none() {
            return Ok(Handled::Ignored);
        }
        // Asked before the transaction: limits is another service.
        let account = current_account(&self.limits, &event.customer_id).await.ok();
        let current = account.as_ref().and_then(|a| limit_of(a).ok());
        let mut tx = apps.db.begin_write().await?;
        let now = apps.clock.now();
        if !consumed.record(&mut tx, now).await? {
            return Ok(Handled::Recorded);
        }
        let Some((row, previous)) = apps.latest_approved(&mut tx, &event.customer_id).await? else {
            return Ok(Handled::Ignored);
        };
        let context = RequestContext::system("early-warning");
        let mut signals = payload.signals.clone();
        let recommended: Option<MoneyProto> = payload.recommended_limit.clone();
        let proposal = match (&current, &recommended) {
            (Some(current), Some(recommended))
                if recommended.currency_code == current.currency_code
                    && amount(recommended) < amount(current) =>
            {
                Some(ChangeRequest {
                    customer_id: event.customer_id.clone(),
                    kind: Kind::LimitDecrease,
                    requested: recommended.clone(),
                    temporary_end: None,
                    reason: format!("early warning: {}", payload.signals.join("; ")),
                })
            }
            _ => None,
        };
        let mut proposed_application_id = String::new();
        if let (Some(change), Some(current)) = (proposal, current) {
            let mut app = change_application(&previous, &change, current, "scoring", now);
            if let Some(limit_change) = app.limit_change.as_mut() {
                limit_change.early_warning_score_id = payload.score_id.clone();
                limit_change.early_warning_signals = payload.signals.clone();
            }
            match apps.refuse_duplicate(&mut tx, &app).await {
                Ok(()) => {
                    let (version, policy) = apps.active_policy(&mut tx).await?;
                    let score = score_of(&payload, &event.customer_id);
                    if let Some(account) = &account {
                        route_by(&mut app, &place_of(account));
                    }
                    let mut events = vec![requested_event(&app)];
                    events.extend(
                        apps.decide(&mut tx, now, &mut app, &score, version, &policy, "scoring")
                            .await?,
                    );
                    with_notice(&mut app);
                    let stored = apps.to_row(&app, "scoring", now, now)?;
                    store::insert(&mut tx, &stored).await?;
                    for event in events {
                        outbox::append(&mut tx, &context, now, event).await?;
                    }
                    proposed_application_id = app.application_id.clone();
                }
                // Another application of the customer is open: the review decides on both.
                Err(ApiError::AlreadyExists { id, .. }) => {
                    signals.push(format!("no decrease proposed: application {id} is open"));
                }
                Err(other) => return Err(other),
            }
        }
        let case = open_for_early_warning(
            &mut tx,
            &context,
            now,
            EarlyWarning {
                customer_id: event.customer_id.clone(),
                application_id: row.application_id.clone(),
                warning: Warning {
                    signals,
                    score_id: payload.score_id.clone(),
                    proposed_application_id,
                },
            },
        )
        .await?;
        tx.commit().await?;
        apps.signals.notify_committed();
        apps.delivery.notify_one();
        tracing::info!(customer_id = %event.customer_id, case_id = %case.case_id,
            proposed = %case.proposed_application_id, "early warning opened a review");
        Ok(Handled::Recorded)
    }
}
