//! The wire's application in the domain's terms: its state and kind, the case the decision
//! policy decides on, amounts as decimals.
use crate::domain::policy::Case;
use crate::domain::state::{Kind, State};
use credit_proto::applications as pb;
use credit_proto::types::Money as MoneyProto;
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
