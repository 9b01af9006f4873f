//! Pure rules of credit applications: no I/O, no wire types.
pub mod credit_case;
pub mod measure;
pub mod notice;
pub mod policy;
pub mod sensitive;
pub mod state;

/// A refusal because of who the caller is (four eyes, the authority matrix): PERMISSION_DENIED
/// at the edge, with this text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);
