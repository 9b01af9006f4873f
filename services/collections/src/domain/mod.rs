//! The collections rules, pure: the ledger's validity and allocations, aging, metrics,
//! dunning strategies, the state machines of disputes, promises, payment plans and write-offs,
//! the worklist's ranking.
pub mod activities;
pub mod aging;
pub mod behaviour;
pub mod disputes;
pub mod dunning;
pub mod ledger;
pub mod limitation;
pub mod metrics;
pub mod plans;
pub mod policy;
pub mod promises;
pub mod worklist;
pub mod write_offs;
