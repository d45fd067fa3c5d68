-- Rollback: Accounts
-- Back to the state after 2026_11_25_12_30: the new auth functions, sessions and api_keys are
-- dropped (every session and API key is lost: everyone has to sign in again), the new users and
-- user_preferences columns and the owner policies go, and auth.login_credentials and its
-- users_login_lookup policy are restored exactly as 2026_11_25_12_00 created them.
-- Careful: is_admin, disabled_at and timezone are lost; disabled accounts become active.

DROP FUNCTION IF EXISTS auth.purge_expired_sessions();
DROP FUNCTION IF EXISTS auth.find_user_id_by_email(text);
DROP FUNCTION IF EXISTS auth.set_password(text);
DROP FUNCTION IF EXISTS auth.resolve_credential(text, text, integer);
DROP FUNCTION IF EXISTS auth.register_user(text, text, text, boolean);

-- Tables (their policies, triggers, indexes and grants go with them).
DROP TABLE IF EXISTS api_keys;
DROP TABLE IF EXISTS sessions;

DROP POLICY IF EXISTS users_owner_admin ON users;
DROP POLICY IF EXISTS user_preferences_owner_admin ON user_preferences;

-- The previous login lookup: owner-only policy on the transaction-local sparky.login_email.
DO $$
BEGIN
    EXECUTE format(
        'CREATE POLICY users_login_lookup ON users FOR SELECT TO %I '
        'USING (email = current_setting(''sparky.login_email'', true))',
        current_user);
END
$$;

DROP FUNCTION IF EXISTS auth.login_credentials(text);
CREATE FUNCTION auth.login_credentials(p_email text)
    RETURNS TABLE (user_id uuid, password_hash text)
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    -- (Not a function-level SET clause: a non-superuser owner may not SET a placeholder
    -- parameter there. If the query fails the transaction or savepoint is rolled back, which
    -- also rolls the transaction-local setting back.)
    PERFORM set_config('sparky.login_email', coalesce(p_email, ''), true);
    RETURN QUERY
        SELECT u.id, u.password_hash::text
        FROM public.users u
        WHERE u.email = p_email;
    PERFORM set_config('sparky.login_email', '', true);
END
$$;

COMMENT ON FUNCTION auth.login_credentials(text) IS
    'Login step: (user_id, password_hash) for an exact email, callable by the app role only.';

REVOKE ALL ON FUNCTION auth.login_credentials(text) FROM PUBLIC;

DO $$
DECLARE
    app text := current_setting('sparky.app_role');
BEGIN
    EXECUTE format('GRANT EXECUTE ON FUNCTION auth.login_credentials(text) TO %I', app);
    -- (Dropping the columns below would drop these column privileges too; explicit is clearer.)
    EXECUTE format('REVOKE SELECT (is_admin, disabled_at) ON TABLE public.users FROM %I', app);
END
$$;

ALTER TABLE user_preferences
    DROP CONSTRAINT IF EXISTS user_preferences_timezone_check,
    DROP COLUMN IF EXISTS timezone;

DROP INDEX IF EXISTS idx_users_email_lower;

ALTER TABLE users
    DROP COLUMN IF EXISTS disabled_at,
    DROP COLUMN IF EXISTS is_admin;
