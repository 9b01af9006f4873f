-- Credit applications. The application is stored as its encoded credit.applications.v1
-- Application with the sensitive fields masked; the fields in clear are sealed (AES-256-GCM) in
-- `sensitive`. The tax id is findable only through its keyed fingerprint.
CREATE TABLE applications (
    application_id  TEXT PRIMARY KEY,
    customer_id     TEXT NOT NULL,
    state           TEXT NOT NULL,
    -- 1 while the application is not decided or withdrawn (the duplicate rule's scope).
    open            INTEGER NOT NULL,
    tax_fingerprint TEXT NOT NULL,
    -- Roles that may act on the current step, as ",role,role," ('' when none).
    awaiting_roles  TEXT NOT NULL,
    legal_name      TEXT NOT NULL,
    body            BYTEA NOT NULL,
    sensitive       TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
-- A second open application for the same tax id is refused; the database arbitrates races.
CREATE UNIQUE INDEX applications_open_tax_id ON applications (tax_fingerprint)
    WHERE open = 1 AND tax_fingerprint <> '';
CREATE INDEX applications_customer ON applications (customer_id, application_id);
CREATE INDEX applications_state ON applications (state, application_id);

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

-- Approved limits to set in the limits service, written in the approval's transaction and
-- delivered (with retries) until limits confirms: exactly once, even when limits is down.
CREATE TABLE limit_instructions (
    instruction_id  TEXT PRIMARY KEY,
    application_id  TEXT NOT NULL,
    customer_id     TEXT NOT NULL,
    body            TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    last_error      TEXT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    done_at         BIGINT NULL
);
CREATE INDEX limit_instructions_pending ON limit_instructions (next_attempt_at)
    WHERE state = 'PENDING';

