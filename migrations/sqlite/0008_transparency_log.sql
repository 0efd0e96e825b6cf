-- The transparency log (issue #10). A change (publish, lifecycle change) writes its entry into log_pending in its
-- own transaction; the integrator (one at a time: it holds the log_state row) moves pending entries, in pending_id
-- order, to contiguous indexes in log_entries, stores the new RFC 6962 stored hashes (tlog_tiles numbering) and a
-- signed checkpoint, and deletes them from log_pending, all in one transaction.
CREATE TABLE IF NOT EXISTS log_pending (
    pending_id       INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The entry bytes; NULL for a version stored before the log existed (built from its stored receipt when it is
    -- sequenced).
    entry            BLOB,
    entry_kind       TEXT NOT NULL CHECK (entry_kind IN ('version', 'lifecycle', 'ownership')),
    artifact         TEXT NOT NULL CHECK (artifact IN ('package', 'template')),
    artifact_id      TEXT NOT NULL,
    artifact_version TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS log_entries (
    idx              INTEGER PRIMARY KEY,
    pending_id       INTEGER NOT NULL UNIQUE,
    entry_kind       TEXT NOT NULL,
    artifact         TEXT NOT NULL,
    artifact_id      TEXT NOT NULL,
    artifact_version TEXT NOT NULL,
    entry            BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS log_entries_artifact ON log_entries (artifact, artifact_id, artifact_version, entry_kind, idx);

-- Stored hashes by stored-hash index (tlog_tiles::stored_hash_index): immutable once written.
CREATE TABLE IF NOT EXISTS log_hashes (
    hash_index INTEGER PRIMARY KEY,
    hash       BLOB NOT NULL
);

-- Signed checkpoints, one per tree size; cosigned: the note with the witnesses' cosignature lines added.
CREATE TABLE IF NOT EXISTS log_checkpoints (
    tree_size  INTEGER PRIMARY KEY,
    root_hash  BLOB NOT NULL,
    note       TEXT NOT NULL,
    cosigned   TEXT,
    created_at TEXT NOT NULL
);

-- The coordination row: whoever holds it (UPDATE … RETURNING) is the one integrator of the moment.
CREATE TABLE IF NOT EXISTS log_state (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    tree_size INTEGER NOT NULL
);
INSERT INTO log_state (id, tree_size) VALUES (1, 0) ON CONFLICT DO NOTHING;

-- Log creation: every version stored so far, once, in publication order (packages before templates at equal times).
INSERT INTO log_pending (entry, entry_kind, artifact, artifact_id, artifact_version)
SELECT NULL, 'version', artifact, id, version FROM (
    SELECT 'package' AS artifact, package_id AS id, package_version AS version, published_at, 0 AS k, seq FROM packages
    UNION ALL
    SELECT 'template', template_id, template_version, published_at, 1, seq FROM templates
) existing
ORDER BY published_at, k, seq;
