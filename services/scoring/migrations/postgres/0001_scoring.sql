-- What scoring knows about customers. Bodies are JSON in the service's own shape; the columns
-- beside them are what queries need.
CREATE TABLE financial_statements (
    customer_id TEXT NOT NULL,
    period_end  TEXT NOT NULL,
    body        TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (customer_id, period_end)
);

CREATE TABLE customer_references (
    customer_id TEXT PRIMARY KEY,
    body        TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);

CREATE TABLE bureau_reports (
    customer_id TEXT PRIMARY KEY,
    provider    TEXT NOT NULL,
    body        TEXT NOT NULL,
    reported_at BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL
);

CREATE TABLE payment_behaviour (
    customer_id TEXT PRIMARY KEY,
    body        TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);

-- Every score ever computed; body is the encoded credit.scoring.v1.Score.
CREATE TABLE scores (
    score_id       TEXT PRIMARY KEY,
    customer_id    TEXT NOT NULL,
    scored_at      BIGINT NOT NULL,
    score          BIGINT NOT NULL,
    risk_class     TEXT NOT NULL,
    policy_version BIGINT NOT NULL,
    model_version  TEXT NOT NULL,
    body           BYTEA NOT NULL
);
CREATE INDEX scores_customer ON scores (customer_id, score_id);

CREATE TABLE policies (
    version     BIGINT PRIMARY KEY,
    name        TEXT NOT NULL,
    document    TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at BIGINT NOT NULL
);

CREATE TABLE policy_active (
    id      INTEGER PRIMARY KEY,
    version BIGINT NOT NULL
);

CREATE TABLE outbox_events (
    id            BIGSERIAL PRIMARY KEY,
    feed_sequence BIGINT NULL UNIQUE,
    event_type    TEXT NOT NULL,
    entity_type   TEXT NOT NULL,
    entity_id     TEXT NOT NULL,
    customer_id   TEXT NOT NULL,
    actor_subject TEXT NOT NULL,
    actor_roles   TEXT NOT NULL,
    request_id    TEXT NOT NULL,
    trace_id      TEXT NOT NULL,
    occurred_at   BIGINT NOT NULL,
    payload       TEXT NOT NULL
);
CREATE INDEX outbox_events_unsequenced ON outbox_events (id) WHERE feed_sequence IS NULL;

CREATE TABLE outbox_cursor (
    id            INTEGER PRIMARY KEY,
    last_sequence BIGINT NOT NULL
);
INSERT INTO outbox_cursor (id, last_sequence) VALUES (1, 0);

CREATE TABLE idempotency_keys (
    caller       TEXT NOT NULL,
    method       TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response     BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (caller, method, request_id)
);
