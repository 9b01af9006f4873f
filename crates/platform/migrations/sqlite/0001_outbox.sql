-- The transactional outbox every service with an event feed writes in the transaction of each
-- change (credit_platform::outbox). The relay gives committed rows their feed sequence in commit
-- order; outbox_cursor holds the last sequence given, and its row lock makes replicas take turns.
CREATE TABLE IF NOT EXISTS outbox_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    feed_sequence BIGINT NULL UNIQUE,
    event_type    TEXT NOT NULL,
    entity_type   TEXT NOT NULL,
    entity_id     TEXT NOT NULL,
    customer_id   TEXT NOT NULL,
    actor_subject TEXT NOT NULL,
    actor_roles   TEXT NOT NULL,
    request_id    TEXT NOT NULL,
    trace_id      TEXT NOT NULL,
    occurred_at   BIGINT NOT NULL,
    payload       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_events_unsequenced ON outbox_events (id)
    WHERE feed_sequence IS NULL;

CREATE TABLE IF NOT EXISTS outbox_cursor (
    id            INTEGER PRIMARY KEY,
    last_sequence BIGINT NOT NULL
);
INSERT INTO outbox_cursor (id, last_sequence) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
