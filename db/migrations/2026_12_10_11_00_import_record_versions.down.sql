DROP INDEX idx_import_records_target;
ALTER TABLE import_records DROP COLUMN fingerprint;
