//! What a decision leaves on an application — its notice, the approval steps still waiting,
//! the outputs a new submission starts again from — kept apart so every use case that changes
//! them shares one definition.
use crate::convert::{kind_of, state_of, workflow_of};
use crate::domain::state::State;
use credit_proto::applications as pb;

/// The notice the application's latest step calls for, in `language`.
pub fn notice_for(app: &pb::Application, language: &str) -> Option<pb::DecisionNotice> {
    use crate::domain::notice::{Facts, Kind, render};
    let applicant = app.applicant.clone().unwrap_or_default();
    let requested = app
        .credit_request
        .as_ref()
        .and_then(|r| r.requested_limit.clone())
        .unwrap_or_default();
    let mut facts = Facts {
        company: applicant.legal_name,
        reference: app.application_id.clone(),
        requested: (requested.amount, requested.currency_code),
        ..Facts::default()
    };
    if let (true, Some(change)) = (kind_of(app).is_change(), app.limit_change.as_ref()) {
        let previous = change.current_limit.clone().unwrap_or_default();
        facts.previous = (previous.amount, previous.currency_code);
        facts.until = change
            .temporary_end_time
            .as_ref()
            .and_then(credit_platform::clock::from_timestamp)
            .map(credit_platform::clock::date_of)
            .unwrap_or_default();
    }
    let kind = match (state_of(app), app.final_decision.as_ref()) {
        (State::Approved, Some(d)) => {
            let limit = d.approved_limit.clone().unwrap_or_default();
            facts.limit = (limit.amount, limit.currency_code);
            facts.terms_days = i64::from(d.payment_terms_days);
            facts.conditions = d.conditions.clone();
            facts.review_date = d
                .review_time
                .as_ref()
                .map(|t| {
                    credit_platform::clock::from_timestamp(t)
                        .map(credit_platform::clock::date_of)
                        .unwrap_or_default()
                })
                .unwrap_or_default();
            Kind::Approved
        }
        (State::Rejected, Some(d)) => {
            facts.reasons = d.reasons.clone();
            Kind::Rejected
        }
        (State::InformationRequested, _) => {
            facts.questions = workflow_of(app).map(|w| w.questions()).unwrap_or_default();
            Kind::InformationRequested
        }
        _ => return None,
    };
    let notice = render(kind, language, &facts);
    Some(pb::DecisionNotice {
        language: notice.language,
        subject: notice.subject,
        body: notice.body,
    })
}

pub fn with_notice(app: &mut pb::Application) {
    let language = app
        .applicant
        .as_ref()
        .map(|a| a.preferred_language.clone())
        .unwrap_or_default();
    app.notice = notice_for(app, &language);
}

/// Clears what a submission produced, so the application is a draft again.
pub(super) fn clear_outputs(app: &mut pb::Application) {
    app.notice = None;
    app.recommendation = None;
    app.approval_steps.clear();
    app.final_decision = None;
    app.limit_setting = None;
    app.submitted_by.clear();
    app.submission_count = 0;
    app.submit_time = None;
    app.first_submit_time = None;
    app.sensitive_masked = false;
}
