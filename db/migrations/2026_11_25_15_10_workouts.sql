-- Migration: Workouts — the exercise diary keeps every set, its day, distance and calories
-- Version: 2026_11_25_15_10
--
-- exercise_diary rows (a "workout entry") carry:
--   entry_date       the calendar day of performed_at in the owner's timezone (filled by a
--                    trigger when not given, like food_diary's);
--   exercise_name    a snapshot of the exercise's name, and met_value a snapshot of its MET,
--                    so deleting or editing a custom exercise never rewrites history;
--   distance_km      canonical distance at full precision (the seed's `distance` stays, rounded);
--   calories_burned  kcal, NULL when it cannot be estimated; calories_source says whether the
--                    user typed it ('user') or it is MET × body weight × hours ('met').
-- Sets live in exercise_sets (one row per set, weight in kg at full precision). The seed's
-- sets / reps / weight columns stay as a summary: number of sets, total reps, heaviest weight.

ALTER TABLE exercise_diary NO FORCE ROW LEVEL SECURITY;
-- Read below (names, MET values, timezones, and the new foreign key's check) by an owner that
-- FORCEd RLS would otherwise filter (a managed database's plain owner sees no row).
ALTER TABLE exercises NO FORCE ROW LEVEL SECURITY;
ALTER TABLE user_preferences NO FORCE ROW LEVEL SECURITY;

ALTER TABLE exercise_diary
    ADD COLUMN entry_date date,
    ADD COLUMN exercise_name text,
    ADD COLUMN met_value numeric(5,2) CHECK (met_value > 0),
    ADD COLUMN distance_km numeric(12,6) CHECK (distance_km >= 0),
    ADD COLUMN calories_burned numeric(10,2) CHECK (calories_burned >= 0),
    ADD COLUMN calories_source text CHECK (calories_source IN ('met', 'user')),
    ALTER COLUMN exercise_id DROP NOT NULL;
COMMENT ON COLUMN exercise_diary.sets IS 'Summary: number of rows in exercise_sets';
COMMENT ON COLUMN exercise_diary.reps IS 'Summary: total reps over all sets';
COMMENT ON COLUMN exercise_diary.weight IS 'Summary: heaviest set weight, kg (rounded; exercise_sets.weight_kg is exact)';
COMMENT ON COLUMN exercise_diary.distance IS 'Summary: distance_km rounded to 2 places';

UPDATE exercise_diary d SET
    entry_date = (d.performed_at AT TIME ZONE coalesce(
        (SELECT p.timezone FROM user_preferences p WHERE p.user_id = d.user_id LIMIT 1), 'UTC'))::date,
    exercise_name = coalesce((SELECT e.name FROM exercises e WHERE e.id = d.exercise_id), '(unknown exercise)'),
    met_value = (SELECT e.met_value FROM exercises e WHERE e.id = d.exercise_id),
    distance_km = d.distance;
ALTER TABLE exercise_diary
    ALTER COLUMN entry_date SET NOT NULL,
    ALTER COLUMN exercise_name SET NOT NULL;
CREATE INDEX idx_exercise_diary_user_entry_date ON exercise_diary (user_id, entry_date);

-- Deleting a custom exercise keeps the entries that used it (they carry its name).
ALTER TABLE exercise_diary DROP CONSTRAINT exercise_diary_exercise_id_fkey;
ALTER TABLE exercise_diary ADD CONSTRAINT exercise_diary_exercise_id_fkey
    FOREIGN KEY (exercise_id) REFERENCES exercises(id) ON DELETE SET NULL;

-- Seed-style inserts (exercise, duration, performed_at only) keep working.
CREATE FUNCTION public.exercise_diary_fill_defaults() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.entry_date IS NULL THEN
        NEW.entry_date := (NEW.performed_at AT TIME ZONE coalesce(
            (SELECT p.timezone FROM public.user_preferences p WHERE p.user_id = NEW.user_id LIMIT 1),
            'UTC'))::date;
    END IF;
    IF NEW.exercise_name IS NULL THEN
        SELECT e.name, coalesce(NEW.met_value, e.met_value) INTO NEW.exercise_name, NEW.met_value
        FROM public.exercises e WHERE e.id = NEW.exercise_id;
        NEW.exercise_name := coalesce(NEW.exercise_name, '(unknown exercise)');
    END IF;
    IF NEW.distance_km IS NULL AND NEW.distance IS NOT NULL THEN
        NEW.distance_km := NEW.distance;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER exercise_diary_fill_defaults BEFORE INSERT ON exercise_diary
    FOR EACH ROW EXECUTE FUNCTION public.exercise_diary_fill_defaults();

-- An entry whose exercise was deleted keeps exercise_id NULL; writes must still only
-- reference exercises the writer can see.
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

ALTER TABLE exercise_diary FORCE ROW LEVEL SECURITY;
ALTER TABLE exercises FORCE ROW LEVEL SECURITY;
ALTER TABLE user_preferences FORCE ROW LEVEL SECURITY;

-- ---------------------------------------------------------------------------------------------
-- exercise_sets: one row per set of a strength entry. No owner of its own: it follows its
-- entry, as nutrition_data follows food_items. Reading relies on exercise_diary's RLS (own,
-- 'calorie' and 'reports' grantors); writing needs an entry the writer may write ('calorie').
-- ---------------------------------------------------------------------------------------------
CREATE TABLE exercise_sets (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    exercise_diary_id uuid NOT NULL REFERENCES exercise_diary(id) ON DELETE CASCADE,
    set_number integer NOT NULL CHECK (set_number BETWEEN 1 AND 100),
    reps integer CHECK (reps BETWEEN 0 AND 10000),
    weight_kg numeric(12,6) CHECK (weight_kg >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- Also the index behind the policies' exercise_diary_id.
    CONSTRAINT exercise_sets_entry_set_key UNIQUE (exercise_diary_id, set_number)
);
COMMENT ON COLUMN exercise_sets.weight_kg IS 'kg, canonical; converted to the user''s units for display';
CREATE TRIGGER set_updated_at BEFORE UPDATE ON exercise_sets
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
ALTER TABLE exercise_sets ENABLE ROW LEVEL SECURITY;
ALTER TABLE exercise_sets FORCE ROW LEVEL SECURITY;

CREATE POLICY exercise_sets_select ON exercise_sets FOR SELECT
    USING (EXISTS (SELECT 1 FROM exercise_diary d WHERE d.id = exercise_sets.exercise_diary_id));
CREATE POLICY exercise_sets_insert ON exercise_sets FOR INSERT
    WITH CHECK (EXISTS (
        SELECT 1 FROM exercise_diary d
        WHERE d.id = exercise_sets.exercise_diary_id
          AND (d.user_id = (SELECT auth.uid())
               OR d.user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                                WHERE fa.grantee_user_id = (SELECT auth.uid())
                                  AND fa.access_type = 'calorie'))));
CREATE POLICY exercise_sets_update ON exercise_sets FOR UPDATE
    USING (EXISTS (
        SELECT 1 FROM exercise_diary d
        WHERE d.id = exercise_sets.exercise_diary_id
          AND (d.user_id = (SELECT auth.uid())
               OR d.user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                                WHERE fa.grantee_user_id = (SELECT auth.uid())
                                  AND fa.access_type = 'calorie'))))
    WITH CHECK (EXISTS (
        SELECT 1 FROM exercise_diary d
        WHERE d.id = exercise_sets.exercise_diary_id
          AND (d.user_id = (SELECT auth.uid())
               OR d.user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                                WHERE fa.grantee_user_id = (SELECT auth.uid())
                                  AND fa.access_type = 'calorie'))));
CREATE POLICY exercise_sets_delete ON exercise_sets FOR DELETE
    USING (EXISTS (
        SELECT 1 FROM exercise_diary d
        WHERE d.id = exercise_sets.exercise_diary_id
          AND (d.user_id = (SELECT auth.uid())
               OR d.user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                                WHERE fa.grantee_user_id = (SELECT auth.uid())
                                  AND fa.access_type = 'calorie'))));

DO $$
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.exercise_sets TO %I',
                   current_setting('sparky.app_role'));
END
$$;
