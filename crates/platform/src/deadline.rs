//! The caller's deadline, carried into the work its call does. The server layer
//! ([`crate::observe::ObserveLayer`]) reads the caller's `grpc-timeout` and runs the handler
//! inside [`within`]; every call the handler makes to another service ([`Outbound`]) then
//! carries what is left of it — the caller's deadline minus the time already spent — so no hop
//! keeps working for a caller that has given up. Calls made outside any caller's deadline
//! (background work: deliveries, probes of feeds) get a default instead of none.
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

tokio::task_local! {
    static DEADLINE: Instant;
}

/// The deadline of an outbound call made outside any caller's deadline.
pub const DEFAULT_OUTBOUND: Duration = Duration::from_secs(10);

/// Parses a `grpc-timeout` header value ("250m", "5S", "1H"). `None` when absent or malformed.
pub fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    if value.len() < 2 || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount.checked_mul(3600)?),
        "M" => Duration::from_secs(amount.checked_mul(60)?),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

/// The deadline a request's `grpc-timeout` sets, from now.
pub fn of_request(headers: &http::HeaderMap) -> Option<Instant> {
    headers
        .get("grpc-timeout")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_grpc_timeout)
        .map(|timeout| Instant::now() + timeout)
}

/// Runs `work` under `deadline` (when there is one): outbound calls it makes carry what is left.
pub async fn within<F: Future>(deadline: Option<Instant>, work: F) -> F::Output {
    match deadline {
        Some(at) => DEADLINE.scope(at, work).await,
        None => work.await,
    }
}

/// What is left of the deadline of the call being handled, if it has one.
pub fn remaining() -> Option<Duration> {
    DEADLINE
        .try_with(|at| at.saturating_duration_since(Instant::now()))
        .ok()
}

/// The most kept back from a caller's deadline for answering it ([`outbound_timeout`]).
pub const RESERVE: Duration = Duration::from_millis(250);

/// The timeout of an outbound call made now: what is left of the caller's deadline less a
/// reserve (a tenth of it, at most [`RESERVE`]), or `default` outside any. The reserve is the
/// time this service keeps to answer its caller itself: when a dependency hangs, the caller
/// hears "scoring did not answer; try again" (UNAVAILABLE) from this service before its own
/// deadline, instead of a bare DEADLINE_EXCEEDED that says nothing about where it stuck.
pub fn outbound_timeout(default: Duration) -> Duration {
    match remaining() {
        Some(left) => left.saturating_sub((left / 10).min(RESERVE)),
        None => default,
    }
}

/// The interceptor of every call one service makes to another: its bearer token, the deadline
/// ([`outbound_timeout`], unless the call set its own) and the current trace context, so the
/// callee's span joins the caller's trace.
#[derive(Debug, Clone)]
pub struct Outbound {
    token: crate::auth::BearerToken,
    default: Duration,
}

impl Outbound {
    /// Calls presenting `token`, with [`DEFAULT_OUTBOUND`] outside any caller's deadline.
    pub fn new(token: crate::auth::BearerToken) -> Self {
        Self {
            token,
            default: DEFAULT_OUTBOUND,
        }
    }
}

impl tonic::service::Interceptor for Outbound {
    fn call(&mut self, request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        let mut request = self.token.call(request)?;
        if !request.metadata().contains_key("grpc-timeout") {
            let left = outbound_timeout(self.default);
            if left.is_zero() {
                return Err(tonic::Status::deadline_exceeded(
                    "the caller's deadline passed before this call could be made",
                ));
            }
            request.set_timeout(left);
        }
        crate::telemetry::trace_context_interceptor(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::service::Interceptor;

    fn timeout_of(request: &tonic::Request<()>) -> Duration {
        parse_grpc_timeout(
            request
                .metadata()
                .get("grpc-timeout")
                .expect("a deadline")
                .to_str()
                .expect("ascii"),
        )
        .expect("parses")
    }

    #[test]
    fn grpc_timeouts_parse_in_every_unit() {
        assert_eq!(parse_grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_grpc_timeout("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parse_grpc_timeout("2M"), Some(Duration::from_secs(120)));
        assert_eq!(parse_grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_grpc_timeout("100u"), Some(Duration::from_micros(100)));
        assert_eq!(parse_grpc_timeout("7n"), Some(Duration::from_nanos(7)));
        for bad in [
            "",
            "5",
            "S",
            "m",
            "5s",
            "5x",
            "5X",
            "-5S",
            "123456789m",
            "1234567890S",
        ] {
            assert_eq!(parse_grpc_timeout(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn an_outbound_call_carries_what_is_left_of_the_callers_deadline() {
        let mut outbound = Outbound::new(crate::auth::BearerToken(Some("t".into())));
        // Outside any caller's deadline: the default.
        let request = outbound.call(tonic::Request::new(())).expect("intercepted");
        assert_eq!(timeout_of(&request), DEFAULT_OUTBOUND);
        assert!(request.metadata().contains_key("authorization"));

        // Within a caller's 30 s, after some time spent: what is left, never more.
        let asked = Duration::from_secs(30);
        within(Some(Instant::now() + asked), async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let request = outbound
                .clone()
                .call(tonic::Request::new(()))
                .expect("intercepted");
            let left = timeout_of(&request);
            // Less the reserve kept for answering the caller.
            assert!(
                left <= asked - Duration::from_millis(20) - RESERVE,
                "{left:?}"
            );
            assert!(left > Duration::from_secs(20), "{left:?}");
        })
        .await;

        // A short deadline keeps a tenth back, so this service still answers in time.
        within(Some(Instant::now() + Duration::from_secs(1)), async {
            let request = outbound
                .clone()
                .call(tonic::Request::new(()))
                .expect("intercepted");
            let left = timeout_of(&request);
            assert!(left <= Duration::from_millis(900), "{left:?}");
            assert!(left > Duration::from_millis(800), "{left:?}");
        })
        .await;

        // A caller whose deadline has passed: the call is not made.
        within(Some(Instant::now()), async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            let late = outbound
                .clone()
                .call(tonic::Request::new(()))
                .expect_err("nothing left");
            assert_eq!(late.code(), tonic::Code::DeadlineExceeded);
        })
        .await;

        // A call that set its own deadline keeps it.
        let mut own = tonic::Request::new(());
        own.set_timeout(Duration::from_millis(500));
        let request = outbound.call(own).expect("intercepted");
        assert_eq!(timeout_of(&request), Duration::from_millis(500));
    }
}
