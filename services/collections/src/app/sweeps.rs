//! The time-driven reviews' one loop: the customers a store query names, each reviewed in its own
//! retried transaction (a failure or conflict costs one customer's work, not the sweep's).
use credit_platform::clock::{Micros, SharedClock};
use credit_platform::context::RequestContext;
use credit_platform::db::Db;
use credit_platform::error::ApiError;
use credit_platform::mutation;
use credit_platform::outbox::FeedSignals;
use futures::future::BoxFuture;
use sqlx::AnyConnection;

/// A review of one customer inside a transaction; answers how many things it changed.
pub type Review = for<'a> fn(
    &'a mut AnyConnection,
    &'a RequestContext,
    Micros,
    &'a str,
) -> BoxFuture<'a, Result<usize, ApiError>>;

/// The customers a sweep reviews, read from the store.
pub type Customers = for<'a> fn(&'a mut AnyConnection) -> BoxFuture<'a, sqlx::Result<Vec<String>>>;

/// Runs `review` for every customer `customers` names, as `job`; answers
/// how many things changed (followers are woken when any did).
pub async fn review_customers(
    db: &Db,
    clock: &SharedClock,
    signals: &FeedSignals,
    customers: Customers,
    job: &str,
    review: Review,
) -> Result<usize, ApiError> {
    let customers: Vec<String> = {
        let mut conn = db.pool.acquire().await?;
        customers(&mut conn).await?
    };
    let context = RequestContext::system(job);
    let mut changed = 0;
    for customer in customers {
        changed += mutation::with_retry(|| async {
            let mut tx = db.begin_write().await?;
            let n = review(&mut tx, &context, clock.now(), &customer).await?;
            tx.commit().await?;
            Ok::<_, ApiError>(n)
        })
        .await?;
    }
    if changed > 0 {
        signals.notify_committed();
    }
    Ok(changed)
}
