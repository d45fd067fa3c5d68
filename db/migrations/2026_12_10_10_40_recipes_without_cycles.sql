-- Migration: a recipe cannot contain a recipe that contains it, at any depth.
--
-- recipe_ingredients_not_itself refuses a recipe in its own list, but A → B → A was accepted,
-- and every save of either then added the other's nutrients again (315 → 420 → 525 kcal). A
-- row trigger now follows the new ingredient's own ingredients (and theirs) and refuses the
-- row when they lead back to the recipe. It reads every recipe's ingredients, not only the
-- visible ones (SECURITY DEFINER): a recipe shared with you may contain one you cannot see.
-- It answers with one sentence and nothing about what it found.
CREATE FUNCTION public.recipe_ingredients_refuse_cycles()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    IF NEW.food_item_id IS NOT NULL AND EXISTS (
        WITH RECURSIVE inside(food_id) AS (
            SELECT NEW.food_item_id
            UNION
            SELECT ri.food_item_id
            FROM public.recipe_ingredients ri JOIN inside ON ri.recipe_food_id = inside.food_id
            WHERE ri.food_item_id IS NOT NULL
        )
        SELECT 1 FROM inside WHERE food_id = NEW.recipe_food_id
    ) THEN
        RAISE EXCEPTION 'a recipe cannot contain a recipe that contains it'
            USING ERRCODE = 'check_violation', COLUMN = 'food_item_id';
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION public.recipe_ingredients_refuse_cycles() FROM PUBLIC;

CREATE TRIGGER recipe_ingredients_no_cycles
    AFTER INSERT OR UPDATE OF food_item_id, recipe_food_id ON recipe_ingredients
    FOR EACH ROW EXECUTE FUNCTION public.recipe_ingredients_refuse_cycles();
