-- sparky:no-transaction
-- Name-prefix candidates for food search come from a byte-ordered index, so a short query like
-- "chi" reads the first few hundred names starting with it in order instead of ranking every
-- row that contains it. Built concurrently: the catalog may hold millions of foods.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_food_items_name_c ON food_items ((lower(name) COLLATE "C")) WHERE user_id IS NULL;
