CREATE INDEX IF NOT EXISTS idx_exercise_diary_user_entry_date ON exercise_diary (user_id, entry_date);
