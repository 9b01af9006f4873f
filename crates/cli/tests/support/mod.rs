//! A development suite in the test process and `creditctl` run against it as a user would.
#![allow(dead_code)]
use credit_platform::server::Shutdown;
use credit_platform::testing::TestDatabase;
use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

/// A running suite with its own data directory and databases.
pub struct Suite {
    pub dir: tempfile::TempDir,
    gateway: String,
    shutdown: Shutdown,
    stopped: tokio::task::JoinHandle<anyhow::Result<()>>,
    _databases: Vec<TestDatabase>,
}

impl Suite {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let limits = TestDatabase::create().await.expect("db");
        let scoring = TestDatabase::create().await.expect("db");
        let audit = TestDatabase::create().await.expect("db");
        let applications = TestDatabase::create().await.expect("db");
        let collections = TestDatabase::create().await.expect("db");
        let shutdown = Shutdown::new();
        let suite = credit_suite::start(
            credit_suite::SuiteConfig {
                limits_database_url: Some(limits.config.database_url.clone()),
                scoring_database_url: Some(scoring.config.database_url.clone()),
                audit_database_url: Some(audit.config.database_url.clone()),
                applications_database_url: Some(applications.config.database_url.clone()),
                collections_database_url: Some(collections.config.database_url.clone()),
                audit_checkpoint_interval_ms: 50,
                ..credit_suite::SuiteConfig::ephemeral(dir.path())
            },
            shutdown.clone(),
        )
        .await
        .expect("suite");
        let this = Self {
            dir,
            gateway: format!("http://{}", suite.gateway_addr),
            shutdown,
            stopped: suite.stopped,
            _databases: vec![limits, scoring, audit, applications, collections],
        };
        // Until every service has migrated, the gateway answers UNAVAILABLE.
        credit_platform::testing::wait_serving(&this.gateway).await;
        this
    }

    /// Runs `creditctl args…` against the suite.
    pub async fn run(&self, args: &[&str]) -> Output {
        let gateway = self.gateway.clone();
        let data: PathBuf = self.dir.path().to_path_buf();
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_creditctl"))
                .arg("--gateway")
                .arg(gateway)
                .arg("--data-dir")
                .arg(data)
                .args(args)
                .output()
                .expect("creditctl runs")
        })
        .await
        .expect("join")
    }

    /// Runs and expects success; gives standard output.
    pub async fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args).await;
        assert!(
            output.status.success(),
            "creditctl {args:?} failed: {}\n{}",
            stdout(&output),
            String::from_utf8_lossy(&output.stderr)
        );
        stdout(&output)
    }

    /// A token for `subject` with `roles` (comma-separated), minted by `creditctl token`.
    pub async fn token(&self, subject: &str, roles: &str) -> String {
        self.ok(&["token", "--subject", subject, "--roles", roles])
            .await
            .trim()
            .to_string()
    }

    pub async fn stop(self) {
        self.shutdown.trigger();
        tokio::time::timeout(Duration::from_secs(30), self.stopped)
            .await
            .expect("stops")
            .expect("join")
            .expect("clean");
    }
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}
