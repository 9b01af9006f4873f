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

/// A page a `List*` request asks for: how many items, and after which position (the last item
/// of the page before; "" for the first page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Items on the page.
    pub size: i64,
    /// The position the page starts after ("" for the first page).
    pub after: String,
}

impl PageRequest {
    /// The page of a request's `page_size` and `page_token`; problems named in `v`.
    pub fn parse(
        page_size: i32,
        page_token: &str,
        v: &mut crate::error::Violations,
    ) -> Option<Self> {
        let size = v.check(self::page_size(page_size).map_err(ApiError::into_violations));
        let after = v.check(decode_page_token(page_token).map_err(ApiError::into_violations));
        Some(Self {
            size: size?,
            after: after?,
        })
    }

    /// How many rows to read: one more than the page, to learn whether another page follows.
    pub fn fetch(&self) -> i64 {
        self.size + 1
    }

    /// Cuts `rows` (read with [`PageRequest::fetch`]) to the page and answers the next page's
    /// token: the last item's `position`, or "" when this page is the last.
    pub fn finish<T>(&self, rows: &mut Vec<T>, position: impl Fn(&T) -> String) -> String {
        let size = usize::try_from(self.size).unwrap_or(usize::MAX);
        if rows.len() <= size {
            return String::new();
        }
        rows.truncate(size);
        rows.last()
            .map(|last| encode_page_token(&position(last)))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_reads_one_more_and_hands_on_the_last_position() {
        let mut v = crate::error::Violations::new();
        let page = PageRequest::parse(2, "", &mut v).expect("valid");
        assert_eq!((page.size, page.fetch(), page.after.as_str()), (2, 3, ""));
        let mut rows = vec!["c", "b", "a"];
        let token = page.finish(&mut rows, |r| r.to_string());
        assert_eq!(rows, ["c", "b"]);
        let next = PageRequest::parse(2, &token, &mut v).expect("valid");
        assert_eq!(next.after, "b");
        let mut last = vec!["a"];
        assert_eq!(next.finish(&mut last, |r| r.to_string()), "");
        assert_eq!(last, ["a"]);
    }

    #[test]
    fn bad_sizes_and_tokens_are_named() {
        let mut v = crate::error::Violations::new();
        assert_eq!(PageRequest::parse(1001, "%%%", &mut v), None);
        let fields: Vec<String> = v
            .into_result()
            .expect_err("violations")
            .into_violations()
            .into_iter()
            .map(|f| f.field)
            .collect();
        assert_eq!(fields, ["page_size", "page_token"]);
    }
}
