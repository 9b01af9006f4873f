//! Keyset pagination in the AIP-158 manner: `page_size` and opaque `page_token`s.
use crate::error::{ApiError, FieldViolation};
use base64::Engine;

/// A page token for keyset pagination: opaque to clients.
pub fn encode_page_token(position: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(position)
}

/// The position in a page token ("" for none), or an error naming `page_token`.
pub fn decode_page_token(token: &str) -> Result<String, ApiError> {
    if token.is_empty() {
        return Ok(String::new());
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| FieldViolation::new("page_token", "not a token from a previous page").into())
}

/// Page size: 0 means 100; 1-1000 otherwise.
pub fn page_size(requested: i32) -> Result<i64, ApiError> {
    match requested {
        0 => Ok(100),
        1..=1000 => Ok(i64::from(requested)),
        _ => Err(FieldViolation::new("page_size", "must be between 0 and 1000").into()),
    }
}
