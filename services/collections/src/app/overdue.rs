//! The credit-hold rule: a customer with an invoice more than the threshold days past due (or
//! reached by a dunning step whose consequence is a credit hold) is said to be overdue on the
//! feed, and limits places its rule hold; once nothing is past due any more — paid, credited,
//! or the invoice changed — it is cleared and limits releases the hold. Reviewed after every
//! ledger change of the customer and by a sweep as days pass.
use crate::store;
use credit_platform::clock::Micros;
use credit_platform::context::RequestContext;
use credit_platform::error::ApiError;
use credit_platform::outbox::{self, NewEvent, Payload};
use sqlx::AnyConnection;

/// Reviews `customer_id` on `today`: flags or clears it, saying so on the feed. Answers whether
/// it changed.
pub async fn review(
    conn: &mut AnyConnection,
    context: &RequestContext,
    now: Micros,
    today: i64,
    threshold_days: i64,
    customer_id: &str,
) -> Result<bool, ApiError> {
    let flagged = store::is_flagged_overdue(&mut *conn, customer_id).await?;
    let (oldest, amounts) = overdue_since(conn, customer_id, today).await?;
    match (oldest, flagged) {
        (Some(due), false) if today - due > threshold_days => {
            flag(
                conn,
                context,
                now,
                customer_id,
                today - due,
                &amounts,
                "THRESHOLD",
            )
            .await?;
            Ok(true)
        }
        (None, true) => {
            store::clear_overdue(&mut *conn, customer_id).await?;
            outbox::append(
                conn,
                context,
                now,
                NewEvent {
                    event_type: "credit.collections.customer.overdue_cleared",
                    entity_type: "customer",
                    entity_id: customer_id.to_string(),
                    customer_id: customer_id.to_string(),
                    payload: Payload::of(&credit_proto::collections::CustomerOverdueCleared {
                        threshold_days,
                    }),
                },
            )
            .await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// The oldest due day among the customer's open invoices past due on `today`, and the amounts
/// past due per currency.
pub async fn overdue_since(
    conn: &mut AnyConnection,
    customer_id: &str,
    today: i64,
) -> Result<(Option<i64>, Vec<credit_proto::types::Money>), ApiError> {
    let late = store::past_due_by_currency(conn, customer_id, today).await?;
    let mut oldest: Option<i64> = None;
    let mut amounts = Vec::new();
    for (currency, due, open) in late {
        oldest = Some(oldest.map_or(due, |o: i64| o.min(due)));
        amounts.push(crate::convert::money(open, &currency));
    }
    Ok((oldest, amounts))
}

/// Says the customer is overdue (once: nothing when it is flagged already); `cause` is
/// "THRESHOLD" or the dunning step that asked for the hold.
pub async fn flag(
    conn: &mut AnyConnection,
    context: &RequestContext,
    now: Micros,
    customer_id: &str,
    days_past_due: i64,
    amounts: &[credit_proto::types::Money],
    cause: &str,
) -> Result<(), ApiError> {
    if store::is_flagged_overdue(&mut *conn, customer_id).await? {
        return Ok(());
    }
    store::flag_overdue(&mut *conn, customer_id, days_past_due, now).await?;
    let contract = credit_proto::collections::CustomerOverdue {
        days_past_due,
        overdue_amounts: amounts.to_vec(),
        cause: cause.to_string(),
    };
    outbox::append(
        conn,
        context,
        now,
        NewEvent {
            event_type: "credit.collections.customer.overdue",
            entity_type: "customer",
            entity_id: customer_id.to_string(),
            customer_id: customer_id.to_string(),
            payload: Payload::of(&contract),
        },
    )
    .await?;
    Ok(())
}

/// Customers the sweep must look at on `today`: those with an invoice late beyond the
/// threshold, and those flagged.
pub async fn candidates(
    conn: &mut AnyConnection,
    today: i64,
    threshold_days: i64,
) -> Result<Vec<String>, ApiError> {
    Ok(store::overdue_candidates(conn, today - threshold_days).await?)
}
