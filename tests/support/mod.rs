//! A running suite for the journeys: every service on its own database (PostgreSQL when
//! TEST_DATABASE_URL is set, SQLite files otherwise), reached through the gateway.
#![allow(dead_code)]
use credit_platform::server::Shutdown;
use credit_platform::testing::TestDatabase;
use std::time::Duration;
use tonic::transport::Channel;

pub struct Journey {
    pub suite: credit_suite::RunningSuite,
    pub channel: Channel,
    pub shutdown: Shutdown,
    pub dir: tempfile::TempDir,
    _databases: Vec<TestDatabase>,
}

impl Journey {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A suite whose configuration `adjust` changes first (an SMTP server…).
    pub async fn start_with(adjust: impl FnOnce(&mut credit_suite::SuiteConfig)) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut databases = Vec::new();
        for _ in 0..5 {
            databases.push(TestDatabase::create().await.expect("database"));
        }
        // On SQLite the suite keeps its own files in the data directory.
        let url = |i: usize| {
            let db: &TestDatabase = &databases[i];
            db.is_postgres().then(|| db.config.database_url.clone())
        };
        let mut config = credit_suite::SuiteConfig {
            limits_database_url: url(0),
            scoring_database_url: url(1),
            audit_database_url: url(2),
            applications_database_url: url(3),
            collections_database_url: url(4),
            audit_checkpoint_interval_ms: 50,
            ..credit_suite::SuiteConfig::ephemeral(dir.path())
        };
        adjust(&mut config);
        let shutdown = Shutdown::new();
        let suite = credit_suite::start(config, shutdown.clone())
            .await
            .expect("suite starts");
        let channel = Channel::from_shared(format!("http://{}", suite.gateway_addr))
            .expect("uri")
            .connect_lazy();
        credit_platform::testing::wait_serving(&format!("http://{}", suite.gateway_addr)).await;
        Self {
            suite,
            channel,
            shutdown,
            dir,
            _databases: databases,
        }
    }

    pub fn token(&self) -> credit_platform::auth::BearerToken {
        credit_platform::auth::BearerToken(Some(self.suite.token.clone()))
    }

    /// A token for `subject` with `roles`, signed with the suite's secret.
    pub fn token_for(&self, subject: &str, roles: &[&str]) -> credit_platform::auth::BearerToken {
        credit_platform::auth::BearerToken(Some(
            credit_platform::auth::mint_hs256_token(
                &self.suite.secret,
                subject,
                roles,
                Duration::from_secs(600),
            )
            .expect("token"),
        ))
    }

    pub async fn stop(self) {
        self.shutdown.trigger();
        tokio::time::timeout(Duration::from_secs(30), self.suite.stopped)
            .await
            .expect("drains in time")
            .expect("join")
            .expect("clean stop");
    }
}
