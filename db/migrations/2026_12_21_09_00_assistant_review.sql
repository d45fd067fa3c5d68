-- Migration: natural-language logging with a review step.
-- Version: 2026_12_21_09_00
--
-- A user may have the chat assistant propose its writes instead of making them: each proposal
-- (the tool, its arguments and the card of exactly what it would write) waits until the user
-- saves it (the tool then runs for real, with its undo) or discards it. No data step.

ALTER TABLE assistant_settings ADD COLUMN review_writes boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN assistant_settings.review_writes IS
    'Chat writes wait as proposals (assistant_proposals) until the user saves them.';

CREATE TABLE assistant_proposals (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    conversation_id uuid REFERENCES chat_conversations(id) ON DELETE CASCADE,
    tool text NOT NULL CONSTRAINT assistant_proposals_tool_check CHECK (char_length(tool) <= 100),
    arguments jsonb NOT NULL,
    -- What saving would write, as the card showed it (worked out when it was proposed).
    card jsonb NOT NULL,
    decision text CONSTRAINT assistant_proposals_decision_check
        CHECK (decision IN ('saved', 'discarded')),
    decided_at timestamptz,
    -- The write saving made (its undo).
    action_id uuid REFERENCES assistant_actions(id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT assistant_proposals_decided_check CHECK ((decision IS NULL) = (decided_at IS NULL))
);
COMMENT ON TABLE assistant_proposals IS
    'Writes the assistant proposed for the user to review, saved or discarded.';
CREATE INDEX idx_assistant_proposals_user_created ON assistant_proposals (user_id, created_at DESC);
CREATE TRIGGER set_updated_at BEFORE UPDATE ON assistant_proposals
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

ALTER TABLE assistant_proposals ENABLE ROW LEVEL SECURITY;
ALTER TABLE assistant_proposals FORCE ROW LEVEL SECURITY;
CREATE POLICY assistant_proposals_select ON assistant_proposals FOR SELECT
    USING (user_id = (SELECT auth.uid()));
CREATE POLICY assistant_proposals_insert ON assistant_proposals FOR INSERT
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY assistant_proposals_update ON assistant_proposals FOR UPDATE
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY assistant_proposals_delete ON assistant_proposals FOR DELETE
    USING (user_id = (SELECT auth.uid()));

DO $$
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.assistant_proposals TO %I',
                   current_setting('sparky.app_role'));
END
$$;
