-- When an approved customer is due for review (0: not scheduled, or a case is open for it).
ALTER TABLE applications ADD COLUMN review_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX applications_review ON applications (review_at) WHERE review_at > 0;

-- Review cases: opened when a review falls due; closed by an analyst with an outcome.
CREATE TABLE review_cases (
    case_id        TEXT PRIMARY KEY,
    customer_id    TEXT NOT NULL,
    application_id TEXT NOT NULL,
    reason         TEXT NOT NULL,
    state          TEXT NOT NULL,
    review_at      BIGINT NOT NULL,
    opened_at      BIGINT NOT NULL,
    closed_at      BIGINT NULL,
    closed_by      TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    comment        TEXT NOT NULL
);
-- One open review per customer.
CREATE UNIQUE INDEX review_cases_open ON review_cases (customer_id) WHERE state = 'OPEN';
