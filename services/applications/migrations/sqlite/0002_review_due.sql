-- When the current approval step is due (0 when none is, or its overdue alarm was raised), so
-- the escalation sweep finds overdue steps without reading every application.
ALTER TABLE applications ADD COLUMN due_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX applications_due ON applications (due_at) WHERE due_at > 0;
