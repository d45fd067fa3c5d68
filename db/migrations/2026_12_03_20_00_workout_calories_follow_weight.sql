-- Migration: a workout's calorie estimate is kept by the database and follows the owner's weights
-- Version: 2026_12_03_20_00
--
-- Calories burned by a workout whose value was not typed in are MET × body weight (kg) × hours,
-- rounded to 2 places (sparky_core::exercise::met_calories is the same formula), with the
-- owner's latest weight on or before the workout's day. The app used to compute it once, when
-- the workout was written and as the writer, so:
--   * a workout logged before any weight never got an estimate, and a weight logged, changed
--     or deleted later did not change the estimates it feeds (nor the summary's `burned`);
--   * a family member with `calorie` access, who may not read the owner's measurements, never
--     got an estimate for the workouts they logged.
-- Now:
--   * a BEFORE INSERT/UPDATE row trigger on exercise_diary estimates every entry whose
--     calories_source is not 'user' (a value written without a source counts as typed in);
--   * statement triggers on measurements re-estimate the owner's entries from the earliest day
--     whose weight changed, writing only those whose estimate changes; diary_day_totals.burned
--     (and so the daily summary) follows through exercise_diary's own triggers.
-- The weight is read as the diary's owner: the functions are SECURITY DEFINER (owner role), and
-- since FORCE RLS filters an owner role without BYPASSRLS like anyone else, they set the
-- acting user (app.user_id) to the diary's owner for the lookup and restore the caller's after.
-- The estimate function is not callable by the request role (it would tell anyone's weight);
-- a `calorie` or `reports` grantee learns no more than before, since calories ÷ (MET × hours)
-- was always the owner's weight.
-- Both triggers take the owner's day-totals lock (public.day_totals_lock) before reading, so a
-- workout and a weight written at the same time by two transactions cannot miss each other:
-- the second to get the lock reads what the first committed.

-- The owner's body weight (kg) on a day: the day's last weight, else the latest before it.
CREATE FUNCTION public.workout_body_weight_kg(p_user uuid, p_day date)
    RETURNS numeric
    LANGUAGE sql
    VOLATILE
    SET search_path = pg_catalog, public
AS $$
    SELECT m.value FROM public.measurements m
    WHERE m.user_id = p_user AND m.type = 'weight' AND m.entry_date <= p_day
    ORDER BY m.entry_date DESC, m.measured_at DESC, m.id DESC
    LIMIT 1
$$;
REVOKE ALL ON FUNCTION public.workout_body_weight_kg(uuid, date) FROM PUBLIC;

-- MET × weight × minutes / 60, 2 places; NULL without a MET value, a positive duration or a
-- weight (then the API says which is missing).
CREATE FUNCTION public.workout_calories_estimate(p_user uuid, p_day date, p_met numeric, p_minutes integer)
    RETURNS numeric
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    v_caller text;
    v_kg numeric;
BEGIN
    IF p_met IS NULL OR p_met <= 0 OR p_minutes IS NULL OR p_minutes <= 0 OR p_user IS NULL THEN
        RETURN NULL;
    END IF;
    v_caller := current_setting('app.user_id', true);
    PERFORM set_config('app.user_id', p_user::text, true);
    v_kg := public.workout_body_weight_kg(p_user, p_day);
    PERFORM set_config('app.user_id', coalesce(v_caller, ''), true);
    IF v_kg IS NULL THEN
        RETURN NULL;
    END IF;
    IF v_kg <= 0 THEN
        RETURN 0;
    END IF;
    RETURN round(p_met * v_kg * p_minutes / 60, 2);
END
$$;
REVOKE ALL ON FUNCTION public.workout_calories_estimate(uuid, date, numeric, integer) FROM PUBLIC;

CREATE FUNCTION public.exercise_diary_estimate_calories()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    IF NEW.calories_source IS NULL AND NEW.calories_burned IS NOT NULL THEN
        NEW.calories_source := 'user';
    END IF;
    IF NEW.calories_source IS DISTINCT FROM 'user' THEN
        PERFORM public.day_totals_lock(ARRAY[NEW.user_id]);
        NEW.calories_burned := public.workout_calories_estimate(
            NEW.user_id, NEW.entry_date, NEW.met_value, NEW.duration_minutes);
        NEW.calories_source := CASE WHEN NEW.calories_burned IS NULL THEN NULL ELSE 'met' END;
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION public.exercise_diary_estimate_calories() FROM PUBLIC;

-- BEFORE triggers fire in name order: this one after exercise_diary_fill_defaults, which fills
-- entry_date and met_value for seed-style inserts.
CREATE TRIGGER workout_calories_estimate
    BEFORE INSERT OR UPDATE OF user_id, entry_date, duration_minutes, met_value, calories_burned, calories_source
    ON exercise_diary
    FOR EACH ROW EXECUTE FUNCTION public.exercise_diary_estimate_calories();

-- Re-estimates the entries of the given owners from the given days on (one day per owner).
CREATE FUNCTION public.workout_calories_refresh(p_users uuid[], p_since date[])
    RETURNS void
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    v_caller text := current_setting('app.user_id', true);
    r record;
BEGIN
    PERFORM public.day_totals_lock(p_users);
    FOR r IN SELECT k.user_id, k.since FROM unnest(p_users, p_since) AS k(user_id, since) ORDER BY 1 LOOP
        -- As the owner, who may read their weights and write their diary.
        PERFORM set_config('app.user_id', r.user_id::text, true);
        -- A user being deleted (the weights go by cascade) has nothing left to estimate.
        CONTINUE WHEN NOT EXISTS (SELECT 1 FROM public.users u WHERE u.id = r.user_id);
        -- Clearing the value makes the row trigger estimate it again.
        UPDATE public.exercise_diary d SET calories_burned = NULL, calories_source = NULL
        WHERE d.user_id = r.user_id AND d.entry_date >= r.since
          AND d.calories_source IS DISTINCT FROM 'user'
          AND d.calories_burned IS DISTINCT FROM
              public.workout_calories_estimate(d.user_id, d.entry_date, d.met_value, d.duration_minutes);
    END LOOP;
    PERFORM set_config('app.user_id', coalesce(v_caller, ''), true);
END
$$;
REVOKE ALL ON FUNCTION public.workout_calories_refresh(uuid[], date[]) FROM PUBLIC;

CREATE FUNCTION public.workout_calories_follow_weights()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    v_users uuid[];
    v_since date[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(k.user_id ORDER BY k.user_id), array_agg(k.since ORDER BY k.user_id)
        INTO v_users, v_since
        FROM (SELECT n.user_id, min(n.entry_date) AS since FROM new_rows n
              WHERE n.type = 'weight' GROUP BY n.user_id) k;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(k.user_id ORDER BY k.user_id), array_agg(k.since ORDER BY k.user_id)
        INTO v_users, v_since
        FROM (SELECT o.user_id, min(o.entry_date) AS since FROM old_rows o
              WHERE o.type = 'weight' GROUP BY o.user_id) k;
    ELSE
        SELECT array_agg(k.user_id ORDER BY k.user_id), array_agg(k.since ORDER BY k.user_id)
        INTO v_users, v_since
        FROM (SELECT x.user_id, min(x.entry_date) AS since
              FROM (SELECT n.user_id, n.entry_date FROM new_rows n WHERE n.type = 'weight'
                    UNION ALL
                    SELECT o.user_id, o.entry_date FROM old_rows o WHERE o.type = 'weight') x
              GROUP BY x.user_id) k;
    END IF;
    IF v_users IS NOT NULL THEN
        PERFORM public.workout_calories_refresh(v_users, v_since);
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION public.workout_calories_follow_weights() FROM PUBLIC;

CREATE TRIGGER workout_calories_insert AFTER INSERT ON measurements
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.workout_calories_follow_weights();
CREATE TRIGGER workout_calories_update AFTER UPDATE ON measurements
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.workout_calories_follow_weights();
CREATE TRIGGER workout_calories_delete AFTER DELETE ON measurements
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.workout_calories_follow_weights();

-- Existing entries: estimate those logged before a weight existed, and bring the others to
-- this rule (the day's weight by entry_date). No writers meanwhile. FORCE is lifted while the
-- owners are listed (an owner role without BYPASSRLS would see no rows); the refresh itself
-- acts as each owner in turn.
LOCK TABLE measurements IN SHARE MODE;
ALTER TABLE exercise_diary NO FORCE ROW LEVEL SECURITY;
SELECT public.workout_calories_refresh(array_agg(k.user_id ORDER BY k.user_id),
                                       array_agg(k.since ORDER BY k.user_id))
FROM (SELECT user_id, min(entry_date) AS since FROM exercise_diary GROUP BY user_id) k
HAVING count(*) > 0;
ALTER TABLE exercise_diary FORCE ROW LEVEL SECURITY;
