//! Shapes of the identifiers the service accepts (shared by every service).
pub use credit_platform::ids::{check_external_id, check_text, check_uuid};
