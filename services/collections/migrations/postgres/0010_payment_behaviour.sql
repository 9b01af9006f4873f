-- The payment behaviour last said on the feed per customer (said again only when it changes).
CREATE TABLE payment_behaviour (
    customer_id  TEXT PRIMARY KEY,
    figures      TEXT NOT NULL,
    published_at BIGINT NOT NULL
);
