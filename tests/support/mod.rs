//! A running suite for the journeys: every service on its own database (PostgreSQL when
//! TEST_DATABASE_URL is set, SQLite files otherwise), reached through the gateway.
#![allow(dead_code)]
use credit_platform::auth::FeedOf;
use credit_platform::server::Shutdown;
use credit_platform::testing::TestDatabase;
use credit_proto::event::event_feed_service_client::EventFeedServiceClient;
use credit_proto::event::{Event, StreamEventsRequest};
use futures::StreamExt;

pub mod applications;
use std::time::Duration;
use tonic::transport::Channel;

/// The services whose feeds the suite serves.
pub const FEEDS: [&str; 4] = ["limits", "scoring", "applications", "collections"];

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
        let channel = suite.gateway_channel().expect("gateway channel");
        credit_platform::testing::wait_serving_on(channel.clone(), &suite.gateway_url()).await;
        Self {
            suite,
            channel,
            shutdown,
            dir,
            _databases: databases,
        }
    }

    /// Creates the credit account `customer_id` (EUR, key account, EMEA) through the gateway.
    pub async fn create_account(&self, customer_id: &str, name: &str) {
        use credit_proto::limits as pb;
        let mut limits = pb::limits_service_client::LimitsServiceClient::with_interceptor(
            self.channel.clone(),
            self.token(),
        );
        limits
            .create_credit_account(pb::CreateCreditAccountRequest {
                credit_account: Some(pb::CreditAccount {
                    customer_id: customer_id.into(),
                    name: name.into(),
                    currency_code: "EUR".into(),
                    segment: "KEY_ACCOUNT".into(),
                    region: "EMEA".into(),
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
            })
            .await
            .expect("account");
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

    /// Limits through the gateway as the applications service, the only identity limits takes
    /// limit changes and releases from.
    pub fn limit_setter(
        &self,
    ) -> credit_proto::limits::limits_service_client::LimitsServiceClient<
        tonic::service::interceptor::InterceptedService<
            Channel,
            credit_platform::auth::BearerToken,
        >,
    > {
        credit_proto::limits::limits_service_client::LimitsServiceClient::with_interceptor(
            self.channel.clone(),
            self.token_for(
                "service:applications",
                &[credit_platform::auth::roles::APPLICATIONS_SERVICE],
            ),
        )
    }

    /// Every event on `source`'s feed so far, read through the gateway.
    pub async fn backlog(&self, source: &str) -> Result<Vec<Event>, tonic::Status> {
        let mut feed = EventFeedServiceClient::with_interceptor(
            self.channel.clone(),
            FeedOf {
                token: self.token(),
                source: source.into(),
            },
        );
        let stream = feed
            .stream_events(StreamEventsRequest {
                after_sequence: 0,
                backlog_only: true,
            })
            .await?
            .into_inner();
        stream
            .map(|item| item.map(|r| r.event.expect("event")))
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect()
    }

    /// Checks that every event on every feed carries its payload as a message of its
    /// producer's package (or a shared `credit.type.v1` one) and that its JSON is that
    /// message's, rendered through the descriptor pool. Returns how many event types it saw.
    pub async fn assert_every_event_is_typed(&self) -> usize {
        let mut types = std::collections::BTreeSet::new();
        for source in FEEDS {
            for event in self.backlog(source).await.expect(source) {
                let typed = event
                    .payload
                    .as_ref()
                    .unwrap_or_else(|| panic!("{} has no typed payload", event.event_type));
                let name = typed.type_url.rsplit('/').next().unwrap_or_default();
                assert!(
                    name.starts_with(&format!("credit.{source}.v1."))
                        || name.starts_with("credit.type.v1."),
                    "{}: payload {name} is not {source}'s",
                    event.event_type
                );
                assert_eq!(
                    credit_proto::json::any(typed).expect("renders"),
                    event.payload_json,
                    "{}",
                    event.event_type
                );
                types.insert(event.event_type);
            }
        }
        types.len()
    }

    /// Every service behind the gateway refuses a plaintext client and a TLS client without a
    /// certificate (a suite started with `tls`).
    pub async fn assert_services_demand_client_certificates(&self) {
        use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
        let tls = self.suite.tls.as_ref().expect("a suite over TLS");
        let ca = std::fs::read(&tls.ca).expect("ca");
        for service in &self.suite.services {
            let plaintext = Channel::from_shared(format!("http://{}", service.addr))
                .expect("uri")
                .connect_lazy();
            let without_certificate =
                Channel::from_shared(format!("https://localhost:{}", service.addr.port()))
                    .expect("uri")
                    .tls_config(
                        tonic::transport::ClientTlsConfig::new()
                            .domain_name("localhost")
                            .ca_certificate(tonic::transport::Certificate::from_pem(&ca)),
                    )
                    .expect("tls")
                    .connect_lazy();
            for (how, channel) in [
                ("plaintext", plaintext),
                ("without a certificate", without_certificate),
            ] {
                let mut request = tonic::Request::new(HealthCheckRequest::default());
                request.set_timeout(Duration::from_secs(2));
                let answer = HealthClient::new(channel).check(request).await;
                assert!(answer.is_err(), "{} answered a client {how}", service.name);
            }
        }
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

/// The Prometheus text the suite's admin server answers on /metrics.
pub async fn metrics_text(admin: std::net::SocketAddr) -> String {
    admin_get(admin, "/metrics").await
}

/// The whole HTTP answer (status line, headers, body) of the admin server to GET `path`.
pub async fn admin_get(admin: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(admin).await.expect("admin");
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .expect("request");
    let mut body = String::new();
    stream.read_to_string(&mut body).await.expect("response");
    body
}
