//! Feeds of other services that scoring follows: payment behaviour from collections.
pub mod payments;
