//! The credit policy: what credit managers change without a release. A JSON document, validated
//! on upload and versioned by the service, holding
//! - hard rules (for example an insolvency filing rejects) and point adjustments, each a CEL
//!   expression (Common Expression Language, the `cel` crate) over the customer's facts,
//! - the inputs the policy requires before it scores at all,
//! - risk-class bands on the score,
//! - the recommended-limit method and its shares per class, capped by the request and a maximum,
//! - early-warning thresholds.
//!
//! CEL rather than a home-made language: it is a standard (Kubernetes, Envoy, Firebase and
//! Google IAM use it), side-effect free, always terminates, and reads like the rule it states.
use cel::{Context, Program, Value};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A rule: a reason code, words for people, and the CEL condition that triggers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable code, UPPER_SNAKE_CASE, for example "INSOLVENCY_FILING".
    pub code: String,
    /// For the customer file and the decision notice.
    pub reason: String,
    /// CEL condition over the facts (`financials`, `bureau`, `references`, `payment`, `request`).
    pub when: String,
}

/// A rule that adds (or takes) points when it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adjustment {
    /// The rule.
    #[serde(flatten)]
    pub rule: Rule,
    /// Points added (negative: taken).
    pub points: i64,
}

/// A risk class: scores at or above `min_score` (the last band has none and takes the rest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskClassBand {
    /// "A" … "E".
    pub class: String,
    /// Lowest score of the class; absent on the last, worst class.
    pub min_score: Option<i64>,
    /// Share of the limit basis recommended for this class (0 to 1).
    pub limit_share: Decimal,
}

/// What the recommended limit is a share of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LimitBasis {
    /// Equity − intangible assets.
    TangibleNetWorth,
    /// Current assets − current liabilities.
    WorkingCapital,
    Revenue,
}

/// How the recommended limit is computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitMethod {
    /// The basis.
    pub basis: LimitBasis,
    /// ISO 4217 currency of the maximum (and of statements it applies to).
    pub currency_code: String,
    /// Never recommend more than this.
    pub maximum: Decimal,
    /// Never recommend more than the requested amount, when one is given.
    pub cap_at_requested: bool,
}

/// When a re-score raises an early-warning alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarlyWarning {
    /// A drop of at least this many points.
    pub score_drop: i64,
    /// A probability of default above this (0 to 1).
    pub probability_above: Decimal,
}

/// Which bureau data the policy buys, from whom, and how long a report stays good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BureauPolicy {
    /// The data blocks to request.
    pub blocks: Vec<super::bureau::DataBlock>,
    /// Providers to ask, in priority order (all configured ones, in configuration order, when
    /// empty).
    #[serde(default)]
    pub providers: Vec<String>,
    /// A stored report younger than this is reused instead of buying a new one.
    pub max_age_days: u32,
}

/// The policy as uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDocument {
    /// A name for people, for example "EMEA trade credit 2026".
    pub name: String,
    /// Inputs without which the policy does not score: "financial_statement", "bureau",
    /// "trade_references", "payment_behaviour".
    #[serde(default)]
    pub required_inputs: Vec<String>,
    /// Relative gap between assets and liabilities + equity above which a statement is flagged.
    pub balance_tolerance: Decimal,
    /// Any of these rejects.
    #[serde(default)]
    pub hard_rejects: Vec<Rule>,
    /// Points added or taken after the model's score.
    #[serde(default)]
    pub adjustments: Vec<Adjustment>,
    /// Best class first.
    pub risk_classes: Vec<RiskClassBand>,
    /// The recommended limit.
    pub limit: LimitMethod,
    /// Early warning.
    pub early_warning: EarlyWarning,
    /// Bureau data to fetch before scoring; none fetched automatically when absent.
    #[serde(default)]
    pub bureau: Option<BureauPolicy>,
}

/// Inputs a policy may require.
pub const INPUTS: &[&str] = &[
    "financial_statement",
    "bureau",
    "trade_references",
    "payment_behaviour",
];

/// A validated policy with its conditions compiled.
#[derive(Debug)]
pub struct Policy {
    /// The document.
    pub document: PolicyDocument,
    rejects: Vec<Program>,
    adjustments: Vec<Program>,
}

pub use credit_platform::transition::{Problem as PolicyProblem, problem};

fn compile(field: String, expression: &str, problems: &mut Vec<PolicyProblem>) -> Option<Program> {
    match Program::compile(expression) {
        Ok(program) => Some(program),
        Err(error) => {
            problems.push(problem(
                field,
                format!("not a valid CEL expression: {error}"),
            ));
            None
        }
    }
}

fn code_ok(code: &str) -> bool {
    !code.is_empty()
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

impl Policy {
    /// Parses and validates a policy document; every problem is reported at once.
    pub fn parse(json: &str) -> Result<Self, Vec<PolicyProblem>> {
        let document: PolicyDocument = serde_json::from_str(json)
            .map_err(|e| vec![problem("policy", format!("not a policy document: {e}"))])?;
        let mut problems = Vec::new();
        if document.name.trim().is_empty() {
            problems.push(problem("name", "required"));
        }
        for (i, input) in document.required_inputs.iter().enumerate() {
            if !INPUTS.contains(&input.as_str()) {
                problems.push(problem(
                    format!("required_inputs[{i}]"),
                    format!("unknown input '{input}'; known: {}", INPUTS.join(", ")),
                ));
            }
        }
        if document.balance_tolerance < Decimal::ZERO || document.balance_tolerance > Decimal::ONE {
            problems.push(problem("balance_tolerance", "must be between 0 and 1"));
        }
        let rejects: Vec<Program> = document
            .hard_rejects
            .iter()
            .enumerate()
            .filter_map(|(i, rule)| {
                if !code_ok(&rule.code) {
                    problems.push(problem(
                        format!("hard_rejects[{i}].code"),
                        "UPPER_SNAKE_CASE required",
                    ));
                }
                compile(format!("hard_rejects[{i}].when"), &rule.when, &mut problems)
            })
            .collect();
        let adjustments: Vec<Program> = document
            .adjustments
            .iter()
            .enumerate()
            .filter_map(|(i, adjustment)| {
                if !code_ok(&adjustment.rule.code) {
                    problems.push(problem(
                        format!("adjustments[{i}].code"),
                        "UPPER_SNAKE_CASE required",
                    ));
                }
                compile(
                    format!("adjustments[{i}].when"),
                    &adjustment.rule.when,
                    &mut problems,
                )
            })
            .collect();
        let classes = &document.risk_classes;
        if classes.len() < 2 {
            problems.push(problem("risk_classes", "at least two classes are needed"));
        }
        for (i, band) in classes.iter().enumerate() {
            let last = i + 1 == classes.len();
            match (band.min_score, last) {
                (None, false) => problems.push(problem(
                    format!("risk_classes[{i}].min_score"),
                    "required on every class but the last",
                )),
                (Some(_), true) => problems.push(problem(
                    format!("risk_classes[{i}].min_score"),
                    "the last class takes every lower score and has no minimum",
                )),
                _ => {}
            }
            if i > 0
                && let (Some(previous), Some(this)) = (classes[i - 1].min_score, band.min_score)
                && this >= previous
            {
                problems.push(problem(
                    format!("risk_classes[{i}].min_score"),
                    "classes go from best to worst: each minimum below the previous one",
                ));
            }
            if band.limit_share < Decimal::ZERO || band.limit_share > Decimal::ONE {
                problems.push(problem(
                    format!("risk_classes[{i}].limit_share"),
                    "must be between 0 and 1",
                ));
            }
            if band.class.trim().is_empty() {
                problems.push(problem(format!("risk_classes[{i}].class"), "required"));
            }
        }
        if credit_platform::money::Currency::from_code(&document.limit.currency_code).is_none() {
            problems.push(problem("limit.currency_code", "not an ISO 4217 currency"));
        }
        if document.limit.maximum < Decimal::ZERO {
            problems.push(problem("limit.maximum", "must not be negative"));
        }
        if document.early_warning.score_drop <= 0 {
            problems.push(problem("early_warning.score_drop", "must be positive"));
        }
        let p = document.early_warning.probability_above;
        if p <= Decimal::ZERO || p >= Decimal::ONE {
            problems.push(problem(
                "early_warning.probability_above",
                "must be between 0 and 1",
            ));
        }
        if let Some(bureau) = &document.bureau
            && bureau.blocks.is_empty()
        {
            problems.push(problem("bureau.blocks", "name at least one data block"));
        }
        if problems.is_empty() {
            Ok(Self {
                document,
                rejects,
                adjustments,
            })
        } else {
            Err(problems)
        }
    }

    /// The class of `score`.
    pub fn class_of(&self, score: i64) -> &RiskClassBand {
        let classes = &self.document.risk_classes;
        classes
            .iter()
            .find(|band| band.min_score.is_none_or(|min| score >= min))
            .unwrap_or_else(|| &classes[classes.len() - 1])
    }

    /// The hard rules that hold for `facts`, and rules that could not be evaluated.
    pub fn rejects(&self, facts: &Context) -> (Vec<&Rule>, Vec<String>) {
        let mut hit = Vec::new();
        let mut unevaluated = Vec::new();
        for (rule, program) in self.document.hard_rejects.iter().zip(&self.rejects) {
            match holds(program, facts) {
                Ok(true) => hit.push(rule),
                Ok(false) => {}
                Err(error) => unevaluated.push(format!("{}: {error}", rule.code)),
            }
        }
        (hit, unevaluated)
    }

    /// The adjustments that hold for `facts`, and rules that could not be evaluated.
    pub fn adjustments(&self, facts: &Context) -> (Vec<&Adjustment>, Vec<String>) {
        let mut hit = Vec::new();
        let mut unevaluated = Vec::new();
        for (adjustment, program) in self.document.adjustments.iter().zip(&self.adjustments) {
            match holds(program, facts) {
                Ok(true) => hit.push(adjustment),
                Ok(false) => {}
                Err(error) => unevaluated.push(format!("{}: {error}", adjustment.rule.code)),
            }
        }
        (hit, unevaluated)
    }
}

/// Evaluates a condition; anything but a boolean is an error (a rule must say yes or no).
fn holds(program: &Program, facts: &Context) -> Result<bool, String> {
    match program.execute(facts) {
        Ok(Value::Bool(b)) => Ok(b),
        Ok(other) => Err(format!("gave {other:?}, not true or false")),
        Err(error) => Err(error.to_string()),
    }
}

/// The policy the suite starts with (EUR, shares of tangible net worth).
pub const DEFAULT_POLICY: &str = include_str!("../../policies/default.json");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_validates_and_classes_cover_every_score() {
        let policy = Policy::parse(DEFAULT_POLICY).expect("valid");
        assert_eq!(policy.class_of(10_000).class, "A");
        assert_eq!(
            policy.class_of(-10_000).class,
            policy.document.risk_classes.last().expect("classes").class
        );
    }

    #[test]
    fn every_problem_of_a_bad_policy_is_named() {
        let mut bad: serde_json::Value = serde_json::from_str(DEFAULT_POLICY).expect("json");
        bad["name"] = "".into();
        bad["required_inputs"] = serde_json::json!(["horoscope"]);
        bad["hard_rejects"][0]["when"] = "bureau.insolvency_filings >".into();
        bad["risk_classes"][1]["min_score"] = 10_000.into();
        bad["limit"]["currency_code"] = "EURO".into();
        let problems = Policy::parse(&bad.to_string()).expect_err("invalid");
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "required_inputs[0]",
                "hard_rejects[0].when",
                "risk_classes[1].min_score",
                "limit.currency_code"
            ]
        );
        let unknown_field = Policy::parse(r#"{"name":"x","surprise":1}"#).expect_err("invalid");
        assert_eq!(unknown_field[0].field, "policy");
    }

    #[test]
    fn rules_read_the_facts_and_unevaluable_rules_are_reported_not_hit() {
        let policy = Policy::parse(DEFAULT_POLICY).expect("valid");
        let mut facts = Context::default();
        facts
            .add_variable("bureau", serde_json::json!({"insolvency_filings": 1.0}))
            .expect("facts");
        facts
            .add_variable("financials", serde_json::json!({}))
            .expect("facts");
        facts
            .add_variable("payment", serde_json::json!({}))
            .expect("facts");
        facts
            .add_variable("references", serde_json::json!({}))
            .expect("facts");
        facts
            .add_variable("request", serde_json::json!({}))
            .expect("facts");
        let (hit, unevaluated) = policy.rejects(&facts);
        assert_eq!(
            hit.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(),
            ["INSOLVENCY_FILING"]
        );
        assert!(unevaluated.is_empty(), "{unevaluated:?}");
    }
}
