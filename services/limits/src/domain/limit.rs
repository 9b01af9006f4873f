//! Credit limits: the three states (none, an amount, unlimited), validity, temporary limits on
//! top and tolerance above.
use crate::domain::Micros;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// How a limit is set. "No limit" and "zero limit" are different on purpose: the first means
/// credit was never granted (checks say NO_LIMIT), the second that it was decided to be zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LimitMode {
    /// No credit limit has been set.
    #[default]
    None,
    /// A finite amount, zero included.
    Amount,
    /// No ceiling of its own.
    Unlimited,
}

/// Extra credit on top of the permanent limit for a period (a seasonal peak).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemporaryLimit {
    /// Added amount, in the account currency.
    pub amount: Decimal,
    /// First moment it applies.
    pub valid_from: Option<Micros>,
    /// Moment it stops applying (exclusive).
    pub valid_to: Micros,
}

/// Headroom above the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", content = "value", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Tolerance {
    #[default]
    None,
    /// Percent of the effective limit.
    Percent(Decimal),
    /// Fixed amount.
    Amount(Decimal),
}

/// An account's limit as set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CreditLimit {
    /// The state.
    pub mode: LimitMode,
    /// The permanent amount (for `Amount`).
    pub amount: Decimal,
    /// First moment the limit applies.
    pub valid_from: Option<Micros>,
    /// Moment it stops applying (exclusive).
    pub valid_to: Option<Micros>,
    /// Temporary amount on top.
    pub temporary: Option<TemporaryLimit>,
    /// Tolerance above.
    pub tolerance: Tolerance,
}

/// What a limit means at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitInForce {
    /// No limit set.
    NoLimit,
    /// Set, but its validity has not started.
    NotYetValid,
    /// Set, but its validity ended.
    Expired,
    /// No ceiling.
    Unlimited,
    /// A ceiling: permanent plus valid temporary amount, and the tolerance on top of it.
    Finite {
        /// Permanent plus temporary.
        effective: Decimal,
        /// Extra headroom from the tolerance.
        tolerance: Decimal,
    },
}

impl CreditLimit {
    /// The limit in force at `at`.
    pub fn in_force(&self, at: Micros) -> LimitInForce {
        match self.mode {
            LimitMode::None => return LimitInForce::NoLimit,
            LimitMode::Unlimited | LimitMode::Amount => {}
        }
        if self.valid_from.is_some_and(|from| at < from) {
            return LimitInForce::NotYetValid;
        }
        if self.valid_to.is_some_and(|to| at >= to) {
            return LimitInForce::Expired;
        }
        if self.mode == LimitMode::Unlimited {
            return LimitInForce::Unlimited;
        }
        let temporary = self
            .temporary
            .as_ref()
            .filter(|t| t.valid_from.is_none_or(|from| at >= from) && at < t.valid_to)
            .map_or(Decimal::ZERO, |t| t.amount);
        let effective = self.amount + temporary;
        let tolerance = match self.tolerance {
            Tolerance::None => Decimal::ZERO,
            Tolerance::Percent(percent) => effective * percent / Decimal::ONE_HUNDRED,
            Tolerance::Amount(amount) => amount,
        };
        LimitInForce::Finite {
            effective,
            tolerance,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn amount(value: Decimal) -> CreditLimit {
        CreditLimit {
            mode: LimitMode::Amount,
            amount: value,
            ..CreditLimit::default()
        }
    }

    #[test]
    fn none_zero_and_unlimited_are_three_different_states() {
        assert_eq!(CreditLimit::default().in_force(0), LimitInForce::NoLimit);
        assert_eq!(
            amount(dec!(0)).in_force(0),
            LimitInForce::Finite {
                effective: dec!(0),
                tolerance: dec!(0)
            }
        );
        let unlimited = CreditLimit {
            mode: LimitMode::Unlimited,
            ..CreditLimit::default()
        };
        assert_eq!(unlimited.in_force(0), LimitInForce::Unlimited);
    }

    #[test]
    fn validity_window_is_inclusive_start_exclusive_end() {
        let limit = CreditLimit {
            valid_from: Some(100),
            valid_to: Some(200),
            ..amount(dec!(10))
        };
        assert_eq!(limit.in_force(99), LimitInForce::NotYetValid);
        assert!(matches!(limit.in_force(100), LimitInForce::Finite { .. }));
        assert_eq!(limit.in_force(200), LimitInForce::Expired);
    }

    #[test]
    fn temporary_limit_adds_only_while_valid() {
        let limit = CreditLimit {
            temporary: Some(TemporaryLimit {
                amount: dec!(500),
                valid_from: Some(10),
                valid_to: 20,
            }),
            ..amount(dec!(1000))
        };
        let effective = |at| match limit.in_force(at) {
            LimitInForce::Finite { effective, .. } => effective,
            other => panic!("{other:?}"),
        };
        assert_eq!(effective(9), dec!(1000));
        assert_eq!(effective(10), dec!(1500));
        assert_eq!(effective(20), dec!(1000));
    }

    #[test]
    fn tolerance_is_a_percent_of_the_effective_limit_or_an_amount() {
        let percent = CreditLimit {
            tolerance: Tolerance::Percent(dec!(5)),
            ..amount(dec!(1000))
        };
        assert_eq!(
            percent.in_force(0),
            LimitInForce::Finite {
                effective: dec!(1000),
                tolerance: dec!(50)
            }
        );
        let fixed = CreditLimit {
            tolerance: Tolerance::Amount(dec!(75)),
            ..amount(dec!(1000))
        };
        assert_eq!(
            fixed.in_force(0),
            LimitInForce::Finite {
                effective: dec!(1000),
                tolerance: dec!(75)
            }
        );
    }
}
