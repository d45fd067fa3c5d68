-- Migration: a workout's duration to the second
--
-- The seed keeps a workout's duration in whole minutes (exercise_diary.duration_minutes), so a
-- 5 km run of 25:34 was stored as 25 or 26 minutes, its pace and its fastest-pace record were
-- off by up to half a minute, and a 45-second plank was a minute. duration_seconds is now the
-- canonical value (like distance_km beside the seed's rounded distance); duration_minutes stays
-- as its rounded summary, so seed-style readers and writers keep working:
--   * a write that gives duration_seconds sets duration_minutes to it rounded to the minute;
--   * a write that gives only duration_minutes (a seed-style insert, or an update of that
--     column alone) sets duration_seconds to minutes × 60.
-- The MET estimate uses the seconds.

ALTER TABLE exercise_diary ADD COLUMN duration_seconds integer
    CONSTRAINT exercise_diary_duration_seconds_check CHECK (duration_seconds >= 0);
COMMENT ON COLUMN exercise_diary.duration_seconds IS
    'Seconds, canonical; duration_minutes is this rounded to the minute';
COMMENT ON COLUMN exercise_diary.duration_minutes IS
    'Summary: duration_seconds rounded to the minute';

-- Existing rows: their minutes, in seconds. Written without the row triggers, which would bump
-- updated_at and recompute totals that do not change, and without FORCE, under which an owner
-- that is not a superuser (a managed database) would see no row to update.
ALTER TABLE exercise_diary NO FORCE ROW LEVEL SECURITY;
ALTER TABLE exercise_diary DISABLE TRIGGER USER;
UPDATE exercise_diary
SET duration_seconds = least(duration_minutes::bigint * 60, 2147483647)::integer
WHERE duration_minutes IS NOT NULL;
ALTER TABLE exercise_diary ENABLE TRIGGER USER;
ALTER TABLE exercise_diary FORCE ROW LEVEL SECURITY;

CREATE FUNCTION public.exercise_diary_duration_sync()
    RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF (TG_OP = 'UPDATE'
        AND NEW.duration_seconds IS NOT DISTINCT FROM OLD.duration_seconds
        AND NEW.duration_minutes IS DISTINCT FROM OLD.duration_minutes)
       OR (TG_OP = 'INSERT' AND NEW.duration_seconds IS NULL) THEN
        -- Only the minutes given: a seed-style writer. (least() would skip a NULL.)
        NEW.duration_seconds := CASE WHEN NEW.duration_minutes IS NOT NULL
            THEN least(NEW.duration_minutes::bigint * 60, 2147483647)::integer END;
    ELSE
        NEW.duration_minutes := round(NEW.duration_seconds / 60.0)::integer;
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION public.exercise_diary_duration_sync() FROM PUBLIC;

-- BEFORE triggers fire in name order: this one before workout_calories_estimate, which reads
-- the seconds.
CREATE TRIGGER exercise_diary_duration
    BEFORE INSERT OR UPDATE OF duration_minutes, duration_seconds ON exercise_diary
    FOR EACH ROW EXECUTE FUNCTION public.exercise_diary_duration_sync();

-- MET × weight × seconds / 3600, 2 places; NULL without a MET value, a positive duration or a
-- weight (then the API says which is missing). Whole minutes give what the minutes did.
CREATE FUNCTION public.workout_calories_estimate_seconds(p_user uuid, p_day date, p_met numeric, p_seconds integer)
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
    IF p_met IS NULL OR p_met <= 0 OR p_seconds IS NULL OR p_seconds <= 0 OR p_user IS NULL THEN
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
    RETURN round(p_met * v_kg * p_seconds / 3600, 2);
END
$$;
REVOKE ALL ON FUNCTION public.workout_calories_estimate_seconds(uuid, date, numeric, integer) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.exercise_diary_estimate_calories()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    -- A change of nothing the estimate depends on (a note) keeps the stored value.
    IF TG_OP = 'UPDATE'
       AND coalesce(current_setting('sparky.estimate_bound', true), '') <> 'on'
       AND NEW.user_id = OLD.user_id AND NEW.entry_date = OLD.entry_date
       AND NEW.duration_seconds IS NOT DISTINCT FROM OLD.duration_seconds
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
        NEW.calories_burned := public.workout_calories_estimate_seconds(
            NEW.user_id, NEW.entry_date, NEW.met_value, NEW.duration_seconds);
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
              public.workout_calories_estimate_seconds(d.user_id, d.entry_date, d.met_value, d.duration_seconds);
    END LOOP;
    PERFORM set_config('sparky.estimate_bound', '', true);
    PERFORM set_config('app.user_id', coalesce(v_caller, ''), true);
END
$$;

DROP TRIGGER workout_calories_estimate ON exercise_diary;
CREATE TRIGGER workout_calories_estimate
    BEFORE INSERT OR UPDATE OF user_id, entry_date, duration_minutes, duration_seconds, met_value,
        calories_burned, calories_source
    ON exercise_diary
    FOR EACH ROW EXECUTE FUNCTION public.exercise_diary_estimate_calories();

-- Nothing else calls the minutes version.
DROP FUNCTION public.workout_calories_estimate(uuid, date, numeric, integer);
