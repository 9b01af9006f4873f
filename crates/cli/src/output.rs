//! Printing answers: readable tables by default, canonical protobuf JSON with `--json`.
use comfy_table::{Table, presets::UTF8_BORDERS_ONLY};
use credit_proto::ShortName;
use credit_proto::google::r#type::Date;
use credit_proto::types::Money;
use prost::Message;

/// The proto JSON form of `message` (full name `name`, for example "credit.limits.v1.Reservation").
pub fn to_json<M: Message>(message: &M, name: &str) -> anyhow::Result<String> {
    Ok(credit_proto::json::to_pretty(message, name)?)
}

/// Parses proto JSON (field names as in the .proto or lowerCamelCase) into message `name`.
pub fn from_json<M: Message + Default>(text: &str, name: &str) -> anyhow::Result<M> {
    Ok(credit_proto::json::parse(text, name)?)
}

/// A calendar date, "2026-11-30", or "" when unset.
pub fn date(value: &Option<Date>) -> String {
    value.as_ref().map(Date::iso).unwrap_or_default()
}

/// The date a flag gives ("2026-11-30"); unset for "".
pub fn date_arg(text: &str, flag: &str) -> anyhow::Result<Option<Date>> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    Date::parse(text.trim())
        .map(Some)
        .ok_or_else(|| anyhow::anyhow!("{flag} {text}: not a date YYYY-MM-DD"))
}

/// "1250.00 EUR", or "-" when unset.
pub fn money(value: &Option<Money>) -> String {
    value.as_ref().map_or_else(
        || "-".into(),
        |m| format!("{} {}", m.amount, m.currency_code),
    )
}

/// The amount alone (where a column names the currency), or "-".
pub fn amount(value: &Option<Money>) -> String {
    value
        .as_ref()
        .map_or_else(|| "-".into(), |m| m.amount.clone())
}

/// RFC 3339 time, or "-".
pub fn time(value: &Option<prost_types::Timestamp>) -> String {
    value
        .as_ref()
        .and_then(|t| {
            let nanos = u32::try_from(t.nanos).ok()?;
            let secs = u64::try_from(t.seconds).ok()?;
            Some(
                humantime::format_rfc3339_seconds(
                    std::time::UNIX_EPOCH + std::time::Duration::new(secs, nanos),
                )
                .to_string(),
            )
        })
        .unwrap_or_else(|| "-".into())
}

/// Prints `message` as JSON (`name` is its full protobuf name) or as `table` renders it.
pub fn print<M: prost::Message>(
    json: bool,
    message: &M,
    name: &str,
    table: impl FnOnce(&M) -> String,
) -> anyhow::Result<()> {
    if json {
        println!("{}", to_json(message, name)?);
    } else {
        println!("{}", table(message));
    }
    Ok(())
}

/// A two-column table of field names and values.
pub fn fields(rows: &[(&str, String)]) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_BORDERS_ONLY);
    for (name, value) in rows {
        table.add_row(vec![name.to_string(), value.clone()]);
    }
    table.to_string()
}

/// A table with a header.
pub fn table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_BORDERS_ONLY);
    table.set_header(header.to_vec());
    for row in rows {
        table.add_row(row);
    }
    table.to_string()
}

/// An enum value's name without its prefix (`CHECK_OUTCOME_APPROVED` → "APPROVED"),
/// "UNSPECIFIED" for zero, its number when this build does not know it.
pub fn enum_name<E: ShortName>(value: i32) -> String {
    match credit_proto::short_name::<E>(value) {
        Some(name) => name.to_string(),
        None if value == 0 => "UNSPECIFIED".to_string(),
        None => value.to_string(),
    }
}

/// The wire value a command-line enum argument names (any case, '-' for '_'; "" is 0,
/// unspecified), or an
/// error naming the flag and the values it takes.
pub fn enum_arg<E: ShortName>(text: &str, flag: &str) -> anyhow::Result<i32> {
    if text.is_empty() {
        return Ok(0);
    }
    match credit_proto::wire::<E>(&text.to_uppercase().replace('-', "_")) {
        0 => anyhow::bail!(
            "{flag} must be one of {}",
            credit_proto::short_names::<E>().join(", ")
        ),
        value => Ok(value),
    }
}

/// Enum values' names, comma-separated.
pub fn enum_names<E: ShortName>(values: &[i32]) -> String {
    values
        .iter()
        .map(|v| enum_name::<E>(*v))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An RFC 3339 time given on the command line, as a protobuf timestamp.
pub fn timestamp(text: &str) -> anyhow::Result<prost_types::Timestamp> {
    let at = humantime::parse_rfc3339_weak(text)
        .map_err(|e| anyhow::anyhow!("'{text}' is not an RFC 3339 time: {e}"))?;
    Ok(prost_types::Timestamp::from(at))
}

#[cfg(test)]
mod tests {
    use credit_proto::limits::{CheckOutcome, CheckReason};

    #[test]
    fn enum_names_lose_their_prefix() {
        assert_eq!(super::enum_name::<CheckOutcome>(1), "APPROVED");
        assert_eq!(super::enum_name::<CheckReason>(2), "GROUP_LIMIT_EXCEEDED");
        assert_eq!(super::enum_name::<CheckReason>(0), "UNSPECIFIED");
        assert_eq!(super::enum_name::<CheckReason>(999), "999");
        assert_eq!(
            super::enum_arg::<CheckOutcome>("approved", "--outcome").ok(),
            Some(1)
        );
        assert_eq!(
            super::enum_arg::<CheckOutcome>("", "--outcome").ok(),
            Some(0)
        );
        let refused = super::enum_arg::<CheckOutcome>("maybe", "--outcome").expect_err("unknown");
        assert_eq!(
            refused.to_string(),
            "--outcome must be one of APPROVED, REJECTED"
        );
        assert_eq!(
            super::enum_names::<CheckReason>(&[1, 2]),
            "OVER_LIMIT, GROUP_LIMIT_EXCEEDED"
        );
    }
}
