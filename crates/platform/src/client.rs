//! Calling another service over gRPC: one way to open a channel, so every caller gets the same
//! connect timeout, TCP_NODELAY (no delayed-ACK stalls on small messages) and keep-alives, and
//! its calls spread over the peer's serving replicas ([`crate::balance`]).
use std::str::FromStr;
use std::time::Duration;
use tonic::transport::{Channel, Endpoint};

/// A channel to the replicas at `url` (one host, re-resolved, or a comma-separated list) that
/// connects on first use, so a peer that is down fails calls (after `connect_timeout`) instead
/// of failing the caller's start. Must be called inside a tokio runtime.
/// An `https://` URL is called over TLS: the peer's certificate must chain to
/// `GRPC_TLS_PEER_CA_FILE` and name the URL's (first) host, and this process presents its own
/// certificate ([`crate::tls::peer_config`]).
pub fn channel(url: &str, connect_timeout: Duration) -> anyhow::Result<Channel> {
    let tls_host = match url.parse::<crate::balance::Target>()? {
        target if target.is_tls() => {
            let host = target.first_host().to_string();
            // Checked now, so a missing setting fails the start, not every call.
            crate::tls::peer_config(&host)?;
            Some(host)
        }
        _ => None,
    };
    crate::balance::balanced_channel(url, move |replica| {
        let endpoint = endpoint(replica, connect_timeout)?;
        match &tls_host {
            // Replicas are dialled by address; the certificate must name the peer's host.
            Some(host) => Ok(endpoint.tls_config(crate::tls::peer_config(host)?)?),
            None => Ok(endpoint),
        }
    })
}

/// The settings of one connection to one replica.
fn endpoint(url: &str, connect_timeout: Duration) -> anyhow::Result<Endpoint> {
    Ok(Endpoint::from_str(url)
        .map_err(|e| anyhow::anyhow!("'{url}' is not a usable URL: {e}"))?
        .connect_timeout(connect_timeout)
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_while_idle(true))
}

/// How a failed call to another service is answered to our own caller: a peer that is down or
/// overloaded is UNAVAILABLE (worth a retry); a peer refusing our token is a configuration
/// problem, FAILED_PRECONDITION naming the setting to fix; anything else is ours (INTERNAL,
/// logged with the peer's answer).
pub fn peer_failure(
    peer: &str,
    url: &str,
    token_setting: &str,
    status: &tonic::Status,
) -> crate::error::ApiError {
    use crate::error::ApiError;
    use tonic::Code;
    match status.code() {
        Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted | Code::Cancelled => {
            ApiError::Unavailable(format!(
                "the {peer} service at {url} did not answer ({}); try again",
                status.message()
            ))
        }
        Code::Unauthenticated | Code::PermissionDenied => ApiError::StateConflict(format!(
            "the {peer} service refused this service's token ({}): check {token_setting}",
            status.message()
        )),
        _ => ApiError::Internal(anyhow::anyhow!("calling {peer} at {url}: {status:?}")),
    }
}
