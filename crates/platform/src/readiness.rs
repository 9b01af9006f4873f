//! Whether a service can serve: gRPC health (overall "" and each served service name) and a flag
//! handlers check. A service is ready when nothing blocks it; each part of the process that can
//! stop it from serving (start-up and migrations, the database, a background task, the drain at
//! shutdown) blocks and clears its own [`Blocker`], so one part recovering cannot hide another
//! that is still down.
use crate::db::Db;
use crate::server::Shutdown;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

/// The health name that answers SERVING while the process runs and its server answers, whatever
/// readiness says: what a liveness probe asks (the overall name "" follows readiness).
pub const LIVENESS: &str = "liveness";

/// One reason a service does not serve.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Blocker {
    /// Starting: migrations and start-up work not done yet.
    Starting,
    /// The database does not answer.
    Database,
    /// A background task the service needs is down (named).
    Task(String),
    /// Shutting down: load balancers must stop sending while in-flight calls drain.
    Draining,
}

impl std::fmt::Display for Blocker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Starting => f.write_str("starting"),
            Self::Database => f.write_str("database unreachable"),
            Self::Task(name) => write!(f, "background task {name} down"),
            Self::Draining => f.write_str("shutting down"),
        }
    }
}

/// The readiness of one service.
#[derive(Clone)]
pub struct Readiness {
    reporter: HealthReporter,
    service_names: Arc<Vec<&'static str>>,
    ready: Arc<AtomicBool>,
    // A tokio mutex, held while health is published, so two changes cannot publish out of order.
    blockers: Arc<tokio::sync::Mutex<BTreeSet<Blocker>>>,
}

impl Readiness {
    /// Readiness over `service_names` (fully qualified gRPC names), blocked by
    /// [`Blocker::Starting`] until that is cleared.
    pub async fn new(reporter: HealthReporter, service_names: Vec<&'static str>) -> Self {
        let ready = Arc::new(AtomicBool::new(false));
        crate::admin::register_readiness(
            service_names.first().copied().unwrap_or("server"),
            ready.clone(),
        );
        let this = Self {
            reporter,
            service_names: Arc::new(service_names),
            ready,
            blockers: Arc::new(tokio::sync::Mutex::new(BTreeSet::new())),
        };
        // Liveness never depends on readiness: a database outage must not restart every pod.
        this.reporter
            .set_service_status(LIVENESS, ServingStatus::Serving)
            .await;
        this.block(Blocker::Starting).await;
        this
    }

    /// Stops serving for `blocker` (no change when it already blocks).
    pub async fn block(&self, blocker: Blocker) {
        let mut blockers = self.blockers.lock().await;
        if blockers.insert(blocker.clone()) && blocker != Blocker::Starting {
            tracing::warn!(%blocker, "not serving");
        }
        self.publish(&blockers).await;
    }

    /// Clears `blocker`; serves again when nothing else blocks.
    pub async fn clear(&self, blocker: Blocker) {
        let mut blockers = self.blockers.lock().await;
        if blockers.remove(&blocker) && blocker != Blocker::Starting {
            tracing::info!(%blocker, still_blocked_by = blockers.len(), "cleared");
        }
        self.publish(&blockers).await;
    }

    async fn publish(&self, blockers: &BTreeSet<Blocker>) {
        let serving = blockers.is_empty();
        self.ready.store(serving, Ordering::SeqCst);
        let status = if serving {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        self.reporter.set_service_status("", status).await;
        for name in self.service_names.iter() {
            self.reporter.set_service_status(*name, status).await;
        }
    }

    /// What stops the service from serving now (empty when it serves).
    pub async fn blockers(&self) -> Vec<Blocker> {
        self.blockers.lock().await.iter().cloned().collect()
    }

    /// Whether calls may be served.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    /// Fails a call while not ready.
    pub fn ensure_ready(&self) -> Result<(), crate::error::ApiError> {
        if self.is_ready() {
            Ok(())
        } else {
            Err(crate::error::ApiError::Unavailable(
                "service is not ready (starting, shutting down, database unreachable or a \
                 background task down)"
                    .into(),
            ))
        }
    }

    /// Pings `db` every `every` until shutdown, blocking on [`Blocker::Database`] while it does
    /// not answer; at shutdown blocks on [`Blocker::Draining`] so load balancers stop sending
    /// new calls while in-flight ones drain.
    pub async fn watch_database(self, db: Db, every: Duration, shutdown: Shutdown) {
        let mut answered = true;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.wait() => {
                    self.block(Blocker::Draining).await;
                    return;
                }
            }
            let answers = db.ping().await;
            if answers != answered {
                if answers {
                    self.clear(Blocker::Database).await;
                } else {
                    self.block(Blocker::Database).await;
                }
                answered = answers;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_client::HealthClient;

    async fn status(client: &mut HealthClient<tonic::transport::Channel>, service: &str) -> i32 {
        client
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .map(|r| r.into_inner().status)
            .unwrap_or(-1)
    }

    async fn health_client() -> (HealthReporter, HealthClient<tonic::transport::Channel>) {
        let (reporter, health) = tonic_health::server::health_reporter();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(health)
                .serve_with_incoming(crate::server::incoming(listener)),
        );
        let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
            .expect("uri")
            .connect_lazy();
        (reporter, HealthClient::new(channel))
    }

    #[tokio::test]
    async fn health_is_not_serving_until_ready_and_follows_the_database() {
        let (reporter, mut client) = health_client().await;
        let readiness = Readiness::new(reporter, vec!["credit.test.v1.TestService"]).await;
        assert_eq!(
            status(&mut client, "").await,
            ServingStatus::NotServing as i32
        );
        assert_eq!(
            status(&mut client, "credit.test.v1.TestService").await,
            ServingStatus::NotServing as i32
        );
        assert!(readiness.ensure_ready().is_err());
        assert_eq!(
            status(&mut client, LIVENESS).await,
            ServingStatus::Serving as i32,
            "alive while starting"
        );
        readiness.clear(Blocker::Starting).await;
        assert_eq!(
            status(&mut client, "credit.test.v1.TestService").await,
            ServingStatus::Serving as i32
        );

        // The database stops answering: health follows.
        let database = crate::testing::TestDatabase::create()
            .await
            .expect("database");
        let db = Db::connect(&database.config).await.expect("connect");
        db.pool.close().await;
        let shutdown = Shutdown::new();
        tokio::spawn(readiness.clone().watch_database(
            db,
            Duration::from_millis(20),
            shutdown.clone(),
        ));
        let mut followed = false;
        for _ in 0..100 {
            if status(&mut client, "").await == ServingStatus::NotServing as i32 {
                followed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(followed, "NOT_SERVING once the database does not answer");
        assert!(!readiness.is_ready());
        assert_eq!(readiness.blockers().await, vec![Blocker::Database]);
        assert_eq!(
            status(&mut client, LIVENESS).await,
            ServingStatus::Serving as i32,
            "a database outage is not a reason to restart the process"
        );
        shutdown.trigger();
    }

    #[tokio::test]
    async fn one_part_recovering_does_not_hide_another_still_down() {
        let (reporter, mut client) = health_client().await;
        let readiness = Readiness::new(reporter, vec!["credit.test.v1.TestService"]).await;
        readiness.clear(Blocker::Starting).await;
        readiness.block(Blocker::Database).await;
        readiness.block(Blocker::Task("relay".into())).await;
        readiness.clear(Blocker::Database).await;
        assert!(!readiness.is_ready(), "the relay is still down");
        assert_eq!(
            status(&mut client, "").await,
            ServingStatus::NotServing as i32
        );
        readiness.clear(Blocker::Task("relay".into())).await;
        assert!(readiness.is_ready());
        assert_eq!(status(&mut client, "").await, ServingStatus::Serving as i32);
    }
}
