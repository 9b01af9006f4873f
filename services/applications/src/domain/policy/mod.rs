//! The decision policy: when an application is decided without a person, who must approve the
//! rest (the authority matrix), when two approvers are needed, who may override, and when an
//! approved customer is reviewed. A versioned JSON document credit managers change without a
//! release; every problem of a bad one is named.
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::str::FromStr;

/// The policy installed on first start.
pub const DEFAULT_POLICY: &str = include_str!("../../../policies/default.json");

/// Amounts per ISO 4217 currency ("EUR": "50000"); a currency not listed has no amount, which
/// a threshold reads as "never within".
pub type Amounts = BTreeMap<String, String>;

/// When the policy decides alone.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AutoApprove {
    /// Risk classes that may be approved automatically.
    pub risk_classes: Vec<String>,
    /// Largest amount approved automatically, per currency.
    pub max_amount: Amounts,
    /// Longest payment terms approved automatically (days).
    pub max_payment_terms_days: u32,
    /// Only when scoring's recommended limit covers the amount asked.
    #[serde(default = "yes")]
    pub within_recommended_limit: bool,
}

fn yes() -> bool {
    true
}

/// When the policy rejects alone.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AutoReject {
    /// Risk classes rejected automatically.
    #[serde(default)]
    pub risk_classes: Vec<String>,
    /// A hard rule of scoring's policy (an insolvency filing…) rejects.
    #[serde(default = "yes")]
    pub on_scoring_reject: bool,
}

/// One level of the authority matrix.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Level {
    /// Name ("analyst", "manager", "committee").
    pub name: String,
    /// Roles whose holders approve at this level.
    pub roles: Vec<String>,
    /// The largest amount this level may approve, per currency; absent: any amount.
    #[serde(default)]
    pub up_to: Option<Amounts>,
    /// Risk classes this level may approve; absent: every class.
    #[serde(default)]
    pub risk_classes: Option<Vec<String>>,
    /// Only applications from these regions pass through this level; absent: all.
    #[serde(default)]
    pub regions: Option<Vec<String>>,
    /// Only applications of these business units pass through this level; absent: all.
    #[serde(default)]
    pub business_units: Option<Vec<String>>,
    /// Hours the level has to act before the step escalates.
    pub sla_hours: u32,
}

/// The policy document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PolicyDocument {
    /// Name for people.
    pub name: String,
    /// Decide automatically where the policy allows; false sends everything to people (the
    /// recommendation is still made and recorded).
    #[serde(default = "yes")]
    pub automatic_decisions: bool,
    /// Automatic approval.
    pub auto_approve: AutoApprove,
    /// Automatic rejection.
    pub auto_reject: AutoReject,
    /// The authority matrix, lowest level first. The last level must have no restriction: it
    /// is the authority of last resort.
    pub levels: Vec<Level>,
    /// Above this amount (per currency) the deciding level needs two distinct approvers.
    pub dual_approval_above: Amounts,
    /// Roles that may decide against the recommendation.
    pub override_roles: Vec<String>,
    /// Months until an approved customer's review, per risk class.
    pub review_months: BTreeMap<String, u32>,
}

pub use credit_platform::transition::{Problem as PolicyProblem, problem};

/// A validated policy with its amounts parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The document as uploaded.
    pub document: PolicyDocument,
    auto_max: BTreeMap<String, Decimal>,
    dual_above: BTreeMap<String, Decimal>,
    level_up_to: Vec<Option<BTreeMap<String, Decimal>>>,
}

fn amounts(
    field: &str,
    amounts: &Amounts,
    problems: &mut Vec<PolicyProblem>,
) -> BTreeMap<String, Decimal> {
    let mut parsed = BTreeMap::new();
    for (currency, text) in amounts {
        let path = format!("{field}.{currency}");
        if credit_platform::money::Currency::from_code(currency).is_none() {
            problems.push(problem(&path, "not an ISO 4217 currency code"));
            continue;
        }
        match Decimal::from_str(text) {
            Ok(amount) if amount >= Decimal::ZERO => {
                parsed.insert(currency.clone(), amount);
            }
            _ => problems.push(problem(&path, "must be a non-negative decimal string")),
        }
    }
    parsed
}

impl Policy {
    /// Parses and validates a document, naming every problem.
    pub fn parse(json: &str) -> Result<Self, Vec<PolicyProblem>> {
        let document: PolicyDocument = serde_json::from_str(json).map_err(|e| {
            vec![problem(
                "document_json",
                format!("not a decision policy: {e}"),
            )]
        })?;
        let mut problems = Vec::new();
        if document.name.trim().is_empty() {
            problems.push(problem("name", "required"));
        }
        if document.auto_approve.risk_classes.is_empty() && document.automatic_decisions {
            // Allowed (nothing is approved alone), but say nothing: an empty list is explicit.
        }
        let auto_max = amounts(
            "auto_approve.max_amount",
            &document.auto_approve.max_amount,
            &mut problems,
        );
        if document.auto_approve.max_payment_terms_days > 180 {
            problems.push(problem(
                "auto_approve.max_payment_terms_days",
                "at most 180",
            ));
        }
        let dual_above = amounts(
            "dual_approval_above",
            &document.dual_approval_above,
            &mut problems,
        );
        if document.levels.is_empty() {
            problems.push(problem("levels", "at least one level is required"));
        }
        let mut level_up_to = Vec::new();
        let mut names = std::collections::BTreeSet::new();
        for (i, level) in document.levels.iter().enumerate() {
            let path = format!("levels[{i}]");
            if level.name.trim().is_empty() {
                problems.push(problem(format!("{path}.name"), "required"));
            } else if !names.insert(level.name.clone()) {
                problems.push(problem(format!("{path}.name"), "used by another level"));
            }
            if level.roles.is_empty() {
                problems.push(problem(format!("{path}.roles"), "at least one role"));
            }
            if level.sla_hours == 0 {
                problems.push(problem(format!("{path}.sla_hours"), "must be at least 1"));
            }
            level_up_to.push(
                level
                    .up_to
                    .as_ref()
                    .map(|up_to| amounts(&format!("{path}.up_to"), up_to, &mut problems)),
            );
            let last = i + 1 == document.levels.len();
            let restricted = level.up_to.is_some()
                || level.risk_classes.is_some()
                || level.regions.is_some()
                || level.business_units.is_some();
            if last && restricted {
                problems.push(problem(
                    path,
                    "the last level is the authority of last resort: it takes no up_to, \
                     risk_classes, regions or business_units",
                ));
            }
        }
        if document.override_roles.is_empty() {
            problems.push(problem("override_roles", "at least one role"));
        }
        for (class, months) in &document.review_months {
            if *months == 0 || *months > 60 {
                problems.push(problem(
                    format!("review_months.{class}"),
                    "must be 1 to 60 months",
                ));
            }
        }
        if problems.is_empty() {
            Ok(Self {
                document,
                auto_max,
                dual_above,
                level_up_to,
            })
        } else {
            Err(problems)
        }
    }
}

/// What the policy decides on.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Risk class of the score.
    pub risk_class: String,
    /// Scoring rejected on a hard rule.
    pub scoring_rejected: bool,
    /// Scoring's recommended limit (same currency as asked), when it gave one.
    pub recommended_limit: Option<Decimal>,
    /// Amount asked for.
    pub amount: Decimal,
    /// Its currency.
    pub currency: String,
    /// Payment terms asked for.
    pub payment_terms_days: u32,
    /// Sales region.
    pub region: String,
    /// Business unit.
    pub business_unit: String,
    /// A decrease of an approved customer's limit: it lowers the risk, so the policy never
    /// rejects it alone.
    pub decrease: bool,
    /// Proposed by the system after an early warning, not asked by a person: a person
    /// confirms it.
    pub early_warning: bool,
}

credit_platform::named! {
    /// The policy's recommendation.
    pub enum Outcome {
        /// Approve as asked.
        Approve = "APPROVE",
        /// Reject.
        Reject = "REJECT",
        /// Refer to people.
        Refer = "REFER",
    }
}

/// One step the application must pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedStep {
    /// The level.
    pub level: String,
    /// Its roles.
    pub roles: Vec<String>,
    /// Distinct approvals needed.
    pub approvals_required: u32,
    /// Its SLA.
    pub sla_hours: u32,
}

impl Policy {
    /// The recommendation for `case`, with the reasons in codes.
    pub fn recommend(&self, case: &Case) -> (Outcome, Vec<&'static str>) {
        let reject = &self.document.auto_reject;
        let mut reasons = Vec::new();
        if case.scoring_rejected && reject.on_scoring_reject {
            reasons.push("SCORING_HARD_REJECT");
        }
        if reject.risk_classes.contains(&case.risk_class) {
            reasons.push("RISK_CLASS_REJECTED");
        }
        if !reasons.is_empty() {
            if case.decrease {
                // Cutting the limit of a customer the policy would reject: a person decides
                // whether to cut further or withdraw credit.
                reasons.push("DECREASE_REFERRED");
                return (Outcome::Refer, reasons);
            }
            return (Outcome::Reject, reasons);
        }
        let approve = &self.document.auto_approve;
        if case.scoring_rejected {
            reasons.push("SCORING_HARD_REJECT");
        }
        if !approve.risk_classes.contains(&case.risk_class) {
            reasons.push("RISK_CLASS_ABOVE_AUTO_APPROVAL");
        }
        if self
            .auto_max
            .get(&case.currency)
            .is_none_or(|max| case.amount > *max)
        {
            reasons.push("AMOUNT_ABOVE_AUTO_APPROVAL");
        }
        if case.payment_terms_days > approve.max_payment_terms_days {
            reasons.push("TERMS_ABOVE_AUTO_APPROVAL");
        }
        if approve.within_recommended_limit
            && case.recommended_limit.is_none_or(|l| case.amount > l)
        {
            reasons.push("AMOUNT_ABOVE_RECOMMENDED_LIMIT");
        }
        if reasons.is_empty() && case.early_warning {
            (Outcome::Refer, vec!["PROPOSED_BY_EARLY_WARNING"])
        } else if reasons.is_empty() {
            (Outcome::Approve, vec!["WITHIN_AUTO_APPROVAL"])
        } else {
            (Outcome::Refer, reasons)
        }
    }

    /// Whether the policy decides `outcome` without a person.
    pub fn decides_alone(&self, outcome: Outcome) -> bool {
        self.document.automatic_decisions && outcome != Outcome::Refer
    }

    /// The approval chain of `case`: the levels its region and business unit pass through,
    /// from the lowest up to the first whose authority covers the class and amount; the
    /// deciding level needs two approvers above the dual-approval amount.
    pub fn chain(&self, case: &Case) -> Vec<PlannedStep> {
        let mut steps = Vec::new();
        for (level, up_to) in self.document.levels.iter().zip(&self.level_up_to) {
            let applies = level
                .regions
                .as_ref()
                .is_none_or(|r| r.contains(&case.region))
                && level
                    .business_units
                    .as_ref()
                    .is_none_or(|b| b.contains(&case.business_unit));
            if !applies {
                continue;
            }
            let covers = level
                .risk_classes
                .as_ref()
                .is_none_or(|c| c.contains(&case.risk_class))
                && up_to.as_ref().is_none_or(|up_to| {
                    up_to
                        .get(&case.currency)
                        .is_some_and(|max| case.amount <= *max)
                });
            steps.push(PlannedStep {
                level: level.name.clone(),
                roles: level.roles.clone(),
                approvals_required: 1,
                sla_hours: level.sla_hours,
            });
            if covers {
                break;
            }
        }
        let dual = self
            .dual_above
            .get(&case.currency)
            .is_some_and(|above| case.amount > *above);
        if let (true, Some(last)) = (dual, steps.last_mut()) {
            last.approvals_required = 2;
        }
        steps
    }

    /// Who may release a blocked order of `case.amount` in one act: the level the authority
    /// matrix names for that amount, and every level above it.
    pub fn release_authority(&self, case: &Case) -> (String, Vec<String>) {
        let level = self
            .chain(case)
            .last()
            .map(|s| s.level.clone())
            .unwrap_or_default();
        let mut roles: Vec<String> = Vec::new();
        for l in self.document.levels.iter().skip_while(|l| l.name != level) {
            for role in &l.roles {
                if !roles.contains(role) {
                    roles.push(role.clone());
                }
            }
        }
        (level, roles)
    }

    /// The level an overdue step at `level` escalates to: the next one above it that applies to
    /// the case's region and business unit; `None` at the top.
    pub fn level_above(&self, case: &Case, level: &str) -> Option<PlannedStep> {
        self.document
            .levels
            .iter()
            .skip_while(|l| l.name != level)
            .skip(1)
            .find(|l| {
                l.regions.as_ref().is_none_or(|r| r.contains(&case.region))
                    && l.business_units
                        .as_ref()
                        .is_none_or(|b| b.contains(&case.business_unit))
            })
            .map(|l| PlannedStep {
                level: l.name.clone(),
                roles: l.roles.clone(),
                approvals_required: 1,
                sla_hours: l.sla_hours,
            })
    }

    /// Whether a person's final decision departs from the recommendation: approving what the
    /// policy or scoring would reject, or more than scoring's recommended limit; rejecting
    /// what the policy would approve.
    pub fn is_override(
        &self,
        recommendation: Outcome,
        case: &Case,
        approved_amount: Option<Decimal>,
    ) -> bool {
        match approved_amount {
            // Approving a decrease departs only by keeping more than scoring recommends.
            Some(amount) if case.decrease => case.recommended_limit.is_some_and(|l| amount > l),
            Some(amount) => {
                recommendation == Outcome::Reject
                    || case.scoring_rejected
                    || case.recommended_limit.is_some_and(|l| amount > l)
            }
            None => recommendation == Outcome::Approve,
        }
    }

    /// Whether `roles` may override.
    pub fn may_override(&self, roles: &[String]) -> bool {
        roles
            .iter()
            .any(|r| self.document.override_roles.contains(r) || r == "credit.admin")
    }

    /// Months to the review of a customer of `risk_class` (12 when the policy says nothing).
    pub fn review_months(&self, risk_class: &str) -> u32 {
        self.document
            .review_months
            .get(risk_class)
            .copied()
            .unwrap_or(12)
    }
}

#[cfg(test)]
mod tests;
