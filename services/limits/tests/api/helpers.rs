use credit_limits::LimitsConfig;
use credit_platform::auth::{AuthConfig, BearerToken, mint_hs256_token, roles};
use credit_platform::clock::ManualClock;
use credit_platform::db::DatabaseConfig;
use credit_platform::testing::{TestDatabase, TestServer};
use credit_proto::event::event_feed_service_client::EventFeedServiceClient;
use credit_proto::limits as pb;
use credit_proto::limits::limits_service_client::LimitsServiceClient;
use credit_proto::types::Money;
use std::sync::Arc;
use std::time::Duration;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

pub const SECRET: &str = "integration-test-secret-0123456789abcdef";
/// 2026-03-01T00:00:00Z.
pub const START: i64 = 1_772_323_200_000_000;
pub const DAY: i64 = 86_400_000_000;

pub type Client = LimitsServiceClient<InterceptedService<Channel, BearerToken>>;
pub type FeedClient = EventFeedServiceClient<InterceptedService<Channel, BearerToken>>;

pub struct TestApp {
    pub client: Client,
    pub clock: ManualClock,
    pub channel: Channel,
    pub server: TestServer,
    pub db: Arc<TestDatabase>,
}

impl TestApp {
    /// A client whose token carries only `roles` (or no token at all with `None`).
    pub fn client_as(&self, subject: &str, token_roles: Option<&[&str]>) -> Client {
        let token = token_roles.map(|r| {
            mint_hs256_token(SECRET, subject, r, Duration::from_secs(600)).expect("token")
        });
        LimitsServiceClient::with_interceptor(self.channel.clone(), BearerToken(token))
    }

    /// A client with the applications service's identity, the only one that sets limits and
    /// releases orders.
    pub fn limit_setter(&self) -> Client {
        self.client_as("service:applications", Some(&[roles::APPLICATIONS_SERVICE]))
    }

    /// Limits' event feed, as the "tester" administrator reads it.
    pub fn feed(&self) -> FeedClient {
        let token = mint_hs256_token(SECRET, "tester", &[roles::ADMIN], Duration::from_secs(600))
            .expect("token");
        EventFeedServiceClient::with_interceptor(self.channel.clone(), BearerToken(Some(token)))
    }

    pub async fn stop(self) {
        let _ = self.server.stop().await;
    }
}

pub async fn spawn_app() -> TestApp {
    let db = Arc::new(TestDatabase::create().await.expect("test database"));
    spawn_app_on(db).await
}

/// A server on an existing database (a second replica when the database is shared).
pub async fn spawn_app_on(db: Arc<TestDatabase>) -> TestApp {
    spawn_with(db, ManualClock::new(START)).await
}

pub async fn spawn_with(db: Arc<TestDatabase>, clock: ManualClock) -> TestApp {
    spawn_tuned(db, clock, |_| {}).await
}

/// A server whose settings `tune` changes from the tests' defaults.
pub async fn spawn_tuned(
    db: Arc<TestDatabase>,
    clock: ManualClock,
    tune: impl FnOnce(&mut LimitsConfig),
) -> TestApp {
    let mut database: DatabaseConfig = db.config.clone();
    database.database_max_connections = 8;
    let mut config = LimitsConfig::new(database, AuthConfig::hs256(SECRET));
    config.shutdown_drain_secs = 2;
    tune(&mut config);
    let server = {
        let clock = clock.clone();
        TestServer::start(|listener, shutdown| {
            credit_limits::serve(config, Arc::new(clock), listener, shutdown)
        })
        .await
    };
    let channel = server.channel.clone();
    let token = mint_hs256_token(SECRET, "tester", &[roles::ADMIN], Duration::from_secs(600))
        .expect("token");
    let client = LimitsServiceClient::with_interceptor(channel.clone(), BearerToken(Some(token)));
    TestApp {
        client,
        clock,
        channel,
        server,
        db,
    }
}

pub fn rid() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn money(amount: &str, currency: &str) -> Option<Money> {
    Some(Money {
        amount: amount.into(),
        currency_code: currency.into(),
    })
}

pub async fn create_account(
    client: &mut Client,
    customer_id: &str,
    parent: &str,
) -> pb::CreditAccount {
    create_account_in(client, customer_id, parent, "EUR").await
}

pub async fn create_account_in(
    client: &mut Client,
    customer_id: &str,
    parent: &str,
    currency: &str,
) -> pb::CreditAccount {
    client
        .create_credit_account(pb::CreateCreditAccountRequest {
            credit_account: Some(pb::CreditAccount {
                customer_id: customer_id.into(),
                name: format!("{customer_id} GmbH"),
                currency_code: currency.into(),
                segment: "SME".into(),
                region: "EMEA".into(),
                business_unit: "industrial".into(),
                parent_customer_id: parent.into(),
                ..Default::default()
            }),
            request_id: rid(),
        })
        .await
        .expect("create account")
        .into_inner()
}

pub fn amount_limit(amount: &str, currency: &str) -> pb::CreditLimit {
    pb::CreditLimit {
        mode: pb::LimitMode::Amount as i32,
        amount: money(amount, currency),
        ..Default::default()
    }
}

/// Sets the limit as limits takes it: from the applications service's identity, naming who
/// approved it.
pub async fn set_limit(
    app: &TestApp,
    customer_id: &str,
    limit: pb::CreditLimit,
) -> pb::CreditAccount {
    app.limit_setter()
        .set_credit_limit(pb::SetCreditLimitRequest {
            customer_id: customer_id.into(),
            credit_limit: Some(limit),
            reason: "annual review".into(),
            request_id: rid(),
            approved_by: vec!["max.manager".into(), "ada.director".into()],
            approval_reference: "APP-REVIEW-1".into(),
        })
        .await
        .expect("set limit")
        .into_inner()
}

pub fn check_request(
    customer_id: &str,
    order_id: &str,
    amount: &str,
    currency: &str,
) -> pb::CheckCreditRequest {
    pb::CheckCreditRequest {
        customer_id: customer_id.into(),
        order_id: order_id.into(),
        amount: money(amount, currency),
        request_id: rid(),
        reservation_ttl: None,
        dry_run: false,
        release: None,
    }
}

pub async fn check(
    client: &mut Client,
    customer_id: &str,
    order_id: &str,
    amount: &str,
) -> pb::CheckCreditResponse {
    client
        .check_credit(check_request(customer_id, order_id, amount, "EUR"))
        .await
        .expect("check")
        .into_inner()
}

pub fn outcome(response: &pb::CheckCreditResponse) -> pb::CheckOutcome {
    pb::CheckOutcome::try_from(response.outcome).expect("outcome")
}

pub fn reasons(response: &pb::CheckCreditResponse) -> Vec<pb::CheckReason> {
    response
        .reasons
        .iter()
        .map(|r| pb::CheckReason::try_from(*r).expect("reason"))
        .collect()
}

pub async fn exposure(client: &mut Client, customer_id: &str) -> pb::Exposure {
    client
        .get_exposure(pb::GetExposureRequest {
            customer_id: customer_id.into(),
            as_of_time: None,
        })
        .await
        .expect("exposure")
        .into_inner()
}

pub fn amount_of(money: &Option<Money>) -> String {
    money.as_ref().map(|m| m.amount.clone()).unwrap_or_default()
}
