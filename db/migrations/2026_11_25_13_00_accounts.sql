-- Migration: Accounts (admin flag, disabling, timezone, sessions, API keys, auth functions)
-- Version: 2026_11_25_13_00
--
-- DESIGN.md §3: browser sessions are rows in `sessions` (the cookie holds a random token, the
-- table only its SHA-256), API clients send a bearer key (`api_keys`, also stored hashed).
-- Everything that must happen before the acting user is known (registration, login, turning a
-- cookie or key into a user) goes through SECURITY DEFINER functions in schema auth that do one
-- narrow thing each; the request role never reads other users' rows or any hash directly.
--
-- The owner role (current_user while this runs) gets one "see and change everything" policy on
-- the four account tables only, so the admin CLI and the SECURITY DEFINER functions work when
-- the owner is a plain (non-superuser, non-BYPASSRLS) role filtered by FORCE RLS. That policy
-- replaces the users_login_lookup trick of 2026_11_25_12_00. Fitness tables get no such policy:
-- the owner reads a user's diary only by acting as that user.

-- ---------------------------------------------------------------------------------------------
-- users: admin flag and disabling (NULL = active). Disabling keeps the data; login, sessions
-- and API keys stop working at once (the auth functions check disabled_at on every call).
-- ---------------------------------------------------------------------------------------------
ALTER TABLE users
    ADD COLUMN is_admin boolean NOT NULL DEFAULT false,
    ADD COLUMN disabled_at timestamptz;

COMMENT ON COLUMN users.is_admin IS 'Instance administrator; the first registered account is one.';
COMMENT ON COLUMN users.disabled_at IS 'When the account was disabled; NULL = active.';

-- Emails are compared case-insensitively everywhere (login, registration, grants by email).
-- The app stores them trimmed and lowercased; this index makes case variants impossible on any
-- path (a user changing their own email included) and is the index the lookups below use.
-- An existing database with case variants cannot get the index: say which emails, not just
-- "could not create unique index".
DO $$
DECLARE
    dups text;
BEGIN
    SELECT string_agg(e, ', ') INTO dups
    FROM (SELECT lower(email) AS e FROM public.users GROUP BY 1 HAVING count(*) > 1 LIMIT 20) d;
    IF dups IS NOT NULL THEN
        RAISE EXCEPTION 'users differing only in the case of their email: %', dups
            USING HINT = 'Merge or rename these accounts, then run the migration again.';
    END IF;
END
$$;
CREATE UNIQUE INDEX idx_users_email_lower ON users (lower(email));

-- ---------------------------------------------------------------------------------------------
-- user_preferences: the timezone a diary day is counted in (IANA name, validated by the app;
-- the CHECK only keeps out empty and absurdly long values). The request role already has
-- table-wide SELECT/INSERT/UPDATE on user_preferences (2026_11_25_12_00), which covers it.
-- ---------------------------------------------------------------------------------------------
ALTER TABLE user_preferences
    ADD COLUMN timezone text NOT NULL DEFAULT 'UTC',
    ADD CONSTRAINT user_preferences_timezone_check
        CHECK (btrim(timezone) <> '' AND char_length(timezone) <= 64);

COMMENT ON COLUMN user_preferences.timezone IS 'IANA timezone name; a diary day is a calendar date in it.';

-- ---------------------------------------------------------------------------------------------
-- sessions: one row per signed-in browser. Only the hash of the cookie token is stored, so a
-- leaked table (or backup) cannot be replayed. Sliding expiry is done by
-- auth.resolve_credential; the request role creates (after a verified login), lists and deletes
-- its own sessions but never updates them (no way to extend or move a session).
-- ---------------------------------------------------------------------------------------------
CREATE TABLE sessions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash text NOT NULL UNIQUE,
    expires_at timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    user_agent text,
    ip text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE sessions IS 'Browser sessions: hex SHA-256 of the cookie token, sliding expiry.';
COMMENT ON COLUMN sessions.token_hash IS 'Hex SHA-256 of the cookie token (the token itself is never stored).';

-- user_id: behind every policy; expires_at: auth.purge_expired_sessions.
-- (token_hash is indexed by its UNIQUE constraint: the per-request lookup.)
CREATE INDEX idx_sessions_user ON sessions (user_id);
CREATE INDEX idx_sessions_expires ON sessions (expires_at);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE  ROW LEVEL SECURITY;

CREATE POLICY sessions_select ON sessions FOR SELECT
    USING (user_id = (SELECT auth.uid()));
CREATE POLICY sessions_insert ON sessions FOR INSERT
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY sessions_delete ON sessions FOR DELETE
    USING (user_id = (SELECT auth.uid()));

-- ---------------------------------------------------------------------------------------------
-- api_keys: bearer keys for API clients. Stored hashed; key_prefix (the first characters of
-- the key) lets a user tell keys apart in a list. Created and revoked (deleted), never edited
-- through the request role; last_used_at is kept by auth.resolve_credential.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE api_keys (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name varchar(100) NOT NULL CONSTRAINT api_keys_name_check CHECK (btrim(name) <> ''),
    key_prefix text NOT NULL,
    key_hash text NOT NULL UNIQUE,
    expires_at timestamptz,
    last_used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE api_keys IS 'API keys for Authorization: Bearer; only the hex SHA-256 of a key is stored.';
COMMENT ON COLUMN api_keys.expires_at IS 'NULL = never expires.';

CREATE INDEX idx_api_keys_user ON api_keys (user_id);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE  ROW LEVEL SECURITY;

CREATE POLICY api_keys_select ON api_keys FOR SELECT
    USING (user_id = (SELECT auth.uid()));
CREATE POLICY api_keys_insert ON api_keys FOR INSERT
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY api_keys_delete ON api_keys FOR DELETE
    USING (user_id = (SELECT auth.uid()));

-- ---------------------------------------------------------------------------------------------
-- Owner administration policies (see the header). TO the owner role only: the request role is
-- not a member of the owner, so these never widen what a request sees.
-- ---------------------------------------------------------------------------------------------
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'user_preferences', 'sessions', 'api_keys']
    LOOP
        EXECUTE format(
            'CREATE POLICY %I ON public.%I FOR ALL TO %I USING (true) WITH CHECK (true)',
            t || '_owner_admin', t, current_user);
    END LOOP;
END
$$;

-- The owner now sees every users row, so the login lookup needs neither its policy nor the
-- sparky.login_email setting.
DROP POLICY users_login_lookup ON users;

-- ---------------------------------------------------------------------------------------------
-- auth functions. All SECURITY DEFINER (they run as the owner, whose policies above let them
-- see the account tables), with a fixed search_path so a caller cannot substitute objects, and
-- executable by the request role only.
-- ---------------------------------------------------------------------------------------------

-- Login step. New: the disabled flag (so the app can refuse a disabled account after checking
-- the password, without a second query) and a case-insensitive match via idx_users_email_lower.
-- The return type changes, hence DROP + CREATE rather than CREATE OR REPLACE.
DROP FUNCTION auth.login_credentials(text);
CREATE FUNCTION auth.login_credentials(p_email text)
    RETURNS TABLE (user_id uuid, password_hash text, disabled boolean)
    LANGUAGE sql
    STABLE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
    SELECT u.id, u.password_hash::text, u.disabled_at IS NOT NULL
    FROM public.users u
    WHERE lower(u.email) = lower(btrim(p_email))
$$;

COMMENT ON FUNCTION auth.login_credentials(text) IS
    'Login step: (user_id, password_hash, disabled) for an email (case-insensitive), callable by the app role only.';

-- Registration. The advisory lock serialises registrations so that "no user exists yet" is
-- decided by one caller at a time: exactly one first account (the admin), even when two arrive
-- together. Requires READ COMMITTED (the app's default): each statement after the lock sees
-- the registrations committed before it. The first account is allowed with signup closed (a
-- fresh instance must be claimable); after that a closed signup raises SQLSTATE SPK01.
-- A duplicate email (any case) raises 23505 from the unique indexes.
CREATE FUNCTION auth.register_user(p_email text, p_password_hash text, p_full_name text,
                                   p_allow_signup boolean)
    RETURNS TABLE (user_id uuid, is_admin boolean)
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
#variable_conflict use_column
DECLARE
    v_first boolean;
    v_id uuid;
BEGIN
    -- 'SPRKREG1' as a bigint: one lock, used by nothing else.
    PERFORM pg_advisory_xact_lock(6003388786741167921);
    v_first := NOT EXISTS (SELECT 1 FROM public.users);
    IF NOT v_first AND NOT coalesce(p_allow_signup, false) THEN
        RAISE EXCEPTION 'signup is closed' USING ERRCODE = 'SPK01', HINT = 'signup_closed';
    END IF;
    -- Normalised like the app does it, so the stored email is what the unique index compares.
    INSERT INTO public.users (email, password_hash, full_name, is_admin)
    VALUES (lower(btrim(p_email)), p_password_hash, p_full_name, v_first)
    RETURNING id INTO v_id;
    INSERT INTO public.user_preferences (user_id) VALUES (v_id);
    RETURN QUERY SELECT v_id, v_first;
END
$$;

COMMENT ON FUNCTION auth.register_user(text, text, text, boolean) IS
    'Creates a user and their preferences; the first user becomes admin. SPK01 = signup closed, 23505 = email taken.';

-- Turns a cookie token hash ('session') or an API key hash ('api_key') into a user id; NULL for
-- anything unknown, expired or belonging to a disabled user. Runs on every authenticated
-- request, so: one lookup through a unique index, and writes only when they carry information
-- (a session is renewed once it is past half its TTL, last_used_at is refreshed at most once a
-- minute), so a busy client does not write a row version per request. The renewal's WHERE
-- repeats the condition so that concurrent requests of one session renew it once.
-- app.session_id (transaction-local) tells auth.set_password which session is the caller's.
CREATE FUNCTION auth.resolve_credential(p_kind text, p_token_hash text,
                                        p_session_ttl_seconds integer)
    RETURNS uuid
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    v_id uuid;
    v_user uuid;
    v_at timestamptz;
    v_ttl interval;
BEGIN
    IF p_kind = 'session' THEN
        SELECT s.id, s.user_id, s.expires_at INTO v_id, v_user, v_at
        FROM public.sessions s JOIN public.users u ON u.id = s.user_id
        WHERE s.token_hash = p_token_hash
          AND s.expires_at > now()
          AND u.disabled_at IS NULL;
        IF v_id IS NULL THEN
            RETURN NULL;
        END IF;
        -- A NULL or non-positive TTL never renews (and never shortens) a session.
        v_ttl := make_interval(secs => p_session_ttl_seconds);
        IF v_at < now() + v_ttl / 2 THEN
            UPDATE public.sessions
            SET expires_at = now() + v_ttl, last_seen_at = now()
            WHERE id = v_id AND expires_at < now() + v_ttl / 2;
        END IF;
        PERFORM set_config('app.session_id', v_id::text, true);
        RETURN v_user;
    ELSIF p_kind = 'api_key' THEN
        SELECT k.id, k.user_id, k.last_used_at INTO v_id, v_user, v_at
        FROM public.api_keys k JOIN public.users u ON u.id = k.user_id
        WHERE k.key_hash = p_token_hash
          AND (k.expires_at IS NULL OR k.expires_at > now())
          AND u.disabled_at IS NULL;
        IF v_id IS NULL THEN
            RETURN NULL;
        END IF;
        IF v_at IS NULL OR v_at < now() - interval '60 seconds' THEN
            UPDATE public.api_keys
            SET last_used_at = now()
            WHERE id = v_id AND (last_used_at IS NULL OR last_used_at < now() - interval '60 seconds');
        END IF;
        RETURN v_user;
    END IF;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION auth.resolve_credential(text, text, integer) IS
    'Per request: user id for a live session (kind session, sliding renewal, sets app.session_id) or API key (kind api_key); NULL otherwise.';

-- Password change by the signed-in user (the app has verified the old password and hashed the
-- new one). Every other session of the user is signed out; the caller's own session
-- (app.session_id, set by auth.resolve_credential) stays. API keys are not touched.
CREATE FUNCTION auth.set_password(p_new_hash text)
    RETURNS void
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    v_uid uuid := auth.uid();
BEGIN
    IF v_uid IS NULL THEN
        RAISE EXCEPTION 'set_password needs a signed-in user' USING ERRCODE = '42501';
    END IF;
    IF p_new_hash IS NULL OR btrim(p_new_hash) = '' THEN
        RAISE EXCEPTION 'empty password hash' USING ERRCODE = '22023';
    END IF;
    UPDATE public.users SET password_hash = p_new_hash WHERE id = v_uid;
    DELETE FROM public.sessions
    WHERE user_id = v_uid
      AND id::text <> coalesce(current_setting('app.session_id', true), '');
END
$$;

COMMENT ON FUNCTION auth.set_password(text) IS
    'Sets the acting user''s password hash and deletes their other sessions.';

-- Family grants are made by email, but a user cannot read other users' rows: this answers
-- "which active user has this email" for signed-in callers only, and nothing more.
CREATE FUNCTION auth.find_user_id_by_email(p_email text)
    RETURNS uuid
    LANGUAGE sql
    STABLE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
    SELECT u.id
    FROM public.users u
    WHERE (SELECT auth.uid()) IS NOT NULL
      AND lower(u.email) = lower(btrim(p_email))
      AND u.disabled_at IS NULL
$$;

COMMENT ON FUNCTION auth.find_user_id_by_email(text) IS
    'Id of the active user with this email (case-insensitive), for signed-in callers; else NULL.';

-- Housekeeping, called periodically by the server: expired sessions are useless (resolve
-- ignores them) but would pile up.
CREATE FUNCTION auth.purge_expired_sessions()
    RETURNS integer
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    n integer;
BEGIN
    DELETE FROM public.sessions WHERE expires_at <= now();
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

COMMENT ON FUNCTION auth.purge_expired_sessions() IS 'Deletes expired sessions; returns how many.';

-- ---------------------------------------------------------------------------------------------
-- Grants. Functions are executable by PUBLIC by default: revoke, then grant to the app role.
-- ---------------------------------------------------------------------------------------------
REVOKE ALL ON FUNCTION auth.login_credentials(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION auth.register_user(text, text, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION auth.resolve_credential(text, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION auth.set_password(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION auth.find_user_id_by_email(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION auth.purge_expired_sessions() FROM PUBLIC;

DO $$
DECLARE
    app text := current_setting('sparky.app_role');
BEGIN
    -- users: the new columns are readable (is_admin for the UI, disabled_at for admins' lists);
    -- not updatable: admin rights and disabling are the owner's (admin CLI) business.
    EXECUTE format('GRANT SELECT (is_admin, disabled_at) ON TABLE public.users TO %I', app);

    -- Sessions and keys are created and deleted, never updated, by the request role.
    EXECUTE format('GRANT SELECT, INSERT, DELETE ON TABLE public.sessions TO %I', app);
    EXECUTE format('GRANT SELECT, INSERT, DELETE ON TABLE public.api_keys TO %I', app);

    EXECUTE format('GRANT EXECUTE ON FUNCTION auth.login_credentials(text) TO %I', app);
    EXECUTE format('GRANT EXECUTE ON FUNCTION auth.register_user(text, text, text, boolean) TO %I', app);
    EXECUTE format('GRANT EXECUTE ON FUNCTION auth.resolve_credential(text, text, integer) TO %I', app);
    EXECUTE format('GRANT EXECUTE ON FUNCTION auth.set_password(text) TO %I', app);
    EXECUTE format('GRANT EXECUTE ON FUNCTION auth.find_user_id_by_email(text) TO %I', app);
    EXECUTE format('GRANT EXECUTE ON FUNCTION auth.purge_expired_sessions() TO %I', app);
END
$$;
