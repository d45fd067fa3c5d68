-- Migration: per-day totals of the food and exercise diaries and of water and weight, kept by
-- triggers, for the daily summary.
--
-- A year of daily summaries summed about 2,200 diary rows x 15 nutrients, 1,100 water entries,
-- the day's last weights and the workouts on every request. These tables hold one row per user
-- and day with the same values, so a year is two index range scans of 365 rows. Two tables,
-- because row level security differs: diary_day_totals is readable like the diaries ('calorie'
-- and 'reports' grantees), measurement_day_totals like measurements ('checkin' and 'reports').
--
-- The triggers recompute a day from the source tables (never add or subtract deltas), so the
-- totals cannot drift, and they take a per-user advisory lock first: in READ COMMITTED the
-- recompute then sees every committed row of that day, so two writers of the same day cannot
-- overwrite each other's totals.

-- No writes to the sources while the tables are filled, or they would be missed.
LOCK TABLE food_diary, exercise_diary, measurements IN SHARE MODE;

CREATE TABLE diary_day_totals (
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    entry_date date NOT NULL,
    -- Food diary entries and their nutrient sums (NULL: no entry knows that nutrient).
    entries integer NOT NULL CHECK (entries >= 0),
    calories numeric,
    protein numeric,
    carbohydrates numeric,
    fat numeric,
    fiber numeric,
    sugar numeric,
    sodium numeric,
    saturated_fat numeric,
    trans_fat numeric,
    cholesterol numeric,
    potassium numeric,
    calcium numeric,
    iron numeric,
    vitamin_a numeric,
    vitamin_c numeric,
    -- Exercise diary entries and their calories burned.
    workouts integer NOT NULL CHECK (workouts >= 0),
    burned numeric,
    PRIMARY KEY (user_id, entry_date),
    CHECK (entries > 0 OR workouts > 0)
);
COMMENT ON TABLE diary_day_totals IS
    'Derived from food_diary and exercise_diary by triggers: per user and diary day. Read-only to the app.';

CREATE TABLE measurement_day_totals (
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    entry_date date NOT NULL,
    -- ml of water logged, and the day's last weight in kg (NULL: none that day).
    water_ml numeric,
    weight_kg numeric,
    PRIMARY KEY (user_id, entry_date),
    CHECK (water_ml IS NOT NULL OR weight_kg IS NOT NULL)
);
COMMENT ON TABLE measurement_day_totals IS
    'Derived from measurements (water, weight) by triggers: per user and day. Read-only to the app.';

ALTER TABLE diary_day_totals ENABLE ROW LEVEL SECURITY;
ALTER TABLE diary_day_totals FORCE ROW LEVEL SECURITY;
ALTER TABLE measurement_day_totals ENABLE ROW LEVEL SECURITY;
ALTER TABLE measurement_day_totals FORCE ROW LEVEL SECURITY;
-- Whoever may read the sources may read the totals (as food_diary_select, exercise_diary_select
-- and measurements_select).
CREATE POLICY diary_day_totals_select ON diary_day_totals FOR SELECT
    USING (
        user_id = (SELECT auth.uid())
        OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                       WHERE fa.grantee_user_id = (SELECT auth.uid())
                         AND fa.access_type IN ('calorie', 'reports'))
    );
CREATE POLICY measurement_day_totals_select ON measurement_day_totals FOR SELECT
    USING (
        user_id = (SELECT auth.uid())
        OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                       WHERE fa.grantee_user_id = (SELECT auth.uid())
                         AND fa.access_type IN ('checkin', 'reports'))
    );
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['diary_day_totals', 'measurement_day_totals'] LOOP
        EXECUTE format('GRANT SELECT ON TABLE public.%I TO %I', t, current_setting('sparky.app_role'));
        -- Only the triggers (running as the owner) write; this keeps them working for an owner
        -- role without BYPASSRLS. The request role has no write privilege on the tables.
        EXECUTE format('CREATE POLICY %I ON public.%I FOR ALL TO %I USING (true) WITH CHECK (true)',
                       t || '_maintain', t, current_user);
    END LOOP;
END
$$;

-- Serialises writers of the same user's totals, one advisory lock per user (not per day: a
-- statement touching years of days must not need thousands of locks), in a fixed order so two
-- multi-user statements cannot deadlock.
CREATE FUNCTION public.day_totals_lock(p_users uuid[])
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
AS $$
DECLARE
    v_user uuid;
BEGIN
    FOR v_user IN SELECT DISTINCT u FROM unnest(p_users) AS u ORDER BY u LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended(v_user::text, 20261126));
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION public.day_totals_lock(uuid[]) FROM PUBLIC;

-- Recomputes diary_day_totals for the given (user, day) pairs from food_diary and exercise_diary.
CREATE FUNCTION public.diary_day_totals_refresh(p_users uuid[], p_dates date[], p_lock boolean DEFAULT true)
    RETURNS void
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    IF p_lock THEN
        PERFORM public.day_totals_lock(p_users);
    END IF;
    -- A new statement: under READ COMMITTED it sees what other writers of these days committed
    -- before we got their locks.
    WITH k AS (
        SELECT * FROM unnest(p_users, p_dates) AS u(user_id, entry_date)
    ), f AS (
        SELECT k.user_id, k.entry_date, count(d.user_id)::integer AS entries,
               sum(d.calories) AS calories, sum(d.protein) AS protein, sum(d.carbohydrates) AS carbohydrates, sum(d.fat) AS fat,
               sum(d.fiber) AS fiber, sum(d.sugar) AS sugar, sum(d.sodium) AS sodium, sum(d.saturated_fat) AS saturated_fat,
               sum(d.trans_fat) AS trans_fat, sum(d.cholesterol) AS cholesterol, sum(d.potassium) AS potassium, sum(d.calcium) AS calcium,
               sum(d.iron) AS iron, sum(d.vitamin_a) AS vitamin_a, sum(d.vitamin_c) AS vitamin_c
        FROM k LEFT JOIN food_diary d ON d.user_id = k.user_id AND d.entry_date = k.entry_date
        GROUP BY k.user_id, k.entry_date
    ), x AS (
        SELECT k.user_id, k.entry_date, count(e.user_id)::integer AS workouts, sum(e.calories_burned) AS burned
        FROM k LEFT JOIN exercise_diary e ON e.user_id = k.user_id AND e.entry_date = k.entry_date
        GROUP BY k.user_id, k.entry_date
    ), a AS (
        SELECT f.*, x.workouts, x.burned FROM f JOIN x USING (user_id, entry_date)
    ), emptied AS (
        DELETE FROM diary_day_totals t USING a
        WHERE a.entries = 0 AND a.workouts = 0 AND t.user_id = a.user_id AND t.entry_date = a.entry_date
    )
    INSERT INTO diary_day_totals (user_id, entry_date, entries,
        calories, protein, carbohydrates, fat, fiber,
        sugar, sodium, saturated_fat, trans_fat, cholesterol,
        potassium, calcium, iron, vitamin_a, vitamin_c,
        workouts, burned)
    SELECT f.user_id, f.entry_date, f.entries,
           f.calories, f.protein, f.carbohydrates, f.fat, f.fiber,
           f.sugar, f.sodium, f.saturated_fat, f.trans_fat, f.cholesterol,
           f.potassium, f.calcium, f.iron, f.vitamin_a, f.vitamin_c,
           f.workouts, f.burned
    FROM a f WHERE f.entries > 0 OR f.workouts > 0
    ON CONFLICT (user_id, entry_date) DO UPDATE
        SET entries = EXCLUDED.entries,
            calories = EXCLUDED.calories,
            protein = EXCLUDED.protein,
            carbohydrates = EXCLUDED.carbohydrates,
            fat = EXCLUDED.fat,
            fiber = EXCLUDED.fiber,
            sugar = EXCLUDED.sugar,
            sodium = EXCLUDED.sodium,
            saturated_fat = EXCLUDED.saturated_fat,
            trans_fat = EXCLUDED.trans_fat,
            cholesterol = EXCLUDED.cholesterol,
            potassium = EXCLUDED.potassium,
            calcium = EXCLUDED.calcium,
            iron = EXCLUDED.iron,
            vitamin_a = EXCLUDED.vitamin_a,
            vitamin_c = EXCLUDED.vitamin_c,
            workouts = EXCLUDED.workouts,
            burned = EXCLUDED.burned;
END
$$;
REVOKE ALL ON FUNCTION public.diary_day_totals_refresh(uuid[], date[], boolean) FROM PUBLIC;

-- Recomputes measurement_day_totals for the given (user, day) pairs from measurements.
CREATE FUNCTION public.measurement_day_totals_refresh(p_users uuid[], p_dates date[], p_lock boolean DEFAULT true)
    RETURNS void
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    IF p_lock THEN
        PERFORM public.day_totals_lock(p_users);
    END IF;
    WITH k AS (
        SELECT * FROM unnest(p_users, p_dates) AS u(user_id, entry_date)
    ), a AS (
        SELECT k.user_id, k.entry_date,
               (SELECT sum(m.value) FROM measurements m
                WHERE m.user_id = k.user_id AND m.type = 'water' AND m.entry_date = k.entry_date) AS water_ml,
               (SELECT m.value FROM measurements m
                WHERE m.user_id = k.user_id AND m.type = 'weight' AND m.entry_date = k.entry_date
                ORDER BY m.measured_at DESC, m.id DESC LIMIT 1) AS weight_kg
        FROM k
    ), emptied AS (
        DELETE FROM measurement_day_totals t USING a
        WHERE a.water_ml IS NULL AND a.weight_kg IS NULL
          AND t.user_id = a.user_id AND t.entry_date = a.entry_date
    )
    INSERT INTO measurement_day_totals (user_id, entry_date, water_ml, weight_kg)
    SELECT a.user_id, a.entry_date, a.water_ml, a.weight_kg
    FROM a WHERE a.water_ml IS NOT NULL OR a.weight_kg IS NOT NULL
    ON CONFLICT (user_id, entry_date) DO UPDATE
        SET water_ml = EXCLUDED.water_ml, weight_kg = EXCLUDED.weight_kg;
END
$$;
REVOKE ALL ON FUNCTION public.measurement_day_totals_refresh(uuid[], date[], boolean) FROM PUBLIC;

-- Statement triggers: the (user, day)s a statement touched, then one refresh.
CREATE FUNCTION public.diary_day_totals_sync()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    v_users uuid[];
    v_dates date[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(k.user_id ORDER BY k.user_id, k.entry_date),
               array_agg(k.entry_date ORDER BY k.user_id, k.entry_date)
        INTO v_users, v_dates
        FROM (SELECT DISTINCT n.user_id, n.entry_date FROM new_rows n) k;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(k.user_id ORDER BY k.user_id, k.entry_date),
               array_agg(k.entry_date ORDER BY k.user_id, k.entry_date)
        INTO v_users, v_dates
        FROM (SELECT DISTINCT o.user_id, o.entry_date FROM old_rows o) k;
    ELSE
        SELECT array_agg(k.user_id ORDER BY k.user_id, k.entry_date),
               array_agg(k.entry_date ORDER BY k.user_id, k.entry_date)
        INTO v_users, v_dates
        FROM (SELECT n.user_id, n.entry_date FROM new_rows n
              UNION
              SELECT o.user_id, o.entry_date FROM old_rows o) k;
    END IF;
    IF v_users IS NOT NULL THEN
        PERFORM public.diary_day_totals_refresh(v_users, v_dates);
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION public.diary_day_totals_sync() FROM PUBLIC;

CREATE FUNCTION public.measurement_day_totals_sync()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    v_users uuid[];
    v_dates date[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(k.user_id ORDER BY k.user_id, k.entry_date),
               array_agg(k.entry_date ORDER BY k.user_id, k.entry_date)
        INTO v_users, v_dates
        FROM (SELECT DISTINCT n.user_id, n.entry_date FROM new_rows n WHERE n.type IN ('water', 'weight')) k;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(k.user_id ORDER BY k.user_id, k.entry_date),
               array_agg(k.entry_date ORDER BY k.user_id, k.entry_date)
        INTO v_users, v_dates
        FROM (SELECT DISTINCT o.user_id, o.entry_date FROM old_rows o WHERE o.type IN ('water', 'weight')) k;
    ELSE
        SELECT array_agg(k.user_id ORDER BY k.user_id, k.entry_date),
               array_agg(k.entry_date ORDER BY k.user_id, k.entry_date)
        INTO v_users, v_dates
        FROM (SELECT n.user_id, n.entry_date FROM new_rows n WHERE n.type IN ('water', 'weight')
              UNION
              SELECT o.user_id, o.entry_date FROM old_rows o WHERE o.type IN ('water', 'weight')) k;
    END IF;
    IF v_users IS NOT NULL THEN
        PERFORM public.measurement_day_totals_refresh(v_users, v_dates);
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION public.measurement_day_totals_sync() FROM PUBLIC;

DO $$
DECLARE
    t text;
    f text;
BEGIN
    FOREACH t IN ARRAY ARRAY['food_diary', 'exercise_diary', 'measurements'] LOOP
        f := CASE t WHEN 'measurements' THEN 'measurement_day_totals_sync' ELSE 'diary_day_totals_sync' END;
        EXECUTE format('CREATE TRIGGER day_totals_insert AFTER INSERT ON %I
                        REFERENCING NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION public.%I()', t, f);
        EXECUTE format('CREATE TRIGGER day_totals_update AFTER UPDATE ON %I
                        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION public.%I()', t, f);
        EXECUTE format('CREATE TRIGGER day_totals_delete AFTER DELETE ON %I
                        REFERENCING OLD TABLE AS old_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION public.%I()', t, f);
    END LOOP;
END
$$;

-- Fill them for the existing data (the table locks above keep writers out; no advisory locks).
-- As an owner that FORCEd RLS would otherwise filter (a managed database's plain owner would
-- read no diary and write no totals).
ALTER TABLE food_diary NO FORCE ROW LEVEL SECURITY;
ALTER TABLE exercise_diary NO FORCE ROW LEVEL SECURITY;
ALTER TABLE measurements NO FORCE ROW LEVEL SECURITY;
ALTER TABLE diary_day_totals NO FORCE ROW LEVEL SECURITY;
ALTER TABLE measurement_day_totals NO FORCE ROW LEVEL SECURITY;
SELECT public.diary_day_totals_refresh(array_agg(user_id ORDER BY user_id, entry_date),
                                       array_agg(entry_date ORDER BY user_id, entry_date), false)
FROM (SELECT user_id, entry_date FROM food_diary
      UNION SELECT user_id, entry_date FROM exercise_diary) k;
SELECT public.measurement_day_totals_refresh(array_agg(user_id ORDER BY user_id, entry_date),
                                             array_agg(entry_date ORDER BY user_id, entry_date), false)
FROM (SELECT DISTINCT user_id, entry_date FROM measurements WHERE type IN ('water', 'weight')) k;
ALTER TABLE food_diary FORCE ROW LEVEL SECURITY;
ALTER TABLE exercise_diary FORCE ROW LEVEL SECURITY;
ALTER TABLE measurements FORCE ROW LEVEL SECURITY;
ALTER TABLE diary_day_totals FORCE ROW LEVEL SECURITY;
ALTER TABLE measurement_day_totals FORCE ROW LEVEL SECURITY;
