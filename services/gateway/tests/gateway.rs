//! The gateway in front of a real limits server: forwarding, auth at the edge, unknown services,
//! a down upstream, suite health and reflection, deadlines.
use credit_gateway::GatewayConfig;
use credit_limits::LimitsConfig;
use credit_platform::auth::{AuthConfig, mint_hs256_token, roles};
use credit_platform::clock::SystemClock;
use credit_platform::server::Shutdown;
use credit_platform::testing::TestDatabase;
use credit_proto::limits as pb;
use credit_proto::limits::diagnostics_service_client::DiagnosticsServiceClient;
use credit_proto::limits::limits_service_client::LimitsServiceClient;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tonic::transport::Channel;

const SECRET: &str = "gateway-test-secret-0123456789abcdef0123";

struct Suite {
    gateway: Channel,
    shutdown: Shutdown,
    _db: TestDatabase,
}

fn token(roles: &[&str]) -> String {
    mint_hs256_token(SECRET, "gateway-tester", roles, Duration::from_secs(600)).expect("token")
}

fn authorized<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    request
}

async fn start_gateway(upstream: &str, shutdown: &Shutdown) -> Channel {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let config = GatewayConfig {
        upstreams: vec![
            format!("credit.limits.v1={upstream}")
                .parse()
                .expect("upstream"),
        ],
        connect_timeout_ms: 500,
        health_interval_ms: 100,
        auth: AuthConfig::hs256(SECRET),
        shutdown_drain_secs: 2,
    };
    tokio::spawn(credit_gateway::serve(config, listener, shutdown.clone()));
    Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect_lazy()
}

async fn start_suite() -> Suite {
    let db = TestDatabase::create().await.expect("db");
    let shutdown = Shutdown::new();
    let limits_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let limits_addr = limits_listener.local_addr().expect("addr");
    let config = LimitsConfig::new(db.config.clone(), AuthConfig::hs256(SECRET));
    tokio::spawn(credit_limits::serve(
        config,
        Arc::new(SystemClock),
        limits_listener,
        shutdown.clone(),
    ));
    let gateway = start_gateway(&format!("http://{limits_addr}"), &shutdown).await;
    wait_serving(gateway.clone(), "credit.limits.v1.LimitsService").await;
    Suite {
        gateway,
        shutdown,
        _db: db,
    }
}

async fn health_of(channel: Channel, service: &str) -> Option<i32> {
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    health
        .check(tonic_health::pb::HealthCheckRequest {
            service: service.into(),
        })
        .await
        .ok()
        .map(|r| r.into_inner().status)
}

async fn wait_serving(channel: Channel, service: &str) {
    for _ in 0..200 {
        if health_of(channel.clone(), service).await == Some(1) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{service} never became SERVING at the gateway");
}

#[tokio::test]
async fn calls_pass_through_the_gateway_to_the_service() {
    let suite = start_suite().await;
    let admin = token(&[roles::ADMIN]);
    let mut client = LimitsServiceClient::new(suite.gateway.clone());
    client
        .create_credit_account(authorized(
            pb::CreateCreditAccountRequest {
                credit_account: Some(pb::CreditAccount {
                    customer_id: "GW-1".into(),
                    name: "Gateway AG".into(),
                    currency_code: "EUR".into(),
                    ..Default::default()
                }),
                request_id: uuid(),
            },
            &admin,
        ))
        .await
        .expect("create through gateway");
    let account = client
        .get_credit_account(authorized(
            pb::GetCreditAccountRequest {
                customer_id: "GW-1".into(),
            },
            &admin,
        ))
        .await
        .expect("get")
        .into_inner();
    assert_eq!(account.name, "Gateway AG");
    // The service's own role check still applies behind the gateway.
    let viewer = token(&[roles::VIEWER]);
    let denied = client
        .create_credit_account(authorized(
            pb::CreateCreditAccountRequest::default(),
            &viewer,
        ))
        .await
        .expect_err("viewer cannot create");
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    let mut diagnostics = DiagnosticsServiceClient::new(suite.gateway.clone());
    diagnostics
        .ping(authorized(pb::PingRequest {}, &viewer))
        .await
        .expect("ping");
    suite.shutdown.trigger();
}

#[tokio::test]
async fn the_gateway_refuses_missing_tokens_and_unknown_services() {
    let suite = start_suite().await;
    let mut client = LimitsServiceClient::new(suite.gateway.clone());
    let status = client
        .get_credit_account(pb::GetCreditAccountRequest {
            customer_id: "X".into(),
        })
        .await
        .expect_err("no token");
    assert_eq!(status.code(), tonic::Code::Unauthenticated);

    // A service of another package, which the gateway does not route.
    let mut grpc = tonic::client::Grpc::new(suite.gateway.clone());
    grpc.ready().await.expect("ready");
    let path = http::uri::PathAndQuery::from_static("/credit.scoring.v1.ScoringService/Score");
    let status = grpc
        .unary::<pb::PingRequest, pb::PingResponse, _>(
            authorized(pb::PingRequest {}, &token(&[roles::ADMIN])),
            path,
            tonic_prost::ProstCodec::default(),
        )
        .await
        .expect_err("unknown service");
    assert_eq!(status.code(), tonic::Code::Unimplemented);
    suite.shutdown.trigger();
}

#[tokio::test]
async fn a_down_upstream_is_unavailable_quickly_and_not_serving() {
    // Nothing listens on this port.
    let unused = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let dead = format!("http://{}", unused.local_addr().expect("addr"));
    drop(unused);
    let shutdown = Shutdown::new();
    let gateway = start_gateway(&dead, &shutdown).await;
    let mut client = LimitsServiceClient::new(gateway.clone());
    let started = Instant::now();
    let status = client
        .get_credit_account(authorized(
            pb::GetCreditAccountRequest {
                customer_id: "X".into(),
            },
            &token(&[roles::ADMIN]),
        ))
        .await
        .expect_err("upstream down");
    assert_eq!(status.code(), tonic::Code::Unavailable);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        health_of(gateway.clone(), "credit.limits.v1.LimitsService").await,
        Some(2),
        "NOT_SERVING"
    );
    assert_eq!(health_of(gateway, "").await, Some(2));
    shutdown.trigger();
}

#[tokio::test]
async fn reflection_at_the_gateway_lists_the_suite() {
    use tonic_reflection_client::*;
    let suite = start_suite().await;
    let services = list_services(suite.gateway.clone()).await;
    assert!(
        services.contains(&"credit.limits.v1.LimitsService".to_string()),
        "{services:?}"
    );
    suite.shutdown.trigger();
}

#[tokio::test]
async fn the_callers_deadline_travels_to_the_service() {
    let suite = start_suite().await;
    let mut client = LimitsServiceClient::new(suite.gateway.clone());
    let mut request = authorized(
        pb::StreamEventsRequest {
            after_sequence: 0,
            backlog_only: false,
        },
        &token(&[roles::ADMIN]),
    );
    request.set_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let result = async {
        let mut stream = client.stream_events(request).await?.into_inner();
        while stream.message().await?.is_some() {}
        Ok::<_, tonic::Status>(())
    }
    .await;
    let status = result.expect_err("a live tail only ends by its deadline");
    assert!(
        matches!(
            status.code(),
            tonic::Code::DeadlineExceeded | tonic::Code::Cancelled
        ),
        "{status:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    suite.shutdown.trigger();
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

mod tonic_reflection_client {
    use tonic::transport::Channel;
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

    pub async fn list_services(channel: Channel) -> Vec<String> {
        let mut client = ServerReflectionClient::new(channel);
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut responses = client
            .server_reflection_info(tokio_stream::once(request))
            .await
            .expect("reflection")
            .into_inner();
        let response = responses
            .message()
            .await
            .expect("message")
            .expect("response");
        match response.message_response {
            Some(MessageResponse::ListServicesResponse(list)) => {
                list.service.into_iter().map(|s| s.name).collect()
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_callers_trace_context_reaches_the_service_and_its_events() {
    let suite = start_suite().await;
    let admin = token(&[roles::ADMIN]);
    let mut client = LimitsServiceClient::new(suite.gateway.clone());
    let mut request = authorized(
        pb::CreateCreditAccountRequest {
            credit_account: Some(pb::CreditAccount {
                customer_id: "TRACED".into(),
                name: "Traced Ltd".into(),
                currency_code: "GBP".into(),
                ..Default::default()
            }),
            request_id: uuid(),
        },
        &admin,
    );
    request.metadata_mut().insert(
        "traceparent",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
            .parse()
            .expect("header"),
    );
    client.create_credit_account(request).await.expect("create");
    let mut events = client
        .stream_events(authorized(
            pb::StreamEventsRequest {
                after_sequence: 0,
                backlog_only: true,
            },
            &admin,
        ))
        .await
        .expect("feed")
        .into_inner();
    let event = events
        .message()
        .await
        .expect("stream")
        .expect("event")
        .event
        .expect("event");
    assert_eq!(event.trace_id, "0af7651916cd43dd8448eb211c80319c");
    suite.shutdown.trigger();
}
