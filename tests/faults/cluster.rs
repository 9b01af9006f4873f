#![allow(dead_code)]
//! The production binaries as separate processes on PostgreSQL, on loopback: two replicas of
//! limits on one database, audit following limits' feed on its own, and two gateways in front.
//! Each process can be killed (SIGKILL) or stopped gracefully (SIGTERM), and started again with
//! the same settings.
use credit_platform::testing::TestDatabase;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The HS256 secret every process verifies tokens with (loopback only, per run).
pub const SECRET: &str = "fault-tests-secret-of-at-least-32-bytes!";

/// Where cargo put the binaries: the test executable is `target/<profile>/deps/faults-…`.
fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let path = profile.join(name);
    assert!(
        path.exists(),
        "{} is missing: build the service binaries first (cargo build --workspace --bins; the README's \
         test command does)",
        path.display()
    );
    path
}

/// A free loopback port (bound and released; the process binds it right after).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One server process and how to start it again.
pub struct Process {
    pub name: String,
    binary: PathBuf,
    env: BTreeMap<String, String>,
    pub grpc: u16,
    log: PathBuf,
    child: Option<Child>,
    /// How a client reaches it when it serves over TLS.
    client_tls: Option<tonic::transport::ClientTlsConfig>,
}

impl Process {
    /// `binary_name` (from target/<profile>) as `name`, with `env` and `common` settings, its
    /// log in `dir`; not started yet.
    pub fn new(
        name: &str,
        binary_name: &str,
        env: BTreeMap<String, String>,
        common: &BTreeMap<String, String>,
        dir: &Path,
    ) -> Self {
        let grpc = free_port();
        let mut env = env;
        env.extend(common.clone());
        env.insert("GRPC_LISTEN_ADDR".into(), format!("127.0.0.1:{grpc}"));
        env.insert(
            "ADMIN_LISTEN_ADDR".into(),
            format!("127.0.0.1:{}", free_port()),
        );
        env.insert("LOG_FORMAT".into(), "text".into());
        env.insert("RUST_LOG".into(), "info".into());
        env.insert("JWT_HS256_SECRET".into(), SECRET.into());
        env.insert("AUTH_DEVELOPMENT".into(), "true".into());
        env.insert("SHUTDOWN_GRACE_SECS".into(), "1".into());
        env.insert("SHUTDOWN_DRAIN_SECS".into(), "5".into());
        Self {
            name: name.into(),
            binary: binary(binary_name),
            env,
            grpc,
            log: dir.join(format!("{name}.log")),
            child: None,
            client_tls: None,
        }
    }

    /// Reached over TLS with `config` (its server speaks TLS).
    pub fn with_client_tls(mut self, config: tonic::transport::ClientTlsConfig) -> Self {
        self.client_tls = Some(config);
        self
    }

    /// A channel to it (over TLS when it serves so).
    pub fn channel(&self) -> tonic::transport::Channel {
        match &self.client_tls {
            None => tonic::transport::Channel::from_shared(format!("http://{}", self.addr()))
                .expect("url")
                .connect_lazy(),
            Some(tls) => {
                tonic::transport::Channel::from_shared(format!("https://localhost:{}", self.grpc))
                    .expect("url")
                    .tls_config(tls.clone())
                    .expect("tls")
                    .connect_lazy()
            }
        }
    }

    /// Its gRPC address, `127.0.0.1:port`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.grpc)
    }

    /// Starts it (appending to its log) and waits until it says SERVING.
    pub async fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log file");
        // Only its own settings: nothing of the test's environment leaks in.
        let child = Command::new(&self.binary)
            .arg("serve")
            .env_clear()
            .envs(&self.env)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", self.name));
        self.child = Some(child);
        self.wait_serving().await;
    }

    /// Whether it says SERVING for the overall health name (readiness) now.
    pub async fn serving(&self) -> bool {
        use tonic_health::pb::health_check_response::ServingStatus;
        use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
        let mut request = tonic::Request::new(HealthCheckRequest::default());
        request.set_timeout(Duration::from_secs(1));
        HealthClient::new(self.channel())
            .check(request)
            .await
            .is_ok_and(|r| r.into_inner().status == ServingStatus::Serving as i32)
    }

    /// Waits (bounded) until its readiness is `serving`; panics with its log otherwise.
    pub async fn wait_until(&self, serving: bool, within: Duration) {
        let started = Instant::now();
        while self.serving().await != serving {
            assert!(
                started.elapsed() < within,
                "{} did not turn {} within {within:?}:\n{}",
                self.name,
                if serving { "SERVING" } else { "NOT_SERVING" },
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn wait_serving(&mut self) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!(
                    "{} exited at start ({status}):\n{}",
                    self.name,
                    self.log_tail()
                );
            }
            if self.serving().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "{} did not say SERVING within 60 s:\n{}",
            self.name,
            self.log_tail()
        );
    }

    /// The end of its log, for a failure message.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let sent = Command::new("kill")
            .args([signal, &pid])
            .status()
            .expect("kill");
        assert!(sent.success(), "kill {signal} {pid}");
    }

    /// SIGKILL: the process dies at once, in the middle of whatever it does.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then waits (bounded) for the process to end by itself.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        self.signal("-TERM");
        let mut child = self.child.take().expect("running");
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{} did not stop within 30 s of SIGTERM:\n{}",
                self.name,
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Process {
    /// SIGSTOP: the process hangs — its sockets stay open and nothing answers, as when the
    /// network cuts it off.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// SIGCONT.
    pub fn resume(&self) {
        self.signal("-CONT");
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            // A paused process is resumed first, so it dies now in every case.
            let _ = Command::new("kill")
                .args(["-CONT", &child.id().to_string()])
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// What to start besides two limits replicas, audit and two gateways, and where.
#[derive(Default)]
pub struct Options {
    /// Settings for every process (the OTLP endpoint…).
    pub common: BTreeMap<String, String>,
    /// Scoring and applications too: applications scores applicants in scoring at submission
    /// and delivers approved limits to limits.
    pub applications: bool,
    /// The PostgreSQL server the databases are made on (an admin URL); `TEST_DATABASE_URL`'s
    /// when unset.
    pub postgres: Option<String>,
}

/// Two limits replicas on one database, audit following them, two gateways in front; scoring
/// and applications when asked.
pub struct Cluster {
    pub limits: Vec<Process>,
    pub audit: Process,
    pub gateways: Vec<Process>,
    pub scoring: Option<Process>,
    pub applications: Option<Process>,
    pub token: String,
    /// The limits replicas' shared database.
    pub limits_database_url: String,
    _dir: tempfile::TempDir,
    _databases: Vec<TestDatabase>,
}

impl Cluster {
    /// Starts it on the PostgreSQL server of `TEST_DATABASE_URL`; None without one.
    pub async fn start() -> Option<Self> {
        Self::start_with(Options::default()).await
    }

    /// The same, as `options` say.
    pub async fn start_with(options: Options) -> Option<Self> {
        if std::env::var("TEST_DATABASE_URL").map_or(true, |u| u.is_empty()) {
            eprintln!("fault tests need PostgreSQL (TEST_DATABASE_URL): two replicas share it");
            return None;
        }
        let Options {
            common,
            applications: with_applications,
            postgres,
        } = options;
        let dir = tempfile::tempdir().expect("tempdir");
        let database = || async {
            let db = match postgres.as_deref() {
                Some(admin) => TestDatabase::create_on(Some(admin)).await,
                None => TestDatabase::create().await,
            }
            .expect("database");
            assert!(db.is_postgres());
            db
        };
        let url = |db: &TestDatabase| {
            use credit_platform::secret::ExposeSecret;
            db.config.database_url.expose_secret().to_string()
        };
        let process = |name: &str, binary: &str, env: Vec<(&str, String)>| {
            let env = env.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            Process::new(name, binary, env, &common, dir.path())
        };
        let mut databases = Vec::new();

        let limits_db = database().await;
        let limits_database_url = url(&limits_db);
        let limits_env = vec![
            ("DATABASE_URL", url(&limits_db)),
            ("DATABASE_MAX_CONNECTIONS", "8".to_string()),
            ("LIMITS_EXPIRY_SWEEP_SECS", "1".to_string()),
        ];
        databases.push(limits_db);
        let mut limits = vec![
            process("limits-1", "credit-limits", limits_env.clone()),
            process("limits-2", "credit-limits", limits_env),
        ];
        for replica in &mut limits {
            replica.start().await;
        }
        let replicas = format!("http://{},{}", limits[0].addr(), limits[1].addr());
        let mut upstreams = vec![format!("credit.limits.v1={replicas}")];

        let (mut scoring, mut applications) = (None, None);
        if with_applications {
            let scoring_db = database().await;
            let mut started = process(
                "scoring",
                "credit-scoring",
                vec![
                    ("DATABASE_URL", url(&scoring_db)),
                    ("DATABASE_MAX_CONNECTIONS", "4".to_string()),
                    ("SCORING_LIMITS_URL", replicas.clone()),
                ],
            );
            databases.push(scoring_db);
            started.start().await;
            let scoring_url = format!("http://{}", started.addr());
            upstreams.push(format!("credit.scoring.v1={scoring_url}"));
            scoring = Some(started);

            let applications_db = database().await;
            let mut started = process(
                "applications",
                "credit-applications",
                vec![
                    ("DATABASE_URL", url(&applications_db)),
                    ("DATABASE_MAX_CONNECTIONS", "4".to_string()),
                    (
                        "APPLICATIONS_ENCRYPTION_KEY",
                        credit_applications::sealing::generate_key(),
                    ),
                    ("APPLICATIONS_SCORING_URL", scoring_url),
                    ("APPLICATIONS_LIMITS_URL", replicas.clone()),
                    (
                        "APPLICATIONS_DOCUMENT_DIR",
                        dir.path().join("documents").display().to_string(),
                    ),
                ],
            );
            databases.push(applications_db);
            started.start().await;
            upstreams.push(format!("credit.applications.v1=http://{}", started.addr()));
            applications = Some(started);
        }

        let audit_db = database().await;
        let (signing_key, _) = credit_audit::domain::checkpoint::generate_key("faults");
        let mut audit = process(
            "audit",
            "credit-audit",
            vec![
                ("DATABASE_URL", url(&audit_db)),
                ("DATABASE_MAX_CONNECTIONS", "4".to_string()),
                ("AUDIT_SOURCES", format!("limits={replicas}")),
                ("AUDIT_SIGNING_KEY", signing_key),
                ("AUDIT_CHECKPOINT_INTERVAL_MS", "200".to_string()),
            ],
        );
        databases.push(audit_db);
        audit.start().await;
        upstreams.push(format!("credit.audit.v1=http://{}", audit.addr()));

        let upstreams = upstreams.join(",");
        let mut gateways = Vec::new();
        for n in 1..=2 {
            let mut gateway = process(
                &format!("gateway-{n}"),
                "credit-gateway",
                vec![("GATEWAY_UPSTREAMS", upstreams.clone())],
            );
            gateway.start().await;
            gateways.push(gateway);
        }
        let token = credit_platform::auth::mint_hs256_token(
            SECRET,
            "fault-tests",
            &[credit_platform::auth::roles::ADMIN],
            Duration::from_secs(3600),
        )
        .expect("token");
        Some(Self {
            limits,
            audit,
            gateways,
            scoring,
            applications,
            token,
            _dir: dir,
            limits_database_url,
            _databases: databases,
        })
    }

    /// A channel over both gateways, as the sales-order service would hold one (balanced, a
    /// gateway that stops is ejected).
    pub fn channel(&self) -> tonic::transport::Channel {
        let url = format!(
            "http://{}",
            self.gateways
                .iter()
                .map(Process::addr)
                .collect::<Vec<_>>()
                .join(",")
        );
        credit_platform::client::channel(&url, Duration::from_secs(1)).expect("channel")
    }

    /// Every process's log tail (for a failed assertion).
    pub fn logs(&self) -> String {
        self.limits
            .iter()
            .chain(&self.scoring)
            .chain(&self.applications)
            .chain(std::iter::once(&self.audit))
            .chain(&self.gateways)
            .map(|p| format!("--- {}\n{}", p.name, p.log_tail()))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A token of the applications service's identity, the only one limits takes limit changes
/// from.
pub fn limit_setter_token() -> String {
    credit_platform::auth::mint_hs256_token(
        SECRET,
        "service:applications",
        &[credit_platform::auth::roles::APPLICATIONS_SERVICE],
        Duration::from_secs(3600),
    )
    .expect("token")
}
