//! What a handler knows about the call it serves: who, under which request id, in which trace.
use crate::auth::Caller;
use crate::telemetry::TraceId;

/// The caller, request id and trace id of one call; recorded with every change it makes.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// Who is calling.
    pub caller: Caller,
    /// The mutation's idempotency key (empty for reads).
    pub request_id: String,
    /// The W3C trace id, when the call is traced.
    pub trace_id: String,
}

impl RequestContext {
    /// Reads the verified caller and trace id that the server layers put into `request`.
    /// A request without a caller only reaches a handler when the method is public.
    pub fn from_request<T>(request: &tonic::Request<T>) -> Self {
        let caller = request
            .extensions()
            .get::<Caller>()
            .cloned()
            .unwrap_or_else(|| Caller::of(None, "anonymous", Vec::new()));
        let trace_id = request
            .extensions()
            .get::<TraceId>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        Self {
            caller,
            request_id: String::new(),
            trace_id,
        }
    }

    /// The same context with the mutation's request id.
    pub fn with_request_id(mut self, request_id: &str) -> Self {
        self.request_id = request_id.to_string();
        self
    }

    /// Context for work the service does on its own.
    pub fn system(job: &str) -> Self {
        Self {
            caller: Caller::system(job),
            request_id: String::new(),
            trace_id: String::new(),
        }
    }
}
