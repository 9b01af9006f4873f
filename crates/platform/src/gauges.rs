//! Gauges sampled from the database every few seconds, for the saturation and backlog alerts:
//! how full the connection pool is, and how many committed events the outbox relay has not yet
//! given a feed sequence (a relay that falls behind delays audit and every follower).
use crate::db::Db;
use crate::server::Shutdown;
use std::time::Duration;

/// Gauge: connections the pool holds, by `service` and `state` (`in_use`, `idle`).
pub const POOL_CONNECTIONS: &str = "db_pool_connections";
/// Gauge: the most connections the pool may open, by `service`.
pub const POOL_MAX_CONNECTIONS: &str = "db_pool_max_connections";
/// Gauge: committed outbox events without a feed sequence yet, by `service`.
pub const OUTBOX_UNSEQUENCED: &str = "outbox_unsequenced_events";

/// Samples the gauges every `every` until shutdown.
pub async fn sample(service: &'static str, db: Db, every: Duration, shutdown: Shutdown) {
    loop {
        sample_once(service, &db).await;
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.wait() => return,
        }
    }
}

/// One sample of every gauge (a failed outbox count leaves its gauge as it was: the database
/// watch already says the database does not answer).
pub async fn sample_once(service: &'static str, db: &Db) {
    let size = db.pool.size();
    let idle = db.pool.num_idle() as u32;
    metrics::gauge!(POOL_CONNECTIONS, "service" => service, "state" => "in_use")
        .set(f64::from(size.saturating_sub(idle)));
    metrics::gauge!(POOL_CONNECTIONS, "service" => service, "state" => "idle").set(f64::from(idle));
    metrics::gauge!(POOL_MAX_CONNECTIONS, "service" => service)
        .set(f64::from(db.pool.options().get_max_connections()));
    match sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM outbox_events WHERE feed_sequence IS NULL",
    )
    .fetch_one(&db.pool)
    .await
    {
        Ok(count) => metrics::gauge!(OUTBOX_UNSEQUENCED, "service" => service).set(count as f64),
        Err(error) => tracing::debug!(%error, "outbox backlog not sampled"),
    }
}
