-- sparky:no-transaction
-- Migration: idx_food_diary_user_date (the seed's named index), built without blocking writes
-- Version: 2026_11_25_12_30
-- Behind the food_diary policies (user_id) and the diary-day query (user_id, consumed_at).
-- CONCURRENTLY cannot run inside a transaction, hence the marker on the first line; IF NOT
-- EXISTS makes a retry after an interrupted build a no-op (an interrupted build can leave an
-- INVALID index behind: drop it and rerun).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_food_diary_user_date ON food_diary (user_id, consumed_at);
