//! Promises to pay: an amount by a date. Payments that reach the ledger after it was made,
//! booked by its date, count towards it (a payment that kept an earlier promise does not count
//! again): it is kept once they reach the amount; when the date passes short of it, it is partially
//! kept (something came) or broken (nothing did). While open, dunning waits; a broken promise
//! lets dunning resume and is an event scoring's payment behaviour counts.
use crate::domain::ledger::{from_minor, positive_minor};
use credit_platform::begin_mutation;
use credit_platform::clock::{Micros, SharedClock, date_of_day, day_of, parse_date, to_timestamp};
use credit_platform::context::RequestContext;
use credit_platform::db::Db;
use credit_platform::error::{ApiError, FieldViolation};
use credit_platform::money::Currency;
use credit_platform::mutation;
use credit_platform::outbox::{self, FeedSignals, NewEvent};
use credit_proto::collections as pb;
use credit_proto::types::Money;
use prost::Message;
use serde_json::json;
use sqlx::{AnyConnection, Row};

fn decode(body: &[u8]) -> Result<pb::Promise, ApiError> {
    pb::Promise::decode(body)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored promise: {e}")))
}

/// The open promise of a customer in a currency, when there is one: (amount, promised day).
pub async fn open_promise(
    conn: &mut AnyConnection,
    customer_id: &str,
    currency: &str,
) -> Result<Option<(i64, i64)>, ApiError> {
    Ok(sqlx::query(
        "SELECT amount, promised_day FROM promises WHERE customer_id = $1 AND currency = $2 \
         AND state = 'OPEN' ORDER BY promised_day LIMIT 1",
    )
    .bind(customer_id.to_string())
    .bind(currency.to_string())
    .fetch_optional(conn)
    .await?
    .map(|row| -> sqlx::Result<(i64, i64)> { Ok((row.try_get(0)?, row.try_get(1)?)) })
    .transpose()?)
}

/// Settles the customer's open promises on `today`: kept, partially kept or broken, each said
/// on the feed. Answers how many were settled.
pub async fn settle(
    conn: &mut AnyConnection,
    context: &RequestContext,
    now: Micros,
    customer_id: &str,
) -> Result<usize, ApiError> {
    let today = day_of(now);
    let open = sqlx::query(
        "SELECT promise_id, currency, amount, promised_day, recorded_at, body FROM promises \
         WHERE customer_id = $1 AND state = 'OPEN'",
    )
    .bind(customer_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut settled = 0;
    for row in &open {
        let (promise_id, currency): (String, String) = (row.try_get(0)?, row.try_get(1)?);
        let (amount, promised_day, recorded_at): (i64, i64, i64) =
            (row.try_get(2)?, row.try_get(3)?, row.try_get(4)?);
        let paid: i64 = sqlx::query(
            "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM documents \
             WHERE customer_id = $1 AND currency = $2 AND kind = 'PAYMENT' \
             AND created_at >= $3 AND issue_day <= $4",
        )
        .bind(customer_id.to_string())
        .bind(currency.clone())
        .bind(recorded_at)
        .bind(promised_day.min(today))
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
        let state = if paid >= amount {
            "KEPT"
        } else if today > promised_day && paid > 0 {
            "PARTIALLY_KEPT"
        } else if today > promised_day {
            "BROKEN"
        } else {
            continue;
        };
        let digits = crate::domain::ledger::digits_of(&currency);
        let mut promise = decode(&row.try_get::<Vec<u8>, _>(5)?)?;
        promise.state = state.into();
        promise.paid_amount = from_minor(paid, digits);
        promise.settle_time = Some(to_timestamp(now));
        sqlx::query(
            "UPDATE promises SET state = $2, paid = $3, settled_at = $4, body = $5 \
             WHERE promise_id = $1",
        )
        .bind(promise_id.clone())
        .bind(state.to_string())
        .bind(paid)
        .bind(now)
        .bind(promise.encode_to_vec())
        .execute(&mut *conn)
        .await?;
        outbox::append(
            conn,
            context,
            now,
            NewEvent {
                event_type: match state {
                    "KEPT" => "credit.collections.promise.kept",
                    "PARTIALLY_KEPT" => "credit.collections.promise.partially_kept",
                    _ => "credit.collections.promise.broken",
                },
                entity_type: "promise",
                entity_id: promise_id,
                customer_id: customer_id.to_string(),
                payload: json!({
                    "amount": from_minor(amount, digits),
                    "paid_amount": from_minor(paid, digits),
                    "currency_code": currency,
                    "promised_date": date_of_day(promised_day),
                }),
            },
        )
        .await?;
        settled += 1;
    }
    if settled > 0 {
        crate::behaviour::review(conn, context, now, customer_id).await?;
    }
    Ok(settled)
}

/// The promise use cases.
#[derive(Clone)]
pub struct Promises {
    db: Db,
    clock: SharedClock,
    signals: FeedSignals,
}

impl Promises {
    /// Promises over `db`.
    pub fn new(db: Db, clock: SharedClock, signals: FeedSignals) -> Self {
        Self { db, clock, signals }
    }

    /// Records a promise.
    pub async fn record(
        &self,
        context: &RequestContext,
        request: &pb::RecordPromiseRequest,
    ) -> Result<pb::Promise, ApiError> {
        let money = request.amount.clone().unwrap_or_default();
        let currency = Currency::from_code(&money.currency_code).ok_or_else(|| {
            ApiError::from(FieldViolation::new(
                "amount.currency_code",
                "not an ISO 4217 currency code",
            ))
        })?;
        let amount = positive_minor(&money.amount, &currency, "amount.amount")
            .map_err(|p| FieldViolation::new(p.field, p.message))?;
        let mut m = begin_mutation!(&self.db, &*self.clock, context, "RecordPromise", request);
        let today = day_of(m.now);
        let promised_day = parse_date(&request.promised_date)
            .filter(|d| *d >= today && *d <= today + 366)
            .ok_or_else(|| {
                ApiError::from(FieldViolation::new(
                    "promised_date",
                    "a date YYYY-MM-DD from today to a year ahead",
                ))
            })?;
        let promise = pb::Promise {
            promise_id: uuid::Uuid::now_v7().to_string(),
            customer_id: request.customer_id.clone(),
            amount: Some(Money {
                amount: from_minor(amount, currency.minor_unit_digits()),
                currency_code: currency.code().to_string(),
            }),
            promised_date: date_of_day(promised_day),
            state: "OPEN".into(),
            paid_amount: from_minor(0, currency.minor_unit_digits()),
            recorded_by: context.caller.subject.clone(),
            record_time: Some(to_timestamp(m.now)),
            settle_time: None,
            note: request.note.trim().to_string(),
        };
        sqlx::query(
            "INSERT INTO promises (promise_id, customer_id, currency, amount, promised_day, \
             made_day, state, paid, body, recorded_at, settled_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'OPEN', 0, $7, $8, NULL)",
        )
        .bind(promise.promise_id.clone())
        .bind(promise.customer_id.clone())
        .bind(currency.code().to_string())
        .bind(amount)
        .bind(promised_day)
        .bind(today)
        .bind(promise.encode_to_vec())
        .bind(m.now)
        .execute(&mut *m.tx)
        .await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            NewEvent {
                event_type: "credit.collections.promise.recorded",
                entity_type: "promise",
                entity_id: promise.promise_id.clone(),
                customer_id: promise.customer_id.clone(),
                payload: json!({
                    "amount": money.amount,
                    "currency_code": currency.code(),
                    "promised_date": promise.promised_date,
                    "note": promise.note,
                }),
            },
        )
        .await?;
        mutation::finish(&self.signals, m, &promise).await?;
        Ok(promise)
    }

    /// A customer's promises, newest first.
    pub async fn list(&self, customer_id: &str) -> Result<Vec<pb::Promise>, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        sqlx::query(
            "SELECT body FROM promises WHERE customer_id = $1 ORDER BY promise_id DESC LIMIT 1000",
        )
        .bind(customer_id.to_string())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| decode(&row.try_get::<Vec<u8>, _>(0)?))
        .collect()
    }

    /// Settles every open promise that can be settled today; answers how many were.
    pub async fn sweep(&self) -> Result<usize, ApiError> {
        crate::sweeps::review_customers(
            &self.db,
            &self.clock,
            &self.signals,
            "SELECT DISTINCT customer_id FROM promises WHERE state = 'OPEN'",
            "promises",
            |tx, context, now, customer| Box::pin(settle(tx, context, now, customer)),
        )
        .await
    }
}
