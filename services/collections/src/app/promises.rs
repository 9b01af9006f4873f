//! Promises to pay: an amount by a date. Payments that reach the ledger after it was made,
//! booked by its date, count towards it (a payment that kept an earlier promise does not count
//! again): it is kept once they reach the amount; when the date passes short of it, it is partially
//! kept (something came) or broken (nothing did). While open, dunning waits; a broken promise
//! lets dunning resume and is an event scoring's payment behaviour counts.
use crate::convert;
use crate::domain::ledger::positive_minor;
use crate::domain::promises::{Promise, PromiseState};
use crate::store;
use credit_platform::begin_mutation;
use credit_platform::calendar;
use credit_platform::clock::{Micros, SharedClock, day_of};
use credit_platform::context::RequestContext;
use credit_platform::db::Db;
use credit_platform::error::{ApiError, FieldViolation};
use credit_platform::money::Currency;
use credit_platform::mutation;
use credit_platform::outbox::{self, FeedSignals, NewEvent, Payload};
use credit_platform::paging::PageRequest;
use credit_proto::collections as pb;
use credit_proto::wire;
use sqlx::AnyConnection;

/// The open promise of a customer in a currency, when there is one: (amount, promised day).
pub async fn open_promise(
    conn: &mut AnyConnection,
    customer_id: &str,
    currency: &str,
) -> Result<Option<(i64, i64)>, ApiError> {
    Ok(store::open_promise(conn, customer_id, currency).await?)
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
    let open = store::open_promises(&mut *conn, customer_id).await?;
    let mut settled = 0;
    for mut promise in open {
        let paid = store::paid_since(
            &mut *conn,
            customer_id,
            &promise.currency,
            promise.recorded_at,
            promise.promised_day.min(today),
        )
        .await?;
        let Some(state) = promise.settle(paid, today, now) else {
            continue;
        };
        store::settle_promise(&mut *conn, &promise).await?;
        outbox::append(
            conn,
            context,
            now,
            NewEvent {
                event_type: match state {
                    PromiseState::Kept => "credit.collections.promise.kept",
                    PromiseState::PartiallyKept => "credit.collections.promise.partially_kept",
                    _ => "credit.collections.promise.broken",
                },
                entity_type: "promise",
                entity_id: promise.promise_id.clone(),
                customer_id: customer_id.to_string(),
                payload: Payload::of(&pb::PromiseSettled {
                    amount: Some(convert::money(promise.amount, &promise.currency)),
                    paid_amount: Some(convert::money(paid, &promise.currency)),
                    promised_date: Some(calendar::date(promise.promised_day)),
                    state: wire::<pb::PromiseState>(state.name()),
                }),
            },
        )
        .await?;
        settled += 1;
    }
    if settled > 0 {
        crate::app::behaviour::review(conn, context, now, customer_id).await?;
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
            .map_err(FieldViolation::from)?;
        let mut m = begin_mutation!(&self.db, &*self.clock, context, "RecordPromise", request);
        let today = day_of(m.now);
        let promised_day = calendar::required_day("promised_date", request.promised_date.as_ref())?;
        if promised_day < today || promised_day > today + 366 {
            return Err(FieldViolation::new("promised_date", "from today to a year ahead").into());
        }
        let promise = Promise {
            promise_id: uuid::Uuid::now_v7().to_string(),
            customer_id: request.customer_id.clone(),
            currency: currency.code().to_string(),
            amount,
            promised_day,
            state: PromiseState::Open,
            paid: 0,
            recorded_by: context.caller.subject.clone(),
            recorded_at: m.now,
            settled_at: None,
            note: request.note.trim().to_string(),
        };
        store::insert_promise(&mut m.tx, &promise, today).await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            NewEvent {
                event_type: "credit.collections.promise.recorded",
                entity_type: "promise",
                entity_id: promise.promise_id.clone(),
                customer_id: promise.customer_id.clone(),
                payload: Payload::of(&pb::PromiseRecorded {
                    amount: Some(money.clone()),
                    promised_date: Some(calendar::date(promise.promised_day)),
                    note: promise.note.clone(),
                }),
            },
        )
        .await?;
        let answer = convert::promise(&promise);
        mutation::finish(&self.signals, m, &answer).await?;
        Ok(answer)
    }

    /// A customer's promises, newest first.
    pub async fn list(
        &self,
        customer_id: &str,
        page: &PageRequest,
    ) -> Result<pb::ListPromisesResponse, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let mut promises =
            store::list_promises(&mut conn, customer_id, &page.after, page.fetch()).await?;
        let next_page_token = page.finish(&mut promises, |p| p.promise_id.clone());
        Ok(pb::ListPromisesResponse {
            promises: promises.iter().map(convert::promise).collect(),
            next_page_token,
        })
    }

    /// Settles every open promise that can be settled today; answers how many were.
    pub async fn sweep(&self) -> Result<usize, ApiError> {
        crate::app::sweeps::review_customers(
            &self.db,
            &self.clock,
            &self.signals,
            |conn| Box::pin(store::customers_with_open_promises(conn)),
            "promises",
            |tx, context, now, customer| Box::pin(settle(tx, context, now, customer)),
        )
        .await
    }
}
