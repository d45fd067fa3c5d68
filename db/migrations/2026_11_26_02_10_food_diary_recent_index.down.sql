DROP INDEX IF EXISTS idx_food_diary_user_created;
