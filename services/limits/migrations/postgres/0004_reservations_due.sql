-- The credit check expires its accounts' due reservations first: find them by account and
-- expiry without reading every open reservation of a busy account.
CREATE INDEX reservations_due ON reservations (customer_id, expires_at) WHERE state = 'OPEN';
