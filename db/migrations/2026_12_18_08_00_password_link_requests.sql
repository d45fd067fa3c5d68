-- Migration: someone who forgot their password asks for a password link on the sign-in page
-- and gets it by e-mail (when the server has SPARKY_SMTP_URL). The link is the same kind an
-- administrator makes (one live link per account, only its hash stored), valid for a shorter
-- time, at most one every 5 minutes per account; it is made only for an enabled account, and
-- the caller learns nothing about whether one exists: the server answers the same either way
-- and mails the address it returns.
CREATE FUNCTION auth.request_password_link(p_email text, p_token_hash text, p_valid_for interval)
    RETURNS TABLE (email text, full_name text, expires_at timestamptz, timezone text)
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    v_user uuid;
    v_expires timestamptz := now() + p_valid_for;
BEGIN
    IF p_valid_for <= interval '0' OR p_valid_for > interval '1 day' THEN
        RAISE EXCEPTION 'a requested password link is valid for up to a day' USING ERRCODE = '22023';
    END IF;
    SELECT u.id INTO v_user FROM public.users u
    WHERE lower(u.email) = lower(btrim(p_email)) AND u.disabled_at IS NULL;
    IF v_user IS NULL THEN
        RETURN;
    END IF;
    -- One mailed link per account every 5 minutes, whatever address spelling or client asks:
    -- the one sent a moment ago still works, and a mailbox cannot be flooded.
    IF EXISTS (SELECT 1 FROM public.password_links l
               WHERE l.user_id = v_user AND l.created_by IS NULL
                 AND l.created_at > now() - interval '5 minutes' AND l.expires_at > now()) THEN
        RETURN;
    END IF;
    DELETE FROM public.password_links l WHERE l.expires_at <= now();
    -- created_by NULL: asked for by whoever knew the address, not made by an administrator.
    INSERT INTO public.password_links (user_id, token_hash, created_by, expires_at)
    VALUES (v_user, p_token_hash, NULL, v_expires)
    ON CONFLICT (user_id) DO UPDATE
        SET token_hash = EXCLUDED.token_hash, created_by = NULL,
            created_at = now(), expires_at = EXCLUDED.expires_at;
    RETURN QUERY
    SELECT u.email::text, u.full_name::text, v_expires,
           coalesce((SELECT p.timezone FROM public.user_preferences p
                     WHERE p.user_id = u.id LIMIT 1), 'UTC')
    FROM public.users u WHERE u.id = v_user;
END
$$;
COMMENT ON FUNCTION auth.request_password_link(text, text, interval) IS
    'Makes the one live password link of the enabled account with this e-mail, to be mailed to it; no row when there is none.';

REVOKE ALL ON FUNCTION auth.request_password_link(text, text, interval) FROM PUBLIC;
DO $$
BEGIN
    EXECUTE format('GRANT EXECUTE ON FUNCTION auth.request_password_link(text, text, interval) TO %I',
                   current_setting('sparky.app_role'));
END
$$;
