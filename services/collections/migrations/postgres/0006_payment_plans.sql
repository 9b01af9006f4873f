-- Payment plans: instalments over chosen invoices; dunning leaves an active plan's invoices
-- alone. The instalments live in the body; the covered invoices are rows so dunning can skip
-- them in SQL.
CREATE TABLE payment_plans (
    plan_id     TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    currency    TEXT NOT NULL,
    state       TEXT NOT NULL,
    total       BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    ended_at    BIGINT NULL,
    body        BYTEA NOT NULL
);
CREATE INDEX payment_plans_customer ON payment_plans (customer_id, plan_id);
CREATE INDEX payment_plans_active ON payment_plans (customer_id) WHERE state = 'ACTIVE';

CREATE TABLE plan_invoices (
    plan_id    TEXT NOT NULL,
    invoice_id TEXT NOT NULL,
    active     BIGINT NOT NULL,
    PRIMARY KEY (plan_id, invoice_id)
);
CREATE INDEX plan_invoices_active ON plan_invoices (invoice_id) WHERE active = 1;
