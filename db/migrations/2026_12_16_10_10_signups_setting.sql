-- Migration: administrators close and reopen sign-ups in the web app. `SPARKY_ALLOW_SIGNUP`
-- stays the server's word (false closes them whatever is set here); with it true, sign-ups are
-- open unless an administrator closed them. Stored here rather than per process, so every
-- instance behind a proxy answers alike. One row; everyone may read it (the sign-in page
-- says whether an account can be made), only an enabled administrator changes it, through
-- auth.admin_set_signups_closed.
CREATE TABLE instance_settings (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    signups_closed boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE instance_settings IS 'sparky:shared — server-wide settings administrators change; one row, no personal data';
CREATE UNIQUE INDEX idx_instance_settings_one_row ON instance_settings ((true));
CREATE TRIGGER instance_settings_set_updated_at BEFORE UPDATE ON instance_settings
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
INSERT INTO instance_settings DEFAULT VALUES;

ALTER TABLE instance_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE instance_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY instance_settings_read ON instance_settings FOR SELECT USING (true);

CREATE FUNCTION auth.admin_set_signups_closed(p_closed boolean)
    RETURNS void
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    PERFORM auth.require_admin();
    UPDATE public.instance_settings SET signups_closed = p_closed;
    -- The row went (an owner's hand): make it again rather than change nothing.
    IF NOT FOUND THEN
        INSERT INTO public.instance_settings (signups_closed) VALUES (p_closed);
    END IF;
END
$$;
COMMENT ON FUNCTION auth.admin_set_signups_closed(boolean) IS
    'An administrator closes (true) or reopens sign-ups (SPA02 unless the caller is one).';
REVOKE ALL ON FUNCTION auth.admin_set_signups_closed(boolean) FROM PUBLIC;

DO $$
DECLARE
    app text := current_setting('sparky.app_role');
BEGIN
    EXECUTE format('GRANT SELECT ON TABLE public.instance_settings TO %I', app);
    EXECUTE format('GRANT EXECUTE ON FUNCTION auth.admin_set_signups_closed(boolean) TO %I', app);
    -- The owner writes through the function (FORCE RLS applies to it too).
    EXECUTE format('CREATE POLICY instance_settings_maintain ON public.instance_settings FOR ALL TO %I USING (true) WITH CHECK (true)', current_user);
END
$$;
