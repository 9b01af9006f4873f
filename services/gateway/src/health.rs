//! Suite-wide health at the gateway: each routed service is SERVING while its upstream says so,
//! and the overall entry ("") while every upstream does — as is the shared event feed, which
//! reaches every upstream (by the `credit-feed` metadata).
use crate::upstream::Routes;
use credit_platform::reflection::services_of;
use std::time::Duration;
use tokio::sync::watch;
use tonic_health::ServingStatus;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::server::HealthReporter;

/// Polls every upstream's health until shutdown, mirroring it in `reporter`.
pub async fn follow_upstreams(
    reporter: HealthReporter,
    routes: Routes,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let mut all_serving = true;
        for (package, channel) in routes.iter() {
            let mut client = HealthClient::new(channel.clone());
            let mut request = tonic::Request::new(HealthCheckRequest {
                service: String::new(),
            });
            request.set_timeout(Duration::from_secs(2));
            let serving = matches!(
                client.check(request).await,
                Ok(response) if response.get_ref().status == tonic_health::pb::health_check_response::ServingStatus::Serving as i32
            );
            all_serving &= serving;
            let status = if serving {
                ServingStatus::Serving
            } else {
                ServingStatus::NotServing
            };
            for service in services_of(package) {
                reporter.set_service_status(service, status).await;
            }
        }
        let overall = if all_serving {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        reporter.set_service_status("", overall).await;
        reporter
            .set_service_status(crate::upstream::FEED_SERVICE, overall)
            .await;
        let stopping = tokio::select! {
            _ = tokio::time::sleep(every) => false,
            changed = shutdown.wait_for(|down| *down) => changed.is_ok(),
        };
        if stopping {
            reporter
                .set_service_status("", ServingStatus::NotServing)
                .await;
            return;
        }
    }
}
