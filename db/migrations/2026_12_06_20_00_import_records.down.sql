-- Forgets what was imported from other trackers (the imported rows stay).
DROP TABLE import_records;
