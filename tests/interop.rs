//! Clients the project did not write — Python `grpcio` (the C-core) and Node `@grpc/grpc-js` —
//! drive the running suite through the gateway and straight at each service, with the same
//! checks both ways (tests/interop/: errors with their google.rpc details, streams both ways,
//! deadlines, metadata and trailers, gzip, message size, health, reflection). The clients and
//! their libraries are installed by tests/interop/run into a cache outside the clone.
mod support;

use credit_platform::auth::{ScopeClaims, mint_hs256_scoped_token, mint_hs256_token, roles};
use std::path::PathBuf;
use std::time::Duration;
use support::Journey;

fn repo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What the clients need to know of the running suite.
fn describe(journey: &Journey) -> serde_json::Value {
    let suite = &journey.suite;
    let token = |subject: &str, roles: &[&str]| {
        mint_hs256_token(&suite.secret, subject, roles, Duration::from_secs(3600)).expect("token")
    };
    let standard = credit_platform::reflection::STANDARD_SERVICES;
    let with_standard = |services: &[&str]| -> Vec<String> {
        services
            .iter()
            .chain(standard)
            .map(|s| s.to_string())
            .collect()
    };
    // The gateway routes what every service serves, the shared event feed once (by the
    // credit-feed metadata).
    let mut routed: Vec<&str> = suite
        .services
        .iter()
        .flat_map(|s| s.grpc_services.iter().copied())
        .collect();
    routed.sort_unstable();
    routed.dedup();
    let services: serde_json::Map<String, serde_json::Value> = suite
        .services
        .iter()
        .map(|s| {
            (
                s.package.to_string(),
                serde_json::json!({
                    "name": s.name,
                    "address": s.addr.to_string(),
                    "services": with_standard(s.grpc_services),
                }),
            )
        })
        .collect();
    serde_json::json!({
        "repo_dir": repo_dir(),
        "proto_dir": repo_dir().join("proto"),
        "gateway": {
            "name": "gateway",
            "address": suite.gateway_addr.to_string(),
            "services": with_standard(&routed),
        },
        "services": services,
        "metrics_url": format!("http://{}/metrics", suite.admin_addr),
        "max_message_bytes": credit_platform::server::MAX_MESSAGE_BYTES,
        "tokens": {
            "admin": suite.token,
            "viewer": token("interop-viewer", &[roles::VIEWER]),
            "sales": token("interop-sales", &[roles::SALES_ORDER]),
            // The only identity limits takes limit changes from.
            "applications": token("service:applications", &[roles::APPLICATIONS_SERVICE]),
            // An analyst limited to the EMEA region's customers (a data scope).
            "emea_analyst": mint_hs256_scoped_token(
                &suite.secret,
                "interop-emea",
                &[roles::ANALYST],
                &ScopeClaims::regions(&["EMEA"]),
                Duration::from_secs(3600),
            )
            .expect("token"),
            "foreign": mint_hs256_token(
                "a-secret-the-suite-does-not-know-at-all",
                "intruder",
                &[roles::ADMIN],
                Duration::from_secs(3600),
            )
            .expect("token"),
        },
    })
}

/// Runs `client`'s checks against a fresh suite and fails with what the client printed.
async fn run(client: &str) {
    let journey = Journey::start().await;
    let description = journey.dir.path().join("interop-suite.json");
    std::fs::write(
        &description,
        serde_json::to_vec_pretty(&describe(&journey)).expect("json"),
    )
    .expect("write");
    let output = tokio::process::Command::new(repo_dir().join("tests/interop/run"))
        .arg(client)
        .env("CREDIT_INTEROP_SUITE", &description)
        .kill_on_drop(true)
        .output()
        .await
        .expect("tests/interop/run starts");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{printed}");
    assert!(
        output.status.success(),
        "the {client} client's checks failed ({}):\n{printed}",
        output.status
    );
    journey.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn python_grpcio_sees_the_same_api_through_the_gateway_and_direct() {
    run("python").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn node_grpc_js_sees_the_same_api_through_the_gateway_and_direct() {
    run("node").await;
}
