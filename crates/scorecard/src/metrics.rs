//! How well a model separates bads from goods, on examples it did not learn from.
use serde::{Deserialize, Serialize};

/// Discrimination measures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Discrimination {
    /// Area under the ROC curve: the chance that a random bad is ranked riskier than a random
    /// good (0.5 is chance).
    pub auc: f64,
    /// 2·AUC − 1.
    pub gini: f64,
    /// Kolmogorov–Smirnov: the largest gap between the cumulative shares of bads and goods.
    pub ks: f64,
}

/// Measures `risk` (higher = riskier) against the outcomes.
pub fn discrimination(risk: &[f64], bad: &[bool]) -> Discrimination {
    let mut order: Vec<usize> = (0..risk.len()).collect();
    order.sort_by(|&a, &b| risk[a].total_cmp(&risk[b]));
    let bads = bad.iter().filter(|b| **b).count() as f64;
    let goods = bad.len() as f64 - bads;
    // AUC by the rank-sum (Mann–Whitney U), ties sharing their average rank.
    let mut rank_sum_bads = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && risk[order[j + 1]] == risk[order[i]] {
            j += 1;
        }
        let average_rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            if bad[k] {
                rank_sum_bads += average_rank;
            }
        }
        i = j + 1;
    }
    let auc = if bads == 0.0 || goods == 0.0 {
        0.5
    } else {
        (rank_sum_bads - bads * (bads + 1.0) / 2.0) / (bads * goods)
    };
    // KS: walk from the riskiest down.
    let (mut cum_bads, mut cum_goods, mut ks) = (0.0, 0.0, 0.0f64);
    for &k in order.iter().rev() {
        if bad[k] {
            cum_bads += 1.0 / bads.max(1.0);
        } else {
            cum_goods += 1.0 / goods.max(1.0);
        }
        ks = ks.max((cum_bads - cum_goods).abs());
    }
    Discrimination {
        auc,
        gini: 2.0 * auc - 1.0,
        ks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_random_and_inverted_rankings() {
        let bad = [false, false, true, true];
        let perfect = discrimination(&[0.1, 0.2, 0.8, 0.9], &bad);
        assert_eq!((perfect.auc, perfect.gini, perfect.ks), (1.0, 1.0, 1.0));
        let inverted = discrimination(&[0.9, 0.8, 0.2, 0.1], &bad);
        assert_eq!(inverted.auc, 0.0);
        let ties = discrimination(&[0.5, 0.5, 0.5, 0.5], &bad);
        assert_eq!(ties.auc, 0.5);
        // One bad ranked below one good: 3 of 4 pairs right.
        let mixed = discrimination(&[0.1, 0.6, 0.5, 0.9], &bad);
        assert_eq!(mixed.auc, 0.75);
        assert_eq!(mixed.ks, 0.5);
    }
}
