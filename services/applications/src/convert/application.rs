//! An application between the wire and the record the service stores: every field, both ways,
//! so a stored application reads back exactly as it was answered.
use super::{amount_of, domain_enum, kind_of, money_of, state_of, workflow_of, workflow_to_wire};
use crate::domain::application::{
    Address, Applicant, Application, BankAccount, Contact, CreditRequest, DecisionOutcome,
    FinalDecision, FinancialStatement, LimitChange, LimitSetting, LimitSettingState, Notice, Owner,
    Recommendation, ReferenceKind, ScoreReason, Sensitive, TradeReference,
};
use crate::domain::policy::Outcome;
use crate::domain::state::Kind;
use credit_platform::clock::{from_timestamp, to_timestamp};
use credit_platform::error::ApiError;
use credit_proto::applications as pb;
use credit_proto::google::r#type::Date;
use credit_proto::scoring as spb;
use credit_proto::wire;
use prost_types::Timestamp;

fn at(time: &Option<Timestamp>) -> Option<i64> {
    time.as_ref().and_then(from_timestamp)
}

fn time(at: Option<i64>) -> Option<Timestamp> {
    at.map(to_timestamp)
}

fn address_of(a: &pb::Address) -> Address {
    Address {
        lines: a.lines.clone(),
        postal_code: a.postal_code.clone(),
        city: a.city.clone(),
        country_code: a.country_code.clone(),
    }
}

fn address_to_wire(a: &Address) -> pb::Address {
    pb::Address {
        lines: a.lines.clone(),
        postal_code: a.postal_code.clone(),
        city: a.city.clone(),
        country_code: a.country_code.clone(),
    }
}

fn contacts_of(contacts: &[pb::Contact]) -> Vec<Contact> {
    contacts
        .iter()
        .map(|c| Contact {
            name: c.name.clone(),
            role: c.role.clone(),
            email: c.email.clone(),
            phone: c.phone.clone(),
        })
        .collect()
}

fn contacts_to_wire(contacts: &[Contact]) -> Vec<pb::Contact> {
    contacts
        .iter()
        .map(|c| pb::Contact {
            name: c.name.clone(),
            role: c.role.clone(),
            email: c.email.clone(),
            phone: c.phone.clone(),
        })
        .collect()
}

fn owners_of(owners: &[pb::Owner]) -> Vec<Owner> {
    owners
        .iter()
        .map(|o| Owner {
            name: o.name.clone(),
            share_percent: o.share_percent.clone(),
        })
        .collect()
}

fn owners_to_wire(owners: &[Owner]) -> Vec<pb::Owner> {
    owners
        .iter()
        .map(|o| pb::Owner {
            name: o.name.clone(),
            share_percent: o.share_percent.clone(),
        })
        .collect()
}

fn bank_of(b: &pb::BankAccount) -> BankAccount {
    BankAccount {
        iban: b.iban.clone(),
        bic: b.bic.clone(),
        bank_name: b.bank_name.clone(),
        account_holder: b.account_holder.clone(),
    }
}

fn bank_to_wire(b: &BankAccount) -> pb::BankAccount {
    pb::BankAccount {
        iban: b.iban.clone(),
        bic: b.bic.clone(),
        bank_name: b.bank_name.clone(),
        account_holder: b.account_holder.clone(),
    }
}

/// The sensitive fields of a (clear) applicant.
pub fn sensitive_of(a: &pb::Applicant) -> Sensitive {
    Sensitive {
        tax_id: a.tax_id.clone(),
        contacts: contacts_of(&a.contacts),
        owners: owners_of(&a.owners),
        bank_account: a.bank_account.as_ref().map(bank_of),
    }
}

/// The sensitive fields as an applicant holding only them.
pub fn sensitive_to_wire(s: &Sensitive) -> pb::Applicant {
    pb::Applicant {
        tax_id: s.tax_id.clone(),
        contacts: contacts_to_wire(&s.contacts),
        owners: owners_to_wire(&s.owners),
        bank_account: s.bank_account.as_ref().map(bank_to_wire),
        ..Default::default()
    }
}

fn applicant_of(a: &pb::Applicant) -> Result<Applicant, ApiError> {
    Ok(Applicant {
        legal_name: a.legal_name.clone(),
        trading_name: a.trading_name.clone(),
        registration_id: a.registration_id.clone(),
        tax_id: a.tax_id.clone(),
        country_code: a.country_code.clone(),
        registered_address: a.registered_address.as_ref().map(address_of),
        billing_address: a.billing_address.as_ref().map(address_of),
        contacts: contacts_of(&a.contacts),
        owners: owners_of(&a.owners),
        parent_company_name: a.parent_company_name.clone(),
        parent_customer_id: a.parent_customer_id.clone(),
        industry: a.industry.clone(),
        years_in_business: a.years_in_business,
        trade_references: a
            .trade_references
            .iter()
            .map(|r| {
                Ok(TradeReference {
                    kind: domain_enum::<spb::ReferenceKind, _>(
                        r.kind,
                        ReferenceKind::from_name,
                        "reference kind",
                    )?,
                    source: r.source.clone(),
                    days_beyond_terms: r.days_beyond_terms.clone(),
                    highest_credit: r.highest_credit.as_ref().map(amount_of),
                    years_known: r.years_known.clone(),
                })
            })
            .collect::<Result<_, ApiError>>()?,
        bank_account: a.bank_account.as_ref().map(bank_of),
        preferred_language: a.preferred_language.clone(),
        region: a.region.clone(),
        business_unit: a.business_unit.clone(),
        segment: a.segment.clone(),
    })
}

fn applicant_to_wire(a: &Applicant) -> pb::Applicant {
    pb::Applicant {
        legal_name: a.legal_name.clone(),
        trading_name: a.trading_name.clone(),
        registration_id: a.registration_id.clone(),
        tax_id: a.tax_id.clone(),
        country_code: a.country_code.clone(),
        registered_address: a.registered_address.as_ref().map(address_to_wire),
        billing_address: a.billing_address.as_ref().map(address_to_wire),
        contacts: contacts_to_wire(&a.contacts),
        owners: owners_to_wire(&a.owners),
        parent_company_name: a.parent_company_name.clone(),
        parent_customer_id: a.parent_customer_id.clone(),
        industry: a.industry.clone(),
        years_in_business: a.years_in_business,
        trade_references: a
            .trade_references
            .iter()
            .map(|r| spb::Reference {
                kind: wire::<spb::ReferenceKind>(r.kind.name()),
                source: r.source.clone(),
                days_beyond_terms: r.days_beyond_terms.clone(),
                highest_credit: r.highest_credit.as_ref().map(money_of),
                years_known: r.years_known.clone(),
            })
            .collect(),
        bank_account: a.bank_account.as_ref().map(bank_to_wire),
        preferred_language: a.preferred_language.clone(),
        region: a.region.clone(),
        business_unit: a.business_unit.clone(),
        segment: a.segment.clone(),
    }
}

fn statement_of(s: &spb::FinancialStatement) -> FinancialStatement {
    FinancialStatement {
        period_end: s.period_end.as_ref().map(Date::iso).unwrap_or_default(),
        currency_code: s.currency_code.clone(),
        revenue: s.revenue.clone(),
        ebit: s.ebit.clone(),
        net_income: s.net_income.clone(),
        interest_expense: s.interest_expense.clone(),
        total_assets: s.total_assets.clone(),
        current_assets: s.current_assets.clone(),
        cash: s.cash.clone(),
        inventory: s.inventory.clone(),
        receivables: s.receivables.clone(),
        intangible_assets: s.intangible_assets.clone(),
        total_liabilities: s.total_liabilities.clone(),
        current_liabilities: s.current_liabilities.clone(),
        retained_earnings: s.retained_earnings.clone(),
        equity: s.equity.clone(),
    }
}

fn statement_to_wire(s: &FinancialStatement) -> spb::FinancialStatement {
    spb::FinancialStatement {
        period_end: Date::read(&s.period_end),
        currency_code: s.currency_code.clone(),
        revenue: s.revenue.clone(),
        ebit: s.ebit.clone(),
        net_income: s.net_income.clone(),
        interest_expense: s.interest_expense.clone(),
        total_assets: s.total_assets.clone(),
        current_assets: s.current_assets.clone(),
        cash: s.cash.clone(),
        inventory: s.inventory.clone(),
        receivables: s.receivables.clone(),
        intangible_assets: s.intangible_assets.clone(),
        total_liabilities: s.total_liabilities.clone(),
        current_liabilities: s.current_liabilities.clone(),
        retained_earnings: s.retained_earnings.clone(),
        equity: s.equity.clone(),
    }
}

fn recommendation_of(r: &pb::Recommendation) -> Result<Recommendation, ApiError> {
    Ok(Recommendation {
        outcome: domain_enum::<pb::RecommendationOutcome, _>(
            r.outcome,
            Outcome::from_name,
            "recommendation",
        )?,
        reasons: r.reasons.clone(),
        score_id: r.score_id.clone(),
        risk_class: r.risk_class.clone(),
        score: r.score,
        probability_of_default: r.probability_of_default.clone(),
        recommended_limit: r.recommended_limit.as_ref().map(amount_of),
        scoring_rejected: r.scoring_rejected,
        score_reasons: r
            .score_reasons
            .iter()
            .map(|c| ScoreReason {
                code: c.code.clone(),
                description: c.description.clone(),
                points: c.points,
            })
            .collect(),
        policy_version: r.policy_version,
    })
}

fn recommendation_to_wire(r: &Recommendation) -> pb::Recommendation {
    pb::Recommendation {
        outcome: wire::<pb::RecommendationOutcome>(r.outcome.name()),
        reasons: r.reasons.clone(),
        score_id: r.score_id.clone(),
        risk_class: r.risk_class.clone(),
        score: r.score,
        probability_of_default: r.probability_of_default.clone(),
        recommended_limit: r.recommended_limit.as_ref().map(money_of),
        scoring_rejected: r.scoring_rejected,
        score_reasons: r
            .score_reasons
            .iter()
            .map(|c| spb::ReasonCode {
                code: c.code.clone(),
                description: c.description.clone(),
                points: c.points,
            })
            .collect(),
        policy_version: r.policy_version,
    }
}

fn decision_of(d: &pb::FinalDecision) -> Result<FinalDecision, ApiError> {
    Ok(FinalDecision {
        outcome: domain_enum::<pb::DecisionOutcome, _>(
            d.outcome,
            DecisionOutcome::from_name,
            "decision outcome",
        )?,
        automatic: d.automatic,
        approved_limit: d.approved_limit.as_ref().map(amount_of),
        payment_terms_days: d.payment_terms_days,
        conditions: d.conditions.clone(),
        reasons: d.reasons.clone(),
        overridden: d.overridden,
        override_reason_code: d.override_reason_code.clone(),
        override_comment: d.override_comment.clone(),
        decided_by: d.decided_by.clone(),
        decided_at: at(&d.decide_time),
        policy_version: d.policy_version,
        review_at: at(&d.review_time),
    })
}

fn decision_to_wire(d: &FinalDecision) -> pb::FinalDecision {
    pb::FinalDecision {
        outcome: wire::<pb::DecisionOutcome>(d.outcome.name()),
        automatic: d.automatic,
        approved_limit: d.approved_limit.as_ref().map(money_of),
        payment_terms_days: d.payment_terms_days,
        conditions: d.conditions.clone(),
        reasons: d.reasons.clone(),
        overridden: d.overridden,
        override_reason_code: d.override_reason_code.clone(),
        override_comment: d.override_comment.clone(),
        decided_by: d.decided_by.clone(),
        decide_time: time(d.decided_at),
        policy_version: d.policy_version,
        review_time: time(d.review_at),
    }
}

/// The record of an application (its sensitive fields as they are in `app`: masked for the
/// stored body).
pub fn application_of(app: &pb::Application) -> Result<Application, ApiError> {
    Ok(Application {
        application_id: app.application_id.clone(),
        customer_id: app.customer_id.clone(),
        kind: kind_of(app),
        state: state_of(app),
        applicant: app.applicant.as_ref().map(applicant_of).transpose()?,
        credit_request: app.credit_request.as_ref().map(|r| CreditRequest {
            requested_limit: r.requested_limit.as_ref().map(amount_of),
            payment_terms_days: r.payment_terms_days,
            expected_monthly_volume: r.expected_monthly_volume.as_ref().map(amount_of),
        }),
        financial_statements: app.financial_statements.iter().map(statement_of).collect(),
        recommendation: app
            .recommendation
            .as_ref()
            .map(recommendation_of)
            .transpose()?,
        workflow: workflow_of(app)?,
        final_decision: app.final_decision.as_ref().map(decision_of).transpose()?,
        limit_setting: app
            .limit_setting
            .as_ref()
            .map(|l| {
                Ok::<_, ApiError>(LimitSetting {
                    state: domain_enum::<pb::LimitSettingState, _>(
                        l.state,
                        LimitSettingState::from_name,
                        "limit setting state",
                    )?,
                    attempts: l.attempts,
                    last_error: l.last_error.clone(),
                    done_at: at(&l.done_time),
                })
            })
            .transpose()?,
        limit_change: app.limit_change.as_ref().map(|c| LimitChange {
            current_limit: c.current_limit.as_ref().map(amount_of),
            temporary_end_at: at(&c.temporary_end_time),
            reason: c.reason.clone(),
            proposed_by: c.proposed_by.clone(),
            early_warning_score_id: c.early_warning_score_id.clone(),
            early_warning_signals: c.early_warning_signals.clone(),
            previous_application_id: c.previous_application_id.clone(),
        }),
        notice: app.notice.as_ref().map(|n| Notice {
            language: n.language.clone(),
            subject: n.subject.clone(),
            body: n.body.clone(),
        }),
        created_by: app.created_by.clone(),
        edited_by: app.edited_by.clone(),
        submitted_by: app.submitted_by.clone(),
        submission_count: app.submission_count,
        created_at: at(&app.create_time),
        updated_at: at(&app.update_time),
        submitted_at: at(&app.submit_time),
        first_submitted_at: at(&app.first_submit_time),
    })
}

/// What an application asks for, on the wire.
pub fn kind_to_wire(kind: Kind) -> pb::ApplicationKind {
    match kind {
        Kind::NewCredit => pb::ApplicationKind::NewCredit,
        Kind::LimitIncrease => pb::ApplicationKind::LimitIncrease,
        Kind::TemporaryIncrease => pb::ApplicationKind::TemporaryIncrease,
        Kind::LimitDecrease => pb::ApplicationKind::LimitDecrease,
    }
}

/// An application for the wire (sensitive fields as the record holds them).
pub fn application_to_wire(app: &Application) -> pb::Application {
    pb::Application {
        application_id: app.application_id.clone(),
        customer_id: app.customer_id.clone(),
        state: credit_proto::wire::<pb::ApplicationState>(app.state.name()),
        applicant: app.applicant.as_ref().map(applicant_to_wire),
        credit_request: app.credit_request.as_ref().map(|r| pb::CreditRequest {
            requested_limit: r.requested_limit.as_ref().map(money_of),
            payment_terms_days: r.payment_terms_days,
            expected_monthly_volume: r.expected_monthly_volume.as_ref().map(money_of),
        }),
        financial_statements: app
            .financial_statements
            .iter()
            .map(statement_to_wire)
            .collect(),
        recommendation: app.recommendation.as_ref().map(recommendation_to_wire),
        approval_steps: workflow_to_wire(&app.workflow),
        final_decision: app.final_decision.as_ref().map(decision_to_wire),
        limit_setting: app.limit_setting.as_ref().map(|l| pb::LimitSetting {
            state: wire::<pb::LimitSettingState>(l.state.name()),
            attempts: l.attempts,
            last_error: l.last_error.clone(),
            done_time: time(l.done_at),
        }),
        created_by: app.created_by.clone(),
        edited_by: app.edited_by.clone(),
        submitted_by: app.submitted_by.clone(),
        submission_count: app.submission_count,
        sensitive_masked: false,
        create_time: time(app.created_at),
        update_time: time(app.updated_at),
        submit_time: time(app.submitted_at),
        notice: app.notice.as_ref().map(|n| pb::DecisionNotice {
            language: n.language.clone(),
            subject: n.subject.clone(),
            body: n.body.clone(),
        }),
        first_submit_time: time(app.first_submitted_at),
        kind: kind_to_wire(app.kind) as i32,
        limit_change: app.limit_change.as_ref().map(|c| pb::LimitChange {
            current_limit: c.current_limit.as_ref().map(money_of),
            temporary_end_time: time(c.temporary_end_at),
            reason: c.reason.clone(),
            proposed_by: c.proposed_by.clone(),
            early_warning_score_id: c.early_warning_score_id.clone(),
            early_warning_signals: c.early_warning_signals.clone(),
            previous_application_id: c.previous_application_id.clone(),
        }),
    }
}
