-- Where limits stands in the feeds it follows (collections' receivables): the last sequence
-- handled. Its effects are idempotent use cases keyed by the event's sequence, so a
-- redelivery replays them.
CREATE TABLE feed_positions (
    source     TEXT PRIMARY KEY,
    position   BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
