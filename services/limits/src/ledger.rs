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
use credit_platform::context::RequestContext;
use credit_platform::error::ApiError;
use credit_platform::follow::{Consumed, EventHandler, Handled};
use credit_platform::money::Money;
use credit_proto::event::Event;
use credit_proto::limits as pb;
use serde::Deserialize;

/// The rule code of the hold collections asks for.
pub const OVERDUE_RULE: &str = "COLLECTIONS_OVERDUE";

#[derive(Debug, Deserialize)]
struct ReceivableChanged {
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

#[derive(Debug, Deserialize)]
struct Overdue {
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

fn money(amount: &str, currency: &str, field: &str) -> Result<Money, ApiError> {
    Money::from_proto(
        Some(&credit_proto::types::Money {
            amount: amount.to_string(),
            currency_code: currency.to_string(),
        }),
        field,
    )
    .map_err(ApiError::InvalidArgument)
}

impl LedgerFollower {
    async fn receivable(&self, event: &Event, sequence: i64) -> Result<(), ApiError> {
        let change: ReceivableChanged = serde_json::from_str(&event.payload_json)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("receivable payload: {e}")))?;
        let due_at = change
            .due_date
            .as_deref()
            .and_then(credit_platform::clock::parse_date)
            .map(|day| day * 86_400_000_000);
        let context = RequestContext::system("collections-ledger");
        // A new invoice of an order: the order's reservation becomes the receivable.
        if change.previous_open_amount.is_none() && !change.order_id.is_empty() {
            let amount = money(&change.amount, &change.currency_code, "amount")?;
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
        let open = money(&change.open_amount, &change.currency_code, "open_amount")?;
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
            let overdue: Overdue = serde_json::from_str(&event.payload_json)
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("overdue payload: {e}")))?;
            let request = pb::PlaceCreditHoldRequest {
                customer_id: event.customer_id.clone(),
                reason: format!(
                    "collections: {} days past due ({})",
                    overdue.days_past_due,
                    overdue.overdue_amounts.join(", ")
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
