-- Goals paused by the migration stay paused: which were is not recorded.
DROP INDEX IF EXISTS idx_goals_one_active_weight_goal;
