-- Migration: per-day totals of the food diary, kept by triggers.
--
-- A year of daily summaries summed about 2,200 diary rows x 15 nutrients on every request. This
-- table holds one row per user and day with the same sums, so the summary reads 365 rows. The
-- triggers recompute a day from food_diary itself (never add or subtract deltas), so the totals
-- cannot drift from the entries, and they take a per-day advisory lock first: in READ COMMITTED
-- the recompute then sees every committed entry of that day, so two writers of the same day
-- cannot overwrite each other's totals.

-- No writes to the diary while the table is filled, or they would be missed.
LOCK TABLE food_diary IN SHARE MODE;

CREATE TABLE food_diary_day_totals (
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    entry_date date NOT NULL,
    entries integer NOT NULL CHECK (entries > 0),
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
    PRIMARY KEY (user_id, entry_date)
);
COMMENT ON TABLE food_diary_day_totals IS
    'Derived from food_diary by triggers: entries and nutrient sums per user and diary day. Read-only to the app.';

ALTER TABLE food_diary_day_totals ENABLE ROW LEVEL SECURITY;
ALTER TABLE food_diary_day_totals FORCE ROW LEVEL SECURITY;
-- Whoever may read a diary may read its totals (as food_diary_select).
CREATE POLICY food_diary_day_totals_select ON food_diary_day_totals FOR SELECT
    USING (
        user_id = (SELECT auth.uid())
        OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                       WHERE fa.grantee_user_id = (SELECT auth.uid())
                         AND fa.access_type IN ('calorie', 'reports'))
    );
DO $$
BEGIN
    EXECUTE format('GRANT SELECT ON TABLE public.food_diary_day_totals TO %I',
                   current_setting('sparky.app_role'));
    -- Only the triggers (running as the owner) write; this keeps them working for an owner
    -- role without BYPASSRLS. The request role has no write privilege on the table at all.
    EXECUTE format('CREATE POLICY food_diary_day_totals_maintain ON public.food_diary_day_totals
                    FOR ALL TO %I USING (true) WITH CHECK (true)', current_user);
END
$$;

CREATE FUNCTION public.food_diary_day_totals_sync()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    v_users uuid[];
    v_dates date[];
    i integer;
BEGIN
    -- The days this statement touched, in key order (a fixed lock order avoids deadlocks).
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(k.user_id ORDER BY k.user_id, k.entry_date),
               array_agg(k.entry_date ORDER BY k.user_id, k.entry_date)
        INTO v_users, v_dates
        FROM (SELECT DISTINCT user_id, entry_date FROM new_rows) k;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(k.user_id ORDER BY k.user_id, k.entry_date),
               array_agg(k.entry_date ORDER BY k.user_id, k.entry_date)
        INTO v_users, v_dates
        FROM (SELECT DISTINCT user_id, entry_date FROM old_rows) k;
    ELSE
        SELECT array_agg(k.user_id ORDER BY k.user_id, k.entry_date),
               array_agg(k.entry_date ORDER BY k.user_id, k.entry_date)
        INTO v_users, v_dates
        FROM (SELECT user_id, entry_date FROM new_rows
              UNION SELECT user_id, entry_date FROM old_rows) k;
    END IF;
    IF v_users IS NULL THEN
        RETURN NULL;
    END IF;
    FOR i IN 1 .. array_length(v_users, 1) LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended(v_users[i]::text || '/' || v_dates[i]::text, 20261126));
    END LOOP;
    -- A new statement: under READ COMMITTED it sees what other writers of these days committed
    -- before we got their locks.
    WITH k AS (
        SELECT * FROM unnest(v_users, v_dates) AS u(user_id, entry_date)
    ), a AS (
        SELECT k.user_id, k.entry_date, count(d.id)::integer AS entries,
               sum(d.calories) AS calories, sum(d.protein) AS protein, sum(d.carbohydrates) AS carbohydrates, sum(d.fat) AS fat,
               sum(d.fiber) AS fiber, sum(d.sugar) AS sugar, sum(d.sodium) AS sodium, sum(d.saturated_fat) AS saturated_fat,
               sum(d.trans_fat) AS trans_fat, sum(d.cholesterol) AS cholesterol, sum(d.potassium) AS potassium, sum(d.calcium) AS calcium,
               sum(d.iron) AS iron, sum(d.vitamin_a) AS vitamin_a, sum(d.vitamin_c) AS vitamin_c
        FROM k LEFT JOIN food_diary d ON d.user_id = k.user_id AND d.entry_date = k.entry_date
        GROUP BY k.user_id, k.entry_date
    ), emptied AS (
        DELETE FROM food_diary_day_totals t USING a
        WHERE a.entries = 0 AND t.user_id = a.user_id AND t.entry_date = a.entry_date
    )
    INSERT INTO food_diary_day_totals (user_id, entry_date, entries,
        calories, protein, carbohydrates, fat, fiber,
        sugar, sodium, saturated_fat, trans_fat, cholesterol,
        potassium, calcium, iron, vitamin_a, vitamin_c)
    SELECT a.user_id, a.entry_date, a.entries, a.calories, a.protein, a.carbohydrates, a.fat, a.fiber,
           a.sugar, a.sodium, a.saturated_fat, a.trans_fat, a.cholesterol,
           a.potassium, a.calcium, a.iron, a.vitamin_a, a.vitamin_c
    FROM a WHERE a.entries > 0
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
            vitamin_c = EXCLUDED.vitamin_c;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION public.food_diary_day_totals_sync() FROM PUBLIC;

CREATE TRIGGER food_diary_day_totals_insert AFTER INSERT ON food_diary
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.food_diary_day_totals_sync();
CREATE TRIGGER food_diary_day_totals_update AFTER UPDATE ON food_diary
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.food_diary_day_totals_sync();
CREATE TRIGGER food_diary_day_totals_delete AFTER DELETE ON food_diary
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.food_diary_day_totals_sync();

INSERT INTO food_diary_day_totals (user_id, entry_date, entries,
        calories, protein, carbohydrates, fat, fiber,
        sugar, sodium, saturated_fat, trans_fat, cholesterol,
        potassium, calcium, iron, vitamin_a, vitamin_c)
SELECT d.user_id, d.entry_date, count(*)::integer,
       sum(d.calories), sum(d.protein), sum(d.carbohydrates), sum(d.fat), sum(d.fiber),
       sum(d.sugar), sum(d.sodium), sum(d.saturated_fat), sum(d.trans_fat), sum(d.cholesterol),
       sum(d.potassium), sum(d.calcium), sum(d.iron), sum(d.vitamin_a), sum(d.vitamin_c)
FROM food_diary d
GROUP BY d.user_id, d.entry_date;
