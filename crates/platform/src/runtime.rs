//! The runtime every service that owns a database runs in, so each `serve()` says only what is
//! its own: the token verifier, the database, readiness, migrations, the event feed and its
//! outbox relay, the database watch and the drain at shutdown are here once.
//!
//! It also owns the service's background work (relay, feed followers, sweeps): each task is
//! registered with [`ServiceRuntime::supervise`], started once the service is ready, and watched.
//! A task that ends while the service runs, or panics, is logged, counted
//! (`background_task_restarts_total{service,task}`), holds readiness NOT_SERVING while it is down
//! and is started again after a backoff that doubles up to 30 s. Nothing is fire-and-forget: at
//! shutdown the tasks are awaited (and cut after a bound) before the database closes.
use crate::auth::{AccessPolicy, AuthConfig, TokenVerifier};
use crate::clock::SharedClock;
use crate::db::{DatabaseConfig, Db};
use crate::feed::EventFeed;
use crate::outbox::{FeedSignals, Relay};
use crate::readiness::{Blocker, Readiness};
use crate::server::{ServerConfig, ServiceLayers, Shutdown};
use credit_proto::event::event_feed_service_server::EventFeedServiceServer;
use futures::future::BoxFuture;
use sqlx::migrate::Migrator;
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tonic::transport::server::Router;
use tonic_health::server::{HealthReporter, HealthService};

/// What a service is, as the runtime needs to know it.
#[derive(Clone, Copy)]
pub struct ServiceSpec {
    /// Its name ("limits"): logs, metrics, the feed's source.
    pub name: &'static str,
    /// The gRPC services it answers (health and reflection describe exactly these).
    pub grpc_services: &'static [&'static str],
    /// Its migrations on PostgreSQL.
    pub postgres_migrations: &'static Migrator,
    /// Its migrations on SQLite.
    pub sqlite_migrations: &'static Migrator,
    /// How its write transactions stay safe from concurrent writers.
    pub writes: crate::db::Writes,
}

/// How often readiness asks the database whether it answers (a `SELECT 1`: cheap, and a
/// database that went away turns the service NOT_SERVING within about a second).
const DATABASE_WATCH: Duration = Duration::from_secs(1);
/// Longest wait at start for token keys fetched from a URL.
const KEYS_READY: Duration = Duration::from_secs(30);
/// How often the database gauges (backlogs, counts) are sampled.
const GAUGE_SAMPLE: Duration = Duration::from_secs(5);
/// Longest wait, after the server has drained, for background tasks to see the shutdown.
const TASK_STOP: Duration = Duration::from_secs(10);

/// How a supervised task is restarted: the first pause, the longest, and how long a run must
/// last for the next failure to start again from the first pause.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// First pause after a task stops.
    pub first: Duration,
    /// Longest pause.
    pub max: Duration,
    /// A run at least this long resets the pause to `first`.
    pub reset_after: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            first: Duration::from_millis(200),
            max: Duration::from_secs(30),
            reset_after: Duration::from_secs(60),
        }
    }
}

type AtStop = Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send + Sync>;
type TaskStart = Box<dyn Fn(Shutdown) -> BoxFuture<'static, ()> + Send + Sync>;

struct Task {
    name: String,
    start: TaskStart,
    /// Runs in one replica at a time (under a lease), not in every replica.
    exclusive: bool,
}

/// The shared parts of a running service and the background tasks it registered.
pub struct ServiceRuntime {
    spec: ServiceSpec,
    /// The service's database.
    pub db: Db,
    /// The service's clock.
    pub clock: SharedClock,
    /// Commit signals between the writers, the relay and the feed readers.
    pub signals: FeedSignals,
    /// The process's shutdown switch.
    pub shutdown: Shutdown,
    /// The service's readiness (handlers call `ensure_ready`).
    pub readiness: Readiness,
    health: HealthReporter,
    verifier: TokenVerifier,
    drain: Duration,
    backoff: Backoff,
    lease_time_to_live: Duration,
    /// This runtime's name as the holder of task leases.
    lease_holder: String,
    tasks: Vec<Task>,
    at_stop: Vec<AtStop>,
}

impl ServiceRuntime {
    /// Connects to the database and builds the verifier (both fail fast on bad configuration);
    /// readiness starts NOT_SERVING until [`ServiceRuntime::serve`] has migrated. `drain` is the
    /// longest wait for in-flight calls at shutdown.
    pub async fn start(
        spec: ServiceSpec,
        database: &DatabaseConfig,
        auth: &AuthConfig,
        clock: SharedClock,
        shutdown: Shutdown,
        drain: Duration,
    ) -> anyhow::Result<Self> {
        let verifier = TokenVerifier::from_config(auth)?;
        // Keys from an identity provider's URL must be there before the first caller.
        verifier.ready(KEYS_READY).await?;
        let db = Db::connect(database).await?.with_writes(spec.writes);
        let health = HealthReporter::new();
        let readiness = Readiness::new(health.clone(), spec.grpc_services.to_vec()).await;
        Ok(Self {
            spec,
            db,
            clock,
            signals: FeedSignals::default(),
            shutdown,
            readiness,
            health,
            verifier,
            drain,
            backoff: Backoff::default(),
            lease_time_to_live: crate::lease::DEFAULT_TIME_TO_LIVE,
            lease_holder: crate::lease::new_holder_name(),
            tasks: Vec::new(),
            at_stop: Vec::new(),
        })
    }

    /// Applies the migrations now, for a service that needs its tables before it can build
    /// what it serves (serve applies them too; applying twice is a no-op).
    pub async fn migrate(&self) -> anyhow::Result<()> {
        self.db
            .migrate(self.spec.postgres_migrations, self.spec.sqlite_migrations)
            .await
    }

    /// Restarts supervised tasks with `backoff` instead of the default (tests).
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Leases of exclusive tasks last `ttl` instead of the default (tests of hand-over).
    pub fn with_lease_time_to_live(mut self, ttl: Duration) -> Self {
        self.lease_time_to_live = ttl;
        self
    }

    /// The gRPC router with what every service serves (the layers with `access`, health and
    /// reflection); the service adds its own servers.
    pub fn router(&self, access: AccessPolicy) -> anyhow::Result<Router<ServiceLayers>> {
        crate::server::service_router(
            self.spec.name,
            self.spec.grpc_services,
            self.verifier.clone(),
            access,
            tonic_health::pb::health_server::HealthServer::new(
                HealthService::from_health_reporter(self.health.clone()),
            ),
        )
    }

    /// The service's event feed over its outbox, with the relay that sequences the outbox
    /// registered as a supervised task: call it once when the service publishes a feed.
    pub fn event_feed(&mut self) -> EventFeedServiceServer<EventFeed> {
        let (db, signals) = (self.db.clone(), self.signals.clone());
        self.supervise("outbox relay", move |shutdown| {
            Relay::new(db.clone(), signals.clone()).run(shutdown.subscribe())
        });
        crate::grpc_server!(EventFeedServiceServer::new(EventFeed::new(
            self.db.clone(),
            self.spec.name,
            self.signals.clone(),
            self.shutdown.clone(),
        )))
    }

    /// Registers a background task that runs in every replica, started when the service is
    /// ready and supervised until shutdown. `start` is called for every run; the task ends when
    /// its shutdown flips.
    pub fn supervise<F, Fut>(&mut self, name: impl Into<String>, start: F)
    where
        F: Fn(Shutdown) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.tasks.push(Task {
            name: name.into(),
            start: Box::new(move |shutdown| Box::pin(start(shutdown))),
            exclusive: false,
        });
    }

    /// Registers a background task that must run once across the service's replicas (a
    /// sweep, a delivery queue, a follower): supervised like [`ServiceRuntime::supervise`],
    /// but it runs only while this replica holds the task's lease ([`crate::lease`]); the
    /// other replicas stand by and one takes over within the lease's time to live when the
    /// holder dies, at once when it shuts down.
    pub fn supervise_exclusive<F, Fut>(&mut self, name: impl Into<String>, start: F)
    where
        F: Fn(Shutdown) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.supervise(name, start);
        if let Some(task) = self.tasks.last_mut() {
            task.exclusive = true;
        }
    }

    /// Registers a supervised follower of `source`'s event feed at `url`: every event goes to
    /// `handler` in order, from the position stored in this service's database. One replica
    /// follows at a time (the handling is effectively once anyway; this spares the others the
    /// work and the calls it makes).
    pub fn follow<H: crate::follow::EventHandler>(
        &mut self,
        source: &str,
        url: &str,
        token: crate::auth::ServiceToken,
        handler: std::sync::Arc<H>,
    ) {
        let (db, clock) = (self.db.clone(), self.clock.clone());
        let feed = crate::follow::Feed {
            source: source.to_string(),
            url: url.to_string(),
        };
        self.supervise_exclusive(format!("{source} follower"), move |shutdown| {
            crate::follow::follow(
                db.clone(),
                clock.clone(),
                feed.clone(),
                token.clone(),
                handler.clone(),
                shutdown,
            )
        });
    }

    /// Follows limits' feed at `url` for the customers' regions and business units, which data
    /// scopes filter by (see [`crate::scope`]).
    pub fn follow_master_data(&mut self, url: &str, token: crate::auth::ServiceToken) {
        let handler = crate::scope::MasterDataFollower::new(self.db.clone(), self.clock.clone());
        self.follow("limits", url, token, std::sync::Arc::new(handler));
    }

    /// Work to do after the server has drained and the tasks have stopped, before the database
    /// closes (a last checkpoint, for example).
    pub fn at_stop<F, Fut>(&mut self, work: F)
    where
        F: FnOnce() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.at_stop.push(Box::new(move || Box::pin(work())));
    }

    /// Serves `router` on `listener` until shutdown: health answers NOT_SERVING while the
    /// migrations and `prepare` (start-up work of the service, such as its default policy) run,
    /// then the background tasks start and the service serves. At shutdown: NOT_SERVING, drain,
    /// stop the tasks, the `at_stop` work, close the database.
    pub async fn serve<E: Into<anyhow::Error>>(
        self,
        router: Router<ServiceLayers>,
        listener: TcpListener,
        prepare: impl Future<Output = Result<(), E>>,
    ) -> anyhow::Result<()> {
        let name = self.spec.name;
        let server = AbortOnDrop(tokio::spawn(router.serve_with_incoming_shutdown(
            crate::server::incoming(listener),
            self.shutdown.wait(),
        )));
        self.migrate().await?;
        prepare.await.map_err(Into::into)?;
        self.readiness.clear(Blocker::Starting).await;
        tracing::info!(service = name, backend = ?self.db.backend(), tasks = self.tasks.len(),
            "migrations applied; serving");

        let mut tasks = JoinSet::new();
        {
            let (readiness, db, shutdown) = (
                self.readiness.clone(),
                self.db.clone(),
                self.shutdown.clone(),
            );
            tasks.spawn(readiness.clone().watch_database(
                db.clone(),
                DATABASE_WATCH,
                shutdown.clone(),
            ));
            let leaving = shutdown.leaving();
            tasks.spawn(async move {
                leaving.await;
                readiness.block(Blocker::Draining).await;
            });
            tasks.spawn(crate::gauges::sample(name, db, GAUGE_SAMPLE, shutdown));
        }
        for task in self.tasks {
            let lease = task.exclusive.then(|| {
                crate::lease::Lease::new(
                    self.db.clone(),
                    task.name.clone(),
                    self.lease_holder.clone(),
                    self.lease_time_to_live,
                )
            });
            tasks.spawn(supervise(
                name,
                task,
                lease,
                self.readiness.clone(),
                self.shutdown.clone(),
                self.backoff,
            ));
        }
        let drained = crate::server::drain_on_shutdown(
            server.join(),
            Some(&self.readiness),
            &self.shutdown,
            self.drain,
            name,
        )
        .await;
        if tokio::time::timeout(TASK_STOP, async {
            while tasks.join_next().await.is_some() {}
        })
        .await
        .is_err()
        {
            tracing::warn!(
                service = name,
                "background tasks did not stop in time; cutting them"
            );
            tasks.shutdown().await;
        }
        for work in self.at_stop {
            work().await;
        }
        self.db.pool.close().await;
        drained
    }
}

/// How one run of a supervised task ended.
enum Run {
    /// The task ended by itself, or panicked.
    Ended(Result<(), tokio::task::JoinError>),
    /// Another replica holds (or took over) the task's lease: this one stopped it.
    LeaseLost,
    /// The service shuts down.
    Stopped,
}

/// Runs `task` until shutdown, starting it again whenever it ends or panics while the service
/// runs; readiness is blocked from the failure until the next start. An exclusive task (with
/// a `lease`) runs only while this replica holds its lease.
async fn supervise(
    service: &'static str,
    task: Task,
    lease: Option<crate::lease::Lease>,
    readiness: Readiness,
    shutdown: Shutdown,
    backoff: Backoff,
) {
    let mut pause = backoff.first;
    let blocker = Blocker::Task(task.name.clone());
    // The series exists before the first restart: increase() and alerts see it rise from 0.
    metrics::counter!("background_task_restarts_total", "service" => service,
        "task" => task.name.clone())
    .increment(0);
    loop {
        metrics::gauge!("background_task_up", "service" => service, "task" => task.name.clone())
            .set(1.0);
        let started = Instant::now();
        let run = match &lease {
            None => Run::Ended(
                AbortOnDrop(tokio::spawn((task.start)(shutdown.clone())))
                    .join()
                    .await,
            ),
            Some(lease) => run_holding(service, &task, lease, &shutdown).await,
        };
        let outcome = match run {
            _ if shutdown.is_triggered() => return,
            Run::Stopped => return,
            Run::LeaseLost => continue,
            Run::Ended(outcome) => outcome,
        };
        metrics::gauge!("background_task_up", "service" => service, "task" => task.name.clone())
            .set(0.0);
        metrics::counter!("background_task_restarts_total", "service" => service,
            "task" => task.name.clone())
        .increment(1);
        if started.elapsed() >= backoff.reset_after {
            pause = backoff.first;
        }
        match outcome {
            Ok(()) => tracing::error!(service, task = %task.name, ?pause,
                "background task ended while the service runs; restarting"),
            Err(error) => tracing::error!(service, task = %task.name, ?pause,
                panic = %panic_message(error), "background task failed; restarting"),
        }
        readiness.block(blocker.clone()).await;
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = shutdown.wait() => return,
        }
        pause = (pause * 2).min(backoff.max);
        readiness.clear(blocker.clone()).await;
    }
}

/// Waits for `lease`, then runs the task while renewing it: stops the task when a renewal
/// fails (another replica may take it over once the lease lapses, so this one must stop
/// first), and gives the lease back when the task ends or the service shuts down.
async fn run_holding(
    service: &'static str,
    task: &Task,
    lease: &crate::lease::Lease,
    shutdown: &Shutdown,
) -> Run {
    let leader = || {
        metrics::gauge!("background_task_leader", "service" => service,
            "task" => task.name.clone())
    };
    leader().set(0.0);
    loop {
        match lease.try_hold().await {
            Ok(true) => break,
            Ok(false) => {}
            // Said loudly: while no replica can ask, nobody runs the task.
            Err(error) => tracing::warn!(service, task = %task.name, %error,
                "could not ask for the task's lease"),
        }
        tokio::select! {
            _ = tokio::time::sleep(lease.renew_every()) => {}
            _ = shutdown.wait() => return Run::Stopped,
        }
    }
    leader().set(1.0);
    tracing::info!(service, task = %task.name, "this replica holds the task's lease; running it");
    let stop = Shutdown::new();
    let mut running = AbortOnDrop(tokio::spawn((task.start)(stop.clone())));
    let mut renew = tokio::time::interval(lease.renew_every());
    renew.tick().await;
    let run = loop {
        tokio::select! {
            outcome = &mut running.0 => break Run::Ended(outcome),
            _ = shutdown.wait() => break Run::Stopped,
            _ = renew.tick() => match lease.try_hold().await {
                Ok(true) => {}
                held => {
                    tracing::warn!(service, task = %task.name, ?held,
                        "lost the task's lease; stopping it here");
                    break Run::LeaseLost;
                }
            },
        }
    };
    leader().set(0.0);
    if !matches!(run, Run::Ended(_)) {
        stop.trigger();
        if tokio::time::timeout(TASK_STOP, running.join())
            .await
            .is_err()
        {
            tracing::warn!(service, task = %task.name, "task did not stop in time; cut");
        }
    }
    if !matches!(run, Run::LeaseLost)
        && let Err(error) = lease.give_back().await
    {
        tracing::debug!(service, task = %task.name, %error, "could not give the lease back");
    }
    run
}

fn panic_message(error: tokio::task::JoinError) -> String {
    match error.try_into_panic() {
        Ok(panic) => panic
            .downcast_ref::<&str>()
            .map(|text| text.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into()),
        Err(error) => error.to_string(),
    }
}

/// A spawned task that is aborted when its handle is dropped (a supervisor cut at shutdown
/// takes its task with it; a failed start-up does not leave its server running).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> AbortOnDrop<T> {
    async fn join(mut self) -> Result<T, tokio::task::JoinError> {
        (&mut self.0).await
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What every service binary does before its service runs: telemetry, the shutdown switch on
/// SIGTERM/SIGINT, the gRPC and admin listeners, the admin server (/metrics, /livez). Then
/// `serve` runs with the listener and the switch.
pub async fn run_binary<F, Fut>(
    binary: &'static str,
    server: &ServerConfig,
    serve: F,
) -> anyhow::Result<()>
where
    F: FnOnce(TcpListener, Shutdown) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let _telemetry = crate::telemetry::init(binary, server.log_format)?;
    // The recorder first: what the service records while it starts (series registered at
    // zero for the alerts) would otherwise go nowhere.
    crate::admin::metrics_handle();
    crate::server::set_connection_age(server.connection_age());
    crate::server::set_max_concurrent_calls(server.max_concurrent_calls);
    crate::exposure::set(server.exposure());
    if let Some(files) = server.tls() {
        crate::tls::serve_over(files)?;
    }
    if let Some(files) = server.peer_tls() {
        crate::tls::call_peers_with(files);
    }
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals_after(Duration::from_secs(server.shutdown_grace_secs));
    let listener = TcpListener::bind(server.listen_addr)
        .await
        .map_err(|e| anyhow::anyhow!("listening on {}: {e}", server.listen_addr))?;
    let admin = TcpListener::bind(server.admin_addr)
        .await
        .map_err(|e| anyhow::anyhow!("admin server on {}: {e}", server.admin_addr))?;
    tracing::info!(grpc = %server.listen_addr, admin = %server.admin_addr, "{binary} starting");
    tokio::spawn(crate::admin::serve_admin(admin, shutdown.wait()));
    serve(listener, shutdown).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    static NO_MIGRATIONS: Migrator = Migrator::DEFAULT;

    async fn until(what: &str, condition: impl AsyncFn() -> bool) {
        for _ in 0..1000 {
            if condition().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("never saw: {what}");
    }

    /// A runtime serving `grpc_services` on `database`, draining for `drain` at shutdown.
    async fn test_runtime(
        database: &crate::testing::TestDatabase,
        grpc_services: &'static [&'static str],
        drain: Duration,
    ) -> (ServiceRuntime, Shutdown) {
        let spec = ServiceSpec {
            name: "test",
            grpc_services,
            postgres_migrations: &NO_MIGRATIONS,
            sqlite_migrations: &NO_MIGRATIONS,
            writes: crate::db::Writes::LockRows,
        };
        let shutdown = Shutdown::new();
        let runtime = ServiceRuntime::start(
            spec,
            &database.config,
            &AuthConfig::hs256("a-test-secret-of-at-least-32-bytes"),
            Arc::new(crate::clock::SystemClock),
            shutdown.clone(),
            drain,
        )
        .await
        .expect("runtime");
        (runtime, shutdown)
    }

    #[tokio::test]
    async fn a_task_that_dies_is_restarted_and_holds_readiness_down_meanwhile() {
        let database = crate::testing::TestDatabase::create()
            .await
            .expect("database");
        let (runtime, shutdown) = test_runtime(&database, &[], Duration::from_secs(1)).await;
        let mut runtime = runtime.with_backoff(Backoff {
            first: Duration::from_millis(400),
            max: Duration::from_millis(400),
            reset_after: Duration::from_secs(3600),
        });
        let runs = Arc::new(AtomicUsize::new(0));
        let stopped = Arc::new(AtomicBool::new(false));
        {
            let (runs, stopped) = (runs.clone(), stopped.clone());
            runtime.supervise("flaky", move |shutdown: Shutdown| {
                let (runs, stopped) = (runs.clone(), stopped.clone());
                async move {
                    match runs.fetch_add(1, Ordering::SeqCst) {
                        0 => panic!("the first run fails"),
                        1 => {} // the second ends while the service runs
                        _ => {
                            shutdown.wait().await;
                            stopped.store(true, Ordering::SeqCst);
                        }
                    }
                }
            });
        }
        let readiness = runtime.readiness.clone();
        assert_eq!(readiness.blockers().await, vec![Blocker::Starting]);
        let router = runtime.router(Arc::new(|_| None)).expect("router");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let served = tokio::spawn(runtime.serve(router, listener, async { anyhow::Ok(()) }));

        let flaky = Blocker::Task("flaky".into());
        until("the panicked task holds readiness down", async || {
            readiness.blockers().await == vec![flaky.clone()]
        })
        .await;
        assert!(readiness.ensure_ready().is_err());
        until(
            "the second run, which ends, holds it down again",
            async || {
                runs.load(Ordering::SeqCst) == 2
                    && readiness.blockers().await == vec![flaky.clone()]
            },
        )
        .await;
        until("the third run serves", async || {
            runs.load(Ordering::SeqCst) == 3 && readiness.is_ready()
        })
        .await;

        shutdown.trigger();
        served.await.expect("joined").expect("served");
        assert!(
            stopped.load(Ordering::SeqCst),
            "serve returns only after its tasks saw the shutdown"
        );
        assert_eq!(runs.load(Ordering::SeqCst), 3, "not restarted at shutdown");
        assert!(!readiness.is_ready());
    }

    /// A runtime of `name` on `database` whose exclusive task "sweep" counts how many copies
    /// run at once (`running`) and how many runs there were (`runs`).
    async fn replica_with_sweep(
        database: &crate::testing::TestDatabase,
        running: Arc<AtomicUsize>,
        most: Arc<AtomicUsize>,
        runs: Arc<AtomicUsize>,
    ) -> (Shutdown, tokio::task::JoinHandle<anyhow::Result<()>>) {
        let (runtime, shutdown) = test_runtime(database, &[], Duration::from_millis(200)).await;
        let mut runtime = runtime.with_lease_time_to_live(Duration::from_millis(900));
        runtime.supervise_exclusive("sweep", move |stop: Shutdown| {
            let (running, most, runs) = (running.clone(), most.clone(), runs.clone());
            async move {
                // Counted down however the run ends, aborted with its replica included.
                struct Running(Arc<AtomicUsize>);
                impl Drop for Running {
                    fn drop(&mut self) {
                        self.0.fetch_sub(1, Ordering::SeqCst);
                    }
                }
                runs.fetch_add(1, Ordering::SeqCst);
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                let _running = Running(running);
                most.fetch_max(now, Ordering::SeqCst);
                stop.wait().await;
            }
        });
        let router = runtime.router(Arc::new(|_| None)).expect("router");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let served = tokio::spawn(runtime.serve(router, listener, async { anyhow::Ok(()) }));
        (shutdown, served)
    }

    #[tokio::test]
    async fn an_exclusive_task_runs_in_one_replica_and_moves_when_it_stops_or_dies() {
        let database = crate::testing::TestDatabase::create()
            .await
            .expect("database");
        let (running, most, runs) = (
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
        );
        let replica = || replica_with_sweep(&database, running.clone(), most.clone(), runs.clone());
        let (_first, first_served) = replica().await;
        until("the first replica runs the sweep", async || {
            running.load(Ordering::SeqCst) == 1
        })
        .await;
        let (second, second_served) = replica().await;
        // Three renewals later, still one copy: the second stands by.
        tokio::time::sleep(Duration::from_millis(900)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1, "the second stands by");

        // The first dies without giving the lease back: the second takes over once it lapses.
        first_served.abort();
        let _ = first_served.await;
        until(
            "the second runs the sweep after the first died",
            async || running.load(Ordering::SeqCst) == 1 && runs.load(Ordering::SeqCst) == 2,
        )
        .await;

        // The second shuts down and gives it back: a third takes over.
        let (third, third_served) = replica().await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 2, "the third stands by");
        second.trigger();
        second_served.await.expect("join").expect("second stops");
        until(
            "the third runs the sweep after the second stopped",
            async || running.load(Ordering::SeqCst) == 1 && runs.load(Ordering::SeqCst) == 3,
        )
        .await;
        third.trigger();
        third_served.await.expect("join").expect("third stops");
        assert_eq!(
            running.load(Ordering::SeqCst),
            0,
            "stopped with its replica"
        );
        assert_eq!(most.load(Ordering::SeqCst), 1, "never two copies at once");
    }

    #[tokio::test]
    async fn an_announced_shutdown_says_not_serving_while_calls_are_still_answered() {
        use tonic_health::pb::HealthCheckRequest;
        use tonic_health::pb::health_client::HealthClient;
        let database = crate::testing::TestDatabase::create()
            .await
            .expect("database");
        let services = &["credit.limits.v1.LimitsService"];
        let (runtime, shutdown) = test_runtime(&database, services, Duration::from_secs(1)).await;
        let readiness = runtime.readiness.clone();
        let router = runtime.router(Arc::new(|_| None)).expect("router");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let served = tokio::spawn(runtime.serve(router, listener, async { anyhow::Ok(()) }));
        until("ready", async || readiness.is_ready()).await;

        let status = async |name: &str| {
            // A new connection each time: the server still accepts them while leaving.
            let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
                .expect("url")
                .connect()
                .await
                .expect("the server still accepts connections");
            HealthClient::new(channel)
                .check(HealthCheckRequest {
                    service: name.into(),
                })
                .await
                .expect("the server still answers")
                .into_inner()
                .status
        };
        let serving = tonic_health::pb::health_check_response::ServingStatus::Serving as i32;
        let not_serving = tonic_health::pb::health_check_response::ServingStatus::NotServing as i32;
        assert_eq!(status("").await, serving);
        shutdown.announce();
        until("not serving once announced", async || !readiness.is_ready()).await;
        assert_eq!(
            status("").await,
            not_serving,
            "readiness says it is leaving"
        );
        assert_eq!(
            status("credit.limits.v1.LimitsService").await,
            not_serving,
            "for every service name"
        );
        assert_eq!(status(crate::readiness::LIVENESS).await, serving, "alive");
        assert!(
            !served.is_finished(),
            "still serving during the grace period"
        );
        shutdown.trigger();
        served.await.expect("join").expect("stops");
    }
}
