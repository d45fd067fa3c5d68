-- sparky:no-transaction
-- Calories burned per day (the summary) from the index alone.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_exercise_diary_user_entry_date_burned ON exercise_diary (user_id, entry_date)
    INCLUDE (calories_burned);
