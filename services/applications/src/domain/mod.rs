//! Pure rules of credit applications: no I/O, no wire types.
pub mod application;
pub mod credit_case;
pub mod measure;
pub mod notice;
pub mod policy;
pub mod review;
pub mod sensitive;
pub mod state;
pub mod workflow;

/// A refusal because of who the caller is (four eyes, the authority matrix): PERMISSION_DENIED
/// at the edge, with this text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

/// An amount in a currency, as the records keep it (canonical for its currency).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Amount {
    /// The decimal amount.
    pub amount: rust_decimal::Decimal,
    /// ISO 4217.
    pub currency: String,
}
