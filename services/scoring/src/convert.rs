//! Between the wire (credit.scoring.v1) and the domain: parsing with every bad field named, and
//! the answers.
use crate::domain::bureau::{BureauReport, LegalEvent};
use crate::domain::decision::{Decision, PaymentBehaviour, Reference, ReferenceKind};
use crate::domain::financials::{AltmanZ, Flag, Ratios, Statement, Zone};
use crate::domain::policy::LimitBasis;
use credit_platform::calendar;
use credit_platform::error::Violations;
use credit_platform::money::{Currency, Money, parse_decimal};
use credit_proto::google::r#type::Date;
use credit_proto::scoring as pb;
use credit_proto::types::Money as MoneyProto;
use rust_decimal::Decimal;

fn decimal(text: &str, field: String, v: &mut Violations) -> Option<Decimal> {
    v.check(parse_decimal(text, &field))
}

fn optional_decimal(text: &str, field: String, v: &mut Violations) -> Option<Decimal> {
    if text.is_empty() {
        None
    } else {
        decimal(text, field, v)
    }
}

/// A required calendar date as the domain keeps it, ISO 8601 ("2025-12-31"); "" when it is
/// missing or not a date (named in `v`).
pub fn iso_date(date: Option<&Date>, field: &str, v: &mut Violations) -> String {
    match calendar::required_day(field, date) {
        Ok(day) => credit_platform::clock::date_of_day(day),
        Err(violation) => {
            v.add(violation.field, violation.description);
            String::new()
        }
    }
}

/// The wire date of an ISO 8601 date the domain keeps (unset when it is not one).
pub fn wire_date(iso: &str) -> Option<Date> {
    credit_platform::clock::parse_date(iso).map(calendar::date)
}

/// A statement from the wire; None when a field is bad (all of them named in `v`).
pub fn statement(p: Option<&pb::FinancialStatement>, v: &mut Violations) -> Option<Statement> {
    let Some(p) = p else {
        v.add("statement", "required");
        return None;
    };
    let f = |name: &str| format!("statement.{name}");
    let period_end = iso_date(p.period_end.as_ref(), &f("period_end"), v);
    if Currency::from_code(&p.currency_code).is_none() {
        v.add(
            f("currency_code"),
            "must be an ISO 4217 currency code like EUR",
        );
    }
    let revenue = decimal(&p.revenue, f("revenue"), v);
    let ebit = decimal(&p.ebit, f("ebit"), v);
    let net_income = decimal(&p.net_income, f("net_income"), v);
    let interest_expense = optional_decimal(&p.interest_expense, f("interest_expense"), v);
    let total_assets = decimal(&p.total_assets, f("total_assets"), v);
    let current_assets = decimal(&p.current_assets, f("current_assets"), v);
    let cash = decimal(&p.cash, f("cash"), v);
    let inventory = decimal(&p.inventory, f("inventory"), v);
    let receivables = decimal(&p.receivables, f("receivables"), v);
    let intangible_assets = optional_decimal(&p.intangible_assets, f("intangible_assets"), v);
    let total_liabilities = decimal(&p.total_liabilities, f("total_liabilities"), v);
    let current_liabilities = decimal(&p.current_liabilities, f("current_liabilities"), v);
    let retained_earnings = decimal(&p.retained_earnings, f("retained_earnings"), v);
    let equity = decimal(&p.equity, f("equity"), v);
    Some(Statement {
        period_end,
        currency_code: p.currency_code.clone(),
        revenue: revenue?,
        ebit: ebit?,
        net_income: net_income?,
        interest_expense,
        total_assets: total_assets?,
        current_assets: current_assets?,
        cash: cash?,
        inventory: inventory?,
        receivables: receivables?,
        intangible_assets,
        total_liabilities: total_liabilities?,
        current_liabilities: current_liabilities?,
        retained_earnings: retained_earnings?,
        equity: equity?,
    })
}

fn text(value: Option<Decimal>) -> String {
    value.map(|d| d.normalize().to_string()).unwrap_or_default()
}

/// A statement on the wire.
pub fn statement_to_proto(s: &Statement) -> pb::FinancialStatement {
    pb::FinancialStatement {
        period_end: wire_date(&s.period_end),
        currency_code: s.currency_code.clone(),
        revenue: s.revenue.to_string(),
        ebit: s.ebit.to_string(),
        net_income: s.net_income.to_string(),
        interest_expense: text(s.interest_expense),
        total_assets: s.total_assets.to_string(),
        current_assets: s.current_assets.to_string(),
        cash: s.cash.to_string(),
        inventory: s.inventory.to_string(),
        receivables: s.receivables.to_string(),
        intangible_assets: text(s.intangible_assets),
        total_liabilities: s.total_liabilities.to_string(),
        current_liabilities: s.current_liabilities.to_string(),
        retained_earnings: s.retained_earnings.to_string(),
        equity: s.equity.to_string(),
    }
}

/// Flags on the wire.
pub fn flags_to_proto(flags: &[Flag]) -> Vec<pb::StatementFlag> {
    flags
        .iter()
        .map(|f| pb::StatementFlag {
            code: f.code.clone(),
            field: f.field.clone(),
            message: f.message.clone(),
        })
        .collect()
}

/// Ratios on the wire.
pub fn ratios_to_proto(r: &Ratios) -> pb::FinancialRatios {
    pb::FinancialRatios {
        current_ratio: text(r.current_ratio),
        quick_ratio: text(r.quick_ratio),
        debt_to_equity: text(r.debt_to_equity),
        interest_cover: text(r.interest_cover),
        ebit_margin: text(r.ebit_margin),
        net_margin: text(r.net_margin),
        return_on_assets: text(r.return_on_assets),
        working_capital: r.working_capital.to_string(),
        tangible_net_worth: r.tangible_net_worth.to_string(),
    }
}

/// Z'' on the wire.
pub fn altman_to_proto(z: &AltmanZ) -> pb::AltmanZ {
    pb::AltmanZ {
        x1: z.x1.to_string(),
        x2: z.x2.to_string(),
        x3: z.x3.to_string(),
        x4: z.x4.to_string(),
        score: z.score.to_string(),
        zone: match z.zone {
            Zone::Distress => pb::AltmanZone::Distress,
            Zone::Grey => pb::AltmanZone::Grey,
            Zone::Safe => pb::AltmanZone::Safe,
        }
        .into(),
    }
}

/// References from the wire.
pub fn references(list: &[pb::Reference], v: &mut Violations) -> Vec<Reference> {
    list.iter()
        .enumerate()
        .map(|(i, r)| {
            let f = |name: &str| format!("references[{i}].{name}");
            let kind =
                credit_platform::ids::required_enum::<pb::ReferenceKind>(r.kind, &f("kind"), v)
                    .and_then(ReferenceKind::from_name);
            credit_platform::ids::check_text(&r.source, &f("source"), true, 200, v);
            let highest_credit = r.highest_credit.as_ref().and_then(|m| {
                v.check(Money::from_proto(Some(m), &f("highest_credit")))
                    .map(|m| m.amount)
            });
            let days = optional_decimal(&r.days_beyond_terms, f("days_beyond_terms"), v);
            if days.is_some_and(|d| d.is_sign_negative() && !d.is_zero()) {
                v.add(f("days_beyond_terms"), "must not be negative");
            }
            Reference {
                // A refused kind is named above; the value is never used then.
                kind: kind.unwrap_or(ReferenceKind::Trade),
                source: r.source.clone(),
                days_beyond_terms: days,
                highest_credit,
                years_known: optional_decimal(&r.years_known, f("years_known"), v),
            }
        })
        .collect()
}

fn number(text: &str, field: String, range: (f64, f64), v: &mut Violations) -> Option<f64> {
    use rust_decimal::prelude::ToPrimitive;
    let value = optional_decimal(text, field.clone(), v)?.to_f64()?;
    if !(range.0..=range.1).contains(&value) {
        v.add(
            field,
            format!("must be between {} and {}", range.0, range.1),
        );
        return None;
    }
    Some(value)
}

/// A bureau report from the wire.
pub fn bureau_report(p: Option<&pb::BureauReport>, v: &mut Violations) -> Option<BureauReport> {
    let Some(p) = p else {
        v.add("report", "required");
        return None;
    };
    let f = |name: &str| format!("report.{name}");
    credit_platform::ids::check_text(&p.provider, &f("provider"), true, 64, v);
    let nace_section = p.industry.len() == 1 && (b'A'..=b'U').contains(&p.industry.as_bytes()[0]);
    if !p.industry.is_empty() && !nace_section {
        v.add(f("industry"), "must be a NACE section letter A–U");
    }
    let mut filed = Vec::with_capacity(p.legal_events.len());
    for (i, event) in p.legal_events.iter().enumerate() {
        credit_platform::ids::check_text(
            &event.kind,
            &format!("report.legal_events[{i}].kind"),
            true,
            32,
            v,
        );
        filed.push(iso_date(
            event.filed_on.as_ref(),
            &format!("report.legal_events[{i}].filed_on"),
            v,
        ));
    }
    Some(BureauReport {
        provider: p.provider.clone(),
        years_in_business: number(
            &p.years_in_business,
            f("years_in_business"),
            (0.0, 1000.0),
            v,
        ),
        employees: number(&p.employees, f("employees"), (0.0, 10_000_000.0), v),
        industry: (!p.industry.is_empty()).then(|| p.industry.clone()),
        failure_score: number(&p.failure_score, f("failure_score"), (1.0, 100.0), v),
        payment_index: number(&p.payment_index, f("payment_index"), (1.0, 100.0), v),
        legal_events: p
            .legal_events
            .iter()
            .zip(filed)
            .map(|(e, filed_on)| LegalEvent {
                kind: e.kind.to_uppercase(),
                filed_on,
            })
            .collect(),
    })
}

/// Payment behaviour from the wire.
pub fn payment_behaviour(
    p: Option<&pb::PaymentBehaviour>,
    v: &mut Violations,
) -> Option<PaymentBehaviour> {
    let Some(p) = p else {
        v.add("payment_behaviour", "required");
        return None;
    };
    let days = decimal(
        &p.average_days_beyond_terms,
        "payment_behaviour.average_days_beyond_terms".into(),
        v,
    );
    let late = decimal(
        &p.share_paid_late,
        "payment_behaviour.share_paid_late".into(),
        v,
    );
    if days.is_some_and(|d| d < Decimal::ZERO) {
        v.add(
            "payment_behaviour.average_days_beyond_terms",
            "must not be negative",
        );
    }
    if late.is_some_and(|s| s < Decimal::ZERO || s > Decimal::ONE) {
        v.add(
            "payment_behaviour.share_paid_late",
            "must be between 0 and 1",
        );
    }
    if p.disputes < 0 {
        v.add("payment_behaviour.disputes", "must not be negative");
    }
    if p.broken_promises < 0 {
        v.add("payment_behaviour.broken_promises", "must not be negative");
    }
    Some(PaymentBehaviour {
        average_days_beyond_terms: days?,
        share_paid_late: late?,
        disputes: i64::from(p.disputes),
        broken_promises: i64::from(p.broken_promises),
    })
}

fn money(amount: Decimal, currency_code: &str) -> Option<MoneyProto> {
    Currency::from_code(currency_code).map(|c| Money::floored(amount, c).to_proto())
}

/// A decision as a stored score.
pub fn score_to_proto(
    d: &Decision,
    customer_id: &str,
    requested: Option<&MoneyProto>,
) -> pb::Score {
    let reasons = |list: &[crate::domain::decision::Reason]| {
        list.iter()
            .map(|r| pb::ReasonCode {
                code: r.code.clone(),
                description: r.description.clone(),
                points: r.points,
            })
            .collect()
    };
    let rec = &d.recommendation;
    pb::Score {
        customer_id: customer_id.to_string(),
        score: d.score,
        model_score: d.model_score,
        risk_class: d.risk_class.clone(),
        probability_of_default: format!("{:.6}", d.probability_of_default),
        rejected: d.rejected,
        reasons: reasons(&d.reasons),
        strengths: reasons(&d.strengths),
        recommended_limit: Some(pb::RecommendedLimit {
            amount: money(rec.amount, &rec.currency_code),
            basis: match rec.basis {
                LimitBasis::TangibleNetWorth => pb::LimitBasis::TangibleNetWorth,
                LimitBasis::WorkingCapital => pb::LimitBasis::WorkingCapital,
                LimitBasis::Revenue => pb::LimitBasis::Revenue,
            }
            .into(),
            basis_amount: rec.basis_amount.and_then(|b| money(b, &rec.currency_code)),
            share: rec.share.to_string(),
            explanation: rec.explanation.clone(),
        }),
        missing_inputs: d.missing_inputs.clone(),
        statement_flags: flags_to_proto(&d.statement_flags),
        ratios: d.ratios.as_ref().map(ratios_to_proto),
        altman_z: d.altman.as_ref().map(altman_to_proto),
        unevaluated_rules: d.unevaluated_rules.clone(),
        requested_amount: requested.cloned(),
        ..Default::default()
    }
}
