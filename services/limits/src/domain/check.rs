//! The credit check as a pure function of its inputs, so every stored decision can be shown and
//! replayed exactly.
//!
//! Every limit applies to the exposure of its account's whole subtree: a leaf's limit to its own
//! exposure, a parent's limit to the total of the group below it. An order must fit every level
//! from the account up to the top of its group.
use crate::domain::Micros;
use crate::domain::exposure::{Counting, Exposure};
use crate::domain::limit::{CreditLimit, LimitInForce};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// Version of these rules, recorded on every decision.
pub const RULE_VERSION: &str = "limits-check/1";

/// One account of the chain from the checked account (index 0) up to the top of its group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelInputs {
    /// The account.
    pub customer_id: String,
    /// At least one active hold.
    pub on_hold: bool,
    /// The limit as set.
    pub limit: CreditLimit,
    /// The counting rule in force.
    pub counting: Counting,
    /// Exposure of the account's subtree (its own when it has no children).
    pub group_exposure: Exposure,
}

/// The exchange rate used to convert the order amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateUsed {
    /// Account-currency units per order-currency unit.
    pub rate: Decimal,
    /// When the rate took effect.
    pub effective_at: Micros,
}

/// Everything a decision depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInputs {
    /// Rules version.
    pub rule_version: String,
    /// The moment of the decision.
    pub at: Micros,
    /// The order amount in the order currency.
    pub order_amount: Decimal,
    /// The order currency.
    pub order_currency: String,
    /// The account currency.
    pub account_currency: String,
    /// Fraction digits of the account currency.
    pub account_minor_digits: u32,
    /// Fraction digits of the order currency.
    pub order_minor_digits: u32,
    /// The rate, when the currencies differ and a rate is in force.
    pub rate: Option<RateUsed>,
    /// What the same order already holds in an open reservation (re-checks adjust it).
    pub existing_reservation: Decimal,
    /// The account, then its ancestors.
    pub levels: Vec<LevelInputs>,
    /// A person's one-off release of an order the rules reject (absent in decisions stored
    /// before releases existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<Release>,
}

/// A one-off approval of an order beyond what the rules allow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    /// Who approved it.
    pub approved_by: String,
    /// Under which case.
    pub reference: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Fits; reserve it.
    Approved,
    /// Does not fit.
    Rejected,
}

/// Machine-readable reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reason {
    /// Over the account's own limit and tolerance.
    OverLimit,
    /// Over a group limit above.
    GroupLimitExceeded,
    /// The account is on hold.
    AccountOnHold,
    /// An account above is on hold.
    GroupOnHold,
    /// No limit set.
    NoLimit,
    /// The limit expired.
    LimitExpired,
    /// The limit is not valid yet.
    LimitNotYetValid,
    /// No exchange rate.
    NoFxRate,
    /// Approved thanks to the tolerance.
    WithinTolerance,
    /// Approved because unlimited.
    Unlimited,
    /// Approved by adjusting the order's reservation.
    ReservationAdjusted,
    /// Approved by a person's release despite the other reasons.
    ReleasedByApproval,
}

/// Which limit caps the largest approvable amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Binding {
    /// Nothing caps it.
    None,
    /// The account's own limit.
    Own,
    /// The account's own limit plus its tolerance.
    Tolerance,
    /// A group limit above.
    Group,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Approved or rejected.
    pub outcome: Outcome,
    pub reasons: Vec<Reason>,
    /// The order amount in the account currency (None without a rate).
    pub checked_amount: Option<Decimal>,
    /// Own available credit before (None without a finite limit in force).
    pub available_before: Option<Decimal>,
    /// Own available credit after.
    pub available_after: Option<Decimal>,
    /// Largest order amount that fits now, in the account currency (None when nothing caps).
    pub max_approvable: Option<Decimal>,
    /// The same in the order currency, rounded down.
    pub max_approvable_in_order_currency: Option<Decimal>,
    /// What caps it.
    pub binding: Binding,
    /// Whose limit caps it.
    pub binding_customer_id: String,
}

/// Decides. Pure: the same inputs give the same decision.
pub fn decide(inputs: &CheckInputs) -> Decision {
    let mut reasons = Vec::new();
    let checked_amount = if inputs.order_currency == inputs.account_currency {
        Some(inputs.order_amount)
    } else {
        inputs.rate.as_ref().map(|rate| {
            (inputs.order_amount * rate.rate).round_dp_with_strategy(
                inputs.account_minor_digits,
                RoundingStrategy::MidpointAwayFromZero,
            )
        })
    };
    if checked_amount.is_none() {
        reasons.push(Reason::NoFxRate);
    }
    let amount = checked_amount.unwrap_or(Decimal::ZERO);
    // A re-check replaces what the order already holds.
    let delta = amount - inputs.existing_reservation;

    let mut max_headroom: Option<(Decimal, Binding, String)> = None;
    let mut available_before = None;
    let mut within_tolerance = false;
    let mut unlimited_own = false;

    for (depth, level) in inputs.levels.iter().enumerate() {
        let own = depth == 0;
        if level.on_hold {
            reasons.push(if own {
                Reason::AccountOnHold
            } else {
                Reason::GroupOnHold
            });
        }
        let in_force = level.limit.in_force(inputs.at);
        let (effective, tolerance) = match in_force {
            LimitInForce::Finite {
                effective,
                tolerance,
            } => (effective, tolerance),
            LimitInForce::Unlimited => {
                unlimited_own |= own;
                continue;
            }
            // Above the account, a group without a limit in force caps nothing.
            _ if !own => continue,
            LimitInForce::NoLimit => {
                reasons.push(Reason::NoLimit);
                continue;
            }
            LimitInForce::Expired => {
                reasons.push(Reason::LimitExpired);
                continue;
            }
            LimitInForce::NotYetValid => {
                reasons.push(Reason::LimitNotYetValid);
                continue;
            }
        };
        let counted = level.group_exposure.counted(&level.counting);
        let available = effective - counted;
        let headroom = available + tolerance;
        if own {
            available_before = Some(available);
        }
        // Reserved orders that are shown only do not consume this level's limit.
        let consumes = level.counting.reserved_orders;
        if consumes {
            let level_max = headroom + inputs.existing_reservation;
            let binding = match (own, tolerance > Decimal::ZERO) {
                (false, _) => Binding::Group,
                (true, true) => Binding::Tolerance,
                (true, false) => Binding::Own,
            };
            if max_headroom
                .as_ref()
                .is_none_or(|(current, _, _)| level_max < *current)
            {
                max_headroom = Some((level_max, binding, level.customer_id.clone()));
            }
            if checked_amount.is_some() && delta > headroom {
                reasons.push(if own {
                    Reason::OverLimit
                } else {
                    Reason::GroupLimitExceeded
                });
            } else if own && checked_amount.is_some() && delta > available {
                within_tolerance = true;
            }
        }
    }

    // A release approves what the rules reject, except an amount that cannot be converted:
    // nobody can say what it would reserve.
    let released = !reasons.is_empty() && inputs.release.is_some() && checked_amount.is_some();
    if released {
        reasons.push(Reason::ReleasedByApproval);
    }
    let rejected = !reasons.is_empty() && !released;
    if !rejected {
        if within_tolerance {
            reasons.push(Reason::WithinTolerance);
        }
        if unlimited_own {
            reasons.push(Reason::Unlimited);
        }
        if inputs.existing_reservation > Decimal::ZERO {
            reasons.push(Reason::ReservationAdjusted);
        }
    }
    let consumes_own = inputs
        .levels
        .first()
        .is_some_and(|l| l.counting.reserved_orders);
    let available_after = available_before.map(|before| {
        if rejected || !consumes_own {
            before
        } else {
            before - delta
        }
    });
    let (max_approvable, binding, binding_customer_id) = match max_headroom {
        Some((max, binding, customer)) => (Some(max.max(Decimal::ZERO)), binding, customer),
        None => (None, Binding::None, String::new()),
    };
    let max_approvable_in_order_currency = max_approvable.and_then(|max| {
        if inputs.order_currency == inputs.account_currency {
            Some(max)
        } else {
            inputs
                .rate
                .as_ref()
                .filter(|r| r.rate > Decimal::ZERO)
                .map(|r| {
                    (max / r.rate)
                        .round_dp_with_strategy(inputs.order_minor_digits, RoundingStrategy::ToZero)
                })
        }
    });
    Decision {
        outcome: if rejected {
            Outcome::Rejected
        } else {
            Outcome::Approved
        },
        reasons,
        checked_amount,
        available_before,
        available_after,
        max_approvable: max_approvable.map(|m| {
            m.round_dp_with_strategy(inputs.account_minor_digits, RoundingStrategy::ToZero)
        }),
        max_approvable_in_order_currency,
        binding,
        binding_customer_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::limit::{LimitMode, Tolerance};
    use rust_decimal_macros::dec;

    fn level(id: &str, limit: CreditLimit, receivables: Decimal) -> LevelInputs {
        LevelInputs {
            customer_id: id.into(),
            on_hold: false,
            limit,
            counting: Counting::default(),
            group_exposure: Exposure {
                open_receivables: receivables,
                ..Exposure::default()
            },
        }
    }

    fn limit(amount: Decimal) -> CreditLimit {
        CreditLimit {
            mode: LimitMode::Amount,
            amount,
            ..CreditLimit::default()
        }
    }

    fn inputs(amount: Decimal, levels: Vec<LevelInputs>) -> CheckInputs {
        CheckInputs {
            rule_version: RULE_VERSION.into(),
            at: 1_000,
            order_amount: amount,
            order_currency: "EUR".into(),
            account_currency: "EUR".into(),
            account_minor_digits: 2,
            order_minor_digits: 2,
            rate: None,
            existing_reservation: Decimal::ZERO,
            levels,
            release: None,
        }
    }

    fn release() -> Release {
        Release {
            approved_by: "ana".into(),
            reference: "case-1".into(),
            reason: "customer paid by wire today".into(),
        }
    }

    #[test]
    fn a_release_approves_an_order_over_the_limit_and_on_hold_and_keeps_the_reasons() {
        let mut held = level("A", limit(dec!(1000)), dec!(900));
        held.on_hold = true;
        let mut i = inputs(dec!(300), vec![held]);
        i.release = Some(release());
        let d = decide(&i);
        assert_eq!(d.outcome, Outcome::Approved);
        assert_eq!(
            d.reasons,
            [
                Reason::AccountOnHold,
                Reason::OverLimit,
                Reason::ReleasedByApproval
            ]
        );
        assert_eq!(d.available_before, Some(dec!(100)));
        assert_eq!(d.available_after, Some(dec!(-200)));
    }

    #[test]
    fn a_release_cannot_approve_an_amount_without_a_rate() {
        let mut i = inputs(dec!(300), vec![level("A", limit(dec!(1000)), dec!(0))]);
        i.order_currency = "USD".into();
        i.release = Some(release());
        let d = decide(&i);
        assert_eq!(d.outcome, Outcome::Rejected);
        assert_eq!(d.reasons, [Reason::NoFxRate]);
    }

    #[test]
    fn a_release_of_an_order_that_fits_changes_nothing() {
        let mut i = inputs(dec!(300), vec![level("A", limit(dec!(1000)), dec!(0))]);
        i.release = Some(release());
        let d = decide(&i);
        assert_eq!(d.outcome, Outcome::Approved);
        assert!(d.reasons.is_empty());
    }

    #[test]
    fn an_order_within_available_credit_is_approved() {
        let d = decide(&inputs(
            dec!(300),
            vec![level("A", limit(dec!(1000)), dec!(600))],
        ));
        assert_eq!(d.outcome, Outcome::Approved);
        assert_eq!(d.available_before, Some(dec!(400)));
        assert_eq!(d.available_after, Some(dec!(100)));
        assert_eq!(d.max_approvable, Some(dec!(400)));
        assert_eq!(d.binding, Binding::Own);
    }

    #[test]
    fn an_order_over_the_limit_says_what_would_pass() {
        let d = decide(&inputs(
            dec!(500),
            vec![level("A", limit(dec!(1000)), dec!(600))],
        ));
        assert_eq!(d.outcome, Outcome::Rejected);
        assert_eq!(d.reasons, [Reason::OverLimit]);
        assert_eq!(d.max_approvable, Some(dec!(400)));
        assert_eq!(d.available_after, Some(dec!(400)));
    }

    #[test]
    fn no_limit_zero_limit_and_unlimited_decide_differently() {
        let none = decide(&inputs(
            dec!(1),
            vec![level("A", CreditLimit::default(), dec!(0))],
        ));
        assert_eq!(none.reasons, [Reason::NoLimit]);
        let zero = decide(&inputs(dec!(1), vec![level("A", limit(dec!(0)), dec!(0))]));
        assert_eq!(zero.reasons, [Reason::OverLimit]);
        assert_eq!(zero.max_approvable, Some(dec!(0)));
        let unlimited = CreditLimit {
            mode: LimitMode::Unlimited,
            ..CreditLimit::default()
        };
        let open = decide(&inputs(
            dec!(1_000_000),
            vec![level("A", unlimited, dec!(5))],
        ));
        assert_eq!(open.outcome, Outcome::Approved);
        assert_eq!(open.reasons, [Reason::Unlimited]);
        assert_eq!(open.max_approvable, None);
    }

    #[test]
    fn tolerance_lets_an_order_pass_and_is_reported() {
        let tolerant = CreditLimit {
            tolerance: Tolerance::Percent(dec!(10)),
            ..limit(dec!(1000))
        };
        let d = decide(&inputs(
            dec!(1050),
            vec![level("A", tolerant.clone(), dec!(0))],
        ));
        assert_eq!(d.outcome, Outcome::Approved);
        assert_eq!(d.reasons, [Reason::WithinTolerance]);
        assert_eq!(d.available_after, Some(dec!(-50)));
        let over = decide(&inputs(dec!(1101), vec![level("A", tolerant, dec!(0))]));
        assert_eq!(over.reasons, [Reason::OverLimit]);
        assert_eq!(over.max_approvable, Some(dec!(1100)));
        assert_eq!(over.binding, Binding::Tolerance);
    }

    #[test]
    fn a_group_limit_caps_the_subsidiary() {
        let d = decide(&inputs(
            dec!(300),
            vec![
                level("CHILD", limit(dec!(1000)), dec!(0)),
                level("PARENT", limit(dec!(5000)), dec!(4800)),
            ],
        ));
        assert_eq!(d.reasons, [Reason::GroupLimitExceeded]);
        assert_eq!(d.max_approvable, Some(dec!(200)));
        assert_eq!(d.binding, Binding::Group);
        assert_eq!(d.binding_customer_id, "PARENT");
        // The child's own figures are still its own.
        assert_eq!(d.available_before, Some(dec!(1000)));
    }

    #[test]
    fn holds_reject_whatever_the_amount() {
        let mut held = level("A", limit(dec!(1000)), dec!(0));
        held.on_hold = true;
        let parent_held = LevelInputs {
            on_hold: true,
            ..level("P", CreditLimit::default(), dec!(0))
        };
        let d = decide(&inputs(dec!(1), vec![held, parent_held]));
        assert_eq!(d.reasons, [Reason::AccountOnHold, Reason::GroupOnHold]);
    }

    #[test]
    fn expired_and_future_limits_reject() {
        let expired = CreditLimit {
            valid_to: Some(500),
            ..limit(dec!(1000))
        };
        assert_eq!(
            decide(&inputs(dec!(1), vec![level("A", expired, dec!(0))])).reasons,
            [Reason::LimitExpired]
        );
        let future = CreditLimit {
            valid_from: Some(5_000),
            ..limit(dec!(1000))
        };
        assert_eq!(
            decide(&inputs(dec!(1), vec![level("A", future, dec!(0))])).reasons,
            [Reason::LimitNotYetValid]
        );
    }

    #[test]
    fn a_recheck_replaces_the_existing_reservation() {
        let mut i = inputs(dec!(900), vec![level("A", limit(dec!(1000)), dec!(0))]);
        i.levels[0].group_exposure.reserved_orders = dec!(600);
        i.existing_reservation = dec!(600);
        let d = decide(&i);
        assert_eq!(d.outcome, Outcome::Approved);
        assert_eq!(d.reasons, [Reason::ReservationAdjusted]);
        assert_eq!(d.available_after, Some(dec!(100)));
        assert_eq!(d.max_approvable, Some(dec!(1000)));
    }

    #[test]
    fn foreign_orders_convert_at_the_rate_and_fail_without_one() {
        let mut i = inputs(dec!(100), vec![level("A", limit(dec!(1000)), dec!(0))]);
        i.order_currency = "USD".into();
        assert_eq!(decide(&i).reasons, [Reason::NoFxRate]);
        i.rate = Some(RateUsed {
            rate: dec!(0.9235),
            effective_at: 0,
        });
        let d = decide(&i);
        assert_eq!(d.checked_amount, Some(dec!(92.35)));
        assert_eq!(d.max_approvable_in_order_currency, Some(dec!(1082.83)));
    }

    #[test]
    fn shown_only_orders_do_not_consume_the_limit() {
        let mut l = level("A", limit(dec!(100)), dec!(100));
        l.counting.reserved_orders = false;
        let d = decide(&inputs(dec!(5000), vec![l]));
        assert_eq!(d.outcome, Outcome::Approved);
        assert_eq!(d.available_after, Some(dec!(0)));
    }
}
