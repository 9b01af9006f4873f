//! Scoring a customer (on request, on new information, across the portfolio), the early
//! warnings a new score raises, and reading scores back.
use super::{Scoring, Trigger, not_found};
use crate::convert;
use crate::domain::decision::{Facts, decide};
use crate::domain::policy::Policy;
use crate::store;
use credit_platform::begin_mutation;
use credit_platform::clock::{Micros, to_timestamp};
use credit_platform::context::RequestContext;
use credit_platform::error::ApiError;
use credit_platform::outbox::{self, NewEvent, Payload};
use credit_platform::policies;
use credit_proto::scoring as pb;
use rust_decimal::Decimal;
use sqlx::AnyConnection;

impl Scoring {
    /// Scores a customer now.
    pub async fn score_customer(
        &self,
        context: &RequestContext,
        request: &pb::ScoreCustomerRequest,
        requested: Option<(Decimal, String)>,
    ) -> Result<pb::Score, ApiError> {
        self.refresh_bureau(context, &request.customer_id, false)
            .await?;
        let mut m = begin_mutation!(&self.db, &*self.clock, context, "ScoreCustomer", request);
        let (score, _) = self
            .score_in(
                &mut m.tx,
                m.now,
                context,
                &request.customer_id,
                requested,
                request.requested_amount.as_ref(),
                Trigger::Request,
            )
            .await?;
        self.finish(m, &score).await?;
        Ok(score)
    }

    pub(super) async fn active_policy(
        &self,
        conn: &mut AnyConnection,
    ) -> Result<(i64, Policy), ApiError> {
        let version = policies::active_version(conn)
            .await?
            .ok_or_else(|| ApiError::Unavailable("no active policy yet".into()))?;
        let row = policies::get(conn, version).await?.ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!("active policy {version} missing"))
        })?;
        let policy = Policy::parse(&row.document).map_err(|p| {
            ApiError::Internal(anyhow::anyhow!("stored policy {version} invalid: {p:?}"))
        })?;
        Ok((version, policy))
    }

    pub(super) async fn rescore_if_known(
        &self,
        tx: &mut AnyConnection,
        now: Micros,
        context: &RequestContext,
        customer_id: &str,
    ) -> Result<(), ApiError> {
        self.rescore(
            tx,
            now,
            context,
            customer_id,
            Trigger::NewInformation,
            false,
        )
        .await
        .map(|_| ())
    }

    /// Scores `customer_id` again with the amount last requested; only a customer scored before
    /// unless `even_unscored`. Returns None when not scored (never scored, or the policy now
    /// requires inputs that are missing), else whether an early warning was raised.
    async fn rescore(
        &self,
        tx: &mut AnyConnection,
        now: Micros,
        context: &RequestContext,
        customer_id: &str,
        trigger: Trigger,
        even_unscored: bool,
    ) -> Result<Option<bool>, ApiError> {
        let previous = store::scores(tx, customer_id, None, 1).await?;
        if previous.is_empty() && !even_unscored {
            return Ok(None);
        }
        let requested_proto = previous.first().and_then(|p| p.requested_amount.clone());
        let requested = requested_proto.as_ref().and_then(|r| {
            credit_platform::money::Money::from_proto(Some(r), "requested_amount")
                .ok()
                .map(|m| (m.amount, m.currency.code().to_string()))
        });
        match self
            .score_in(
                tx,
                now,
                context,
                customer_id,
                requested,
                requested_proto.as_ref(),
                trigger,
            )
            .await
        {
            Ok((_, warned)) => Ok(Some(warned)),
            // A policy that now requires more than is known leaves the old score standing.
            Err(ApiError::RuleViolation {
                reason: "MISSING_REQUIRED_INPUTS",
                ..
            }) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// Re-scores every customer with information on file, one transaction each, reporting
    /// progress to `progress` every `every` customers and at the end.
    pub async fn rescore_portfolio(
        &self,
        context: &RequestContext,
        every: usize,
        progress: tokio::sync::mpsc::Sender<Result<pb::RescorePortfolioResponse, tonic::Status>>,
    ) {
        let customers = match self.db.pool.acquire().await {
            Ok(mut conn) => store::customers(&mut conn).await.map_err(ApiError::from),
            Err(error) => Err(ApiError::from(error)),
        };
        let customers = match customers {
            Ok(customers) => customers,
            Err(error) => {
                let _ = progress.send(Err(error.into())).await;
                return;
            }
        };
        let mut report = pb::RescorePortfolioResponse {
            total: customers.len() as i64,
            ..Default::default()
        };
        for (i, customer_id) in customers.iter().enumerate() {
            let outcome = async {
                let mut tx = self.db.begin_write().await?;
                let now = self.clock.now();
                let outcome = self
                    .rescore(&mut tx, now, context, customer_id, Trigger::Batch, true)
                    .await?;
                tx.commit().await?;
                Ok::<_, ApiError>(outcome)
            }
            .await;
            match outcome {
                Ok(Some(warned)) => {
                    report.scored += 1;
                    report.early_warnings += i64::from(warned);
                }
                Ok(None) => report.skipped += 1,
                Err(error) => {
                    let _ = progress.send(Err(error.into())).await;
                    return;
                }
            }
            report.last_customer_id = customer_id.clone();
            self.signals.notify_committed();
            if (i + 1) % every.max(1) == 0
                && i + 1 < customers.len()
                && progress.send(Ok(report.clone())).await.is_err()
            {
                return; // the caller went away; what is scored stays scored
            }
        }
        report.done = true;
        metrics::counter!("scoring_batch_rescores_total").increment(report.scored as u64);
        let _ = progress.send(Ok(report)).await;
    }

    #[allow(clippy::too_many_arguments)]
    async fn score_in(
        &self,
        tx: &mut AnyConnection,
        now: Micros,
        context: &RequestContext,
        customer_id: &str,
        requested: Option<(Decimal, String)>,
        requested_proto: Option<&credit_proto::types::Money>,
        trigger: Trigger,
    ) -> Result<(pb::Score, bool), ApiError> {
        let statements = store::statements(tx, customer_id).await?;
        let facts = Facts {
            statement: statements.into_iter().next(),
            bureau: store::bureau_report(tx, customer_id).await?,
            references: store::references(tx, customer_id)
                .await?
                .unwrap_or_default(),
            payment: store::payment_behaviour(tx, customer_id).await?,
            requested,
        };
        if facts.statement.is_none()
            && facts.bureau.is_none()
            && facts.references.is_empty()
            && facts.payment.is_none()
        {
            return Err(not_found(customer_id));
        }
        let (version, policy) = self.active_policy(tx).await?;
        let decision =
            decide(&policy, &self.model, &facts).map_err(|e| ApiError::RuleViolation {
                reason: "MISSING_REQUIRED_INPUTS",
                message: e.to_string(),
            })?;
        let previous = store::scores(tx, customer_id, None, 1)
            .await?
            .into_iter()
            .next();
        let mut score = convert::score_to_proto(&decision, customer_id, requested_proto);
        score.score_id = uuid::Uuid::now_v7().to_string();
        score.score_time = Some(to_timestamp(now));
        score.policy_version = version;
        score.model_version = self.model.version.clone();
        score.trigger = credit_proto::wire::<pb::ScoreTrigger>(trigger.name());
        store::insert_score(tx, &score, now).await?;
        let reasons: Vec<&str> = score.reasons.iter().map(|r| r.code.as_str()).collect();
        let contract = pb::CustomerScored {
            score_id: score.score_id.clone(),
            score: score.score,
            risk_class: score.risk_class.clone(),
            probability_of_default: score.probability_of_default.clone(),
            rejected: score.rejected,
            reasons: reasons.iter().map(|r| r.to_string()).collect(),
            recommended_limit: score
                .recommended_limit
                .as_ref()
                .and_then(|l| l.amount.clone()),
            policy_version: version,
            model_version: score.model_version.clone(),
            trigger: score.trigger,
            missing_inputs: score.missing_inputs.clone(),
        };
        outbox::append(
            tx,
            context,
            now,
            NewEvent {
                event_type: "credit.scoring.customer.scored",
                entity_type: "score",
                entity_id: score.score_id.clone(),
                customer_id: customer_id.to_string(),
                payload: Payload::of(&contract),
            },
        )
        .await?;
        let warned = match previous {
            Some(previous) => {
                self.early_warning(tx, now, context, &policy, &previous, &score)
                    .await?
            }
            None => false,
        };
        Ok((score, warned))
    }

    /// Raises an alert when the new score crossed into a worse class, dropped by the policy's
    /// points, rejected, or crossed the probability threshold.
    async fn early_warning(
        &self,
        tx: &mut AnyConnection,
        now: Micros,
        context: &RequestContext,
        policy: &Policy,
        previous: &pb::Score,
        current: &pb::Score,
    ) -> Result<bool, ApiError> {
        let rank = |class: &str| {
            policy
                .document
                .risk_classes
                .iter()
                .position(|b| b.class == class)
                .unwrap_or(usize::MAX)
        };
        let threshold = policy.document.early_warning.probability_above;
        let pd = |s: &pb::Score| {
            s.probability_of_default
                .parse::<Decimal>()
                .unwrap_or_default()
        };
        let mut signals = Vec::new();
        if rank(&current.risk_class) > rank(&previous.risk_class) {
            signals.push(format!(
                "risk class worsened from {} to {}",
                previous.risk_class, current.risk_class
            ));
        }
        let drop = previous.score - current.score;
        if drop >= policy.document.early_warning.score_drop {
            signals.push(format!(
                "score dropped {drop} points ({} → {})",
                previous.score, current.score
            ));
        }
        if pd(current) > threshold && pd(previous) <= threshold {
            signals.push(format!("probability of default rose above {threshold}"));
        }
        if current.rejected && !previous.rejected {
            signals.push("a hard rule now rejects the customer".into());
        }
        if signals.is_empty() {
            return Ok(false);
        }
        let standing = |s: &pb::Score| pb::ScoreStanding {
            score: s.score,
            risk_class: s.risk_class.clone(),
            probability_of_default: s.probability_of_default.clone(),
        };
        let contract = pb::EarlyWarningRaised {
            previous_score_id: previous.score_id.clone(),
            score_id: current.score_id.clone(),
            previous: Some(standing(previous)),
            current: Some(standing(current)),
            signals: signals.clone(),
            reasons: current.reasons.iter().map(|r| r.code.clone()).collect(),
            rejected: current.rejected,
            recommended_limit: current
                .recommended_limit
                .as_ref()
                .and_then(|l| l.amount.clone()),
        };
        outbox::append(
            tx,
            context,
            now,
            NewEvent {
                event_type: "credit.scoring.early_warning.raised",
                entity_type: "score",
                entity_id: current.score_id.clone(),
                customer_id: current.customer_id.clone(),
                payload: Payload::of(&contract),
            },
        )
        .await?;
        metrics::counter!("scoring_early_warnings_total").increment(1);
        Ok(true)
    }
}

impl Scoring {
    /// One score.
    pub async fn get_score(&self, score_id: &str) -> Result<pb::Score, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        store::score(&mut conn, score_id)
            .await?
            .ok_or_else(|| ApiError::NotFound {
                kind: "score",
                id: score_id.to_string(),
            })
    }

    /// A page of the customer's scores, newest first.
    pub async fn list_scores(
        &self,
        customer_id: &str,
        before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<pb::Score>, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        Ok(store::scores(&mut conn, customer_id, before, limit).await?)
    }
}
