//! One score: the model's probability and points over the customer's characteristics, the
//! policy's hard rules and adjustments over the same facts, the risk class, the recommended
//! limit with its method, and every reason and gap — a pure function of its inputs.
use super::bureau::BureauReport;
use super::characteristics as ch;
use super::financials::{AltmanZ, Flag, Ratios, Statement, altman_z};
use super::policy::{LimitBasis, Policy};
use crate::model::Scorecard;
use crate::model::binning::Input;
use rust_decimal::Decimal;
use rust_decimal::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

credit_platform::named! {
    /// Who gave a reference.
    pub enum ReferenceKind {
        /// A supplier the customer buys from on terms.
        Trade = "TRADE",
        /// The customer's bank.
        Bank = "BANK",
    }
}

/// A trade or bank reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// Who gave it.
    pub kind: ReferenceKind,
    /// Who gave it.
    pub source: String,
    /// Average days beyond terms with them.
    pub days_beyond_terms: Option<Decimal>,
    /// Highest credit they extended.
    pub highest_credit: Option<Decimal>,
    /// Years they have known the customer.
    pub years_known: Option<Decimal>,
}

/// How the customer pays us.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentBehaviour {
    /// Average days beyond terms.
    pub average_days_beyond_terms: Decimal,
    /// Share of invoices paid late (0 to 1).
    pub share_paid_late: Decimal,
    /// Open disputes.
    pub disputes: i64,
    /// Promises to pay broken in the last year.
    pub broken_promises: i64,
}

/// Everything known about a customer when it is scored.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The latest financial statement.
    pub statement: Option<Statement>,
    /// The bureau report in use.
    pub bureau: Option<BureauReport>,
    /// Trade and bank references.
    pub references: Vec<Reference>,
    /// Our own payment experience.
    pub payment: Option<PaymentBehaviour>,
    /// The amount asked for, with its currency.
    pub requested: Option<(Decimal, String)>,
}

/// A reason behind a score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// Stable code: a policy rule's code, or "MODEL_<CHARACTERISTIC>".
    pub code: String,
    /// For people.
    pub description: String,
    /// Points it cost (negative) or earned (positive) against the best case.
    pub points: i64,
}

/// The recommended limit and how it came about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    /// The amount (0 when rejected or when there is no basis).
    pub amount: Decimal,
    /// Its currency (the policy's).
    pub currency_code: String,
    /// The basis it is a share of.
    pub basis: LimitBasis,
    /// The basis amount, when known.
    pub basis_amount: Option<Decimal>,
    /// The share applied (the class's).
    pub share: Decimal,
    /// How it was derived, in words.
    pub explanation: String,
}

/// A complete score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Final score: the model's points plus the policy's adjustments.
    pub score: i64,
    /// The model's points alone.
    pub model_score: i64,
    /// Risk class from the policy's bands (the worst when rejected).
    pub risk_class: String,
    /// The model's probability of default.
    pub probability_of_default: f64,
    /// A hard rule rejected the customer.
    pub rejected: bool,
    /// What pushed the score down, worst first (hard rules, adjustments, characteristics).
    pub reasons: Vec<Reason>,
    /// What held the score up.
    pub strengths: Vec<Reason>,
    /// The recommended limit.
    pub recommendation: Recommendation,
    /// Inputs that were not available ("financial_statement", "bureau", …), and model
    /// characteristics scored as missing.
    pub missing_inputs: Vec<String>,
    /// Problems of the latest statement (then not used by the model).
    pub statement_flags: Vec<Flag>,
    /// Ratios of the latest statement.
    pub ratios: Option<Ratios>,
    /// Z'' of the latest statement.
    pub altman: Option<AltmanZ>,
    /// Policy rules that could not be evaluated on these facts.
    pub unevaluated_rules: Vec<String>,
}

/// Why no score was produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    /// The policy requires inputs that are missing.
    #[error("the policy requires inputs that are missing: {}", .0.join(", "))]
    MissingRequiredInputs(Vec<String>),
}

fn f(value: Decimal) -> f64 {
    value.to_f64().unwrap_or(0.0)
}

/// The facts as CEL sees them: maps of numbers (doubles) and strings; unknown values are absent,
/// so rules test them with `has(…)`.
pub fn cel_facts(
    facts: &Facts,
    flags: &[Flag],
    ratios: Option<&Ratios>,
    z: Option<&AltmanZ>,
) -> cel::Context<'static> {
    use serde_json::{Map, Value, json};
    let mut financials = Map::new();
    if let Some(s) = &facts.statement {
        for (key, value) in [
            ("revenue", s.revenue),
            ("ebit", s.ebit),
            ("net_income", s.net_income),
            ("total_assets", s.total_assets),
            ("current_assets", s.current_assets),
            ("total_liabilities", s.total_liabilities),
            ("current_liabilities", s.current_liabilities),
            ("retained_earnings", s.retained_earnings),
            ("equity", s.equity),
        ] {
            financials.insert(key.into(), json!(f(value)));
        }
        financials.insert("currency_code".into(), json!(s.currency_code));
        financials.insert("flags".into(), json!(flags.len() as f64));
    }
    if let Some(r) = ratios {
        for (key, value) in [
            ("current_ratio", r.current_ratio),
            ("quick_ratio", r.quick_ratio),
            ("debt_to_equity", r.debt_to_equity),
            ("interest_cover", r.interest_cover),
            ("ebit_margin", r.ebit_margin),
            ("net_margin", r.net_margin),
        ] {
            if let Some(value) = value {
                financials.insert(key.into(), json!(f(value)));
            }
        }
        financials.insert("tangible_net_worth".into(), json!(f(r.tangible_net_worth)));
        financials.insert("working_capital".into(), json!(f(r.working_capital)));
    }
    if let Some(z) = z {
        financials.insert("altman_z".into(), json!(f(z.score)));
    }
    let mut bureau = Map::new();
    if let Some(b) = &facts.bureau {
        let numbers = [
            ("years_in_business", b.years_in_business),
            ("employees", b.employees),
            ("failure_score", b.failure_score),
            ("payment_index", b.payment_index),
        ];
        for (key, value) in numbers {
            if let Some(value) = value {
                bureau.insert(key.into(), json!(value));
            }
        }
        if let Some(industry) = &b.industry {
            bureau.insert("industry".into(), json!(industry));
        }
        let insolvencies = b
            .legal_events
            .iter()
            .filter(|e| e.kind == "INSOLVENCY")
            .count();
        bureau.insert("insolvency_filings".into(), json!(insolvencies as f64));
        bureau.insert("legal_events".into(), json!(b.legal_events.len() as f64));
    }
    let mut references = Map::new();
    references.insert("count".into(), json!(facts.references.len() as f64));
    let late: Vec<f64> = facts
        .references
        .iter()
        .filter_map(|r| r.days_beyond_terms.map(f))
        .collect();
    if !late.is_empty() {
        references.insert(
            "average_days_beyond_terms".into(),
            json!(late.iter().sum::<f64>() / late.len() as f64),
        );
        references.insert(
            "max_days_beyond_terms".into(),
            json!(late.iter().copied().fold(0.0, f64::max)),
        );
    }
    let mut payment = Map::new();
    if let Some(p) = &facts.payment {
        payment.insert(
            "internal_days_beyond_terms".into(),
            json!(f(p.average_days_beyond_terms)),
        );
        payment.insert("share_paid_late".into(), json!(f(p.share_paid_late)));
        payment.insert("disputes".into(), json!(p.disputes as f64));
        payment.insert("broken_promises".into(), json!(p.broken_promises as f64));
    }
    let mut request = Map::new();
    if let Some((amount, currency)) = &facts.requested {
        request.insert("amount".into(), json!(f(*amount)));
        request.insert("currency_code".into(), json!(currency));
    }
    let mut context = cel::Context::default();
    for (name, map) in [
        ("financials", financials),
        ("bureau", bureau),
        ("references", references),
        ("payment", payment),
        ("request", request),
    ] {
        // Adding a JSON object of numbers and strings cannot fail.
        let _ = context.add_variable(name, Value::Object(map));
    }
    context
}

/// Scores `facts` under `policy` with `model`.
pub fn decide(
    policy: &Policy,
    model: &Scorecard,
    facts: &Facts,
) -> Result<Decision, DecisionError> {
    let doc = &policy.document;
    let mut missing_inputs = Vec::new();
    if facts.statement.is_none() {
        missing_inputs.push("financial_statement".to_string());
    }
    if facts.bureau.is_none() {
        missing_inputs.push("bureau".to_string());
    }
    if facts.references.is_empty() {
        missing_inputs.push("trade_references".to_string());
    }
    if facts.payment.is_none() {
        missing_inputs.push("payment_behaviour".to_string());
    }
    let required: Vec<String> = doc
        .required_inputs
        .iter()
        .filter(|input| missing_inputs.contains(input))
        .cloned()
        .collect();
    if !required.is_empty() {
        return Err(DecisionError::MissingRequiredInputs(required));
    }

    let flags = facts
        .statement
        .as_ref()
        .map(|s| s.flags(doc.balance_tolerance))
        .unwrap_or_default();
    let ratios = facts.statement.as_ref().map(Ratios::of);
    let altman = facts.statement.as_ref().and_then(altman_z);
    // A flagged statement is reported and left out of the model, not silently used.
    let usable = facts.statement.as_ref().filter(|_| flags.is_empty());

    let mut inputs: BTreeMap<String, Input> = BTreeMap::new();
    let mut number = |name: &str, value: Option<f64>| {
        if let Some(value) = value.filter(|v| v.is_finite()) {
            inputs.insert(name.to_string(), Input::Number(value));
        }
    };
    if usable.is_some() {
        number(ch::ALTMAN_Z, altman.as_ref().map(|z| f(z.score)));
        if let Some(r) = &ratios {
            number(ch::CURRENT_RATIO, r.current_ratio.map(f));
            number(ch::DEBT_TO_EQUITY, r.debt_to_equity.map(f));
            number(ch::EBIT_MARGIN, r.ebit_margin.map(f));
        }
    }
    if let Some(b) = &facts.bureau {
        number(ch::YEARS_IN_BUSINESS, b.years_in_business);
        number(ch::EMPLOYEES, b.employees);
        number(ch::FAILURE_SCORE, b.failure_score);
        number(ch::PAYMENT_INDEX, b.payment_index);
        number(ch::LEGAL_EVENTS, Some(b.legal_events.len() as f64));
    }
    let late: Vec<f64> = facts
        .references
        .iter()
        .filter_map(|r| r.days_beyond_terms.map(f))
        .collect();
    if !late.is_empty() {
        number(
            ch::TRADE_DAYS_BEYOND_TERMS,
            Some(late.iter().sum::<f64>() / late.len() as f64),
        );
    }
    if let Some(p) = &facts.payment {
        number(
            ch::INTERNAL_DAYS_BEYOND_TERMS,
            Some(f(p.average_days_beyond_terms)),
        );
        number(ch::INTERNAL_SHARE_PAID_LATE, Some(f(p.share_paid_late)));
    }
    if let Some(industry) = facts.bureau.as_ref().and_then(|b| b.industry.clone()) {
        inputs.insert(ch::INDUSTRY.to_string(), Input::Category(industry));
    }
    let scored = model.score(&inputs);
    for c in &scored.contributions {
        if c.missing {
            missing_inputs.push(c.name.clone());
        }
    }

    let context = cel_facts(facts, &flags, ratios.as_ref(), altman.as_ref());
    let (rejects, mut unevaluated) = policy.rejects(&context);
    let (adjustments, unevaluated_adjustments) = policy.adjustments(&context);
    unevaluated.extend(unevaluated_adjustments);

    let mut reasons: Vec<Reason> = rejects
        .iter()
        .map(|rule| Reason {
            code: rule.code.clone(),
            description: rule.reason.clone(),
            points: 0,
        })
        .collect();
    let adjustment_points: i64 = adjustments.iter().map(|a| a.points).sum();
    reasons.extend(adjustments.iter().filter(|a| a.points < 0).map(|a| Reason {
        code: a.rule.code.clone(),
        description: a.rule.reason.clone(),
        points: a.points,
    }));
    let characteristic = |c: &crate::model::scorecard::Contribution| Reason {
        code: format!("MODEL_{}", c.name.to_uppercase()),
        description: if c.missing {
            format!("{} unknown", c.name.replace('_', " "))
        } else {
            format!("{} in {}", c.name.replace('_', " "), c.bin)
        },
        points: c.points - c.max_points,
    };
    reasons.extend(
        scored
            .contributions
            .iter()
            .filter(|c| c.points < c.max_points)
            .take(4)
            .map(characteristic),
    );
    let strengths: Vec<Reason> = scored
        .contributions
        .iter()
        .rev()
        .filter(|c| !c.missing && c.points == c.max_points)
        .take(3)
        .map(|c| Reason {
            points: 0,
            ..characteristic(c)
        })
        .chain(adjustments.iter().filter(|a| a.points > 0).map(|a| Reason {
            code: a.rule.code.clone(),
            description: a.rule.reason.clone(),
            points: a.points,
        }))
        .collect();

    let rejected = !rejects.is_empty();
    let score = scored.score + adjustment_points;
    let band = if rejected {
        doc.risk_classes
            .last()
            .unwrap_or_else(|| policy.class_of(score))
    } else {
        policy.class_of(score)
    };
    let recommendation = recommend(
        policy,
        usable,
        ratios.as_ref(),
        band.limit_share,
        facts,
        rejected,
    );
    Ok(Decision {
        score,
        model_score: scored.score,
        risk_class: band.class.clone(),
        probability_of_default: scored.probability,
        rejected,
        reasons,
        strengths,
        recommendation,
        missing_inputs,
        statement_flags: flags,
        ratios,
        altman,
        unevaluated_rules: unevaluated,
    })
}

fn recommend(
    policy: &Policy,
    statement: Option<&Statement>,
    ratios: Option<&Ratios>,
    share: Decimal,
    facts: &Facts,
    rejected: bool,
) -> Recommendation {
    let method = &policy.document.limit;
    let none = |explanation: String| Recommendation {
        amount: Decimal::ZERO,
        currency_code: method.currency_code.clone(),
        basis: method.basis,
        basis_amount: None,
        share,
        explanation,
    };
    if rejected {
        return none("rejected by a hard rule: no credit recommended".into());
    }
    let (Some(statement), Some(ratios)) = (statement, ratios) else {
        return none("no usable financial statement: decide the limit manually".into());
    };
    if statement.currency_code != method.currency_code {
        return none(format!(
            "the statement is in {}, the policy's limits in {}: decide the limit manually",
            statement.currency_code, method.currency_code
        ));
    }
    let basis = match method.basis {
        LimitBasis::TangibleNetWorth => ratios.tangible_net_worth,
        LimitBasis::WorkingCapital => ratios.working_capital,
        LimitBasis::Revenue => statement.revenue,
    }
    .max(Decimal::ZERO);
    let mut amount = basis * share;
    let basis_name = match method.basis {
        LimitBasis::TangibleNetWorth => "tangible net worth",
        LimitBasis::WorkingCapital => "working capital",
        LimitBasis::Revenue => "revenue",
    };
    let mut explanation = format!("{share} × {basis_name} {basis}");
    if amount > method.maximum {
        amount = method.maximum;
        explanation.push_str(&format!(
            ", capped at the policy maximum {}",
            method.maximum
        ));
    }
    if method.cap_at_requested
        && let Some((requested, currency)) = &facts.requested
        && *currency == method.currency_code
        && amount > *requested
    {
        amount = *requested;
        explanation.push_str(&format!(", capped at the requested {requested}"));
    }
    let digits = credit_platform::money::Currency::from_code(&method.currency_code)
        .map_or(2, |c| c.minor_unit_digits());
    Recommendation {
        amount: amount.round_dp_with_strategy(digits, RoundingStrategy::ToZero),
        currency_code: method.currency_code.clone(),
        basis: method.basis,
        basis_amount: Some(basis),
        share,
        explanation,
    }
}

#[cfg(test)]
mod tests;
