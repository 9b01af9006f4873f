-- Four eyes on policies (issue 16): a version uploaded by one manager takes effect only when
-- another approves it. Who approved it last and when (empty / NULL while only proposed;
-- versions in force before this rule keep empty). Additive.
ALTER TABLE policies ADD COLUMN approved_by TEXT NOT NULL DEFAULT '';
ALTER TABLE policies ADD COLUMN approved_at BIGINT;
