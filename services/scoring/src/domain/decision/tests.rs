use super::*;
use crate::domain::bureau::LegalEvent;
use crate::domain::policy::DEFAULT_POLICY;
use rust_decimal_macros::dec;

fn setup() -> (Policy, Scorecard) {
    (
        Policy::parse(DEFAULT_POLICY).expect("policy"),
        Scorecard::from_json(crate::model::SHIPPED_MODEL).expect("model"),
    )
}

fn strong_statement() -> Statement {
    Statement {
        period_end: "2025-12-31".into(),
        currency_code: "EUR".into(),
        revenue: dec!(8000000),
        ebit: dec!(900000),
        net_income: dec!(600000),
        interest_expense: Some(dec!(50000)),
        total_assets: dec!(4000000),
        current_assets: dec!(2400000),
        cash: dec!(600000),
        inventory: dec!(700000),
        receivables: dec!(900000),
        intangible_assets: Some(dec!(200000)),
        total_liabilities: dec!(1600000),
        current_liabilities: dec!(1000000),
        retained_earnings: dec!(1500000),
        equity: dec!(2400000),
    }
}

fn strong() -> Facts {
    Facts {
        statement: Some(strong_statement()),
        bureau: Some(BureauReport {
            provider: "file".into(),
            years_in_business: Some(35.0),
            employees: Some(120.0),
            industry: Some("M".into()),
            failure_score: Some(92.0),
            payment_index: Some(82.0),
            legal_events: Vec::new(),
        }),
        references: vec![Reference {
            kind: ReferenceKind::Trade,
            source: "Supplier AG".into(),
            days_beyond_terms: Some(dec!(0)),
            highest_credit: Some(dec!(50000)),
            years_known: Some(dec!(8)),
        }],
        payment: Some(PaymentBehaviour {
            average_days_beyond_terms: dec!(1),
            share_paid_late: dec!(0.02),
            disputes: 0,
            broken_promises: 0,
        }),
        requested: Some((dec!(150000), "EUR".into())),
    }
}

#[test]
fn a_strong_company_gets_a_good_class_and_the_requested_limit() {
    let (policy, model) = setup();
    let decision = decide(&policy, &model, &strong()).expect("scores");
    assert!(!decision.rejected);
    assert!(
        ["A", "B"].contains(&decision.risk_class.as_str()),
        "{decision:#?}"
    );
    assert!(decision.probability_of_default < 0.05, "{decision:#?}");
    // 0.20 or 0.12 of tangible net worth (2.2 M) is above the 150 000 asked for.
    assert_eq!(decision.recommendation.amount, dec!(150000));
    assert_eq!(decision.recommendation.basis_amount, Some(dec!(2200000)));
    assert!(
        decision
            .recommendation
            .explanation
            .contains("capped at the requested")
    );
    assert!(
        decision.missing_inputs.is_empty(),
        "{:?}",
        decision.missing_inputs
    );
    assert!(!decision.strengths.is_empty());
    assert!(decision.altman.is_some() && decision.ratios.is_some());
    // Same facts, same answer.
    assert_eq!(
        decide(&policy, &model, &strong()).expect("scores"),
        decision
    );
}

#[test]
fn an_insolvency_filing_rejects_whatever_the_score() {
    let (policy, model) = setup();
    let mut facts = strong();
    if let Some(bureau) = facts.bureau.as_mut() {
        bureau.legal_events.push(LegalEvent {
            kind: "INSOLVENCY".into(),
            filed_on: "2026-10-01".into(),
        });
    }
    let decision = decide(&policy, &model, &facts).expect("scores");
    assert!(decision.rejected);
    assert_eq!(decision.risk_class, "E");
    assert_eq!(decision.reasons[0].code, "INSOLVENCY_FILING");
    assert_eq!(decision.recommendation.amount, dec!(0));
}

#[test]
fn missing_inputs_are_scored_around_and_named_unless_the_policy_requires_them() {
    let (policy, model) = setup();
    let facts = Facts {
        statement: None,
        ..strong()
    };
    let decision = decide(&policy, &model, &facts).expect("scores");
    assert!(
        decision
            .missing_inputs
            .contains(&"financial_statement".to_string())
    );
    assert!(decision.missing_inputs.contains(&ch::ALTMAN_Z.to_string()));
    assert_eq!(decision.recommendation.amount, dec!(0));
    assert!(
        decision
            .recommendation
            .explanation
            .contains("no usable financial statement")
    );

    let mut strict: serde_json::Value = serde_json::from_str(DEFAULT_POLICY).expect("json");
    strict["required_inputs"] = serde_json::json!(["financial_statement"]);
    let strict = Policy::parse(&strict.to_string()).expect("policy");
    assert_eq!(
        decide(&strict, &model, &facts),
        Err(DecisionError::MissingRequiredInputs(vec![
            "financial_statement".into()
        ]))
    );
}

#[test]
fn a_statement_that_does_not_balance_is_flagged_and_kept_out_of_the_model() {
    let (policy, model) = setup();
    let mut facts = strong();
    if let Some(s) = facts.statement.as_mut() {
        s.equity = dec!(1000000); // 4.0 M assets vs 1.6 + 1.0 M
    }
    let decision = decide(&policy, &model, &facts).expect("scores");
    assert_eq!(
        decision.statement_flags[0].code,
        "BALANCE_SHEET_DOES_NOT_BALANCE"
    );
    assert!(decision.missing_inputs.contains(&ch::ALTMAN_Z.to_string()));
    assert!(
        decision
            .reasons
            .iter()
            .any(|r| r.code == "UNRELIABLE_STATEMENT" && r.points == -15)
    );
    assert_eq!(decision.score, decision.model_score - 15);
    assert_eq!(decision.recommendation.amount, dec!(0));
}

#[test]
fn weaker_facts_never_score_better() {
    let (policy, model) = setup();
    let good = decide(&policy, &model, &strong()).expect("scores");
    let mut facts = strong();
    if let Some(p) = facts.payment.as_mut() {
        p.average_days_beyond_terms = dec!(75);
        p.share_paid_late = dec!(0.6);
        p.broken_promises = 3;
    }
    let late = decide(&policy, &model, &facts).expect("scores");
    assert!(late.score < good.score);
    let codes: Vec<&str> = late.reasons.iter().map(|r| r.code.as_str()).collect();
    assert!(
        codes.contains(&"SEVERELY_LATE_WITH_US") && codes.contains(&"BROKEN_PROMISES"),
        "{codes:?}"
    );
}
