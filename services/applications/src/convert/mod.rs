//! The wire's application in the domain's terms: its state and kind, the case the decision
//! policy decides on, amounts as decimals.
mod application;

use crate::domain::credit_case::{Amount, CaseCheck, CheckOutcome, CreditCase};
use crate::domain::policy::Case;
use crate::domain::review::ReviewCase;
use crate::domain::state::{Kind, State};
use crate::domain::workflow::{Approval, ApprovalAction, Step, StepState, Workflow};
pub use application::{
    application_of, application_to_wire, kind_to_wire, sensitive_of, sensitive_to_wire,
};
use credit_platform::clock::{from_timestamp, to_timestamp};
use credit_platform::error::ApiError;
use credit_proto::applications as pb;
use credit_proto::limits as lpb;
use credit_proto::types::Money as MoneyProto;
use credit_proto::{short_name, wire};
use rust_decimal::Decimal;
use std::str::FromStr;

pub fn money_text(m: &Option<MoneyProto>) -> String {
    m.as_ref()
        .map(|m| format!("{} {}", m.amount, m.currency_code))
        .unwrap_or_default()
}

pub fn decimal(m: &Option<MoneyProto>) -> Option<Decimal> {
    m.as_ref().and_then(|m| Decimal::from_str(&m.amount).ok())
}

/// The state an application's wire form says.
pub fn state_of(app: &pb::Application) -> State {
    match pb::ApplicationState::try_from(app.state) {
        Ok(pb::ApplicationState::InReview) => State::InReview,
        Ok(pb::ApplicationState::InformationRequested) => State::InformationRequested,
        Ok(pb::ApplicationState::Approved) => State::Approved,
        Ok(pb::ApplicationState::Rejected) => State::Rejected,
        Ok(pb::ApplicationState::Withdrawn) => State::Withdrawn,
        _ => State::Draft,
    }
}

/// What the policy decides on, from the application and its score.
pub fn case_of(app: &pb::Application, score: &credit_proto::scoring::Score) -> Case {
    let request = app.credit_request.clone().unwrap_or_default();
    let applicant = app.applicant.clone().unwrap_or_default();
    let requested = request.requested_limit.clone().unwrap_or_default();
    Case {
        risk_class: score.risk_class.clone(),
        scoring_rejected: score.rejected,
        recommended_limit: score
            .recommended_limit
            .as_ref()
            .and_then(|l| l.amount.as_ref())
            .filter(|m| m.currency_code == requested.currency_code)
            .and_then(|m| Decimal::from_str(&m.amount).ok()),
        amount: Decimal::from_str(&requested.amount).unwrap_or_default(),
        currency: requested.currency_code,
        payment_terms_days: u32::try_from(request.payment_terms_days).unwrap_or_default(),
        region: applicant.region,
        business_unit: applicant.business_unit,
        decrease: kind_of(app) == Kind::LimitDecrease,
        early_warning: app
            .limit_change
            .as_ref()
            .is_some_and(|c| !c.early_warning_score_id.is_empty()),
    }
}

/// What an application asks for (unset reads as a new customer's credit).
pub fn kind_of(app: &pb::Application) -> Kind {
    match pb::ApplicationKind::try_from(app.kind) {
        Ok(pb::ApplicationKind::LimitIncrease) => Kind::LimitIncrease,
        Ok(pb::ApplicationKind::TemporaryIncrease) => Kind::TemporaryIncrease,
        Ok(pb::ApplicationKind::LimitDecrease) => Kind::LimitDecrease,
        _ => Kind::NewCredit,
    }
}

/// The case as recorded at submission (for the override rule at decision time).
pub fn case_of_recommendation(app: &pb::Application) -> Case {
    let r = app.recommendation.clone().unwrap_or_default();
    let score = credit_proto::scoring::Score {
        risk_class: r.risk_class,
        rejected: r.scoring_rejected,
        recommended_limit: Some(credit_proto::scoring::RecommendedLimit {
            amount: r.recommended_limit,
            ..Default::default()
        }),
        ..Default::default()
    };
    case_of(app, &score)
}

/// An amount of the wire as a case keeps it.
pub fn amount_of(money: &MoneyProto) -> Amount {
    Amount {
        amount: Decimal::from_str(&money.amount).unwrap_or_default(),
        currency: money.currency_code.clone(),
    }
}

/// An amount a case keeps, for the wire.
pub fn money_of(amount: &Amount) -> MoneyProto {
    MoneyProto {
        amount: amount.amount.to_string(),
        currency_code: amount.currency.clone(),
    }
}

/// A credit check's answer as a case keeps it, with who asked for it.
pub fn case_check(answer: &lpb::CheckCreditResponse, by: &str) -> CaseCheck {
    CaseCheck {
        decision_id: answer.decision_id.clone(),
        outcome: if answer.outcome == lpb::CheckOutcome::Approved as i32 {
            CheckOutcome::Approved
        } else {
            CheckOutcome::Rejected
        },
        reasons: answer
            .reasons
            .iter()
            .filter_map(|r| short_name::<lpb::CheckReason>(*r))
            .map(str::to_string)
            .collect(),
        available_before: answer.available_before.as_ref().map(amount_of),
        max_approvable: answer.max_approvable_amount.as_ref().map(amount_of),
        checked_by: by.to_string(),
        checked_at: answer.decide_time.as_ref().and_then(from_timestamp),
    }
}

/// A credit case for the wire.
pub fn credit_case_to_wire(case: &CreditCase) -> pb::CreditCase {
    pb::CreditCase {
        case_id: case.case_id.clone(),
        customer_id: case.customer_id.clone(),
        order_id: case.order_id.clone(),
        order_amount: Some(money_of(&case.order_amount)),
        checked_amount: Some(money_of(&case.checked_amount)),
        state: wire::<pb::CreditCaseState>(case.state.name()),
        checks: case
            .checks
            .iter()
            .map(|c| pb::CaseCheck {
                decision_id: c.decision_id.clone(),
                outcome: wire::<lpb::CheckOutcome>(c.outcome.name()),
                reasons: c
                    .reasons
                    .iter()
                    .map(|r| wire::<lpb::CheckReason>(r))
                    .collect(),
                available_before: c.available_before.as_ref().map(money_of),
                max_approvable_amount: c.max_approvable.as_ref().map(money_of),
                checked_by: c.checked_by.clone(),
                check_time: c.checked_at.map(to_timestamp),
            })
            .collect(),
        inputs_json: case.inputs_json.clone(),
        referred_by: case.referred_by.clone(),
        refer_time: Some(to_timestamp(case.referred_at)),
        resolution: case
            .resolution
            .map_or(0, |r| wire::<pb::CreditCaseResolution>(r.name())),
        resolved_by: case.resolved_by.clone(),
        resolve_time: case.resolved_at.map(to_timestamp),
        comment: case.comment.clone(),
        reservation_id: case.reservation_id.clone(),
        required_level: case.required_level.clone(),
        release_roles: case.release_roles.clone(),
    }
}

/// A review case for the wire.
pub fn review_case_to_wire(case: &ReviewCase) -> pb::ReviewCase {
    let time = |at: i64| Some(at).filter(|t| *t > 0).map(to_timestamp);
    pb::ReviewCase {
        case_id: case.case_id.clone(),
        customer_id: case.customer_id.clone(),
        application_id: case.application_id.clone(),
        reason: wire::<pb::ReviewReason>(case.reason.name()),
        state: wire::<pb::ReviewCaseState>(case.state.name()),
        review_time: time(case.review_at),
        open_time: time(case.opened_at),
        close_time: case.closed_at.and_then(time),
        closed_by: case.closed_by.clone(),
        outcome: case
            .outcome
            .map_or(0, |o| wire::<pb::ReviewOutcome>(o.name())),
        comment: case.comment.clone(),
        next_review_time: case.next_review_at.map(to_timestamp),
        signals: case.signals.clone(),
        score_id: case.score_id.clone(),
        proposed_application_id: case.proposed_application_id.clone(),
    }
}

/// A wire enum's value as the domain enum of the same names; unknown or unspecified, it is a
/// record the service wrote wrongly.
pub(crate) fn domain_enum<E: credit_proto::ShortName, T>(
    value: i32,
    from_name: fn(&str) -> Option<T>,
    what: &str,
) -> Result<T, ApiError> {
    short_name::<E>(value)
        .and_then(from_name)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("unknown {what} {value}")))
}

/// The approval chain an application's wire form holds.
pub fn workflow_of(app: &pb::Application) -> Result<Workflow, ApiError> {
    let steps = app
        .approval_steps
        .iter()
        .map(|s| {
            Ok(Step {
                sequence: u32::try_from(s.sequence).unwrap_or_default(),
                level: s.level.clone(),
                roles: s.roles.clone(),
                approvals_required: u32::try_from(s.approvals_required).unwrap_or(1),
                state: domain_enum::<pb::ApprovalStepState, _>(
                    s.state,
                    StepState::from_name,
                    "approval step state",
                )?,
                approvals: s
                    .approvals
                    .iter()
                    .map(|a| {
                        Ok(Approval {
                            approver: a.approver.clone(),
                            action: domain_enum::<pb::ApprovalAction, _>(
                                a.action,
                                ApprovalAction::from_name,
                                "approval action",
                            )?,
                            approved_limit: a.approved_limit.as_ref().map(amount_of),
                            payment_terms_days: a.payment_terms_days,
                            conditions: a.conditions.clone(),
                            reasons: a.reasons.clone(),
                            comment: a.comment.clone(),
                            acted_at: a.action_time.as_ref().and_then(from_timestamp),
                        })
                    })
                    .collect::<Result<_, ApiError>>()?,
                started_at: s.start_time.as_ref().and_then(from_timestamp),
                due_at: s.due_time.as_ref().and_then(from_timestamp),
                sla_hours: u32::try_from(s.sla_hours).unwrap_or_default(),
                overdue: s.overdue,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(Workflow { steps })
}

/// An approval chain for the wire.
pub fn workflow_to_wire(workflow: &Workflow) -> Vec<pb::ApprovalStep> {
    workflow
        .steps
        .iter()
        .map(|s| pb::ApprovalStep {
            sequence: s.sequence as i32,
            level: s.level.clone(),
            roles: s.roles.clone(),
            approvals_required: s.approvals_required as i32,
            state: wire::<pb::ApprovalStepState>(s.state.name()),
            approvals: s
                .approvals
                .iter()
                .map(|a| pb::Approval {
                    approver: a.approver.clone(),
                    action: wire::<pb::ApprovalAction>(a.action.name()),
                    approved_limit: a.approved_limit.as_ref().map(money_of),
                    payment_terms_days: a.payment_terms_days,
                    conditions: a.conditions.clone(),
                    reasons: a.reasons.clone(),
                    comment: a.comment.clone(),
                    action_time: a.acted_at.map(to_timestamp),
                })
                .collect(),
            start_time: s.started_at.map(to_timestamp),
            due_time: s.due_at.map(to_timestamp),
            sla_hours: s.sla_hours as i32,
            overdue: s.overdue,
        })
        .collect()
}
