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
    body           BLOB NOT NULL
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

