-- Migration: the assistant's one-shot model calls (a meal photo, a nutrition label), so that
-- they count against the same per-user rate limit and daily token budget as chat messages.
-- Version: 2026_12_05_20_00
--
-- A row is written before the model is called (so concurrent calls count at once) and
-- completed with tokens, latency or the error afterwards. The user's own; no family access.

CREATE TABLE assistant_requests (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind text NOT NULL CONSTRAINT assistant_requests_kind_check
        CHECK (kind IN ('meal_photo', 'nutrition_label')),
    provider text,
    model text,
    tokens_in integer CONSTRAINT assistant_requests_tokens_in_check CHECK (tokens_in >= 0),
    tokens_out integer CONSTRAINT assistant_requests_tokens_out_check CHECK (tokens_out >= 0),
    latency_ms integer CONSTRAINT assistant_requests_latency_ms_check CHECK (latency_ms >= 0),
    error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE assistant_requests IS
    'One-shot assistant model calls (meal photos, nutrition labels): provider, model, tokens, latency and error, counted by the rate limit and the daily token budget.';
-- The rate limit and the daily budget read a user's recent rows.
CREATE INDEX idx_assistant_requests_user_created ON assistant_requests (user_id, created_at);
CREATE TRIGGER set_updated_at BEFORE UPDATE ON assistant_requests
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

ALTER TABLE assistant_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE assistant_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY assistant_requests_select ON assistant_requests FOR SELECT
    USING (user_id = (SELECT auth.uid()));
CREATE POLICY assistant_requests_insert ON assistant_requests FOR INSERT
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY assistant_requests_update ON assistant_requests FOR UPDATE
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY assistant_requests_delete ON assistant_requests FOR DELETE
    USING (user_id = (SELECT auth.uid()));

DO $$
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.assistant_requests TO %I',
                   current_setting('sparky.app_role'));
END
$$;
