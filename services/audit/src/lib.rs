//! The audit service: a tamper-evident record of every change and decision in the suite.
//!
//! Work in progress (issue 3): so far the Merkle log of RFC 9162 that the entries will form.
pub mod merkle;
