//! A customer's payment behaviour from the ledger, as scoring defines its inputs: the
//! amount-weighted average days beyond terms of the invoices paid, the share paid late, the
//! disputes open and the promises broken.
use crate::domain::metrics::rate;
use rust_decimal::Decimal;

/// Days of history the figures cover.
pub const LOOKBACK_DAYS: i64 = 365;

/// The figures of one customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Behaviour {
    /// Amount-weighted average days beyond terms of the invoices paid, 2 places.
    pub average_days_beyond_terms: Decimal,
    /// Of the invoices paid, the share paid after their due date, 4 places.
    pub share_paid_late: Decimal,
    /// Invoices paid in the lookback.
    pub invoices_paid: i64,
    /// Disputes open.
    pub disputes: i64,
    /// Promises broken and payment plans breached.
    pub broken_promises: i64,
}

/// The figures from paid invoices (amount, days beyond terms) and the counts.
pub fn figures(paid: &[(i64, i64)], disputes: i64, broken_promises: i64) -> Behaviour {
    let weight: i64 = paid.iter().map(|(amount, _)| *amount).sum();
    let weighted: i128 = paid
        .iter()
        .map(|(amount, days)| i128::from(*amount) * i128::from((*days).max(0)))
        .sum();
    let average = if weight > 0 {
        (Decimal::from_i128_with_scale(weighted, 0) / Decimal::from(weight)).round_dp(2)
    } else {
        Decimal::ZERO
    };
    let late = paid.iter().filter(|(_, days)| *days > 0).count() as i64;
    Behaviour {
        average_days_beyond_terms: average,
        share_paid_late: rate(late, paid.len() as i64).unwrap_or(Decimal::ZERO),
        invoices_paid: paid.len() as i64,
        disputes,
        broken_promises,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn days_beyond_terms_are_weighted_by_amount_and_early_payment_counts_as_zero() {
        // 1 000 paid 10 days late, 3 000 on time, 1 000 paid 5 days early.
        let b = figures(&[(1000, 10), (3000, 0), (1000, -5)], 2, 1);
        assert_eq!(b.average_days_beyond_terms, dec!(2.00));
        assert_eq!(b.share_paid_late, dec!(0.3333));
        assert_eq!((b.invoices_paid, b.disputes, b.broken_promises), (3, 2, 1));
        assert_eq!(figures(&[], 0, 0).average_days_beyond_terms, Decimal::ZERO);
    }
}
