ALTER TABLE user_preferences DROP COLUMN week_start;
