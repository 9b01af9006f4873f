"""The suite driven by the official Python gRPC client (grpcio: the C-core that Python, C++, Ruby,
PHP and C# share), through the gateway and straight at each service: every check runs both ways,
so a difference between the two is a failing test.

Errors are decoded with grpcio-status (google.rpc.Status with BadRequest / ErrorInfo), health
with grpcio-health-checking, reflection with grpcio-reflection's descriptor database."""
import hashlib
import json
import pathlib
import re
import time
import urllib.request
import uuid

import grpc
import pytest
from google.protobuf import descriptor_pool, json_format
from google.rpc import error_details_pb2
from google.type import date_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)
from grpc_status import rpc_status

from conftest import SUITE, address, auth, channel, module

limits_pb2 = module("credit.limits.v1.limits_pb2")
limits_grpc = module("credit.limits.v1.limits_pb2_grpc")
money_pb2 = module("credit.type.v1.money_pb2")
scoring_pb2 = module("credit.scoring.v1.scoring_pb2")
scoring_grpc = module("credit.scoring.v1.scoring_pb2_grpc")
applications_pb2 = module("credit.applications.v1.applications_pb2")
applications_grpc = module("credit.applications.v1.applications_pb2_grpc")
collections_pb2 = module("credit.collections.v1.collections_pb2")
collections_grpc = module("credit.collections.v1.collections_pb2_grpc")
audit_pb2 = module("credit.audit.v1.audit_pb2")
audit_grpc = module("credit.audit.v1.audit_pb2_grpc")
event_pb2 = module("credit.event.v1.event_pb2")
event_grpc = module("credit.event.v1.event_pb2_grpc")

LIMITS = "credit.limits.v1"
SCORING = "credit.scoring.v1"
APPLICATIONS = "credit.applications.v1"
COLLECTIONS = "credit.collections.v1"
AUDIT = "credit.audit.v1"
VIA = ["gateway", "direct"]
TIMEOUT = 30


def stub(kind, package, via, compression=None):
    return kind(channel(address(package, via), compression))


def limits(via, compression=None):
    return stub(limits_grpc.LimitsServiceStub, LIMITS, via, compression)


def limits_feed(via):
    """Limits' event feed: the gateway routes the shared feed service by the credit-feed metadata."""
    return stub(event_grpc.EventFeedServiceStub, LIMITS, via)


def feed_auth(source: str = "limits") -> list:
    return auth() + [("credit-feed", source)]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12].upper()}"


def money(amount: str, currency: str = "EUR"):
    return money_pb2.Money(amount=amount, currency_code=currency)


def create_account(via, customer_id=None, role="admin"):
    customer_id = customer_id or unique("PY")
    return limits(via).CreateCreditAccount(
        limits_pb2.CreateCreditAccountRequest(
            credit_account=limits_pb2.CreditAccount(
                customer_id=customer_id, name="Interop GmbH", currency_code="EUR"
            ),
            request_id=str(uuid.uuid4()),
        ),
        metadata=auth(role),
        timeout=TIMEOUT,
    )


def set_limit(via, customer_id, amount):
    return limits(via).SetCreditLimit(
        limits_pb2.SetCreditLimitRequest(
            customer_id=customer_id,
            credit_limit=limits_pb2.CreditLimit(
                mode=limits_pb2.LIMIT_MODE_AMOUNT, amount=money(amount)
            ),
            reason="interop",
            request_id=str(uuid.uuid4()),
            approved_by=["interop.manager"],
            approval_reference="INTEROP-1",
        ),
        metadata=auth("applications"),
        timeout=TIMEOUT,
    )


def french_vat() -> str:
    """A valid French VAT number: FR, the key (12 + 3 × (SIREN mod 97)) mod 97, a Luhn-valid SIREN."""
    payload = str(uuid.uuid4().int)[:8]
    total = 0
    for position, digit in enumerate(reversed(payload)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    siren = payload + str((10 - total % 10) % 10)
    key = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{key:02d}{siren}"


EXAMPLE_APPLICATION = json.loads(
    (pathlib.Path(SUITE["repo_dir"]) / "services/applications/examples/application.json").read_text()
)


def application_message(tax_id=None, **applicant_changes):
    document = json.loads(json.dumps(EXAMPLE_APPLICATION))
    document["customer_id"] = unique("PYAPP")
    document["applicant"]["tax_id"] = tax_id or french_vat()
    document["applicant"].update(applicant_changes)
    return json_format.ParseDict(document, applications_pb2.Application())


def create_application(via, application=None, role="admin"):
    return stub(applications_grpc.ApplicationsServiceStub, APPLICATIONS, via).CreateApplication(
        applications_pb2.CreateApplicationRequest(
            application=application or application_message(), request_id=str(uuid.uuid4())
        ),
        metadata=auth(role),
        timeout=TIMEOUT,
    )


# ---------------------------------------------------------------------------------------------
# Errors: code, message and google.rpc details, decoded by grpcio-status.


def rpc_error(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        call()
    return raised.value


def details(error: grpc.RpcError) -> dict:
    status = rpc_status.from_call(error)
    assert status is not None, f"{error.code()} without grpc-status-details-bin: {error.details()}"
    assert status.code == error.code().value[0]
    assert status.message == error.details()
    found = {}
    for any_detail in status.details:
        for kind in (error_details_pb2.BadRequest, error_details_pb2.ErrorInfo):
            if any_detail.Is(kind.DESCRIPTOR):
                message = kind()
                any_detail.Unpack(message)
                found[kind.__name__] = message
    return found


def expect(error, code, reason, field=None):
    assert error.code() == code, f"{error.code()} {error.details()}"
    assert error.details(), "the message says what is wrong"
    found = details(error)
    assert found["ErrorInfo"].reason == reason
    assert found["ErrorInfo"].domain == "credit-suite.dev"
    if field is not None:
        fields = [v.field for v in found["BadRequest"].field_violations]
        assert field in fields, fields


@pytest.mark.parametrize("via", VIA)
def test_a_negative_amount_is_invalid_argument_naming_the_field(via):
    account = create_account(via)
    error = rpc_error(
        lambda: limits(via).CheckCredit(
            limits_pb2.CheckCreditRequest(
                customer_id=account.customer_id,
                order_id="SO-1",
                amount=money("-5"),
                request_id=str(uuid.uuid4()),
            ),
            metadata=auth(),
            timeout=TIMEOUT,
        )
    )
    expect(error, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELDS", "amount.amount")


@pytest.mark.parametrize("via", VIA)
def test_an_unknown_currency_is_invalid_argument_naming_the_field(via):
    error = rpc_error(
        lambda: limits(via).CheckCredit(
            limits_pb2.CheckCreditRequest(
                customer_id="ANY",
                order_id="SO-1",
                amount=money("5", "EUX"),
                request_id=str(uuid.uuid4()),
            ),
            metadata=auth(),
            timeout=TIMEOUT,
        )
    )
    expect(error, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELDS", "amount.currency_code")


@pytest.mark.parametrize("via", VIA)
def test_an_invalid_iban_is_invalid_argument_naming_the_nested_field(via):
    application = application_message()
    application.applicant.bank_account.iban = "FR00 0000"
    error = rpc_error(lambda: create_application(via, application))
    expect(
        error,
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_FIELDS",
        "application.applicant.bank_account.iban",
    )


NOT_FOUND_CASES = {
    "limits account": lambda via: limits(via).GetCreditAccount(
        limits_pb2.GetCreditAccountRequest(customer_id=unique("NOBODY")), metadata=auth(), timeout=TIMEOUT
    ),
    "limits check of an unknown account": lambda via: limits(via).CheckCredit(
        limits_pb2.CheckCreditRequest(
            customer_id=unique("NOBODY"), order_id="SO-1", amount=money("5"), request_id=str(uuid.uuid4())
        ),
        metadata=auth(),
        timeout=TIMEOUT,
    ),
    "scoring score": lambda via: stub(scoring_grpc.ScoringServiceStub, SCORING, via).GetScore(
        scoring_pb2.GetScoreRequest(score_id=str(uuid.uuid4())), metadata=auth(), timeout=TIMEOUT
    ),
    "applications application": lambda via: stub(
        applications_grpc.ApplicationsServiceStub, APPLICATIONS, via
    ).GetApplication(
        applications_pb2.GetApplicationRequest(application_id=str(uuid.uuid4())), metadata=auth(), timeout=TIMEOUT
    ),
    "collections customer": lambda via: stub(collections_grpc.CollectionsServiceStub, COLLECTIONS, via).GetCustomer(
        collections_pb2.GetCustomerRequest(customer_id=unique("NOBODY")), metadata=auth(), timeout=TIMEOUT
    ),
    "audit entry": lambda via: stub(audit_grpc.AuditServiceStub, AUDIT, via).GetAuditEntry(
        audit_pb2.GetAuditEntryRequest(log_index=10**12), metadata=auth(), timeout=TIMEOUT
    ),
}


@pytest.mark.parametrize("via", VIA)
@pytest.mark.parametrize("case", sorted(NOT_FOUND_CASES))
def test_what_does_not_exist_is_not_found(case, via):
    error = rpc_error(lambda: NOT_FOUND_CASES[case](via))
    expect(error, grpc.StatusCode.NOT_FOUND, "RESOURCE_NOT_FOUND")


@pytest.mark.parametrize("via", VIA)
def test_a_reused_request_id_with_other_parameters_is_already_exists(via):
    request_id = str(uuid.uuid4())

    def create(name):
        return limits(via).CreateCreditAccount(
            limits_pb2.CreateCreditAccountRequest(
                credit_account=limits_pb2.CreditAccount(
                    customer_id=unique("PYREUSE"), name=name, currency_code="EUR"
                ),
                request_id=request_id,
            ),
            metadata=auth(),
            timeout=TIMEOUT,
        )

    create("First GmbH")
    error = rpc_error(lambda: create("Second GmbH"))
    expect(error, grpc.StatusCode.ALREADY_EXISTS, "REQUEST_ID_REUSED")


@pytest.mark.parametrize("via", VIA)
def test_a_retry_with_the_same_request_id_replays_the_first_answer(via):
    request = limits_pb2.CreateCreditAccountRequest(
        credit_account=limits_pb2.CreditAccount(customer_id=unique("PYRETRY"), name="Retry SA", currency_code="EUR"),
        request_id=str(uuid.uuid4()),
    )
    first = limits(via).CreateCreditAccount(request, metadata=auth(), timeout=TIMEOUT)
    again = limits(via).CreateCreditAccount(request, metadata=auth(), timeout=TIMEOUT)
    assert again == first


@pytest.mark.parametrize("via", VIA)
def test_a_second_open_application_for_the_same_tax_id_is_already_exists(via):
    tax_id = french_vat()
    create_application(via, application_message(tax_id))
    error = rpc_error(lambda: create_application(via, application_message(tax_id)))
    expect(error, grpc.StatusCode.ALREADY_EXISTS, "RESOURCE_ALREADY_EXISTS")


@pytest.mark.parametrize("via", VIA)
def test_releasing_a_lifted_hold_again_is_failed_precondition(via):
    account = create_account(via)
    service = limits(via)
    hold = service.PlaceCreditHold(
        limits_pb2.PlaceCreditHoldRequest(
            customer_id=account.customer_id, reason="interop", request_id=str(uuid.uuid4())
        ),
        metadata=auth(),
        timeout=TIMEOUT,
    )

    def release():
        return service.ReleaseCreditHold(
            limits_pb2.ReleaseCreditHoldRequest(hold_id=hold.hold_id, reason="paid", request_id=str(uuid.uuid4())),
            metadata=auth(),
            timeout=TIMEOUT,
        )

    release()
    expect(rpc_error(release), grpc.StatusCode.FAILED_PRECONDITION, "STATE_CONFLICT")


PERMISSION_CASES = {
    "a viewer opening an account": lambda via: create_account(via, role="viewer"),
    "sales reading the audit log": lambda via: stub(audit_grpc.AuditServiceStub, AUDIT, via).ListAuditEntries(
        audit_pb2.ListAuditEntriesRequest(), metadata=auth("sales"), timeout=TIMEOUT
    ),
    "a viewer uploading a scoring policy": lambda via: stub(scoring_grpc.ScoringServiceStub, SCORING, via).UploadPolicy(
        scoring_pb2.UploadPolicyRequest(), metadata=auth("viewer"), timeout=TIMEOUT
    ),
}


@pytest.mark.parametrize("via", VIA)
@pytest.mark.parametrize("case", sorted(PERMISSION_CASES))
def test_a_missing_role_is_permission_denied(case, via):
    expect(rpc_error(lambda: PERMISSION_CASES[case](via)), grpc.StatusCode.PERMISSION_DENIED, "ROLE_MISSING")


@pytest.mark.parametrize("via", VIA)
def test_another_regions_customer_is_not_found_to_read_and_out_of_scope_to_change(via):
    # The account has no region: outside an analyst limited to EMEA.
    account = create_account(via)
    service = limits(via)
    read = lambda: service.GetCreditAccount(
        limits_pb2.GetCreditAccountRequest(customer_id=account.customer_id),
        metadata=auth("emea_analyst"),
        timeout=TIMEOUT,
    )
    expect(rpc_error(read), grpc.StatusCode.NOT_FOUND, "RESOURCE_NOT_FOUND")
    hold = lambda: service.PlaceCreditHold(
        limits_pb2.PlaceCreditHoldRequest(
            customer_id=account.customer_id, reason="interop", request_id=str(uuid.uuid4())
        ),
        metadata=auth("emea_analyst"),
        timeout=TIMEOUT,
    )
    expect(rpc_error(hold), grpc.StatusCode.PERMISSION_DENIED, "OUT_OF_SCOPE")


@pytest.mark.parametrize("via", VIA)
@pytest.mark.parametrize("token", ["none", "garbage", "foreign"])
def test_a_missing_or_bad_token_is_unauthenticated(token, via):
    metadata = {
        "none": [],
        "garbage": [("authorization", "Bearer not.a.token")],
        "foreign": [("authorization", "Bearer " + SUITE["tokens"]["foreign"])],
    }[token]
    error = rpc_error(
        lambda: limits(via).GetCreditAccount(
            limits_pb2.GetCreditAccountRequest(customer_id="ANY"), metadata=metadata, timeout=TIMEOUT
        )
    )
    expect(error, grpc.StatusCode.UNAUTHENTICATED, "TOKEN_INVALID")


# ---------------------------------------------------------------------------------------------
# Unary success, metadata and trailers, compression, message size.


@pytest.mark.parametrize("via", VIA)
def test_a_credit_check_is_approved_and_reserves(via):
    account = create_account(via)
    set_limit(via, account.customer_id, "1000")
    answer = limits(via).CheckCredit(
        limits_pb2.CheckCreditRequest(
            customer_id=account.customer_id, order_id="SO-1", amount=money("400"), request_id=str(uuid.uuid4())
        ),
        metadata=auth(),
        timeout=TIMEOUT,
    )
    assert answer.outcome == limits_pb2.CHECK_OUTCOME_APPROVED, answer
    assert answer.reservation.reservation_id


SCORING_SERVICE = "credit.scoring.v1.ScoringService"


@pytest.mark.parametrize("via", VIA)
def test_each_service_answers_a_unary_call(via):
    model = stub(scoring_grpc.ScoringServiceStub, SCORING, via).GetModel(
        scoring_pb2.GetModelRequest(), metadata=auth("viewer"), timeout=TIMEOUT
    )
    assert model.version
    created = create_application(via)
    assert created.application_id
    customer = stub(collections_grpc.CollectionsServiceStub, COLLECTIONS, via).PutCustomer(
        collections_pb2.PutCustomerRequest(
            customer=collections_pb2.Customer(customer_id=unique("PYCOL"), name="Collect SARL", language="fr"),
            request_id=str(uuid.uuid4()),
        ),
        metadata=auth(),
        timeout=TIMEOUT,
    )
    assert customer.name == "Collect SARL"
    checkpoint = stub(audit_grpc.AuditServiceStub, AUDIT, via).GetCheckpoint(
        audit_pb2.GetCheckpointRequest(), metadata=auth(), timeout=TIMEOUT
    )
    assert checkpoint.checkpoint.origin


TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.mark.parametrize("via", VIA)
def test_metadata_reaches_the_service_and_comes_back_with_trailers(via):
    customer_id = unique("PYTRACE")
    metadata = auth() + [
        ("traceparent", f"00-{TRACE_ID}-00f067aa0ba902b7-01"),
        ("x-interop-client", "python-grpcio"),
    ]
    _, call = limits(via).CreateCreditAccount.with_call(
        limits_pb2.CreateCreditAccountRequest(
            credit_account=limits_pb2.CreditAccount(customer_id=customer_id, name="Trace AG", currency_code="EUR"),
            request_id=str(uuid.uuid4()),
        ),
        metadata=metadata,
        timeout=TIMEOUT,
    )
    initial = dict(call.initial_metadata())
    trailers = dict(call.trailing_metadata())
    # The caller's trace context arrived: the service answers in it and records it on the event.
    assert initial.get("x-trace-id") == TRACE_ID, initial
    timing = trailers.get("server-timing", "")
    assert re.search(r"\blimits;dur=\d+\.\d+", timing), trailers
    assert ("gateway;dur=" in timing) == (via == "gateway"), timing
    events = feed(via, after=0, backlog_only=True)
    created = [e for e in events if e.customer_id == customer_id]
    assert created and created[0].trace_id == TRACE_ID


@pytest.mark.parametrize("via", VIA)
def test_gzip_in_both_directions(via):
    service = limits(via, grpc.Compression.Gzip)
    name = "Gzip " + "compressible " * 14
    customer_id = unique("PYGZIP")
    created, call = service.CreateCreditAccount.with_call(
        limits_pb2.CreateCreditAccountRequest(
            credit_account=limits_pb2.CreditAccount(customer_id=customer_id, name=name.strip(), currency_code="EUR"),
            request_id=str(uuid.uuid4()),
        ),
        metadata=auth(),
        timeout=TIMEOUT,
        compression=grpc.Compression.Gzip,
    )
    assert created.name == name.strip()
    again = service.GetCreditAccount(
        limits_pb2.GetCreditAccountRequest(customer_id=customer_id), metadata=auth(), timeout=TIMEOUT
    )
    assert again.name == name.strip()


MAX = SUITE["max_message_bytes"]


def upload(via, application_id, chunks, compression=None):
    service = stub(applications_grpc.ApplicationsServiceStub, APPLICATIONS, via, compression)

    def messages():
        yield applications_pb2.UploadDocumentRequest(
            metadata=applications_pb2.DocumentUpload(
                application_id=application_id,
                file_name="accounts-2025.pdf",
                content_type="application/pdf",
                kind=applications_pb2.DOCUMENT_KIND_FINANCIAL_STATEMENT,
                request_id=str(uuid.uuid4()),
            )
        )
        for chunk in chunks:
            yield applications_pb2.UploadDocumentRequest(chunk=chunk)

    return service.UploadDocument(messages(), metadata=auth(), timeout=120)


@pytest.mark.parametrize("via", VIA)
def test_a_client_stream_uploads_a_document_in_chunks(via):
    application = create_application(via)
    content = b"%PDF-1.7\n" + bytes(range(256)) * 1024
    chunks = [content[i : i + 64 * 1024] for i in range(0, len(content), 64 * 1024)]
    document = upload(via, application.application_id, chunks)
    assert document.size_bytes == len(content)
    assert document.sha256 == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize("via", VIA)
def test_a_message_near_the_limit_passes_and_one_above_is_resource_exhausted(via):
    application = create_application(via)
    # The message is the chunk plus a few bytes of framing: 64 KiB under the limit passes.
    near = b"%PDF-1.7\n" + b"\0" * (MAX - 64 * 1024)
    document = upload(via, application.application_id, [near])
    assert document.size_bytes == len(near)
    above = b"%PDF-1.7\n" + b"\0" * (MAX + 1)
    error = rpc_error(lambda: upload(via, application.application_id, [above]))
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, f"{error.code()} {error.details()}"
    info = details(error)["ErrorInfo"]
    assert info.reason == "MESSAGE_TOO_LARGE"
    assert int(info.metadata["limit_bytes"]) == MAX


@pytest.mark.parametrize("via", VIA)
def test_a_client_stream_imports_receivables(via):
    customer_id = unique("PYLEDGER")
    rows = [
        collections_pb2.DocumentRow(
            row_number=i + 1,
            document=collections_pb2.ReceivableDocument(
                document_id=f"{customer_id}-INV-{i}",
                customer_id=customer_id,
                kind=collections_pb2.DOCUMENT_KIND_INVOICE,
                amount=money("100.00"),
                issue_date=date_pb2.Date(year=2026, month=10, day=1),
                due_date=date_pb2.Date(year=2026, month=10, day=31),
                payment_terms_days=30,
            ),
        )
        for i in range(50)
    ]

    def messages():
        yield collections_pb2.ImportDocumentsRequest(options=collections_pb2.ImportOptions(source="python"))
        for row in rows:
            yield collections_pb2.ImportDocumentsRequest(row=row)

    report = stub(collections_grpc.CollectionsServiceStub, COLLECTIONS, via).ImportDocuments(
        messages(), metadata=auth(), timeout=TIMEOUT
    )
    assert (report.rows, report.created, len(report.rejected)) == (50, 50, 0), report


# ---------------------------------------------------------------------------------------------
# Server streams, deadlines.


def feed(via, after, backlog_only):
    stream = limits_feed(via).StreamEvents(
        event_pb2.StreamEventsRequest(after_sequence=after, backlog_only=backlog_only),
        metadata=feed_auth(),
        timeout=TIMEOUT,
    )
    return [message.event for message in stream]


@pytest.mark.parametrize("via", VIA)
def test_a_server_stream_is_read_to_its_end(via):
    for _ in range(3):
        create_account(via)
    events = feed(via, after=0, backlog_only=True)
    sequences = [e.sequence for e in events]
    assert len(sequences) >= 3
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    # Resuming after a sequence gives exactly what follows it.
    assert [e.sequence for e in feed(via, after=sequences[0], backlog_only=True)][: len(sequences) - 1] == sequences[1:]


def handled(method: str, code: str) -> int:
    text = urllib.request.urlopen(SUITE["metrics_url"], timeout=10).read().decode()
    total = 0
    for line in text.splitlines():
        if line.startswith("grpc_server_handled_total{") and 'service="limits"' in line:
            if f'grpc_method="{method}"' in line and f'grpc_code="{code}"' in line:
                total += int(float(line.rsplit(" ", 1)[1]))
    return total


STREAM_EVENTS = "/credit.event.v1.EventFeedService/StreamEvents"


def wait_until(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.mark.parametrize("via", VIA)
def test_a_server_stream_cancelled_midway_ends_upstream(via):
    for _ in range(2):
        create_account(via)
    before = handled(STREAM_EVENTS, "Cancelled")
    stream = limits_feed(via).StreamEvents(
        event_pb2.StreamEventsRequest(after_sequence=0), metadata=feed_auth(), timeout=TIMEOUT
    )
    first = next(stream)
    assert first.event.sequence >= 1
    stream.cancel()
    error = rpc_error(lambda: next(stream))
    assert error.code() == grpc.StatusCode.CANCELLED
    # The service itself saw the stream end: the follow loop is not left running.
    assert wait_until(lambda: handled(STREAM_EVENTS, "Cancelled") > before)


@pytest.mark.parametrize("via", VIA)
def test_an_expired_deadline_is_deadline_exceeded_and_stops_the_work_upstream(via):
    before = handled(STREAM_EVENTS, "Cancelled")
    started = time.monotonic()
    stream = limits_feed(via).StreamEvents(
        event_pb2.StreamEventsRequest(after_sequence=0), metadata=feed_auth(), timeout=1.0
    )
    error = rpc_error(lambda: [m for m in stream])
    assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED, f"{error.code()} {error.details()}"
    assert time.monotonic() - started < 10
    assert wait_until(lambda: handled(STREAM_EVENTS, "Cancelled") > before)


# ---------------------------------------------------------------------------------------------
# Unknown methods and services.


@pytest.mark.parametrize("via", VIA)
def test_an_unknown_method_of_a_known_service_is_unimplemented(via):
    call = channel(address(LIMITS, via)).unary_unary("/credit.limits.v1.LimitsService/NoSuchMethod")
    error = rpc_error(lambda: call(b"", metadata=auth(), timeout=TIMEOUT))
    assert error.code() == grpc.StatusCode.UNIMPLEMENTED


def test_an_unknown_service_at_the_gateway_is_unimplemented_naming_it():
    call = channel(SUITE["gateway"]["address"]).unary_unary("/credit.nothing.v1.NothingService/Do")
    error = rpc_error(lambda: call(b"", metadata=auth(), timeout=TIMEOUT))
    assert error.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "credit.nothing.v1.NothingService" in error.details()
    assert details(error)["ErrorInfo"].reason == "UNKNOWN_SERVICE"


@pytest.mark.parametrize("package", sorted(SUITE["services"]))
def test_a_service_answers_unimplemented_for_what_another_serves(package):
    other = next(p for p in sorted(SUITE["services"]) if p != package)
    service = SUITE["services"][other]["services"][0]
    call = channel(SUITE["services"][package]["address"]).unary_unary(f"/{service}/Anything")
    error = rpc_error(lambda: call(b"", metadata=auth(), timeout=TIMEOUT))
    assert error.code() == grpc.StatusCode.UNIMPLEMENTED


# ---------------------------------------------------------------------------------------------
# Health and reflection, at the gateway and at every service.


def targets():
    yield "gateway", SUITE["gateway"]
    for package, target in sorted(SUITE["services"].items()):
        yield target["name"], target


TARGETS = dict(targets())


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_health_check_and_watch(target):
    health = health_pb2_grpc.HealthStub(channel(TARGETS[target]["address"]))
    serving = health_pb2.HealthCheckResponse.SERVING
    assert health.Check(health_pb2.HealthCheckRequest(service=""), timeout=TIMEOUT).status == serving
    for name in TARGETS[target]["services"]:
        if name.startswith("grpc."):
            continue
        answer = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=TIMEOUT)
        assert answer.status == serving, name
    unknown = rpc_error(lambda: health.Check(health_pb2.HealthCheckRequest(service="credit.nothing.v1.X"), timeout=TIMEOUT))
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
    watch = health.Watch(health_pb2.HealthCheckRequest(service=""), timeout=TIMEOUT)
    assert next(watch).status == serving
    watch.cancel()


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_reflection_lists_what_is_served_and_describes_every_method(target):
    expected = set(TARGETS[target]["services"])
    database = ProtoReflectionDescriptorDatabase(channel(TARGETS[target]["address"]))
    assert set(database.get_services()) == expected
    pool = descriptor_pool.DescriptorPool(database)
    described = 0
    for name in sorted(expected):
        service = pool.FindServiceByName(name)
        assert service.methods, name
        for method in service.methods:
            assert method.input_type.full_name and method.output_type.full_name
            pool.FindMessageTypeByName(method.input_type.full_name)
            described += 1
    assert described >= len(expected)
    # What the target does not serve cannot be found there either.
    for other in {s for t in TARGETS.values() for s in t["services"]} - expected:
        with pytest.raises((KeyError, grpc.RpcError)) as missing:
            pool.FindServiceByName(other)
        if isinstance(missing.value, grpc.RpcError):
            assert missing.value.code() == grpc.StatusCode.NOT_FOUND, other
