//! Trust (issue 16) as a newcomer's suite shows it: what it writes to disk is its owner's alone,
//! and what it says to a caller it does not trust gives nothing away.
mod support;

use credit_suite::local_tls::LocalCa;

#[cfg(unix)]
#[tokio::test]
async fn the_keys_and_token_the_suite_writes_are_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let journey = support::Journey::start().await;
    let dir = journey.dir.path();
    for file in [
        credit_suite::TOKEN_FILE,
        credit_suite::SECRET_FILE,
        credit_suite::AUDIT_KEY_FILE,
        credit_suite::APPLICATIONS_KEY_FILE,
    ] {
        let mode = std::fs::metadata(dir.join(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"))
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "{file} is readable by others: {:o}",
            mode & 0o777
        );
    }
    journey.stop().await;
}

#[path = "faults/cluster.rs"]
mod cluster;

/// A `credit-limits` binary on a SQLite file in `dir` with `settings`, not started yet.
fn limits_process(settings: &[(&str, &str)], dir: &std::path::Path) -> cluster::Process {
    std::fs::create_dir_all(dir).expect("dir");
    let mut env: std::collections::BTreeMap<String, String> = settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    env.insert(
        "DATABASE_URL".into(),
        format!("sqlite://{}/limits.db?mode=rwc", dir.display()),
    );
    cluster::Process::new(
        "limits",
        "credit-limits",
        env,
        &std::collections::BTreeMap::new(),
        dir,
    )
}

/// The same, serving.
async fn limits_binary(settings: &[(&str, &str)], dir: &std::path::Path) -> cluster::Process {
    let mut process = limits_process(settings, dir);
    process.start().await;
    process
}

/// What reflection answers: the services listed, or the error.
async fn reflected(channel: tonic::transport::Channel) -> Result<Vec<String>, tonic::Status> {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::once(request))
        .await?
        .into_inner();
    match responses.message().await?.and_then(|r| r.message_response) {
        Some(MessageResponse::ListServicesResponse(list)) => {
            Ok(list.service.into_iter().map(|s| s.name).collect())
        }
        other => panic!("unexpected {other:?}"),
    }
}

/// Whether a health Watch opens (its first answer arrives).
async fn watch_opens(channel: tonic::transport::Channel) -> Result<(), tonic::Status> {
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let mut stream = HealthClient::new(channel)
        .watch(HealthCheckRequest::default())
        .await?
        .into_inner();
    stream.message().await?.expect("first status");
    Ok(())
}

#[tokio::test]
async fn a_production_binary_serves_reflection_only_when_asked_and_watch_unless_told_not_to() {
    let dir = tempfile::tempdir().expect("tempdir");
    let channel = |p: &cluster::Process| {
        tonic::transport::Channel::from_shared(format!("http://{}", p.addr()))
            .expect("url")
            .connect_lazy()
    };

    // Defaults: no reflection (it maps the API for anyone), Watch on (balancers follow it).
    let defaults = limits_binary(&[], &dir.path().join("a")).await;
    let refused = reflected(channel(&defaults))
        .await
        .expect_err("no reflection");
    assert_eq!(refused.code(), tonic::Code::Unimplemented, "{refused:?}");
    watch_opens(channel(&defaults))
        .await
        .expect("Watch answers");
    drop(defaults);

    // Asked for reflection, without Watch: reflection lists limits' API; Watch is not offered
    // while Check still answers (the process said SERVING to start).
    let turned = limits_binary(
        &[("GRPC_REFLECTION", "true"), ("GRPC_HEALTH_WATCH", "false")],
        &dir.path().join("b"),
    )
    .await;
    let listed = reflected(channel(&turned)).await.expect("reflection");
    assert!(
        listed.iter().any(|s| s == "credit.limits.v1.LimitsService"),
        "{listed:?}"
    );
    let refused = watch_opens(channel(&turned)).await.expect_err("no Watch");
    assert_eq!(refused.code(), tonic::Code::Unimplemented, "{refused:?}");
}

#[tokio::test]
async fn a_wrong_database_url_is_refused_without_repeating_its_password() {
    let config = credit_platform::db::DatabaseConfig::new(
        "mysql://credit:hunter2-secret@db.internal/credit",
    );
    let Err(error) = credit_platform::db::Db::connect(&config).await else {
        panic!("a mysql:// URL is refused");
    };
    let said = format!("{error:#}");
    assert!(said.contains("mysql"), "{said}");
    assert!(
        !said.contains("hunter2"),
        "the error repeats the password: {said}"
    );
}

fn client_tls(
    ca: &LocalCa,
    identity: Option<&(String, String)>,
) -> tonic::transport::ClientTlsConfig {
    let config = tonic::transport::ClientTlsConfig::new()
        .ca_certificate(tonic::transport::Certificate::from_pem(ca.pem()))
        .domain_name("localhost");
    match identity {
        Some((cert, key)) => config.identity(tonic::transport::Identity::from_pem(cert, key)),
        None => config,
    }
}

async fn health_answers(channel: tonic::transport::Channel) -> Result<(), tonic::Status> {
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let mut request = tonic::Request::new(HealthCheckRequest::default());
    request.set_timeout(std::time::Duration::from_secs(2));
    HealthClient::new(channel).check(request).await.map(|_| ())
}

#[tokio::test]
async fn a_server_with_mutual_tls_refuses_plaintext_and_foreign_clients_and_takes_renewed_certificates()
 {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| dir.path().join(name);
    let write = |name: &str, text: &str| std::fs::write(path(name), text).expect("write");
    let ours = LocalCa::generate("credit-suite test CA").expect("ca");
    let foreign = LocalCa::generate("another CA").expect("ca");
    let server = ours.issue_workload("limits").expect("certificate");
    write("server.crt", &server.0);
    write("server.key", &server.1);
    write("clients-ca.crt", ours.pem());
    let gateway = ours.issue_client("gateway").expect("certificate");
    let impostor = foreign.issue_client("gateway").expect("certificate");

    let settings = [
        ("GRPC_TLS_CERT_FILE", path("server.crt")),
        ("GRPC_TLS_KEY_FILE", path("server.key")),
        ("GRPC_TLS_CLIENT_CA_FILE", path("clients-ca.crt")),
    ];
    let settings: Vec<(&str, String)> = settings
        .iter()
        .map(|(k, v)| (*k, v.display().to_string()))
        .collect();
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut limits = limits_process(&settings, &path("limits"))
        .with_client_tls(client_tls(&ours, Some(&gateway)));
    // It starts serving: the harness reaches it over mutual TLS with the gateway's certificate.
    limits.start().await;
    health_answers(limits.channel()).await.expect("mutual TLS");

    // Refused at the handshake: plaintext, TLS without a certificate, a certificate of
    // another CA.
    let plain = tonic::transport::Channel::from_shared(format!("http://{}", limits.addr()))
        .expect("url")
        .connect_lazy();
    assert!(health_answers(plain).await.is_err(), "plaintext is refused");
    let over = |tls: tonic::transport::ClientTlsConfig| {
        tonic::transport::Channel::from_shared(format!("https://localhost:{}", limits.grpc))
            .expect("url")
            .tls_config(tls)
            .expect("tls")
            .connect_lazy()
    };
    assert!(
        health_answers(over(client_tls(&ours, None))).await.is_err(),
        "a client without a certificate is refused"
    );
    assert!(
        health_answers(over(client_tls(&ours, Some(&impostor))))
            .await
            .is_err(),
        "a certificate from another CA is refused"
    );

    // The gateway, itself served over mutual TLS, calls limits over mutual TLS with its
    // workload certificate: a call through it reaches limits.
    let gateway_cert = ours.issue_workload("gateway").expect("certificate");
    write("gateway.crt", &gateway_cert.0);
    write("gateway.key", &gateway_cert.1);
    std::fs::create_dir_all(path("gateway")).expect("dir");
    let gateway_env: std::collections::BTreeMap<String, String> = [
        ("GRPC_TLS_CERT_FILE", path("gateway.crt")),
        ("GRPC_TLS_KEY_FILE", path("gateway.key")),
        ("GRPC_TLS_CLIENT_CA_FILE", path("clients-ca.crt")),
        ("GRPC_TLS_PEER_CA_FILE", path("clients-ca.crt")),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.display().to_string()))
    .chain(std::iter::once((
        "GATEWAY_UPSTREAMS".to_string(),
        format!("credit.limits.v1=https://localhost:{}", limits.grpc),
    )))
    .collect();
    let mut gateway_process = cluster::Process::new(
        "gateway",
        "credit-gateway",
        gateway_env,
        &std::collections::BTreeMap::new(),
        &path("gateway"),
    )
    .with_client_tls(client_tls(
        &ours,
        Some(&ours.issue_client("sales-orders").expect("certificate")),
    ));
    gateway_process.start().await;
    let token = credit_platform::auth::mint_hs256_token(
        cluster::SECRET,
        "tls-test",
        &[credit_platform::auth::roles::ADMIN],
        std::time::Duration::from_secs(600),
    )
    .expect("token");
    let mut diagnostics =
        credit_proto::limits::diagnostics_service_client::DiagnosticsServiceClient::with_interceptor(
            gateway_process.channel(),
            credit_platform::auth::BearerToken(Some(token)),
        );
    diagnostics
        .ping(credit_proto::limits::PingRequest {})
        .await
        .unwrap_or_else(|e| {
            panic!(
                "through the gateway over mTLS: {e:?}\n{}",
                gateway_process.log_tail()
            )
        });

    // Renewal in place (as cert-manager does): a certificate from a new CA replaces the
    // files; new connections get it without a restart.
    let renewed_ca = LocalCa::generate("renewed CA").expect("ca");
    let renewed = renewed_ca.issue_workload("limits").expect("certificate");
    write("server.crt", &renewed.0);
    write("server.key", &renewed.1);
    let started = std::time::Instant::now();
    loop {
        if health_answers(over(client_tls(&renewed_ca, Some(&gateway))))
            .await
            .is_ok()
        {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the renewed certificate was not taken up:\n{}",
            limits.log_tail()
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}
