-- Package versions with their receipts. Documents are stored as the exact canonical text their digests cover.
CREATE TABLE IF NOT EXISTS packages (
    package_id                  TEXT    NOT NULL,
    package_version             TEXT    NOT NULL,
    project_ref                 TEXT    NOT NULL,
    product_revision_ref        TEXT    NOT NULL,
    developer_revision_ref      TEXT    NOT NULL,
    contract_signature          TEXT    NOT NULL,
    publisher_id                TEXT    NOT NULL,
    publisher_type              TEXT    NOT NULL,
    schema_version              TEXT    NOT NULL,
    definition_digest           TEXT    NOT NULL,
    manifest_digest             TEXT    NOT NULL,
    lock_digest                 TEXT    NOT NULL,
    package_execution_signature TEXT    NOT NULL,
    lineage                     TEXT    NOT NULL,
    readme                      TEXT    NOT NULL,
    source_links                TEXT    NOT NULL,
    implementation_materials    TEXT    NOT NULL,
    manifest                    TEXT    NOT NULL,
    service_definition          TEXT    NOT NULL,
    recommended_lock            TEXT    NOT NULL,
    published_at                TEXT    NOT NULL,
    download_count              BIGINT  NOT NULL DEFAULT 0,
    lifecycle_status            TEXT    NOT NULL DEFAULT 'active'
        CHECK (lifecycle_status IN ('active', 'superseded', 'deprecated', 'yanked', 'takedown')),
    lifecycle_reason            TEXT    NOT NULL DEFAULT '',
    replacement_package_id      TEXT,
    replacement_package_version TEXT,
    lifecycle_updated_at        TEXT,
    lifecycle_updated_by        TEXT,
    receipt_id                  TEXT    NOT NULL UNIQUE,
    registry_signature          TEXT    NOT NULL,
    receipt_issued_at           TEXT    NOT NULL,
    PRIMARY KEY (package_id, package_version)
);

CREATE INDEX IF NOT EXISTS packages_listing
    ON packages (download_count DESC, published_at DESC, package_id ASC, package_version DESC);
