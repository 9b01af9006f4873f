-- Every account's place in the organisation, copied into the platform's customer_scopes (which
-- the data-scope filters read). From now on the account's writes keep it current. ("WHERE true":
-- SQLite reads ON CONFLICT after a bare SELECT ... FROM as part of a join.)
INSERT INTO customer_scopes (customer_id, region, business_unit, updated_at)
SELECT customer_id, region, business_unit, updated_at FROM credit_accounts WHERE true
ON CONFLICT (customer_id) DO NOTHING;
