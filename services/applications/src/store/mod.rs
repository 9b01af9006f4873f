//! SQL of the applications service (sqlx Any: one code path for PostgreSQL and SQLite).
mod applications;
mod cases;
mod documents;
mod instructions;
mod legacy;
mod reviews;

pub use applications::*;
pub use cases::*;
pub use documents::*;
pub use instructions::*;
pub use legacy::{convert_legacy_applications, convert_legacy_cases};
pub use reviews::*;
