//! Request fields validated into the typed values the use cases take.
use crate::convert::{ShortName, name_of};
use crate::domain::ledger::Kind;
use credit_platform::clock::parse_date;
use credit_platform::error::Violations;
use credit_proto::collections as pb;

/// A metrics period: the first day, and the last (today when empty), at most ten years.
pub(super) fn period(start: &str, end: &str, today: i64, v: &mut Violations) -> Option<(i64, i64)> {
    let first = parse_date(start);
    if first.is_none() {
        v.add("start_date", "must be a date YYYY-MM-DD");
    }
    let last = if end.is_empty() {
        Some(today)
    } else {
        let last = parse_date(end);
        if last.is_none() {
            v.add("end_date", "must be a date YYYY-MM-DD");
        }
        last
    };
    let (first, last) = (first?, last?);
    if last < first || last - first > 3660 {
        v.add(
            "end_date",
            "must be on or after start_date, within ten years",
        );
        return None;
    }
    Some((first, last))
}

/// The grouping asked for.
pub(super) fn group_of(group_by: i32, v: &mut Violations) -> pb::AgingGroup {
    pb::AgingGroup::try_from(group_by).unwrap_or_else(|_| {
        v.add("group_by", "not a known AgingGroup");
        pb::AgingGroup::Portfolio
    })
}

/// The stored kind a listing filters on ("" for every kind).
pub(super) fn kind_filter(kind: i32, v: &mut Violations) -> &'static str {
    match pb::DocumentKind::try_from(kind) {
        Ok(pb::DocumentKind::Invoice) => Kind::Invoice.name(),
        Ok(pb::DocumentKind::CreditNote) => Kind::CreditNote.name(),
        Ok(pb::DocumentKind::Payment) => Kind::Payment.name(),
        Ok(pb::DocumentKind::WriteOff) => Kind::WriteOff.name(),
        Ok(pb::DocumentKind::Fee) => Kind::Fee.name(),
        Ok(pb::DocumentKind::Interest) => Kind::Interest.name(),
        Ok(pb::DocumentKind::Unspecified) => "",
        Err(_) => {
            v.add("kind", "not a known DocumentKind");
            ""
        }
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

/// A required enum field's name, or a violation naming `field`.
pub(super) fn required_enum<E: ShortName>(
    value: i32,
    field: &str,
    v: &mut Violations,
) -> Option<&'static str> {
    let name = name_of::<E>(value);
    if name.is_none() {
        v.add(field, format!("must be {}", allowed::<E>()));
    }
    name
}

/// An enum filter's name ("" when unspecified: no filter), or a violation naming `field`.
pub(super) fn enum_filter<E: ShortName>(
    value: i32,
    field: &str,
    v: &mut Violations,
) -> &'static str {
    if value == 0 {
        return "";
    }
    required_enum::<E>(value, field, v).unwrap_or_default()
}
