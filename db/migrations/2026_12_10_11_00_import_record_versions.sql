-- Migration: importers remember which version of a row they stored.
-- Version: 2026_12_10_11_00
--
-- A workout app's export holds every session whole, so a session changed since the last
-- import (a set corrected, a set added, a row fixed after it was skipped) comes back under the
-- same record_key. `fingerprint` is a digest of what the row held when it was imported: the
-- same key with another fingerprint is a newer version, which replaces the row it became.
-- A day total (Apple Health's steps or water of a day) keeps its value here, so that the day's
-- value can be settled as the largest of what every source sent (see health_data).
-- Rows imported before this migration have none and are left as they are.
ALTER TABLE import_records ADD COLUMN fingerprint text
    CONSTRAINT import_records_fingerprint_check CHECK (char_length(fingerprint) BETWEEN 1 AND 100);
COMMENT ON COLUMN import_records.fingerprint IS
    'A digest of the imported row''s content: another one under the same key is a newer version (NULL: imported before versions were kept).';
-- Settling a day total finds the ledger rows pointing at it.
CREATE INDEX idx_import_records_target ON import_records (target_id) WHERE target_id IS NOT NULL;
