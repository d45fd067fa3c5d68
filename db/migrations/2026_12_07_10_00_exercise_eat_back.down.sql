ALTER TABLE user_preferences DROP COLUMN exercise_eat_back_percent;
