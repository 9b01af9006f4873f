//! Retrying calls to another service, only where it is safe and never so much that a failing
//! peer is hammered. Every call the suite's services make to each other is idempotent — a read,
//! or a change carrying a request id the peer replays — so an answer that says nothing was done
//! (UNAVAILABLE: the replica died or is draining; RESOURCE_EXHAUSTED: it shed the call; ABORTED:
//! a concurrent change got in the way) is tried again, after a short pause, on whichever replica
//! the balancer picks. A retry budget shared by all calls to one peer (tower's `TpsBudget`: at
//! least a few retries a second, beyond that a fifth of the calls) stops retries from
//! multiplying the load when the peer is down rather than briefly unlucky; the caller's deadline,
//! which every attempt carries, bounds the whole.
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tonic::{Code, Status};
use tower::ServiceExt;
use tower::retry::budget::{Budget, TpsBudget};

/// Most attempts of one call, the first included.
const ATTEMPTS: usize = 3;
/// Pause before the first retry; doubled before the next.
const FIRST_PAUSE: Duration = Duration::from_millis(25);

/// The retries of calls to one peer, with their shared budget.
#[derive(Clone)]
pub struct Retries {
    budget: Arc<TpsBudget>,
}

impl std::fmt::Debug for Retries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Retries")
    }
}

impl Default for Retries {
    /// Over any 10 s: at least 5 retries a second, and beyond that one for every five calls.
    fn default() -> Self {
        Self::with_budget(TpsBudget::new(Duration::from_secs(10), 5, 0.2))
    }
}

impl Retries {
    /// Retries within `budget`.
    pub fn with_budget(budget: TpsBudget) -> Self {
        Self {
            budget: Arc::new(budget),
        }
    }

    /// Makes the idempotent call `call(request)`, again when its answer says nothing was done
    /// and the budget allows (tower's retry middleware around the call).
    pub async fn call<Req, Res, F, Fut>(&self, request: Req, call: F) -> Result<Res, Status>
    where
        Req: Clone,
        F: FnMut(Req) -> Fut + Clone,
        Fut: Future<Output = Result<Res, Status>>,
    {
        let policy = Policy {
            budget: self.budget.clone(),
            attempts_left: ATTEMPTS - 1,
            pause: FIRST_PAUSE,
        };
        tower::retry::Retry::new(policy, tower::service_fn(call))
            .oneshot(request)
            .await
    }
}

/// Whether an answer says the peer did nothing, so the same call may be sent again.
pub fn nothing_done(code: Code) -> bool {
    matches!(
        code,
        Code::Unavailable | Code::ResourceExhausted | Code::Aborted
    )
}

#[derive(Clone)]
struct Policy {
    budget: Arc<TpsBudget>,
    attempts_left: usize,
    pause: Duration,
}

impl<Req: Clone, Res> tower::retry::Policy<Req, Res, Status> for Policy {
    type Future = Pin<Box<dyn Future<Output = ()> + Send>>;

    fn retry(&mut self, _: &mut Req, result: &mut Result<Res, Status>) -> Option<Self::Future> {
        match result {
            Ok(_) => {
                self.budget.deposit();
                None
            }
            Err(status)
                if nothing_done(status.code())
                    && self.attempts_left > 0
                    && self.budget.withdraw() =>
            {
                self.attempts_left -= 1;
                metrics::counter!("grpc_client_retries_total",
                    "code" => format!("{:?}", status.code()))
                .increment(1);
                let pause = self.pause;
                self.pause *= 2;
                Some(Box::pin(tokio::time::sleep(pause)))
            }
            Err(_) => None,
        }
    }

    fn clone_request(&mut self, request: &Req) -> Option<Req> {
        Some(request.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A call that answers `failures` with `code` before it succeeds; how many attempts it saw.
    async fn flaky(retries: &Retries, failures: usize, code: Code) -> (Result<u32, Status>, usize) {
        let attempts = Arc::new(AtomicUsize::new(0));
        let seen = attempts.clone();
        let answer = retries
            .call(7u32, move |request| {
                let attempts = seen.clone();
                async move {
                    if attempts.fetch_add(1, Ordering::SeqCst) < failures {
                        Err(Status::new(code, "not now"))
                    } else {
                        Ok(request * 6)
                    }
                }
            })
            .await;
        (answer, attempts.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn a_call_that_did_nothing_is_retried_a_bounded_number_of_times() {
        let retries = Retries::default();
        let (answer, attempts) = flaky(&retries, 2, Code::Unavailable).await;
        assert_eq!((answer.expect("third time"), attempts), (42, 3));

        let (answer, attempts) = flaky(&retries, 5, Code::ResourceExhausted).await;
        assert_eq!(
            answer.expect_err("gives up").code(),
            Code::ResourceExhausted
        );
        assert_eq!(attempts, ATTEMPTS, "bounded");

        // An answer that may have done something, or never will, is not retried.
        for code in [
            Code::DeadlineExceeded,
            Code::InvalidArgument,
            Code::Internal,
        ] {
            let (answer, attempts) = flaky(&retries, 1, code).await;
            assert_eq!(answer.expect_err("not retried").code(), code);
            assert_eq!(attempts, 1, "{code:?} is not retried");
        }
    }

    #[tokio::test]
    async fn an_exhausted_budget_stops_retries() {
        // No retries at all beyond what successes earn, and a success earns none.
        let retries = Retries::with_budget(TpsBudget::new(Duration::from_secs(10), 0, 0.0));
        let (answer, attempts) = flaky(&retries, 1, Code::Unavailable).await;
        assert_eq!(answer.expect_err("no budget").code(), Code::Unavailable);
        assert_eq!(attempts, 1);
    }
}
