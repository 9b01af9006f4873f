-- Disputes on invoices: the disputed amount is left out of dunning while open.
CREATE TABLE disputes (
    dispute_id  TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    invoice_id  TEXT NOT NULL,
    currency    TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    reason      TEXT NOT NULL,
    state       TEXT NOT NULL,
    opened_at   BIGINT NOT NULL,
    due_day     BIGINT NOT NULL,
    resolved_at BIGINT NULL,
    body        BYTEA NOT NULL
);
CREATE INDEX disputes_invoice ON disputes (invoice_id) WHERE state = 'OPEN';
CREATE INDEX disputes_customer ON disputes (customer_id, dispute_id);

-- Promises to pay: dunning waits for an open one; payments decide kept, partially kept, broken.
CREATE TABLE promises (
    promise_id   TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL,
    currency     TEXT NOT NULL,
    amount       BIGINT NOT NULL,
    promised_day BIGINT NOT NULL,
    made_day     BIGINT NOT NULL,
    state        TEXT NOT NULL,
    paid         BIGINT NOT NULL,
    body         BYTEA NOT NULL,
    recorded_at  BIGINT NOT NULL,
    settled_at   BIGINT NULL
);
CREATE INDEX promises_open ON promises (customer_id, currency) WHERE state = 'OPEN';
