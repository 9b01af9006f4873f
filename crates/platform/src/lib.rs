//! Plumbing shared by every credit-suite service: configuration pieces, telemetry, metrics,
//! authentication, error mapping, money and time, database, outbox and event feed, idempotency
//! and the server runtime. A helper used by one service stays in that service.

pub mod admin;
pub mod auth;
pub mod balance;
pub mod calendar;
pub mod client;
pub use credit_clock as clock;
pub mod context;
pub mod db;
pub mod deadline;
pub mod documents;
pub mod error;
pub mod exposure;
pub mod feed;
pub mod follow;
pub mod gauges;
pub mod handler;
pub mod idempotency;
pub mod ids;
pub mod l10n;
pub mod lease;
pub mod message_size;
pub mod money;
pub mod mutation;
pub mod observe;
pub mod outbox;
pub mod paging;
pub mod policies;
pub mod readiness;
pub mod records;
pub mod reflection;
pub mod retry;
pub mod runtime;
pub mod scope;
pub mod secret;
pub mod server;
pub mod telemetry;
pub mod testing;
pub mod tls;
pub mod token_keys;
pub mod transition;
