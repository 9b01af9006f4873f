-- Early-warning review cases carry scoring's signals, the score and the decrease they proposed.
ALTER TABLE review_cases ADD COLUMN signals TEXT NOT NULL DEFAULT '[]';
ALTER TABLE review_cases ADD COLUMN score_id TEXT NOT NULL DEFAULT '';
ALTER TABLE review_cases ADD COLUMN proposed_application_id TEXT NOT NULL DEFAULT '';

-- Blocked orders referred by sales: the case as its encoded credit.applications.v1.CreditCase.
-- One case per rejected check (referring it again finds it).
CREATE TABLE credit_cases (
    case_id     TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    order_id    TEXT NOT NULL,
    decision_id TEXT NOT NULL UNIQUE,
    state       TEXT NOT NULL,
    body        BLOB NOT NULL,
    referred_at BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX credit_cases_state ON credit_cases (state, case_id);
CREATE INDEX credit_cases_customer ON credit_cases (customer_id, case_id);
-- One open case per order: a second referral of the same order joins the open one.
CREATE UNIQUE INDEX credit_cases_open_order ON credit_cases (customer_id, order_id)
    WHERE state = 'OPEN';

