-- The payment behaviour last said on the feed per customer (said again only when it changes).
CREATE TABLE payment_behaviour (
    customer_id  TEXT PRIMARY KEY,
    figures      TEXT NOT NULL,
    published_at BIGINT NOT NULL
);

-- A customer's documents of one kind (behaviour, statements): without it SQLite's planner
-- prefers the kind index and reads every invoice of the ledger.
CREATE INDEX documents_customer_kind ON documents (customer_id, kind, issue_day);
