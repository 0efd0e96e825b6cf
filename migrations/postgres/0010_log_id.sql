-- A random id for each transparency log, part of its default origin (`localhost/anip-registry/<log_id>`) when neither
-- ANIP_REGISTRY_LOG_ORIGIN nor a public base URL names it, so that two development registries (or one whose data was
-- wiped) are two logs to a client, not one log that forked. A log that already has entries keeps log_id NULL and
-- with it the origin its checkpoints were signed under; a log without entries gets its id now and loses only its
-- empty (size 0) checkpoint, which the integrator signs again under the new origin.
ALTER TABLE log_state ADD COLUMN IF NOT EXISTS log_id TEXT;
DELETE FROM log_checkpoints WHERE NOT EXISTS (SELECT 1 FROM log_entries);
UPDATE log_state SET log_id = substr(replace(gen_random_uuid()::text, '-', ''), 1, 16)
WHERE log_id IS NULL AND NOT EXISTS (SELECT 1 FROM log_entries);
