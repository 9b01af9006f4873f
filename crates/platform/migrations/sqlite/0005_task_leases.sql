-- Who runs each background task that must run once across a service's replicas
-- (credit_platform::lease): the holder renews before expires_at (UTC microseconds); when it dies
-- the lease lapses and another replica takes the task over.
CREATE TABLE IF NOT EXISTS task_leases (
    task       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
