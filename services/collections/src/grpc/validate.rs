//! Request fields validated into the typed values the use cases take.
use crate::app::dunning::known_time_zone;
use crate::domain::ledger::Kind;
use credit_platform::calendar;
use credit_platform::error::Violations;
use credit_platform::ids::{check_external_id, check_text};
use credit_proto::collections as pb;
use credit_proto::google::r#type::Date;

/// A metrics period: the first day, and the last (today when empty), at most ten years.
pub(super) fn period(
    start: Option<&Date>,
    end: Option<&Date>,
    today: i64,
    v: &mut Violations,
) -> Option<(i64, i64)> {
    let first = calendar::day_in("start_date", start, v);
    let last = calendar::optional_day_in("end_date", end, v).map(|day| day.unwrap_or(today));
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

/// A customer as `PutCustomer` sends it: every problem named under `customer.…`.
pub(super) fn customer(request: &pb::PutCustomerRequest, v: &mut Violations) {
    match &request.customer {
        None => v.add("customer", "required"),
        Some(c) => {
            check_external_id(&c.customer_id, "customer.customer_id", v);
            check_text(&c.name, "customer.name", false, 200, v);
            check_text(&c.segment, "customer.segment", false, 64, v);
            check_text(&c.region, "customer.region", false, 64, v);
            if !c.group_id.is_empty() {
                check_external_id(&c.group_id, "customer.group_id", v);
            }
            if !matches!(c.language.as_str(), "" | "en" | "fr" | "ro" | "zh") {
                v.add("customer.language", "must be en, fr, ro or zh");
            }
            if !c.time_zone.is_empty() && !known_time_zone(&c.time_zone) {
                v.add(
                    "customer.time_zone",
                    "not an IANA time zone (\"Europe/Paris\")",
                );
            }
            check_text(&c.collector, "customer.collector", false, 200, v);
            let email = c.email.trim();
            if !email.is_empty()
                && (email.len() > 254
                    || email.split_once('@').is_none_or(|(local, domain)| {
                        local.is_empty() || !domain.contains('.') || domain.ends_with('.')
                    }))
            {
                v.add("customer.email", "not an e-mail address");
            }
            check_text(&c.risk_class, "customer.risk_class", false, 8, v);
            if !c.jurisdiction.is_empty()
                && !crate::domain::limitation::is_country_code(&c.jurisdiction)
            {
                v.add("customer.jurisdiction", "an ISO 3166 country code (\"FR\")");
            }
        }
    }
}
