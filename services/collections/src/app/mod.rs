//! The collections use cases, one transaction each (with its event and idempotency record):
//! the ledger (import, allocation, documents, aging and metrics), the follow-ups of a receivable
//! (disputes, promises, payment plans, write-offs, limitation), dunning, the collector's desk,
//! and the reviews that run as days pass (overdue holds, payment behaviour, sweeps).
pub mod behaviour;
pub mod charges;
pub mod disputes;
mod documents;
pub mod dunning;
mod import;
pub mod ledger;
pub mod limitation;
pub mod overdue;
pub mod plans;
pub mod policy;
pub mod promises;
mod reports;
pub mod sweeps;
pub mod worklist;
pub mod write_offs;

pub use disputes::Disputes;
pub use dunning::Dunning;
pub use import::Row;
pub use ledger::Ledger;
pub use limitation::Limitation;
pub use plans::Plans;
pub use promises::Promises;
pub use worklist::Desk;
pub use write_offs::WriteOffs;
