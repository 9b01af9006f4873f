//! Pure rules of credit analysis: no I/O.
pub mod characteristics;
pub mod decision;
pub mod financials;
pub mod policy;
pub mod stress;
