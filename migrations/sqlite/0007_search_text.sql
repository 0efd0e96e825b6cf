-- Search without scans: one search text per id (what its list card shows and searches: the most recent version's
-- identifying text, and the most recent not-taken-down version's name, description and capabilities), indexed by an
-- FTS5 trigram table (rowid = the id row's rowid) that triggers keep in step, so a substring query reads the
-- matching ids only. The server keeps the text current at publish, lifecycle change and card fill-in; this fills it
-- for the ids stored before.
ALTER TABLE package_ids ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
ALTER TABLE template_ids ADD COLUMN search_text TEXT NOT NULL DEFAULT '';

CREATE VIRTUAL TABLE IF NOT EXISTS package_ids_search USING fts5(search_text, tokenize = 'trigram');
CREATE VIRTUAL TABLE IF NOT EXISTS template_ids_search USING fts5(search_text, tokenize = 'trigram');

CREATE TRIGGER IF NOT EXISTS package_ids_search_insert AFTER INSERT ON package_ids BEGIN
    INSERT INTO package_ids_search (rowid, search_text) VALUES (new.rowid, new.search_text);
END;
CREATE TRIGGER IF NOT EXISTS package_ids_search_update AFTER UPDATE OF search_text ON package_ids BEGIN
    DELETE FROM package_ids_search WHERE rowid = old.rowid;
    INSERT INTO package_ids_search (rowid, search_text) VALUES (new.rowid, new.search_text);
END;
CREATE TRIGGER IF NOT EXISTS package_ids_search_delete AFTER DELETE ON package_ids BEGIN
    DELETE FROM package_ids_search WHERE rowid = old.rowid;
END;
CREATE TRIGGER IF NOT EXISTS template_ids_search_insert AFTER INSERT ON template_ids BEGIN
    INSERT INTO template_ids_search (rowid, search_text) VALUES (new.rowid, new.search_text);
END;
CREATE TRIGGER IF NOT EXISTS template_ids_search_update AFTER UPDATE OF search_text ON template_ids BEGIN
    DELETE FROM template_ids_search WHERE rowid = old.rowid;
    INSERT INTO template_ids_search (rowid, search_text) VALUES (new.rowid, new.search_text);
END;
CREATE TRIGGER IF NOT EXISTS template_ids_search_delete AFTER DELETE ON template_ids BEGIN
    DELETE FROM template_ids_search WHERE rowid = old.rowid;
END;

INSERT INTO package_ids_search (rowid, search_text) SELECT rowid, search_text FROM package_ids;
INSERT INTO template_ids_search (rowid, search_text) SELECT rowid, search_text FROM template_ids;

UPDATE package_ids SET search_text = package_id || ' ' ||
    COALESCE((SELECT v.search_ident FROM packages v WHERE v.package_id = package_ids.package_id
              AND v.search_ident IS NOT NULL ORDER BY v.seq DESC LIMIT 1), '') || ' ' ||
    COALESCE((SELECT v.search_content FROM packages v WHERE v.package_id = package_ids.package_id
              AND v.lifecycle_status <> 'takedown' AND v.search_content IS NOT NULL ORDER BY v.seq DESC LIMIT 1), '');
UPDATE template_ids SET search_text = template_id || ' ' ||
    COALESCE((SELECT v.search_ident FROM templates v WHERE v.template_id = template_ids.template_id
              AND v.search_ident IS NOT NULL ORDER BY v.seq DESC LIMIT 1), '') || ' ' ||
    COALESCE((SELECT v.search_content FROM templates v WHERE v.template_id = template_ids.template_id
              AND v.search_content IS NOT NULL ORDER BY v.seq DESC LIMIT 1), '');

CREATE INDEX IF NOT EXISTS packages_publisher_seq ON packages (publisher_id, seq);
CREATE INDEX IF NOT EXISTS packages_lifecycle_seq ON packages (lifecycle_status, seq);
CREATE INDEX IF NOT EXISTS templates_publisher_seq ON templates (publisher_id, seq);
