//! Domain and stored values to their wire form, and wire enums to domain values.
use crate::domain::Micros;
use crate::domain::check::{Binding, Decision, Outcome, Reason};
use crate::domain::exposure::{Category, Counting, CountingScope, Exposure};
use crate::domain::limit::{CreditLimit, LimitInForce, LimitMode, TemporaryLimit, Tolerance};
use crate::store::accounts::AccountRow;
use crate::store::documents::ExposureDocument;
use crate::store::holds::Hold;
use crate::store::reservations::{Reservation, ReservationState};
use credit_platform::clock::to_timestamp;
use credit_platform::money::{Currency, format_amount};
use credit_proto::limits as pb;
use credit_proto::types::Money;
use rust_decimal::{Decimal, RoundingStrategy};

/// Money in a currency known to be valid (it was validated when stored).
pub fn money(amount: Decimal, currency_code: &str) -> Money {
    let amount = match Currency::from_code(currency_code) {
        Some(currency) => format_amount(amount, currency),
        None => amount.normalize().to_string(),
    };
    Money {
        amount,
        currency_code: currency_code.to_string(),
    }
}

fn breakdown(exposure: &Exposure, counting: &Counting, currency: &str) -> pb::ExposureBreakdown {
    pb::ExposureBreakdown {
        reserved_orders: Some(money(exposure.reserved_orders, currency)),
        delivered_not_invoiced: Some(money(exposure.delivered_not_invoiced, currency)),
        open_receivables: Some(money(exposure.open_receivables, currency)),
        other_commitments: Some(money(exposure.other_commitments, currency)),
        counted_total: Some(money(exposure.counted(counting), currency)),
        total: Some(money(exposure.total(), currency)),
    }
}

/// The counting rule's wire form.
pub fn counting(counting: &Counting, scope_id: &str) -> pb::ExposureCounting {
    let scope = match counting.scope {
        CountingScope::Default => pb::ExposureCountingScope::Default,
        CountingScope::Segment => pb::ExposureCountingScope::Segment,
        CountingScope::Account => pb::ExposureCountingScope::Account,
    };
    pb::ExposureCounting {
        scope: scope as i32,
        scope_id: if counting.scope == CountingScope::Default {
            String::new()
        } else {
            scope_id.to_string()
        },
        reserved_orders: counting.reserved_orders,
        delivered_not_invoiced: counting.delivered_not_invoiced,
        open_receivables: counting.open_receivables,
        other_commitments: counting.other_commitments,
    }
}

/// Exposure, limit in force, available credit and utilisation of an account at `at`.
#[allow(clippy::too_many_arguments)]
pub fn exposure_view(
    customer_id: &str,
    currency: &str,
    segment: &str,
    limit: &CreditLimit,
    rule: &Counting,
    own: &Exposure,
    group: &Exposure,
    at: Micros,
) -> pb::Exposure {
    let scope_id = match rule.scope {
        CountingScope::Account => customer_id,
        _ => segment,
    };
    let mut view = pb::Exposure {
        customer_id: customer_id.to_string(),
        as_of_time: Some(to_timestamp(at)),
        own: Some(breakdown(own, rule, currency)),
        group: Some(breakdown(group, rule, currency)),
        counting: Some(counting(rule, scope_id)),
        limit_mode: limit_mode(limit.mode) as i32,
        ..Default::default()
    };
    if let LimitInForce::Finite { effective, .. } = limit.in_force(at) {
        let counted = group.counted(rule);
        view.effective_limit = Some(money(effective, currency));
        view.available_credit = Some(money(effective - counted, currency));
        if effective > Decimal::ZERO {
            let mut utilisation = (counted / effective)
                .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero);
            utilisation.rescale(4);
            view.utilisation = utilisation.to_string();
        }
    }
    view
}

/// The limit mode's wire form.
pub fn limit_mode(mode: LimitMode) -> pb::LimitMode {
    match mode {
        LimitMode::None => pb::LimitMode::None,
        LimitMode::Amount => pb::LimitMode::Amount,
        LimitMode::Unlimited => pb::LimitMode::Unlimited,
    }
}

/// A limit's wire form.
pub fn credit_limit(limit: &CreditLimit, currency: &str) -> pb::CreditLimit {
    pb::CreditLimit {
        mode: limit_mode(limit.mode) as i32,
        amount: (limit.mode == LimitMode::Amount).then(|| money(limit.amount, currency)),
        valid_from: limit.valid_from.map(to_timestamp),
        valid_to: limit.valid_to.map(to_timestamp),
        temporary_limit: limit
            .temporary
            .as_ref()
            .map(|t: &TemporaryLimit| pb::TemporaryLimit {
                amount: Some(money(t.amount, currency)),
                valid_from: t.valid_from.map(to_timestamp),
                valid_to: Some(to_timestamp(t.valid_to)),
            }),
        tolerance: match limit.tolerance {
            Tolerance::None => None,
            Tolerance::Percent(p) => Some(pb::Tolerance {
                kind: Some(pb::tolerance::Kind::Percent(p.normalize().to_string())),
            }),
            Tolerance::Amount(a) => Some(pb::Tolerance {
                kind: Some(pb::tolerance::Kind::Amount(money(a, currency))),
            }),
        },
    }
}

/// An account's wire form with its exposure at `at`.
pub fn account(row: &AccountRow, rule: &Counting, at: Micros) -> pb::CreditAccount {
    pb::CreditAccount {
        customer_id: row.customer_id.clone(),
        name: row.name.clone(),
        currency_code: row.currency_code.clone(),
        segment: row.segment.clone(),
        region: row.region.clone(),
        business_unit: row.business_unit.clone(),
        parent_customer_id: row.parent_customer_id.clone().unwrap_or_default(),
        credit_limit: Some(credit_limit(&row.credit_limit, &row.currency_code)),
        on_hold: row.active_holds > 0,
        exposure: Some(exposure_view(
            &row.customer_id,
            &row.currency_code,
            &row.segment,
            &row.credit_limit,
            rule,
            &row.own_exposure,
            &row.group_exposure,
            at,
        )),
        create_time: Some(to_timestamp(row.created_at)),
        update_time: Some(to_timestamp(row.updated_at)),
    }
}

/// A reservation's wire form (`currency` is the account currency).
pub fn reservation(r: &Reservation, currency: &str) -> pb::Reservation {
    let state = match r.state {
        ReservationState::Open => pb::ReservationState::Open,
        ReservationState::Captured => pb::ReservationState::Captured,
        ReservationState::Released => pb::ReservationState::Released,
        ReservationState::Expired => pb::ReservationState::Expired,
    };
    pb::Reservation {
        reservation_id: r.reservation_id.clone(),
        customer_id: r.customer_id.clone(),
        order_id: r.order_id.clone(),
        state: state as i32,
        amount: Some(money(r.amount, currency)),
        open_amount: Some(money(r.open_amount, currency)),
        delivered_amount: Some(money(r.delivered_amount, currency)),
        invoiced_amount: Some(money(r.invoiced_amount, currency)),
        order_amount: Some(money(r.order_amount, &r.order_currency)),
        expire_time: Some(to_timestamp(r.expires_at)),
        decision_id: r.decision_id.clone(),
        create_time: Some(to_timestamp(r.created_at)),
        update_time: Some(to_timestamp(r.updated_at)),
    }
}

/// A document's wire form (`currency` is the account currency).
pub fn document(d: &ExposureDocument, currency: &str) -> pb::ExposureDocument {
    let converted = d.posted_currency != currency;
    pb::ExposureDocument {
        document_id: d.document_id.clone(),
        customer_id: d.customer_id.clone(),
        category: category(d.category) as i32,
        open_amount: Some(money(d.open_amount, currency)),
        posted_amount: converted.then(|| money(d.posted_amount, &d.posted_currency)),
        fx_conversion: match (converted, d.fx_rate, d.fx_effective_at) {
            (true, Some(rate), Some(at)) => Some(pb::FxConversion {
                from_currency_code: d.posted_currency.clone(),
                to_currency_code: currency.to_string(),
                rate: rate.normalize().to_string(),
                rate_effective_time: Some(to_timestamp(at)),
            }),
            _ => None,
        },
        due_time: d.due_at.map(to_timestamp),
        update_time: Some(to_timestamp(d.updated_at)),
    }
}

/// A category's wire form.
pub fn category(c: Category) -> pb::ExposureCategory {
    match c {
        Category::ReservedOrders => pb::ExposureCategory::ReservedOrders,
        Category::DeliveredNotInvoiced => pb::ExposureCategory::DeliveredNotInvoiced,
        Category::OpenReceivables => pb::ExposureCategory::OpenReceivables,
        Category::OtherCommitments => pb::ExposureCategory::OtherCommitments,
    }
}

/// A hold's wire form.
pub fn hold(h: &Hold) -> pb::CreditHold {
    let kind = if h.kind == "RULE" {
        pb::CreditHoldKind::Rule
    } else {
        pb::CreditHoldKind::Manual
    };
    pb::CreditHold {
        hold_id: h.hold_id.clone(),
        customer_id: h.customer_id.clone(),
        kind: kind as i32,
        rule_code: h.rule_code.clone(),
        reason: h.reason.clone(),
        placed_by: h.placed_by.clone(),
        place_time: Some(to_timestamp(h.placed_at)),
        active: h.active,
        released_by: h.released_by.clone(),
        release_reason: h.release_reason.clone(),
        release_time: h.released_at.map(to_timestamp),
    }
}

fn reason(r: Reason) -> pb::CheckReason {
    match r {
        Reason::OverLimit => pb::CheckReason::OverLimit,
        Reason::GroupLimitExceeded => pb::CheckReason::GroupLimitExceeded,
        Reason::AccountOnHold => pb::CheckReason::AccountOnHold,
        Reason::GroupOnHold => pb::CheckReason::GroupOnHold,
        Reason::NoLimit => pb::CheckReason::NoLimit,
        Reason::LimitExpired => pb::CheckReason::LimitExpired,
        Reason::LimitNotYetValid => pb::CheckReason::LimitNotYetValid,
        Reason::NoFxRate => pb::CheckReason::NoFxRate,
        Reason::WithinTolerance => pb::CheckReason::WithinTolerance,
        Reason::Unlimited => pb::CheckReason::Unlimited,
        Reason::ReservationAdjusted => pb::CheckReason::ReservationAdjusted,
        Reason::ReleasedByApproval => pb::CheckReason::ReleasedByApproval,
    }
}

/// The answer of a check, without decision id and reservation (set by the caller).
pub fn check_response(
    decision: &Decision,
    inputs: &crate::domain::check::CheckInputs,
) -> pb::CheckCreditResponse {
    let account = inputs.account_currency.as_str();
    let binding = match decision.binding {
        Binding::None => pb::BindingLimit::None,
        Binding::Own => pb::BindingLimit::Own,
        Binding::Tolerance => pb::BindingLimit::Tolerance,
        Binding::Group => pb::BindingLimit::Group,
    };
    pb::CheckCreditResponse {
        decision_id: String::new(),
        outcome: match decision.outcome {
            Outcome::Approved => pb::CheckOutcome::Approved,
            Outcome::Rejected => pb::CheckOutcome::Rejected,
        } as i32,
        reasons: decision.reasons.iter().map(|r| reason(*r) as i32).collect(),
        checked_amount: decision.checked_amount.map(|a| money(a, account)),
        available_before: decision.available_before.map(|a| money(a, account)),
        available_after: decision.available_after.map(|a| money(a, account)),
        max_approvable_amount: decision.max_approvable.map(|a| money(a, account)),
        max_approvable_order_amount: decision
            .max_approvable_in_order_currency
            .map(|a| money(a, &inputs.order_currency)),
        binding_limit: binding as i32,
        binding_customer_id: decision.binding_customer_id.clone(),
        reservation: None,
        fx_conversion: inputs.rate.as_ref().map(|rate| pb::FxConversion {
            from_currency_code: inputs.order_currency.clone(),
            to_currency_code: inputs.account_currency.clone(),
            rate: rate.rate.normalize().to_string(),
            rate_effective_time: Some(to_timestamp(rate.effective_at)),
        }),
        rule_version: inputs.rule_version.clone(),
        decide_time: Some(to_timestamp(inputs.at)),
    }
}
