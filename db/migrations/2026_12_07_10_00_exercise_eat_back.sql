-- Migration: user_preferences.exercise_eat_back_percent — how much of the calories burned by
-- logged exercise is added back to the day's calorie target.
-- Version: 2026_12_07_10_00
--
-- 100 (everything, as before) by default; people whose watch overestimates what they burn
-- often count half, or none. The daily summary's remaining calories are
-- target − eaten + burned × percent / 100. Covered by the table-wide SELECT/UPDATE grant and
-- the policies of user_preferences (own row; grantees read it to show shared days alike).

ALTER TABLE user_preferences ADD COLUMN exercise_eat_back_percent smallint NOT NULL DEFAULT 100
    CONSTRAINT user_preferences_exercise_eat_back_percent_check
        CHECK (exercise_eat_back_percent BETWEEN 0 AND 100);
COMMENT ON COLUMN user_preferences.exercise_eat_back_percent IS
    'Share (0-100 %) of exercise calories added back to the calorie target; 100 by default.';
