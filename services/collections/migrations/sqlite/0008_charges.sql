-- Late-payment interest already charged per invoice: up to which day (the next charge starts
-- there, so no day is charged twice).
CREATE TABLE interest_charged (
    invoice_id  TEXT PRIMARY KEY,
    through_day BIGINT NOT NULL
);

-- Open receivables of every kind a customer owes (invoices, fees, interest) by due date.
CREATE INDEX documents_customer_open ON documents (customer_id, currency, due_day) WHERE open_amount > 0;
