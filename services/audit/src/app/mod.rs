//! The audit use cases: appending to the log (one writer, one transaction per batch), signing
//! checkpoints, reading entries and proofs back, and verifying the whole stored log.
pub mod log;
mod queries;
mod schedule;
pub mod verify;

pub use log::{AppendError, AuditLog};
pub use schedule::{sign_checkpoints, verify_periodically};
