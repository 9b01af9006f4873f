-- Event payloads that are messages of the producing service's package (the contracts other
-- services act on): the message's full name and its encoding, served as google.protobuf.Any
-- beside the JSON payload. Empty for the other events and for those written before.
ALTER TABLE outbox_events ADD COLUMN IF NOT EXISTS payload_type TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox_events ADD COLUMN IF NOT EXISTS payload_proto BYTEA NULL;
