-- Removes recipes: their ingredients go; the recipes stay as plain foods with their serving.
DROP TABLE recipe_ingredients;
ALTER TABLE food_items
    DROP CONSTRAINT food_items_recipe_fields_check,
    DROP COLUMN recipe_cooked_weight_g,
    DROP COLUMN recipe_servings;
