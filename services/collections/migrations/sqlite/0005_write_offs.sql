-- Write-offs: requested, decided by someone with the authority for the amount; approved ones
-- are WRITE_OFF documents applied to their invoice.
CREATE TABLE write_offs (
    write_off_id TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL,
    invoice_id   TEXT NOT NULL,
    currency     TEXT NOT NULL,
    amount       BIGINT NOT NULL,
    state        TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    decided_at   BIGINT NULL,
    body         BLOB NOT NULL
);
CREATE INDEX write_offs_customer ON write_offs (customer_id, write_off_id);
CREATE INDEX write_offs_decided ON write_offs (decided_at) WHERE state = 'APPROVED';

-- Money recovered on written-off invoices, by the day it arrived.
CREATE TABLE recoveries (
    recovery_id  TEXT PRIMARY KEY,
    write_off_id TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    currency     TEXT NOT NULL,
    amount       BIGINT NOT NULL,
    day          BIGINT NOT NULL
);
CREATE INDEX recoveries_day ON recoveries (day);
