ALTER TABLE user_preferences DROP COLUMN onboarded_at;
