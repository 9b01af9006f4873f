//! What is learnt about a customer — statements, references, bureau reports, payment
//! behaviour — recorded, each re-scoring a customer scored before.
use super::{Scoring, event};
use crate::convert;
use crate::domain::financials::{Ratios, altman_z};
use crate::store;
use credit_platform::begin_mutation;
use credit_platform::context::RequestContext;
use credit_platform::error::ApiError;
use credit_platform::outbox::{self, Payload};
use credit_platform::paging::PageRequest;
use credit_proto::scoring as pb;

impl Scoring {
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
                Payload::of(&pb::FinancialStatementRecorded {
                    period_end: convert::wire_date(&statement.period_end),
                    currency_code: statement.currency_code.clone(),
                    altman_z: z.as_ref().map(|z| z.score.to_string()).unwrap_or_default(),
                    flags: flags.iter().map(|f| f.code.clone()).collect(),
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
        page: &PageRequest,
    ) -> Result<pb::ListFinancialStatementsResponse, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let tolerance = self
            .active_policy(&mut conn)
            .await?
            .1
            .document
            .balance_tolerance;
        let mut statements =
            store::page_of_statements(&mut conn, customer_id, &page.after, page.fetch()).await?;
        let next_page_token = page.finish(&mut statements, |s| s.period_end.clone());
        Ok(pb::ListFinancialStatementsResponse {
            next_page_token,
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
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            event(
                "credit.scoring.references.recorded",
                &request.customer_id,
                Payload::of(&pb::ReferencesRecorded {
                    count: references.len() as i64,
                    sources: references
                        .iter()
                        .map(|r| format!("{}:{}", r.kind.name(), r.source))
                        .collect(),
                }),
            ),
        )
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
        report: crate::domain::bureau::BureauReport,
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
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            event(
                "credit.scoring.bureau_report.recorded",
                &request.customer_id,
                Payload::of(&pb::BureauReportRecorded {
                    provider: report.provider.clone(),
                    findings: Some(findings(&report)),
                }),
            ),
        )
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
                Payload::of(&pb::PaymentBehaviourRecorded {
                    average_days_beyond_terms: behaviour.average_days_beyond_terms.to_string(),
                    share_paid_late: behaviour.share_paid_late.to_string(),
                    disputes: behaviour.disputes,
                    broken_promises: behaviour.broken_promises,
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
        outbox::append(
            &mut tx,
            context,
            now,
            event(
                "credit.scoring.bureau_report.fetched",
                customer_id,
                Payload::of(&pb::BureauReportFetched {
                    providers: fetched.providers.clone(),
                    failed_providers: fetched.failures.clone(),
                    blocks: wanted.blocks.iter().map(|b| b.name().to_string()).collect(),
                    findings: Some(findings(&fetched.report)),
                }),
            ),
        )
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
}

/// What a bureau report said, for its events.
fn findings(report: &crate::domain::bureau::BureauReport) -> pb::BureauFindings {
    pb::BureauFindings {
        failure_score: report.failure_score,
        payment_index: report.payment_index,
        legal_events: report.legal_events.iter().map(|e| e.kind.clone()).collect(),
    }
}
