//! A collections server on its own database, with clients and helpers.
#![allow(dead_code)]

use credit_platform::auth::{AuthConfig, BearerToken, mint_hs256_token, roles};
use credit_platform::clock::ManualClock;
use credit_platform::testing::{TestDatabase, TestServer};
use credit_proto::collections as pb;
use credit_proto::collections::collections_service_client::CollectionsServiceClient;
use credit_proto::event::StreamEventsRequest;
use credit_proto::event::event_feed_service_client::EventFeedServiceClient;
use credit_proto::types::Money;
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic_types::StatusExt;

#[allow(unused_imports)]
pub use credit_proto::wire;

/// The short name of a wire enum value ("OPEN" for `DISPUTE_STATE_OPEN`), "UNSPECIFIED" for 0.
pub fn named<E: credit_proto::ShortName>(value: i32) -> &'static str {
    credit_proto::short_name::<E>(value).unwrap_or("UNSPECIFIED")
}

/// The short name of a wire enum value, "" for 0 (a field left unset).
pub fn name_or_empty<E: credit_proto::ShortName>(value: i32) -> &'static str {
    credit_proto::short_name::<E>(value).unwrap_or_default()
}

/// The decimal of an amount ("" when there is none): what the assertions compare.
pub fn amount(money: &Option<Money>) -> &str {
    money.as_ref().map_or("", |m| m.amount.as_str())
}

/// A wire date as ISO 8601, "" when unset (leaked: a test compares a few of them with
/// literals, as it compared the text dates they replace).
pub fn iso(date: &Option<credit_proto::google::r#type::Date>) -> &'static str {
    date.as_ref()
        .map_or("", |d| Box::leak(d.iso().into_boxed_str()))
}

/// The wire date written "YYYY-MM-DD" (not checked: tests send impossible dates too); unset for
/// "".
pub fn date(iso: &str) -> Option<credit_proto::google::r#type::Date> {
    if iso.is_empty() {
        return None;
    }
    Some(credit_proto::google::r#type::Date::read(iso).expect("YYYY-MM-DD"))
}

pub const SECRET: &str = "collections-integration-secret-0123456789abcdef";
/// 2026-03-01T00:00:00Z.
pub const START: i64 = 1_772_323_200_000_000;

pub type Client = CollectionsServiceClient<InterceptedService<Channel, BearerToken>>;

pub struct App {
    pub channel: Channel,
    pub clock: ManualClock,
    server: TestServer,
    _db: TestDatabase,
    /// Limits following this collections server, when started with it.
    pub limits: Option<Limits>,
    /// Where dispute documents are stored.
    pub documents: tempfile::TempDir,
}

/// A limits server following the collections feed.
pub struct Limits {
    pub channel: Channel,
    server: TestServer,
    _db: TestDatabase,
}

pub type LimitsClient = credit_proto::limits::limits_service_client::LimitsServiceClient<
    InterceptedService<Channel, BearerToken>,
>;

fn token(subject: &str, token_roles: &[&str]) -> BearerToken {
    BearerToken(Some(
        mint_hs256_token(SECRET, subject, token_roles, Duration::from_secs(600)).expect("token"),
    ))
}

impl App {
    pub async fn start() -> Self {
        Self::start_with(false, |_| {}).await
    }

    /// Collections, and limits following it, on one clock.
    pub async fn start_with_limits() -> Self {
        Self::start_with(true, |_| {}).await
    }

    /// Collections with its configuration changed by `adjust` first.
    pub async fn start_configured(
        adjust: impl FnOnce(&mut credit_collections::CollectionsConfig),
    ) -> Self {
        Self::start_with(false, adjust).await
    }

    /// Collections on a database prepared by the test (rows of an earlier version, say).
    pub async fn start_on(db: TestDatabase) -> Self {
        Self::start_on_with(db, false, |_| {}).await
    }

    async fn start_with(
        with_limits: bool,
        adjust: impl FnOnce(&mut credit_collections::CollectionsConfig),
    ) -> Self {
        let db = TestDatabase::create().await.expect("db");
        Self::start_on_with(db, with_limits, adjust).await
    }

    async fn start_on_with(
        db: TestDatabase,
        with_limits: bool,
        adjust: impl FnOnce(&mut credit_collections::CollectionsConfig),
    ) -> Self {
        let mut config = credit_collections::CollectionsConfig::new(
            db.config.clone(),
            AuthConfig::hs256(SECRET),
        );
        config.sweep_interval_ms = 20;
        let documents = tempfile::tempdir().expect("document dir");
        config.document_dir = documents.path().to_path_buf();
        adjust(&mut config);
        let clock = ManualClock::new(START);
        let server = {
            let clock = Arc::new(clock.clone());
            TestServer::start(|listener, shutdown| {
                credit_collections::serve(config, clock, listener, shutdown)
            })
            .await
        };
        let (addr, channel) = (server.addr, server.channel.clone());
        let limits = if with_limits {
            let db = TestDatabase::create().await.expect("db");
            let mut config =
                credit_limits::LimitsConfig::new(db.config.clone(), AuthConfig::hs256(SECRET));
            config.collections_url = Some(format!("http://{addr}"));
            let clock = Arc::new(clock.clone());
            let server = TestServer::start(|listener, shutdown| {
                credit_limits::serve(config, clock, listener, shutdown)
            })
            .await;
            Some(Limits {
                channel: server.channel.clone(),
                server,
                _db: db,
            })
        } else {
            None
        };
        Self {
            channel,
            clock,
            server,
            _db: db,
            limits,
            documents,
        }
    }

    /// Limits as `subject` with `token_roles`.
    fn limits_as(&self, subject: &str, token_roles: &[&str]) -> LimitsClient {
        credit_proto::limits::limits_service_client::LimitsServiceClient::with_interceptor(
            self.limits
                .as_ref()
                .expect("started with limits")
                .channel
                .clone(),
            token(subject, token_roles),
        )
    }

    /// Limits as the applications service, the only identity that sets limits there.
    pub fn limit_setter(&self) -> LimitsClient {
        self.limits_as("service:applications", &[roles::APPLICATIONS_SERVICE])
    }

    /// Limits as a credit manager.
    pub fn limits(&self) -> LimitsClient {
        self.limits_as("max.manager", &[roles::MANAGER])
    }

    pub fn client(&self, subject: &str, token_roles: &[&str]) -> Client {
        CollectionsServiceClient::with_interceptor(
            self.channel.clone(),
            token(subject, token_roles),
        )
    }

    /// The ERP integration.
    pub fn erp(&self) -> Client {
        self.client("erp", &[roles::ANALYST])
    }

    pub async fn events(&self) -> Vec<credit_proto::event::Event> {
        EventFeedServiceClient::with_interceptor(
            self.channel.clone(),
            token("auditor", &[roles::AUDITOR]),
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

    pub async fn stop(self) {
        if let Some(limits) = self.limits {
            let _ = limits.server.stop().await;
        }
        let _ = self.server.stop().await;
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

pub fn invoice(
    id: &str,
    customer: &str,
    amount: &str,
    issued: &str,
    due: &str,
) -> pb::ReceivableDocument {
    pb::ReceivableDocument {
        document_id: id.into(),
        customer_id: customer.into(),
        kind: pb::DocumentKind::Invoice as i32,
        amount: money(amount, "EUR"),
        issue_date: date(issued),
        due_date: date(due),
        payment_terms_days: 30,
        ..Default::default()
    }
}

pub fn payment(
    id: &str,
    customer: &str,
    amount: &str,
    on: &str,
    to: &[(&str, &str)],
) -> pb::ReceivableDocument {
    pb::ReceivableDocument {
        document_id: id.into(),
        customer_id: customer.into(),
        kind: pb::DocumentKind::Payment as i32,
        amount: money(amount, "EUR"),
        issue_date: date(on),
        allocations: to
            .iter()
            .map(|(invoice_id, amount)| pb::Allocation {
                invoice_id: invoice_id.to_string(),
                amount: money(amount, "EUR"),
            })
            .collect(),
        ..Default::default()
    }
}

/// Imports `documents` (rows numbered from 1).
pub async fn import(
    c: &mut Client,
    all_or_nothing: bool,
    documents: Vec<pb::ReceivableDocument>,
) -> pb::ImportReport {
    let mut messages = vec![pb::ImportDocumentsRequest {
        part: Some(pb::import_documents_request::Part::Options(
            pb::ImportOptions {
                all_or_nothing,
                source: "test.csv".into(),
            },
        )),
    }];
    messages.extend(
        documents
            .into_iter()
            .map(|document| pb::ImportDocumentsRequest {
                part: Some(pb::import_documents_request::Part::Row(pb::DocumentRow {
                    row_number: 0,
                    document: Some(document),
                })),
            }),
    );
    c.import_documents(futures::stream::iter(messages))
        .await
        .expect("import")
        .into_inner()
}

pub async fn document(c: &mut Client, id: &str) -> pb::ReceivableDocument {
    c.get_document(pb::GetDocumentRequest {
        document_id: id.into(),
    })
    .await
    .expect("document")
    .into_inner()
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
