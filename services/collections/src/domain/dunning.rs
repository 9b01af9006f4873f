//! Dunning strategies and the planner, pure. A strategy is an ordered list of steps relative to
//! the due date of the oldest item still unpaid (the anchor): a friendly reminder before it,
//! reminders, a final notice, a credit hold, a hand-over. The policy document — versioned, read
//! and changed by credit managers without a release — chooses the strategy by segment and risk
//! class and sets the contact rules.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Templates a step may use (each has a text per language in `locales/`).
pub const TEMPLATES: &[&str] = &[
    "FRIENDLY_REMINDER",
    "REMINDER",
    "FINAL_NOTICE",
    "CREDIT_HOLD",
    "AGENCY_HANDOVER",
    "LEGAL_HANDOVER",
];

credit_platform::named! {
    /// How a step reaches the customer.
    pub enum Channel {
        /// E-mail to the customer's dunning address.
        Email = "EMAIL",
        /// No message: the consequence only (a hold, a hand-over recorded).
        None = "NONE",
    }
}

credit_platform::named! {
    /// What a step does besides writing.
    pub enum Consequence {
        /// Nothing more.
        None = "NONE",
        /// The customer's credit is held (said on the feed; limits holds it).
        CreditHold = "CREDIT_HOLD",
        /// Handed over to a collection agency.
        Agency = "AGENCY",
        /// Handed over to legal.
        Legal = "LEGAL",
    }
}

/// One step of a strategy.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Code ("REMINDER_1").
    pub code: String,
    /// Days after the anchor's due date (negative: before it).
    pub offset_days: i64,
    /// How it reaches the customer.
    pub channel: Channel,
    /// Which text (see [`TEMPLATES`]).
    pub template: String,
    /// Below this overdue amount (per currency) the step waits; a currency not listed: 0.
    #[serde(default)]
    pub min_amount: BTreeMap<String, String>,
    /// What else it does.
    #[serde(default = "no_consequence")]
    pub consequence: Consequence,
    /// A fee charged when the step is taken, per currency (a currency not listed: none).
    #[serde(default)]
    pub fee: BTreeMap<String, String>,
    /// Late-payment interest charged when the step is taken: this annual rate ("0.1215"),
    /// simple, actual/365, on each overdue invoice's open amount from its due date (or from
    /// where interest was last charged) to the day of the step.
    #[serde(default)]
    pub interest_rate: Option<String>,
}

fn no_consequence() -> Consequence {
    Consequence::None
}

/// A strategy and whom it is for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Strategy {
    /// Name ("standard", "key-accounts").
    pub name: String,
    /// Segments it applies to; absent: all.
    #[serde(default)]
    pub segments: Option<Vec<String>>,
    /// Risk classes it applies to; absent: all (and customers without a class).
    #[serde(default)]
    pub risk_classes: Option<Vec<String>>,
    /// Steps in the order they come.
    pub steps: Vec<Step>,
}

/// Limits on contacting a customer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ContactRules {
    /// At most this many messages per customer…
    pub max_contacts: u32,
    /// …in this many days.
    pub period_days: u32,
    /// No message from this local time ("20:00")…
    pub quiet_from: String,
    /// …until this local time ("08:00"), in the customer's time zone.
    pub quiet_until: String,
}

/// The step that is due now: the latest one whose day has come (anchor due day + offset ≤
/// today) and that is beyond what was done for this anchor. Intermediate steps a customer
/// skipped (the anchor moved, a pause ended) are not sent in a burst.
pub fn due_step(
    steps: &[Step],
    anchor_due_day: i64,
    today: i64,
    done: Option<usize>,
) -> Option<usize> {
    let latest = steps
        .iter()
        .rposition(|s| anchor_due_day + s.offset_days <= today)?;
    match done {
        Some(d) if d >= latest => None,
        _ => Some(latest),
    }
}

/// The steps still to come after `done`, with their days.
pub fn upcoming(steps: &[Step], anchor_due_day: i64, done: Option<usize>) -> Vec<(usize, i64)> {
    steps
        .iter()
        .enumerate()
        .filter(|(i, _)| done.is_none_or(|d| *i > d))
        .map(|(i, s)| (i, anchor_due_day + s.offset_days))
        .collect()
}
