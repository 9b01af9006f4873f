//! The admin HTTP port: Prometheus metrics at `/metrics`, process liveness at `/livez`, and
//! readiness at `/readyz`. Readiness is also the gRPC health service, but Kubernetes' native
//! gRPC probe speaks plaintext only: once the gRPC port demands (mutual) TLS, the kubelet probes
//! these plain HTTP paths instead.
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::net::TcpListener;

/// The readiness of every server of this process (one in a service binary, six in the suite).
static READINESS: Mutex<Vec<(&'static str, Arc<AtomicBool>)>> = Mutex::new(Vec::new());

/// Counts `ready` in `/readyz` under `name`: the path answers 200 only while every registered
/// flag is set.
pub fn register_readiness(name: &'static str, ready: Arc<AtomicBool>) {
    READINESS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push((name, ready));
}

/// `/readyz`: 200 when every server of the process serves, else 503 naming those that do not
/// (names only: the reasons are in the log and the gRPC health service).
fn readiness_answer() -> (axum::http::StatusCode, String) {
    let servers = READINESS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let not_ready: Vec<&str> = servers
        .iter()
        .filter(|(_, ready)| !ready.load(Ordering::SeqCst))
        .map(|(name, _)| *name)
        .collect();
    if servers.is_empty() {
        (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "starting\n".into(),
        )
    } else if not_ready.is_empty() {
        (axum::http::StatusCode::OK, "ok\n".into())
    } else {
        (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}\n", not_ready.join(", ")),
        )
    }
}

static RECORDER: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide Prometheus recorder once and returns its handle. In the suite,
/// every service shares it; their series differ by the `service` label.
pub fn metrics_handle() -> PrometheusHandle {
    RECORDER
        .get_or_init(|| {
            let latency_buckets = [
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                1.0, 2.5, 5.0, 10.0,
            ];
            // Sizes of batches (the credit check's group commit) in powers of two.
            let batch_buckets = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];
            let builder = PrometheusBuilder::new()
                .set_buckets(&latency_buckets)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        metrics_exporter_prometheus::Matcher::Suffix("_batch_size".into()),
                        &batch_buckets,
                    )
                })
                .expect("static bucket list is not empty");
            let handle = match builder.install_recorder() {
                Ok(handle) => handle,
                // Another recorder was installed first (a test harness): render our own.
                Err(_) => PrometheusBuilder::new().build_recorder().handle(),
            };
            let upkeep = handle.clone();
            std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(std::time::Duration::from_secs(5));
                        upkeep.run_upkeep();
                    }
                })
                .ok();
            handle
        })
        .clone()
}

/// Serves the admin endpoints on `listener` until `shutdown` completes.
pub async fn serve_admin(
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let handle = metrics_handle();
    let router = axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(move || std::future::ready(handle.render())),
        )
        .route("/livez", axum::routing::get(|| std::future::ready("ok")))
        .route(
            "/readyz",
            axum::routing::get(|| std::future::ready(readiness_answer())),
        );
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readyz_names_a_server_that_is_not_ready_until_it_is() {
        let ready = Arc::new(AtomicBool::new(false));
        register_readiness("credit.test.v1.Unready", ready.clone());
        let (status, body) = readiness_answer();
        assert_eq!(status, axum::http::StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.contains("credit.test.v1.Unready"), "{body}");
        ready.store(true, Ordering::SeqCst);
        let (_, body) = readiness_answer();
        assert!(!body.contains("credit.test.v1.Unready"), "{body}");
    }
}
