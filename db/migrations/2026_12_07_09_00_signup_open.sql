-- Whether a registration could succeed now, asked before the password is hashed: with signup
-- closed only the first account may register. Hashing costs tens of milliseconds of a core and
-- about 19 MiB, so a closed server refuses sign-ups before doing that work. register_user still
-- decides under its lock; this is only the early answer.
CREATE FUNCTION auth.signup_open(p_allow_signup boolean)
    RETURNS boolean
    LANGUAGE sql
    STABLE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
    SELECT coalesce(p_allow_signup, false) OR NOT EXISTS (SELECT 1 FROM public.users)
$$;

COMMENT ON FUNCTION auth.signup_open(boolean) IS
    'True when a registration may succeed: signup allowed, or no account exists yet.';

REVOKE ALL ON FUNCTION auth.signup_open(boolean) FROM PUBLIC;
DO $$
BEGIN
    EXECUTE format('GRANT EXECUTE ON FUNCTION auth.signup_open(boolean) TO %I',
                   current_setting('sparky.app_role'));
END
$$;
