-- Where this service stands in each feed it follows (credit_platform::follow): the last
-- sequence handled, advanced in the same transaction as the handling, so a redelivery after a
-- crash replays only what was not committed.
CREATE TABLE IF NOT EXISTS feed_positions (
    source     TEXT PRIMARY KEY,
    position   BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
