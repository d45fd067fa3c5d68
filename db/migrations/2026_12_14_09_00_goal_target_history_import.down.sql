-- Rollback: goal_target_history_import
DROP FUNCTION IF EXISTS public.goal_target_history_import(jsonb);
ALTER TABLE goal_target_history DROP CONSTRAINT IF EXISTS goal_target_history_weekday_targets_check;
