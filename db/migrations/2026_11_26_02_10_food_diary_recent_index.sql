-- sparky:no-transaction
-- "Recently logged" (food search boosts and GET /api/v1/diary/recent) reads a user's entries
-- of the last 60 days by created_at: from this index alone instead of every entry's heap page.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_food_diary_user_created ON food_diary (user_id, created_at)
    INCLUDE (food_item_id);
