-- The UI reads the most recent versions of an id (ORDER BY seq DESC LIMIT n per id): this index serves it, so a
-- page reads n rows whatever the number of versions the id has.
CREATE INDEX IF NOT EXISTS packages_id_seq ON packages (package_id, seq);
CREATE INDEX IF NOT EXISTS templates_id_seq ON templates (template_id, seq);
-- Each id's current versions, read from the index alone to choose its latest (highest current SemVer).
CREATE INDEX IF NOT EXISTS packages_id_status_version ON packages (package_id, lifecycle_status, package_version);
CREATE INDEX IF NOT EXISTS templates_id_version ON templates (template_id, template_version);
