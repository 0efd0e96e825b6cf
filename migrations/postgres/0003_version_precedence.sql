-- One version per SemVer precedence: versions that differ only in build metadata (1.0.0+a, 1.0.0+b) have equal
-- precedence, so a package or template holds at most one of them (cargo's rule). `version_key` is the version without
-- its build metadata; the UNIQUE (id, version_key) index makes racing publishes of such versions atomic.
--
-- Existing rows: a version without build metadata keys as itself; among versions with build metadata, the first
-- published of each precedence takes the key when no plain version has it; any later one keeps its full text as its
-- key (it was accepted before this rule and stays readable, but no new version can join it).
ALTER TABLE packages ADD COLUMN IF NOT EXISTS version_key TEXT COLLATE "C";

UPDATE packages AS p SET version_key = CASE
    WHEN strpos(p.package_version, '+') = 0 THEN p.package_version
    WHEN NOT EXISTS (
        SELECT 1 FROM packages AS o
        WHERE o.package_id = p.package_id
          AND split_part(o.package_version, '+', 1) = split_part(p.package_version, '+', 1)
          AND (strpos(o.package_version, '+') = 0
               OR (o.published_at, o.package_version) < (p.published_at, p.package_version))
    ) THEN split_part(p.package_version, '+', 1)
    ELSE p.package_version
END;

ALTER TABLE packages ALTER COLUMN version_key SET NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS packages_precedence ON packages (package_id, version_key);

ALTER TABLE templates ADD COLUMN IF NOT EXISTS version_key TEXT COLLATE "C";

UPDATE templates AS t SET version_key = CASE
    WHEN strpos(t.template_version, '+') = 0 THEN t.template_version
    WHEN NOT EXISTS (
        SELECT 1 FROM templates AS o
        WHERE o.template_id = t.template_id
          AND split_part(o.template_version, '+', 1) = split_part(t.template_version, '+', 1)
          AND (strpos(o.template_version, '+') = 0
               OR (o.published_at, o.template_version) < (t.published_at, t.template_version))
    ) THEN split_part(t.template_version, '+', 1)
    ELSE t.template_version
END;

ALTER TABLE templates ALTER COLUMN version_key SET NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS templates_precedence ON templates (template_id, version_key);
