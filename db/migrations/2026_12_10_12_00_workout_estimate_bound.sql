-- Migration: a workout's MET estimate made by a later weight stays within the API's bound
--
-- The API refuses a workout whose estimate comes to more than 100,000 kcal (an estimated
-- week-long session at 15 MET was 176,400 kcal), but it can only check when a weight exists:
-- a long workout logged before any weight, then a weight (or a heavier one), made the database
-- estimate 3,276,000 kcal, which fed the summary's burned and remaining, the weekly budget and
-- the exercise report, and then refused every change of that workout. Re-estimating after a
-- weight changed now leaves such an estimate unknown (NULL, like a workout without a weight);
-- a workout written directly still gets its estimate, which the API refuses with its reason.
-- Estimates already stored above the bound are taken back.

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

-- Re-estimated under the bound by the row trigger, which leaves them unknown.
-- As an owner that FORCEd RLS would otherwise filter (a managed database's plain owner).
ALTER TABLE exercise_diary NO FORCE ROW LEVEL SECURITY;
SELECT set_config('sparky.estimate_bound', 'on', true);
UPDATE exercise_diary SET calories_burned = NULL, calories_source = NULL
WHERE calories_source = 'met' AND calories_burned > 100000;
SELECT set_config('sparky.estimate_bound', '', true);
ALTER TABLE exercise_diary FORCE ROW LEVEL SECURITY;
