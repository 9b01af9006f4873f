-- The answer given to each (caller, method, request_id), so a retried mutation gets the same
-- answer instead of a second change (credit_platform::idempotency); request_hash tells a retry
-- from a different request reusing the id.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    caller       TEXT NOT NULL,
    method       TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response     BLOB NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (caller, method, request_id)
);
