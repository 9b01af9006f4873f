//! Masking of sensitive values for callers who may not read them: enough is left to recognise
//! the value ("****3000"), never enough to use it.

/// Keeps the last four characters of an identifier (tax id, IBAN), ignoring spaces.
pub fn mask_identifier(value: &str) -> String {
    let compact: Vec<char> = value.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return String::new();
    }
    if compact.len() <= 4 {
        return "****".into();
    }
    let tail: String = compact[compact.len() - 4..].iter().collect();
    format!("****{tail}")
}

/// Keeps the first letter of each word of a name ("J*** D***").
pub fn mask_name(value: &str) -> String {
    value
        .split_whitespace()
        .map(|word| {
            let first = word.chars().next().map(String::from).unwrap_or_default();
            format!("{first}***")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Keeps the first letter and the domain of an e-mail address ("j***@example.com").
pub fn mask_email(value: &str) -> String {
    match value.split_once('@') {
        Some((local, domain)) => {
            let first = local.chars().next().map(String::from).unwrap_or_default();
            format!("{first}***@{domain}")
        }
        None if value.is_empty() => String::new(),
        None => "****".into(),
    }
}

/// Keeps the last two digits of a phone number.
pub fn mask_phone(value: &str) -> String {
    let digits: Vec<char> = value.chars().filter(char::is_ascii_digit).collect();
    if digits.len() <= 2 {
        return if value.is_empty() {
            String::new()
        } else {
            "****".into()
        };
    }
    let tail: String = digits[digits.len() - 2..].iter().collect();
    format!("****{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_leave_a_recognisable_tail_only() {
        assert_eq!(mask_identifier("DE44 5001 0517 5407 3249 31"), "****4931");
        assert_eq!(mask_identifier("FR40303265045"), "****5045");
        assert_eq!(mask_identifier("123"), "****");
        assert_eq!(mask_identifier(""), "");
        assert_eq!(mask_name("Jeanne  Dupont"), "J*** D***");
        assert_eq!(mask_email("jeanne.dupont@acme.fr"), "j***@acme.fr");
        assert_eq!(mask_phone("+33 1 23 45 67 89"), "****89");
    }
}
