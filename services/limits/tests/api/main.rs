//! Integration tests of the limits service: each test starts the real server on 127.0.0.1:0
//! with a fresh database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set) and talks to it
//! with the generated client.
mod accounts;
mod batches;
mod check;
mod concurrency;
mod errors;
mod events;
mod helpers;
mod reservations;
mod scopes;
