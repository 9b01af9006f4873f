//! The limits domain: pure rules, no protobuf, no SQL.
pub mod check;
pub mod exposure;
pub mod ids;
pub mod limit;

pub use credit_platform::clock::Micros;
