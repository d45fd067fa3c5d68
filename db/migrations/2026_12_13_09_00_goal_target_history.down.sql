DROP TRIGGER goals_target_history ON goals;
DROP FUNCTION public.goal_target_history_record();
DROP TABLE goal_target_history;
