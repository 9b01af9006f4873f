//! The event feeds audit follows: one follower per configured source service.
mod sources;

pub use sources::{Source, SourceBoard, follow_sources, probe_lag};
