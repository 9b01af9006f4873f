//! Limits, scoring and applications servers, each on its own database, with clients and a
//! complete application.
#![allow(dead_code)]
use credit_platform::auth::{AuthConfig, BearerToken, mint_hs256_token, roles};
use credit_platform::clock::ManualClock;
use credit_platform::testing::{TestDatabase, TestServer};
use credit_proto::applications as pb;
use credit_proto::applications::applications_service_client::ApplicationsServiceClient;
use credit_proto::event::StreamEventsRequest;
use credit_proto::event::event_feed_service_client::EventFeedServiceClient;
use credit_proto::limits::limits_service_client::LimitsServiceClient;
use credit_proto::scoring as spb;
use credit_proto::scoring::scoring_service_client::ScoringServiceClient;
use credit_proto::types::Money;
use futures::StreamExt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic_types::StatusExt;

pub const SECRET: &str = "applications-integration-secret-0123456789abcdef";
pub const START: i64 = 1_772_323_200_000_000;

type Authed = InterceptedService<Channel, BearerToken>;
pub type Client = ApplicationsServiceClient<Authed>;
pub type ScoringClient = ScoringServiceClient<Authed>;

/// One server and what stops it.
pub type Server = TestServer;

fn at(addr: &str) -> SocketAddr {
    addr.parse().expect("a socket address")
}

/// The three services.
pub struct Suite {
    pub limits: Option<Server>,
    pub limits_addr: SocketAddr,
    pub scoring: Server,
    pub applications: Server,
    pub clock: ManualClock,
    pub applications_db: TestDatabase,
    applications_config: credit_applications::ApplicationsConfig,
    pub documents: tempfile::TempDir,
    limits_db: TestDatabase,
    _scoring_db: TestDatabase,
}

pub fn token(subject: &str, token_roles: &[&str]) -> BearerToken {
    BearerToken(Some(
        mint_hs256_token(SECRET, subject, token_roles, Duration::from_secs(600)).expect("token"),
    ))
}

impl Suite {
    pub async fn start() -> Self {
        let clock = ManualClock::new(START);
        let limits_db = TestDatabase::create().await.expect("db");
        let limits = Self::serve_limits(&limits_db, &clock, "127.0.0.1:0").await;
        let limits_addr = limits.addr;
        let scoring_db = TestDatabase::create().await.expect("db");
        let scoring_config = credit_scoring::ScoringConfig::new(
            scoring_db.config.clone(),
            AuthConfig::hs256(SECRET),
        );
        let scoring_clock = clock.clone();
        let scoring = Server::start(move |l, s| {
            credit_scoring::serve(scoring_config, Arc::new(scoring_clock), l, s)
        })
        .await;
        let applications_db = TestDatabase::create().await.expect("db");
        let mut config = credit_applications::ApplicationsConfig::new(
            applications_db.config.clone(),
            AuthConfig::hs256(SECRET),
            credit_applications::sealing::generate_key(),
        );
        config.scoring_url = Some(format!("http://{}", scoring.addr));
        config.limits_url = Some(format!("http://{limits_addr}"));
        config.sweep_interval_ms = 20;
        let documents = tempfile::tempdir().expect("tempdir");
        config.document_dir = documents.path().to_path_buf();
        config.max_document_bytes = 256 * 1024;
        let applications = Self::serve_applications(&config, &clock, "127.0.0.1:0").await;
        Self {
            applications_config: config,
            limits: Some(limits),
            limits_addr,
            scoring,
            applications,
            clock,
            applications_db,
            documents,
            limits_db,
            _scoring_db: scoring_db,
        }
    }

    async fn serve_applications(
        config: &credit_applications::ApplicationsConfig,
        clock: &ManualClock,
        addr: &str,
    ) -> Server {
        let (config, clock) = (config.clone(), clock.clone());
        Server::start_on(at(addr), move |l, s| {
            credit_applications::serve(config, Arc::new(clock), l, s)
        })
        .await
    }

    /// The sealer applications uses (its configured key).
    pub fn sealer(&self) -> credit_applications::sealing::Sealer {
        self.applications_config.sealer().expect("the suite's key")
    }

    /// Stops applications, runs `while_down`, and starts it again at the same address on the
    /// same database.
    pub async fn restart_applications_after(
        mut self,
        while_down: impl Future<Output = ()>,
    ) -> Self {
        let addr = self.applications.addr.to_string();
        let _ = self.applications.stop().await;
        while_down.await;
        self.applications =
            Self::serve_applications(&self.applications_config, &self.clock, &addr).await;
        self
    }

    async fn serve_limits(db: &TestDatabase, clock: &ManualClock, addr: &str) -> Server {
        let config = credit_limits::LimitsConfig::new(db.config.clone(), AuthConfig::hs256(SECRET));
        let clock = clock.clone();
        Server::start_on(at(addr), move |l, s| {
            credit_limits::serve(config, Arc::new(clock), l, s)
        })
        .await
    }

    /// Stops limits (its database stays).
    pub async fn stop_limits(&mut self) {
        if let Some(limits) = self.limits.take() {
            let _ = limits.stop().await;
        }
    }

    /// Starts limits again at the same address on the same database.
    pub async fn restart_limits(&mut self) {
        let addr = self.limits_addr.to_string();
        self.limits = Some(Self::serve_limits(&self.limits_db, &self.clock, &addr).await);
    }

    pub fn client(&self, subject: &str, token_roles: &[&str]) -> Client {
        ApplicationsServiceClient::with_interceptor(
            self.applications.channel.clone(),
            token(subject, token_roles),
        )
    }

    pub fn sales(&self) -> Client {
        self.client("sam.sales", &[roles::SALES_ORDER])
    }

    pub fn limits_client(&self) -> LimitsServiceClient<Authed> {
        let channel = Channel::from_shared(format!("http://{}", self.limits_addr))
            .expect("uri")
            .connect_lazy();
        LimitsServiceClient::with_interceptor(channel, token("max.manager", &[roles::MANAGER]))
    }

    /// Limits as the applications service (the only identity that sets limits there): for
    /// limits set outside the application under test.
    pub fn limit_setter_client(&self) -> LimitsServiceClient<Authed> {
        let channel = Channel::from_shared(format!("http://{}", self.limits_addr))
            .expect("uri")
            .connect_lazy();
        LimitsServiceClient::with_interceptor(
            channel,
            token("service:applications", &[roles::APPLICATIONS_SERVICE]),
        )
    }

    pub fn scoring_client(&self) -> ScoringClient {
        ScoringServiceClient::with_interceptor(
            self.scoring.channel.clone(),
            token("ana.analyst", &[roles::ANALYST]),
        )
    }

    /// What a bureau provider would have told scoring about a sound company.
    pub async fn bureau(&self, customer_id: &str) {
        self.scoring_client()
            .put_bureau_report(spb::PutBureauReportRequest {
                customer_id: customer_id.into(),
                report: Some(spb::BureauReport {
                    provider: "manual".into(),
                    years_in_business: "35".into(),
                    employees: "120".into(),
                    industry: "G".into(),
                    failure_score: "92".into(),
                    payment_index: "82".into(),
                    ..Default::default()
                }),
                request_id: rid(),
            })
            .await
            .expect("bureau");
    }

    pub async fn events(&self) -> Vec<credit_proto::event::Event> {
        self.events_as("auditor", roles::AUDITOR).await
    }

    /// The applications feed as `subject` with `role` reads it.
    pub async fn events_as(&self, subject: &str, role: &str) -> Vec<credit_proto::event::Event> {
        EventFeedServiceClient::with_interceptor(
            self.applications.channel.clone(),
            token(subject, &[role]),
        )
        .stream_events(StreamEventsRequest {
            after_sequence: 0,
            backlog_only: true,
        })
        .await
        .expect("feed")
        .into_inner()
        .map(|e| e.expect("event").event.expect("event"))
        .collect()
        .await
    }

    /// Waits (real time: delivery retries are operational, not business time) until the
    /// application's limit setting reaches `state`.
    pub async fn wait_limit_setting(
        &self,
        application_id: &str,
        state: pb::LimitSettingState,
    ) -> pb::Application {
        let mut c = self.client("vic.viewer", &[roles::VIEWER]);
        for _ in 0..300 {
            let app = c
                .get_application(pb::GetApplicationRequest {
                    application_id: application_id.into(),
                })
                .await
                .expect("get")
                .into_inner();
            if app
                .limit_setting
                .as_ref()
                .is_some_and(|l| l.state() == state)
            {
                return app;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the limit setting of {application_id} never reached {state:?}");
    }

    /// A sound customer approved automatically for 40 000 EUR, its limit in place in limits.
    pub async fn approved_customer(&self, customer_id: &str) -> pb::Application {
        self.bureau(customer_id).await;
        let mut sales = self.sales();
        let id = create(
            &mut sales,
            application(customer_id, "FR40303265045", "40000"),
        )
        .await;
        let approved = submit(&mut sales, &id).await;
        assert_eq!(approved.state(), pb::ApplicationState::Approved);
        self.wait_limit_setting(&id, pb::LimitSettingState::Done)
            .await
    }

    pub async fn stop(mut self) {
        self.stop_limits().await;
        let _ = self.applications.stop().await;
        let _ = self.scoring.stop().await;
    }
}

pub fn rid() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn eur(amount: &str) -> Option<Money> {
    Some(Money {
        amount: amount.into(),
        currency_code: "EUR".into(),
    })
}

pub fn fields(status: tonic::Status) -> Vec<String> {
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    status
        .get_details_bad_request()
        .expect("bad request details")
        .field_violations
        .into_iter()
        .map(|v| v.field)
        .collect()
}

// The sample applicant lives with the service, shared with the suite's journeys, fault tests
// and benchmarks. (Not every test binary uses both.)
#[allow(unused_imports)]
pub use credit_applications::testing::{
    sound_application as application, sound_statement as statement,
};

/// Creates `app` as a draft and answers its id.
pub async fn create(c: &mut Client, app: pb::Application) -> String {
    c.create_application(pb::CreateApplicationRequest {
        application: Some(app),
        request_id: rid(),
    })
    .await
    .expect("create")
    .into_inner()
    .application_id
}

pub async fn submit(c: &mut Client, application_id: &str) -> pb::Application {
    c.submit_application(pb::SubmitApplicationRequest {
        application_id: application_id.into(),
        request_id: rid(),
    })
    .await
    .expect("submit")
    .into_inner()
}

pub async fn approve(
    c: &mut Client,
    application_id: &str,
) -> Result<pb::Application, tonic::Status> {
    c.approve_application(pb::ApproveApplicationRequest {
        application_id: application_id.into(),
        request_id: rid(),
        ..Default::default()
    })
    .await
    .map(tonic::Response::into_inner)
}

/// A wire enum value's short name ("" for unspecified).
pub fn named<E: credit_proto::ShortName>(value: i32) -> &'static str {
    credit_proto::short_name::<E>(value).unwrap_or_default()
}
