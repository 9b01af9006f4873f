//! Weight-of-evidence binning: each characteristic is cut into a few bins with enough examples
//! and both outcomes, and each bin gets WoE = ln(share of goods / share of bads) — positive where
//! customers are better than average. The scorecard's points come from these.
use super::dataset::{Column, Values};
use serde::{Deserialize, Serialize};

/// What a bin holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BinRule {
    /// Numbers in [lower, upper); an open end is None.
    Range {
        /// Inclusive lower bound.
        lower: Option<f64>,
        /// Exclusive upper bound.
        upper: Option<f64>,
    },
    /// These categories.
    Categories {
        /// The categories.
        values: Vec<String>,
    },
    /// Categories too rare to stand alone, and categories never seen in training.
    Other,
    /// The value is missing.
    Missing,
}

/// One bin with its training counts and weight of evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    /// What falls in it.
    pub rule: BinRule,
    /// For reports and reason codes, for example "[1.1, 2.6)".
    pub label: String,
    /// Training examples in it.
    pub count: usize,
    /// Of which bad.
    pub bads: usize,
    /// Weight of evidence.
    pub woe: f64,
}

/// A characteristic's bins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Binned {
    /// The characteristic's name.
    pub name: String,
    /// Numeric or categorical.
    pub numeric: bool,
    /// The bins, in order.
    pub bins: Vec<Bin>,
    /// Information value: how much the characteristic separates goods from bads.
    pub information_value: f64,
}

/// One value of a characteristic to score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Input {
    /// A number.
    Number(f64),
    /// A category.
    Category(String),
    /// Not known.
    Missing,
}

/// Binning settings.
#[derive(Debug, Clone, Copy)]
pub struct BinningOptions {
    /// At most this many bins before merging (numeric).
    pub max_bins: usize,
    /// A bin needs at least this share of the training examples.
    pub min_share: f64,
}

struct Tally {
    rule: BinRule,
    count: usize,
    bads: usize,
}

fn label(rule: &BinRule) -> String {
    let number = |x: f64| format!("{}", (x * 10_000.0).round() / 10_000.0);
    match rule {
        BinRule::Range { lower, upper } => match (lower, upper) {
            (None, None) => "any".into(),
            (None, Some(u)) => format!("< {}", number(*u)),
            (Some(l), None) => format!(">= {}", number(*l)),
            (Some(l), Some(u)) => format!("[{}, {})", number(*l), number(*u)),
        },
        BinRule::Categories { values } => values.join(", "),
        BinRule::Other => "other".into(),
        BinRule::Missing => "missing".into(),
    }
}

fn finish(
    name: &str,
    numeric: bool,
    tallies: Vec<Tally>,
    total_bads: usize,
    total: usize,
) -> Binned {
    let goods_total = (total - total_bads) as f64;
    let bads_total = total_bads as f64;
    let k = tallies.len() as f64;
    let mut information_value = 0.0;
    let bins = tallies
        .into_iter()
        .map(|t| {
            // Half an example added to every cell keeps empty cells finite (Laplace smoothing).
            let good_share = ((t.count - t.bads) as f64 + 0.5) / (goods_total + 0.5 * k);
            let bad_share = (t.bads as f64 + 0.5) / (bads_total + 0.5 * k);
            let woe = (good_share / bad_share).ln();
            information_value += (good_share - bad_share) * woe;
            Bin {
                label: label(&t.rule),
                rule: t.rule,
                count: t.count,
                bads: t.bads,
                woe,
            }
        })
        .collect();
    Binned {
        name: name.to_string(),
        numeric,
        bins,
        information_value,
    }
}

/// Bins `column` on the training `rows`.
pub fn bin(column: &Column, bad: &[bool], rows: &[usize], options: BinningOptions) -> Binned {
    let total = rows.len();
    let total_bads = rows.iter().filter(|&&r| bad[r]).count();
    let min_count = ((total as f64) * options.min_share).ceil() as usize;
    match &column.values {
        Values::Numeric(values) => {
            let mut present: Vec<(f64, bool)> = rows
                .iter()
                .filter_map(|&r| values[r].map(|v| (v, bad[r])))
                .collect();
            present.sort_by(|a, b| a.0.total_cmp(&b.0));
            // Cut points at quantiles, kept only where the value changes.
            let mut cuts: Vec<f64> = (1..options.max_bins)
                .filter_map(|q| {
                    present
                        .get(q * present.len() / options.max_bins)
                        .map(|p| p.0)
                })
                .collect();
            cuts.dedup();
            cuts.retain(|c| present.first().is_some_and(|first| *c > first.0));
            let mut tallies: Vec<(Option<f64>, Option<f64>, usize, usize)> = Vec::new();
            let mut bounds: Vec<Option<f64>> = vec![None];
            bounds.extend(cuts.iter().map(|c| Some(*c)));
            bounds.push(None);
            for pair in bounds.windows(2) {
                let (lower, upper) = (pair[0], pair[1]);
                let inside = present
                    .iter()
                    .filter(|(v, _)| lower.is_none_or(|l| *v >= l) && upper.is_none_or(|u| *v < u));
                let (count, bads) = inside.fold((0, 0), |(c, b), (_, is_bad)| {
                    (c + 1, b + usize::from(*is_bad))
                });
                tallies.push((lower, upper, count, bads));
            }
            // Merge a bin that is too small or holds only one outcome into its smaller neighbour.
            loop {
                let weak = tallies.iter().position(|&(_, _, count, bads)| {
                    count < min_count || bads == 0 || bads == count
                });
                let Some(i) = weak.filter(|_| tallies.len() > 1) else {
                    break;
                };
                let j = if i == 0 {
                    1
                } else if i == tallies.len() - 1 || tallies[i - 1].2 <= tallies[i + 1].2 {
                    i - 1
                } else {
                    i + 1
                };
                let (a, b) = (i.min(j), i.max(j));
                let merged = (
                    tallies[a].0,
                    tallies[b].1,
                    tallies[a].2 + tallies[b].2,
                    tallies[a].3 + tallies[b].3,
                );
                tallies[a] = merged;
                tallies.remove(b);
            }
            let mut out: Vec<Tally> = tallies
                .into_iter()
                .map(|(lower, upper, count, bads)| Tally {
                    rule: BinRule::Range { lower, upper },
                    count,
                    bads,
                })
                .collect();
            let missing: Vec<usize> = rows
                .iter()
                .copied()
                .filter(|&r| values[r].is_none())
                .collect();
            if !missing.is_empty() {
                out.push(Tally {
                    rule: BinRule::Missing,
                    count: missing.len(),
                    bads: missing.iter().filter(|&&r| bad[r]).count(),
                });
            }
            finish(&column.name, true, out, total_bads, total)
        }
        Values::Categorical(values) => {
            let mut by_category: std::collections::BTreeMap<&str, (usize, usize)> =
                Default::default();
            let mut missing = (0, 0);
            for &r in rows {
                let slot = match &values[r] {
                    Some(v) => by_category.entry(v.as_str()).or_default(),
                    None => &mut missing,
                };
                slot.0 += 1;
                slot.1 += usize::from(bad[r]);
            }
            let mut out = Vec::new();
            let mut other = (0, 0);
            for (category, (count, bads)) in by_category {
                if count < min_count {
                    other.0 += count;
                    other.1 += bads;
                } else {
                    out.push(Tally {
                        rule: BinRule::Categories {
                            values: vec![category.to_string()],
                        },
                        count,
                        bads,
                    });
                }
            }
            out.push(Tally {
                rule: BinRule::Other,
                count: other.0,
                bads: other.1,
            });
            if missing.0 > 0 {
                out.push(Tally {
                    rule: BinRule::Missing,
                    count: missing.0,
                    bads: missing.1,
                });
            }
            finish(&column.name, false, out, total_bads, total)
        }
    }
}

impl Binned {
    /// The bin `input` falls in; None when nothing fits (a missing value with no missing bin,
    /// or a value of the wrong kind), which scores as neutral.
    pub fn bin_of(&self, input: &Input) -> Option<usize> {
        self.bins
            .iter()
            .position(|bin| match (&bin.rule, input) {
                (BinRule::Range { lower, upper }, Input::Number(v)) => {
                    lower.is_none_or(|l| *v >= l) && upper.is_none_or(|u| *v < u)
                }
                (BinRule::Categories { values }, Input::Category(c)) => values.contains(c),
                (BinRule::Missing, Input::Missing) => true,
                _ => false,
            })
            .or_else(|| match input {
                Input::Category(_) => self.bins.iter().position(|b| b.rule == BinRule::Other),
                _ => None,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_bins_cover_the_line_have_both_outcomes_and_order_the_risk() {
        // Bads concentrate at low values.
        let values: Vec<Option<f64>> = (0..200).map(|i| Some(f64::from(i))).collect();
        let bad: Vec<bool> = (0..200)
            .map(|i| (i < 60 && i % 2 == 0) || i % 10 == 0)
            .collect();
        let column = Column {
            name: "z".into(),
            values: Values::Numeric(values),
        };
        let rows: Vec<usize> = (0..200).collect();
        let binned = bin(
            &column,
            &bad,
            &rows,
            BinningOptions {
                max_bins: 5,
                min_share: 0.05,
            },
        );
        assert!(binned.bins.len() >= 2);
        assert!(binned.bins.iter().all(|b| b.bads > 0 && b.bads < b.count));
        assert_eq!(binned.bins.iter().map(|b| b.count).sum::<usize>(), 200);
        let first = &binned.bins[0];
        let last = binned.bins.last().expect("bins");
        assert!(first.woe < last.woe, "low values are riskier: {binned:?}");
        assert!(binned.information_value > 0.1);
        assert_eq!(binned.bin_of(&Input::Number(-5.0)), Some(0));
        assert_eq!(
            binned.bin_of(&Input::Number(1e9)),
            Some(binned.bins.len() - 1)
        );
        assert_eq!(binned.bin_of(&Input::Missing), None);
    }

    #[test]
    fn rare_and_unseen_categories_go_to_other() {
        let mut values = Vec::new();
        let mut bad = Vec::new();
        for i in 0..100 {
            values.push(Some(
                if i < 50 {
                    "retail"
                } else if i < 98 {
                    "construction"
                } else {
                    "mining"
                }
                .to_string(),
            ));
            bad.push(i % 4 == 0 || (i >= 50 && i % 3 == 0));
        }
        let column = Column {
            name: "industry".into(),
            values: Values::Categorical(values),
        };
        let rows: Vec<usize> = (0..100).collect();
        let binned = bin(
            &column,
            &bad,
            &rows,
            BinningOptions {
                max_bins: 5,
                min_share: 0.05,
            },
        );
        let labels: Vec<&str> = binned.bins.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(labels, ["construction", "retail", "other"]);
        let other = binned.bin_of(&Input::Category("fishing".into()));
        assert_eq!(other, Some(2));
        assert_eq!(binned.bin_of(&Input::Category("mining".into())), Some(2));
    }
}
