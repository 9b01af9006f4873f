//! Running limits and audit side by side on their own databases, as in production.
#![allow(dead_code)]
use credit_audit::domain::checkpoint::generate_key;
use credit_audit::{AuditConfig, Source};
use credit_platform::auth::{AuthConfig, BearerToken, mint_hs256_token, roles};
use credit_platform::clock::SystemClock;
use credit_platform::testing::{TestDatabase, TestServer};
use credit_proto::audit::audit_service_client::AuditServiceClient;
use credit_proto::limits as pb;
use credit_proto::limits::limits_service_client::LimitsServiceClient;
use credit_proto::types::Money;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

pub const SECRET: &str = "audit-integration-secret-0123456789abcdef";

pub type LimitsClient = LimitsServiceClient<InterceptedService<Channel, BearerToken>>;
pub type AuditClient = AuditServiceClient<InterceptedService<Channel, BearerToken>>;

pub fn token(subject: &str, token_roles: &[&str]) -> Option<String> {
    Some(mint_hs256_token(SECRET, subject, token_roles, Duration::from_secs(600)).expect("token"))
}

fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect_lazy()
}

pub struct Running {
    pub addr: SocketAddr,
    server: TestServer,
}

impl Running {
    fn new(server: TestServer) -> Self {
        Self {
            addr: server.addr,
            server,
        }
    }

    pub async fn stop(self) {
        self.server.stop().await.expect("clean stop");
    }
}

pub async fn start_limits(db: &TestDatabase, addr: Option<SocketAddr>) -> Running {
    let mut config = credit_limits::LimitsConfig::new(db.config.clone(), AuthConfig::hs256(SECRET));
    config.shutdown_drain_secs = 2;
    let serve = |listener, shutdown| {
        credit_limits::serve(config, Arc::new(SystemClock), listener, shutdown)
    };
    Running::new(match addr {
        Some(addr) => TestServer::start_on(addr, serve).await,
        None => TestServer::start(serve).await,
    })
}

pub struct AuditSetup {
    pub signing_key: String,
    pub verifier_key: String,
}

impl AuditSetup {
    pub fn generate() -> Self {
        let (signing_key, verifier_key) = generate_key("audit.test");
        Self {
            signing_key,
            verifier_key,
        }
    }
}

pub async fn start_audit(db: &TestDatabase, setup: &AuditSetup, limits: SocketAddr) -> Running {
    let mut config = AuditConfig::new(
        db.config.clone(),
        AuthConfig::hs256(SECRET),
        vec![Source {
            name: "limits".into(),
            url: format!("http://{limits}"),
        }],
        setup.signing_key.clone(),
    );
    config.checkpoint_interval_ms = 20;
    config.lag_probe_secs = 1;
    config.shutdown_drain_secs = 2;
    Running::new(
        TestServer::start(|listener, shutdown| {
            credit_audit::serve(config, Arc::new(SystemClock), listener, shutdown)
        })
        .await,
    )
}

pub fn limits_client(addr: SocketAddr, subject: &str, token_roles: &[&str]) -> LimitsClient {
    LimitsServiceClient::with_interceptor(channel(addr), BearerToken(token(subject, token_roles)))
}

pub fn audit_client(addr: SocketAddr, subject: &str, token_roles: &[&str]) -> AuditClient {
    AuditServiceClient::with_interceptor(channel(addr), BearerToken(token(subject, token_roles)))
}

pub fn auditor(addr: SocketAddr) -> AuditClient {
    audit_client(addr, "ines.auditor", &[roles::AUDITOR])
}

/// Polls `condition` every 20 ms for up to 30 s: audit works asynchronously behind the feeds.
pub async fn eventually<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..1500 {
        if condition().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
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

/// Creates an account (as a manager) with a limit (set as the applications service sets it,
/// the approver named) in the limits server at `limits`.
pub async fn onboard(limits: SocketAddr, id: &str, limit: &str) {
    let mut c = limits_client(limits, "marie.manager", &[roles::MANAGER]);
    c.create_credit_account(pb::CreateCreditAccountRequest {
        credit_account: Some(pb::CreditAccount {
            customer_id: id.into(),
            name: format!("{id} GmbH"),
            currency_code: "EUR".into(),
            segment: "SME".into(),
            region: "EMEA".into(),
            ..Default::default()
        }),
        request_id: rid(),
    })
    .await
    .expect("create");
    let mut setter = limits_client(
        limits,
        "service:applications",
        &[roles::APPLICATIONS_SERVICE],
    );
    setter
        .set_credit_limit(pb::SetCreditLimitRequest {
            customer_id: id.into(),
            credit_limit: Some(pb::CreditLimit {
                mode: pb::LimitMode::Amount as i32,
                amount: eur(limit),
                ..Default::default()
            }),
            reason: "onboarding".into(),
            request_id: rid(),
            approved_by: vec!["marie.manager".into()],
            approval_reference: format!("APP-{id}"),
        })
        .await
        .expect("limit");
}

pub async fn check(c: &mut LimitsClient, customer: &str, order: &str, amount: &str) -> i32 {
    c.check_credit(pb::CheckCreditRequest {
        customer_id: customer.into(),
        order_id: order.into(),
        amount: eur(amount),
        request_id: rid(),
        ..Default::default()
    })
    .await
    .expect("check")
    .into_inner()
    .outcome
}

/// The whole limits feed, straight from limits.
pub async fn limits_feed(addr: SocketAddr) -> Vec<credit_proto::event::Event> {
    use credit_proto::event::event_feed_service_client::EventFeedServiceClient;
    use futures::StreamExt;
    let token = mint_hs256_token(
        SECRET,
        "ines.auditor",
        &[roles::AUDITOR],
        Duration::from_secs(600),
    )
    .expect("token");
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect_lazy();
    let mut c = EventFeedServiceClient::with_interceptor(channel, BearerToken(Some(token)));
    c.stream_events(credit_proto::event::StreamEventsRequest {
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

/// Every audit entry, oldest first.
pub async fn all_entries(c: &mut AuditClient) -> Vec<credit_proto::audit::AuditEntry> {
    let mut entries = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = c
            .list_audit_entries(credit_proto::audit::ListAuditEntriesRequest {
                page_size: 1000,
                page_token: page_token.clone(),
                ..Default::default()
            })
            .await
            .expect("list")
            .into_inner();
        entries.extend(page.entries);
        if page.next_page_token.is_empty() {
            return entries;
        }
        page_token = page.next_page_token;
    }
}

/// Waits until audit holds exactly `count` entries and a checkpoint covers them.
pub async fn wait_recorded(c: &AuditClient, count: usize) {
    eventually(&format!("{count} entries checkpointed"), || {
        let mut c = c.clone();
        async move {
            let Ok(checkpoint) = c
                .get_checkpoint(credit_proto::audit::GetCheckpointRequest { tree_size: 0 })
                .await
            else {
                return false;
            };
            let size = checkpoint
                .into_inner()
                .checkpoint
                .map_or(0, |c| c.tree_size);
            size as usize == count
        }
    })
    .await;
}
