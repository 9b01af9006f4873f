-- Who approved each limit change (issue 16): the approvers the applications service verified,
-- as a JSON array of token subjects, and the approval's reference (the application id).
-- Additive: older servers keep writing rows without them during a rollout.
ALTER TABLE credit_limit_changes ADD COLUMN approved_by TEXT NOT NULL DEFAULT '[]';
ALTER TABLE credit_limit_changes ADD COLUMN approval_reference TEXT NOT NULL DEFAULT '';
