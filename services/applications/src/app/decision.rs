//! Submission: the applicant scored (before the transaction: scoring is idempotent by derived
//! request ids), the case decided under the active policy, the approval steps the authority
//! matrix asks for, and an approved limit queued for limits in the same transaction.
use super::outcome::with_notice;
use super::summary;
use super::{Applications, not_found};
use crate::convert::{case_of, kind_of, workflow_to_wire};
use crate::domain::policy::{Outcome, Policy};
use crate::domain::state::Action;
use crate::domain::workflow::Workflow;
use crate::store::{self, LimitInstruction};
use credit_platform::begin_mutation;
use credit_platform::clock::{Micros, add_months, to_timestamp};
use credit_platform::context::RequestContext;
use credit_platform::error::ApiError;
use credit_platform::outbox::{self, NewEvent, Payload};
use credit_platform::policies;
use credit_platform::scope::{self, CustomerScope};
use credit_proto::applications as pb;
use credit_proto::limits as lpb;
use credit_proto::wire;
use sqlx::AnyConnection;

/// The place of the customer's account in limits.
pub(crate) fn place_of(account: &lpb::CreditAccount) -> CustomerScope {
    CustomerScope {
        region: account.region.clone(),
        business_unit: account.business_unit.clone(),
    }
}

/// Takes the region and business unit that route `app` through the authority matrix from the
/// customer's master data: an applicant cannot choose its approvers by what intake types.
pub(crate) fn route_by(app: &mut pb::Application, place: &CustomerScope) {
    if let Some(applicant) = app.applicant.as_mut() {
        applicant.region = place.region.clone();
        applicant.business_unit = place.business_unit.clone();
    }
}

impl Applications {
    /// The customer's region and business unit as limits' master data has them: asked of
    /// limits; while limits does not answer, the copy this service keeps from limits' feed.
    /// None for a customer limits does not know (its intake routes it).
    async fn master_data(&self, customer_id: &str) -> Result<Option<CustomerScope>, ApiError> {
        let Some(limits) = &self.limits else {
            return Ok(None);
        };
        match limits.account(customer_id).await {
            Ok(account) => Ok(account.as_ref().map(place_of)),
            Err(ApiError::Unavailable(why)) => {
                tracing::warn!(%customer_id, %why,
                    "limits did not answer: routing by the copy of its master data");
                let mut conn = self.db.pool.acquire().await?;
                scope::of_customer(&mut conn, customer_id).await
            }
            Err(other) => Err(other),
        }
    }

    /// The active decision policy with its version.
    pub(crate) async fn active_policy(
        &self,
        conn: &mut AnyConnection,
    ) -> Result<(i64, Policy), ApiError> {
        let version = policies::active_version(conn)
            .await?
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no active decision policy")))?;
        let row = policies::get(conn, version)
            .await?
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("policy {version} missing")))?;
        let policy = Policy::parse(&row.document).map_err(|p| {
            ApiError::Internal(anyhow::anyhow!("stored policy {version} invalid: {p:?}"))
        })?;
        Ok((version, policy))
    }

    /// Submits: validates completeness, scores, decides or refers.
    pub async fn submit(
        &self,
        context: &RequestContext,
        request: &pb::SubmitApplicationRequest,
        check_complete: impl Fn(&pb::Application) -> Result<(), ApiError>,
    ) -> Result<pb::Application, ApiError> {
        let scoring = self.scoring.as_ref().ok_or_else(|| {
            ApiError::StateConflict(
                "applications is not connected to scoring: set APPLICATIONS_SCORING_URL".into(),
            )
        })?;
        // Read and score outside the write transaction: scoring may take a while, and its
        // answers are idempotent (request ids derived from this request's).
        let before = {
            let mut conn = self.db.pool.acquire().await?;
            self.to_change(&mut conn, &context.caller.scope, &request.application_id)
                .await?
        };
        let app = self.clear(&before)?;
        if before.state.allows(Action::Submit).is_ok() {
            check_complete(&app)?;
        }
        let score = if before.state.allows(Action::Submit).is_ok() {
            Some(scoring.assess(&app, &request.request_id).await?)
        } else {
            None
        };
        // The authority matrix routes by the customer's master data in limits: what intake
        // typed routes only a customer limits does not know yet.
        let master = self.master_data(&app.customer_id).await?;
        let mut m = begin_mutation!(
            &self.db,
            &*self.clock,
            context,
            "SubmitApplication",
            request
        );
        let row = store::get(&mut m.tx, &request.application_id)
            .await?
            .ok_or_else(|| not_found(&request.application_id))?;
        row.state.allows(Action::Submit).map_err(ApiError::from)?;
        let (Some(score), true) = (score, row.updated_at == before.updated_at) else {
            return Err(ApiError::StateConflict(
                "the application changed while it was being scored; submit it again".into(),
            ));
        };
        let mut app = self.clear(&row)?;
        if let Some(place) = &master {
            route_by(&mut app, place);
            scope::record(&mut m.tx, &app.customer_id, place, m.now).await?;
        }
        let (version, policy) = self.active_policy(&mut m.tx).await?;
        let events = self
            .decide(
                &mut m.tx,
                m.now,
                &mut app,
                &score,
                version,
                &policy,
                &context.caller.subject,
            )
            .await?;
        with_notice(&mut app);
        let stored = self.to_row(&app, &row.created_by, row.created_at, m.now)?;
        store::update(&mut m.tx, &stored).await?;
        for event in events {
            outbox::append(&mut m.tx, context, m.now, event).await?;
        }
        let answer = self.view(&stored, &context.caller)?;
        self.finish(m, &answer).await?;
        self.delivery.notify_one();
        Ok(answer)
    }

    /// Applies the decision policy to a scored submission: the recommendation, then the
    /// automatic decision (and the limit queued for limits) or the approval chain. Answers the
    /// events to append.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn decide(
        &self,
        tx: &mut AnyConnection,
        now: Micros,
        app: &mut pb::Application,
        score: &credit_proto::scoring::Score,
        version: i64,
        policy: &Policy,
        submitter: &str,
    ) -> Result<Vec<NewEvent>, ApiError> {
        let case = case_of(app, score);
        let (outcome, reasons) = policy.recommend(&case);
        app.submission_count += 1;
        app.submitted_by = submitter.to_string();
        app.submit_time = Some(to_timestamp(now));
        app.update_time = app.submit_time;
        if app.first_submit_time.is_none() {
            app.first_submit_time = app.submit_time;
        }
        app.final_decision = None;
        app.approval_steps.clear();
        app.recommendation = Some(pb::Recommendation {
            outcome: wire::<pb::RecommendationOutcome>(outcome.name()),
            reasons: reasons.iter().map(|r| r.to_string()).collect(),
            score_id: score.score_id.clone(),
            risk_class: score.risk_class.clone(),
            score: score.score,
            probability_of_default: score.probability_of_default.clone(),
            recommended_limit: score
                .recommended_limit
                .as_ref()
                .and_then(|l| l.amount.clone()),
            scoring_rejected: score.rejected,
            score_reasons: score.reasons.iter().take(5).cloned().collect(),
            policy_version: version,
        });
        let mut events = vec![self.event(
            "credit.applications.application.submitted",
            app,
            Payload::of(&pb::ApplicationSubmitted {
                application: summary(app),
                risk_class: score.risk_class.clone(),
                score: score.score,
                score_id: score.score_id.clone(),
                recommendation: wire::<pb::RecommendationOutcome>(outcome.name()),
                reasons: reasons.iter().map(|r| r.to_string()).collect(),
                policy_version: version,
            }),
        )];
        if policy.decides_alone(outcome) {
            let request = app.credit_request.clone().unwrap_or_default();
            let approved = outcome == Outcome::Approve;
            app.final_decision = Some(pb::FinalDecision {
                outcome: if approved {
                    pb::DecisionOutcome::Approved
                } else {
                    pb::DecisionOutcome::Rejected
                } as i32,
                automatic: true,
                approved_limit: if approved {
                    request.requested_limit.clone()
                } else {
                    None
                },
                payment_terms_days: if approved {
                    request.payment_terms_days
                } else {
                    0
                },
                conditions: Vec::new(),
                reasons: reasons.iter().map(|r| r.to_string()).collect(),
                overridden: false,
                override_reason_code: String::new(),
                override_comment: String::new(),
                decided_by: "system".into(),
                decide_time: Some(to_timestamp(now)),
                policy_version: version,
                review_time: approved.then(|| {
                    to_timestamp(add_months(
                        now,
                        policy.review_months(&score.risk_class) as i32,
                    ))
                }),
            });
            app.state = if approved {
                pb::ApplicationState::Approved
            } else {
                pb::ApplicationState::Rejected
            } as i32;
            events.push(self.decision_event(app));
            if approved {
                self.queue_limit(tx, now, app).await?;
            }
        } else {
            app.approval_steps = workflow_to_wire(&Workflow::plan(policy.chain(&case), now));
            app.state = pb::ApplicationState::InReview as i32;
            events.push(self.event(
                "credit.applications.application.referred",
                app,
                Payload::of(&pb::ApplicationReferred {
                    application: summary(app),
                    levels: app.approval_steps.iter().map(|s| s.level.clone()).collect(),
                }),
            ));
        }
        Ok(events)
    }

    pub(crate) fn decision_event(&self, app: &pb::Application) -> NewEvent {
        let d = app.final_decision.clone().unwrap_or_default();
        let approved = d.outcome() == pb::DecisionOutcome::Approved;
        self.event(
            if approved {
                "credit.applications.application.approved"
            } else {
                "credit.applications.application.rejected"
            },
            app,
            Payload::of(&pb::ApplicationDecided {
                application: summary(app),
                decision: Some(d),
                recommendation: app.recommendation.as_ref().map_or(0, |r| r.outcome),
            }),
        )
    }

    /// Queues the approved limit (or limit change) for limits in the approval's transaction,
    /// and moves the customer's review schedule onto this application.
    pub(super) async fn queue_limit(
        &self,
        tx: &mut AnyConnection,
        now: Micros,
        app: &mut pb::Application,
    ) -> Result<(), ApiError> {
        let d = app.final_decision.clone().unwrap_or_default();
        let limit = d.approved_limit.clone().unwrap_or_default();
        let applicant = app.applicant.clone().unwrap_or_default();
        let change = app.limit_change.clone().unwrap_or_default();
        let instruction = LimitInstruction {
            instruction_id: uuid::Uuid::now_v7().to_string(),
            application_id: app.application_id.clone(),
            customer_id: app.customer_id.clone(),
            name: applicant.legal_name.clone(),
            currency_code: limit.currency_code.clone(),
            amount: limit.amount.clone(),
            segment: applicant.segment.clone(),
            region: applicant.region.clone(),
            business_unit: applicant.business_unit.clone(),
            parent_customer_id: applicant.parent_customer_id.clone(),
            reason: format!(
                "credit application {} ({}) approved by {}",
                app.application_id,
                kind_of(app).name(),
                d.decided_by
            ),
            kind: kind_of(app),
            temporary_end: change
                .temporary_end_time
                .as_ref()
                .and_then(credit_platform::clock::from_timestamp),
            trace_parent: credit_platform::telemetry::current_traceparent().unwrap_or_default(),
            approved_by: approvers(app),
        };
        store::insert_instruction(tx, &instruction, now).await?;
        // The newest approval carries the customer's next review.
        store::unschedule_other_reviews(tx, &app.customer_id, &app.application_id).await?;
        app.limit_setting = Some(pb::LimitSetting {
            state: pb::LimitSettingState::Pending as i32,
            attempts: 0,
            last_error: String::new(),
            done_time: None,
        });
        Ok(())
    }
}

/// Who approved an application: every approver of its workflow, in order, or — decided by
/// policy, with no workflow — the decision's maker ("system").
fn approvers(app: &pb::Application) -> Vec<String> {
    let mut approvers: Vec<String> = Vec::new();
    for approval in app.approval_steps.iter().flat_map(|s| &s.approvals) {
        if approval.action() == pb::ApprovalAction::Approve
            && !approvers.contains(&approval.approver)
        {
            approvers.push(approval.approver.clone());
        }
    }
    if approvers.is_empty() {
        let decided_by = app
            .final_decision
            .as_ref()
            .map(|d| d.decided_by.clone())
            .unwrap_or_default();
        approvers.push(if decided_by.is_empty() {
            "system".into()
        } else {
            decided_by
        });
    }
    approvers
}
