//! The scoring service: turns what is known about a business customer into a score, a risk class,
//! a probability of default, reason codes and a recommended limit — the same way for everyone,
//! explainably (work in progress: the financial analysis and the scorecard model so far).
pub mod domain;
pub mod model;
