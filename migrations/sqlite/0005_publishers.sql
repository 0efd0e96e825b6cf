-- Publishers, their namespaces, artifact ownership, scoped publish tokens and the audit trail (reference §7.2, with
-- ownership held per folded id so look-alike ids have one owner). Existing versions are untouched: their receipts
-- keep the identity they were signed with. Times are RFC 3339 seconds in UTC; JSON values are stored as text.
CREATE TABLE IF NOT EXISTS publishers (
    publisher_id   TEXT PRIMARY KEY,
    publisher_type TEXT NOT NULL CHECK (publisher_type IN ('individual', 'organization', 'official')),
    display_name   TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    website_url    TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'pending_review', 'suspended')),
    trust_level    TEXT NOT NULL DEFAULT 'unverified' CHECK (trust_level IN ('unverified', 'verified', 'official')),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS publishers_status ON publishers (status, trust_level, publisher_id);

CREATE TABLE IF NOT EXISTS namespaces (
    namespace      TEXT PRIMARY KEY,
    publisher_id   TEXT NOT NULL REFERENCES publishers (publisher_id) ON DELETE RESTRICT,
    artifact_kinds TEXT NOT NULL DEFAULT '["package","template"]',
    status         TEXT NOT NULL DEFAULT 'active'
        CHECK (status IN ('pending_verification', 'active', 'reserved', 'suspended', 'rejected')),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS namespaces_publisher ON namespaces (publisher_id, status);

-- One row per (kind, id); folded_id (the id with '-', '_' and '.' made one) is unique too, so a claim of a
-- look-alike id conflicts with the first one atomically.
CREATE TABLE IF NOT EXISTS artifact_ownership (
    artifact_kind TEXT NOT NULL CHECK (artifact_kind IN ('package', 'template')),
    artifact_id   TEXT NOT NULL,
    folded_id     TEXT NOT NULL,
    publisher_id  TEXT NOT NULL REFERENCES publishers (publisher_id) ON DELETE RESTRICT,
    namespace     TEXT REFERENCES namespaces (namespace) ON DELETE RESTRICT,
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'transferred', 'suspended')),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (artifact_kind, artifact_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS artifact_ownership_folded ON artifact_ownership (artifact_kind, folded_id);
CREATE INDEX IF NOT EXISTS artifact_ownership_publisher ON artifact_ownership (publisher_id, status, artifact_kind);

-- token_hash: lowercase hex SHA-256 of the secret part only; the secret itself is never stored.
CREATE TABLE IF NOT EXISTS publish_tokens (
    token_id     TEXT PRIMARY KEY,
    publisher_id TEXT NOT NULL REFERENCES publishers (publisher_id) ON DELETE CASCADE,
    token_hash   TEXT NOT NULL UNIQUE,
    label        TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    expires_at   TEXT,
    last_used_at TEXT,
    revoked_at   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS publish_tokens_publisher ON publish_tokens (publisher_id, revoked_at, expires_at);

-- Every governance action and publish, written in the transaction of the change; seq orders them. The subject is
-- the publisher the event concerns (what `/me/audit` shows it), the actor who acted (the admin, a publisher).
CREATE TABLE IF NOT EXISTS audit_events (
    seq                INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id           TEXT NOT NULL UNIQUE,
    subject_publisher_id TEXT,
    actor_publisher_id TEXT,
    token_id           TEXT,
    actor              TEXT NOT NULL,
    event_type         TEXT NOT NULL,
    target_type        TEXT NOT NULL,
    target_id          TEXT NOT NULL,
    metadata           TEXT NOT NULL DEFAULT '{}',
    ip_hash            TEXT,
    created_at         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_events_target ON audit_events (target_type, target_id, seq);
CREATE INDEX IF NOT EXISTS audit_events_publisher ON audit_events (subject_publisher_id, seq);
