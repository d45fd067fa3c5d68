-- Back to the triggers of 2026_11_26_01_00 and 2026_11_26_02_10: every write recomputes, under
-- the per-user advisory lock.

LOCK TABLE food_diary, exercise_diary IN SHARE MODE;

DROP TRIGGER IF EXISTS derived_insert ON food_diary;
DROP TRIGGER IF EXISTS derived_update ON food_diary;
DROP TRIGGER IF EXISTS derived_delete ON food_diary;
DROP TRIGGER IF EXISTS derived_insert ON exercise_diary;
DROP TRIGGER IF EXISTS derived_update ON exercise_diary;
DROP TRIGGER IF EXISTS derived_delete ON exercise_diary;
DROP FUNCTION IF EXISTS public.food_diary_derived_insert();
DROP FUNCTION IF EXISTS public.food_diary_derived_recompute();
DROP FUNCTION IF EXISTS public.exercise_diary_derived_insert();
DROP FUNCTION IF EXISTS public.exercise_diary_derived_recompute();
DROP FUNCTION IF EXISTS public.diary_day_totals_recompute(uuid[], date[]);
DROP FUNCTION IF EXISTS public.recent_foods_recompute(uuid[], uuid[]);

DROP TRIGGER food_diary_fill_defaults ON food_diary;
CREATE TRIGGER food_diary_fill_defaults BEFORE INSERT ON food_diary
    FOR EACH ROW EXECUTE FUNCTION public.food_diary_fill_defaults();
DROP TRIGGER exercise_diary_fill_defaults ON exercise_diary;
CREATE TRIGGER exercise_diary_fill_defaults BEFORE INSERT ON exercise_diary
    FOR EACH ROW EXECUTE FUNCTION public.exercise_diary_fill_defaults();

ALTER TABLE diary_day_totals DROP COLUMN eaten_json;
ALTER TABLE diary_day_totals ADD COLUMN eaten_json text NOT NULL GENERATED ALWAYS AS (
    '{' || rtrim(
        coalesce('"calories":' || public.json_number(calories) || ',', '') ||
        coalesce('"protein":' || public.json_number(protein) || ',', '') ||
        coalesce('"carbohydrates":' || public.json_number(carbohydrates) || ',', '') ||
        coalesce('"fat":' || public.json_number(fat) || ',', '') ||
        coalesce('"fiber":' || public.json_number(fiber) || ',', '') ||
        coalesce('"sugar":' || public.json_number(sugar) || ',', '') ||
        coalesce('"sodium":' || public.json_number(sodium) || ',', '') ||
        coalesce('"saturated_fat":' || public.json_number(saturated_fat) || ',', '') ||
        coalesce('"trans_fat":' || public.json_number(trans_fat) || ',', '') ||
        coalesce('"cholesterol":' || public.json_number(cholesterol) || ',', '') ||
        coalesce('"potassium":' || public.json_number(potassium) || ',', '') ||
        coalesce('"calcium":' || public.json_number(calcium) || ',', '') ||
        coalesce('"iron":' || public.json_number(iron) || ',', '') ||
        coalesce('"vitamin_a":' || public.json_number(vitamin_a) || ',', '') ||
        coalesce('"vitamin_c":' || public.json_number(vitamin_c) || ',', ''),
        ',') || '}'
) STORED;
COMMENT ON COLUMN diary_day_totals.eaten_json IS
    'The day''s nutrient sums as the JSON object the API returns ("eaten"); generated from the columns.';
DROP FUNCTION IF EXISTS public.day_eaten_json(numeric, numeric, numeric, numeric, numeric, numeric, numeric,
    numeric, numeric, numeric, numeric, numeric, numeric, numeric, numeric);

-- No day without entries or workouts is ever committed, so the check holds again.
ALTER TABLE diary_day_totals ADD CONSTRAINT diary_day_totals_check CHECK (entries > 0 OR workouts > 0);

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

CREATE FUNCTION public.recent_foods_sync()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    v_users uuid[];
    v_foods uuid[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT n.user_id) INTO v_users FROM new_rows n WHERE n.food_item_id IS NOT NULL;
        IF v_users IS NULL THEN
            RETURN NULL;
        END IF;
        PERFORM public.day_totals_lock(v_users);
        INSERT INTO recent_foods AS r (user_id, food_item_id, last_logged_at)
        SELECT n.user_id, n.food_item_id, max(n.created_at)
        FROM new_rows n WHERE n.food_item_id IS NOT NULL
        GROUP BY n.user_id, n.food_item_id
        ON CONFLICT (user_id, food_item_id) DO UPDATE
            SET last_logged_at = greatest(r.last_logged_at, EXCLUDED.last_logged_at);
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        SELECT array_agg(k.user_id), array_agg(k.food_item_id) INTO v_users, v_foods
        FROM (SELECT DISTINCT o.user_id, o.food_item_id FROM old_rows o WHERE o.food_item_id IS NOT NULL) k;
    ELSE
        SELECT array_agg(k.user_id), array_agg(k.food_item_id) INTO v_users, v_foods
        FROM (SELECT n.user_id, n.food_item_id FROM new_rows n WHERE n.food_item_id IS NOT NULL
              UNION
              SELECT o.user_id, o.food_item_id FROM old_rows o WHERE o.food_item_id IS NOT NULL) k;
    END IF;
    IF v_users IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM public.day_totals_lock(v_users);
    -- A new statement: it sees what other writers of these users committed before the lock.
    WITH a AS (
        SELECT k.user_id, k.food_item_id,
               (SELECT max(d.created_at) FROM food_diary d
                WHERE d.food_item_id = k.food_item_id AND d.user_id = k.user_id) AS last
        FROM unnest(v_users, v_foods) AS k(user_id, food_item_id)
    ), gone AS (
        DELETE FROM recent_foods r USING a
        WHERE a.last IS NULL AND r.user_id = a.user_id AND r.food_item_id = a.food_item_id
    )
    INSERT INTO recent_foods (user_id, food_item_id, last_logged_at)
    SELECT a.user_id, a.food_item_id, a.last FROM a WHERE a.last IS NOT NULL
    ON CONFLICT (user_id, food_item_id) DO UPDATE SET last_logged_at = EXCLUDED.last_logged_at;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION public.recent_foods_sync() FROM PUBLIC;

CREATE TRIGGER day_totals_insert AFTER INSERT ON food_diary
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.diary_day_totals_sync();
CREATE TRIGGER day_totals_update AFTER UPDATE ON food_diary
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.diary_day_totals_sync();
CREATE TRIGGER day_totals_delete AFTER DELETE ON food_diary
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.diary_day_totals_sync();
CREATE TRIGGER day_totals_insert AFTER INSERT ON exercise_diary
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.diary_day_totals_sync();
CREATE TRIGGER day_totals_update AFTER UPDATE ON exercise_diary
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.diary_day_totals_sync();
CREATE TRIGGER day_totals_delete AFTER DELETE ON exercise_diary
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.diary_day_totals_sync();
CREATE TRIGGER recent_foods_insert AFTER INSERT ON food_diary
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.recent_foods_sync();
CREATE TRIGGER recent_foods_update AFTER UPDATE ON food_diary
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.recent_foods_sync();
CREATE TRIGGER recent_foods_delete AFTER DELETE ON food_diary
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.recent_foods_sync();
