//! The last line of the sensitive-data rule: producers must send references or masked values,
//! never bank account numbers, tax ids or personal contact data in clear (services/audit/README.md).
//! Audit checks every payload for fields named like such data and masks their values before
//! they enter the log, counting each case so the producer gets fixed.
use serde_json::Value;

/// Field names (lower case, without '_', '-' or spaces) whose values must never be logged in
/// clear. Names ending in "ref", "reference" or "masked" are references and pass.
const SENSITIVE_FIELDS: &[&str] = &[
    "iban",
    "bankaccount",
    "bankaccountnumber",
    "accountnumber",
    "taxid",
    "taxnumber",
    "vatid",
    "vatnumber",
    "tin",
    "ssn",
    "nationalid",
    "email",
    "emailaddress",
    "phone",
    "phonenumber",
    "telephone",
    "mobile",
    "dateofbirth",
    "contactname",
    "contactemail",
    "contactphone",
];

fn normalise(key: &str) -> String {
    key.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether a field of this name holds data that must not be logged in clear.
pub fn is_sensitive_field(key: &str) -> bool {
    SENSITIVE_FIELDS.contains(&normalise(key).as_str())
}

/// Account numbers keep their last four characters when masked, as on a bank statement, so a
/// person can still tell two accounts apart; everything else is starred out completely.
const KEEPS_LAST_FOUR: &[&str] = &["iban", "bankaccount", "bankaccountnumber", "accountnumber"];

/// The masked form of `value` in a field named `key`.
fn mask(key: &str, value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() < 8 || !KEEPS_LAST_FOUR.contains(&normalise(key).as_str()) {
        return "****".into();
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("****{tail}")
}

fn walk(value: &mut Value, path: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                let here = format!("{path}.{key}");
                if is_sensitive_field(key) {
                    match child {
                        Value::String(text) if text.starts_with("****") || text.is_empty() => {}
                        Value::String(text) => {
                            *text = mask(key, text);
                            found.push(here);
                        }
                        Value::Null => {}
                        other => {
                            *other = Value::String("****".into());
                            found.push(here);
                        }
                    }
                } else {
                    walk(child, &here, found);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                walk(item, &format!("{path}[{i}]"), found);
            }
        }
        _ => {}
    }
}

/// The payload with every sensitive value masked, and the JSON paths that were masked. A
/// payload with nothing to mask comes back byte for byte.
pub fn mask_payload(payload: &str) -> (String, Vec<String>) {
    let Ok(mut value) = serde_json::from_str::<Value>(payload) else {
        return (payload.to_string(), Vec::new());
    };
    let mut found = Vec::new();
    walk(&mut value, "$", &mut found);
    if found.is_empty() {
        (payload.to_string(), found)
    } else {
        (value.to_string(), found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clear_values_are_masked_and_references_pass() {
        let (masked, found) = mask_payload(
            r#"{"bank":{"IBAN":"DE89370400440532013000","bank_account_ref":"doc-7"},
                "contacts":[{"email":"a@b.example","name_ref":"c-1"}],"tax_id":12345678,
                "amount":"10.00"}"#,
        );
        assert_eq!(
            found,
            vec!["$.bank.IBAN", "$.contacts[0].email", "$.tax_id"]
        );
        let value: Value = serde_json::from_str(&masked).expect("json");
        assert_eq!(value["bank"]["IBAN"], "****3000");
        assert_eq!(value["bank"]["bank_account_ref"], "doc-7");
        assert_eq!(value["contacts"][0]["email"], "****");
        assert_eq!(value["tax_id"], "****");
        assert_eq!(value["amount"], "10.00");
    }

    #[test]
    fn a_clean_payload_is_kept_byte_for_byte() {
        let payload = r#"{"customer_id":"ACME", "iban":"****3000"}"#;
        assert_eq!(mask_payload(payload), (payload.to_string(), Vec::new()));
    }
}
