-- Migration: while accounts exist, one of them stays an enabled administrator. Before, the
-- only administrator could delete their account (or `sparky user` could take the role away)
-- and leave an instance nobody could administer. Deleting, demoting or disabling the last
-- enabled administrator is refused while other accounts remain; the last account of all may
-- go (an empty instance makes its next account the administrator, as a new one does).
-- Checked once per statement on the rows it changed, so a statement removing several
-- accounts is judged by where it ends, whatever order it visits them in.

CREATE FUNCTION auth.keep_an_administrator()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM changed WHERE is_admin AND disabled_at IS NULL) THEN
        RETURN NULL;
    END IF;
    -- One at a time, and with registrations (auth.register_user's lock): two administrators
    -- removing each other would each still see the other, and an account registering while
    -- the last one goes would see it and not become the administrator.
    PERFORM pg_advisory_xact_lock(6003388786741167921);
    IF EXISTS (SELECT 1 FROM public.users)
       AND NOT EXISTS (SELECT 1 FROM public.users WHERE is_admin AND disabled_at IS NULL) THEN
        RAISE EXCEPTION 'this is the only enabled administrator; make another account administrator (and enabled) first'
            USING ERRCODE = 'SPA01',
                  HINT = 'on the server: sparky user admin EMAIL';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION auth.keep_an_administrator() IS
    'Refuses a statement that leaves accounts but no enabled administrator, when it removed, demoted or disabled one (SQLSTATE SPA01).';
REVOKE ALL ON FUNCTION auth.keep_an_administrator() FROM PUBLIC;

CREATE TRIGGER users_keep_an_administrator_delete
    AFTER DELETE ON users REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION auth.keep_an_administrator();
CREATE TRIGGER users_keep_an_administrator_update
    AFTER UPDATE ON users REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION auth.keep_an_administrator();
