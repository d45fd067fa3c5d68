-- A family member with 'calorie' access may log into someone's diary with a food or exercise
-- of their own, which that person cannot see. The diary's owner must still be able to edit
-- that entry and copy that day: a food (exercise) already referenced by an entry of the same
-- diary may be referenced again there. It reveals nothing: the entry's snapshot (name,
-- nutrients) is already part of the diary, and the food's own row stays unreadable.
--
-- A policy cannot query its own table (PostgreSQL reports infinite recursion), so the check
-- is a function: SECURITY INVOKER, so it sees only what the writer's own policies show them.
CREATE FUNCTION public.diary_has_food(p_user uuid, p_food uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public
AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM food_diary d WHERE d.food_item_id = p_food AND d.user_id = p_user);
END
$$;
CREATE FUNCTION public.diary_has_exercise(p_user uuid, p_exercise uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public
AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM exercise_diary d WHERE d.exercise_id = p_exercise AND d.user_id = p_user);
END
$$;

DROP POLICY food_diary_insert ON food_diary;
DROP POLICY food_diary_update ON food_diary;
CREATE POLICY food_diary_insert ON food_diary FOR INSERT
    WITH CHECK (
        (user_id = (SELECT auth.uid())
         OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                        WHERE fa.grantee_user_id = (SELECT auth.uid())
                          AND fa.access_type = 'calorie'))
        AND (food_item_id IS NULL
             OR EXISTS (SELECT 1 FROM food_items f WHERE f.id = food_diary.food_item_id)
             OR public.diary_has_food(user_id, food_item_id))
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
        AND (food_item_id IS NULL
             OR EXISTS (SELECT 1 FROM food_items f WHERE f.id = food_diary.food_item_id)
             OR public.diary_has_food(user_id, food_item_id))
    );

DROP POLICY exercise_diary_insert ON exercise_diary;
DROP POLICY exercise_diary_update ON exercise_diary;
CREATE POLICY exercise_diary_insert ON exercise_diary FOR INSERT
    WITH CHECK (
        (user_id = (SELECT auth.uid())
         OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                        WHERE fa.grantee_user_id = (SELECT auth.uid())
                          AND fa.access_type = 'calorie'))
        AND (exercise_id IS NULL
             OR EXISTS (SELECT 1 FROM exercises e WHERE e.id = exercise_diary.exercise_id)
             OR public.diary_has_exercise(user_id, exercise_id))
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
        AND (exercise_id IS NULL
             OR EXISTS (SELECT 1 FROM exercises e WHERE e.id = exercise_diary.exercise_id)
             OR public.diary_has_exercise(user_id, exercise_id))
    );
