//! The ledger's use cases: customer profiles, imports idempotent by the ERP's document id,
//! allocations, documents and their versions, aging.
use crate::convert::money;
use crate::domain::ledger::Booked;
use crate::store;
use credit_platform::begin_mutation;
use credit_platform::calendar;
use credit_platform::clock::{Micros, SharedClock, day_of};
use credit_platform::context::RequestContext;
use credit_platform::db::Db;
use credit_platform::error::ApiError;
use credit_platform::mutation;
use credit_platform::outbox::{self, FeedSignals, NewEvent, Payload};
use credit_platform::scope::{self, CustomerScope};
use credit_proto::collections as pb;
use sqlx::AnyConnection;

/// Recomputes an invoice's open amount; when it changed (or the invoice is new), says so on
/// the feed — what limits follows to keep exposure with the ledger.
pub(crate) async fn receivable_changed(
    tx: &mut AnyConnection,
    context: &RequestContext,
    now: Micros,
    invoice_id: &str,
    new: bool,
) -> Result<(), ApiError> {
    let Some(invoice) = store::document(tx, invoice_id).await? else {
        return Ok(());
    };
    let open = invoice.amount - store::applied_to(tx, invoice_id, "").await?;
    if open == invoice.open_amount && !new {
        return Ok(());
    }
    store::set_open(tx, invoice_id, open, now).await?;
    let body: Booked = credit_platform::records::decode(invoice.body.clone())?;
    let contract = pb::ReceivableChanged {
        invoice_id: invoice_id.to_string(),
        amount: Some(money(invoice.amount, &invoice.currency)),
        open_amount: Some(money(open, &invoice.currency)),
        previous_open_amount: (!new).then(|| money(invoice.open_amount, &invoice.currency)),
        issue_date: Some(calendar::date(invoice.issue_day)),
        due_date: calendar::optional_date(invoice.due_day),
        order_id: body.order_id.clone(),
    };
    outbox::append(
        tx,
        context,
        now,
        NewEvent {
            event_type: "credit.collections.receivable.changed",
            entity_type: "receivable",
            entity_id: invoice_id.to_string(),
            customer_id: invoice.customer_id.clone(),
            payload: Payload::of(&contract),
        },
    )
    .await?;
    Ok(())
}

/// The use cases.
#[derive(Clone)]
pub struct Ledger {
    pub(super) db: Db,
    pub(super) clock: SharedClock,
    pub(super) signals: FeedSignals,
    /// Days past due after which a customer is said to be overdue (limits holds it); 0: never.
    hold_after_days: i64,
}

impl Ledger {
    /// Use cases over `db`.
    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Use cases over `db`.
    pub fn new(db: Db, clock: SharedClock, signals: FeedSignals, hold_after_days: i64) -> Self {
        Self {
            db,
            clock,
            signals,
            hold_after_days,
        }
    }
}

impl Ledger {
    /// Reviews the hold rule for `customers` inside the caller's transaction.
    pub(super) async fn review_overdue(
        &self,
        tx: &mut AnyConnection,
        context: &RequestContext,
        now: Micros,
        customers: impl IntoIterator<Item = String>,
    ) -> Result<(), ApiError> {
        if self.hold_after_days == 0 {
            return Ok(());
        }
        for customer in customers {
            crate::app::overdue::review(
                tx,
                context,
                now,
                day_of(now),
                self.hold_after_days,
                &customer,
            )
            .await?;
        }
        Ok(())
    }

    /// Reviews the hold rule for every customer it may concern today; answers how many
    /// changed.
    pub async fn sweep_overdue(&self) -> Result<usize, ApiError> {
        if self.hold_after_days == 0 {
            return Ok(0);
        }
        let today = self.today();
        let customers = {
            let mut conn = self.db.pool.acquire().await?;
            crate::app::overdue::candidates(&mut conn, today, self.hold_after_days).await?
        };
        let context = RequestContext::system("overdue-sweep");
        let mut changed = 0;
        for customer in customers {
            let flipped = mutation::with_retry(|| async {
                let mut tx = self.db.begin_write().await?;
                let now = self.clock.now();
                let flipped = crate::app::overdue::review(
                    &mut tx,
                    &context,
                    now,
                    day_of(now),
                    self.hold_after_days,
                    &customer,
                )
                .await?;
                tx.commit().await?;
                Ok::<_, ApiError>(flipped)
            })
            .await?;
            if flipped {
                changed += 1;
                self.signals.notify_committed();
            }
        }
        Ok(changed)
    }

    /// Today by the service's clock.
    pub fn today(&self) -> i64 {
        day_of(self.clock.now())
    }
}

impl Ledger {
    /// Records or replaces a customer's profile.
    pub async fn put_customer(
        &self,
        context: &RequestContext,
        request: &pb::PutCustomerRequest,
    ) -> Result<pb::Customer, ApiError> {
        let mut m = begin_mutation!(&self.db, &*self.clock, context, "PutCustomer", request);
        let mut customer = request.customer.clone().unwrap_or_default();
        customer.probability_of_default.clear();
        customer.collector_in_charge.clear();
        if customer.group_id.is_empty() {
            customer.group_id = customer.customer_id.clone();
        }
        // A customer limits has placed is changed only inside the caller's scope; one it has not
        // is placed by the ERP's region until limits opens its account.
        let place = scope::of_customer(&mut m.tx, &customer.customer_id)
            .await?
            .unwrap_or(CustomerScope {
                region: customer.region.clone(),
                business_unit: String::new(),
            });
        context.caller.scope.must_admit(
            &customer.customer_id,
            &place.region,
            &place.business_unit,
        )?;
        scope::place_if_unknown(&mut m.tx, &customer.customer_id, &place, m.now).await?;
        store::put_customer(&mut m.tx, &customer, m.now).await?;
        // Answer as GetCustomer would: with scoring's view and the collector in charge.
        let customer = store::customer(&mut m.tx, &customer.customer_id)
            .await?
            .unwrap_or(customer);
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            NewEvent {
                event_type: "credit.collections.customer.updated",
                entity_type: "customer",
                entity_id: customer.customer_id.clone(),
                customer_id: customer.customer_id.clone(),
                payload: Payload::of(&pb::CustomerUpdated {
                    segment: customer.segment.clone(),
                    region: customer.region.clone(),
                    group_id: customer.group_id.clone(),
                    language: customer.language.clone(),
                    time_zone: customer.time_zone.clone(),
                    collector: customer.collector.clone(),
                }),
            },
        )
        .await?;
        mutation::finish(&self.signals, m, &customer).await?;
        Ok(customer)
    }

    /// A customer's profile.
    pub async fn customer(&self, customer_id: &str) -> Result<pb::Customer, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        store::customer(&mut conn, customer_id)
            .await?
            .ok_or_else(|| ApiError::NotFound {
                kind: "customer",
                id: customer_id.to_string(),
            })
    }
}
