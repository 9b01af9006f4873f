//! Pure rules of credit analysis: no I/O.
pub use credit_scorecard::characteristics;
pub mod bureau;
pub mod decision;
pub mod financials;
pub mod policy;
pub mod stress;
