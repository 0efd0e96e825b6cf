-- Abuse reports (reference §7.2 registry_abuse_reports): filed and handled by the admin; a takedown suspends the
-- reported package, template, publisher or namespace. Times are RFC 3339 seconds in UTC.
CREATE TABLE IF NOT EXISTS abuse_reports (
    report_id        TEXT PRIMARY KEY,
    target_kind      TEXT NOT NULL CHECK (target_kind IN ('package', 'template', 'publisher', 'namespace')),
    target_id        TEXT NOT NULL,
    category         TEXT NOT NULL,
    reason           TEXT NOT NULL,
    reporter_contact TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'reviewing', 'resolved', 'rejected')),
    resolution       TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS abuse_reports_status ON abuse_reports (status, updated_at DESC);
CREATE INDEX IF NOT EXISTS abuse_reports_target ON abuse_reports (target_kind, target_id, updated_at DESC);
