CREATE INDEX IF NOT EXISTS idx_food_diary_user_entry_date ON food_diary (user_id, entry_date);
