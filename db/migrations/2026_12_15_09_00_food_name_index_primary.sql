-- sparky:no-transaction
-- Name-prefix candidates for food search, for every shared catalog food but the starter
-- catalog's supplement (source 'usda-fdc-starter'), which gets its own index next: search
-- takes the first names of each in index order, so the supplement's "Milk shake", "Egg
-- burrito" and "Rice crackers" do not crowd SR24's "Milk, whole", "Egg, whole" and "Rice,
-- white" out of the candidates. Built concurrently: the catalog may hold millions of foods.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_food_items_name_c_primary ON food_items ((lower(name) COLLATE "C")) WHERE user_id IS NULL AND source IS DISTINCT FROM 'usda-fdc-starter';
