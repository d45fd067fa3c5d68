-- Migration: a 'calorie' grantee, who may write the grantor's diary, may also apply a meal plan
-- to it. Applying writes ordinary diary entries plus one meal_plans row a date (what keeps a
-- second apply from doubling the diary); those rows were the grantor's own only, so the
-- apply was refused with "no write access" although every entry could be logged by hand.

DROP POLICY meal_plans_select ON meal_plans;
DROP POLICY meal_plans_insert ON meal_plans;
DROP POLICY meal_plans_update ON meal_plans;
DROP POLICY meal_plans_delete ON meal_plans;

CREATE POLICY meal_plans_select ON meal_plans FOR SELECT
    USING (user_id = (SELECT auth.uid())
           OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                          WHERE fa.grantee_user_id = (SELECT auth.uid())
                            AND fa.access_type = 'calorie'));
CREATE POLICY meal_plans_insert ON meal_plans FOR INSERT
    WITH CHECK (user_id = (SELECT auth.uid())
                OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                               WHERE fa.grantee_user_id = (SELECT auth.uid())
                                 AND fa.access_type = 'calorie'));
CREATE POLICY meal_plans_update ON meal_plans FOR UPDATE
    USING (user_id = (SELECT auth.uid())
           OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                          WHERE fa.grantee_user_id = (SELECT auth.uid())
                            AND fa.access_type = 'calorie'))
    WITH CHECK (user_id = (SELECT auth.uid())
                OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                               WHERE fa.grantee_user_id = (SELECT auth.uid())
                                 AND fa.access_type = 'calorie'));
CREATE POLICY meal_plans_delete ON meal_plans FOR DELETE
    USING (user_id = (SELECT auth.uid())
           OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                          WHERE fa.grantee_user_id = (SELECT auth.uid())
                            AND fa.access_type = 'calorie'));
