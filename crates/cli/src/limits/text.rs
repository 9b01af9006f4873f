//! How limits answers read as text (the `--json` form prints the messages themselves).
use crate::output::{enum_name, fields, money, table, time};
use credit_proto::limits as pb;

pub(super) fn account_table(a: &pb::CreditAccount) -> String {
    let e = a.exposure.clone().unwrap_or_default();
    let own = e.own.clone().unwrap_or_default();
    let limit = a.credit_limit.clone().unwrap_or_default();
    fields(&[
        ("customer", a.customer_id.clone()),
        ("name", a.name.clone()),
        ("currency", a.currency_code.clone()),
        (
            "segment / region / unit",
            format!("{} / {} / {}", a.segment, a.region, a.business_unit),
        ),
        (
            "parent",
            if a.parent_customer_id.is_empty() {
                "-".into()
            } else {
                a.parent_customer_id.clone()
            },
        ),
        (
            "limit",
            format!(
                "{} {}",
                enum_name::<credit_proto::limits::LimitMode>(limit.mode),
                money(&limit.amount)
            ),
        ),
        ("effective limit", money(&e.effective_limit)),
        ("reserved orders", money(&own.reserved_orders)),
        (
            "delivered, not invoiced",
            money(&own.delivered_not_invoiced),
        ),
        ("open receivables", money(&own.open_receivables)),
        ("other commitments", money(&own.other_commitments)),
        ("available credit", money(&e.available_credit)),
        (
            "utilisation",
            if e.utilisation.is_empty() {
                "-".into()
            } else {
                e.utilisation.clone()
            },
        ),
        ("on hold", a.on_hold.to_string()),
    ])
}

pub(super) fn exposure_table(e: &pb::Exposure) -> String {
    let own = e.own.clone().unwrap_or_default();
    let group = e.group.clone().unwrap_or_default();
    let rows = [
        (
            "reserved orders",
            &own.reserved_orders,
            &group.reserved_orders,
        ),
        (
            "delivered, not invoiced",
            &own.delivered_not_invoiced,
            &group.delivered_not_invoiced,
        ),
        (
            "open receivables",
            &own.open_receivables,
            &group.open_receivables,
        ),
        (
            "other commitments",
            &own.other_commitments,
            &group.other_commitments,
        ),
        ("counted", &own.counted_total, &group.counted_total),
        ("total", &own.total, &group.total),
    ];
    let mut out = table(
        &["category", "own", "group"],
        rows.iter()
            .map(|(name, o, g)| vec![name.to_string(), money(o), money(g)])
            .collect(),
    );
    out.push('\n');
    out.push_str(&fields(&[
        ("as of", time(&e.as_of_time)),
        (
            "limit",
            format!(
                "{} {}",
                enum_name::<credit_proto::limits::LimitMode>(e.limit_mode),
                money(&e.effective_limit)
            ),
        ),
        ("available credit", money(&e.available_credit)),
        (
            "utilisation",
            if e.utilisation.is_empty() {
                "-".into()
            } else {
                e.utilisation.clone()
            },
        ),
    ]));
    out
}

pub(super) fn reservation_table(r: &pb::Reservation) -> String {
    fields(&[
        ("reservation", r.reservation_id.clone()),
        (
            "customer / order",
            format!("{} / {}", r.customer_id, r.order_id),
        ),
        (
            "state",
            enum_name::<credit_proto::limits::ReservationState>(r.state),
        ),
        ("amount", money(&r.amount)),
        ("open", money(&r.open_amount)),
        ("delivered", money(&r.delivered_amount)),
        ("invoiced", money(&r.invoiced_amount)),
        ("expires", time(&r.expire_time)),
    ])
}

pub(super) fn check_table(c: &pb::CheckCreditResponse) -> String {
    let reasons: Vec<String> = c
        .reasons
        .iter()
        .map(|r| enum_name::<credit_proto::limits::CheckReason>(*r))
        .collect();
    fields(&[
        (
            "outcome",
            enum_name::<credit_proto::limits::CheckOutcome>(c.outcome),
        ),
        (
            "reasons",
            if reasons.is_empty() {
                "-".into()
            } else {
                reasons.join(", ")
            },
        ),
        ("checked amount", money(&c.checked_amount)),
        ("available before", money(&c.available_before)),
        ("available after", money(&c.available_after)),
        ("largest amount that fits", money(&c.max_approvable_amount)),
        (
            "binding limit",
            format!(
                "{} {}",
                enum_name::<credit_proto::limits::BindingLimit>(c.binding_limit),
                c.binding_customer_id
            ),
        ),
        (
            "fx rate",
            c.fx_conversion.as_ref().map_or("-".into(), |f| {
                format!("{} {}→{}", f.rate, f.from_currency_code, f.to_currency_code)
            }),
        ),
        (
            "reservation",
            c.reservation
                .as_ref()
                .map_or("-".into(), |r| r.reservation_id.clone()),
        ),
        (
            "decision",
            if c.decision_id.is_empty() {
                "-".into()
            } else {
                c.decision_id.clone()
            },
        ),
    ])
}

pub(super) fn hold_row(h: &pb::CreditHold) -> Vec<String> {
    vec![
        h.hold_id.clone(),
        enum_name::<credit_proto::limits::CreditHoldKind>(h.kind),
        h.reason.clone(),
        h.placed_by.clone(),
        time(&h.place_time),
        if h.active {
            "active".into()
        } else {
            format!("released: {}", h.release_reason)
        },
    ]
}
