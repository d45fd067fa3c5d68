-- Rollback of 2026_11_25_15_00_exercise_catalog. The starter catalog rows are removed unless
-- a diary entry still uses them; MET values and Compendium codes are dropped.
ALTER TABLE exercises NO FORCE ROW LEVEL SECURITY;
ALTER TABLE exercise_diary NO FORCE ROW LEVEL SECURITY;
DELETE FROM exercises e
WHERE e.user_id IS NULL AND e.source = 'sparky'
  AND NOT EXISTS (SELECT 1 FROM exercise_diary d WHERE d.exercise_id = e.id);
ALTER TABLE exercises FORCE ROW LEVEL SECURITY;
ALTER TABLE exercise_diary FORCE ROW LEVEL SECURITY;

DROP INDEX idx_exercises_catalog_source;
DROP INDEX idx_exercises_name_trgm;
DROP INDEX idx_exercises_muscle_groups;
DROP INDEX idx_exercises_equipment;
DROP INDEX idx_exercises_category;
ALTER TABLE exercises
    DROP CONSTRAINT exercises_name_check,
    DROP COLUMN compendium_code,
    DROP COLUMN met_value;
-- pg_trgm stays (the nutrition migration and an administrator's objects may use it).
