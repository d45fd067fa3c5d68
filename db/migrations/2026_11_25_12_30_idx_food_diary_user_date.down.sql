-- Rollback: idx_food_diary_user_date
-- A plain DROP INDEX (not CONCURRENTLY) so it can run inside the runner's transaction.
DROP INDEX IF EXISTS idx_food_diary_user_date;
