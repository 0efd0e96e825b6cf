-- A read-only replica's refusal (issue #11): the origin proved inconsistent (a fork, a changed record, a swapped
-- key, a dropped entry). Kept across restarts: the follower stays stopped until an operator resumes
-- (`POST /registry-api/v1/admin/mirror/resume`), which deletes the row and syncs at once.
CREATE TABLE IF NOT EXISTS mirror_refusal (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    code       TEXT NOT NULL,
    evidence   TEXT NOT NULL,
    refused_at TEXT NOT NULL
);
