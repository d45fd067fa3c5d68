-- Rollback: goal_target_history_import
DROP FUNCTION IF EXISTS public.goal_target_history_import(jsonb);
