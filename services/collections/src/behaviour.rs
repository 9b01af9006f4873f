//! A customer's payment behaviour as the ledger shows it, said on the feed whenever it changes —
//! what scoring follows instead of being told by hand. Over the last 365 days: the average days
//! beyond terms of the invoices paid (weighted by amount), the share of them paid late, and the
//! promises broken (a breached payment plan is a broken promise); and the disputes open now —
//! scoring's definitions of its payment-behaviour inputs.
use crate::domain::metrics::rate;
use credit_platform::clock::{Micros, day_of};
use credit_platform::context::RequestContext;
use credit_platform::error::ApiError;
use credit_platform::outbox::{self, NewEvent};
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::{AnyConnection, Row};

/// Days of history the figures cover.
pub const LOOKBACK_DAYS: i64 = 365;
use credit_platform::clock::MICROS_PER_DAY as DAY;

/// The figures of one customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Behaviour {
    /// Amount-weighted average days beyond terms of the invoices paid, 2 places.
    pub average_days_beyond_terms: Decimal,
    /// Of the invoices paid, the share paid after their due date, 4 places.
    pub share_paid_late: Decimal,
    /// Invoices paid in the lookback.
    pub invoices_paid: i64,
    /// Disputes open.
    pub disputes: i64,
    /// Promises broken and payment plans breached.
    pub broken_promises: i64,
}

/// The figures from paid invoices (amount, days beyond terms) and the counts.
pub fn figures(paid: &[(i64, i64)], disputes: i64, broken_promises: i64) -> Behaviour {
    let weight: i64 = paid.iter().map(|(amount, _)| *amount).sum();
    let weighted: i128 = paid
        .iter()
        .map(|(amount, days)| i128::from(*amount) * i128::from((*days).max(0)))
        .sum();
    let average = if weight > 0 {
        (Decimal::from_i128_with_scale(weighted, 0) / Decimal::from(weight)).round_dp(2)
    } else {
        Decimal::ZERO
    };
    let late = paid.iter().filter(|(_, days)| *days > 0).count() as i64;
    Behaviour {
        average_days_beyond_terms: average,
        share_paid_late: rate(late, paid.len() as i64).unwrap_or(Decimal::ZERO),
        invoices_paid: paid.len() as i64,
        disputes,
        broken_promises,
    }
}

async fn count(
    conn: &mut AnyConnection,
    sql: &'static str,
    customer_id: &str,
    since: Micros,
) -> Result<i64, ApiError> {
    Ok(sqlx::query(sql)
        .bind(customer_id.to_string())
        .bind(since)
        .fetch_one(conn)
        .await?
        .try_get(0)?)
}

/// Recomputes the customer's behaviour on `now`; when it changed since last said, says it on
/// the feed (in the caller's transaction).
pub async fn review(
    conn: &mut AnyConnection,
    context: &RequestContext,
    now: Micros,
    customer_id: &str,
) -> Result<(), ApiError> {
    let since = now - LOOKBACK_DAYS * DAY;
    let paid: Vec<(i64, i64)> = sqlx::query(
        "SELECT d.amount, MAX(a.applied_day) - d.due_day FROM documents d \
         JOIN allocations a ON a.invoice_id = d.document_id \
         JOIN documents p ON p.document_id = a.source_id AND p.kind = 'PAYMENT' \
         WHERE d.customer_id = $1 AND d.kind = 'INVOICE' AND d.open_amount = 0 \
         GROUP BY d.document_id, d.amount, d.due_day HAVING MAX(a.applied_day) >= $2",
    )
    .bind(customer_id.to_string())
    .bind(day_of(since))
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
    .collect::<sqlx::Result<_>>()?;
    let disputes: i64 =
        sqlx::query("SELECT COUNT(*) FROM disputes WHERE customer_id = $1 AND state = 'OPEN'")
            .bind(customer_id.to_string())
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
    let broken = count(
        conn,
        "SELECT COUNT(*) FROM promises WHERE customer_id = $1 AND state = 'BROKEN' \
         AND settled_at >= $2",
        customer_id,
        since,
    )
    .await?
        + count(
            conn,
            "SELECT COUNT(*) FROM payment_plans WHERE customer_id = $1 AND state = 'BREACHED' \
             AND ended_at >= $2",
            customer_id,
            since,
        )
        .await?;
    let b = figures(&paid, disputes, broken);
    if b.invoices_paid == 0 && b.disputes == 0 && b.broken_promises == 0 {
        return Ok(());
    }
    let payload = json!({
        "average_days_beyond_terms": b.average_days_beyond_terms.to_string(),
        "share_paid_late": b.share_paid_late.to_string(),
        "invoices_paid": b.invoices_paid,
        "disputes": b.disputes,
        "broken_promises": b.broken_promises,
        "lookback_days": LOOKBACK_DAYS,
    });
    let text = payload.to_string();
    let changed = sqlx::query(
        "INSERT INTO payment_behaviour (customer_id, figures, published_at) VALUES ($1, $2, $3) \
         ON CONFLICT (customer_id) DO UPDATE SET figures = excluded.figures, \
         published_at = excluded.published_at WHERE payment_behaviour.figures <> excluded.figures",
    )
    .bind(customer_id.to_string())
    .bind(text)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if changed == 0 {
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

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn days_beyond_terms_are_weighted_by_amount_and_early_payment_counts_as_zero() {
        // 1 000 paid 10 days late, 3 000 on time, 1 000 paid 5 days early.
        let b = figures(&[(1000, 10), (3000, 0), (1000, -5)], 2, 1);
        assert_eq!(b.average_days_beyond_terms, dec!(2.00));
        assert_eq!(b.share_paid_late, dec!(0.3333));
        assert_eq!((b.invoices_paid, b.disputes, b.broken_promises), (3, 2, 1));
        assert_eq!(figures(&[], 0, 0).average_days_beyond_terms, Decimal::ZERO);
    }
}
