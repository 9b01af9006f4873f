//! Test support: a fresh, isolated database per test, and a local SMTP sink. SQLite in a temporary directory by default;
//! a new PostgreSQL database when `TEST_DATABASE_URL` is set (dropped when the guard goes).
use crate::db::DatabaseConfig;
use sqlx::Connection;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A database that exists for one test.
pub struct TestDatabase {
    /// Settings that connect to it.
    pub config: DatabaseConfig,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// Creates an empty database: PostgreSQL when `TEST_DATABASE_URL` is set, else SQLite.
    pub async fn create() -> anyhow::Result<Self> {
        let admin_url = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty());
        Self::create_on(admin_url.as_deref()).await
    }

    /// Creates an empty database inside the PostgreSQL server of `admin_url`, or a SQLite file in
    /// a temporary directory when `None`.
    pub async fn create_on(admin_url: Option<&str>) -> anyhow::Result<Self> {
        match admin_url {
            Some(admin_url) => {
                let admin_url = admin_url.to_string();
                sqlx::any::install_default_drivers();
                let name = format!("credit_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = sqlx::AnyConnection::connect(&admin_url).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await?;
                admin.close().await?;
                let url = replace_database(&admin_url, &name);
                Ok(Self {
                    config: DatabaseConfig::new(url),
                    _dir: None,
                    postgres: Some((admin_url, name)),
                })
            }
            None => {
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                Ok(Self {
                    config: DatabaseConfig::new(url),
                    _dir: Some(dir),
                    postgres: None,
                })
            }
        }
    }

    /// Whether this is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot block: use a thread of our own.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(mut admin) = sqlx::AnyConnection::connect(&admin_url).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut admin)
                    .await;
                }
            });
        })
        .join();
    }
}

fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..].find('/').map(|i| i + scheme_end);
    let root = match path_start {
        Some(i) => &base[..i],
        None => base,
    };
    match query {
        Some(query) => format!("{root}/{database}?{query}"),
        None => format!("{root}/{database}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_the_database_of_a_url() {
        assert_eq!(
            super::replace_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            super::replace_database("postgres://h/db?sslmode=disable", "y"),
            "postgres://h/y?sslmode=disable"
        );
        assert_eq!(
            super::replace_database("postgres://h", "z"),
            "postgres://h/z"
        );
    }
}

/// A received message: envelope recipients and the raw content.
#[derive(Debug, Clone)]
pub struct Received {
    /// Envelope recipients.
    pub to: Vec<String>,
    /// The message as sent (headers and body).
    pub data: String,
}

/// A local SMTP server that accepts every message and keeps it, so tests read what arrived
/// (no TLS, no authentication: loopback only).
#[derive(Clone)]
pub struct SmtpSink {
    /// `smtp://127.0.0.1:port`.
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl SmtpSink {
    /// Listens on a free loopback port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port for the SMTP sink");
        let addr = listener.local_addr().expect("the sink's address");
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let store = received.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                    let mut to = Vec::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let upper = line.to_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO")
                        {
                            b"250 sink\r\n"
                        } else if upper.starts_with("RCPT TO:") {
                            to.push(line[8..].trim().trim_matches(['<', '>']).to_string());
                            b"250 OK\r\n"
                        } else if upper.starts_with("DATA") {
                            let _ = write.write_all(b"354 go ahead\r\n").await;
                            let mut data = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push_str(&l);
                                data.push('\n');
                            }
                            store.lock().expect("sink").push(Received {
                                to: std::mem::take(&mut to),
                                data,
                            });
                            b"250 OK queued\r\n"
                        } else if upper.starts_with("QUIT") {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        } else {
                            b"250 OK\r\n"
                        };
                        if write.write_all(reply).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Self {
            url: format!("smtp://{addr}"),
            received,
        }
    }

    /// What arrived so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("sink").clone()
    }

    /// Waits (real time: delivery is operational) until `count` messages arrived.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..400 {
            let got = self.received();
            if got.len() >= count {
                return got;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!(
            "the SMTP sink received {:?}, expected {count}",
            self.received()
        );
    }
}

/// A server running for one test on a loopback port, started with the service's own `serve`
/// (the code the binary runs) and waited for until its health says SERVING. Dropping it starts
/// its shutdown; [`TestServer::stop`] also waits for the drain and says how the server ended.
pub struct TestServer {
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    /// `http://addr`.
    pub url: String,
    /// A channel to it (lazy: clients share it).
    pub channel: tonic::transport::Channel,
    /// Its shutdown switch.
    pub shutdown: crate::server::Shutdown,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestServer {
    /// Starts `serve` on a free loopback port.
    pub async fn start<F, Fut>(serve: F) -> Self
    where
        F: FnOnce(TcpListener, crate::server::Shutdown) -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        Self::start_on(std::net::SocketAddr::from(([127, 0, 0, 1], 0)), serve).await
    }

    /// Starts `serve` on `addr` (a server restarted where its clients expect it), retrying the
    /// bind while the previous server's socket lets go.
    pub async fn start_on<F, Fut>(addr: std::net::SocketAddr, serve: F) -> Self
    where
        F: FnOnce(TcpListener, crate::server::Shutdown) -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let listener = bind(addr).await;
        let addr = listener.local_addr().expect("the bound address");
        let url = format!("http://{addr}");
        let shutdown = crate::server::Shutdown::new();
        let server = tokio::spawn(serve(listener, shutdown.clone()));
        wait_serving(&url).await;
        Self {
            addr,
            channel: tonic::transport::Channel::from_shared(url.clone())
                .expect("a valid server address")
                .connect_lazy(),
            url,
            shutdown,
            server: Some(server),
        }
    }

    /// Shuts the server down and waits (up to 30 s) for it to drain; how it ended.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown.trigger();
        let Some(server) = self.server.take() else {
            return Ok(());
        };
        match tokio::time::timeout(std::time::Duration::from_secs(30), server).await {
            Ok(joined) => joined?,
            Err(_) => anyhow::bail!("the server did not stop within 30 s"),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.trigger();
    }
}

async fn bind(addr: std::net::SocketAddr) -> TcpListener {
    for _ in 0..100 {
        if let Ok(listener) = TcpListener::bind(addr).await {
            return listener;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("cannot bind {addr}");
}

/// Waits until the server at `url` reports every service it fronts as SERVING on the standard
/// health check (the gateway reports the suite's overall status under the empty name). Tests
/// call this before their first request: services migrate after the listener opens.
pub async fn wait_serving(url: &str) {
    let channel = tonic::transport::Channel::from_shared(url.to_string())
        .expect("a valid server address")
        .connect_lazy();
    wait_serving_on(channel, url).await
}

/// [`wait_serving`] over a channel of the caller's making (TLS), `what` naming it.
pub async fn wait_serving_on(channel: tonic::transport::Channel, url: &str) {
    use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    for _ in 0..400 {
        let status = health
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .map(|r| r.into_inner().status);
        if matches!(status, Ok(s) if s == ServingStatus::Serving as i32) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{url} did not report SERVING within 20 s");
}

/// Load for the benchmarks (each service's `benches/` and `crates/bench`): timing a number of
/// calls spread over concurrent callers.
pub mod load {
    use hdrhistogram::Histogram;
    use std::time::{Duration, Instant};

    /// Runs `f(client, i)` for i in 0..calls over `concurrency` callers; answers the latency
    /// histogram (microseconds) and the wall time.
    pub async fn timed<C, F, Fut>(
        calls: usize,
        concurrency: usize,
        client: &C,
        f: F,
    ) -> anyhow::Result<(Histogram<u64>, Duration)>
    where
        C: Clone + Send + 'static,
        F: Fn(C, usize) -> Fut + Send + Sync + Clone + 'static,
        Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
    {
        let started = Instant::now();
        let mut workers = Vec::new();
        for worker in 0..concurrency {
            let client = client.clone();
            let f = f.clone();
            workers.push(tokio::spawn(async move {
                let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("bounds");
                let mut i = worker;
                while i < calls {
                    let t = Instant::now();
                    f(client.clone(), i).await?;
                    h.record(t.elapsed().as_micros().max(1) as u64)?;
                    i += concurrency;
                }
                Ok::<_, anyhow::Error>(h)
            }));
        }
        let mut all = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
        for w in workers {
            all.add(w.await??)?;
        }
        Ok((all, started.elapsed()))
    }

    /// The `q` quantile in milliseconds.
    pub fn ms(h: &Histogram<u64>, q: f64) -> f64 {
        h.value_at_quantile(q) as f64 / 1000.0
    }
}
