-- One version per SemVer precedence: versions that differ only in build metadata (1.0.0+a, 1.0.0+b) have equal
-- precedence, so a package or template holds at most one of them (cargo's rule). `version_key` is the version without
-- its build metadata; the UNIQUE (id, version_key) index makes racing publishes of such versions atomic.
--
-- Existing rows: a version without build metadata keys as itself; among versions with build metadata, the first
-- published of each precedence takes the key when no plain version has it; any later one keeps its full text as its
-- key (it was accepted before this rule and stays readable, but no new version can join it).
ALTER TABLE packages ADD COLUMN version_key TEXT NOT NULL DEFAULT '';

UPDATE packages SET version_key = CASE
    WHEN instr(package_version, '+') = 0 THEN package_version
    WHEN NOT EXISTS (
        SELECT 1 FROM packages AS o
        WHERE o.package_id = packages.package_id
          AND (CASE WHEN instr(o.package_version, '+') = 0 THEN o.package_version
                    ELSE substr(o.package_version, 1, instr(o.package_version, '+') - 1) END)
              = substr(packages.package_version, 1, instr(packages.package_version, '+') - 1)
          AND (instr(o.package_version, '+') = 0
               OR (o.published_at, o.package_version) < (packages.published_at, packages.package_version))
    ) THEN substr(package_version, 1, instr(package_version, '+') - 1)
    ELSE package_version
END;

CREATE UNIQUE INDEX IF NOT EXISTS packages_precedence ON packages (package_id, version_key);

ALTER TABLE templates ADD COLUMN version_key TEXT NOT NULL DEFAULT '';

UPDATE templates SET version_key = CASE
    WHEN instr(template_version, '+') = 0 THEN template_version
    WHEN NOT EXISTS (
        SELECT 1 FROM templates AS o
        WHERE o.template_id = templates.template_id
          AND (CASE WHEN instr(o.template_version, '+') = 0 THEN o.template_version
                    ELSE substr(o.template_version, 1, instr(o.template_version, '+') - 1) END)
              = substr(templates.template_version, 1, instr(templates.template_version, '+') - 1)
          AND (instr(o.template_version, '+') = 0
               OR (o.published_at, o.template_version) < (templates.published_at, templates.template_version))
    ) THEN substr(template_version, 1, instr(template_version, '+') - 1)
    ELSE template_version
END;

CREATE UNIQUE INDEX IF NOT EXISTS templates_precedence ON templates (template_id, version_key);
