//! The statistical model ([`credit_scorecard`]: a logistic-regression scorecard over
//! weight-of-evidence bins and its training), and the model the suite ships with.
pub use credit_scorecard::*;

/// The model the suite ships with, trained on the generated sample portfolio
/// (`credit-scoring sample` then `credit-scoring train`; see services/scoring/README.md).
pub const SHIPPED_MODEL: &str = include_str!("../models/pd-sample-2026.11.json");
