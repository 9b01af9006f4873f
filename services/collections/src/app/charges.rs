//! Fees and interest a dunning step charges. Each charge is a receivable of its own (a FEE or
//! INTEREST document, due at once) rather than an increase of the invoice: paying the principal
//! leaves it owed, it ages and is dunned like any item, payments allocate to it, and exposure in
//! limits follows it through the same `receivable.changed` events.
use crate::convert;
use crate::domain::dunning::Step;
use crate::domain::ledger::Booked;
use crate::domain::ledger::{Kind, to_minor};
use crate::store::{self, StoredDocument};
use credit_platform::calendar;
use credit_platform::clock::{Micros, date_of_day, day_of};
use credit_platform::context::RequestContext;
use credit_platform::error::ApiError;
use credit_platform::money::Currency;
use credit_platform::outbox::{self, NewEvent, Payload};
use credit_proto::collections as pb;
use credit_proto::wire;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use sqlx::AnyConnection;
use std::str::FromStr;

/// An overdue invoice a step covers: id, due day, open amount (minor units).
pub struct Overdue<'a> {
    /// The invoice.
    pub invoice_id: &'a str,
    /// Its due day.
    pub due_day: i64,
    /// Its open amount.
    pub open: i64,
}

/// A charge booked: its document id and amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charged {
    /// The FEE or INTEREST document.
    pub document_id: String,
    /// Minor units.
    pub amount: i64,
}

/// Simple interest on `open` at `annual_rate` for `days`, actual/365, in minor units rounded
/// half away from zero.
pub fn interest(open: i64, annual_rate: Decimal, days: i64) -> i64 {
    let value = Decimal::from(open) * annual_rate * Decimal::from(days) / Decimal::from(365);
    value
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
        .unwrap_or(i64::MAX)
}

/// Books the fee and the interest of `step` for a customer's `covered` invoices, in the step's
/// transaction. Answers what was charged.
pub async fn book(
    tx: &mut AnyConnection,
    context: &RequestContext,
    now: Micros,
    customer_id: &str,
    currency: &str,
    step: &Step,
    covered: &[Overdue<'_>],
) -> Result<Vec<Charged>, ApiError> {
    let Some(code) = Currency::from_code(currency) else {
        return Ok(Vec::new());
    };
    let today = day_of(now);
    let mut charged = Vec::new();
    let fee = step
        .fee
        .get(currency)
        .and_then(|f| Decimal::from_str(f).ok())
        .and_then(|f| to_minor(f, &code))
        .unwrap_or(0);
    if fee > 0 {
        let reference = format!("{} fee", step.code);
        charged.push(
            charge(
                tx,
                context,
                now,
                customer_id,
                &code,
                Kind::Fee,
                fee,
                &reference,
            )
            .await?,
        );
    }
    if let Some(rate) = step
        .interest_rate
        .as_deref()
        .and_then(|r| Decimal::from_str(r).ok())
    {
        let mut total = 0;
        let mut on = Vec::new();
        for item in covered {
            let from = store::interest_charged_through(&mut *tx, item.invoice_id)
                .await?
                .map_or(item.due_day, |d| d.max(item.due_day));
            let amount = interest(item.open, rate, today - from);
            if amount <= 0 {
                continue;
            }
            total += amount;
            on.push(format!(
                "{} {}..{}",
                item.invoice_id,
                date_of_day(from),
                date_of_day(today)
            ));
            store::set_interest_charged_through(&mut *tx, item.invoice_id, today).await?;
        }
        if total > 0 {
            let reference = format!("interest at {rate} on {}", on.join(", "));
            charged.push(
                charge(
                    tx,
                    context,
                    now,
                    customer_id,
                    &code,
                    Kind::Interest,
                    total,
                    &reference,
                )
                .await?,
            );
        }
    }
    Ok(charged)
}

/// One charge document, due today, said on the feed like any new receivable.
#[allow(clippy::too_many_arguments)]
async fn charge(
    tx: &mut AnyConnection,
    context: &RequestContext,
    now: Micros,
    customer_id: &str,
    currency: &Currency,
    kind: Kind,
    amount: i64,
    reference: &str,
) -> Result<Charged, ApiError> {
    let today = day_of(now);
    let prefix = if kind == Kind::Fee { "FEE" } else { "INT" };
    let document_id = format!("{prefix}-{}", uuid::Uuid::now_v7());
    let body = credit_platform::records::encode(&Booked {
        document_id: document_id.clone(),
        customer_id: customer_id.to_string(),
        kind,
        currency: currency.code().to_string(),
        amount,
        issue_day: today,
        due_day: Some(today),
        payment_terms_days: 0,
        order_id: String::new(),
        allocations: Vec::new(),
        reference: reference.to_string(),
    });
    let document = StoredDocument {
        document_id: document_id.clone(),
        customer_id: customer_id.to_string(),
        kind,
        currency: currency.code().to_string(),
        amount,
        // Set by receivable_changed below, which says so on the feed.
        open_amount: 0,
        issue_day: today,
        due_day: Some(today),
        body: body.clone(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::save_document(tx, &document, true).await?;
    store::insert_version(
        tx,
        &document_id,
        1,
        &body,
        &context.caller.subject,
        "dunning",
        now,
    )
    .await?;
    outbox::append(
        tx,
        context,
        now,
        NewEvent {
            event_type: "credit.collections.document.recorded",
            entity_type: "document",
            entity_id: document_id.clone(),
            customer_id: customer_id.to_string(),
            payload: Payload::of(&pb::DocumentRecorded {
                kind: wire::<pb::DocumentKind>(kind.name()),
                amount: Some(convert::money(amount, currency.code())),
                issue_date: Some(calendar::date(today)),
                due_date: Some(calendar::date(today)),
                allocations: Vec::new(),
                reference: reference.to_string(),
                source: "dunning".into(),
                version: 1,
            }),
        },
    )
    .await?;
    crate::app::ledger::receivable_changed(tx, context, now, &document_id, true).await?;
    Ok(Charged {
        document_id,
        amount,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn interest_is_simple_actual_365_rounded_to_the_cent() {
        // 1 000.00 at 12.15 % for 30 days = 9.986… → 9.99.
        assert_eq!(interest(100_000, dec!(0.1215), 30), 999);
        assert_eq!(interest(100_000, dec!(0.1215), 0), 0);
        // 0.5 cent rounds away from zero.
        assert_eq!(interest(365, dec!(0.5), 1), 1);
    }
}
