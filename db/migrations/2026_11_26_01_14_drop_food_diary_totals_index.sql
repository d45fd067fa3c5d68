-- sparky:no-transaction
-- Superseded by idx_food_diary_user_entry_date and the diary_day_totals table.
DROP INDEX CONCURRENTLY IF EXISTS idx_food_diary_user_entry_date_totals;
