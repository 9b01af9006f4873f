-- Collections' profile of each customer (segment, region, group for aging; language and time
-- zone for communications).
CREATE TABLE customers (
    customer_id TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    segment     TEXT NOT NULL,
    region      TEXT NOT NULL,
    group_id    TEXT NOT NULL,
    language    TEXT NOT NULL,
    time_zone   TEXT NOT NULL,
    collector   TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- The receivables ledger. Amounts are integers in the currency's minor unit (cents): exact on
-- both databases and summable in SQL, which aging over a million invoices needs. Days are
-- counted from 1970-01-01. `body` is the document as last written (encoded
-- credit.collections.v1.ReceivableDocument, canonical).
CREATE TABLE documents (
    document_id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    currency    TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    -- Invoices: still to pay; payments and credit notes: not yet allocated.
    open_amount BIGINT NOT NULL,
    issue_day   BIGINT NOT NULL,
    due_day     BIGINT NULL,
    body        BYTEA NOT NULL,
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX documents_customer ON documents (customer_id, issue_day);
CREATE INDEX documents_kind_issue ON documents (kind, issue_day);

-- What each payment or credit note applies to which invoice; counted from `applied_day`.
CREATE TABLE allocations (
    source_id   TEXT NOT NULL,
    invoice_id  TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    applied_day BIGINT NOT NULL,
    PRIMARY KEY (source_id, invoice_id)
);
CREATE INDEX allocations_invoice ON allocations (invoice_id, applied_day);

-- Every version of every document, with who wrote it and from where.
CREATE TABLE document_versions (
    document_id TEXT NOT NULL,
    version     BIGINT NOT NULL,
    body        BYTEA NOT NULL,
    actor       TEXT NOT NULL,
    source      TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (document_id, version)
);

