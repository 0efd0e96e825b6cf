-- Abuse reports (reference §7.2 registry_abuse_reports): filed and handled by the admin; a takedown suspends the
-- reported package, template, publisher or namespace. Times are RFC 3339 seconds in UTC.
CREATE TABLE IF NOT EXISTS abuse_reports (
    report_id        TEXT COLLATE "C" PRIMARY KEY,
    target_kind      TEXT COLLATE "C" NOT NULL CHECK (target_kind IN ('package', 'template', 'publisher', 'namespace')),
    target_id        TEXT COLLATE "C" NOT NULL,
    category         TEXT COLLATE "C" NOT NULL,
    reason           TEXT COLLATE "C" NOT NULL,
    reporter_contact TEXT COLLATE "C" NOT NULL DEFAULT '',
    status           TEXT COLLATE "C" NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'reviewing', 'resolved', 'rejected')),
    resolution       TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at       TEXT COLLATE "C" NOT NULL,
    updated_at       TEXT COLLATE "C" NOT NULL
);
CREATE INDEX IF NOT EXISTS abuse_reports_status ON abuse_reports (status, updated_at DESC);
CREATE INDEX IF NOT EXISTS abuse_reports_target ON abuse_reports (target_kind, target_id, updated_at DESC);
