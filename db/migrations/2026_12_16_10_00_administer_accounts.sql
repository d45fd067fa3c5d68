-- Migration: administrators manage accounts from the web app and the API, not only with
-- `sparky user` on the server. The request role stays unable to write `is_admin`,
-- `disabled_at` or `password_hash` (a column grant would let every user write their own row's);
-- the changes go through SECURITY DEFINER functions that act only for an enabled
-- administrator, and reading every account is a policy for the same.

-- Whether the request's user is an enabled administrator. SECURITY DEFINER: it reads the
-- caller's own row whatever the policies show, and policies call it without recursing.
CREATE FUNCTION auth.is_admin()
    RETURNS boolean
    LANGUAGE sql
    STABLE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
    SELECT coalesce((SELECT u.is_admin AND u.disabled_at IS NULL
                     FROM public.users u WHERE u.id = auth.uid()), false)
$$;
COMMENT ON FUNCTION auth.is_admin() IS
    'True when the request''s user is an enabled administrator.';

-- Administrators read every account (the columns the request role may read at all: never a
-- password hash).
CREATE POLICY users_admin_select ON users FOR SELECT
    USING ((SELECT auth.is_admin()));

-- Refuses unless the caller is an enabled administrator (SQLSTATE SPA02).
CREATE FUNCTION auth.require_admin()
    RETURNS void
    LANGUAGE plpgsql
    STABLE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    IF NOT auth.is_admin() THEN
        RAISE EXCEPTION 'only an administrator can manage accounts' USING ERRCODE = 'SPA02';
    END IF;
END
$$;

-- Creates an account as an administrator does: signup rules do not apply (the administrator
-- decides), the email is normalised and unique (23505) as at registration.
CREATE FUNCTION auth.admin_create_account(p_email text, p_password_hash text, p_full_name text,
                                          p_admin boolean)
    RETURNS uuid
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    v_id uuid;
BEGIN
    PERFORM auth.require_admin();
    SELECT r.user_id INTO v_id FROM auth.register_user(p_email, p_password_hash, p_full_name, true) r;
    IF p_admin THEN
        UPDATE public.users SET is_admin = true WHERE id = v_id;
    END IF;
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION auth.admin_create_account(text, text, text, boolean) IS
    'An administrator creates an account (SPA02 unless the caller is one; 23505 = email taken).';

-- Changes another account: disables or enables it, gives or takes the administrator role, sets
-- a new password; NULL leaves a field as it is. Disabling and a new password end the account's
-- sessions (API keys stop working while it is disabled: the credential check refuses disabled
-- accounts). The administrator's own account is changed in Settings, not here (SPA03), except
-- handing over the role. The last enabled administrator stays (SPA01, from
-- auth.keep_an_administrator). Returns the sessions ended, or NULL when no such account exists.
CREATE FUNCTION auth.admin_update_account(p_user uuid, p_disabled boolean, p_admin boolean,
                                          p_password_hash text)
    RETURNS integer
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    v_found boolean;
    v_ended integer := 0;
BEGIN
    PERFORM auth.require_admin();
    IF p_user = auth.uid() AND (p_disabled IS NOT NULL OR p_password_hash IS NOT NULL) THEN
        RAISE EXCEPTION 'change your own account in Settings: Security'
            USING ERRCODE = 'SPA03';
    END IF;
    UPDATE public.users
    SET disabled_at = CASE WHEN p_disabled IS NULL THEN disabled_at
                           WHEN p_disabled THEN coalesce(disabled_at, now())
                           ELSE NULL END,
        is_admin = coalesce(p_admin, is_admin),
        password_hash = coalesce(p_password_hash, password_hash)
    WHERE id = p_user
    RETURNING true INTO v_found;
    IF v_found IS NULL THEN
        RETURN NULL;
    END IF;
    IF coalesce(p_disabled, false) OR p_password_hash IS NOT NULL THEN
        DELETE FROM public.sessions WHERE user_id = p_user;
        GET DIAGNOSTICS v_ended = ROW_COUNT;
    END IF;
    RETURN v_ended;
END
$$;
COMMENT ON FUNCTION auth.admin_update_account(uuid, boolean, boolean, text) IS
    'An administrator disables/enables, promotes/demotes or sets the password of another account; NULL = no such account.';

-- Deletes another account and everything it owns (foreign keys cascade). The administrator's
-- own account is deleted in Settings (SPA03). Returns whether it existed.
CREATE FUNCTION auth.admin_delete_account(p_user uuid)
    RETURNS boolean
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    n integer;
BEGIN
    PERFORM auth.require_admin();
    IF p_user = auth.uid() THEN
        RAISE EXCEPTION 'delete your own account in Settings: Security' USING ERRCODE = 'SPA03';
    END IF;
    DELETE FROM public.users WHERE id = p_user;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n > 0;
END
$$;
COMMENT ON FUNCTION auth.admin_delete_account(uuid) IS
    'An administrator deletes another account and everything it owns; false = no such account.';

REVOKE ALL ON FUNCTION auth.is_admin() FROM PUBLIC;
REVOKE ALL ON FUNCTION auth.require_admin() FROM PUBLIC;
REVOKE ALL ON FUNCTION auth.admin_create_account(text, text, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION auth.admin_update_account(uuid, boolean, boolean, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION auth.admin_delete_account(uuid) FROM PUBLIC;
DO $$
DECLARE
    app text := current_setting('sparky.app_role');
BEGIN
    EXECUTE format('GRANT EXECUTE ON FUNCTION auth.is_admin() TO %I', app);
    EXECUTE format('GRANT EXECUTE ON FUNCTION auth.admin_create_account(text, text, text, boolean) TO %I', app);
    EXECUTE format('GRANT EXECUTE ON FUNCTION auth.admin_update_account(uuid, boolean, boolean, text) TO %I', app);
    EXECUTE format('GRANT EXECUTE ON FUNCTION auth.admin_delete_account(uuid) TO %I', app);
END
$$;
