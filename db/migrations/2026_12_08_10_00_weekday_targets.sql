-- Migration: goals.weekday_targets — a daily target that differs by day of the week (more
-- calories on training or weekend days, less on the others).
-- Version: 2026_12_08_10_00
--
-- Seven values, Monday first (ISO day of the week 1-7), in the goal's canonical unit; a NULL
-- element means "target_value on that day". The target of a day is therefore
-- coalesce(weekday_targets[extract(isodow FROM day)], target_value). Only daily targets
-- (calorie, protein, carbs, fat, water) have them; a row never keeps an array of NULLs (the
-- app stores NULL instead). Covered by the table-wide grant and the policies of goals (the
-- owner writes; 'calorie' and 'reports' grantees read).

ALTER TABLE goals ADD COLUMN weekday_targets numeric(14,6)[]
    CONSTRAINT goals_weekday_targets_check CHECK (
        weekday_targets IS NULL OR (
            array_ndims(weekday_targets) = 1
            AND array_lower(weekday_targets, 1) = 1
            AND cardinality(weekday_targets) = 7
            AND type IN ('calorie_target', 'protein_target', 'carbs_target', 'fat_target', 'water_target')
            AND 0 < ALL (weekday_targets)
            AND cardinality(array_remove(weekday_targets, NULL)) > 0));
COMMENT ON COLUMN goals.weekday_targets IS
    'Daily targets only: the target on Monday..Sunday (ISO order, canonical unit); NULL element = target_value.';
