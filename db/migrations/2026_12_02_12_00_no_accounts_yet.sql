-- The sign-up page tells the first visitor that their account becomes the administrator. The
-- request role cannot count users (RLS shows only one's own row), so this answers only the
-- yes/no question.
CREATE FUNCTION auth.no_accounts_yet()
    RETURNS boolean
    LANGUAGE sql
    STABLE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
    SELECT NOT EXISTS (SELECT 1 FROM public.users)
$$;
COMMENT ON FUNCTION auth.no_accounts_yet() IS 'True until the first account exists.';
REVOKE ALL ON FUNCTION auth.no_accounts_yet() FROM PUBLIC;
DO $$
BEGIN
    EXECUTE format('GRANT EXECUTE ON FUNCTION auth.no_accounts_yet() TO %I',
                   current_setting('sparky.app_role'));
END
$$;
