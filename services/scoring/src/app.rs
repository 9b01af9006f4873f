//! The scoring service's use cases: each mutation one transaction with its event; new
//! information about a scored customer re-scores it in the same transaction and raises an
//! early warning when the risk got materially worse.
use crate::bureau::Bureaus;
use crate::convert;
use crate::domain::decision::{Facts, decide};
use crate::domain::financials::{Ratios, altman_z};
use crate::domain::policy::{DEFAULT_POLICY, Policy};
use crate::model::Scorecard;
use crate::store;
use credit_platform::begin_mutation;
use credit_platform::clock::{Micros, SharedClock, to_timestamp};
use credit_platform::context::RequestContext;
use credit_platform::db::Db;
use credit_platform::error::{ApiError, FieldViolation};
use credit_platform::mutation::{self, Mutation};
use credit_platform::outbox::{self, FeedSignals, NewEvent};
use credit_platform::policies;
use credit_proto::scoring as pb;
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::AnyConnection;
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

fn event(event_type: &'static str, customer_id: &str, payload: serde_json::Value) -> NewEvent {
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

    /// Installs the default policy as version 1 when there is none (first start).
    pub async fn bootstrap_policy(&self) -> Result<(), ApiError> {
        let policy = Policy::parse(DEFAULT_POLICY)
            .map_err(|p| ApiError::Internal(anyhow::anyhow!("default policy invalid: {p:?}")))?;
        let name = policy.document.name.clone();
        policies::bootstrap(
            &self.db,
            &*self.clock,
            &self.signals,
            &name,
            DEFAULT_POLICY,
            |version| NewEvent {
                event_type: "credit.scoring.policy.activated",
                entity_type: "policy",
                entity_id: version.to_string(),
                customer_id: String::new(),
                payload: json!({"version": version, "name": name}),
            },
        )
        .await
    }

    /// Records a statement; re-scores a customer scored before.
    pub async fn put_statement(
        &self,
        context: &RequestContext,
        request: &pb::PutFinancialStatementRequest,
        statement: crate::domain::financials::Statement,
    ) -> Result<pb::FinancialStatementAnalysis, ApiError> {
        let mut m = begin_mutation!(
            &self.db,
            &*self.clock,
            context,
            "PutFinancialStatement",
            request
        );
        store::put_statement(
            &mut m.tx,
            &request.customer_id,
            &statement,
            m.now,
            &context.caller.subject,
        )
        .await?;
        let policy = self.active_policy(&mut m.tx).await?.1;
        let flags = statement.flags(policy.document.balance_tolerance);
        let ratios = Ratios::of(&statement);
        let z = altman_z(&statement);
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            event(
                "credit.scoring.financial_statement.recorded",
                &request.customer_id,
                json!({
                    "period_end": statement.period_end,
                    "currency_code": statement.currency_code,
                    "altman_z": z.as_ref().map(|z| z.score.to_string()),
                    "flags": flags.iter().map(|f| f.code.clone()).collect::<Vec<_>>(),
                }),
            ),
        )
        .await?;
        self.rescore_if_known(&mut m.tx, m.now, context, &request.customer_id)
            .await?;
        let answer = pb::FinancialStatementAnalysis {
            customer_id: request.customer_id.clone(),
            statement: Some(convert::statement_to_proto(&statement)),
            ratios: Some(convert::ratios_to_proto(&ratios)),
            altman_z: z.as_ref().map(convert::altman_to_proto),
            flags: convert::flags_to_proto(&flags),
        };
        self.finish(m, &answer).await?;
        Ok(answer)
    }

    /// The customer's statements with their analysis.
    pub async fn list_statements(
        &self,
        customer_id: &str,
    ) -> Result<pb::ListFinancialStatementsResponse, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let tolerance = self
            .active_policy(&mut conn)
            .await?
            .1
            .document
            .balance_tolerance;
        let statements = store::statements(&mut conn, customer_id).await?;
        Ok(pb::ListFinancialStatementsResponse {
            statements: statements
                .iter()
                .map(|s| pb::FinancialStatementAnalysis {
                    customer_id: customer_id.to_string(),
                    statement: Some(convert::statement_to_proto(s)),
                    ratios: Some(convert::ratios_to_proto(&Ratios::of(s))),
                    altman_z: altman_z(s).as_ref().map(convert::altman_to_proto),
                    flags: convert::flags_to_proto(&s.flags(tolerance)),
                })
                .collect(),
        })
    }

    /// Replaces the references; re-scores a customer scored before.
    pub async fn put_references(
        &self,
        context: &RequestContext,
        request: &pb::PutReferencesRequest,
        references: Vec<crate::domain::decision::Reference>,
    ) -> Result<pb::PutReferencesResponse, ApiError> {
        let mut m = begin_mutation!(&self.db, &*self.clock, context, "PutReferences", request);
        store::put_references(&mut m.tx, &request.customer_id, &references, m.now).await?;
        outbox::append(&mut m.tx, context, m.now, event("credit.scoring.references.recorded", &request.customer_id, json!({
            "count": references.len(),
            "sources": references.iter().map(|r| format!("{}:{}", r.kind, r.source)).collect::<Vec<_>>(),
        })))
        .await?;
        self.rescore_if_known(&mut m.tx, m.now, context, &request.customer_id)
            .await?;
        let answer = pb::PutReferencesResponse {
            reference_count: references.len() as i32,
        };
        self.finish(m, &answer).await?;
        Ok(answer)
    }

    /// Records a bureau report; re-scores a customer scored before.
    pub async fn put_bureau_report(
        &self,
        context: &RequestContext,
        request: &pb::PutBureauReportRequest,
        report: crate::domain::decision::BureauReport,
    ) -> Result<pb::PutBureauReportResponse, ApiError> {
        let mut m = begin_mutation!(&self.db, &*self.clock, context, "PutBureauReport", request);
        let reported_at = request
            .report
            .as_ref()
            .and_then(|r| r.report_time.as_ref())
            .and_then(credit_platform::clock::from_timestamp)
            .unwrap_or(m.now);
        store::put_bureau_report(&mut m.tx, &request.customer_id, &report, reported_at, m.now)
            .await?;
        outbox::append(&mut m.tx, context, m.now, event("credit.scoring.bureau_report.recorded", &request.customer_id, json!({
            "provider": report.provider,
            "failure_score": report.failure_score,
            "payment_index": report.payment_index,
            "legal_events": report.legal_events.iter().map(|e| e.kind.clone()).collect::<Vec<_>>(),
        })))
        .await?;
        self.rescore_if_known(&mut m.tx, m.now, context, &request.customer_id)
            .await?;
        let answer = pb::PutBureauReportResponse {};
        self.finish(m, &answer).await?;
        Ok(answer)
    }

    /// Records payment behaviour; re-scores a customer scored before.
    pub async fn put_payment_behaviour(
        &self,
        context: &RequestContext,
        request: &pb::PutPaymentBehaviourRequest,
        behaviour: crate::domain::decision::PaymentBehaviour,
    ) -> Result<pb::PutPaymentBehaviourResponse, ApiError> {
        let mut m = begin_mutation!(
            &self.db,
            &*self.clock,
            context,
            "PutPaymentBehaviour",
            request
        );
        store::put_payment_behaviour(&mut m.tx, &request.customer_id, &behaviour, m.now).await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            event(
                "credit.scoring.payment_behaviour.recorded",
                &request.customer_id,
                json!({
                    "average_days_beyond_terms": behaviour.average_days_beyond_terms.to_string(),
                    "share_paid_late": behaviour.share_paid_late.to_string(),
                    "disputes": behaviour.disputes,
                    "broken_promises": behaviour.broken_promises,
                }),
            ),
        )
        .await?;
        self.rescore_if_known(&mut m.tx, m.now, context, &request.customer_id)
            .await?;
        let answer = pb::PutPaymentBehaviourResponse {};
        self.finish(m, &answer).await?;
        Ok(answer)
    }

    /// Fetches the customer's bureau report when the policy wants bureau data and the stored
    /// report is missing or older than the policy allows (always when `force`). Runs outside any
    /// transaction: a slow bureau must not hold the database. Returns whether a report was
    /// fetched.
    pub async fn refresh_bureau(
        &self,
        context: &RequestContext,
        customer_id: &str,
        force: bool,
    ) -> Result<bool, ApiError> {
        if self.bureaus.is_empty() {
            return Ok(false);
        }
        let (policy, recorded_at) = {
            let mut conn = self.db.pool.acquire().await?;
            let policy = self.active_policy(&mut conn).await?.1;
            let recorded_at = store::bureau_report_recorded_at(&mut conn, customer_id).await?;
            (policy, recorded_at)
        };
        let Some(wanted) = policy.document.bureau.clone() else {
            return Ok(false);
        };
        let max_age = i64::from(wanted.max_age_days) * 86_400_000_000;
        if !force && recorded_at.is_some_and(|at| self.clock.now() - at < max_age) {
            metrics::counter!("scoring_bureau_reports_reused_total").increment(1);
            return Ok(false);
        }
        let Some(fetched) = self
            .bureaus
            .fetch(customer_id, &wanted.blocks, &wanted.providers)
            .await
        else {
            return Ok(false);
        };
        let mut tx = self.db.begin_write().await?;
        let now = self.clock.now();
        store::put_bureau_report(&mut tx, customer_id, &fetched.report, now, now).await?;
        outbox::append(&mut tx, context, now, event("credit.scoring.bureau_report.fetched", customer_id, json!({
            "providers": fetched.providers,
            "failed_providers": fetched.failures,
            "blocks": wanted.blocks.iter().map(|b| b.name()).collect::<Vec<_>>(),
            "failure_score": fetched.report.failure_score,
            "payment_index": fetched.report.payment_index,
            "legal_events": fetched.report.legal_events.iter().map(|e| e.kind.clone()).collect::<Vec<_>>(),
        })))
        .await?;
        tx.commit().await?;
        self.signals.notify_committed();
        Ok(true)
    }

    /// A bureau's monitoring reported a change: fetch again and re-score a known customer.
    pub async fn notify_bureau_change(
        &self,
        context: &RequestContext,
        customer_id: &str,
    ) -> Result<pb::NotifyBureauChangeResponse, ApiError> {
        let refreshed = self.refresh_bureau(context, customer_id, true).await?;
        let mut score = None;
        if refreshed {
            let mut tx = self.db.begin_write().await?;
            let now = self.clock.now();
            self.rescore_if_known(&mut tx, now, context, customer_id)
                .await?;
            score = store::scores(&mut tx, customer_id, None, 1)
                .await?
                .into_iter()
                .next();
            tx.commit().await?;
            self.signals.notify_committed();
        }
        Ok(pb::NotifyBureauChangeResponse { refreshed, score })
    }

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

    async fn active_policy(&self, conn: &mut AnyConnection) -> Result<(i64, Policy), ApiError> {
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

    async fn rescore_if_known(
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
        score.trigger = trigger.name().into();
        store::insert_score(tx, &score, now).await?;
        let reasons: Vec<&str> = score.reasons.iter().map(|r| r.code.as_str()).collect();
        outbox::append(tx, context, now, NewEvent {
            event_type: "credit.scoring.customer.scored",
            entity_type: "score",
            entity_id: score.score_id.clone(),
            customer_id: customer_id.to_string(),
            payload: json!({
                "score_id": score.score_id,
                "score": score.score,
                "risk_class": score.risk_class,
                "probability_of_default": score.probability_of_default,
                "rejected": score.rejected,
                "reasons": reasons,
                "recommended_limit": score.recommended_limit.as_ref().and_then(|l| l.amount.as_ref()).map(|a| format!("{} {}", a.amount, a.currency_code)),
                "policy_version": version,
                "model_version": score.model_version,
                "trigger": score.trigger,
                "missing_inputs": score.missing_inputs,
            }),
        })
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
        outbox::append(tx, context, now, NewEvent {
            event_type: "credit.scoring.early_warning.raised",
            entity_type: "score",
            entity_id: current.score_id.clone(),
            customer_id: current.customer_id.clone(),
            payload: json!({
                "previous_score_id": previous.score_id,
                "score_id": current.score_id,
                "previous": {"score": previous.score, "risk_class": previous.risk_class, "probability_of_default": previous.probability_of_default},
                "current": {"score": current.score, "risk_class": current.risk_class, "probability_of_default": current.probability_of_default},
                "signals": signals,
                "reasons": current.reasons.iter().map(|r| r.code.clone()).collect::<Vec<_>>(),
                "rejected": current.rejected,
                // What the customer's limit should be now (applications proposes a decrease
                // from it).
                "recommended_limit": current.recommended_limit.as_ref().and_then(|l| l.amount.as_ref())
                    .map(|m| json!({"amount": m.amount, "currency_code": m.currency_code})),
            }),
        })
        .await?;
        metrics::counter!("scoring_early_warnings_total").increment(1);
        Ok(true)
    }

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

    /// Validates and stores a policy document as the next version.
    pub async fn upload_policy(
        &self,
        context: &RequestContext,
        request: &pb::UploadPolicyRequest,
    ) -> Result<pb::Policy, ApiError> {
        let policy = Policy::parse(&request.document_json).map_err(|problems| {
            ApiError::InvalidArgument(
                problems
                    .into_iter()
                    .map(|p| FieldViolation::new(format!("document_json.{}", p.field), p.message))
                    .collect(),
            )
        })?;
        let mut m = begin_mutation!(&self.db, &*self.clock, context, "UploadPolicy", request);
        let version = policies::insert(
            &mut m.tx,
            &policy.document.name,
            &request.document_json,
            &context.caller.subject,
            m.now,
        )
        .await?;
        let mut events = vec!["credit.scoring.policy.uploaded"];
        if request.activate {
            policies::activate(&mut m.tx, version).await?;
            events.push("credit.scoring.policy.activated");
        }
        for event_type in events {
            outbox::append(
                &mut m.tx,
                context,
                m.now,
                NewEvent {
                    event_type,
                    entity_type: "policy",
                    entity_id: version.to_string(),
                    customer_id: String::new(),
                    payload: json!({"version": version, "name": policy.document.name}),
                },
            )
            .await?;
        }
        let answer = pb::Policy {
            version,
            name: policy.document.name.clone(),
            document_json: request.document_json.clone(),
            active: request.activate,
            uploaded_by: context.caller.subject.clone(),
            upload_time: Some(to_timestamp(m.now)),
        };
        self.finish(m, &answer).await?;
        Ok(answer)
    }

    /// The active policy (version 0) or one version.
    pub async fn get_policy(&self, version: i64) -> Result<pb::Policy, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let (row, active) = policies::resolve(&mut conn, version, "policy version").await?;
        let version = row.version;
        Ok(policy_to_proto(row, active.then_some(version)))
    }

    /// Every policy version.
    pub async fn list_policies(&self) -> Result<Vec<pb::Policy>, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let active = policies::active_version(&mut conn).await?;
        Ok(policies::list(&mut conn)
            .await?
            .into_iter()
            .map(|row| policy_to_proto(row, active))
            .collect())
    }
}

fn policy_to_proto(row: policies::PolicyVersion, active: Option<i64>) -> pb::Policy {
    pb::Policy {
        active: Some(row.version) == active,
        version: row.version,
        name: row.name,
        document_json: row.document,
        uploaded_by: row.uploaded_by,
        upload_time: Some(to_timestamp(row.uploaded_at)),
    }
}
