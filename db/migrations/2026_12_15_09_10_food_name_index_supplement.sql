-- sparky:no-transaction
-- Name-prefix candidates from the starter catalog's supplement (see the migration before).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_food_items_name_c_supplement ON food_items ((lower(name) COLLATE "C")) WHERE user_id IS NULL AND source = 'usda-fdc-starter';
