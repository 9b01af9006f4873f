//! The approval workflow: approvers act on their step (four eyes, who may approve, overrides
//! with reasons), the next step starts, and steps past their deadline escalate.
use super::outcome::with_notice;
use super::summary;
use super::{Applications, canonical};
use crate::convert::{
    amount_of, case_of_recommendation, decimal, kind_of, money_of, workflow_of, workflow_to_wire,
};
use crate::domain::policy::{Outcome, Policy};
use crate::domain::state::{Action, Kind, State};
use crate::domain::workflow::{Approval, ApprovalAction, Escalation};
use crate::store;
use credit_platform::auth::Caller;
use credit_platform::begin_mutation;
use credit_platform::clock::{add_months, to_timestamp};
use credit_platform::context::RequestContext;
use credit_platform::error::{ApiError, FieldViolation};
use credit_platform::mutation;
use credit_platform::outbox::{self, Payload};
use credit_platform::policies;
use credit_proto::applications as pb;
use credit_proto::types::Money as MoneyProto;
use credit_proto::wire;
use prost::Message;

impl Applications {
    /// An approver acts on the current step.
    pub async fn act(
        &self,
        context: &RequestContext,
        request: &impl Message,
        method: &'static str,
        application_id: &str,
        act: ApproverAct,
    ) -> Result<pb::Application, ApiError> {
        let mut m = begin_mutation!(&self.db, &*self.clock, context, method, request);
        let row = self
            .to_change(&mut m.tx, &context.caller.scope, application_id)
            .await?;
        row.state.allows(Action::Decide).map_err(ApiError::from)?;
        let mut app = self.clear(&row)?;
        let caller = &context.caller;
        let version = app
            .recommendation
            .as_ref()
            .map(|r| r.policy_version)
            .unwrap_or_default();
        let policy = {
            let stored = policies::get(&mut m.tx, version).await?.ok_or_else(|| {
                ApiError::Internal(anyhow::anyhow!("policy {version} of a submission missing"))
            })?;
            Policy::parse(&stored.document)
                .map_err(|p| ApiError::Internal(anyhow::anyhow!("stored policy invalid: {p:?}")))?
        };
        let mut workflow = workflow_of(&app)?;
        workflow.may_act(
            &caller.subject,
            &caller.roles,
            &app.created_by,
            &app.submitted_by,
            &app.edited_by,
        )?;
        let case = case_of_recommendation(&app);
        let recommendation = app
            .recommendation
            .as_ref()
            .and_then(|r| credit_proto::short_name::<pb::RecommendationOutcome>(r.outcome))
            .and_then(Outcome::from_name)
            .unwrap_or(Outcome::Refer);
        let now_ts = Some(to_timestamp(m.now));
        let mut events = Vec::new();
        match act {
            ApproverAct::Approve {
                mut approved_limit,
                payment_terms_days,
                conditions,
                comment,
                override_reason_code,
                override_comment,
            } => {
                let requested = app
                    .credit_request
                    .as_ref()
                    .and_then(|r| r.requested_limit.clone())
                    .unwrap_or_default();
                if let Some(limit) = &approved_limit {
                    let amount = decimal(&Some(limit.clone())).unwrap_or_default();
                    if limit.currency_code != requested.currency_code {
                        return Err(FieldViolation::new(
                            "approved_limit.currency_code",
                            format!(
                                "must be {}, the currency asked for",
                                requested.currency_code
                            ),
                        )
                        .into());
                    }
                    // A decrease may be approved anywhere up to the limit it cuts; anything
                    // else at most at the amount asked for.
                    let (ceiling, what) = match (kind_of(&app), &app.limit_change) {
                        (Kind::LimitDecrease, Some(change)) => (
                            change.current_limit.clone().unwrap_or_default(),
                            "the current limit",
                        ),
                        _ => (requested.clone(), "the amount asked for"),
                    };
                    if amount > decimal(&Some(ceiling.clone())).unwrap_or_default() {
                        return Err(FieldViolation::new(
                            "approved_limit.amount",
                            format!("at most {what} ({})", ceiling.amount),
                        )
                        .into());
                    }
                }
                canonical(&mut approved_limit);
                let approved = workflow.approve(
                    Approval {
                        approver: caller.subject.clone(),
                        action: ApprovalAction::Approve,
                        approved_limit: approved_limit.as_ref().map(amount_of),
                        payment_terms_days,
                        conditions,
                        reasons: Vec::new(),
                        comment,
                        acted_at: Some(m.now),
                    },
                    m.now,
                )?;
                events.push(self.event(
                    "credit.applications.approval.recorded",
                    &app,
                    Payload::of(&pb::ApprovalRecorded {
                        application: summary(&app),
                        level: approved.level.clone(),
                        approver: caller.subject.clone(),
                        action: wire::<pb::ApprovalAction>(ApprovalAction::Approve.name()),
                        step_complete: approved.step_complete,
                    }),
                ));
                if approved.decided {
                    // The deciding level approved: the final decision, on the terms the
                    // approvals set (what was asked where none did).
                    let terms = workflow.approved_terms();
                    let limit = terms.limit.as_ref().map(money_of).unwrap_or(requested);
                    let terms_days = if terms.payment_terms_days > 0 {
                        terms.payment_terms_days
                    } else {
                        app.credit_request
                            .as_ref()
                            .map(|r| r.payment_terms_days)
                            .unwrap_or_default()
                    };
                    let all_conditions = terms.conditions;
                    let amount = decimal(&Some(limit.clone()));
                    let overridden = policy.is_override(recommendation, &case, amount);
                    check_override(
                        &policy,
                        caller,
                        overridden,
                        &override_reason_code,
                        &override_comment,
                        &format!(
                            "approving {} {} departs from the recommendation",
                            limit.amount, limit.currency_code
                        ),
                    )?;
                    let risk_class = app
                        .recommendation
                        .as_ref()
                        .map(|r| r.risk_class.clone())
                        .unwrap_or_default();
                    app.final_decision = Some(pb::FinalDecision {
                        outcome: pb::DecisionOutcome::Approved as i32,
                        automatic: false,
                        approved_limit: Some(limit),
                        payment_terms_days: terms_days,
                        conditions: all_conditions,
                        reasons: Vec::new(),
                        overridden,
                        // Kept only where they explain a departure.
                        override_reason_code: if overridden {
                            override_reason_code.clone()
                        } else {
                            String::new()
                        },
                        override_comment: if overridden {
                            override_comment.clone()
                        } else {
                            String::new()
                        },
                        decided_by: caller.subject.clone(),
                        decide_time: now_ts,
                        policy_version: version,
                        review_time: Some(to_timestamp(add_months(
                            m.now,
                            policy.review_months(&risk_class) as i32,
                        ))),
                    });
                    app.state = pb::ApplicationState::Approved as i32;
                    events.push(self.decision_event(&app));
                    self.queue_limit(&mut m.tx, m.now, &mut app).await?;
                }
            }
            ApproverAct::Reject {
                reasons,
                comment,
                override_reason_code,
                override_comment,
            } => {
                let overridden = policy.is_override(recommendation, &case, None);
                check_override(
                    &policy,
                    caller,
                    overridden,
                    &override_reason_code,
                    &override_comment,
                    "rejecting departs from the recommendation to approve",
                )?;
                workflow.reject(Approval {
                    approver: caller.subject.clone(),
                    action: ApprovalAction::Reject,
                    approved_limit: None,
                    payment_terms_days: 0,
                    conditions: Vec::new(),
                    reasons: reasons.clone(),
                    comment,
                    acted_at: Some(m.now),
                })?;
                app.final_decision = Some(pb::FinalDecision {
                    outcome: pb::DecisionOutcome::Rejected as i32,
                    automatic: false,
                    reasons,
                    overridden,
                    override_reason_code: if overridden {
                        override_reason_code
                    } else {
                        String::new()
                    },
                    override_comment: if overridden {
                        override_comment
                    } else {
                        String::new()
                    },
                    decided_by: caller.subject.clone(),
                    decide_time: now_ts,
                    policy_version: version,
                    ..Default::default()
                });
                app.state = pb::ApplicationState::Rejected as i32;
                events.push(self.decision_event(&app));
            }
            ApproverAct::RequestInformation { questions } => {
                workflow.request_information(Approval {
                    approver: caller.subject.clone(),
                    action: ApprovalAction::RequestInformation,
                    approved_limit: None,
                    payment_terms_days: 0,
                    conditions: Vec::new(),
                    reasons: questions.clone(),
                    comment: String::new(),
                    acted_at: Some(m.now),
                })?;
                app.state = pb::ApplicationState::InformationRequested as i32;
                events.push(self.event(
                    "credit.applications.information.requested",
                    &app,
                    Payload::of(&pb::InformationRequested {
                        application: summary(&app),
                        questions: questions.clone(),
                        requested_by: caller.subject.clone(),
                    }),
                ));
            }
        }
        app.approval_steps = workflow_to_wire(&workflow);
        app.update_time = now_ts;
        with_notice(&mut app);
        let stored = self.to_row(&app, &row.created_by, row.created_at, m.now)?;
        store::update(&mut m.tx, &stored).await?;
        for event in events {
            outbox::append(&mut m.tx, context, m.now, event).await?;
        }
        let answer = self.view(&stored, caller)?;
        self.finish(m, &answer).await?;
        self.delivery.notify_one();
        Ok(answer)
    }

    /// Escalates every step overdue at the clock's now: the next level takes over (a new step
    /// when the overdue one was the last of the chain); at the top an overdue alarm is raised
    /// once. Answers how many applications were handled.
    pub async fn escalate_overdue(&self) -> Result<usize, ApiError> {
        let due = {
            let mut conn = self.db.pool.acquire().await?;
            store::overdue(&mut conn, self.clock.now(), 100).await?
        };
        for application_id in &due {
            mutation::with_retry(|| self.escalate(application_id)).await?;
        }
        Ok(due.len())
    }

    async fn escalate(&self, application_id: &str) -> Result<(), ApiError> {
        let mut tx = self.db.begin_write().await?;
        let now = self.clock.now();
        let Some(row) = store::get(&mut tx, application_id).await? else {
            return Ok(());
        };
        // Someone acted meanwhile: nothing is overdue any more.
        if row.state != State::InReview || row.due_at == 0 || row.due_at > now {
            return Ok(());
        }
        let mut app = self.clear(&row)?;
        let version = app
            .recommendation
            .as_ref()
            .map(|r| r.policy_version)
            .unwrap_or_default();
        let stored_policy = policies::get(&mut tx, version).await?.ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!("policy {version} of a submission missing"))
        })?;
        let policy = Policy::parse(&stored_policy.document)
            .map_err(|p| ApiError::Internal(anyhow::anyhow!("stored policy invalid: {p:?}")))?;
        let case = case_of_recommendation(&app);
        let mut workflow = workflow_of(&app)?;
        // When the deciding level is overdue, the level above decides.
        let above = match workflow.current() {
            Some(step) if !workflow.has_waiting() => policy.level_above(&case, &step.level),
            _ => None,
        };
        let context = RequestContext::system("escalation");
        let event = match workflow.escalate(now, above) {
            Escalation::Nothing => return Ok(()),
            Escalation::Escalated { from, to, due_at } => self.event(
                "credit.applications.step.escalated",
                &app,
                Payload::of(&pb::StepEscalated {
                    application: summary(&app),
                    from_level: from,
                    to_level: to,
                    due_time: due_at.map(to_timestamp),
                }),
            ),
            Escalation::Overdue { level, due_at } => self.event(
                "credit.applications.step.overdue",
                &app,
                Payload::of(&pb::StepOverdue {
                    application: summary(&app),
                    level,
                    due_time: due_at.map(to_timestamp),
                }),
            ),
        };
        app.approval_steps = workflow_to_wire(&workflow);
        app.update_time = Some(to_timestamp(now));
        let stored = self.to_row(&app, &row.created_by, row.created_at, now)?;
        store::update(&mut tx, &stored).await?;
        outbox::append(&mut tx, &context, now, event).await?;
        tx.commit().await?;
        self.signals.notify_committed();
        metrics::counter!("applications_steps_escalated_total").increment(1);
        Ok(())
    }
}

/// An approver's act.
#[derive(Debug, Clone)]
pub enum ApproverAct {
    /// Approve, maybe with another amount, terms or conditions.
    Approve {
        /// Amount approved.
        approved_limit: Option<MoneyProto>,
        /// Terms approved (0: as asked).
        payment_terms_days: i32,
        conditions: Vec<String>,
        comment: String,
        /// Override reason code.
        override_reason_code: String,
        /// Override comment.
        override_comment: String,
    },
    Reject {
        reasons: Vec<String>,
        comment: String,
        /// Override reason code.
        override_reason_code: String,
        /// Override comment.
        override_comment: String,
    },
    /// Return to the applicant.
    RequestInformation { questions: Vec<String> },
}

fn check_override(
    policy: &Policy,
    caller: &Caller,
    overridden: bool,
    reason_code: &str,
    comment: &str,
    what: &str,
) -> Result<(), ApiError> {
    if !overridden {
        return Ok(());
    }
    if !policy.may_override(&caller.roles) {
        return Err(ApiError::PermissionDenied(format!(
            "{what}: only {} may override",
            policy.document.override_roles.join(", ")
        )));
    }
    let mut missing = Vec::new();
    if reason_code.trim().is_empty() {
        missing.push(FieldViolation::new(
            "override_reason_code",
            format!("required: {what}"),
        ));
    }
    if comment.trim().is_empty() {
        missing.push(FieldViolation::new(
            "override_comment",
            format!("required: {what}"),
        ));
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ApiError::InvalidArgument(missing))
    }
}
