//! Exposure follows the receivables ledger: limits follows collections' event feed. A changed
//! receivable is posted (the open amount; zero closes it); a new invoice naming a sales order
//! captures that order's reservation instead; an overdue customer gets the collections rule
//! hold, released when it is cleared.
//!
//! Every effect is one of the ordinary idempotent use cases, keyed by a request id derived from
//! the event's sequence: a redelivered event replays the stored answers, so the position can
//! be stored after the effects.
use crate::app::{DocumentPost, Limits};
use crate::domain::exposure::Category;
use credit_platform::calendar;
use credit_platform::context::RequestContext;
use credit_platform::error::ApiError;
use credit_platform::follow::{Consumed, EventHandler, Handled};
use credit_platform::money::Money;
use credit_proto::collections as cpb;
use credit_proto::event::Event;
use credit_proto::limits as pb;
use serde::Deserialize;

/// The rule code of the hold collections asks for.
pub const OVERDUE_RULE: &str = "COLLECTIONS_OVERDUE";

/// `credit.collections.receivable.changed` as collections wrote it before the payload was typed
/// (events already on its feed when limits is upgraded).
#[derive(Debug, Deserialize)]
struct JsonReceivableChanged {
    invoice_id: String,
    currency_code: String,
    amount: String,
    open_amount: String,
    #[serde(default)]
    previous_open_amount: Option<String>,
    #[serde(default)]
    due_date: Option<String>,
    #[serde(default)]
    order_id: String,
}

/// `credit.collections.customer.overdue` as collections wrote it before it was typed.
#[derive(Debug, Deserialize)]
struct JsonOverdue {
    #[serde(default)]
    days_past_due: i64,
    #[serde(default)]
    overdue_amounts: Vec<String>,
}

/// Acts on collections' events.
pub struct LedgerFollower {
    limits: Limits,
}

impl LedgerFollower {
    /// The handler.
    pub fn new(limits: Limits) -> Self {
        Self { limits }
    }
}

/// A request id for step `step` of the event at `sequence`, the same at every redelivery.
fn derived(sequence: i64, step: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_OID,
        format!("credit.collections/{sequence}/{step}").as_bytes(),
    )
    .to_string()
}

fn money(amount: Option<&credit_proto::types::Money>, field: &str) -> Result<Money, ApiError> {
    Money::from_proto(amount, field).map_err(ApiError::InvalidArgument)
}

/// A receivable change: the typed payload, or the JSON of an event written before it was typed.
fn receivable_changed(event: &Event) -> Result<cpb::ReceivableChanged, ApiError> {
    credit_platform::follow::contract(event, |json: JsonReceivableChanged| {
        let money = |amount: String| credit_proto::types::Money {
            amount,
            currency_code: json.currency_code.clone(),
        };
        cpb::ReceivableChanged {
            amount: Some(money(json.amount.clone())),
            open_amount: Some(money(json.open_amount.clone())),
            previous_open_amount: json.previous_open_amount.clone().map(money),
            due_date: json
                .due_date
                .as_deref()
                .and_then(credit_platform::clock::parse_date)
                .map(calendar::date),
            order_id: json.order_id.clone(),
            invoice_id: json.invoice_id.clone(),
            issue_date: None,
        }
    })
}

impl LedgerFollower {
    async fn receivable(&self, event: &Event, sequence: i64) -> Result<(), ApiError> {
        let change = receivable_changed(event)?;
        let due_at = change
            .due_date
            .as_ref()
            .and_then(calendar::day_of)
            .map(|day| day * 86_400_000_000);
        let context = RequestContext::system("collections-ledger");
        // A new invoice of an order: the order's reservation becomes the receivable.
        if change.previous_open_amount.is_none() && !change.order_id.is_empty() {
            let amount = money(change.amount.as_ref(), "amount")?;
            if let Some((reservation_id, account_currency)) = self
                .limits
                .open_reservation_of_order(&event.customer_id, &change.order_id)
                .await?
                && account_currency == amount.currency.code()
            {
                let request = pb::InvoiceReservationRequest {
                    reservation_id,
                    amount: Some(amount.to_proto()),
                    document_id: change.invoice_id.clone(),
                    due_time: due_at.map(credit_platform::clock::to_timestamp),
                    request_id: derived(sequence, "capture"),
                };
                let context = context.clone().with_request_id(&request.request_id);
                match self
                    .limits
                    .invoice_reservation(&context, &request, amount, due_at)
                    .await
                {
                    Ok(_) => return Ok(()),
                    // More invoiced than was reserved: post the invoice as it is instead.
                    Err(ApiError::InvalidArgument(_)) => {}
                    Err(other) => return Err(other),
                }
            }
        }
        let open = money(change.open_amount.as_ref(), "open_amount")?;
        let request = pb::PostReceivableRequest {
            customer_id: event.customer_id.clone(),
            document_id: change.invoice_id.clone(),
            open_amount: Some(open.to_proto()),
            due_time: due_at.map(credit_platform::clock::to_timestamp),
            request_id: derived(sequence, "post"),
        };
        let context = context.with_request_id(&request.request_id);
        self.limits
            .post_document(
                &context,
                "PostReceivable",
                &request,
                DocumentPost {
                    customer_id: event.customer_id.clone(),
                    document_id: change.invoice_id,
                    category: Category::OpenReceivables,
                    open_amount: open,
                    due_at,
                },
            )
            .await
            .map(|_| ())
    }

    async fn overdue(&self, event: &Event, sequence: i64, hold: bool) -> Result<(), ApiError> {
        let context = RequestContext::system("collections-ledger");
        if hold {
            let overdue = credit_platform::follow::contract(event, |json: JsonOverdue| {
                cpb::CustomerOverdue {
                    days_past_due: json.days_past_due,
                    // They were written "1234.00 EUR".
                    overdue_amounts: json
                        .overdue_amounts
                        .iter()
                        .map(|text| {
                            let (amount, currency) = text.split_once(' ').unwrap_or((text, ""));
                            credit_proto::types::Money {
                                amount: amount.to_string(),
                                currency_code: currency.to_string(),
                            }
                        })
                        .collect(),
                    cause: String::new(),
                }
            })?;
            let request = pb::PlaceCreditHoldRequest {
                customer_id: event.customer_id.clone(),
                reason: format!(
                    "collections: {} days past due ({})",
                    overdue.days_past_due,
                    overdue
                        .overdue_amounts
                        .iter()
                        .map(|m| format!("{} {}", m.amount, m.currency_code))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                kind: pb::CreditHoldKind::Rule as i32,
                rule_code: OVERDUE_RULE.into(),
                request_id: derived(sequence, "hold"),
            };
            let context = context.with_request_id(&request.request_id);
            self.limits.place_hold(&context, &request, true).await?;
        } else {
            let request_id = derived(sequence, "release");
            let context = context.with_request_id(&request_id);
            self.limits
                .release_rule_hold(
                    &context,
                    &event.customer_id,
                    OVERDUE_RULE,
                    "collections: nothing is overdue beyond the threshold any more",
                    &request_id,
                )
                .await?;
        }
        Ok(())
    }
}

impl EventHandler for LedgerFollower {
    async fn handle(&self, event: Event, consumed: Consumed) -> Result<Handled, ApiError> {
        let sequence = consumed.sequence();
        let outcome = match event.event_type.as_str() {
            "credit.collections.receivable.changed" => self.receivable(&event, sequence).await,
            "credit.collections.customer.overdue" => self.overdue(&event, sequence, true).await,
            "credit.collections.customer.overdue_cleared" => {
                self.overdue(&event, sequence, false).await
            }
            _ => return Ok(Handled::Ignored),
        };
        match outcome {
            Ok(()) => {}
            // A customer without a credit account here (a cash customer): nothing to follow.
            Err(ApiError::NotFound { .. }) => {
                metrics::counter!("limits_ledger_events_skipped_total", "reason" => "no_account")
                    .increment(1);
            }
            // A receivable that cannot be counted (no exchange rate…) must not stop the feed:
            // it is counted and said loudly, and the next change of it posts again.
            Err(error @ (ApiError::RuleViolation { .. } | ApiError::InvalidArgument(_))) => {
                metrics::counter!("limits_ledger_events_skipped_total", "reason" => "refused")
                    .increment(1);
                tracing::error!(sequence, customer_id = %event.customer_id, %error,
                    "a collections event could not be applied to exposure");
            }
            Err(other) => return Err(other),
        }
        let mut conn = self.limits.db().pool.acquire().await?;
        consumed.record(&mut conn, self.limits.now()).await?;
        Ok(Handled::Recorded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(payload_json: &str, payload: Option<prost_types::Any>) -> Event {
        Event {
            event_type: "credit.collections.receivable.changed".into(),
            payload_json: payload_json.into(),
            payload,
            ..Default::default()
        }
    }

    #[test]
    fn a_typed_change_is_read_from_its_message() {
        let sent = cpb::ReceivableChanged {
            invoice_id: "INV-1".into(),
            open_amount: Some(credit_proto::types::Money {
                amount: "250.00".into(),
                currency_code: "EUR".into(),
            }),
            order_id: "SO-1".into(),
            ..Default::default()
        };
        let any = prost_types::Any::from_msg(&sent).expect("any");
        // The JSON is not read when the message is there.
        assert_eq!(
            receivable_changed(&event("not json", Some(any))).ok(),
            Some(sent)
        );
    }

    #[test]
    fn a_change_written_before_it_was_typed_is_read_from_its_json() {
        let change = receivable_changed(&event(
            r#"{"invoice_id":"INV-2","currency_code":"USD","amount":"300.00",
                "open_amount":"100.00","previous_open_amount":"300.00",
                "issue_date":"2026-03-01","due_date":"2026-03-31","order_id":""}"#,
            None,
        ))
        .expect("legacy json");
        assert_eq!(change.invoice_id, "INV-2");
        let open = change.open_amount.expect("open");
        assert_eq!(
            (open.amount.as_str(), open.currency_code.as_str()),
            ("100.00", "USD")
        );
        assert_eq!(
            change.previous_open_amount.map(|m| m.amount),
            Some("300.00".into())
        );
        assert_eq!(
            change.due_date.as_ref().and_then(calendar::day_of),
            credit_platform::clock::parse_date("2026-03-31")
        );
        let wrong = prost_types::Any {
            type_url: "type.googleapis.com/credit.collections.v1.Customer".into(),
            value: Vec::new(),
        };
        assert!(
            receivable_changed(&event("{}", Some(wrong))).is_err(),
            "another message"
        );
    }
}
