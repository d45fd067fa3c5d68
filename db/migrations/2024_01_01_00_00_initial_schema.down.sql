-- Rollback: Initial schema
-- Drops every table of the seed schema, children before parents. Destroys all data.
DROP TABLE IF EXISTS chat_history;
DROP TABLE IF EXISTS family_access;
DROP TABLE IF EXISTS meal_plan_templates;
DROP TABLE IF EXISTS goals;
DROP TABLE IF EXISTS measurements;
DROP TABLE IF EXISTS exercise_diary;
DROP TABLE IF EXISTS exercises;
DROP TABLE IF EXISTS food_diary;
DROP TABLE IF EXISTS nutrition_data;
DROP TABLE IF EXISTS food_items;
DROP TABLE IF EXISTS user_preferences;
DROP TABLE IF EXISTS users;
