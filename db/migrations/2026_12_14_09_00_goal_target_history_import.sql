-- Migration: goal_target_history_import — an account moved from another server keeps the
-- targets its past days had. The archive import hands this function the history it carries;
-- it writes the importing user's rows only (the request role still cannot write the table:
-- everything else in it comes from the trigger on goals). Of two rows for one type and day,
-- the later in the list wins; a row for a day the trigger already recorded replaces it.
-- The goals' own rule for weekday targets, now that rows may come from an edited archive.
ALTER TABLE goal_target_history ADD CONSTRAINT goal_target_history_weekday_targets_check CHECK (
    weekday_targets IS NULL OR (
        array_ndims(weekday_targets) = 1
        AND array_lower(weekday_targets, 1) = 1
        AND cardinality(weekday_targets) = 7
        AND 0 < ALL (weekday_targets)));

CREATE FUNCTION public.goal_target_history_import(p_rows jsonb) RETURNS bigint
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    v_user uuid := auth.uid();
    v_count bigint;
BEGIN
    IF v_user IS NULL THEN
        RAISE EXCEPTION 'goal_target_history_import: no acting user' USING ERRCODE = '42501';
    END IF;
    INSERT INTO public.goal_target_history AS h (user_id, type, valid_from, target_value, weekday_targets)
    SELECT v_user, r.type, r.valid_from, r.target_value,
           CASE WHEN jsonb_typeof(r.weekdays) = 'array' THEN ARRAY(
               SELECT x.n::numeric FROM jsonb_array_elements_text(r.weekdays) WITH ORDINALITY AS x(n, i)
               ORDER BY x.i) END
    FROM (SELECT DISTINCT ON (e.v->>'type', (e.v->>'valid_from')::date)
                 e.v->>'type' AS type, (e.v->>'valid_from')::date AS valid_from,
                 (e.v->>'target_value')::numeric AS target_value, e.v->'weekday_targets' AS weekdays
          FROM jsonb_array_elements(p_rows) WITH ORDINALITY AS e(v, i)
          ORDER BY e.v->>'type', (e.v->>'valid_from')::date, e.i DESC) r
    ON CONFLICT (user_id, type, valid_from) DO UPDATE
        SET target_value = EXCLUDED.target_value, weekday_targets = EXCLUDED.weekday_targets;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;
REVOKE ALL ON FUNCTION public.goal_target_history_import(jsonb) FROM PUBLIC;
DO $$
BEGIN
    EXECUTE format('GRANT EXECUTE ON FUNCTION public.goal_target_history_import(jsonb) TO %I',
                   current_setting('sparky.app_role'));
END
$$;
