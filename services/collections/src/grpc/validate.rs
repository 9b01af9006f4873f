//! Request fields validated into the typed values the use cases take.
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
