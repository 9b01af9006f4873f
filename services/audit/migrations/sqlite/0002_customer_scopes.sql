-- Each customer's region and business unit, from the newest of limits' account events already
-- recorded (data scopes read customer_scopes; new account events keep it current as they are
-- appended). Payloads are proto JSON: lowerCamelCase, or the field name from older producers.
INSERT INTO customer_scopes (customer_id, region, business_unit, updated_at)
SELECT e.customer_id,
       COALESCE(json_extract(e.payload, '$.region'), ''),
       COALESCE(json_extract(e.payload, '$.businessUnit'),
                json_extract(e.payload, '$.business_unit'), ''),
       e.recorded_at
FROM audit_entries e
WHERE e.customer_id <> ''
  AND json_valid(e.payload)
  AND e.log_index = (
      SELECT MAX(l.log_index) FROM audit_entries l
      WHERE l.customer_id = e.customer_id
        AND l.event_type IN ('credit.limits.credit_account.created',
                             'credit.limits.credit_account.updated'))
ON CONFLICT (customer_id) DO NOTHING;
