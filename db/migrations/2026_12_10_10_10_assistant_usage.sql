-- Migration: the assistant's daily token use, kept apart from the conversations.
-- Version: 2026_12_10_10_10
--
-- The daily token budget was summed from chat messages, so deleting a conversation gave its
-- tokens back. Each chat message's tokens are now also added to the user's day here, by a
-- trigger, and nothing deletes these rows but the account's own deletion. The request role
-- may only read them; the trigger's function (SECURITY DEFINER, as the owner) writes them,
-- and only for the acting user.
CREATE TABLE assistant_usage (
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    day date NOT NULL,
    tokens bigint NOT NULL DEFAULT 0 CONSTRAINT assistant_usage_tokens_check CHECK (tokens >= 0),
    PRIMARY KEY (user_id, day)
);
COMMENT ON TABLE assistant_usage IS
    'Tokens of chat messages per user and UTC day, for the daily token budget; kept when conversations are deleted.';
ALTER TABLE assistant_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE assistant_usage FORCE ROW LEVEL SECURITY;
CREATE POLICY assistant_usage_select ON assistant_usage FOR SELECT
    USING (user_id = (SELECT auth.uid()));
DO $$
BEGIN
    EXECUTE format(
        'CREATE POLICY assistant_usage_maintain ON assistant_usage FOR ALL TO %I '
        'USING (user_id = (SELECT auth.uid())) WITH CHECK (user_id = (SELECT auth.uid()))',
        current_user);
    EXECUTE format('GRANT SELECT ON TABLE public.assistant_usage TO %I',
                   current_setting('sparky.app_role'));
END
$$;

CREATE FUNCTION public.assistant_usage_count() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    used bigint := coalesce(NEW.tokens_in, 0)::bigint + coalesce(NEW.tokens_out, 0)::bigint;
BEGIN
    IF used > 0 AND NEW.user_id = auth.uid() THEN
        INSERT INTO public.assistant_usage AS u (user_id, day, tokens)
        VALUES (NEW.user_id, (NEW.created_at AT TIME ZONE 'UTC')::date, used)
        ON CONFLICT (user_id, day) DO UPDATE SET tokens = u.tokens + EXCLUDED.tokens;
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION public.assistant_usage_count() FROM PUBLIC;
CREATE TRIGGER chat_messages_usage AFTER INSERT ON chat_messages
    FOR EACH ROW EXECUTE FUNCTION public.assistant_usage_count();

