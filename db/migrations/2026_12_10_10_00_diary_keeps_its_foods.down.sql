-- Back to: a diary entry may only reference a food (exercise) its writer can see.
DROP POLICY food_diary_insert ON food_diary;
DROP POLICY food_diary_update ON food_diary;
CREATE POLICY food_diary_insert ON food_diary FOR INSERT
    WITH CHECK (
        (user_id = (SELECT auth.uid())
         OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                        WHERE fa.grantee_user_id = (SELECT auth.uid())
                          AND fa.access_type = 'calorie'))
        AND (food_item_id IS NULL
             OR EXISTS (SELECT 1 FROM food_items f WHERE f.id = food_diary.food_item_id))
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
             OR EXISTS (SELECT 1 FROM food_items f WHERE f.id = food_diary.food_item_id))
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
             OR EXISTS (SELECT 1 FROM exercises e WHERE e.id = exercise_diary.exercise_id))
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
             OR EXISTS (SELECT 1 FROM exercises e WHERE e.id = exercise_diary.exercise_id))
    );

DROP FUNCTION public.diary_has_food(uuid, uuid);
DROP FUNCTION public.diary_has_exercise(uuid, uuid);
