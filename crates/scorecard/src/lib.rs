//! The statistical model of scoring, on its own so that training it from a CSV needs neither the
//! service nor a database (`creditctl scoring train` links this, not the scoring server): a logistic-regression scorecard over weight-of-evidence bins, trained
//! from any CSV of labelled examples ([`training`]), saved as a versioned artifact
//! ([`Scorecard`]) that turns a customer's characteristics into a probability of default, a score
//! and per-characteristic points (the reason codes).
pub mod binning;
pub mod characteristics;
pub mod dataset;
pub mod metrics;
pub mod sample;
pub mod scorecard;
pub mod training;

pub use scorecard::{Scorecard, Scored};
pub use training::{TrainError, TrainOptions, train, train_csv};
