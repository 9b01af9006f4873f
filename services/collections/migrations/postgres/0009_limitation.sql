-- The customer's jurisdiction chooses the statute of limitations rule.
ALTER TABLE customers ADD COLUMN jurisdiction TEXT NOT NULL DEFAULT '';

-- Acts that may start a limitation period again: recorded by collectors (acknowledgements,
-- legal action) or by dunning (formal notices). An empty invoice_id covers every invoice of the
-- customer due by the act's day. Partial payments come from the ledger.
CREATE TABLE limitation_acts (
    act_id      TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    invoice_id  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    day         BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    note        TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX limitation_acts_customer ON limitation_acts (customer_id, day);

-- Alerts raised, once per invoice, threshold and deadline (a new deadline arms them again).
CREATE TABLE limitation_alerts (
    invoice_id   TEXT NOT NULL,
    threshold    BIGINT NOT NULL,
    deadline_day BIGINT NOT NULL,
    raised_at    BIGINT NOT NULL,
    PRIMARY KEY (invoice_id, threshold, deadline_day)
);
