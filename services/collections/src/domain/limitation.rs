//! The statute of limitations, pure: when a receivable can no longer be claimed in court, under
//! its customer's jurisdiction's rule, and which acts start the period again. Examples of the
//! rules (the policy holds them; see services/collections/README.md): France 5 years from the due date (Code de
//! commerce L110-4), interrupted by acknowledgement — a partial payment is one — or legal action,
//! not by a formal notice; Germany 3 years from the end of the year the claim fell due (BGB §§195,
//! 199), restarted by acknowledgement (§212); England 6 years (Limitation Act 1980 s.5),
//! restarted by a written acknowledgement or part payment (s.29); China 3 years (Civil Code art.
//! 188), interrupted also by the creditor's demand (art. 195).
use credit_platform::clock::{add_months, date_of_day, parse_date};
use serde::{Deserialize, Serialize};

use credit_platform::clock::MICROS_PER_DAY;

/// What may start the period again.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Act {
    /// The debtor acknowledged the debt (in writing).
    Acknowledgement,
    /// The debtor paid part of it (derived from the ledger's payments).
    PartialPayment,
    /// The creditor's formal notice (a final notice, a "mise en demeure").
    FormalNotice,
    /// A claim filed in court or a court dunning order.
    LegalAction,
}

impl Act {
    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Acknowledgement => "ACKNOWLEDGEMENT",
            Self::PartialPayment => "PARTIAL_PAYMENT",
            Self::FormalNotice => "FORMAL_NOTICE",
            Self::LegalAction => "LEGAL_ACTION",
        }
    }

    /// From the stored name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "ACKNOWLEDGEMENT" => Some(Self::Acknowledgement),
            "PARTIAL_PAYMENT" => Some(Self::PartialPayment),
            "FORMAL_NOTICE" => Some(Self::FormalNotice),
            "LEGAL_ACTION" => Some(Self::LegalAction),
            _ => None,
        }
    }
}

/// Where the period starts.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Start {
    /// The due date.
    DueDate,
    /// The end of the year in which the receivable fell due.
    YearEnd,
}

/// The rule of one jurisdiction.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// ISO 3166 country code ("FR"); "*" for every other.
    pub jurisdiction: String,
    /// Length of the period in years.
    pub years: u32,
    /// Where it starts.
    pub start: Start,
    /// The acts that start it again (from the act's day).
    pub interrupted_by: Vec<Act>,
}

/// Where a receivable stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// The day the current period started.
    pub start_day: i64,
    /// The act that started it, when one did.
    pub interrupted: Option<(Act, i64)>,
    /// The last day a claim can be brought.
    pub deadline_day: i64,
}

/// Whether `code` looks like an ISO 3166 alpha-2 country code ("FR").
pub fn is_country_code(code: &str) -> bool {
    code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase())
}

/// The day `years` calendar years after `day` (29 February → 28 February).
pub fn add_years(day: i64, years: u32) -> i64 {
    let months = i32::try_from(years.saturating_mul(12)).unwrap_or(i32::MAX);
    add_months(day * MICROS_PER_DAY, months).div_euclid(MICROS_PER_DAY)
}

/// The last day of the year of `day`.
fn year_end(day: i64) -> i64 {
    let year = &date_of_day(day)[..4];
    parse_date(&format!("{year}-12-31")).unwrap_or(day)
}

/// Where a receivable due on `due_day` stands under `rule`, given the acts on it.
pub fn standing(rule: &Rule, due_day: i64, acts: &[(Act, i64)]) -> Standing {
    let first = match rule.start {
        Start::DueDate => due_day,
        Start::YearEnd => year_end(due_day),
    };
    // The latest act that interrupts under this rule, if after the period began running.
    let interrupted = acts
        .iter()
        .filter(|(act, day)| rule.interrupted_by.contains(act) && *day >= due_day)
        .max_by_key(|(_, day)| *day)
        .copied();
    let start_day = match interrupted {
        Some((_, day)) if day > first => day,
        _ => first,
    };
    Standing {
        start_day,
        interrupted: interrupted.filter(|(_, day)| *day > first),
        deadline_day: add_years(start_day, rule.years),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> i64 {
        parse_date(text).unwrap_or_default()
    }

    fn france() -> Rule {
        Rule {
            jurisdiction: "FR".into(),
            years: 5,
            start: Start::DueDate,
            interrupted_by: vec![Act::Acknowledgement, Act::PartialPayment, Act::LegalAction],
        }
    }

    #[test]
    fn the_period_runs_from_the_due_date_or_the_year_end() {
        let s = standing(&france(), day("2024-02-29"), &[]);
        assert_eq!(date_of_day(s.deadline_day), "2029-02-28");
        let germany = Rule {
            jurisdiction: "DE".into(),
            years: 3,
            start: Start::YearEnd,
            interrupted_by: vec![Act::Acknowledgement, Act::PartialPayment],
        };
        let s = standing(&germany, day("2026-03-15"), &[]);
        assert_eq!(date_of_day(s.start_day), "2026-12-31");
        assert_eq!(date_of_day(s.deadline_day), "2029-12-31");
    }

    #[test]
    fn only_the_rules_acts_start_it_again_from_their_day() {
        let due = day("2026-01-31");
        // A formal notice does not interrupt in France; a partial payment does.
        let acts = [
            (Act::FormalNotice, day("2027-06-01")),
            (Act::PartialPayment, day("2027-03-10")),
        ];
        let s = standing(&france(), due, &acts);
        assert_eq!(
            s.interrupted,
            Some((Act::PartialPayment, day("2027-03-10")))
        );
        assert_eq!(date_of_day(s.deadline_day), "2032-03-10");
        let china = Rule {
            jurisdiction: "CN".into(),
            years: 3,
            start: Start::DueDate,
            interrupted_by: vec![Act::FormalNotice, Act::Acknowledgement, Act::LegalAction],
        };
        let s = standing(&china, due, &acts);
        assert_eq!(date_of_day(s.deadline_day), "2030-06-01");
        // Nothing after the due date: the first period.
        let s = standing(&france(), due, &[(Act::Acknowledgement, day("2025-12-01"))]);
        assert_eq!(
            (s.interrupted, date_of_day(s.deadline_day).as_str()),
            (None, "2031-01-31")
        );
    }
}
