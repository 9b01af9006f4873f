//! What the log is, without I/O: entries, the RFC 9162 Merkle tree, signed checkpoints and the
//! export format (the `credit-audit-proof` crate, shared with `creditctl` so an auditor checks
//! with the same code), and the rule that masks sensitive fields before they enter the log.
pub use credit_audit_proof::{checkpoint, entry, export, merkle};
pub mod sensitive;
