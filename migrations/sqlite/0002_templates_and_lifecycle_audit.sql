-- Starter templates (with a signed receipt each) and the audit trail of package lifecycle changes.
CREATE TABLE IF NOT EXISTS templates (
    template_id        TEXT   NOT NULL,
    template_version   TEXT   NOT NULL,
    template_kind      TEXT   NOT NULL,
    project_type       TEXT   NOT NULL,
    anip_spec_version  TEXT   NOT NULL,
    domain             TEXT   NOT NULL,
    industry           TEXT   NOT NULL,
    systems            TEXT   NOT NULL,
    publisher_id       TEXT   NOT NULL,
    publisher_type     TEXT   NOT NULL,
    manifest_digest    TEXT   NOT NULL,
    template_digest    TEXT   NOT NULL,
    package_digest     TEXT   NOT NULL,
    manifest           TEXT   NOT NULL,
    template           TEXT   NOT NULL,
    package            TEXT   NOT NULL,
    published_at       TEXT   NOT NULL,
    download_count     BIGINT NOT NULL DEFAULT 0,
    receipt_id         TEXT   NOT NULL UNIQUE,
    registry_signature TEXT   NOT NULL,
    receipt_issued_at  TEXT   NOT NULL,
    PRIMARY KEY (template_id, template_version)
);

CREATE INDEX IF NOT EXISTS templates_listing
    ON templates (download_count DESC, published_at DESC, template_id ASC, template_version DESC);

CREATE TABLE IF NOT EXISTS lifecycle_events (
    event_id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    package_id                  TEXT NOT NULL,
    package_version             TEXT NOT NULL,
    from_status                 TEXT NOT NULL,
    to_status                   TEXT NOT NULL,
    reason                      TEXT NOT NULL,
    replacement_package_id      TEXT,
    replacement_package_version TEXT,
    changed_by                  TEXT NOT NULL,
    changed_at                  TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS lifecycle_events_package ON lifecycle_events (package_id, package_version, event_id);
