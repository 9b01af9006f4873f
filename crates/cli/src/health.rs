//! `creditctl health`: a server's gRPC health (`grpc.health.v1.Health/Check`), as the Kubernetes
//! probes ask it — of the gateway, or of a service at its own address. It exits non-zero unless
//! the answer is SERVING, so scripts and smoke tests can wait on it.
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// Asks `channel`'s server for the health of `service` ("" for the server as a whole).
pub async fn run(channel: Channel, service: String) -> anyhow::Result<()> {
    let status = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.clone(),
        })
        .await?
        .into_inner()
        .status();
    let name = if service.is_empty() {
        "the server"
    } else {
        service.as_str()
    };
    println!("{name}: {}", status.as_str_name());
    anyhow::ensure!(
        status == ServingStatus::Serving,
        "{name} is {}",
        status.as_str_name()
    );
    Ok(())
}
