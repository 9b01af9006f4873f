//! The collections policy document — versioned, read and changed by credit managers without a
//! release: dunning strategies and contact rules, write-off authority, the worklist's weights and
//! the limitation rules — and its validation, which names every problem.
use super::dunning::{ContactRules, Strategy, TEMPLATES};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::str::FromStr;

/// The policy installed on first start.
pub const DEFAULT_POLICY: &str = include_str!("../../policies/dunning.json");

/// The policy document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PolicyDocument {
    /// Name for people.
    pub name: String,
    /// Strategies, the first that applies is used; the last must apply to everyone.
    pub strategies: Vec<Strategy>,
    /// Contact rules.
    pub contact: ContactRules,
    /// Who may approve write-offs of how much, lowest authority first; the last level has no
    /// maximum. Absent: credit managers approve every write-off.
    #[serde(default = "default_write_off_authority")]
    pub write_off_authority: Vec<WriteOffLevel>,
    /// How the collector's worklist ranks and advises.
    #[serde(default)]
    pub worklist: WorklistRules,
    /// The statute of limitations by jurisdiction, and when to warn before it expires.
    #[serde(default)]
    pub limitation: LimitationRules,
}

/// The statute of limitations by jurisdiction.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LimitationRules {
    /// Alerts this many days before a deadline (each once per deadline), e.g. [90, 30].
    pub alert_days: Vec<i64>,
    /// One rule per jurisdiction; "*" for every other (required).
    pub rules: Vec<crate::domain::limitation::Rule>,
}

impl Default for LimitationRules {
    fn default() -> Self {
        use crate::domain::limitation::{Act, Rule, Start};
        Self {
            alert_days: vec![90, 30],
            rules: vec![Rule {
                jurisdiction: "*".into(),
                years: 3,
                start: Start::DueDate,
                interrupted_by: vec![Act::Acknowledgement, Act::PartialPayment, Act::LegalAction],
            }],
        }
    }
}

impl LimitationRules {
    /// The rule of `jurisdiction` (the catch-all when it has none).
    pub fn rule(&self, jurisdiction: &str) -> &crate::domain::limitation::Rule {
        self.rules
            .iter()
            .find(|r| r.jurisdiction == jurisdiction)
            .or_else(|| self.rules.iter().find(|r| r.jurisdiction == "*"))
            .unwrap_or(&self.rules[0])
    }

    /// The earliest a deadline can be after a due day: the shortest rule's years, less a few
    /// days of calendar slack.
    pub fn shortest_days(&self) -> i64 {
        self.rules
            .iter()
            .map(|r| i64::from(r.years))
            .min()
            .unwrap_or(1)
            * 365
            - 3
    }
}

/// How the worklist ranks and advises.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WorklistRules {
    /// The probability of default of customers scoring has not scored ("0.05").
    pub default_probability: String,
    /// Days past due beyond which the collector calls rather than lets reminders run.
    pub call_after_days: i64,
}

impl Default for WorklistRules {
    fn default() -> Self {
        Self {
            default_probability: "0.05".into(),
            call_after_days: 30,
        }
    }
}

/// A level of authority over write-offs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WriteOffLevel {
    /// The role ("credit.analyst").
    pub role: String,
    /// The largest amount per currency it may approve; a currency not listed: none. Absent: no
    /// maximum.
    #[serde(default)]
    pub max_amount: Option<BTreeMap<String, String>>,
}

fn default_write_off_authority() -> Vec<WriteOffLevel> {
    vec![WriteOffLevel {
        role: "credit.manager".into(),
        max_amount: None,
    }]
}

pub use credit_platform::transition::{Problem as PolicyProblem, problem};

/// A minute of the day from "HH:MM".
pub fn minute_of_day(text: &str) -> Option<u32> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// A validated policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The document as uploaded.
    pub document: PolicyDocument,
    quiet: (u32, u32),
}

impl Policy {
    /// Parses and validates a document, naming every problem.
    pub fn parse(json: &str) -> Result<Self, Vec<PolicyProblem>> {
        let document: PolicyDocument = serde_json::from_str(json).map_err(|e| {
            vec![problem(
                "document_json",
                format!("not a dunning policy: {e}"),
            )]
        })?;
        let mut problems = Vec::new();
        if document.name.trim().is_empty() {
            problems.push(problem("name", "required"));
        }
        if document.strategies.is_empty() {
            problems.push(problem("strategies", "at least one strategy"));
        }
        for (i, s) in document.strategies.iter().enumerate() {
            let path = format!("strategies[{i}]");
            if s.name.trim().is_empty() {
                problems.push(problem(format!("{path}.name"), "required"));
            }
            let last = i + 1 == document.strategies.len();
            if last && (s.segments.is_some() || s.risk_classes.is_some()) {
                problems.push(problem(
                    &path,
                    "the last strategy applies to everyone: no segments or risk_classes",
                ));
            }
            if s.steps.is_empty() {
                problems.push(problem(format!("{path}.steps"), "at least one step"));
            }
            let mut codes = std::collections::BTreeSet::new();
            for (j, step) in s.steps.iter().enumerate() {
                let path = format!("{path}.steps[{j}]");
                if step.code.trim().is_empty() || !codes.insert(step.code.clone()) {
                    problems.push(problem(format!("{path}.code"), "required and unique"));
                }
                if j > 0 && step.offset_days <= s.steps[j - 1].offset_days {
                    problems.push(problem(
                        format!("{path}.offset_days"),
                        "steps come later one after the other",
                    ));
                }
                if !(-60..=730).contains(&step.offset_days) {
                    problems.push(problem(
                        format!("{path}.offset_days"),
                        "from 60 days before the due date to 730 after",
                    ));
                }
                if !TEMPLATES.contains(&step.template.as_str()) {
                    problems.push(problem(
                        format!("{path}.template"),
                        format!("one of {}", TEMPLATES.join(", ")),
                    ));
                }
                for (currency, amount) in &step.fee {
                    let valid = credit_platform::money::Currency::from_code(currency).is_some()
                        && Decimal::from_str(amount).is_ok_and(|a| a > Decimal::ZERO);
                    if !valid {
                        problems.push(problem(
                            format!("{path}.fee.{currency}"),
                            "an ISO 4217 currency and a positive decimal",
                        ));
                    }
                }
                if let Some(rate) = &step.interest_rate
                    && !Decimal::from_str(rate)
                        .is_ok_and(|r| r > Decimal::ZERO && r <= Decimal::ONE)
                {
                    problems.push(problem(
                        format!("{path}.interest_rate"),
                        "an annual rate above 0, at most 1 (\"0.1215\")",
                    ));
                }
                for (currency, amount) in &step.min_amount {
                    let valid = credit_platform::money::Currency::from_code(currency).is_some()
                        && Decimal::from_str(amount).is_ok_and(|a| a >= Decimal::ZERO);
                    if !valid {
                        problems.push(problem(
                            format!("{path}.min_amount.{currency}"),
                            "an ISO 4217 currency and a non-negative decimal",
                        ));
                    }
                }
            }
        }
        let c = &document.contact;
        if c.max_contacts == 0 || c.period_days == 0 {
            problems.push(problem(
                "contact",
                "max_contacts and period_days at least 1",
            ));
        }
        check_write_off_authority(&document.write_off_authority, &mut problems);
        let w = &document.worklist;
        if !Decimal::from_str(&w.default_probability)
            .is_ok_and(|p| p > Decimal::ZERO && p <= Decimal::ONE)
        {
            problems.push(problem(
                "worklist.default_probability",
                "a probability above 0, at most 1",
            ));
        }
        if !(0..=365).contains(&w.call_after_days) {
            problems.push(problem("worklist.call_after_days", "from 0 to 365"));
        }
        check_limitation(&document.limitation, &mut problems);
        let quiet = (minute_of_day(&c.quiet_from), minute_of_day(&c.quiet_until));
        if quiet.0.is_none() {
            problems.push(problem("contact.quiet_from", "a time HH:MM"));
        }
        if quiet.1.is_none() {
            problems.push(problem("contact.quiet_until", "a time HH:MM"));
        }
        match (problems.is_empty(), quiet) {
            (true, (Some(from), Some(until))) => Ok(Self {
                document,
                quiet: (from, until),
            }),
            _ => Err(problems),
        }
    }

    /// The strategy for a customer of `segment` and `risk_class` ("" when unknown).
    pub fn strategy(&self, segment: &str, risk_class: &str) -> &Strategy {
        let applies = |s: &&Strategy| {
            s.segments
                .as_ref()
                .is_none_or(|list| list.iter().any(|x| x == segment))
                && s.risk_classes
                    .as_ref()
                    .is_none_or(|list| list.iter().any(|x| x == risk_class))
        };
        self.document
            .strategies
            .iter()
            .find(applies)
            .or(self.document.strategies.last())
            .expect("a validated policy has a strategy for everyone")
    }

    /// The level of write-off authority an amount needs: the lowest whose maximum covers it.
    pub fn write_off_level(&self, currency: &str, amount: Decimal) -> usize {
        let levels = &self.document.write_off_authority;
        levels
            .iter()
            .position(|level| match &level.max_amount {
                None => true,
                Some(max) => max
                    .get(currency)
                    .and_then(|m| Decimal::from_str(m).ok())
                    .is_some_and(|m| amount <= m),
            })
            .unwrap_or(levels.len().saturating_sub(1))
    }

    /// Whether a caller with `roles` holds the authority of `level` (or a higher one).
    pub fn has_write_off_authority(&self, roles: &[String], level: usize) -> bool {
        self.document
            .write_off_authority
            .iter()
            .skip(level)
            .any(|l| roles.contains(&l.role))
    }

    /// Whether `minute` (of the customer's local day) is in the quiet hours.
    pub fn is_quiet(&self, minute: u32) -> bool {
        let (from, until) = self.quiet;
        if from <= until {
            minute >= from && minute < until
        } else {
            // Across midnight: 20:00–08:00.
            minute >= from || minute < until
        }
    }
}

fn check_limitation(rules: &LimitationRules, problems: &mut Vec<PolicyProblem>) {
    if !rules.rules.iter().any(|r| r.jurisdiction == "*") {
        problems.push(problem(
            "limitation.rules",
            "a rule for jurisdiction \"*\" (every other) is required",
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, rule) in rules.rules.iter().enumerate() {
        let path = format!("limitation.rules[{i}]");
        let code = rule.jurisdiction.as_str();
        let valid = code == "*" || crate::domain::limitation::is_country_code(code);
        if !valid || !seen.insert(code) {
            problems.push(problem(
                format!("{path}.jurisdiction"),
                "an ISO 3166 country code (\"FR\") or \"*\", once each",
            ));
        }
        if !(1..=30).contains(&rule.years) {
            problems.push(problem(format!("{path}.years"), "from 1 to 30"));
        }
    }
    if rules.alert_days.iter().any(|d| !(1..=3650).contains(d)) {
        problems.push(problem("limitation.alert_days", "days from 1 to 3650"));
    }
}

fn check_write_off_authority(levels: &[WriteOffLevel], problems: &mut Vec<PolicyProblem>) {
    if levels.is_empty() {
        problems.push(problem("write_off_authority", "at least one level"));
    }
    let mut roles = std::collections::BTreeSet::new();
    for (i, level) in levels.iter().enumerate() {
        let path = format!("write_off_authority[{i}]");
        if level.role.trim().is_empty() || !roles.insert(level.role.clone()) {
            problems.push(problem(format!("{path}.role"), "required and unique"));
        }
        let last = i + 1 == levels.len();
        match &level.max_amount {
            Some(_) if last => problems.push(problem(
                format!("{path}.max_amount"),
                "the last level approves any amount: no max_amount",
            )),
            Some(max) => {
                for (currency, amount) in max {
                    let valid = credit_platform::money::Currency::from_code(currency).is_some()
                        && Decimal::from_str(amount).is_ok_and(|a| a > Decimal::ZERO);
                    if !valid {
                        problems.push(problem(
                            format!("{path}.max_amount.{currency}"),
                            "an ISO 4217 currency and a positive decimal",
                        ));
                    }
                }
            }
            None if !last => problems.push(problem(
                format!("{path}.max_amount"),
                "only the last level is without a maximum",
            )),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dunning::{due_step, upcoming};

    fn policy() -> Policy {
        Policy::parse(DEFAULT_POLICY).expect("the default dunning policy validates")
    }

    #[test]
    fn the_latest_due_step_is_chosen_and_never_twice() {
        let p = policy();
        let steps = &p.strategy("SME", "B").steps;
        let due = 1_000;
        // Before the friendly reminder's day: nothing.
        assert_eq!(due_step(steps, due, due - 10, None), None);
        let friendly = due_step(steps, due, due - 3, None).expect("friendly");
        assert_eq!(steps[friendly].template, "FRIENDLY_REMINDER");
        assert_eq!(due_step(steps, due, due - 2, Some(friendly)), None);
        // Long overdue and nothing sent yet: only the latest step, no burst.
        let latest = due_step(steps, due, due + 400, None).expect("latest");
        assert_eq!(latest, steps.len() - 1);
        let plan = upcoming(steps, due, Some(friendly));
        assert_eq!(plan.first().map(|(i, _)| *i), Some(friendly + 1));
    }

    #[test]
    fn strategies_are_chosen_by_segment_and_class_and_quiet_hours_wrap_midnight() {
        let p = policy();
        assert_eq!(p.strategy("KEY_ACCOUNT", "A").name, "key-accounts");
        assert_eq!(p.strategy("SME", "D").name, "high-risk");
        assert_eq!(p.strategy("SME", "").name, "standard");
        assert!(p.is_quiet(minute_of_day("21:30").unwrap_or_default()));
        assert!(p.is_quiet(minute_of_day("07:59").unwrap_or_default()));
        assert!(!p.is_quiet(minute_of_day("08:00").unwrap_or_default()));
        assert!(!p.is_quiet(minute_of_day("14:00").unwrap_or_default()));
    }

    #[test]
    fn write_off_authority_goes_up_with_the_amount() {
        let p = policy();
        let analyst = vec!["credit.analyst".to_string()];
        let manager = vec!["credit.manager".to_string()];
        let small = p.write_off_level("EUR", Decimal::from(1_000));
        let large = p.write_off_level("EUR", Decimal::new(100_001, 2));
        assert!(p.has_write_off_authority(&analyst, small));
        assert!(p.has_write_off_authority(&manager, small));
        assert!(!p.has_write_off_authority(&analyst, large));
        assert!(p.has_write_off_authority(&manager, large));
        // A currency the analyst's level does not list needs the manager.
        assert!(!p.has_write_off_authority(&analyst, p.write_off_level("JPY", Decimal::ONE)));
        let bad = DEFAULT_POLICY.replacen(
            "\"write_off_authority\": [",
            "\"write_off_authority\": [{\"role\": \"credit.viewer\"},",
            1,
        );
        let fields: Vec<String> = Policy::parse(&bad)
            .expect_err("invalid")
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(fields, ["write_off_authority[0].max_amount"]);
    }

    #[test]
    fn a_bad_policy_names_every_problem() {
        let bad = r#"{"name": "", "strategies": [
            {"name": "x", "segments": ["SME"], "steps": [
                {"code": "A", "offset_days": 5, "channel": "EMAIL", "template": "NOPE"},
                {"code": "A", "offset_days": 1, "channel": "EMAIL", "template": "REMINDER",
                 "min_amount": {"XYZ": "-1"}}]}],
            "contact": {"max_contacts": 0, "period_days": 7, "quiet_from": "25:00",
                        "quiet_until": "08:00"}}"#;
        let fields: Vec<String> = Policy::parse(bad)
            .expect_err("invalid")
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(
            fields,
            [
                "name",
                "strategies[0]",
                "strategies[0].steps[0].template",
                "strategies[0].steps[1].code",
                "strategies[0].steps[1].offset_days",
                "strategies[0].steps[1].min_amount.XYZ",
                "contact",
                "contact.quiet_from"
            ]
        );
    }
}
