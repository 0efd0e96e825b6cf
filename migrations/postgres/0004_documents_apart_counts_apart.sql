-- The listing row apart from the documents, download counts apart from both, a publication order that never moves,
-- per-id aggregates for the UI's list pages, and the values the UI shows computed once (NULL: not computed yet; the
-- server fills them in). Existing rows are moved over.

-- Packages: documents.
CREATE TABLE IF NOT EXISTS package_documents (
    package_id               TEXT COLLATE "C" NOT NULL,
    package_version          TEXT COLLATE "C" NOT NULL,
    readme                   TEXT NOT NULL,
    source_links             TEXT NOT NULL,
    implementation_materials TEXT NOT NULL,
    manifest                 TEXT NOT NULL,
    service_definition       TEXT NOT NULL,
    recommended_lock         TEXT NOT NULL,
    PRIMARY KEY (package_id, package_version)
);
INSERT INTO package_documents
    SELECT package_id, package_version, readme, source_links, implementation_materials, manifest, service_definition,
           recommended_lock
    FROM packages;

-- Packages: download counts (a row appears with the first flushed download).
CREATE TABLE IF NOT EXISTS package_downloads (
    package_id      TEXT COLLATE "C" NOT NULL,
    package_version TEXT COLLATE "C" NOT NULL,
    download_count  BIGINT NOT NULL,
    PRIMARY KEY (package_id, package_version)
);
INSERT INTO package_downloads SELECT package_id, package_version, download_count FROM packages WHERE download_count > 0;

-- Packages: publication order (paged listings), card and search values, the stored verification.
CREATE SEQUENCE IF NOT EXISTS package_seq;
ALTER TABLE packages
    ADD COLUMN seq BIGINT,
    ADD COLUMN card_name TEXT,
    ADD COLUMN card_description TEXT,
    ADD COLUMN card_capabilities TEXT,
    ADD COLUMN search_ident TEXT,
    ADD COLUMN search_content TEXT,
    ADD COLUMN verification TEXT;
UPDATE packages p SET seq = r.n
    FROM (SELECT package_id, package_version,
                 row_number() OVER (ORDER BY published_at, package_id, package_version) AS n
          FROM packages) r
    WHERE p.package_id = r.package_id AND p.package_version = r.package_version;
SELECT setval('package_seq', COALESCE((SELECT MAX(seq) FROM packages), 0) + 1, false);
ALTER TABLE packages ALTER COLUMN seq SET DEFAULT nextval('package_seq'), ALTER COLUMN seq SET NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS packages_seq ON packages (seq);
CREATE INDEX IF NOT EXISTS packages_pending_card ON packages (seq) WHERE card_name IS NULL;
DROP INDEX IF EXISTS packages_listing;
ALTER TABLE packages
    DROP COLUMN readme,
    DROP COLUMN source_links,
    DROP COLUMN implementation_materials,
    DROP COLUMN manifest,
    DROP COLUMN service_definition,
    DROP COLUMN recommended_lock,
    DROP COLUMN download_count;

-- Packages: one row per id for the UI's list (versions, downloads, last publication).
CREATE TABLE IF NOT EXISTS package_ids (
    package_id          TEXT COLLATE "C" PRIMARY KEY,
    version_count       BIGINT NOT NULL,
    downloads           BIGINT NOT NULL DEFAULT 0,
    latest_published_at TEXT COLLATE "C" NOT NULL
);
INSERT INTO package_ids
    SELECT p.package_id, COUNT(*), COALESCE(SUM(d.download_count), 0), MAX(p.published_at)
    FROM packages p LEFT JOIN package_downloads d
        ON d.package_id = p.package_id AND d.package_version = p.package_version
    GROUP BY p.package_id;
CREATE INDEX IF NOT EXISTS package_ids_listing ON package_ids (downloads DESC, latest_published_at DESC, package_id);

-- Templates: the same split (the manifest stays in the row: listings show it).
CREATE TABLE IF NOT EXISTS template_documents (
    template_id      TEXT COLLATE "C" NOT NULL,
    template_version TEXT COLLATE "C" NOT NULL,
    template         TEXT NOT NULL,
    package          TEXT NOT NULL,
    PRIMARY KEY (template_id, template_version)
);
INSERT INTO template_documents SELECT template_id, template_version, template, package FROM templates;

CREATE TABLE IF NOT EXISTS template_downloads (
    template_id      TEXT COLLATE "C" NOT NULL,
    template_version TEXT COLLATE "C" NOT NULL,
    download_count   BIGINT NOT NULL,
    PRIMARY KEY (template_id, template_version)
);
INSERT INTO template_downloads
    SELECT template_id, template_version, download_count FROM templates WHERE download_count > 0;

CREATE SEQUENCE IF NOT EXISTS template_seq;
ALTER TABLE templates
    ADD COLUMN seq BIGINT,
    ADD COLUMN card_name TEXT,
    ADD COLUMN card_description TEXT,
    ADD COLUMN card_capabilities TEXT,
    ADD COLUMN search_ident TEXT,
    ADD COLUMN search_content TEXT,
    ADD COLUMN verification TEXT;
UPDATE templates t SET seq = r.n
    FROM (SELECT template_id, template_version,
                 row_number() OVER (ORDER BY published_at, template_id, template_version) AS n
          FROM templates) r
    WHERE t.template_id = r.template_id AND t.template_version = r.template_version;
SELECT setval('template_seq', COALESCE((SELECT MAX(seq) FROM templates), 0) + 1, false);
ALTER TABLE templates ALTER COLUMN seq SET DEFAULT nextval('template_seq'), ALTER COLUMN seq SET NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS templates_seq ON templates (seq);
CREATE INDEX IF NOT EXISTS templates_pending_card ON templates (seq) WHERE card_name IS NULL;
DROP INDEX IF EXISTS templates_listing;
ALTER TABLE templates DROP COLUMN template, DROP COLUMN package, DROP COLUMN download_count;

CREATE TABLE IF NOT EXISTS template_ids (
    template_id         TEXT COLLATE "C" PRIMARY KEY,
    version_count       BIGINT NOT NULL,
    downloads           BIGINT NOT NULL DEFAULT 0,
    latest_published_at TEXT COLLATE "C" NOT NULL
);
INSERT INTO template_ids
    SELECT t.template_id, COUNT(*), COALESCE(SUM(d.download_count), 0), MAX(t.published_at)
    FROM templates t LEFT JOIN template_downloads d
        ON d.template_id = t.template_id AND d.template_version = t.template_version
    GROUP BY t.template_id;
CREATE INDEX IF NOT EXISTS template_ids_listing
    ON template_ids (downloads DESC, latest_published_at DESC, template_id);
