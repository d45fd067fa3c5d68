ALTER TABLE goals DROP COLUMN weekday_targets;
