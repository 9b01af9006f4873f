//! Shapes of the identifiers every service accepts.
use crate::error::Violations;
use credit_proto::ShortName;

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

/// The names a wire enum allows, in order ("OPEN, KEPT or BROKEN").
fn allowed<E: ShortName>() -> String {
    let names = credit_proto::short_names::<E>();
    match names.split_last() {
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// A required enum field's name, or a violation naming `field` and the values it allows.
pub fn required_enum<E: ShortName>(
    value: i32,
    field: &str,
    violations: &mut Violations,
) -> Option<&'static str> {
    let name = credit_proto::short_name::<E>(value);
    if name.is_none() {
        violations.add(field, format!("must be {}", allowed::<E>()));
    }
    name
}

/// An enum filter's name ("" when unspecified: no filter), or a violation naming `field`.
pub fn enum_filter<E: ShortName>(
    value: i32,
    field: &str,
    violations: &mut Violations,
) -> &'static str {
    if value == 0 {
        return "";
    }
    required_enum::<E>(value, field, violations).unwrap_or_default()
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

    #[test]
    fn enums_name_the_field_and_what_it_allows() {
        use credit_proto::limits::CheckOutcome;
        let mut v = Violations::new();
        assert_eq!(
            required_enum::<CheckOutcome>(1, "outcome", &mut v),
            Some("APPROVED")
        );
        assert_eq!(enum_filter::<CheckOutcome>(0, "outcome", &mut v), "");
        assert!(v.is_empty());
        assert_eq!(required_enum::<CheckOutcome>(0, "outcome", &mut v), None);
        assert_eq!(enum_filter::<CheckOutcome>(9, "filter", &mut v), "");
        let text = format!("{v:?}");
        assert!(
            text.contains("outcome") && text.contains("APPROVED or REJECTED"),
            "{text}"
        );
        assert!(text.contains("filter"), "{text}");
    }
}
