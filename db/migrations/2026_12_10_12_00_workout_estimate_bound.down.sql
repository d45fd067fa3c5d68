-- Back to re-estimates without the bound (workouts left unknown stay so until written again).
CREATE OR REPLACE FUNCTION public.exercise_diary_estimate_calories()
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
