//! The applications service: digital credit applications, validated on the spot, scored and
//! decided under a versioned decision policy, routed through the authority matrix to the right
//! approvers, and turned into a live limit in the limits service exactly once.
//!
//! [`domain`] holds the pure rules (decision policy, states, masking), [`validate`] the wire
//! checks, [`sealing`] encryption at rest, [`store`] the SQL, [`app`] the use cases,
//! [`delivery`] setting approved limits in limits, and [`grpc`] the adapter.
pub mod domain;
pub mod sealing;
pub mod validate;
