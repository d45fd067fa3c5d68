-- Back to API keys that can all write.
CREATE OR REPLACE FUNCTION auth.resolve_credential(p_kind text, p_token_hash text,
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
-- Without the column a read-only key would be a key that can write: those are deleted instead
-- (their owners make new ones).
DELETE FROM api_keys WHERE read_only;
ALTER TABLE api_keys DROP COLUMN read_only;
