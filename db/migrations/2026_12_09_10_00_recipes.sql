-- Migration: recipes — a food of your own made of other foods.
-- Version: 2026_12_09_10_00
--
-- A recipe is a food_items row (source 'recipe') with how many servings it makes and,
-- optionally, its cooked weight; its ingredients are rows of recipe_ingredients. Its one
-- serving ("1 serving", per serving of the recipe) is worked out from the ingredients when
-- the recipe is saved, so logging a recipe is logging a food: the diary keeps the values it
-- was logged with, and a later change to an ingredient's food changes the recipe only when
-- the recipe is saved again.
--
-- recipe_ingredients follows its recipe like nutrition_data follows its food: readable when
-- the recipe is (own, or shared through a food_list grant), written only by the recipe's
-- owner, and an ingredient may only name a food its writer can see.

ALTER TABLE food_items
    ADD COLUMN recipe_servings numeric(10,4)
        CONSTRAINT food_items_recipe_servings_check
        CHECK (recipe_servings > 0 AND recipe_servings <= 1000),
    ADD COLUMN recipe_cooked_weight_g numeric(12,4)
        CONSTRAINT food_items_recipe_cooked_weight_check
        CHECK (recipe_cooked_weight_g > 0 AND recipe_cooked_weight_g <= 1000000),
    ADD CONSTRAINT food_items_recipe_fields_check
        CHECK (recipe_cooked_weight_g IS NULL OR recipe_servings IS NOT NULL);
COMMENT ON COLUMN food_items.recipe_servings IS
    'Servings a recipe makes; null for foods that are not recipes.';
COMMENT ON COLUMN food_items.recipe_cooked_weight_g IS
    'Weight of the whole cooked recipe in grams, when weighed; else the ingredients'' weight counts.';

CREATE TABLE recipe_ingredients (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    recipe_food_id uuid NOT NULL REFERENCES food_items(id) ON DELETE CASCADE,
    -- Null once the ingredient's food is deleted: the recipe keeps its saved values, and
    -- saving it again asks for a replacement.
    food_item_id uuid REFERENCES food_items(id) ON DELETE SET NULL,
    nutrition_data_id uuid REFERENCES nutrition_data(id) ON DELETE SET NULL,
    food_name varchar(255) NOT NULL
        CONSTRAINT recipe_ingredients_food_name_check CHECK (char_length(food_name) BETWEEN 1 AND 255),
    -- As typed (at most 1,000,000), or in servings when the serving's own unit word is too
    -- long to store, which can be more.
    quantity numeric(20,4) NOT NULL
        CONSTRAINT recipe_ingredients_quantity_check CHECK (quantity > 0),
    unit varchar(50) NOT NULL
        CONSTRAINT recipe_ingredients_unit_check CHECK (char_length(unit) BETWEEN 1 AND 50),
    position smallint NOT NULL
        CONSTRAINT recipe_ingredients_position_check CHECK (position BETWEEN 0 AND 99),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT recipe_ingredients_not_itself CHECK (food_item_id IS DISTINCT FROM recipe_food_id),
    CONSTRAINT recipe_ingredients_position_key UNIQUE (recipe_food_id, position)
        DEFERRABLE INITIALLY DEFERRED
);
COMMENT ON TABLE recipe_ingredients IS
    'The foods a recipe (a food_items row with recipe_servings) is made of, in order.';
-- For ON DELETE SET NULL when an ingredient's food or serving goes.
CREATE INDEX idx_recipe_ingredients_food ON recipe_ingredients (food_item_id)
    WHERE food_item_id IS NOT NULL;
CREATE INDEX idx_recipe_ingredients_serving ON recipe_ingredients (nutrition_data_id)
    WHERE nutrition_data_id IS NOT NULL;
CREATE TRIGGER set_updated_at BEFORE UPDATE ON recipe_ingredients
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

ALTER TABLE recipe_ingredients ENABLE ROW LEVEL SECURITY;
ALTER TABLE recipe_ingredients FORCE ROW LEVEL SECURITY;
-- Reading relies on food_items' RLS (the EXISTS sees only visible foods).
CREATE POLICY recipe_ingredients_select ON recipe_ingredients FOR SELECT
    USING (EXISTS (SELECT 1 FROM food_items f WHERE f.id = recipe_ingredients.recipe_food_id));
-- Writing needs the recipe to be mine, and the ingredient's food and serving to be visible
-- to me (the catalog, my foods, foods shared with me).
CREATE POLICY recipe_ingredients_insert ON recipe_ingredients FOR INSERT
    WITH CHECK (EXISTS (SELECT 1 FROM food_items f
                        WHERE f.id = recipe_ingredients.recipe_food_id
                          AND f.user_id = (SELECT auth.uid()))
                AND (food_item_id IS NULL
                     OR EXISTS (SELECT 1 FROM food_items g WHERE g.id = recipe_ingredients.food_item_id))
                AND (nutrition_data_id IS NULL
                     OR EXISTS (SELECT 1 FROM nutrition_data n WHERE n.id = recipe_ingredients.nutrition_data_id)));
CREATE POLICY recipe_ingredients_update ON recipe_ingredients FOR UPDATE
    USING (EXISTS (SELECT 1 FROM food_items f
                   WHERE f.id = recipe_ingredients.recipe_food_id
                     AND f.user_id = (SELECT auth.uid())))
    WITH CHECK (EXISTS (SELECT 1 FROM food_items f
                        WHERE f.id = recipe_ingredients.recipe_food_id
                          AND f.user_id = (SELECT auth.uid()))
                AND (food_item_id IS NULL
                     OR EXISTS (SELECT 1 FROM food_items g WHERE g.id = recipe_ingredients.food_item_id))
                AND (nutrition_data_id IS NULL
                     OR EXISTS (SELECT 1 FROM nutrition_data n WHERE n.id = recipe_ingredients.nutrition_data_id)));
CREATE POLICY recipe_ingredients_delete ON recipe_ingredients FOR DELETE
    USING (EXISTS (SELECT 1 FROM food_items f
                   WHERE f.id = recipe_ingredients.recipe_food_id
                     AND f.user_id = (SELECT auth.uid())));

DO $$
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.recipe_ingredients TO %I',
                   current_setting('sparky.app_role'));
END
$$;
