-- Where dunning e-mails go, and the risk class that chooses the strategy.
ALTER TABLE customers ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN risk_class TEXT NOT NULL DEFAULT '';

-- Versioned dunning policies (the platform's policy store).
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

-- Where each customer stands in dunning, per currency: the anchor (the oldest item still
-- unpaid) and the last step done for it.
CREATE TABLE dunning_state (
    customer_id TEXT NOT NULL,
    currency    TEXT NOT NULL,
    anchor_id   TEXT NOT NULL,
    step_index  BIGINT NOT NULL,
    step_code   TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (customer_id, currency)
);

-- Every communication, written in the dunning decision's transaction and delivered after it
-- (retried until the channel takes it): none is lost, none is sent twice.
CREATE TABLE messages (
    message_id  TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    currency    TEXT NOT NULL,
    step_code   TEXT NOT NULL,
    channel     TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    language    TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    state       TEXT NOT NULL,
    attempts    INTEGER NOT NULL,
    last_error  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    sent_at     BIGINT NULL
);
CREATE INDEX messages_customer ON messages (customer_id, created_at);
CREATE INDEX messages_pending ON messages (created_at) WHERE state = 'PENDING';
