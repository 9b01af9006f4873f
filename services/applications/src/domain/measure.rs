//! The arithmetic of the metrics: nearest-rank percentiles and rates.
use rust_decimal::Decimal;

/// The `p`-th percentile (0 < p ≤ 100) of ascending `sorted` values by the nearest-rank method:
/// the smallest value with at least p % of the values at or below it. `None` when empty.
pub fn percentile(sorted: &[i64], p: u32) -> Option<i64> {
    if sorted.is_empty() || p == 0 {
        return None;
    }
    let rank = (u64::from(p) * sorted.len() as u64).div_ceil(100).max(1) as usize;
    sorted.get(rank - 1).copied()
}

/// `part ÷ whole` with four places ("0.6250"); empty when `whole` is zero.
pub fn rate(part: i64, whole: i64) -> String {
    if whole == 0 {
        return String::new();
    }
    let mut value = (Decimal::from(part) / Decimal::from(whole)).round_dp(4);
    value.rescale(4);
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_and_rates_by_hand() {
        let values: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&values, 50), Some(5));
        assert_eq!(percentile(&values, 90), Some(9));
        assert_eq!(percentile(&values, 99), Some(10));
        assert_eq!(percentile(&values, 100), Some(10));
        assert_eq!(percentile(&[7], 50), Some(7));
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[15, 20, 35, 40, 50], 30), Some(20));
        assert_eq!(rate(5, 8), "0.6250");
        assert_eq!(rate(1, 3), "0.3333");
        assert_eq!(rate(0, 4), "0.0000");
        assert_eq!(rate(1, 0), "");
    }
}
