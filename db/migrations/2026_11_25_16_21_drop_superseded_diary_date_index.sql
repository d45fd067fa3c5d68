-- sparky:no-transaction
-- Superseded by idx_food_diary_user_entry_date_totals (same key columns).
DROP INDEX CONCURRENTLY IF EXISTS idx_food_diary_user_entry_date;
