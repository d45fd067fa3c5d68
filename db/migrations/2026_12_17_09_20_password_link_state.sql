-- Migration: administrators see whether an account's password link is still waiting to be
-- used (and until when), and can withdraw it (sent to the wrong address, or no longer
-- wanted). They read when a link was made and expires, never its hash.
CREATE POLICY password_links_admin_select ON password_links FOR SELECT
    USING ((SELECT auth.is_admin()));

-- Withdraws the password link of another account; returns whether there was one.
CREATE FUNCTION auth.admin_cancel_password_link(p_user uuid)
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
    DELETE FROM public.password_links WHERE user_id = p_user;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n > 0;
END
$$;
COMMENT ON FUNCTION auth.admin_cancel_password_link(uuid) IS
    'An administrator withdraws an account''s password link; false = it had none.';
REVOKE ALL ON FUNCTION auth.admin_cancel_password_link(uuid) FROM PUBLIC;

DO $$
DECLARE
    app text := current_setting('sparky.app_role');
BEGIN
    EXECUTE format('GRANT SELECT (user_id, created_at, expires_at) ON TABLE public.password_links TO %I', app);
    EXECUTE format('GRANT EXECUTE ON FUNCTION auth.admin_cancel_password_link(uuid) TO %I', app);
END
$$;
