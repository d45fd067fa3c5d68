-- Back to ties broken by id.
CREATE OR REPLACE FUNCTION public.measurement_day_totals_refresh(p_users uuid[], p_dates date[], p_lock boolean DEFAULT true)
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

CREATE OR REPLACE FUNCTION public.workout_body_weight_kg(p_user uuid, p_day date)
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
