-- Migration: user_preferences.week_start — the day a person's week starts on.
-- Version: 2026_12_08_10_10
--
-- The weekly calorie budget and the reports' weekly totals run from this day to the day
-- before it: Monday by default (ISO weeks, as before); Sunday is the custom in the United
-- States, Saturday in parts of the Middle East. Covered by the table-wide grant and the
-- policies of user_preferences (own row; grantees read it to lay out shared weeks alike).

ALTER TABLE user_preferences ADD COLUMN week_start text NOT NULL DEFAULT 'monday'
    CONSTRAINT user_preferences_week_start_check CHECK (week_start IN
        ('monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'));
COMMENT ON COLUMN user_preferences.week_start IS
    'The first day of the week for weekly budgets and report weeks; monday by default.';
