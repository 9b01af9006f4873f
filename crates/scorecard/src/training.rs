//! Training a scorecard from labelled examples: a deterministic train/hold-out split, WoE
//! binning, selection by information value, logistic regression (linfa) on the WoE values,
//! points scaling, and AUC / Gini / KS on the hold-out.
use super::binning::{BinningOptions, Input, bin};
use super::dataset::{Dataset, DatasetError, Values};
use super::metrics::discrimination;
use super::scorecard::{Characteristic, ModelMetrics, Scaling, Scorecard};
use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};
use std::collections::BTreeMap;

/// Training settings.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// The artifact's version.
    pub version: String,
    /// When (RFC 3339), recorded in the artifact.
    pub trained_at: String,
    /// Share of the examples held out for the metrics.
    pub holdout_share: f64,
    /// Seed of the split, so the same file trains the same model.
    pub seed: u64,
    pub binning: BinningOptions,
    /// Characteristics below this information value are dropped (0.02 is the usual "useless").
    pub min_information_value: f64,
    /// L2 regularisation of the regression.
    pub l2: f64,
    /// Points scaling.
    pub scaling: Scaling,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            version: "unversioned".into(),
            trained_at: String::new(),
            holdout_share: 0.3,
            seed: 20_261_122,
            binning: BinningOptions {
                max_bins: 8,
                min_share: 0.05,
            },
            min_information_value: 0.02,
            l2: 0.001,
            scaling: Scaling::default(),
        }
    }
}

/// Why training failed.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The examples are unusable.
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    /// Too few examples for a hold-out with both outcomes.
    #[error("too few examples: the hold-out and the training part both need goods and bads")]
    TooFew,
    /// No characteristic carries information about the target.
    #[error("no characteristic separates goods from bads (all information values below {0})")]
    NothingPredictive(f64),
    /// The regression did not converge.
    #[error("the logistic regression failed: {0}")]
    Fit(String),
}

/// Trains from a CSV file whose `target` column is the outcome, stamping `options.version`
/// and now as the training time — what `credit-scoring train` and `creditctl scoring train` do.
pub fn train_csv(
    path: &std::path::Path,
    target: &str,
    options: TrainOptions,
) -> anyhow::Result<Scorecard> {
    let file = std::fs::File::open(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let data = Dataset::from_csv(file, target)?;
    let options = TrainOptions {
        trained_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        ..options
    };
    let mut card = train(&data, &options)?;
    card.target = target.to_string();
    Ok(card)
}

/// The input of row `r` for a column.
fn input(values: &Values, r: usize) -> Input {
    match values {
        Values::Numeric(v) => v[r].map_or(Input::Missing, Input::Number),
        Values::Categorical(v) => v[r].clone().map_or(Input::Missing, Input::Category),
    }
}

/// Deterministic shuffle (xorshift64*), so a file and a seed always give the same split.
fn split(n: usize, holdout_share: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..n).collect();
    let mut state = seed.max(1);
    for i in (1..n).rev() {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let j = (state.wrapping_mul(0x2545_f491_4f6c_dd1d) % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    let holdout = ((n as f64) * holdout_share).round() as usize;
    let (test, train) = order.split_at(holdout);
    let (mut train, mut test) = (train.to_vec(), test.to_vec());
    train.sort_unstable();
    test.sort_unstable();
    (train, test)
}

/// Trains a scorecard on `data`.
pub fn train(data: &Dataset, options: &TrainOptions) -> Result<Scorecard, TrainError> {
    let (train_rows, test_rows) = split(data.len(), options.holdout_share, options.seed);
    let both =
        |rows: &[usize]| rows.iter().any(|&r| data.bad[r]) && rows.iter().any(|&r| !data.bad[r]);
    if !both(&train_rows) || !both(&test_rows) {
        return Err(TrainError::TooFew);
    }
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    for column in &data.columns {
        let binned = bin(column, &data.bad, &train_rows, options.binning);
        if binned.information_value >= options.min_information_value && binned.bins.len() > 1 {
            kept.push((column, binned));
        } else {
            dropped.push((column.name.clone(), binned.information_value));
        }
    }
    if kept.is_empty() {
        return Err(TrainError::NothingPredictive(options.min_information_value));
    }
    let woe_of = |r: usize| -> Vec<f64> {
        kept.iter()
            .map(|(column, binned)| {
                binned
                    .bin_of(&input(&column.values, r))
                    .map_or(0.0, |i| binned.bins[i].woe)
            })
            .collect()
    };
    let features: Vec<f64> = train_rows.iter().flat_map(|&r| woe_of(r)).collect();
    let records = Array2::from_shape_vec((train_rows.len(), kept.len()), features)
        .map_err(|e| TrainError::Fit(e.to_string()))?;
    let targets: Array1<usize> = train_rows
        .iter()
        .map(|&r| usize::from(data.bad[r]))
        .collect();
    let fitted = LogisticRegression::default()
        .alpha(options.l2)
        .max_iterations(500)
        .fit(&linfa::Dataset::new(records, targets))
        .map_err(|e| TrainError::Fit(e.to_string()))?;
    // linfa models the log-odds of whichever class it calls positive (the more frequent one);
    // the scorecard keeps the log-odds of "bad", so flip the signs when "good" was positive.
    let sign = if fitted.labels().pos.class == 1 {
        1.0
    } else {
        -1.0
    };
    let coefficients: Vec<f64> = fitted.params().iter().map(|b| sign * b).collect();
    let intercept = sign * fitted.intercept();

    let mut card = Scorecard {
        version: options.version.clone(),
        trained_at: options.trained_at.clone(),
        target: String::new(),
        intercept,
        scaling: options.scaling,
        characteristics: kept
            .iter()
            .zip(&coefficients)
            .map(|((_, binned), coefficient)| Characteristic {
                binned: binned.clone(),
                coefficient: *coefficient,
                points: Vec::new(),
                neutral_points: 0,
            })
            .collect(),
        dropped,
        metrics: ModelMetrics {
            holdout: discrimination(&[], &[]),
            training: discrimination(&[], &[]),
            training_rows: train_rows.len(),
            holdout_rows: test_rows.len(),
            bad_rate: data.bad.iter().filter(|b| **b).count() as f64 / data.len() as f64,
        },
    };
    card.assign_points();
    let measure = |rows: &[usize]| {
        let risk: Vec<f64> = rows
            .iter()
            .map(|&r| {
                let inputs: BTreeMap<String, Input> = data
                    .columns
                    .iter()
                    .map(|c| (c.name.clone(), input(&c.values, r)))
                    .collect();
                card.score(&inputs).probability
            })
            .collect();
        let outcomes: Vec<bool> = rows.iter().map(|&r| data.bad[r]).collect();
        discrimination(&risk, &outcomes)
    };
    let (holdout, training) = (measure(&test_rows), measure(&train_rows));
    card.metrics.holdout = holdout;
    card.metrics.training = training;
    Ok(card)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Companies whose default odds follow a known logistic law: strong in Z'', weaker in years
    /// in business, a riskier industry, and a column of pure noise.
    fn synthetic(n: usize) -> String {
        let mut csv = String::from("altman_z,years_in_business,industry,noise,defaulted\n");
        let mut state = 88_172_645_463_325_252u64;
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..n {
            let z = uniform() * 6.0 - 1.0;
            let years = (uniform() * 30.0).floor();
            let construction = uniform() < 0.3;
            let noise = uniform();
            let logit = 0.5 - 1.1 * z - 0.05 * years + if construction { 0.9 } else { 0.0 };
            let p = 1.0 / (1.0 + (-logit).exp());
            let defaulted = uniform() < p;
            let industry = if construction {
                "construction"
            } else {
                "wholesale"
            };
            let z_cell = if uniform() < 0.05 {
                String::new()
            } else {
                format!("{z:.3}")
            };
            csv.push_str(&format!(
                "{z_cell},{years},{industry},{noise:.4},{}\n",
                u8::from(defaulted)
            ));
        }
        csv
    }

    #[test]
    fn a_model_trained_on_a_known_law_separates_far_better_than_chance() {
        let data = Dataset::from_csv(synthetic(4000).as_bytes(), "defaulted").expect("csv");
        let card = train(&data, &TrainOptions::default()).expect("trains");
        assert!(card.metrics.holdout.auc > 0.8, "{:?}", card.metrics);
        assert!(card.metrics.holdout.gini > 0.6);
        assert!(card.metrics.holdout.ks > 0.4);
        assert_eq!(card.metrics.holdout_rows, 1200);
        let names: Vec<&str> = card
            .characteristics
            .iter()
            .map(|c| c.binned.name.as_str())
            .collect();
        assert!(
            names.contains(&"altman_z") && names.contains(&"industry"),
            "{names:?}"
        );
        assert!(
            card.dropped.iter().any(|(name, _)| name == "noise"),
            "{:?}",
            card.dropped
        );

        // Better Z'' → more points and a lower probability; the costliest characteristic comes first.
        let inputs = |z: f64| {
            BTreeMap::from([
                ("altman_z".to_string(), Input::Number(z)),
                ("years_in_business".to_string(), Input::Number(10.0)),
                (
                    "industry".to_string(),
                    Input::Category("construction".into()),
                ),
            ])
        };
        let weak = card.score(&inputs(-0.5));
        let strong = card.score(&inputs(4.5));
        assert!(strong.score > weak.score);
        assert!(strong.probability < weak.probability);
        assert_eq!(weak.contributions[0].name, "altman_z");
        // Points follow the scaling: twenty more points are twice the odds of being good.
        let odds = |p: f64| (1.0 - p) / p;
        let pdo = (strong.score - weak.score) as f64
            / (odds(strong.probability) / odds(weak.probability)).log2();
        assert!((pdo - 20.0).abs() < 3.0, "points to double the odds: {pdo}");
        // Missing values score, and say so.
        let unknown = card.score(&BTreeMap::new());
        assert!(unknown.contributions.iter().all(|c| c.missing));
    }

    #[test]
    fn the_same_file_trains_the_same_model_and_the_artifact_round_trips() {
        let data = Dataset::from_csv(synthetic(1500).as_bytes(), "defaulted").expect("csv");
        let a = train(&data, &TrainOptions::default()).expect("trains");
        let b = train(&data, &TrainOptions::default()).expect("trains");
        assert_eq!(a.to_json(), b.to_json());
        let back = Scorecard::from_json(&a.to_json()).expect("reads");
        let inputs = BTreeMap::from([("altman_z".to_string(), Input::Number(1.7))]);
        assert_eq!(back.score(&inputs), a.score(&inputs));
    }

    #[test]
    fn the_probability_is_the_fitted_regression_s() {
        // Our scoring of the WoE values must agree with linfa's own prediction.
        let data = Dataset::from_csv(synthetic(1000).as_bytes(), "defaulted").expect("csv");
        let card = train(&data, &TrainOptions::default()).expect("trains");
        let c = &card.characteristics;
        let inputs: BTreeMap<String, Input> = c
            .iter()
            .map(|c| {
                let rule = &c.binned.bins[0].rule;
                let input = match rule {
                    crate::binning::BinRule::Range { upper: Some(u), .. } => {
                        Input::Number(u - 1e-9)
                    }
                    crate::binning::BinRule::Range { .. } => Input::Number(0.0),
                    crate::binning::BinRule::Categories { values } => {
                        Input::Category(values[0].clone())
                    }
                    crate::binning::BinRule::Other => Input::Category("never-seen".into()),
                    crate::binning::BinRule::Missing => Input::Missing,
                };
                (c.binned.name.clone(), input)
            })
            .collect();
        let logit = card.intercept
            + c.iter()
                .map(|c| c.coefficient * c.binned.bins[0].woe)
                .sum::<f64>();
        let expected = 1.0 / (1.0 + (-logit).exp());
        assert!((card.score(&inputs).probability - expected).abs() < 1e-12);
    }

    #[test]
    fn too_few_examples_or_nothing_predictive_are_refused() {
        let tiny = Dataset::from_csv("x,bad\n1,0\n2,1\n".as_bytes(), "bad").expect("csv");
        assert!(matches!(
            train(&tiny, &TrainOptions::default()),
            Err(TrainError::TooFew)
        ));
        let mut noise = String::from("x,bad\n");
        // Enough rows that chance differences between bins stay below the threshold.
        for i in 0..4000 {
            noise.push_str(&format!("{},{}\n", i % 7, u8::from(i % 2 == 0)));
        }
        let data = Dataset::from_csv(noise.as_bytes(), "bad").expect("csv");
        let result = train(&data, &TrainOptions::default());
        assert!(
            matches!(result, Err(TrainError::NothingPredictive(_))),
            "{:?}",
            result.map(|card| card.characteristics[0].binned.clone())
        );
    }
}
