//! The caller's deadline (`grpc-timeout`) enforced at the gateway for the whole call, streams
//! included: tonic enforces it only until the response headers, so a server stream would
//! otherwise outlive its caller's deadline. When it passes, the response ends with
//! DEADLINE_EXCEEDED and the upstream stream is dropped (which cancels it upstream).
use http_body::{Body, Frame};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::time::{Instant, Sleep};

/// A response body that ends with DEADLINE_EXCEEDED trailers once `deadline` passes.
pub struct DeadlineBody {
    inner: tonic::body::Body,
    sleep: Pin<Box<Sleep>>,
    state: State,
}

#[derive(PartialEq, Eq)]
enum State {
    Streaming,
    Expired,
    Done,
}

impl DeadlineBody {
    /// Wraps `inner` with the deadline `at`.
    pub fn new(inner: tonic::body::Body, at: Instant) -> Self {
        Self {
            inner,
            sleep: Box::pin(tokio::time::sleep_until(at)),
            state: State::Streaming,
        }
    }
}

impl Body for DeadlineBody {
    type Data = bytes::Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        match self.state {
            State::Done => return Poll::Ready(None),
            State::Expired => {
                self.state = State::Done;
                let mut trailers = http::HeaderMap::new();
                trailers.insert("grpc-status", http::HeaderValue::from_static("4"));
                trailers.insert(
                    "grpc-message",
                    http::HeaderValue::from_static("Deadline%20exceeded"),
                );
                return Poll::Ready(Some(Ok(Frame::trailers(trailers))));
            }
            State::Streaming => {}
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.state = State::Expired;
            // Dropping the upstream body here resets the upstream stream.
            self.inner = tonic::body::Body::empty();
            return self.poll_frame(cx);
        }
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(None) = polled {
            self.state = State::Done;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        match self.state {
            State::Done => true,
            State::Expired => false,
            // An upstream body that has ended must be seen as ended, so the server closes the
            // stream with the last frame instead of an empty DATA frame after it.
            State::Streaming => self.inner.is_end_stream(),
        }
    }
}
