//! The collection metrics of docs/domain.md, exactly as defined there, from a group's figures over a
//! period (minor units of one currency).
use rust_decimal::{Decimal, RoundingStrategy};

/// What the ratios are computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Figures {
    /// Invoices issued in the period.
    pub credit_sales: i64,
    /// Open receivables at the end of the day before the period.
    pub opening: i64,
    /// Open receivables at the end of the period.
    pub closing: i64,
    /// Of those, not yet due.
    pub closing_current: i64,
}

/// The ratios; None where a denominator is zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ratios {
    /// DSO, days, 2 places.
    pub dso: Option<Decimal>,
    /// Best possible DSO, days, 2 places.
    pub best_possible_dso: Option<Decimal>,
    /// ADD = DSO − best possible DSO.
    pub add: Option<Decimal>,
    /// CEI, percent, 2 places.
    pub cei: Option<Decimal>,
    /// Overdue ÷ closing AR, 4 places.
    pub overdue_share: Option<Decimal>,
}

/// Rounded half away from zero and shown with exactly `places` decimals ("2.5000").
fn round(value: Decimal, places: u32) -> Decimal {
    let mut rounded = value.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(places);
    rounded
}

fn ratio(numerator: i64, denominator: i64) -> Option<Decimal> {
    (denominator != 0).then(|| Decimal::from(numerator) / Decimal::from(denominator))
}

/// `part` ÷ `whole` to 4 places (a promise-kept rate); None without a whole.
pub fn rate(part: i64, whole: i64) -> Option<Decimal> {
    ratio(part, whole).map(|r| round(r, 4))
}

/// Mean and median of durations in microseconds, as days to 2 places; None without any.
pub fn days_stats(durations: &mut [i64]) -> (Option<Decimal>, Option<Decimal>) {
    if durations.is_empty() {
        return (None, None);
    }
    durations.sort_unstable();
    let day = Decimal::from(credit_platform::clock::MICROS_PER_DAY);
    let n = durations.len();
    let sum: i64 = durations.iter().sum();
    let mean = Decimal::from(sum) / Decimal::from(n as i64) / day;
    let median = if n % 2 == 1 {
        Decimal::from(durations[n / 2])
    } else {
        Decimal::from(durations[n / 2 - 1] + durations[n / 2]) / Decimal::from(2)
    } / day;
    (Some(round(mean, 2)), Some(round(median, 2)))
}

/// The ratios of `f` over a period of `days`.
pub fn ratios(f: Figures, days: i64) -> Ratios {
    let days = Decimal::from(days);
    let dso = ratio(f.closing, f.credit_sales).map(|r| r * days);
    let best = ratio(f.closing_current, f.credit_sales).map(|r| r * days);
    let add = dso.zip(best).map(|(d, b)| d - b);
    let collected = f.opening + f.credit_sales - f.closing;
    let collectible = f.opening + f.credit_sales - f.closing_current;
    Ratios {
        dso: dso.map(|v| round(v, 2)),
        best_possible_dso: best.map(|v| round(v, 2)),
        add: add.map(|v| round(v, 2)),
        cei: ratio(collected, collectible).map(|r| round(r * Decimal::ONE_HUNDRED, 2)),
        overdue_share: ratio(f.closing - f.closing_current, f.closing).map(|r| round(r, 4)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn the_metrics_follow_domain_definitions_on_a_hand_computed_quarter() {
        // A 90-day quarter: 300 000.00 sold on credit, 100 000.00 open at the start, 120 000.00
        // at the end of which 80 000.00 not yet due.
        let f = Figures {
            credit_sales: 30_000_000,
            opening: 10_000_000,
            closing: 12_000_000,
            closing_current: 8_000_000,
        };
        let r = ratios(f, 90);
        // DSO = 120 000 / 300 000 × 90 = 36; best = 80 000 / 300 000 × 90 = 24; ADD = 12.
        assert_eq!(r.dso, Some(dec!(36.00)));
        assert_eq!(r.best_possible_dso, Some(dec!(24.00)));
        assert_eq!(r.add, Some(dec!(12.00)));
        // CEI = (100 000 + 300 000 − 120 000) / (100 000 + 300 000 − 80 000) × 100 = 87.50.
        assert_eq!(r.cei, Some(dec!(87.50)));
        // Overdue share = 40 000 / 120 000.
        assert_eq!(r.overdue_share, Some(dec!(0.3333)));
    }

    #[test]
    fn rates_are_four_places_and_absent_without_a_whole() {
        assert_eq!(rate(2, 3), Some(dec!(0.6667)));
        assert_eq!(rate(0, 0), None);
    }

    #[test]
    fn ratios_without_a_denominator_are_absent_not_zero() {
        let r = ratios(Figures::default(), 30);
        assert_eq!(
            (r.dso, r.best_possible_dso, r.add, r.cei, r.overdue_share),
            (None, None, None, None, None)
        );
        // Everything collected: CEI 100.
        let all = ratios(
            Figures {
                credit_sales: 1_000,
                opening: 500,
                closing: 0,
                closing_current: 0,
            },
            30,
        );
        assert_eq!(all.cei, Some(dec!(100.00)));
        assert_eq!(all.dso, Some(dec!(0.00)));
    }

    #[test]
    fn resolution_days_have_a_mean_and_a_median() {
        let day = 86_400_000_000_i64;
        let mut durations = vec![3 * day, day, 10 * day, day / 2];
        assert_eq!(
            days_stats(&mut durations),
            (Some(dec!(3.63)), Some(dec!(2.00)))
        );
        assert_eq!(days_stats(&mut []), (None, None));
    }
}
