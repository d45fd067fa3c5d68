-- Back to whole minutes: the minutes estimate, triggers without the seconds, and no seconds
-- column (durations keep their rounded minutes).
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

CREATE OR REPLACE FUNCTION public.exercise_diary_estimate_calories()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    -- A change of nothing the estimate depends on (a note) keeps the stored value: it used
    -- to estimate again and so refuse any change of a workout left unknown above the bound.
    IF TG_OP = 'UPDATE'
       AND coalesce(current_setting('sparky.estimate_bound', true), '') <> 'on'
       AND NEW.user_id = OLD.user_id AND NEW.entry_date = OLD.entry_date
       AND NEW.duration_minutes IS NOT DISTINCT FROM OLD.duration_minutes
       AND NEW.met_value IS NOT DISTINCT FROM OLD.met_value
       AND NEW.calories_burned IS NOT DISTINCT FROM OLD.calories_burned
       AND NEW.calories_source IS NOT DISTINCT FROM OLD.calories_source THEN
        RETURN NEW;
    END IF;
    IF NEW.calories_source IS NULL AND NEW.calories_burned IS NOT NULL THEN
        NEW.calories_source := 'user';
    END IF;
    IF NEW.calories_source IS DISTINCT FROM 'user' THEN
        PERFORM public.day_totals_lock(ARRAY[NEW.user_id]);
        NEW.calories_burned := public.workout_calories_estimate(
            NEW.user_id, NEW.entry_date, NEW.met_value, NEW.duration_minutes);
        -- A weight written later must not make an estimate the API would refuse
        -- (sparky_app::workouts::input::MAX_CALORIES): left unknown. A workout written
        -- directly keeps its estimate for the API to refuse, with its reason.
        IF NEW.calories_burned > 100000
           AND current_setting('sparky.estimate_bound', true) = 'on' THEN
            NEW.calories_burned := NULL;
        END IF;
        NEW.calories_source := CASE WHEN NEW.calories_burned IS NULL THEN NULL ELSE 'met' END;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION public.workout_calories_refresh(p_users uuid[], p_since date[])
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
    PERFORM set_config('sparky.estimate_bound', 'on', true);
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
    PERFORM set_config('sparky.estimate_bound', '', true);
    PERFORM set_config('app.user_id', coalesce(v_caller, ''), true);
END
$$;

DROP TRIGGER workout_calories_estimate ON exercise_diary;
CREATE TRIGGER workout_calories_estimate
    BEFORE INSERT OR UPDATE OF user_id, entry_date, duration_minutes, met_value, calories_burned, calories_source
    ON exercise_diary
    FOR EACH ROW EXECUTE FUNCTION public.exercise_diary_estimate_calories();

DROP FUNCTION public.workout_calories_estimate_seconds(uuid, date, numeric, integer);
DROP TRIGGER exercise_diary_duration ON exercise_diary;
DROP FUNCTION public.exercise_diary_duration_sync();
ALTER TABLE exercise_diary DROP COLUMN duration_seconds;
COMMENT ON COLUMN exercise_diary.duration_minutes IS NULL;
