//! The statistical model: a logistic-regression scorecard over weight-of-evidence bins, trained
//! from any CSV of labelled examples ([`training`]), saved as a versioned artifact
//! ([`Scorecard`]) that turns a customer's characteristics into a probability of default, a score
//! and per-characteristic points (the reason codes).
pub mod binning;
pub mod dataset;
pub mod metrics;
pub mod sample;
pub mod scorecard;
pub mod training;

pub use scorecard::{Scorecard, Scored};
pub use training::{TrainError, TrainOptions, train, train_csv};

/// The model the suite ships with, trained on the generated sample portfolio
/// (`credit-scoring sample` then `credit-scoring train`; see README.md).
pub const SHIPPED_MODEL: &str = include_str!("../../models/pd-sample-2026.11.json");
