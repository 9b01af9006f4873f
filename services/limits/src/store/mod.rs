//! SQL of the limits service, one module per table family. Functions take the connection of
//! the caller's transaction; none of them knows about gRPC.
pub mod accounts;
pub mod decisions;
pub mod documents;
pub mod fx;
pub mod holds;
pub mod reservations;

/// Stored JSON of a domain value (limits, exposure).
pub(crate) fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// Reads stored JSON back; a failure means the row was edited by hand.
pub(crate) fn decode_json<T: serde::de::DeserializeOwned>(text: &str) -> sqlx::Result<T> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// Reads a stored decimal.
pub(crate) fn decimal(
    row: &sqlx::any::AnyRow,
    column: &str,
) -> sqlx::Result<rust_decimal::Decimal> {
    use sqlx::Row;
    credit_platform::money::decimal_from_db(&row.try_get::<String, _>(column)?)
}

/// The stored form of a decimal.
pub(crate) fn text(value: rust_decimal::Decimal) -> String {
    credit_platform::money::decimal_to_db(value)
}
