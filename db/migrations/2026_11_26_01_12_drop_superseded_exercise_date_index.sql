-- sparky:no-transaction
-- Superseded by idx_exercise_diary_user_entry_date_burned (same key columns).
DROP INDEX CONCURRENTLY IF EXISTS idx_exercise_diary_user_entry_date;
