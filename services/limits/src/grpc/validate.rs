//! Turning wire requests into validated domain values, naming every bad field.
use crate::app::{self, AccountChanges, AccountQuery, CheckOrder, DocumentPost};
use crate::domain::Micros;
use crate::domain::check::Release;
use crate::domain::exposure::Category;
use crate::domain::exposure::{Counting, CountingScope};
use crate::domain::ids::{check_external_id, check_text};
use crate::domain::limit::{CreditLimit, LimitMode, TemporaryLimit, Tolerance};
use crate::store::accounts::AccountFilter;
use credit_platform::clock::from_timestamp;
use credit_platform::error::{ApiError, Violations};
use credit_platform::idempotency::validate_request_id;
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

/// An idempotency key that may be left out (the call is then keyed by what it names).
pub fn optional_request_id(request_id: &str, v: &mut Violations) {
    if !request_id.is_empty() {
        validate_request_id(request_id, v);
    }
}

/// A receivable or commitment posted by the ERP: the customer's document and its open amount.
pub fn document_post(
    (customer_id, document_id): (&str, &str),
    category: Category,
    open_amount: Option<&credit_proto::types::Money>,
    due_at: Option<Micros>,
    v: &mut Violations,
) -> Option<DocumentPost> {
    check_external_id(customer_id, "customer_id", v);
    check_external_id(document_id, "document_id", v);
    let open_amount = non_negative_money(open_amount, "open_amount", v);
    Some(DocumentPost {
        customer_id: customer_id.to_string(),
        document_id: document_id.to_string(),
        category,
        open_amount: open_amount?,
        due_at,
    })
}

/// An order to check: the idempotency key (optional for a dry run, which stores nothing), the
/// customer and order, a positive amount, the reservation's life, and a release's approval.
pub fn check_order(request: &pb::CheckCreditRequest, v: &mut Violations) -> Option<CheckOrder> {
    if !request.dry_run || !request.request_id.is_empty() {
        validate_request_id(&request.request_id, v);
    }
    check_external_id(&request.customer_id, "customer_id", v);
    check_external_id(&request.order_id, "order_id", v);
    let amount = positive_money(request.amount.as_ref(), "amount", v);
    let ttl = match &request.reservation_ttl {
        None => None,
        Some(d) if d.seconds < 1 || d.seconds > 366 * 24 * 3600 || d.nanos != 0 => {
            v.add(
                "reservation_ttl",
                "must be whole seconds between 1 second and 366 days",
            );
            None
        }
        Some(d) => Some(d.seconds * 1_000_000),
    };
    if let Some(release) = &request.release {
        check_text(&release.approved_by, "release.approved_by", true, 200, v);
        check_text(&release.reference, "release.reference", true, 200, v);
        check_text(&release.reason, "release.reason", true, 2000, v);
    }
    Some(CheckOrder {
        customer_id: request.customer_id.clone(),
        order_id: request.order_id.clone(),
        amount: amount?,
        reservation_ttl: ttl,
        dry_run: request.dry_run,
        release: request.release.as_ref().map(|r| Release {
            approved_by: r.approved_by.trim().to_string(),
            reference: r.reference.trim().to_string(),
            reason: r.reason.trim().to_string(),
        }),
    })
}

/// What an account update changes: each path of the update mask (every updatable field when
/// it is empty), checked.
pub fn account_changes(
    request: &pb::UpdateCreditAccountRequest,
    v: &mut Violations,
) -> Option<(String, AccountChanges)> {
    let account = request.credit_account.clone().unwrap_or_default();
    check_external_id(&account.customer_id, "credit_account.customer_id", v);
    let paths: Vec<String> = match &request.update_mask {
        Some(mask) if !mask.paths.is_empty() => mask.paths.clone(),
        _ => [
            "name",
            "segment",
            "region",
            "business_unit",
            "parent_customer_id",
        ]
        .map(String::from)
        .to_vec(),
    };
    let mut changes = AccountChanges::default();
    for path in &paths {
        match path.as_str() {
            "name" => {
                check_text(&account.name, "credit_account.name", true, 200, v);
                changes.name = Some(account.name.trim().to_string());
            }
            "segment" => {
                check_text(&account.segment, "credit_account.segment", false, 64, v);
                changes.segment = Some(account.segment.clone());
            }
            "region" => {
                check_text(&account.region, "credit_account.region", false, 64, v);
                changes.region = Some(account.region.clone());
            }
            "business_unit" => {
                check_text(
                    &account.business_unit,
                    "credit_account.business_unit",
                    false,
                    64,
                    v,
                );
                changes.business_unit = Some(account.business_unit.clone());
            }
            "parent_customer_id" => {
                if !account.parent_customer_id.is_empty() {
                    check_external_id(
                        &account.parent_customer_id,
                        "credit_account.parent_customer_id",
                        v,
                    );
                    if account.parent_customer_id == account.customer_id {
                        v.add(
                            "credit_account.parent_customer_id",
                            "an account cannot be its own parent",
                        );
                    }
                }
                changes.parent_customer_id = Some(optional_text(&account.parent_customer_id));
            }
            other => v.add("update_mask", format!("'{other}' cannot be updated here")),
        }
    }
    Some((account.customer_id, changes))
}

/// A listing of accounts: filters, the smallest utilisation, the page.
pub fn account_query(
    request: &pb::ListCreditAccountsRequest,
    v: &mut Violations,
) -> Option<AccountQuery> {
    let page_size = v.check(app::page_size(request.page_size).map_err(ApiError::into_violations));
    let min_utilisation = if request.min_utilisation.is_empty() {
        None
    } else {
        v.check(parse_decimal(&request.min_utilisation, "min_utilisation"))
    };
    if !request.parent_customer_id.is_empty() {
        check_external_id(&request.parent_customer_id, "parent_customer_id", v);
    }
    let query = AccountQuery {
        filter: AccountFilter {
            segment: optional_text(&request.segment),
            region: optional_text(&request.region),
            parent_customer_id: optional_text(&request.parent_customer_id),
            on_hold: request.on_hold,
            // The caller's, set by the handler.
            scope: Default::default(),
        },
        min_utilisation,
        page_size: page_size.unwrap_or(100),
        page_token: request.page_token.clone(),
    };
    Some(query)
}

/// A text field that may be left empty.
pub fn optional_text(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_string())
}

/// Most approvers one limit change names (an authority matrix has a few levels).
const MAX_APPROVERS: usize = 10;

/// The approvals a limit change carries: at least one approver (token subjects, "system" for
/// a decision by policy) and the approval's reference.
pub fn approvals(approved_by: &[String], reference: &str, v: &mut Violations) {
    if approved_by.is_empty() {
        v.add(
            "approved_by",
            "required: the approvers the applications service verified",
        );
    }
    if approved_by.len() > MAX_APPROVERS {
        v.add("approved_by", format!("at most {MAX_APPROVERS} approvers"));
    }
    for (i, approver) in approved_by.iter().enumerate() {
        check_text(approver, &format!("approved_by[{i}]"), true, 300, v);
    }
    check_text(reference, "approval_reference", true, 200, v);
}
