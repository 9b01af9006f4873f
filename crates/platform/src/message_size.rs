//! The largest request message a server takes, enforced on the wire before anything is
//! buffered, and answered as RESOURCE_EXHAUSTED as every gRPC implementation does (tonic's own
//! decoder says OUT_OF_RANGE, which clients do not expect for this).
//!
//! A gRPC body is a sequence of messages, each prefixed by one compression-flag byte and a
//! big-endian u32 length. The prefixes are read as the bytes pass; nothing is copied.
use bytes::Bytes;
use http_body::{Body, Frame};
use pin_project_lite::pin_project;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use tonic::Status;

/// Length of a gRPC message prefix: the compression flag and the length.
const PREFIX_BYTES: usize = 5;

/// The refusal of a message over the limit.
fn too_large(length: u64, limit: usize) -> Status {
    crate::error::ApiError::MessageTooLarge { length, limit }.into()
}

/// Where a limited body says that it refused a message, for a caller that sees only the
/// consequences (the gateway, whose upstream call fails when the body it forwards does).
#[derive(Clone, Debug, Default)]
pub struct Refusal(Arc<OnceLock<Status>>);

impl Refusal {
    /// The refusal, once a message was over the limit.
    pub fn get(&self) -> Option<Status> {
        self.0.get().cloned()
    }
}

/// Where a reader stands in a sequence of length-prefixed messages.
#[derive(Debug, Default)]
struct Framing {
    /// Bytes of the current message still to pass.
    remaining: u64,
    /// The prefix of the next message, as far as it has arrived.
    prefix: [u8; PREFIX_BYTES],
    prefix_len: usize,
}

impl Framing {
    /// Follows the prefixes through `chunk`: the length of the first message over `max`.
    fn over_limit(&mut self, mut chunk: &[u8], max: usize) -> Option<u64> {
        while !chunk.is_empty() {
            if self.remaining > 0 {
                let step = chunk
                    .len()
                    .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
                self.remaining -= step as u64;
                chunk = &chunk[step..];
                continue;
            }
            let step = chunk.len().min(PREFIX_BYTES - self.prefix_len);
            self.prefix[self.prefix_len..self.prefix_len + step].copy_from_slice(&chunk[..step]);
            self.prefix_len += step;
            chunk = &chunk[step..];
            if self.prefix_len == PREFIX_BYTES {
                self.prefix_len = 0;
                let [_, a, b, c, d] = self.prefix;
                let length = u64::from(u32::from_be_bytes([a, b, c, d]));
                if length > max as u64 {
                    return Some(length);
                }
                self.remaining = length;
            }
        }
        None
    }
}

pin_project! {
    /// A request body that fails with RESOURCE_EXHAUSTED at the prefix of a message longer
    /// than `max`, before the message's bytes are passed on.
    pub struct LimitedBody<B> {
        #[pin]
        inner: B,
        max: usize,
        framing: Framing,
        refusal: Refusal,
    }
}

impl<B> LimitedBody<B> {
    /// `inner`, limited to messages of at most `max` bytes.
    pub fn new(inner: B, max: usize) -> Self {
        Self {
            inner,
            max,
            framing: Framing::default(),
            refusal: Refusal::default(),
        }
    }

    /// Where this body records a refusal.
    pub fn refusal(&self) -> Refusal {
        self.refusal.clone()
    }
}

impl<B> Body for LimitedBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        if let Some(refused) = this.refusal.get() {
            return Poll::Ready(Some(Err(refused)));
        }
        let frame = match std::task::ready!(this.inner.poll_frame(cx)) {
            Some(Ok(frame)) => frame,
            Some(Err(error)) => return Poll::Ready(Some(Err(Status::from_error(error.into())))),
            None => return Poll::Ready(None),
        };
        if let Some(data) = frame.data_ref()
            && let Some(length) = this.framing.over_limit(data, *this.max)
        {
            let status = too_large(length, *this.max);
            let _ = this.refusal.0.set(status.clone());
            return Poll::Ready(Some(Err(status)));
        }
        Poll::Ready(Some(Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.refusal.0.get().is_none() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Layer limiting every request message of a server to `max` bytes.
#[derive(Clone, Copy, Debug)]
pub struct MessageSizeLayer {
    max: usize,
}

impl MessageSizeLayer {
    /// Request messages of at most `max` bytes.
    pub fn new(max: usize) -> Self {
        Self { max }
    }
}

impl<S> tower::Layer<S> for MessageSizeLayer {
    type Service = MessageSizeService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        MessageSizeService {
            inner,
            max: self.max,
        }
    }
}

/// The service of [`MessageSizeLayer`].
#[derive(Clone, Debug)]
pub struct MessageSizeService<S> {
    inner: S,
    max: usize,
}

impl<S> tower::Service<http::Request<tonic::body::Body>> for MessageSizeService<S>
where
    S: tower::Service<http::Request<tonic::body::Body>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        let max = self.max;
        self.inner
            .call(request.map(|body| tonic::body::Body::new(LimitedBody::new(body, max))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    fn message(length: u32) -> Vec<u8> {
        let mut bytes = vec![0u8];
        bytes.extend_from_slice(&length.to_be_bytes());
        bytes.extend(std::iter::repeat_n(7u8, length as usize));
        bytes
    }

    /// A body delivering `bytes` in chunks of `size`.
    fn chunked(
        bytes: Vec<u8>,
        size: usize,
    ) -> impl Body<Data = Bytes, Error = std::convert::Infallible> {
        let frames: Vec<Result<Frame<Bytes>, std::convert::Infallible>> = bytes
            .chunks(size)
            .map(|c| Ok(Frame::data(Bytes::copy_from_slice(c))))
            .collect();
        http_body_util::StreamBody::new(futures::stream::iter(frames))
    }

    async fn read(body: impl Body<Data = Bytes, Error = Status>) -> Result<usize, Status> {
        let mut body = std::pin::pin!(body);
        let mut total = 0;
        while let Some(frame) = body.frame().await {
            total += frame?.into_data().map(|d| d.len()).unwrap_or(0);
        }
        Ok(total)
    }

    #[tokio::test]
    async fn messages_up_to_the_limit_pass_whatever_the_chunking() {
        for size in [1, 3, 5, 7, 64, 4096] {
            let mut bytes = message(100);
            bytes.extend(message(0));
            bytes.extend(message(100));
            let total = bytes.len();
            let passed = read(LimitedBody::new(chunked(bytes, size), 100)).await;
            assert_eq!(passed.expect("passes"), total, "chunks of {size}");
        }
    }

    #[tokio::test]
    async fn a_message_over_the_limit_is_resource_exhausted_before_its_bytes_pass() {
        for size in [1, 2, 5, 6, 4096] {
            let mut bytes = message(10);
            bytes.extend(message(101));
            let body = LimitedBody::new(chunked(bytes, size), 100);
            let refusal = body.refusal();
            let status = read(body).await.expect_err("refused");
            assert_eq!(
                status.code(),
                tonic::Code::ResourceExhausted,
                "chunks of {size}"
            );
            assert!(
                status.message().contains("101 bytes"),
                "{}",
                status.message()
            );
            assert_eq!(
                refusal.get().map(|s| s.code()),
                Some(tonic::Code::ResourceExhausted)
            );
        }
    }
}
