-- Migration: password links. An administrator makes a one-time link for another account
-- (a new one, or one whose password was forgotten); whoever opens it chooses the account's
-- password and is signed in. The administrator never has to know or tell a password. Only a
-- SHA-256 hash of the link's secret is stored, one live link per account (a new one replaces
-- the old), for a limited time. The request role has no rights on the table: it reaches it
-- through the SECURITY DEFINER functions below.
CREATE TABLE password_links (
    user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash text NOT NULL UNIQUE,
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
COMMENT ON TABLE password_links IS
    'One-time links an administrator makes for an account to choose its password; hashed secrets';
ALTER TABLE password_links ENABLE ROW LEVEL SECURITY;
ALTER TABLE password_links FORCE ROW LEVEL SECURITY;

-- Makes (or replaces) the link of another, enabled account, valid for p_valid_for. Returns when
-- it expires, or NULL when no such account exists. One's own account: SPA03 (Settings →
-- Security changes it); a disabled one: SPA03 (enable it first, or the link would not work).
CREATE FUNCTION auth.admin_make_password_link(p_user uuid, p_token_hash text, p_valid_for interval)
    RETURNS timestamptz
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    v_disabled timestamptz;
    v_found boolean;
    v_expires timestamptz := now() + p_valid_for;
BEGIN
    PERFORM auth.require_admin();
    IF p_user = auth.uid() THEN
        RAISE EXCEPTION 'change your own password in Settings: Security' USING ERRCODE = 'SPA03';
    END IF;
    SELECT true, u.disabled_at INTO v_found, v_disabled FROM public.users u WHERE u.id = p_user;
    IF v_found IS NULL THEN
        RETURN NULL;
    END IF;
    IF v_disabled IS NOT NULL THEN
        RAISE EXCEPTION 'the account is disabled: enable it first' USING ERRCODE = 'SPA03';
    END IF;
    IF p_valid_for <= interval '0' OR p_valid_for > interval '30 days' THEN
        RAISE EXCEPTION 'a password link is valid for up to 30 days' USING ERRCODE = '22023';
    END IF;
    DELETE FROM public.password_links WHERE expires_at <= now();
    INSERT INTO public.password_links (user_id, token_hash, created_by, expires_at)
    VALUES (p_user, p_token_hash, auth.uid(), v_expires)
    ON CONFLICT (user_id) DO UPDATE
        SET token_hash = EXCLUDED.token_hash, created_by = EXCLUDED.created_by,
            created_at = now(), expires_at = EXCLUDED.expires_at;
    RETURN v_expires;
END
$$;
COMMENT ON FUNCTION auth.admin_make_password_link(uuid, text, interval) IS
    'An administrator makes the one live password link of another enabled account; NULL = no such account.';

-- The account a live link is for (nothing for a used, replaced or expired link, or a disabled
-- account): anyone holding the secret may ask, as the link's page shows whose password it sets
-- and until when (in the account's timezone).
CREATE FUNCTION auth.password_link(p_token_hash text)
    RETURNS TABLE (user_id uuid, email text, full_name text, expires_at timestamptz, timezone text)
    LANGUAGE sql
    STABLE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
    SELECT u.id, u.email::text, u.full_name::text, l.expires_at,
           coalesce((SELECT p.timezone FROM public.user_preferences p
                     WHERE p.user_id = u.id LIMIT 1), 'UTC')
    FROM public.password_links l JOIN public.users u ON u.id = l.user_id
    WHERE l.token_hash = p_token_hash AND l.expires_at > now() AND u.disabled_at IS NULL
$$;
COMMENT ON FUNCTION auth.password_link(text) IS
    'The enabled account a live password link is for; no row otherwise.';

-- Uses a live link once: sets the account's password, ends its sessions and removes the link.
-- Returns the account, or NULL when the link is not live (used, replaced, expired, or the
-- account disabled). Two requests with one link: the second finds no row to delete.
CREATE FUNCTION auth.use_password_link(p_token_hash text, p_password_hash text)
    RETURNS uuid
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    v_user uuid;
BEGIN
    DELETE FROM public.password_links l
    USING public.users u
    WHERE l.token_hash = p_token_hash AND l.expires_at > now()
      AND u.id = l.user_id AND u.disabled_at IS NULL
    RETURNING l.user_id INTO v_user;
    IF v_user IS NULL THEN
        RETURN NULL;
    END IF;
    UPDATE public.users SET password_hash = p_password_hash WHERE id = v_user;
    DELETE FROM public.sessions WHERE user_id = v_user;
    RETURN v_user;
END
$$;
COMMENT ON FUNCTION auth.use_password_link(text, text) IS
    'Sets the password of the account a live link is for and removes the link; NULL = not live.';

REVOKE ALL ON FUNCTION auth.admin_make_password_link(uuid, text, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION auth.password_link(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION auth.use_password_link(text, text) FROM PUBLIC;
DO $$
DECLARE
    app text := current_setting('sparky.app_role');
BEGIN
    EXECUTE format('GRANT EXECUTE ON FUNCTION auth.admin_make_password_link(uuid, text, interval) TO %I', app);
    EXECUTE format('GRANT EXECUTE ON FUNCTION auth.password_link(text) TO %I', app);
    EXECUTE format('GRANT EXECUTE ON FUNCTION auth.use_password_link(text, text) TO %I', app);
    -- The owner writes through the functions and `sparky user link` (FORCE RLS applies to it).
    EXECUTE format('CREATE POLICY password_links_maintain ON public.password_links FOR ALL TO %I USING (true) WITH CHECK (true)', current_user);
END
$$;
