//! The audit log's evidence, checkable by anyone who holds it: the Merkle tree and its proofs
//! (RFC 9162, [`merkle`]), signed checkpoints of the tree (C2SP signed notes with Ed25519,
//! [`checkpoint`]), the canonical form of an entry whose hash is a leaf ([`entry`]) and the
//! export format that carries entries with their proofs ([`export`]).
//!
//! Pure: no database, no server. The audit service builds the log with it; `creditctl` and
//! auditors' own tools check what the service hands out with the same code.
pub mod checkpoint;
pub mod entry;
pub mod export;
pub mod merkle;
