-- Where scoring stands in the feeds it follows (collections' payment behaviour).
CREATE TABLE feed_positions (
    source     TEXT PRIMARY KEY,
    position   BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
