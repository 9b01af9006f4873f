-- Each customer's region and business unit, the master data limits keeps on the credit account
-- (limits writes it with the account; the other services follow limits' feed). Callers whose
-- token is limited to some regions or business units see and change only these customers
-- (credit_platform::scope).
CREATE TABLE IF NOT EXISTS customer_scopes (
    customer_id   TEXT PRIMARY KEY,
    region        TEXT NOT NULL,
    business_unit TEXT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS customer_scopes_by_region ON customer_scopes (region, business_unit);

-- SQLite's instr (position of needle in haystack, 0 when absent), so the scope filters are one
-- SQL text on both databases.
CREATE OR REPLACE FUNCTION instr(haystack TEXT, needle TEXT) RETURNS INTEGER
    LANGUAGE SQL IMMUTABLE STRICT PARALLEL SAFE
    AS 'SELECT strpos(haystack, needle)';
