//! The collector's worklist, pure: how a case ranks and what to do next. Expected loss is the
//! overdue amount × the probability of default; urgency grows with days past due (a month adds
//! one, capped at a year) and with each broken promise or breached plan of the last 180 days.
//! The next best action is the first rule that applies, each with its reason.
use rust_decimal::Decimal;

credit_platform::named! {
    /// The next best action on a case.
    pub enum NextAction {
        /// Call the customer.
        Call = "CALL",
        /// Resolve the dispute past its due date first.
        ResolveDispute = "RESOLVE_DISPUTE",
        /// Hand the file over (agency or legal).
        HandOver = "HAND_OVER",
        /// Find a dunning address: reminders cannot go out.
        UpdateContact = "UPDATE_CONTACT",
        /// The agreed follow-up date has come.
        CallBack = "CALL_BACK",
        /// The reminders are running: follow them.
        FollowDunning = "FOLLOW_DUNNING",
        /// A limitation deadline is near or has passed.
        ProtectClaim = "PROTECT_CLAIM",
        /// A promise to pay is open.
        WaitForPromise = "WAIT_FOR_PROMISE",
        /// A follow-up date is ahead.
        WaitForFollowUp = "WAIT_FOR_FOLLOW_UP",
    }
}

/// Days of history that count against a customer (broken promises, breached plans).
pub const LOOKBACK_DAYS: i64 = 180;

/// What is known of one case (a customer in one currency), amounts as decimals of its currency.
#[derive(Debug, Clone, Default)]
pub struct Case {
    /// Past due, not disputed, not under an active plan.
    pub overdue: Decimal,
    /// Days past due of the oldest such item (0 when none).
    pub days_past_due: i64,
    /// Scoring's probability of default, when scored.
    pub probability: Option<Decimal>,
    /// Broken promises in the lookback.
    pub broken_promises: i64,
    /// The last broken promise's date, when any in the lookback.
    pub last_broken_promise: Option<String>,
    /// Breached plans in the lookback.
    pub breached_plans: i64,
    /// An open promise: (amount text, date).
    pub open_promise: Option<(String, String)>,
    /// Open disputes, and the id of one past its due date.
    pub open_disputes: i64,
    /// An open dispute past its due date.
    pub dispute_past_due: Option<String>,
    /// Whether dunning has an address to write to.
    pub has_email: bool,
    /// The last dunning step's consequence reached ("AGENCY", "LEGAL"), when one was.
    pub handed_over: Option<String>,
    /// The latest agreed follow-up date ("YYYY-MM-DD") and whether it has come.
    pub follow_up: Option<(String, bool)>,
    /// Days past due beyond which a collector calls rather than lets reminders run.
    pub call_after_days: i64,
    /// The receivable whose limitation deadline is nearest, within the alert days: (id, days
    /// left).
    pub limitation: Option<(String, i64)>,
}

/// A case ranked.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// Probability of default used.
    pub probability: Decimal,
    /// Overdue × probability.
    pub expected_loss: Decimal,
    /// Expected loss × urgency, 2 places.
    pub priority: Decimal,
    /// The next best action.
    pub action: NextAction,
    pub reason: String,
    /// Whether the collector acts now (otherwise the case waits on something).
    pub actionable: bool,
}

/// Ranks a case; `default_probability` stands in for customers scoring has not scored.
pub fn rank(case: &Case, default_probability: Decimal) -> Ranked {
    let probability = case.probability.unwrap_or(default_probability);
    let expected_loss = case.overdue * probability;
    let urgency = Decimal::ONE
        + Decimal::from(case.days_past_due.clamp(0, 365)) / Decimal::from(30)
        + Decimal::from(case.broken_promises + case.breached_plans);
    let priority = (expected_loss * urgency).round_dp(2);
    let (action, reason, actionable) = next_action(case);
    Ranked {
        probability,
        expected_loss: expected_loss.round_dp(2),
        priority,
        action,
        reason,
        actionable,
    }
}

fn next_action(case: &Case) -> (NextAction, String, bool) {
    if let Some((document, left)) = &case.limitation {
        return (
            NextAction::ProtectClaim,
            if *left < 0 {
                format!("{document} is time-barred since {} days", -left)
            } else {
                format!(
                    "{document} can no longer be claimed in {left} days: get an acknowledgement \
                     or file a claim"
                )
            },
            true,
        );
    }
    if let Some((date, false)) = &case.follow_up {
        return (
            NextAction::WaitForFollowUp,
            format!("a follow-up was agreed for {date}"),
            false,
        );
    }
    if let Some(dispute) = &case.dispute_past_due {
        return (
            NextAction::ResolveDispute,
            format!("dispute {dispute} is past its due date"),
            true,
        );
    }
    if let Some((date, true)) = &case.follow_up {
        return (
            NextAction::CallBack,
            format!("the follow-up of {date} has come"),
            true,
        );
    }
    if let Some(date) = &case.last_broken_promise {
        return (
            NextAction::Call,
            format!("the promise to pay by {date} was broken: agree a new date or a plan"),
            true,
        );
    }
    if case.breached_plans > 0 {
        return (
            NextAction::Call,
            "a payment plan was breached: agree how the rest is paid".into(),
            true,
        );
    }
    if let Some((amount, date)) = &case.open_promise {
        return (
            NextAction::WaitForPromise,
            format!("{amount} promised by {date}"),
            false,
        );
    }
    if let Some(step) = &case.handed_over {
        return (
            NextAction::HandOver,
            format!("dunning reached the {step} step: hand the file over"),
            true,
        );
    }
    if !case.has_email {
        return (
            NextAction::UpdateContact,
            "no dunning e-mail address: reminders cannot go out".into(),
            true,
        );
    }
    if case.days_past_due > case.call_after_days {
        return (
            NextAction::Call,
            format!("{} days past due despite the reminders", case.days_past_due),
            true,
        );
    }
    (
        NextAction::FollowDunning,
        format!(
            "{} days past due: the reminders are running",
            case.days_past_due
        ),
        false,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn case() -> Case {
        Case {
            overdue: dec!(10000),
            days_past_due: 45,
            probability: Some(dec!(0.05)),
            has_email: true,
            call_after_days: 30,
            ..Default::default()
        }
    }

    #[test]
    fn expected_loss_times_urgency_ranks_a_case() {
        let r = rank(&case(), dec!(0.10));
        assert_eq!(r.expected_loss, dec!(500.00));
        // 1 + 45/30 = 2.5.
        assert_eq!(r.priority, dec!(1250.00));
        assert_eq!((r.action.name(), r.actionable), ("CALL", true));
        // Unscored: the default probability; a broken promise adds one to the urgency.
        let unscored = Case {
            probability: None,
            broken_promises: 1,
            last_broken_promise: Some("2026-03-10".into()),
            ..case()
        };
        let r = rank(&unscored, dec!(0.10));
        assert_eq!(r.priority, dec!(3500.00));
        assert!(r.reason.contains("2026-03-10"), "{}", r.reason);
    }

    #[test]
    fn the_first_rule_that_applies_gives_the_action() {
        let waiting = Case {
            follow_up: Some(("2026-04-01".into(), false)),
            dispute_past_due: Some("d-1".into()),
            ..case()
        };
        assert_eq!(
            rank(&waiting, dec!(0.1)).action.name(),
            "WAIT_FOR_FOLLOW_UP"
        );
        let dispute = Case {
            dispute_past_due: Some("d-1".into()),
            ..case()
        };
        assert_eq!(rank(&dispute, dec!(0.1)).action.name(), "RESOLVE_DISPUTE");
        let promised = Case {
            open_promise: Some(("500.00 EUR".into(), "2026-04-01".into())),
            ..case()
        };
        assert!(!rank(&promised, dec!(0.1)).actionable);
        let legal = Case {
            handed_over: Some("LEGAL".into()),
            ..case()
        };
        assert_eq!(rank(&legal, dec!(0.1)).action.name(), "HAND_OVER");
        let no_mail = Case {
            has_email: false,
            ..case()
        };
        assert_eq!(rank(&no_mail, dec!(0.1)).action.name(), "UPDATE_CONTACT");
        let young = Case {
            days_past_due: 10,
            ..case()
        };
        assert_eq!(rank(&young, dec!(0.1)).action.name(), "FOLLOW_DUNNING");
        let barred_soon = Case {
            limitation: Some(("INV-9".into(), 20)),
            follow_up: Some(("2026-04-01".into(), false)),
            ..case()
        };
        let r = rank(&barred_soon, dec!(0.1));
        assert_eq!((r.action.name(), r.actionable), ("PROTECT_CLAIM", true));
        assert!(
            r.reason.contains("INV-9") && r.reason.contains("20 days"),
            "{}",
            r.reason
        );
    }
}
