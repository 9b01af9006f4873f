//! Turning wire requests into validated domain values, naming every bad field.
use crate::domain::Micros;
use crate::domain::exposure::{Counting, CountingScope};
use crate::domain::limit::{CreditLimit, LimitMode, TemporaryLimit, Tolerance};
use credit_platform::clock::from_timestamp;
use credit_platform::error::Violations;
use credit_platform::money::{Money, parse_decimal};
use credit_proto::limits as pb;
use rust_decimal::Decimal;

/// A timestamp field, when set.
pub fn timestamp(
    value: Option<&prost_types::Timestamp>,
    field: &str,
    v: &mut Violations,
) -> Option<Micros> {
    let ts = value?;
    let micros = from_timestamp(ts);
    if micros.is_none() {
        v.add(field, "not a valid timestamp");
    }
    micros
}

/// A positive amount.
pub fn positive_money(
    value: Option<&credit_proto::types::Money>,
    field: &str,
    v: &mut Violations,
) -> Option<Money> {
    let money = v.check(Money::from_proto(value, field))?;
    if money.amount <= Decimal::ZERO {
        v.add(format!("{field}.amount"), "must be greater than zero");
        return None;
    }
    Some(money)
}

/// A zero-or-positive amount.
pub fn non_negative_money(
    value: Option<&credit_proto::types::Money>,
    field: &str,
    v: &mut Violations,
) -> Option<Money> {
    let money = v.check(Money::from_proto(value, field))?;
    if money.amount < Decimal::ZERO {
        v.add(format!("{field}.amount"), "must not be negative");
        return None;
    }
    Some(money)
}

/// A credit limit; also returns the currency its amounts were given in (checked against the
/// account's by the caller).
pub fn credit_limit(
    value: Option<&pb::CreditLimit>,
    v: &mut Violations,
) -> Option<(CreditLimit, Option<String>)> {
    let Some(limit) = value else {
        v.add("credit_limit", "required");
        return None;
    };
    let mode = match pb::LimitMode::try_from(limit.mode) {
        Ok(pb::LimitMode::Unspecified | pb::LimitMode::None) => LimitMode::None,
        Ok(pb::LimitMode::Amount) => LimitMode::Amount,
        Ok(pb::LimitMode::Unlimited) => LimitMode::Unlimited,
        Err(_) => {
            v.add("credit_limit.mode", "unknown mode");
            return None;
        }
    };
    let mut currency = None;
    let mut note_currency = |money: &Money, field: &str, v: &mut Violations| match &currency {
        Some(code) if code != money.currency.code() => {
            v.add(
                format!("{field}.currency_code"),
                "all amounts of a limit are in one currency",
            );
        }
        _ => currency = Some(money.currency.code().to_string()),
    };
    let amount = match mode {
        LimitMode::Amount => {
            let money = non_negative_money(limit.amount.as_ref(), "credit_limit.amount", v);
            if let Some(money) = &money {
                note_currency(money, "credit_limit.amount", v);
            }
            money.map_or(Decimal::ZERO, |m| m.amount)
        }
        _ => {
            if limit.amount.is_some() {
                v.add(
                    "credit_limit.amount",
                    "only LIMIT_MODE_AMOUNT takes an amount",
                );
            }
            Decimal::ZERO
        }
    };
    let valid_from = timestamp(limit.valid_from.as_ref(), "credit_limit.valid_from", v);
    let valid_to = timestamp(limit.valid_to.as_ref(), "credit_limit.valid_to", v);
    if let (Some(from), Some(to)) = (valid_from, valid_to)
        && to <= from
    {
        v.add("credit_limit.valid_to", "must be after valid_from");
    }
    let temporary = match &limit.temporary_limit {
        None => None,
        Some(_) if mode != LimitMode::Amount => {
            v.add(
                "credit_limit.temporary_limit",
                "only LIMIT_MODE_AMOUNT takes a temporary limit",
            );
            None
        }
        Some(t) => {
            let money = positive_money(t.amount.as_ref(), "credit_limit.temporary_limit.amount", v);
            if let Some(money) = &money {
                note_currency(money, "credit_limit.temporary_limit.amount", v);
            }
            let from = timestamp(
                t.valid_from.as_ref(),
                "credit_limit.temporary_limit.valid_from",
                v,
            );
            let to = timestamp(
                t.valid_to.as_ref(),
                "credit_limit.temporary_limit.valid_to",
                v,
            );
            if t.valid_to.is_none() {
                v.add(
                    "credit_limit.temporary_limit.valid_to",
                    "required: a temporary limit expires by itself",
                );
            }
            if let (Some(from), Some(to)) = (from, to)
                && to <= from
            {
                v.add(
                    "credit_limit.temporary_limit.valid_to",
                    "must be after valid_from",
                );
            }
            match (money, to) {
                (Some(money), Some(to)) => Some(TemporaryLimit {
                    amount: money.amount,
                    valid_from: from,
                    valid_to: to,
                }),
                _ => None,
            }
        }
    };
    let tolerance = match limit.tolerance.as_ref().and_then(|t| t.kind.as_ref()) {
        None => Tolerance::None,
        Some(_) if mode != LimitMode::Amount => {
            v.add(
                "credit_limit.tolerance",
                "only LIMIT_MODE_AMOUNT takes a tolerance",
            );
            Tolerance::None
        }
        Some(pb::tolerance::Kind::Percent(text)) => {
            match v.check(parse_decimal(text, "credit_limit.tolerance.percent")) {
                Some(p) if p < Decimal::ZERO || p > Decimal::ONE_HUNDRED => {
                    v.add(
                        "credit_limit.tolerance.percent",
                        "must be between 0 and 100",
                    );
                    Tolerance::None
                }
                Some(p) => Tolerance::Percent(p),
                None => Tolerance::None,
            }
        }
        Some(pb::tolerance::Kind::Amount(money)) => {
            match non_negative_money(Some(money), "credit_limit.tolerance.amount", v) {
                Some(m) => {
                    note_currency(&m, "credit_limit.tolerance.amount", v);
                    Tolerance::Amount(m.amount)
                }
                None => Tolerance::None,
            }
        }
    };
    Some((
        CreditLimit {
            mode,
            amount,
            valid_from,
            valid_to,
            temporary,
            tolerance,
        },
        currency,
    ))
}

/// A counting rule with its scope id.
pub fn counting(
    value: Option<&pb::ExposureCounting>,
    v: &mut Violations,
) -> Option<(String, Counting)> {
    let Some(c) = value else {
        v.add("exposure_counting", "required");
        return None;
    };
    let scope = match pb::ExposureCountingScope::try_from(c.scope) {
        Ok(pb::ExposureCountingScope::Account) => CountingScope::Account,
        Ok(pb::ExposureCountingScope::Segment) => CountingScope::Segment,
        _ => {
            v.add(
                "exposure_counting.scope",
                "must be EXPOSURE_COUNTING_SCOPE_ACCOUNT or _SEGMENT",
            );
            return None;
        }
    };
    if scope == CountingScope::Account {
        crate::domain::ids::check_external_id(&c.scope_id, "exposure_counting.scope_id", v);
    } else {
        crate::domain::ids::check_text(&c.scope_id, "exposure_counting.scope_id", true, 64, v);
    }
    Some((
        c.scope_id.clone(),
        Counting {
            scope,
            reserved_orders: c.reserved_orders,
            delivered_not_invoiced: c.delivered_not_invoiced,
            open_receivables: c.open_receivables,
            other_commitments: c.other_commitments,
        },
    ))
}
