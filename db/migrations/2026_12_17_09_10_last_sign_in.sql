-- Migration: when each account last signed in, for administrators (Settings → Accounts shows
-- which accounts are still used). Kept by the database: every new session (a sign-in, a
-- sign-up, a password link) stamps its account, whoever inserted the row. The request role
-- reads the column (its own row, and administrators every row, as for the other columns) but
-- cannot write it.
ALTER TABLE users ADD COLUMN last_sign_in_at timestamptz;
COMMENT ON COLUMN users.last_sign_in_at IS
    'When the account last started a session (signed in); NULL = not since this was recorded.';
-- As an owner that FORCEd RLS would otherwise filter (a managed database's plain owner).
ALTER TABLE users NO FORCE ROW LEVEL SECURITY;
ALTER TABLE sessions NO FORCE ROW LEVEL SECURITY;
UPDATE users u SET last_sign_in_at = s.started
FROM (SELECT user_id, max(created_at) AS started FROM sessions GROUP BY user_id) s
WHERE s.user_id = u.id;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;

CREATE FUNCTION auth.stamp_sign_in()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    UPDATE public.users SET last_sign_in_at = NEW.created_at
    WHERE id = NEW.user_id AND last_sign_in_at IS DISTINCT FROM NEW.created_at;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION auth.stamp_sign_in() IS
    'Trigger: a new session records when its account signed in (users.last_sign_in_at).';
REVOKE ALL ON FUNCTION auth.stamp_sign_in() FROM PUBLIC;
CREATE TRIGGER sessions_stamp_sign_in AFTER INSERT ON sessions
    FOR EACH ROW EXECUTE FUNCTION auth.stamp_sign_in();

DO $$
BEGIN
    EXECUTE format('GRANT SELECT (last_sign_in_at) ON TABLE public.users TO %I',
                   current_setting('sparky.app_role'));
END
$$;
