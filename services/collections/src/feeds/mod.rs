//! Feeds of other services that collections follows: scoring's scores (risk per customer).
pub mod risk;
