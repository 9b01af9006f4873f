-- The W3C traceparent of the span that appended each event (credit_platform::outbox), so the
-- consumers' spans join the producer's trace; empty when no trace was exported.
ALTER TABLE outbox_events ADD COLUMN IF NOT EXISTS trace_parent TEXT NOT NULL DEFAULT '';
