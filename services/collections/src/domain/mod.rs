//! The collections rules, pure: the ledger's validity and allocations, aging.
pub mod aging;
pub mod dunning;
pub mod ledger;
pub mod metrics;
