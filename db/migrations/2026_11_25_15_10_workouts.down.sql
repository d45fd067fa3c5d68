-- Rollback of 2026_11_25_15_10_workouts. Individual sets are dropped (the seed's sets / reps /
-- weight summary stays); entries whose exercise was deleted are removed, since the seed's
-- exercise_id is NOT NULL.
DROP TABLE exercise_sets;

DROP POLICY exercise_diary_insert ON exercise_diary;
DROP POLICY exercise_diary_update ON exercise_diary;
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

DROP TRIGGER exercise_diary_fill_defaults ON exercise_diary;
DROP FUNCTION public.exercise_diary_fill_defaults();
DROP INDEX idx_exercise_diary_user_entry_date;

ALTER TABLE exercise_diary DROP CONSTRAINT exercise_diary_exercise_id_fkey;
ALTER TABLE exercise_diary NO FORCE ROW LEVEL SECURITY;
DELETE FROM exercise_diary WHERE exercise_id IS NULL;
ALTER TABLE exercise_diary FORCE ROW LEVEL SECURITY;
ALTER TABLE exercise_diary ADD CONSTRAINT exercise_diary_exercise_id_fkey
    FOREIGN KEY (exercise_id) REFERENCES exercises(id);
ALTER TABLE exercise_diary
    ALTER COLUMN exercise_id SET NOT NULL,
    DROP COLUMN entry_date,
    DROP COLUMN exercise_name,
    DROP COLUMN met_value,
    DROP COLUMN distance_km,
    DROP COLUMN calories_burned,
    DROP COLUMN calories_source;
COMMENT ON COLUMN exercise_diary.sets IS NULL;
COMMENT ON COLUMN exercise_diary.reps IS NULL;
COMMENT ON COLUMN exercise_diary.weight IS NULL;
COMMENT ON COLUMN exercise_diary.distance IS NULL;
