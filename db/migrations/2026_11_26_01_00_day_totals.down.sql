DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['food_diary', 'exercise_diary', 'measurements'] LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS day_totals_insert ON %I', t);
        EXECUTE format('DROP TRIGGER IF EXISTS day_totals_update ON %I', t);
        EXECUTE format('DROP TRIGGER IF EXISTS day_totals_delete ON %I', t);
    END LOOP;
END
$$;
DROP FUNCTION IF EXISTS public.diary_day_totals_sync();
DROP FUNCTION IF EXISTS public.measurement_day_totals_sync();
DROP FUNCTION IF EXISTS public.diary_day_totals_refresh(uuid[], date[], boolean);
DROP FUNCTION IF EXISTS public.measurement_day_totals_refresh(uuid[], date[], boolean);
DROP FUNCTION IF EXISTS public.day_totals_lock(uuid[]);
DROP TABLE IF EXISTS diary_day_totals;
DROP TABLE IF EXISTS measurement_day_totals;
