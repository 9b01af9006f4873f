//! The trained scorecard: bins with points, the logistic model behind them, and its metrics.
//! Saved as JSON; the service loads it and records its version on every score.
use super::binning::{Binned, Input};
use super::metrics::Discrimination;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How log-odds become points: `base_score` points at odds of `base_odds` goods per bad, and
/// every `points_to_double_odds` points more double the odds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scaling {
    /// Score at the base odds.
    pub base_score: f64,
    /// Goods per bad at the base score.
    pub base_odds: f64,
    /// Points that double the odds (PDO).
    pub points_to_double_odds: f64,
}

impl Default for Scaling {
    fn default() -> Self {
        Self {
            base_score: 600.0,
            base_odds: 50.0,
            points_to_double_odds: 20.0,
        }
    }
}

impl Scaling {
    fn factor(&self) -> f64 {
        self.points_to_double_odds / std::f64::consts::LN_2
    }

    fn offset(&self) -> f64 {
        self.base_score - self.factor() * self.base_odds.ln()
    }
}

/// A characteristic in the model: its bins, its coefficient and each bin's points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Characteristic {
    /// The bins with their WoE.
    pub binned: Binned,
    /// Logistic-regression coefficient on the WoE.
    pub coefficient: f64,
    /// Points per bin (same order as the bins).
    pub points: Vec<i64>,
    /// Points of a value that falls in no bin (missing without a missing bin): neutral WoE.
    pub neutral_points: i64,
}

/// Measures of a trained model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ModelMetrics {
    /// On the held-out examples.
    pub holdout: Discrimination,
    /// On the training examples (a large gap to the hold-out means over-fitting).
    pub training: Discrimination,
    /// Examples learnt from.
    pub training_rows: usize,
    /// Examples held out.
    pub holdout_rows: usize,
    /// Share of bads over all examples.
    pub bad_rate: f64,
}

/// A trained, versioned scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    /// Version, for example "pd-2026-11-22".
    pub version: String,
    /// When it was trained (RFC 3339).
    pub trained_at: String,
    /// The target column it was trained on.
    pub target: String,
    /// Logistic-regression intercept.
    pub intercept: f64,
    /// Points scaling.
    pub scaling: Scaling,
    /// The characteristics kept.
    pub characteristics: Vec<Characteristic>,
    /// Characteristics dropped for too little information value, with it.
    pub dropped: Vec<(String, f64)>,
    /// How well it separates good from bad on its test set.
    pub metrics: ModelMetrics,
}

/// One characteristic's contribution to a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// The characteristic's name.
    pub name: String,
    /// The bin the value fell in ("missing" when not known).
    pub bin: String,
    /// Points earned.
    pub points: i64,
    /// The most this characteristic gives; `max_points - points` is what it cost.
    pub max_points: i64,
    /// Whether the value was missing.
    pub missing: bool,
}

/// A scored set of characteristics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    /// Probability of the bad outcome.
    pub probability: f64,
    /// Points (higher is better).
    pub score: i64,
    /// Contributions, the costliest first: the reason codes.
    pub contributions: Vec<Contribution>,
}

impl Scorecard {
    /// Assigns points to every bin from the coefficients (called once after fitting).
    pub fn assign_points(&mut self) {
        let factor = self.scaling.factor();
        let n = self.characteristics.len().max(1) as f64;
        let share = (self.scaling.offset() - factor * self.intercept) / n;
        for c in &mut self.characteristics {
            c.points = c
                .binned
                .bins
                .iter()
                .map(|b| (share - factor * c.coefficient * b.woe).round() as i64)
                .collect();
            c.neutral_points = share.round() as i64;
        }
    }

    /// Scores `inputs` (by characteristic name; an absent name counts as missing).
    pub fn score(&self, inputs: &BTreeMap<String, Input>) -> Scored {
        let mut logit = self.intercept;
        let mut contributions = Vec::with_capacity(self.characteristics.len());
        for c in &self.characteristics {
            let input = inputs.get(&c.binned.name).unwrap_or(&Input::Missing);
            let bin = c.binned.bin_of(input);
            let (woe, points, label) = match bin {
                Some(i) => (
                    c.binned.bins[i].woe,
                    c.points[i],
                    c.binned.bins[i].label.clone(),
                ),
                None => (0.0, c.neutral_points, "missing".to_string()),
            };
            logit += c.coefficient * woe;
            contributions.push(Contribution {
                name: c.binned.name.clone(),
                bin: label,
                points,
                max_points: c.points.iter().copied().max().unwrap_or(points).max(points),
                missing: *input == Input::Missing,
            });
        }
        contributions.sort_by_key(|c| std::cmp::Reverse(c.max_points - c.points));
        Scored {
            // The model's logit is of the bad class.
            probability: 1.0 / (1.0 + (-logit).exp()),
            score: contributions.iter().map(|c| c.points).sum(),
            contributions,
        }
    }

    /// The artifact as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a scorecard serialises")
    }

    /// Reads an artifact.
    pub fn from_json(text: &str) -> anyhow::Result<Self> {
        let card: Self = serde_json::from_str(text)?;
        anyhow::ensure!(
            card.characteristics
                .iter()
                .all(|c| c.points.len() == c.binned.bins.len()),
            "the scorecard's points do not match its bins"
        );
        Ok(card)
    }
}
