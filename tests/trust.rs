//! Trust (issue 16) as a newcomer's suite shows it: what it writes to disk is its owner's alone,
//! and what it says to a caller it does not trust gives nothing away.
mod support;

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

/// A `credit-limits` binary on a SQLite file with `settings`, serving.
async fn limits_binary(settings: &[(&str, &str)], dir: &std::path::Path) -> cluster::Process {
    std::fs::create_dir_all(dir).expect("dir");
    let mut env: std::collections::BTreeMap<String, String> = settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    env.insert(
        "DATABASE_URL".into(),
        format!("sqlite://{}/limits.db?mode=rwc", dir.display()),
    );
    let mut process = cluster::Process::new(
        "limits",
        "credit-limits",
        env,
        &std::collections::BTreeMap::new(),
        dir,
    );
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
