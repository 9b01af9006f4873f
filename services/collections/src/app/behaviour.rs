//! A customer's payment behaviour as the ledger shows it, said on the feed whenever it changes —
//! what scoring follows instead of being told by hand. Over the last 365 days: the average days
//! beyond terms of the invoices paid (weighted by amount), the share of them paid late, and the
//! promises broken (a breached payment plan is a broken promise); and the disputes open now —
//! scoring's definitions of its payment-behaviour inputs.
use crate::domain::behaviour::{LOOKBACK_DAYS, figures};
use crate::store;
use credit_platform::clock::MICROS_PER_DAY as DAY;
use credit_platform::clock::{Micros, day_of};
use credit_platform::context::RequestContext;
use credit_platform::error::ApiError;
use credit_platform::outbox::{self, NewEvent, Payload};
use sqlx::AnyConnection;

/// Recomputes the customer's behaviour on `now`; when it changed since last said, says it on
/// the feed (in the caller's transaction).
pub async fn review(
    conn: &mut AnyConnection,
    context: &RequestContext,
    now: Micros,
    customer_id: &str,
) -> Result<(), ApiError> {
    let since = now - LOOKBACK_DAYS * DAY;
    let paid = store::paid_invoices_since(&mut *conn, customer_id, day_of(since)).await?;
    let disputes = store::open_disputes(&mut *conn, customer_id).await?;
    let broken = store::broken_promises_since(&mut *conn, customer_id, since).await?;
    let b = figures(&paid, disputes, broken);
    if b.invoices_paid == 0 && b.disputes == 0 && b.broken_promises == 0 {
        return Ok(());
    }
    let payload = Payload::of(&credit_proto::collections::PaymentBehaviourChanged {
        average_days_beyond_terms: b.average_days_beyond_terms.to_string(),
        share_paid_late: b.share_paid_late.to_string(),
        invoices_paid: b.invoices_paid,
        disputes: b.disputes,
        broken_promises: b.broken_promises,
        lookback_days: LOOKBACK_DAYS,
    });
    // Published only when it differs from what was published last.
    if !store::publish_behaviour(&mut *conn, customer_id, &payload.json(), now).await? {
        return Ok(());
    }
    outbox::append(
        conn,
        context,
        now,
        NewEvent {
            event_type: "credit.collections.payment_behaviour.changed",
            entity_type: "customer",
            entity_id: customer_id.to_string(),
            customer_id: customer_id.to_string(),
            payload,
        },
    )
    .await?;
    Ok(())
}
