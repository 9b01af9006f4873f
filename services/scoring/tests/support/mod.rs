//! A scoring server on its own database, with clients and helpers.
#![allow(dead_code)]
use credit_platform::auth::{AuthConfig, BearerToken, mint_hs256_token, roles};
use credit_platform::clock::ManualClock;
use credit_platform::testing::{TestDatabase, TestServer};
use credit_proto::event::StreamEventsRequest;
use credit_proto::event::event_feed_service_client::EventFeedServiceClient;
use credit_proto::scoring as pb;
use credit_proto::scoring::scoring_service_client::ScoringServiceClient;
use credit_proto::types::Money;
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic_types::StatusExt;

pub const SECRET: &str = "scoring-integration-secret-0123456789abcdef";
pub const START: i64 = 1_772_323_200_000_000;

pub type Client = ScoringServiceClient<InterceptedService<Channel, BearerToken>>;

pub struct App {
    pub channel: Channel,
    pub clock: ManualClock,
    server: TestServer,
    _db: TestDatabase,
}

impl App {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A server whose configuration `adjust` changes first (bureau providers, model…).
    pub async fn start_with(adjust: impl FnOnce(&mut credit_scoring::ScoringConfig)) -> Self {
        let db = TestDatabase::create().await.expect("db");
        Self::start_on_with(db, adjust).await
    }

    /// A server on a database the test prepared (rows of an earlier version, say).
    pub async fn start_on(db: TestDatabase) -> Self {
        Self::start_on_with(db, |_| {}).await
    }

    async fn start_on_with(
        db: TestDatabase,
        adjust: impl FnOnce(&mut credit_scoring::ScoringConfig),
    ) -> Self {
        let mut config =
            credit_scoring::ScoringConfig::new(db.config.clone(), AuthConfig::hs256(SECRET));
        adjust(&mut config);
        let clock = ManualClock::new(START);
        let server = {
            let clock = Arc::new(clock.clone());
            TestServer::start(|listener, shutdown| {
                credit_scoring::serve(config, clock, listener, shutdown)
            })
            .await
        };
        Self {
            channel: server.channel.clone(),
            clock,
            server,
            _db: db,
        }
    }

    pub fn client(&self, subject: &str, token_roles: &[&str]) -> Client {
        let token = mint_hs256_token(SECRET, subject, token_roles, Duration::from_secs(600))
            .expect("token");
        ScoringServiceClient::with_interceptor(self.channel.clone(), BearerToken(Some(token)))
    }

    pub fn analyst(&self) -> Client {
        self.client("ana.analyst", &[roles::ANALYST])
    }

    pub async fn events(&self) -> Vec<credit_proto::event::Event> {
        let token = mint_hs256_token(
            SECRET,
            "auditor",
            &[roles::AUDITOR],
            Duration::from_secs(600),
        )
        .expect("token");
        EventFeedServiceClient::with_interceptor(self.channel.clone(), BearerToken(Some(token)))
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

    pub async fn stop(self) {
        let _ = self.server.stop().await;
    }
}

/// A limits server (same token secret) on its own database: where stress scenarios read
/// exposure.
pub struct Limits {
    pub url: String,
    pub channel: Channel,
    server: TestServer,
    _db: TestDatabase,
}

impl Limits {
    pub async fn start() -> Self {
        let db = TestDatabase::create().await.expect("db");
        let config = credit_limits::LimitsConfig::new(db.config.clone(), AuthConfig::hs256(SECRET));
        let server = TestServer::start(|listener, shutdown| {
            credit_limits::serve(
                config,
                Arc::new(ManualClock::new(START)),
                listener,
                shutdown,
            )
        })
        .await;
        Self {
            url: server.url.clone(),
            channel: server.channel.clone(),
            server,
            _db: db,
        }
    }

    pub fn manager(
        &self,
    ) -> credit_proto::limits::limits_service_client::LimitsServiceClient<
        InterceptedService<Channel, BearerToken>,
    > {
        let token = mint_hs256_token(
            SECRET,
            "max.manager",
            &[roles::MANAGER],
            Duration::from_secs(600),
        )
        .expect("token");
        credit_proto::limits::limits_service_client::LimitsServiceClient::with_interceptor(
            self.channel.clone(),
            BearerToken(Some(token)),
        )
    }

    pub async fn stop(self) {
        let _ = self.server.stop().await;
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

pub fn statement() -> pb::FinancialStatement {
    pb::FinancialStatement {
        period_end: credit_platform::clock::parse_date("2025-12-31")
            .map(credit_platform::calendar::date),
        currency_code: "EUR".into(),
        revenue: "8000000".into(),
        ebit: "900000".into(),
        net_income: "600000".into(),
        interest_expense: "50000".into(),
        total_assets: "4000000".into(),
        current_assets: "2400000".into(),
        cash: "600000".into(),
        inventory: "700000".into(),
        receivables: "900000".into(),
        intangible_assets: "200000".into(),
        total_liabilities: "1600000".into(),
        current_liabilities: "1000000".into(),
        retained_earnings: "1500000".into(),
        equity: "2400000".into(),
    }
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

pub async fn onboard(c: &mut Client, customer: &str) {
    c.put_financial_statement(pb::PutFinancialStatementRequest {
        customer_id: customer.into(),
        statement: Some(statement()),
        request_id: rid(),
    })
    .await
    .expect("statement");
    c.put_bureau_report(pb::PutBureauReportRequest {
        customer_id: customer.into(),
        report: Some(pb::BureauReport {
            provider: "manual".into(),
            years_in_business: "35".into(),
            employees: "120".into(),
            industry: "M".into(),
            failure_score: "92".into(),
            payment_index: "82".into(),
            ..Default::default()
        }),
        request_id: rid(),
    })
    .await
    .expect("bureau");
    c.put_references(pb::PutReferencesRequest {
        customer_id: customer.into(),
        references: vec![pb::Reference {
            kind: pb::ReferenceKind::Trade.into(),
            source: "Supplier AG".into(),
            days_beyond_terms: "0".into(),
            highest_credit: eur("50000"),
            years_known: "8".into(),
        }],
        request_id: rid(),
    })
    .await
    .expect("references");
    c.put_payment_behaviour(pb::PutPaymentBehaviourRequest {
        customer_id: customer.into(),
        payment_behaviour: Some(pb::PaymentBehaviour {
            average_days_beyond_terms: "1".into(),
            share_paid_late: "0.02".into(),
            disputes: 0,
            broken_promises: 0,
        }),
        request_id: rid(),
    })
    .await
    .expect("payment");
}
