-- Customers overdue beyond the hold threshold, as last said on the feed (limits holds them).
CREATE TABLE customer_overdue (
    customer_id  TEXT PRIMARY KEY,
    days         BIGINT NOT NULL,
    flagged_at   BIGINT NOT NULL
);
CREATE INDEX documents_open_invoices ON documents (kind, due_day) WHERE open_amount > 0;
