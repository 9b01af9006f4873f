//! `creditctl health` against a running development suite: what the probes ask, from the shell.
mod support;

use std::time::Duration;
use support::{Suite, stdout};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_says_serving_and_fails_for_a_name_the_server_does_not_know() {
    let suite = Suite::start().await;
    // The suite may still be starting: wait for the gateway to say SERVING.
    let mut serving = None;
    for _ in 0..100 {
        let output = suite.run(&["health"]).await;
        if output.status.success() {
            serving = Some(stdout(&output));
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        serving.as_deref().map(str::trim),
        Some("the server: SERVING")
    );
    let unknown = suite
        .run(&["health", "--service", "no.such.v1.Service"])
        .await;
    assert!(!unknown.status.success(), "{}", stdout(&unknown));
    let error = String::from_utf8_lossy(&unknown.stderr);
    assert!(error.contains("NotFound"), "{error}");
    suite.stop().await;
}
