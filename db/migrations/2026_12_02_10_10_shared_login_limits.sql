-- Login rate limits shared by every instance: attempts are counted in the database, not in
-- each process's memory, so two servers behind a load balancer apply one limit.
-- Not user data: keys are a client address or a hash of an email. UNLOGGED because a crash
-- may forget the last minute of attempts without harm, and it spares the WAL.
CREATE UNLOGGED TABLE auth.login_attempts (
    key text NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX idx_login_attempts_key_time ON auth.login_attempts (key, attempted_at);
COMMENT ON TABLE auth.login_attempts IS
    'Sign-in attempts of the last minute per key (ip:<address>, account:<sha256 of email>); written only by auth.note_login_attempt.';

-- Counts an attempt against each key unless one of them is over its limit of attempts in the
-- last minute; returns the seconds to wait (0 = allowed, and counted). A sliding minute, so
-- a burst cannot use the end of one window and the start of the next.
CREATE FUNCTION auth.note_login_attempt(p_keys text[], p_limits integer[])
    RETURNS integer
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    i integer;
    n integer;
    oldest timestamptz;
    wait integer := 0;
BEGIN
    IF coalesce(array_length(p_keys, 1), 0) <> coalesce(array_length(p_limits, 1), 0)
       OR coalesce(array_length(p_keys, 1), 0) > 4 THEN
        RAISE EXCEPTION 'note_login_attempt: one limit per key, at most 4 keys' USING ERRCODE = '22023';
    END IF;
    FOR i IN 1 .. coalesce(array_length(p_keys, 1), 0) LOOP
        -- Attempts on one key are counted one at a time, across instances.
        PERFORM pg_advisory_xact_lock(hashtextextended('login:' || p_keys[i], 7));
        DELETE FROM auth.login_attempts
        WHERE key = p_keys[i] AND attempted_at <= clock_timestamp() - interval '1 minute';
        SELECT count(*), min(attempted_at) INTO n, oldest
        FROM auth.login_attempts WHERE key = p_keys[i];
        IF n >= p_limits[i] THEN
            wait := greatest(wait, 1, ceil(extract(epoch FROM
                        oldest + interval '1 minute' - clock_timestamp()))::integer);
        END IF;
    END LOOP;
    IF wait = 0 THEN
        INSERT INTO auth.login_attempts (key) SELECT unnest(p_keys);
    END IF;
    RETURN wait;
END
$$;
COMMENT ON FUNCTION auth.note_login_attempt(text[], integer[]) IS
    'Counts a sign-in attempt per key unless one is over its per-minute limit; returns seconds to wait (0: allowed).';

-- Housekeeping with the session purge: attempts older than a minute no longer count.
CREATE FUNCTION auth.purge_login_attempts()
    RETURNS integer
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    n integer;
BEGIN
    DELETE FROM auth.login_attempts WHERE attempted_at <= clock_timestamp() - interval '1 minute';
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

REVOKE ALL ON TABLE auth.login_attempts FROM PUBLIC;
REVOKE ALL ON FUNCTION auth.note_login_attempt(text[], integer[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION auth.purge_login_attempts() FROM PUBLIC;
DO $$
BEGIN
    EXECUTE format('GRANT EXECUTE ON FUNCTION auth.note_login_attempt(text[], integer[]) TO %I',
                   current_setting('sparky.app_role'));
    EXECUTE format('GRANT EXECUTE ON FUNCTION auth.purge_login_attempts() TO %I',
                   current_setting('sparky.app_role'));
END
$$;
