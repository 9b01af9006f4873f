//! The collections rules, pure: the ledger's validity and allocations, aging, metrics,
//! dunning strategies, payment plans, the worklist's ranking.
pub mod aging;
pub mod behaviour;
pub mod dunning;
pub mod ledger;
pub mod limitation;
pub mod metrics;
pub mod plans;
pub mod policy;
pub mod worklist;
