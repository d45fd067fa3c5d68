-- Administrators no longer see or withdraw password links (they still replace them).
DROP FUNCTION auth.admin_cancel_password_link(uuid);
DROP POLICY password_links_admin_select ON password_links;
DO $$
BEGIN
    EXECUTE format('REVOKE SELECT ON TABLE public.password_links FROM %I',
                   current_setting('sparky.app_role'));
END
$$;
