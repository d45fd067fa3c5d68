-- Migration: Security model (owners of catalog rows, RLS on every user table, grants)
-- Version: 2026_11_25_12_00
--
-- DESIGN.md §2: requests run as the app role (no ownership, no BYPASSRLS, DML grants only) and
-- Row Level Security is the only permission layer. Every user table gets ENABLE + FORCE RLS
-- (FORCE so that even a connection that ends up as the owner is filtered unless it is a
-- superuser/BYPASSRLS role). Policies use `(select auth.uid())` so PostgreSQL evaluates the
-- acting user once per statement (an InitPlan) instead of once per row, and family checks are
-- uncorrelated `IN (select ...)` subqueries for the same reason. The family_access subqueries
-- are themselves filtered by family_access's RLS, which lets a grantee see the grants made to
-- them, so no SECURITY DEFINER helper is needed.
--
-- Policies are not restricted TO a role (they apply to PUBLIC): with FORCE RLS the owner running
-- as a user (app.user_id set) sees exactly what that user sees, and with no user nothing.
-- The app role's name is configurable, so grants use the session setting sparky.app_role.

-- ---------------------------------------------------------------------------------------------
-- Owners of catalog rows. NULL = shared catalog (imported from providers or seeded by the
-- operator): readable by every user, written only by the owner role (no app-role policy lets
-- anyone write a NULL-owner row). Non-NULL = a user's own food/exercise.
-- ---------------------------------------------------------------------------------------------
ALTER TABLE food_items ADD COLUMN user_id UUID REFERENCES users(id) ON DELETE CASCADE;
ALTER TABLE exercises  ADD COLUMN user_id UUID REFERENCES users(id) ON DELETE CASCADE;

COMMENT ON COLUMN food_items.user_id IS 'Owner of a custom food; NULL = shared catalog (read-only for users).';
COMMENT ON COLUMN exercises.user_id  IS 'Owner of a custom exercise; NULL = shared catalog (read-only for users).';

-- ---------------------------------------------------------------------------------------------
-- RLS on: every table holding user data.
-- ---------------------------------------------------------------------------------------------
ALTER TABLE users               ENABLE ROW LEVEL SECURITY;
ALTER TABLE users               FORCE  ROW LEVEL SECURITY;
ALTER TABLE user_preferences    ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_preferences    FORCE  ROW LEVEL SECURITY;
ALTER TABLE food_items          ENABLE ROW LEVEL SECURITY;
ALTER TABLE food_items          FORCE  ROW LEVEL SECURITY;
ALTER TABLE nutrition_data      ENABLE ROW LEVEL SECURITY;
ALTER TABLE nutrition_data      FORCE  ROW LEVEL SECURITY;
ALTER TABLE food_diary          ENABLE ROW LEVEL SECURITY;
ALTER TABLE food_diary          FORCE  ROW LEVEL SECURITY;
ALTER TABLE exercises           ENABLE ROW LEVEL SECURITY;
ALTER TABLE exercises           FORCE  ROW LEVEL SECURITY;
ALTER TABLE exercise_diary      ENABLE ROW LEVEL SECURITY;
ALTER TABLE exercise_diary      FORCE  ROW LEVEL SECURITY;
ALTER TABLE measurements        ENABLE ROW LEVEL SECURITY;
ALTER TABLE measurements        FORCE  ROW LEVEL SECURITY;
ALTER TABLE goals               ENABLE ROW LEVEL SECURITY;
ALTER TABLE goals               FORCE  ROW LEVEL SECURITY;
ALTER TABLE meal_plan_templates ENABLE ROW LEVEL SECURITY;
ALTER TABLE meal_plan_templates FORCE  ROW LEVEL SECURITY;
ALTER TABLE meal_plans          ENABLE ROW LEVEL SECURITY;
ALTER TABLE meal_plans          FORCE  ROW LEVEL SECURITY;
ALTER TABLE family_access       ENABLE ROW LEVEL SECURITY;
ALTER TABLE family_access       FORCE  ROW LEVEL SECURITY;
ALTER TABLE chat_history        ENABLE ROW LEVEL SECURITY;
ALTER TABLE chat_history        FORCE  ROW LEVEL SECURITY;

-- The seed's policy calls auth.uid() per row and uses FOR ALL without a WITH CHECK of its own;
-- replaced below by per-command policies.
DROP POLICY meal_plans_user_policy ON meal_plans;

-- ---------------------------------------------------------------------------------------------
-- family_access: one row per (grantor, grantee, access_type).
-- Both sides read; only the grantor creates or deletes, never for themselves and never in
-- someone else's name. No UPDATE policy and no UPDATE grant: a grant is changed by deleting and
-- re-creating it, so a grantee can never widen what they were given.
-- ---------------------------------------------------------------------------------------------
CREATE POLICY family_access_select ON family_access FOR SELECT
    USING (grantor_user_id = (SELECT auth.uid()) OR grantee_user_id = (SELECT auth.uid()));
CREATE POLICY family_access_insert ON family_access FOR INSERT
    WITH CHECK (grantor_user_id = (SELECT auth.uid()) AND grantee_user_id <> grantor_user_id);
CREATE POLICY family_access_delete ON family_access FOR DELETE
    USING (grantor_user_id = (SELECT auth.uid()));

-- ---------------------------------------------------------------------------------------------
-- users: own row; any grant lets the grantee read the grantor's row, and the grantor read the
-- grantee's row (so "grants I gave" can show names). password_hash is hidden by column grants
-- (below), not by policy. Update/delete own row only. No INSERT policy: registration will go
-- through a SECURITY DEFINER function.
-- ---------------------------------------------------------------------------------------------
CREATE POLICY users_select ON users FOR SELECT
    USING (
        id = (SELECT auth.uid())
        OR id IN (SELECT fa.grantor_user_id FROM family_access fa
                  WHERE fa.grantee_user_id = (SELECT auth.uid()))
        OR id IN (SELECT fa.grantee_user_id FROM family_access fa
                  WHERE fa.grantor_user_id = (SELECT auth.uid()))
    );
CREATE POLICY users_update ON users FOR UPDATE
    USING (id = (SELECT auth.uid()))
    WITH CHECK (id = (SELECT auth.uid()));
CREATE POLICY users_delete ON users FOR DELETE
    USING (id = (SELECT auth.uid()));

-- Login happens before any user is known, so the app role cannot read users (and never
-- password_hash). This SECURITY DEFINER function is the one way to get a password hash, by email.
-- If the owner role is not a superuser/BYPASSRLS, FORCE RLS also filters the owner; the policy
-- users_login_lookup (owner only) then shows the owner exactly the row whose email the function
-- put into the transaction-local setting sparky.login_email for the duration of the call.
DO $$
BEGIN
    EXECUTE format(
        'CREATE POLICY users_login_lookup ON users FOR SELECT TO %I '
        'USING (email = current_setting(''sparky.login_email'', true))',
        current_user);
END
$$;

CREATE FUNCTION auth.login_credentials(p_email text)
    RETURNS TABLE (user_id uuid, password_hash text)
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    -- (Not a function-level SET clause: a non-superuser owner may not SET a placeholder
    -- parameter there. If the query fails the transaction or savepoint is rolled back, which
    -- also rolls the transaction-local setting back.)
    PERFORM set_config('sparky.login_email', coalesce(p_email, ''), true);
    RETURN QUERY
        SELECT u.id, u.password_hash::text
        FROM public.users u
        WHERE u.email = p_email;
    PERFORM set_config('sparky.login_email', '', true);
END
$$;

COMMENT ON FUNCTION auth.login_credentials(text) IS
    'Login step: (user_id, password_hash) for an exact email, callable by the app role only.';

-- ---------------------------------------------------------------------------------------------
-- user_preferences: own row CRUD; any grant lets the grantee read the grantor's preferences
-- (names and units are needed to show shared data).
-- ---------------------------------------------------------------------------------------------
CREATE POLICY user_preferences_select ON user_preferences FOR SELECT
    USING (
        user_id = (SELECT auth.uid())
        OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                       WHERE fa.grantee_user_id = (SELECT auth.uid()))
    );
CREATE POLICY user_preferences_insert ON user_preferences FOR INSERT
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY user_preferences_update ON user_preferences FOR UPDATE
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY user_preferences_delete ON user_preferences FOR DELETE
    USING (user_id = (SELECT auth.uid()));

-- ---------------------------------------------------------------------------------------------
-- food_items: the shared catalog (user_id NULL) is readable by any user (but not without a user:
-- "no user = no rows"), own foods CRUD, food_list grantees read the grantor's own foods.
-- Writes only ever with user_id = me, so nobody writes catalog rows through the app role.
-- ---------------------------------------------------------------------------------------------
CREATE POLICY food_items_select ON food_items FOR SELECT
    USING (
        (user_id IS NULL AND (SELECT auth.uid()) IS NOT NULL)
        OR user_id = (SELECT auth.uid())
        OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                       WHERE fa.grantee_user_id = (SELECT auth.uid())
                         AND fa.access_type = 'food_list')
    );
CREATE POLICY food_items_insert ON food_items FOR INSERT
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY food_items_update ON food_items FOR UPDATE
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY food_items_delete ON food_items FOR DELETE
    USING (user_id = (SELECT auth.uid()));

-- nutrition_data has no owner of its own: it follows its food item. Reading relies on
-- food_items' RLS (the EXISTS sees only visible foods); writing needs a food I own.
CREATE POLICY nutrition_data_select ON nutrition_data FOR SELECT
    USING (EXISTS (SELECT 1 FROM food_items f WHERE f.id = nutrition_data.food_item_id));
CREATE POLICY nutrition_data_insert ON nutrition_data FOR INSERT
    WITH CHECK (EXISTS (SELECT 1 FROM food_items f
                        WHERE f.id = nutrition_data.food_item_id
                          AND f.user_id = (SELECT auth.uid())));
CREATE POLICY nutrition_data_update ON nutrition_data FOR UPDATE
    USING (EXISTS (SELECT 1 FROM food_items f
                   WHERE f.id = nutrition_data.food_item_id
                     AND f.user_id = (SELECT auth.uid())))
    WITH CHECK (EXISTS (SELECT 1 FROM food_items f
                        WHERE f.id = nutrition_data.food_item_id
                          AND f.user_id = (SELECT auth.uid())));
CREATE POLICY nutrition_data_delete ON nutrition_data FOR DELETE
    USING (EXISTS (SELECT 1 FROM food_items f
                   WHERE f.id = nutrition_data.food_item_id
                     AND f.user_id = (SELECT auth.uid())));

-- ---------------------------------------------------------------------------------------------
-- exercises: same shape as food_items (catalog + own); not part of the family matrix.
-- ---------------------------------------------------------------------------------------------
CREATE POLICY exercises_select ON exercises FOR SELECT
    USING (
        (user_id IS NULL AND (SELECT auth.uid()) IS NOT NULL)
        OR user_id = (SELECT auth.uid())
    );
CREATE POLICY exercises_insert ON exercises FOR INSERT
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY exercises_update ON exercises FOR UPDATE
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY exercises_delete ON exercises FOR DELETE
    USING (user_id = (SELECT auth.uid()));

-- ---------------------------------------------------------------------------------------------
-- food_diary: own rows; 'calorie' grantees read and write, 'reports' grantees read.
-- Writes must also reference a food the writer can see (the foreign key alone would accept any
-- existing id, bypassing RLS, and would then block its owner from deleting that food).
-- Moving a row between two users the writer may write to is allowed: it is no more than the
-- delete + insert the writer could do anyway.
-- ---------------------------------------------------------------------------------------------
CREATE POLICY food_diary_select ON food_diary FOR SELECT
    USING (
        user_id = (SELECT auth.uid())
        OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                       WHERE fa.grantee_user_id = (SELECT auth.uid())
                         AND fa.access_type IN ('calorie', 'reports'))
    );
CREATE POLICY food_diary_insert ON food_diary FOR INSERT
    WITH CHECK (
        (user_id = (SELECT auth.uid())
         OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                        WHERE fa.grantee_user_id = (SELECT auth.uid())
                          AND fa.access_type = 'calorie'))
        AND EXISTS (SELECT 1 FROM food_items f WHERE f.id = food_diary.food_item_id)
    );
CREATE POLICY food_diary_update ON food_diary FOR UPDATE
    USING (
        user_id = (SELECT auth.uid())
        OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                       WHERE fa.grantee_user_id = (SELECT auth.uid())
                         AND fa.access_type = 'calorie')
    )
    WITH CHECK (
        (user_id = (SELECT auth.uid())
         OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                        WHERE fa.grantee_user_id = (SELECT auth.uid())
                          AND fa.access_type = 'calorie'))
        AND EXISTS (SELECT 1 FROM food_items f WHERE f.id = food_diary.food_item_id)
    );
CREATE POLICY food_diary_delete ON food_diary FOR DELETE
    USING (
        user_id = (SELECT auth.uid())
        OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                       WHERE fa.grantee_user_id = (SELECT auth.uid())
                         AND fa.access_type = 'calorie')
    );

-- exercise_diary: exactly like food_diary ('calorie' read/write, 'reports' read).
CREATE POLICY exercise_diary_select ON exercise_diary FOR SELECT
    USING (
        user_id = (SELECT auth.uid())
        OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                       WHERE fa.grantee_user_id = (SELECT auth.uid())
                         AND fa.access_type IN ('calorie', 'reports'))
    );
CREATE POLICY exercise_diary_insert ON exercise_diary FOR INSERT
    WITH CHECK (
        (user_id = (SELECT auth.uid())
         OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                        WHERE fa.grantee_user_id = (SELECT auth.uid())
                          AND fa.access_type = 'calorie'))
        AND EXISTS (SELECT 1 FROM exercises e WHERE e.id = exercise_diary.exercise_id)
    );
CREATE POLICY exercise_diary_update ON exercise_diary FOR UPDATE
    USING (
        user_id = (SELECT auth.uid())
        OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                       WHERE fa.grantee_user_id = (SELECT auth.uid())
                         AND fa.access_type = 'calorie')
    )
    WITH CHECK (
        (user_id = (SELECT auth.uid())
         OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                        WHERE fa.grantee_user_id = (SELECT auth.uid())
                          AND fa.access_type = 'calorie'))
        AND EXISTS (SELECT 1 FROM exercises e WHERE e.id = exercise_diary.exercise_id)
    );
CREATE POLICY exercise_diary_delete ON exercise_diary FOR DELETE
    USING (
        user_id = (SELECT auth.uid())
        OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                       WHERE fa.grantee_user_id = (SELECT auth.uid())
                         AND fa.access_type = 'calorie')
    );

-- ---------------------------------------------------------------------------------------------
-- measurements: own rows; 'checkin' grantees read and write, 'reports' grantees read.
-- ---------------------------------------------------------------------------------------------
CREATE POLICY measurements_select ON measurements FOR SELECT
    USING (
        user_id = (SELECT auth.uid())
        OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                       WHERE fa.grantee_user_id = (SELECT auth.uid())
                         AND fa.access_type IN ('checkin', 'reports'))
    );
CREATE POLICY measurements_insert ON measurements FOR INSERT
    WITH CHECK (
        user_id = (SELECT auth.uid())
        OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                       WHERE fa.grantee_user_id = (SELECT auth.uid())
                         AND fa.access_type = 'checkin')
    );
CREATE POLICY measurements_update ON measurements FOR UPDATE
    USING (
        user_id = (SELECT auth.uid())
        OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                       WHERE fa.grantee_user_id = (SELECT auth.uid())
                         AND fa.access_type = 'checkin')
    )
    WITH CHECK (
        user_id = (SELECT auth.uid())
        OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                       WHERE fa.grantee_user_id = (SELECT auth.uid())
                         AND fa.access_type = 'checkin')
    );
CREATE POLICY measurements_delete ON measurements FOR DELETE
    USING (
        user_id = (SELECT auth.uid())
        OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                       WHERE fa.grantee_user_id = (SELECT auth.uid())
                         AND fa.access_type = 'checkin')
    );

-- ---------------------------------------------------------------------------------------------
-- goals: own rows CRUD; 'calorie' and 'reports' grantees read.
-- ---------------------------------------------------------------------------------------------
CREATE POLICY goals_select ON goals FOR SELECT
    USING (
        user_id = (SELECT auth.uid())
        OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                       WHERE fa.grantee_user_id = (SELECT auth.uid())
                         AND fa.access_type IN ('calorie', 'reports'))
    );
CREATE POLICY goals_insert ON goals FOR INSERT
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY goals_update ON goals FOR UPDATE
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY goals_delete ON goals FOR DELETE
    USING (user_id = (SELECT auth.uid()));

-- ---------------------------------------------------------------------------------------------
-- meal_plan_templates: own rows CRUD; 'food_list' grantees read.
-- ---------------------------------------------------------------------------------------------
CREATE POLICY meal_plan_templates_select ON meal_plan_templates FOR SELECT
    USING (
        user_id = (SELECT auth.uid())
        OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                       WHERE fa.grantee_user_id = (SELECT auth.uid())
                         AND fa.access_type = 'food_list')
    );
CREATE POLICY meal_plan_templates_insert ON meal_plan_templates FOR INSERT
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY meal_plan_templates_update ON meal_plan_templates FOR UPDATE
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY meal_plan_templates_delete ON meal_plan_templates FOR DELETE
    USING (user_id = (SELECT auth.uid()));

-- ---------------------------------------------------------------------------------------------
-- meal_plans and chat_history: own rows only (not shared through family access).
-- ---------------------------------------------------------------------------------------------
CREATE POLICY meal_plans_select ON meal_plans FOR SELECT
    USING (user_id = (SELECT auth.uid()));
CREATE POLICY meal_plans_insert ON meal_plans FOR INSERT
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY meal_plans_update ON meal_plans FOR UPDATE
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY meal_plans_delete ON meal_plans FOR DELETE
    USING (user_id = (SELECT auth.uid()));

CREATE POLICY chat_history_select ON chat_history FOR SELECT
    USING (user_id = (SELECT auth.uid()));
CREATE POLICY chat_history_insert ON chat_history FOR INSERT
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY chat_history_update ON chat_history FOR UPDATE
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY chat_history_delete ON chat_history FOR DELETE
    USING (user_id = (SELECT auth.uid()));

-- ---------------------------------------------------------------------------------------------
-- Grants to the app role: DML only, nothing on `migrations`, no TRUNCATE/REFERENCES/TRIGGER
-- (TRUNCATE would skip RLS entirely). New functions are executable by PUBLIC by default, so the
-- auth functions are revoked from PUBLIC and granted to the app role only.
-- ---------------------------------------------------------------------------------------------
REVOKE ALL ON FUNCTION auth.uid() FROM PUBLIC;
REVOKE ALL ON FUNCTION auth.login_credentials(text) FROM PUBLIC;

DO $$
DECLARE
    app text := current_setting('sparky.app_role');
    t text;
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', app);
    EXECUTE format('GRANT USAGE ON SCHEMA auth TO %I', app);
    EXECUTE format('GRANT EXECUTE ON FUNCTION auth.uid() TO %I', app);
    EXECUTE format('GRANT EXECUTE ON FUNCTION auth.login_credentials(text) TO %I', app);

    FOREACH t IN ARRAY ARRAY['user_preferences', 'food_items', 'nutrition_data', 'food_diary',
                             'exercises', 'exercise_diary', 'measurements', 'goals',
                             'meal_plan_templates', 'meal_plans', 'chat_history']
    LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.%I TO %I', t, app);
    END LOOP;

    -- Grants are created and deleted, never updated (see the family_access policies).
    EXECUTE format('GRANT SELECT, INSERT, DELETE ON TABLE public.family_access TO %I', app);

    -- users: every column but password_hash is readable; only name and email are updatable;
    -- no INSERT (registration goes through a SECURITY DEFINER function); delete own account.
    EXECUTE format('GRANT SELECT (id, email, full_name, created_at, updated_at) ON TABLE public.users TO %I', app);
    EXECUTE format('GRANT UPDATE (email, full_name) ON TABLE public.users TO %I', app);
    EXECUTE format('GRANT DELETE ON TABLE public.users TO %I', app);
END
$$;
