-- A read-only replica (`registry-server --mirror-of URL`, issue #11): the origin it follows and the origin's `/keys`
-- answer as of the last sync (served as this replica's `/keys`, so a client sees the origin's keys and log).
-- Written in the same transaction as each synced batch (log entries, hashes, the origin's checkpoint, versions).
CREATE TABLE IF NOT EXISTS mirror_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    origin_url TEXT NOT NULL,
    keys_json  TEXT NOT NULL,
    synced_at  TEXT NOT NULL
);
