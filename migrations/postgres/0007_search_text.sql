-- Search without scans: one search text per id (what its list card shows and searches: the most recent version's
-- identifying text, and the most recent not-taken-down version's name, description and capabilities), indexed by
-- trigrams so a substring query reads the matching ids only. The server keeps it current at publish, lifecycle
-- change and card fill-in (sql `refresh_search_sql`); this fills it for the ids stored before. pg_trgm is a trusted
-- extension: a database owner without superuser may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

ALTER TABLE package_ids ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
ALTER TABLE template_ids ADD COLUMN search_text TEXT NOT NULL DEFAULT '';

UPDATE package_ids n SET search_text = n.package_id || ' ' ||
    COALESCE((SELECT v.search_ident FROM packages v WHERE v.package_id = n.package_id AND v.search_ident IS NOT NULL
              ORDER BY v.seq DESC LIMIT 1), '') || ' ' ||
    COALESCE((SELECT v.search_content FROM packages v WHERE v.package_id = n.package_id
              AND v.lifecycle_status <> 'takedown' AND v.search_content IS NOT NULL ORDER BY v.seq DESC LIMIT 1), '');
UPDATE template_ids n SET search_text = n.template_id || ' ' ||
    COALESCE((SELECT v.search_ident FROM templates v WHERE v.template_id = n.template_id
              AND v.search_ident IS NOT NULL ORDER BY v.seq DESC LIMIT 1), '') || ' ' ||
    COALESCE((SELECT v.search_content FROM templates v WHERE v.template_id = n.template_id
              AND v.search_content IS NOT NULL ORDER BY v.seq DESC LIMIT 1), '');

-- fastupdate off: a change goes into the index at once rather than into a pending list every search must read
-- until the next vacuum (publishes are rare next to searches).
CREATE INDEX IF NOT EXISTS package_ids_search ON package_ids USING gin (search_text gin_trgm_ops)
    WITH (fastupdate = off);
CREATE INDEX IF NOT EXISTS template_ids_search ON template_ids USING gin (search_text gin_trgm_ops)
    WITH (fastupdate = off);

-- The listings' filters, each read in publication order through its own index.
CREATE INDEX IF NOT EXISTS packages_publisher_seq ON packages (publisher_id, seq);
CREATE INDEX IF NOT EXISTS packages_lifecycle_seq ON packages (lifecycle_status, seq);
CREATE INDEX IF NOT EXISTS templates_publisher_seq ON templates (publisher_id, seq);
