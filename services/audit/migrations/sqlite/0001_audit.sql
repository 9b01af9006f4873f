-- The audit log: append-only. Nothing in the service updates or deletes an entry; see
-- README.md ("Audit") for how retention and erasure are handled.
CREATE TABLE audit_entries (
    log_index       INTEGER PRIMARY KEY,
    source          TEXT NOT NULL,
    source_sequence BIGINT NOT NULL,
    event_type      TEXT NOT NULL,
    entity_type     TEXT NOT NULL,
    entity_id       TEXT NOT NULL,
    customer_id     TEXT NOT NULL,
    actor_subject   TEXT NOT NULL,
    actor_roles     TEXT NOT NULL,
    request_id      TEXT NOT NULL,
    trace_id        TEXT NOT NULL,
    occurred_at     BIGINT NOT NULL,
    recorded_at     BIGINT NOT NULL,
    payload         TEXT NOT NULL,
    -- RFC 9162 leaf hash of the canonical entry, hex; lets the tree be rebuilt without
    -- re-hashing, and lets verification tell an edited entry from a rewritten tree.
    leaf_hash       TEXT NOT NULL,
    UNIQUE (source, source_sequence)
);
CREATE INDEX audit_entries_customer ON audit_entries (customer_id, log_index);
CREATE INDEX audit_entries_entity ON audit_entries (entity_type, entity_id, log_index);
CREATE INDEX audit_entries_actor ON audit_entries (actor_subject, log_index);
CREATE INDEX audit_entries_event_type ON audit_entries (event_type, log_index);
CREATE INDEX audit_entries_occurred ON audit_entries (occurred_at, log_index);

-- How far audit is along each source's feed; written in the same transaction as the entries.
CREATE TABLE audit_sources (
    source           TEXT PRIMARY KEY,
    last_sequence    BIGINT NOT NULL,
    last_occurred_at BIGINT NOT NULL
);

-- The log's size as of the last committed append; the row lock serialises writers.
CREATE TABLE audit_log_head (
    id        INTEGER PRIMARY KEY,
    tree_size BIGINT NOT NULL
);
INSERT INTO audit_log_head (id, tree_size) VALUES (1, 0);

-- Signed checkpoints (C2SP signed notes); root_hash and signed_at repeat what the note says.
CREATE TABLE audit_checkpoints (
    tree_size   BIGINT PRIMARY KEY,
    root_hash   TEXT NOT NULL,
    signed_at   BIGINT NOT NULL,
    signed_note TEXT NOT NULL
);
