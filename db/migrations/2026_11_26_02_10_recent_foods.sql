-- Migration: the foods each user logged, with when they last logged them, kept by triggers.
--
-- Food search boosts "my recently logged foods", and finding them meant reading every diary
-- entry of the last 60 days on each search (a few hundred index entries, each a heap visit
-- while the rows are new). This table has one row per user and food, so the recent foods are
-- an index range scan of at most the hundred wanted. Inserts move last_logged_at forward;
-- updates and deletes recompute it from food_diary (a food logged only in deleted entries
-- leaves the list). Writers of one user are serialised by day_totals_lock, as for the day
-- totals.

LOCK TABLE food_diary IN SHARE MODE;

CREATE TABLE recent_foods (
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    food_item_id uuid NOT NULL REFERENCES food_items(id) ON DELETE CASCADE,
    last_logged_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, food_item_id)
);
CREATE INDEX idx_recent_foods_user_last ON recent_foods (user_id, last_logged_at DESC) INCLUDE (food_item_id);
CREATE INDEX idx_recent_foods_food ON recent_foods (food_item_id);
COMMENT ON TABLE recent_foods IS
    'Derived from food_diary by triggers: per user and food, when it was last logged (created_at). Read-only to the app.';

ALTER TABLE recent_foods ENABLE ROW LEVEL SECURITY;
ALTER TABLE recent_foods FORCE ROW LEVEL SECURITY;
-- Readable like the diary it comes from (as food_diary_select).
CREATE POLICY recent_foods_select ON recent_foods FOR SELECT
    USING (
        user_id = (SELECT auth.uid())
        OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                       WHERE fa.grantee_user_id = (SELECT auth.uid())
                         AND fa.access_type IN ('calorie', 'reports'))
    );
DO $$
BEGIN
    EXECUTE format('GRANT SELECT ON TABLE public.recent_foods TO %I', current_setting('sparky.app_role'));
    EXECUTE format('CREATE POLICY recent_foods_maintain ON public.recent_foods
                    FOR ALL TO %I USING (true) WITH CHECK (true)', current_user);
END
$$;

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

CREATE TRIGGER recent_foods_insert AFTER INSERT ON food_diary
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.recent_foods_sync();
CREATE TRIGGER recent_foods_update AFTER UPDATE ON food_diary
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.recent_foods_sync();
CREATE TRIGGER recent_foods_delete AFTER DELETE ON food_diary
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.recent_foods_sync();

-- As an owner that FORCEd RLS would otherwise filter (a managed database's plain owner).
ALTER TABLE food_diary NO FORCE ROW LEVEL SECURITY;
ALTER TABLE recent_foods NO FORCE ROW LEVEL SECURITY;
INSERT INTO recent_foods (user_id, food_item_id, last_logged_at)
SELECT user_id, food_item_id, max(created_at)
FROM food_diary
WHERE food_item_id IS NOT NULL
GROUP BY user_id, food_item_id;
ALTER TABLE food_diary FORCE ROW LEVEL SECURITY;
ALTER TABLE recent_foods FORCE ROW LEVEL SECURITY;
