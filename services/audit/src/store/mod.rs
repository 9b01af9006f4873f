//! SQL of the audit log. One code path for PostgreSQL and SQLite (sqlx Any, `$n` placeholders).
mod checkpoints;
mod entries;
mod head;
mod sources;

pub use checkpoints::*;
pub use entries::*;
pub use head::*;
pub use sources::*;
