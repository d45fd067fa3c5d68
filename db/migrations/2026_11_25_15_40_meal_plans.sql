-- Migration: Meal plans — items of a meal plan template, applying a template to the diary.
-- Version: 2026_11_25_15_40
--
-- A template (seed meal_plan_templates) holds items: a food, which serving, how much, the meal
-- and optionally the weekday (0 = Monday … 6 = Sunday; NULL = every day). Applying a template
-- to a range of dates writes ordinary food_diary entries (with the usual snapshot) and one
-- meal_plans row per date; the UNIQUE (user_id, planned_date, meal_plan_template_id) key makes
-- applying twice a no-op, and food_diary.meal_plan_id marks the entries a plan wrote.
-- Deleting a template keeps both its meal_plans rows (template id set NULL) and the diary.

-- ---------------------------------------------------------------------------------------------
-- meal_plan_template_items: RLS follows the parent template (own templates CRUD; 'food_list'
-- grantees of the template's owner read).
-- ---------------------------------------------------------------------------------------------
CREATE TABLE meal_plan_template_items (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    meal_plan_template_id uuid NOT NULL REFERENCES meal_plan_templates(id) ON DELETE CASCADE,
    -- NULL once the food (or the chosen serving) is deleted; the name stays as it was.
    food_item_id uuid REFERENCES food_items(id) ON DELETE SET NULL,
    -- NULL = the food's default serving at the time the plan is applied.
    nutrition_data_id uuid REFERENCES nutrition_data(id) ON DELETE SET NULL,
    food_name text NOT NULL CHECK (length(btrim(food_name)) > 0),
    quantity numeric(14,4) NOT NULL CHECK (quantity > 0),
    unit text NOT NULL CHECK (length(btrim(unit)) > 0),
    meal_type text NOT NULL CHECK (meal_type IN ('breakfast', 'lunch', 'dinner', 'snack')),
    day_of_week smallint CHECK (day_of_week BETWEEN 0 AND 6),
    sort_order integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN meal_plan_template_items.day_of_week IS '0 = Monday … 6 = Sunday (ISO weekday - 1); NULL = every day';

CREATE INDEX idx_meal_plan_template_items_template
    ON meal_plan_template_items (meal_plan_template_id, day_of_week, meal_type, sort_order);
CREATE INDEX idx_meal_plan_template_items_food ON meal_plan_template_items (food_item_id);
CREATE INDEX idx_meal_plan_template_items_nutrition_data ON meal_plan_template_items (nutrition_data_id);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON meal_plan_template_items
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

ALTER TABLE meal_plan_template_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE meal_plan_template_items FORCE  ROW LEVEL SECURITY;

-- The template subqueries are uncorrelated (evaluated once per statement) and are themselves
-- filtered by meal_plan_templates' RLS.
CREATE POLICY meal_plan_template_items_select ON meal_plan_template_items FOR SELECT
    USING (
        meal_plan_template_id IN (
            SELECT t.id FROM meal_plan_templates t
            WHERE t.user_id = (SELECT auth.uid())
               OR t.user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                                WHERE fa.grantee_user_id = (SELECT auth.uid())
                                  AND fa.access_type = 'food_list'))
    );
-- Writes: only into one's own templates, and only with foods the writer can see.
CREATE POLICY meal_plan_template_items_insert ON meal_plan_template_items FOR INSERT
    WITH CHECK (
        meal_plan_template_id IN (SELECT t.id FROM meal_plan_templates t
                                  WHERE t.user_id = (SELECT auth.uid()))
        AND (food_item_id IS NULL
             OR EXISTS (SELECT 1 FROM food_items f WHERE f.id = meal_plan_template_items.food_item_id))
    );
CREATE POLICY meal_plan_template_items_update ON meal_plan_template_items FOR UPDATE
    USING (
        meal_plan_template_id IN (SELECT t.id FROM meal_plan_templates t
                                  WHERE t.user_id = (SELECT auth.uid()))
    )
    WITH CHECK (
        meal_plan_template_id IN (SELECT t.id FROM meal_plan_templates t
                                  WHERE t.user_id = (SELECT auth.uid()))
        AND (food_item_id IS NULL
             OR EXISTS (SELECT 1 FROM food_items f WHERE f.id = meal_plan_template_items.food_item_id))
    );
CREATE POLICY meal_plan_template_items_delete ON meal_plan_template_items FOR DELETE
    USING (
        meal_plan_template_id IN (SELECT t.id FROM meal_plan_templates t
                                  WHERE t.user_id = (SELECT auth.uid()))
    );

-- ---------------------------------------------------------------------------------------------
-- meal_plans: which template was planned for which date (one row per user, date, template).
-- ---------------------------------------------------------------------------------------------
ALTER TABLE meal_plans
    ADD COLUMN meal_plan_template_id uuid REFERENCES meal_plan_templates(id) ON DELETE SET NULL,
    ADD CONSTRAINT meal_plans_user_date_template_key
        UNIQUE (user_id, planned_date, meal_plan_template_id);
CREATE INDEX idx_meal_plans_template ON meal_plans (meal_plan_template_id);

-- ---------------------------------------------------------------------------------------------
-- food_diary: entries written by applying a plan.
-- ---------------------------------------------------------------------------------------------
ALTER TABLE food_diary
    ADD COLUMN meal_plan_id uuid REFERENCES meal_plans(id) ON DELETE SET NULL;
CREATE INDEX idx_food_diary_meal_plan ON food_diary (meal_plan_id) WHERE meal_plan_id IS NOT NULL;

DO $$
DECLARE
    r text := current_setting('sparky.app_role');
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.meal_plan_template_items TO %I', r);
END
$$;
