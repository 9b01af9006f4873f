-- Limits service schema (PostgreSQL). Money is canonical decimal text (exact on both databases),
-- time is UTC microseconds since the epoch.

CREATE TABLE credit_accounts (
    customer_id        TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    currency_code      TEXT NOT NULL,
    segment            TEXT NOT NULL DEFAULT '',
    region             TEXT NOT NULL DEFAULT '',
    business_unit      TEXT NOT NULL DEFAULT '',
    parent_customer_id TEXT NULL REFERENCES credit_accounts (customer_id),
    credit_limit       TEXT NOT NULL,          -- JSON of the domain CreditLimit
    counting_bits      BIGINT NULL,            -- account's own counting rule, when set
    active_holds       BIGINT NOT NULL DEFAULT 0,
    own_exposure       TEXT NOT NULL,          -- JSON of the domain Exposure
    group_exposure     TEXT NOT NULL,          -- own plus all descendants
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX credit_accounts_parent ON credit_accounts (parent_customer_id);
CREATE INDEX credit_accounts_segment ON credit_accounts (segment, customer_id);
CREATE INDEX credit_accounts_region ON credit_accounts (region, customer_id);

CREATE TABLE segment_counting (
    segment       TEXT PRIMARY KEY,
    counting_bits BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE credit_limit_changes (
    id            BIGSERIAL PRIMARY KEY,
    change_id     TEXT NOT NULL UNIQUE,
    customer_id   TEXT NOT NULL REFERENCES credit_accounts (customer_id),
    before_limit  TEXT NOT NULL,
    after_limit   TEXT NOT NULL,
    actor_subject TEXT NOT NULL,
    reason        TEXT NOT NULL,
    changed_at    BIGINT NOT NULL
);
CREATE INDEX credit_limit_changes_customer ON credit_limit_changes (customer_id, id);

CREATE TABLE exposure_history (
    id             BIGSERIAL PRIMARY KEY,
    customer_id    TEXT NOT NULL,
    recorded_at    BIGINT NOT NULL,
    own_exposure   TEXT NOT NULL,
    group_exposure TEXT NOT NULL,
    cause          TEXT NOT NULL
);
CREATE INDEX exposure_history_customer_time ON exposure_history (customer_id, recorded_at, id);

CREATE TABLE reservations (
    reservation_id   TEXT PRIMARY KEY,
    customer_id      TEXT NOT NULL REFERENCES credit_accounts (customer_id),
    order_id         TEXT NOT NULL,
    state            TEXT NOT NULL,
    amount           TEXT NOT NULL,
    open_amount      TEXT NOT NULL,
    delivered_amount TEXT NOT NULL,
    invoiced_amount  TEXT NOT NULL,
    order_amount     TEXT NOT NULL,
    order_currency   TEXT NOT NULL,
    expires_at       BIGINT NOT NULL,
    decision_id      TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
-- At most one open reservation per order.
CREATE UNIQUE INDEX reservations_open_order ON reservations (customer_id, order_id) WHERE state = 'OPEN';
CREATE INDEX reservations_expiry ON reservations (expires_at) WHERE state = 'OPEN';

CREATE TABLE exposure_documents (
    customer_id     TEXT NOT NULL REFERENCES credit_accounts (customer_id),
    category        TEXT NOT NULL,
    document_id     TEXT NOT NULL,
    open_amount     TEXT NOT NULL,
    posted_amount   TEXT NOT NULL,
    posted_currency TEXT NOT NULL,
    fx_rate         TEXT NULL,
    fx_effective_at BIGINT NULL,
    due_at          BIGINT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (customer_id, category, document_id)
);

CREATE TABLE credit_decisions (
    decision_id   TEXT PRIMARY KEY,
    customer_id   TEXT NOT NULL,
    order_id      TEXT NOT NULL,
    request_id    TEXT NOT NULL,
    actor_subject TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    inputs        TEXT NOT NULL,
    response      BYTEA NOT NULL,
    decided_at    BIGINT NOT NULL
);
CREATE INDEX credit_decisions_customer ON credit_decisions (customer_id, decided_at);

CREATE TABLE credit_holds (
    hold_id        TEXT PRIMARY KEY,
    customer_id    TEXT NOT NULL REFERENCES credit_accounts (customer_id),
    kind           TEXT NOT NULL,
    rule_code      TEXT NOT NULL DEFAULT '',
    reason         TEXT NOT NULL,
    placed_by      TEXT NOT NULL,
    placed_at      BIGINT NOT NULL,
    active         INTEGER NOT NULL,        -- 1 while in force
    released_by    TEXT NOT NULL DEFAULT '',
    release_reason TEXT NOT NULL DEFAULT '',
    released_at    BIGINT NULL
);
CREATE INDEX credit_holds_customer ON credit_holds (customer_id, placed_at);
-- One active hold per rule and account, so a rule that fires twice holds once.
CREATE UNIQUE INDEX credit_holds_active_rule ON credit_holds (customer_id, rule_code) WHERE active = 1 AND kind = 'RULE';

CREATE TABLE fx_rates (
    base_currency  TEXT NOT NULL,
    quote_currency TEXT NOT NULL,
    effective_at   BIGINT NOT NULL,
    rate           TEXT NOT NULL,
    actor_subject  TEXT NOT NULL,
    PRIMARY KEY (base_currency, quote_currency, effective_at)
);

