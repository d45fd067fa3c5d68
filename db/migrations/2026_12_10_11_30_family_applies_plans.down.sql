-- Back to meal_plans rows of one's own only.
DROP POLICY meal_plans_select ON meal_plans;
DROP POLICY meal_plans_insert ON meal_plans;
DROP POLICY meal_plans_update ON meal_plans;
DROP POLICY meal_plans_delete ON meal_plans;

CREATE POLICY meal_plans_select ON meal_plans FOR SELECT
    USING (user_id = (SELECT auth.uid()));
CREATE POLICY meal_plans_insert ON meal_plans FOR INSERT
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY meal_plans_update ON meal_plans FOR UPDATE
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY meal_plans_delete ON meal_plans FOR DELETE
    USING (user_id = (SELECT auth.uid()));
