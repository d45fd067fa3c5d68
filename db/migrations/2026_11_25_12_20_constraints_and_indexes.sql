-- Migration: CHECK constraints and the indexes behind every RLS policy column
-- Version: 2026_11_25_12_20
--
-- The seed documents the allowed values only in comments; the database enforces them now so
-- that bad input cannot reach the tables through any path. Names follow PostgreSQL's own
-- <table>_<column>_check pattern. NULL still passes where the seed made a column nullable.
-- Indexes: every column a policy filters on is indexed (DESIGN.md §2), names in the seed's
-- idx_<table>_<short columns> style. idx_food_diary_user_date is built CONCURRENTLY by the
-- next migration.

-- users
ALTER TABLE users ADD CONSTRAINT users_email_check CHECK (btrim(email) <> '');

-- user_preferences: one preferences row per user (also the index behind its policies).
ALTER TABLE user_preferences
    ADD CONSTRAINT user_preferences_theme_check CHECK (theme IN ('light', 'dark', 'system')),
    ADD CONSTRAINT user_preferences_units_system_check CHECK (units_system IN ('metric', 'imperial')),
    ADD CONSTRAINT user_preferences_user_id_key UNIQUE (user_id);

-- nutrition_data: a serving has a size; nutrients are never negative.
ALTER TABLE nutrition_data
    ADD CONSTRAINT nutrition_data_serving_size_check CHECK (serving_size > 0),
    ADD CONSTRAINT nutrition_data_calories_check CHECK (calories >= 0),
    ADD CONSTRAINT nutrition_data_protein_check CHECK (protein >= 0),
    ADD CONSTRAINT nutrition_data_carbohydrates_check CHECK (carbohydrates >= 0),
    ADD CONSTRAINT nutrition_data_fat_check CHECK (fat >= 0),
    ADD CONSTRAINT nutrition_data_fiber_check CHECK (fiber >= 0),
    ADD CONSTRAINT nutrition_data_sugar_check CHECK (sugar >= 0),
    ADD CONSTRAINT nutrition_data_sodium_check CHECK (sodium >= 0);

-- food_diary: a logged portion is positive (zero is not an entry).
ALTER TABLE food_diary
    ADD CONSTRAINT food_diary_quantity_check CHECK (quantity > 0),
    ADD CONSTRAINT food_diary_meal_type_check CHECK (meal_type IN ('breakfast', 'lunch', 'dinner', 'snack'));

-- exercise_diary
ALTER TABLE exercise_diary
    ADD CONSTRAINT exercise_diary_duration_minutes_check CHECK (duration_minutes >= 0),
    ADD CONSTRAINT exercise_diary_sets_check CHECK (sets >= 0),
    ADD CONSTRAINT exercise_diary_reps_check CHECK (reps >= 0),
    ADD CONSTRAINT exercise_diary_weight_check CHECK (weight >= 0),
    ADD CONSTRAINT exercise_diary_distance_check CHECK (distance >= 0);

-- goals (target/current values are left unconstrained: their meaning depends on the type)
ALTER TABLE goals
    ADD CONSTRAINT goals_type_check CHECK (type IN ('weight_loss', 'muscle_gain', 'calorie_target')),
    ADD CONSTRAINT goals_status_check CHECK (status IN ('active', 'completed', 'paused'));

-- calories
ALTER TABLE meal_plan_templates
    ADD CONSTRAINT meal_plan_templates_target_calories_check CHECK (target_calories >= 0);
ALTER TABLE meal_plans
    ADD CONSTRAINT meal_plans_total_calories_check CHECK (total_calories >= 0);

-- family_access: the four access types of DESIGN.md §2; nobody grants to themselves
-- (also refused by the insert policy; the constraint holds for the owner role too).
ALTER TABLE family_access
    ADD CONSTRAINT family_access_access_type_check CHECK (access_type IN ('calorie', 'checkin', 'reports', 'food_list')),
    ADD CONSTRAINT family_access_grantee_user_id_check CHECK (grantee_user_id <> grantor_user_id);

-- chat_history: token counts and durations
ALTER TABLE chat_history
    ADD CONSTRAINT chat_history_tokens_used_check CHECK (tokens_used >= 0),
    ADD CONSTRAINT chat_history_response_time_ms_check CHECK (response_time_ms >= 0);

-- Indexes behind the policy columns (user_id first: every policy filters on it).
CREATE INDEX idx_food_items_user ON food_items (user_id);
CREATE INDEX idx_nutrition_data_food_item ON nutrition_data (food_item_id);
CREATE INDEX idx_exercises_user ON exercises (user_id);
CREATE INDEX idx_exercise_diary_user_date ON exercise_diary (user_id, performed_at);
CREATE INDEX idx_measurements_user_type ON measurements (user_id, type, measured_at);
CREATE INDEX idx_goals_user ON goals (user_id);
CREATE INDEX idx_meal_plan_templates_user ON meal_plan_templates (user_id);
CREATE INDEX idx_chat_history_user_date ON chat_history (user_id, created_at);
-- The family subqueries look grants up by grantee and type and return the grantor: covered.
-- (Lookups by grantor use the seed's UNIQUE (grantor_user_id, grantee_user_id, access_type).)
CREATE INDEX idx_family_access_grantee_type ON family_access (grantee_user_id, access_type, grantor_user_id);

-- Foreign keys without ON DELETE CASCADE are checked on every delete of the parent row;
-- index the referencing side so deleting a food or exercise does not scan the diaries.
CREATE INDEX idx_food_diary_food_item ON food_diary (food_item_id);
CREATE INDEX idx_exercise_diary_exercise ON exercise_diary (exercise_id);
