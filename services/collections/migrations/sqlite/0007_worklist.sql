-- Scoring's latest view of each customer, followed on its feed: the risk class chooses the
-- dunning strategy, the probability of default ranks the worklist.
CREATE TABLE customer_risk (
    customer_id            TEXT PRIMARY KEY,
    risk_class             TEXT NOT NULL,
    probability_of_default TEXT NOT NULL,
    score                  BIGINT NOT NULL,
    score_id               TEXT NOT NULL,
    scored_at              BIGINT NOT NULL
);

-- Segments assigned to a collector (customers without their own collector follow them).
CREATE TABLE segment_collectors (
    segment     TEXT PRIMARY KEY,
    collector   TEXT NOT NULL,
    assigned_at BIGINT NOT NULL
);

-- What collectors did: calls, notes, outcomes, agreed follow-ups.
CREATE TABLE activities (
    activity_id   TEXT PRIMARY KEY,
    customer_id   TEXT NOT NULL,
    collector     TEXT NOT NULL,
    kind          TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    follow_up_day BIGINT NULL,
    recorded_at   BIGINT NOT NULL,
    body          BLOB NOT NULL
);
CREATE INDEX activities_customer ON activities (customer_id, activity_id);
