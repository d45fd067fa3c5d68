-- Migration: goal_target_history — the daily targets (calories, protein, carbs, fat) as they
-- were from day to day, so a report judges each past day by the target it had then, not by
-- today's (goals are changed in place).
--
-- One row per user, target type and day a target changed (the day in the owner's timezone;
-- several changes on one day: the last). target_value NULL: no active target from that day.
-- Kept by a trigger on goals; the app only reads it. Readers are those who may read the daily
-- targets in goals ('calorie' and 'reports' grantees, as goals_select).
CREATE TABLE goal_target_history (
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    type varchar(50) NOT NULL
        CHECK (type IN ('calorie_target', 'protein_target', 'carbs_target', 'fat_target')),
    valid_from date NOT NULL,
    target_value numeric(14,6),
    weekday_targets numeric(14,6)[],
    PRIMARY KEY (user_id, type, valid_from)
);
COMMENT ON TABLE goal_target_history IS
    'Derived from goals by a trigger: the daily targets from the day each took effect. Read-only to the app.';

ALTER TABLE goal_target_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE goal_target_history FORCE ROW LEVEL SECURITY;
CREATE POLICY goal_target_history_select ON goal_target_history FOR SELECT
    USING (
        user_id = (SELECT auth.uid())
        OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                       WHERE fa.grantee_user_id = (SELECT auth.uid())
                         AND fa.access_type IN ('calorie', 'reports'))
    );
DO $$
BEGIN
    EXECUTE format('GRANT SELECT ON TABLE public.goal_target_history TO %I',
                   current_setting('sparky.app_role'));
    -- Only the trigger (running as the owner) writes, also for an owner without BYPASSRLS.
    EXECUTE format('CREATE POLICY goal_target_history_maintain ON public.goal_target_history
                    FOR ALL TO %I USING (true) WITH CHECK (true)', current_user);
END
$$;

-- Records the target a goal change leaves in force from today: the goal's own values when it
-- is (or becomes) the active one, none when the active one stops being active or is deleted
-- (at most one goal of a type is active, so these are the type's target).
CREATE FUNCTION public.goal_target_history_record() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    v_row goals;
    v_active boolean;
    v_day date;
BEGIN
    IF TG_OP = 'DELETE' THEN
        v_row := OLD;
        v_active := false;
        IF OLD.status IS DISTINCT FROM 'active' THEN
            RETURN NULL;
        END IF;
    ELSE
        v_row := NEW;
        v_active := NEW.status = 'active';
        IF NOT v_active AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM 'active') THEN
            RETURN NULL;
        END IF;
        IF TG_OP = 'UPDATE' AND v_active AND OLD.status = 'active'
           AND NEW.target_value IS NOT DISTINCT FROM OLD.target_value
           AND NEW.weekday_targets IS NOT DISTINCT FROM OLD.weekday_targets THEN
            RETURN NULL;
        END IF;
    END IF;
    IF v_row.type NOT IN ('calorie_target', 'protein_target', 'carbs_target', 'fat_target') THEN
        RETURN NULL;
    END IF;
    v_day := (now() AT TIME ZONE coalesce(
        (SELECT p.timezone FROM public.user_preferences p WHERE p.user_id = v_row.user_id LIMIT 1),
        'UTC'))::date;
    BEGIN
        INSERT INTO public.goal_target_history AS h (user_id, type, valid_from, target_value, weekday_targets)
        VALUES (v_row.user_id, v_row.type, v_day,
                CASE WHEN v_active THEN v_row.target_value END,
                CASE WHEN v_active THEN v_row.weekday_targets END)
        ON CONFLICT (user_id, type, valid_from) DO UPDATE
            SET target_value = EXCLUDED.target_value, weekday_targets = EXCLUDED.weekday_targets;
    EXCEPTION WHEN foreign_key_violation THEN
        -- The goal goes with its user (an account deleted): nothing to record.
        NULL;
    END;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION public.goal_target_history_record() FROM PUBLIC;

CREATE TRIGGER goals_target_history
    AFTER INSERT OR UPDATE OR DELETE ON goals
    FOR EACH ROW EXECUTE FUNCTION public.goal_target_history_record();

-- The targets in force now, as the ones of every day before: nothing earlier is known (the
-- reports judged every day by them until now).
ALTER TABLE goals NO FORCE ROW LEVEL SECURITY;
INSERT INTO goal_target_history (user_id, type, valid_from, target_value, weekday_targets)
SELECT user_id, type, date '1900-01-01', target_value, weekday_targets
FROM goals
WHERE status = 'active'
  AND type IN ('calorie_target', 'protein_target', 'carbs_target', 'fat_target');
ALTER TABLE goals FORCE ROW LEVEL SECURITY;
