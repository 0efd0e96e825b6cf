-- The UI reads the most recent versions of an id (ORDER BY seq DESC LIMIT n per id): this index serves it, so a
-- page reads n rows whatever the number of versions the id has.
CREATE INDEX IF NOT EXISTS packages_id_seq ON packages (package_id, seq);
CREATE INDEX IF NOT EXISTS templates_id_seq ON templates (template_id, seq);
