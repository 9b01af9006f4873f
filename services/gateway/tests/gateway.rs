//! The gateway in front of a real limits server: forwarding, auth at the edge, unknown services,
//! a down upstream, suite health and reflection, deadlines.
use credit_gateway::GatewayConfig;
use credit_limits::LimitsConfig;
use credit_platform::auth::{AuthConfig, mint_hs256_token, roles};
use credit_platform::clock::SystemClock;
use credit_platform::server::Shutdown;
use credit_platform::testing::{TestDatabase, TestServer};
use credit_proto::event::event_feed_service_client::EventFeedServiceClient;
use credit_proto::limits as pb;
use credit_proto::limits::diagnostics_service_client::DiagnosticsServiceClient;
use credit_proto::limits::limits_service_client::LimitsServiceClient;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tonic::transport::Channel;

const SECRET: &str = "gateway-test-secret-0123456789abcdef0123";

struct Suite {
    gateway: Channel,
    gateway_addr: std::net::SocketAddr,
    limits_addr: std::net::SocketAddr,
    shutdown: Shutdown,
    _limits: TestServer,
    _db: TestDatabase,
}

fn token(roles: &[&str]) -> String {
    mint_hs256_token(SECRET, "gateway-tester", roles, Duration::from_secs(600)).expect("token")
}

/// A request for limits' event feed through the gateway (which routes the shared feed service by
/// the `credit-feed` metadata).
fn limits_feed_request(
    message: credit_proto::event::StreamEventsRequest,
    token: &str,
) -> tonic::Request<credit_proto::event::StreamEventsRequest> {
    let mut request = authorized(message, token);
    request
        .metadata_mut()
        .insert("credit-feed", "limits".parse().expect("header"));
    request
}

fn authorized<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    request
}

/// A gateway with one route ("package=url") and the tests' short timings.
fn gateway_config(route: &str) -> GatewayConfig {
    GatewayConfig {
        upstreams: route.parse().expect("upstream"),
        connect_timeout_ms: 500,
        health_interval_ms: 100,
        default_deadline_ms: 30_000,
        auth: AuthConfig::hs256(SECRET),
        shutdown_drain_secs: 2,
        listener_tls: None,
    }
}

async fn start_gateway(upstream: &str, shutdown: &Shutdown) -> (Channel, std::net::SocketAddr) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let config = gateway_config(&format!("credit.limits.v1={upstream}"));
    tokio::spawn(credit_gateway::serve(config, listener, shutdown.clone()));
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect_lazy();
    (channel, addr)
}

async fn start_suite() -> Suite {
    let db = TestDatabase::create().await.expect("db");
    let shutdown = Shutdown::new();
    let config = LimitsConfig::new(db.config.clone(), AuthConfig::hs256(SECRET));
    let limits = TestServer::start(|listener, shutdown| {
        credit_limits::serve(config, Arc::new(SystemClock), listener, shutdown)
    })
    .await;
    let limits_addr = limits.addr;
    let (gateway, gateway_addr) = start_gateway(&format!("http://{limits_addr}"), &shutdown).await;
    wait_serving(gateway.clone(), "credit.limits.v1.LimitsService").await;
    Suite {
        gateway,
        gateway_addr,
        limits_addr,
        shutdown,
        _limits: limits,
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

/// Opens a EUR account through `channel` as an admin.
async fn open_account(channel: Channel, customer_id: &str, name: &str) {
    LimitsServiceClient::new(channel)
        .create_credit_account(authorized(
            pb::CreateCreditAccountRequest {
                credit_account: Some(pb::CreditAccount {
                    customer_id: customer_id.into(),
                    name: name.into(),
                    currency_code: "EUR".into(),
                    ..Default::default()
                }),
                request_id: uuid(),
            },
            &token(&[roles::ADMIN]),
        ))
        .await
        .expect("account opened");
}

#[tokio::test]
async fn calls_pass_through_the_gateway_to_the_service() {
    let suite = start_suite().await;
    let admin = token(&[roles::ADMIN]);
    let mut client = LimitsServiceClient::new(suite.gateway.clone());
    open_account(suite.gateway.clone(), "GW-1", "Gateway AG").await;
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
    let (gateway, _) = start_gateway(&dead, &shutdown).await;
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
    assert_eq!(health_of(gateway.clone(), "").await, Some(2));
    // The gateway itself stays ready and alive: a down upstream is not a reason to take the
    // gateway out of its load balancer or to restart it.
    assert_eq!(
        health_of(gateway.clone(), credit_gateway::READINESS).await,
        Some(1)
    );
    assert_eq!(
        health_of(gateway.clone(), credit_gateway::LIVENESS).await,
        Some(1)
    );
    shutdown.trigger();
    let mut drained = false;
    for _ in 0..50 {
        if health_of(gateway.clone(), credit_gateway::READINESS).await != Some(1) {
            drained = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(drained, "not ready once shutting down");
}

#[tokio::test]
async fn reflection_lists_what_the_gateway_routes_and_the_service_what_it_serves() {
    use tonic_reflection_client::*;
    let suite = start_suite().await;
    let standard = credit_platform::reflection::STANDARD_SERVICES.iter();
    let mut routed: Vec<String> = [
        "credit.limits.v1.LimitsService",
        "credit.limits.v1.DiagnosticsService",
        "credit.event.v1.EventFeedService",
    ]
    .iter()
    .chain(standard.clone())
    .map(|s| s.to_string())
    .collect();
    routed.sort();
    let mut listed = list_services(suite.gateway.clone()).await;
    listed.sort();
    // This gateway routes limits only: nothing of scoring or audit; the shared event feed is
    // listed because the gateway routes it (by the source its `credit-feed` metadata names).
    assert_eq!(listed, routed);
    let direct = Channel::from_shared(format!("http://{}", suite.limits_addr))
        .expect("uri")
        .connect_lazy();
    let mut served: Vec<String> = credit_limits::GRPC_SERVICES
        .iter()
        .chain(standard)
        .map(|s| s.to_string())
        .collect();
    served.sort();
    let mut listed = list_services(direct).await;
    listed.sort();
    assert_eq!(listed, served);
    suite.shutdown.trigger();
}

/// What a client receives for one gRPC call, frame by frame.
#[derive(Debug)]
struct Frames {
    headers: http::HeaderMap,
    /// Whether the response HEADERS frame ended the stream (a trailers-only response).
    ended_at_headers: bool,
    messages: Vec<bytes::Bytes>,
    trailers: Option<http::HeaderMap>,
}

/// Sends one framed `message` to `path` over raw HTTP/2, so the test sees the frames themselves
/// rather than what a client library makes of them.
async fn raw_call(
    addr: std::net::SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    message: &[u8],
) -> Frames {
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (client, connection) = h2::client::handshake(tcp).await.expect("handshake");
    tokio::spawn(connection);
    let mut client = client.ready().await.expect("ready");
    let mut request = http::Request::post(format!("http://{addr}{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let (response, mut body) = client
        .send_request(request.body(()).expect("request"), false)
        .expect("send");
    let mut framed = vec![0u8];
    framed.extend_from_slice(&u32::try_from(message.len()).expect("len").to_be_bytes());
    framed.extend_from_slice(message);
    body.send_data(framed.into(), true).expect("data");
    let response = response.await.expect("response");
    let ended_at_headers = response.body().is_end_stream();
    let (parts, mut received) = response.into_parts();
    let mut messages = Vec::new();
    while let Some(chunk) = received.data().await {
        let chunk = chunk.expect("data");
        let _ = received.flow_control().release_capacity(chunk.len());
        messages.push(chunk);
    }
    let trailers = received.trailers().await.expect("trailers");
    Frames {
        headers: parts.headers,
        ended_at_headers,
        messages,
        trailers,
    }
}

fn encoded<M: prost::Message>(message: &M) -> Vec<u8> {
    message.encode_to_vec()
}

#[tokio::test]
async fn errors_leave_the_gateway_as_one_headers_frame_that_ends_the_stream() {
    // Regression (issue 12): an upstream's trailers-only error was forwarded as headers and an
    // empty DATA frame, and C-core clients (Python, C++, Ruby, PHP, C#) reported UNKNOWN
    // "Stream removed" instead of the status.
    let suite = start_suite().await;
    let bearer = format!("Bearer {}", token(&[roles::ADMIN]));
    let unknown = encoded(&pb::GetCreditAccountRequest {
        customer_id: "NOBODY".into(),
    });
    let get = "/credit.limits.v1.LimitsService/GetCreditAccount";
    // (case, path, request headers, expected grpc-status)
    type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            "upstream NOT_FOUND",
            get,
            vec![("authorization", &bearer)],
            "5",
        ),
        (
            "upstream NOT_FOUND with a deadline",
            get,
            vec![("authorization", &bearer), ("grpc-timeout", "5S")],
            "5",
        ),
        ("no token", get, vec![("grpc-timeout", "5S")], "16"),
        (
            "unknown service",
            "/credit.nothing.v1.NothingService/Do",
            vec![("authorization", &bearer), ("grpc-timeout", "5S")],
            "12",
        ),
        (
            "unknown method",
            "/credit.limits.v1.LimitsService/NoSuchMethod",
            vec![("authorization", &bearer), ("grpc-timeout", "5S")],
            "12",
        ),
    ];
    for (case, path, headers, code) in cases {
        for addr in [suite.gateway_addr, suite.limits_addr] {
            let frames = raw_call(addr, path, &headers, &unknown).await;
            assert!(frames.ended_at_headers, "{case} at {addr}: {frames:?}");
            assert!(frames.messages.is_empty(), "{case} at {addr}: {frames:?}");
            assert!(frames.trailers.is_none(), "{case} at {addr}: {frames:?}");
            assert_eq!(
                frames.headers.get("grpc-status").map(|v| v.as_bytes()),
                Some(code.as_bytes()),
                "{case} at {addr}: {frames:?}"
            );
        }
    }
    suite.shutdown.trigger();
}

#[tokio::test]
async fn answers_are_gzipped_for_callers_that_accept_it_through_the_gateway_and_direct() {
    let suite = start_suite().await;
    let bearer = format!("Bearer {}", token(&[roles::ADMIN]));
    open_account(suite.gateway.clone(), "GZIP-1", "Gzip AG").await;
    let list = encoded(&pb::ListCreditAccountsRequest::default());
    let path = "/credit.limits.v1.LimitsService/ListCreditAccounts";
    for addr in [suite.gateway_addr, suite.limits_addr] {
        let frames = raw_call(
            addr,
            path,
            &[("authorization", &bearer), ("grpc-accept-encoding", "gzip")],
            &list,
        )
        .await;
        assert_eq!(
            frames.headers.get("grpc-encoding").map(|v| v.as_bytes()),
            Some(&b"gzip"[..]),
            "at {addr}: {frames:?}"
        );
        let body: Vec<u8> = frames.messages.concat();
        assert_eq!(body.first(), Some(&1), "the message is flagged compressed");
        let trailers = frames.trailers.expect("trailers");
        assert_eq!(
            trailers.get("grpc-status").map(|v| v.as_bytes()),
            Some(&b"0"[..])
        );
        // Without the caller's consent the answer is not compressed.
        let plain = raw_call(addr, path, &[("authorization", &bearer)], &list).await;
        assert!(plain.headers.get("grpc-encoding").is_none(), "{plain:?}");
        assert_eq!(plain.messages.concat().first(), Some(&0));
    }
    suite.shutdown.trigger();
}

#[tokio::test]
async fn the_callers_deadline_travels_to_the_service() {
    let suite = start_suite().await;
    let mut client = EventFeedServiceClient::new(suite.gateway.clone());
    let mut request = limits_feed_request(
        credit_proto::event::StreamEventsRequest {
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
    let mut events = EventFeedServiceClient::new(suite.gateway.clone())
        .stream_events(limits_feed_request(
            credit_proto::event::StreamEventsRequest {
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

#[tokio::test]
async fn a_route_to_a_package_without_services_is_refused_at_start() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let config = gateway_config("credit.limit.v1=http://127.0.0.1:1");
    let error = credit_gateway::serve(config, listener, Shutdown::new())
        .await
        .expect_err("a typo in a route is refused");
    assert!(error.to_string().contains("credit.limit.v1"), "{error}");
}
