//! The one place where errors become gRPC statuses with `google.rpc` details.
//!
//! Services convert their domain errors into [`ApiError`] variant by variant; this module maps
//! each variant to a code, a `BadRequest` (invalid input) or an `ErrorInfo` with a stable reason
//! (`credit.type.v1.ErrorReason`). Internal errors are logged and never leak to callers.
use std::collections::HashMap;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The `ErrorInfo.domain` of every credit-suite error.
pub const ERROR_DOMAIN: &str = "credit-suite.dev";

/// One invalid field: its path in the request ("amount.currency_code") and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Field path in the request, dot-separated.
    pub field: String,
    /// What is wrong, for a person.
    pub description: String,
}

impl FieldViolation {
    /// A violation of `field`.
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// Collects field violations so a request gets every problem in one answer.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    /// No violations yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one violation.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation::new(field, description));
    }

    /// Keeps the value of a check, or records its violations and returns `None`.
    pub fn check<T, E: Into<Vec<FieldViolation>>>(&mut self, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(errors) => {
                self.0.extend(errors.into());
                None
            }
        }
    }

    /// `Ok(())` when nothing was recorded, else the invalid-argument error.
    pub fn into_result(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::InvalidArgument(self.0))
        }
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<FieldViolation> for Vec<FieldViolation> {
    fn from(value: FieldViolation) -> Self {
        vec![value]
    }
}

/// The closed set of errors a service answers with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Invalid request fields; every one is named.
    #[error("invalid request: {}", describe(.0))]
    InvalidArgument(Vec<FieldViolation>),
    /// The named resource does not exist.
    #[error("{kind} '{id}' not found")]
    NotFound {
        /// Resource kind, for example "credit account".
        kind: &'static str,
        /// Its id.
        id: String,
    },
    /// A resource with that identity exists already.
    #[error("{kind} '{id}' already exists")]
    AlreadyExists {
        /// Resource kind.
        kind: &'static str,
        /// Its id.
        id: String,
    },
    /// The request id was used before with different parameters.
    #[error("request_id '{0}' was already used for a different request")]
    RequestIdReused(String),
    /// The operation conflicts with the resource's state.
    #[error("{0}")]
    StateConflict(String),
    /// A structural business rule would be broken.
    #[error("{message}")]
    RuleViolation {
        /// Stable reason, UPPER_SNAKE_CASE.
        reason: &'static str,
        /// For a person.
        message: String,
    },
    /// Missing or invalid credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller lacks a role.
    #[error("{0}")]
    PermissionDenied(String),
    /// The customer is outside the caller's data scope (regions, business units).
    #[error("{0}")]
    OutOfScope(String),
    /// A dependency is down; retrying later may succeed.
    #[error("{0}")]
    Unavailable(String),
    /// The service has more work queued than it takes: UNAVAILABLE with reason OVERLOADED and
    /// the pause to wait before retrying (with the same request id).
    #[error("{message}")]
    Overloaded {
        /// For a person.
        message: String,
        /// Wait at least this long before retrying.
        retry_after: std::time::Duration,
    },
    /// The gateway routes no service of that name.
    #[error("{0}")]
    UnknownService(String),
    /// The gateway could not reach the service.
    #[error("{0}")]
    UpstreamUnavailable(String),
    /// Stored data no longer matches what was fixed when it was written (a document whose
    /// hash changed): DATA_LOSS.
    #[error("{0}")]
    DataLoss(String),
    /// A request message over the server's limit: RESOURCE_EXHAUSTED.
    #[error("a request message of {length} bytes is larger than the limit of {limit} bytes")]
    MessageTooLarge {
        /// The message's length from its prefix.
        length: u64,
        /// The largest message accepted.
        limit: usize,
    },
    /// A concurrent change to the same data got in the way, and running again did not get
    /// past it: ABORTED (nothing was written; retry with the same request id).
    #[error("{0}")]
    Aborted(String),
    /// Anything unexpected; logged, answered as INTERNAL without details.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

fn describe(violations: &[FieldViolation]) -> String {
    violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.description))
        .collect::<Vec<_>>()
        .join("; ")
}

impl ApiError {
    /// The field violations of an invalid-argument error, or the error as one violation of
    /// "request" — to collect several validations into one answer.
    pub fn into_violations(self) -> Vec<FieldViolation> {
        match self {
            ApiError::InvalidArgument(violations) => violations,
            other => vec![FieldViolation::new("request", other.to_string())],
        }
    }
}

impl From<Vec<FieldViolation>> for ApiError {
    fn from(value: Vec<FieldViolation>) -> Self {
        Self::InvalidArgument(value)
    }
}

impl From<FieldViolation> for ApiError {
    fn from(value: FieldViolation) -> Self {
        Self::InvalidArgument(vec![value])
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(value: sqlx::Error) -> Self {
        if database_unavailable(&value) {
            // Nothing was written (the statement never ran, or its transaction rolled back):
            // the caller may retry, with the same request_id.
            Self::Unavailable(format!("the database cannot serve now, retry: {value}"))
        } else if crate::db::is_retryable_conflict(&value) {
            Self::Aborted(format!(
                "a concurrent change to the same data got in the way, retry: {value}"
            ))
        } else {
            Self::Internal(value.into())
        }
    }
}

/// Whether a database error is the database being unreachable or saturated rather than a fault
/// of the request or the code: every connection busy past the acquire timeout, the pool closed,
/// the connection lost, PostgreSQL shutting down, starting or out of connections.
pub fn database_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Database(e) => e.code().is_some_and(|code| {
            // Class 08: connection exception; 57P01-03: admin shutdown, crash shutdown, cannot
            // connect now; 53300: too many connections.
            code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300")
        }),
        _ => false,
    }
}

fn info_status(
    code: Code,
    reason: &str,
    message: String,
    metadata: HashMap<String, String>,
) -> Status {
    let details = ErrorDetails::with_error_info(reason, ERROR_DOMAIN, metadata);
    Status::with_error_details(code, message, details)
}

impl From<ApiError> for Status {
    fn from(error: ApiError) -> Self {
        let message = error.to_string();
        match error {
            ApiError::InvalidArgument(violations) => {
                let mut details = ErrorDetails::new();
                for v in &violations {
                    details.add_bad_request_violation(v.field.clone(), v.description.clone());
                }
                details.set_error_info("INVALID_FIELDS", ERROR_DOMAIN, HashMap::new());
                Status::with_error_details(Code::InvalidArgument, message, details)
            }
            ApiError::NotFound { kind, id } => info_status(
                Code::NotFound,
                "RESOURCE_NOT_FOUND",
                message,
                HashMap::from([("resource".into(), kind.into()), ("id".into(), id)]),
            ),
            ApiError::AlreadyExists { kind, id } => info_status(
                Code::AlreadyExists,
                "RESOURCE_ALREADY_EXISTS",
                message,
                HashMap::from([("resource".into(), kind.into()), ("id".into(), id)]),
            ),
            ApiError::RequestIdReused(id) => info_status(
                Code::AlreadyExists,
                "REQUEST_ID_REUSED",
                message,
                HashMap::from([("request_id".into(), id)]),
            ),
            ApiError::StateConflict(_) => info_status(
                Code::FailedPrecondition,
                "STATE_CONFLICT",
                message,
                HashMap::new(),
            ),
            ApiError::RuleViolation { reason, .. } => {
                info_status(Code::FailedPrecondition, reason, message, HashMap::new())
            }
            ApiError::Unauthenticated(_) => info_status(
                Code::Unauthenticated,
                "TOKEN_INVALID",
                message,
                HashMap::new(),
            ),
            ApiError::PermissionDenied(_) => info_status(
                Code::PermissionDenied,
                "ROLE_MISSING",
                message,
                HashMap::new(),
            ),
            ApiError::OutOfScope(_) => info_status(
                Code::PermissionDenied,
                "OUT_OF_SCOPE",
                message,
                HashMap::new(),
            ),
            ApiError::Unavailable(_) => {
                info_status(Code::Unavailable, "NOT_READY", message, HashMap::new())
            }
            ApiError::Overloaded { retry_after, .. } => {
                let mut details = ErrorDetails::with_error_info(
                    "OVERLOADED",
                    ERROR_DOMAIN,
                    HashMap::from([(
                        "retry_after_ms".to_string(),
                        retry_after.as_millis().to_string(),
                    )]),
                );
                details.set_retry_info(Some(retry_after));
                Status::with_error_details(Code::Unavailable, message, details)
            }
            ApiError::Aborted(_) => {
                info_status(Code::Aborted, "CONCURRENT_CHANGE", message, HashMap::new())
            }
            ApiError::UnknownService(_) => info_status(
                Code::Unimplemented,
                "UNKNOWN_SERVICE",
                message,
                HashMap::new(),
            ),
            ApiError::UpstreamUnavailable(_) => info_status(
                Code::Unavailable,
                "UPSTREAM_UNAVAILABLE",
                message,
                HashMap::new(),
            ),
            ApiError::DataLoss(_) => {
                tracing::error!(%message, "stored data failed its integrity check");
                info_status(Code::DataLoss, "DATA_INTEGRITY", message, HashMap::new())
            }
            ApiError::MessageTooLarge { length, limit } => info_status(
                Code::ResourceExhausted,
                "MESSAGE_TOO_LARGE",
                message,
                HashMap::from([
                    ("message_bytes".into(), length.to_string()),
                    ("limit_bytes".into(), limit.to_string()),
                ]),
            ),
            ApiError::Internal(source) => {
                tracing::error!(error = ?source, "internal error");
                Status::internal("internal error")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_exhausted_pool_answers_unavailable_not_internal() {
        let database = crate::testing::TestDatabase::create()
            .await
            .expect("database");
        let mut config = database.config.clone();
        config.database_max_connections = 1;
        config.database_acquire_timeout_secs = 1;
        let db = crate::db::Db::connect(&config).await.expect("connect");
        let _held = db.pool.acquire().await.expect("the only connection");
        let error: ApiError = sqlx::query("SELECT 1")
            .execute(&db.pool)
            .await
            .expect_err("no connection left")
            .into();
        let status: Status = error.into();
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
        assert!(status.message().contains("retry"), "{}", status.message());
    }

    #[test]
    fn faults_of_the_code_stay_internal() {
        let status: Status = ApiError::from(sqlx::Error::RowNotFound).into();
        assert_eq!(status.code(), Code::Internal);
    }

    #[test]
    fn invalid_argument_names_every_field() {
        let mut v = Violations::new();
        v.add("amount.amount", "must be positive");
        v.add("customer_id", "required");
        let status: Status = v.into_result().expect_err("must be refused").into();
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let fields: Vec<_> = details
            .bad_request()
            .expect("bad request detail")
            .field_violations
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(fields, ["amount.amount", "customer_id"]);
    }

    #[test]
    fn business_rejections_carry_a_stable_reason() {
        let status: Status = ApiError::StateConflict("reservation is released".into()).into();
        assert_eq!(status.code(), Code::FailedPrecondition);
        let info = status
            .get_error_details()
            .error_info()
            .cloned()
            .expect("error info");
        assert_eq!(info.reason, "STATE_CONFLICT");
        assert_eq!(info.domain, ERROR_DOMAIN);
    }

    #[test]
    fn internal_errors_do_not_leak() {
        let status: Status = ApiError::Internal(anyhow::anyhow!("password=secret")).into();
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("secret"));
    }
}
