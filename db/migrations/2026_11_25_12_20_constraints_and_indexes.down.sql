-- Rollback: CHECK constraints and policy indexes
DROP INDEX IF EXISTS idx_exercise_diary_exercise;
DROP INDEX IF EXISTS idx_food_diary_food_item;
DROP INDEX IF EXISTS idx_family_access_grantee_type;
DROP INDEX IF EXISTS idx_chat_history_user_date;
DROP INDEX IF EXISTS idx_meal_plan_templates_user;
DROP INDEX IF EXISTS idx_goals_user;
DROP INDEX IF EXISTS idx_measurements_user_type;
DROP INDEX IF EXISTS idx_exercise_diary_user_date;
DROP INDEX IF EXISTS idx_exercises_user;
DROP INDEX IF EXISTS idx_nutrition_data_food_item;
DROP INDEX IF EXISTS idx_food_items_user;

ALTER TABLE chat_history
    DROP CONSTRAINT IF EXISTS chat_history_response_time_ms_check,
    DROP CONSTRAINT IF EXISTS chat_history_tokens_used_check;
ALTER TABLE family_access
    DROP CONSTRAINT IF EXISTS family_access_grantee_user_id_check,
    DROP CONSTRAINT IF EXISTS family_access_access_type_check;
ALTER TABLE meal_plans DROP CONSTRAINT IF EXISTS meal_plans_total_calories_check;
ALTER TABLE meal_plan_templates DROP CONSTRAINT IF EXISTS meal_plan_templates_target_calories_check;
ALTER TABLE goals
    DROP CONSTRAINT IF EXISTS goals_status_check,
    DROP CONSTRAINT IF EXISTS goals_type_check;
ALTER TABLE exercise_diary
    DROP CONSTRAINT IF EXISTS exercise_diary_distance_check,
    DROP CONSTRAINT IF EXISTS exercise_diary_weight_check,
    DROP CONSTRAINT IF EXISTS exercise_diary_reps_check,
    DROP CONSTRAINT IF EXISTS exercise_diary_sets_check,
    DROP CONSTRAINT IF EXISTS exercise_diary_duration_minutes_check;
ALTER TABLE food_diary
    DROP CONSTRAINT IF EXISTS food_diary_meal_type_check,
    DROP CONSTRAINT IF EXISTS food_diary_quantity_check;
ALTER TABLE nutrition_data
    DROP CONSTRAINT IF EXISTS nutrition_data_sodium_check,
    DROP CONSTRAINT IF EXISTS nutrition_data_sugar_check,
    DROP CONSTRAINT IF EXISTS nutrition_data_fiber_check,
    DROP CONSTRAINT IF EXISTS nutrition_data_fat_check,
    DROP CONSTRAINT IF EXISTS nutrition_data_carbohydrates_check,
    DROP CONSTRAINT IF EXISTS nutrition_data_protein_check,
    DROP CONSTRAINT IF EXISTS nutrition_data_calories_check,
    DROP CONSTRAINT IF EXISTS nutrition_data_serving_size_check;
ALTER TABLE user_preferences
    DROP CONSTRAINT IF EXISTS user_preferences_user_id_key,
    DROP CONSTRAINT IF EXISTS user_preferences_units_system_check,
    DROP CONSTRAINT IF EXISTS user_preferences_theme_check;
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_email_check;
