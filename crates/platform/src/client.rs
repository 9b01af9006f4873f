//! Calling another service over gRPC: one way to open a channel, so every caller gets the same
//! connect timeout, TCP_NODELAY (no delayed-ACK stalls on small messages) and keep-alives.
use std::str::FromStr;
use std::time::Duration;
use tonic::transport::{Channel, Endpoint};

/// A channel to `url` that connects on first use, so a peer that is down fails calls (after
/// `connect_timeout`) instead of failing the caller's start.
pub fn channel(url: &str, connect_timeout: Duration) -> anyhow::Result<Channel> {
    Ok(Endpoint::from_str(url)
        .map_err(|e| anyhow::anyhow!("'{url}' is not a usable URL: {e}"))?
        .connect_timeout(connect_timeout)
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_while_idle(true)
        .connect_lazy())
}
