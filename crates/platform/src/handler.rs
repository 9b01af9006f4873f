//! The shape of every gRPC handler, so one reads in a few lines: accept the request (the service
//! is ready, every field is checked and all violations are reported together, a mutation's
//! idempotency key is valid and keys the context), call one use case, answer (mapping the
//! domain error to its gRPC status and details).
use crate::context::RequestContext;
use crate::error::{ApiError, Violations};
use crate::readiness::Readiness;
use credit_proto::Idempotent;
use tonic::{Request, Response, Status};

/// What a handler returns.
pub type Answer<T> = Result<Response<T>, Status>;

/// The answer of a use case: its value, or its error as a gRPC status with details.
pub fn answer<T>(result: Result<T, ApiError>) -> Answer<T> {
    result.map(Response::new).map_err(Status::from)
}

/// A read, accepted: the service is ready and `check` found nothing wrong.
pub fn accept_read<T>(
    readiness: &Readiness,
    request: Request<T>,
    check: impl FnOnce(&T, &mut Violations),
) -> Result<(RequestContext, T), Status> {
    let (context, request, ()) = accept_read_with(readiness, request, |request, violations| {
        check(request, violations);
        Some(())
    })?;
    Ok((context, request))
}

/// A read, accepted, with the typed value `validate` builds from it: `validate` records what is
/// wrong in the violations and gives the value when nothing is (`None` only with violations).
pub fn accept_read_with<T, V>(
    readiness: &Readiness,
    request: Request<T>,
    validate: impl FnOnce(&T, &mut Violations) -> Option<V>,
) -> Result<(RequestContext, T, V), Status> {
    readiness.ensure_ready()?;
    let context = RequestContext::from_request(&request);
    let request = request.into_inner();
    let mut violations = Violations::new();
    let value = validate(&request, &mut violations);
    violations.into_result()?;
    // Only a validator that gave no value without naming a field gets here: a bug, said once.
    let value = value.ok_or_else(|| {
        Status::internal("a validator refused the request without naming a field")
    })?;
    Ok((context, request, value))
}

/// A call whose request is a stream (its messages are checked as they are read), accepted: the
/// service is ready, and the context says who calls.
pub fn accept_stream<T>(
    readiness: &Readiness,
    request: &Request<T>,
) -> Result<RequestContext, Status> {
    readiness.ensure_ready()?;
    Ok(RequestContext::from_request(request))
}

/// A mutation, accepted: the service is ready, `check` found nothing wrong, the idempotency key
/// is a UUID (reported with the other violations), and the context is keyed by it.
pub fn accept_mutation<T: Idempotent>(
    readiness: &Readiness,
    request: Request<T>,
    check: impl FnOnce(&T, &mut Violations),
) -> Result<(RequestContext, T), Status> {
    let (context, request) = accept_read(readiness, request, |request, violations| {
        check(request, violations);
        crate::idempotency::validate_request_id(request.request_id(), violations);
    })?;
    let context = context.with_request_id(request.request_id());
    Ok((context, request))
}

/// A mutation, accepted as by [`accept_mutation`], with the typed value `validate` builds from
/// it (see [`accept_read_with`]).
pub fn accept_mutation_with<T: Idempotent, V>(
    readiness: &Readiness,
    request: Request<T>,
    validate: impl FnOnce(&T, &mut Violations) -> Option<V>,
) -> Result<(RequestContext, T, V), Status> {
    let (context, request, value) = accept_read_with(readiness, request, |request, violations| {
        let value = validate(request, violations);
        crate::idempotency::validate_request_id(request.request_id(), violations);
        value
    })?;
    let context = context.with_request_id(request.request_id());
    Ok((context, request, value))
}
