//! Shapes of the identifiers every service accepts.
use crate::error::Violations;

/// Checks an ERP-style id (customer, order, document): 1-64 of letters, digits, '.', '_', '-',
/// starting with a letter or digit.
pub fn check_external_id(value: &str, field: &str, violations: &mut Violations) {
    if value.is_empty() {
        violations.add(field, "required");
    } else if value.len() > 64
        || !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        || !value.as_bytes()[0].is_ascii_alphanumeric()
    {
        violations.add(
            field,
            "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
        );
    }
}

/// Checks a server-assigned UUID id.
pub fn check_uuid(value: &str, field: &str, violations: &mut Violations) {
    if value.is_empty() {
        violations.add(field, "required");
    } else if uuid::Uuid::parse_str(value).is_err() {
        violations.add(field, "must be a UUID");
    }
}

/// Checks a free-text field: required or not, at most `max` characters.
pub fn check_text(
    value: &str,
    field: &str,
    required: bool,
    max: usize,
    violations: &mut Violations,
) {
    if required && value.trim().is_empty() {
        violations.add(field, "required");
    } else if value.chars().count() > max {
        violations.add(field, format!("at most {max} characters"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_ids_have_a_safe_shape() {
        for good in ["C-1001", "acme.de_01", "9"] {
            let mut v = Violations::new();
            check_external_id(good, "customer_id", &mut v);
            assert!(v.is_empty(), "{good}");
        }
        for bad in ["", "-x", "a b", "é", &"x".repeat(65)] {
            let mut v = Violations::new();
            check_external_id(bad, "customer_id", &mut v);
            assert!(!v.is_empty(), "{bad}");
        }
    }
}
