-- Migration: per-user assistant settings, overriding the instance default from the environment.
-- Version: 2026_12_04_30_20
--
-- The API key is stored only encrypted (XChaCha20-Poly1305 with the server's secret key, the
-- user id as associated data): a database dump alone does not reveal it, and no API returns it.

CREATE TABLE assistant_settings (
    user_id uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    provider text CONSTRAINT assistant_settings_provider_check
        CHECK (provider IN ('openai', 'anthropic', 'ollama', 'openai_compatible')),
    base_url text CONSTRAINT assistant_settings_base_url_check CHECK (char_length(base_url) <= 500),
    model text CONSTRAINT assistant_settings_model_check CHECK (char_length(model) <= 200),
    vision_model text CONSTRAINT assistant_settings_vision_model_check CHECK (char_length(vision_model) <= 200),
    api_key_nonce bytea,
    api_key_ciphertext bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT assistant_settings_key_pair_check CHECK ((api_key_nonce IS NULL) = (api_key_ciphertext IS NULL))
);
COMMENT ON TABLE assistant_settings IS
    'Per user: AI provider, base URL, models and the encrypted API key overriding the instance default.';
CREATE TRIGGER set_updated_at BEFORE UPDATE ON assistant_settings
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

ALTER TABLE assistant_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE assistant_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY assistant_settings_select ON assistant_settings FOR SELECT
    USING (user_id = (SELECT auth.uid()));
CREATE POLICY assistant_settings_insert ON assistant_settings FOR INSERT
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY assistant_settings_update ON assistant_settings FOR UPDATE
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY assistant_settings_delete ON assistant_settings FOR DELETE
    USING (user_id = (SELECT auth.uid()));

DO $$
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.assistant_settings TO %I',
                   current_setting('sparky.app_role'));
END
$$;
