DROP INDEX IF EXISTS idx_food_items_name_c_primary;
