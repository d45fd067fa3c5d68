-- Migration: the assistant's history — conversations and their messages — replacing the seed's
-- chat_history (one row per question/answer pair), plus the log of the assistant's writes that
-- "undo" works from.
-- Version: 2026_12_04_30_10
--
-- Everything here is the user's own: no family access (a grantee's assistant writes to a
-- shared diary through the diary's own policies, but never sees the grantor's chats).
-- Existing chat_history rows become one conversation per user ("Earlier chats"), each pair a
-- user and an assistant message, keeping provider, model, tokens and latency.

CREATE TABLE chat_conversations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title text NOT NULL DEFAULT 'New chat'
        CONSTRAINT chat_conversations_title_check CHECK (char_length(title) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE chat_conversations IS 'An assistant conversation; the owner alone reads and writes it.';
CREATE INDEX idx_chat_conversations_user_updated ON chat_conversations (user_id, updated_at DESC, id DESC);
CREATE TRIGGER set_updated_at BEFORE UPDATE ON chat_conversations
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TABLE chat_messages (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    conversation_id uuid NOT NULL REFERENCES chat_conversations(id) ON DELETE CASCADE,
    -- Denormalised from the conversation so the policy needs no join.
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- Order within the conversation (identity: increasing across concurrent inserts).
    seq bigint GENERATED ALWAYS AS IDENTITY,
    role text NOT NULL CONSTRAINT chat_messages_role_check CHECK (role IN ('user', 'assistant', 'tool')),
    content text NOT NULL DEFAULT '',
    -- User messages: photos sent with it ([{media_type, data}]); dropped from old context.
    images jsonb,
    -- Assistant messages: [{id, name, arguments}] as the model made them.
    tool_calls jsonb,
    -- Tool messages: the call answered, and whether it failed.
    tool_call_id text,
    is_error boolean NOT NULL DEFAULT false,
    -- Tool messages: the card shown for a write (what was written, with its undo action).
    card jsonb,
    provider text,
    model text,
    tokens_in integer CONSTRAINT chat_messages_tokens_in_check CHECK (tokens_in >= 0),
    tokens_out integer CONSTRAINT chat_messages_tokens_out_check CHECK (tokens_out >= 0),
    latency_ms integer CONSTRAINT chat_messages_latency_ms_check CHECK (latency_ms >= 0),
    error text,
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE chat_messages IS
    'One message of a conversation: user text (and photos), assistant text and tool calls, tool results and cards, with provider, model, tokens, latency and error.';
CREATE INDEX idx_chat_messages_conversation_seq ON chat_messages (conversation_id, seq);
-- The daily token budget and the rate limit count a user's recent messages.
CREATE INDEX idx_chat_messages_user_created ON chat_messages (user_id, created_at);

CREATE TABLE assistant_actions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Who made the assistant write (the signed-in user), not whose diary it was.
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    conversation_id uuid REFERENCES chat_conversations(id) ON DELETE SET NULL,
    tool text NOT NULL,
    -- What undoing needs (ids written, previous values); never shown.
    undo jsonb NOT NULL,
    -- What was written, as the card showed it.
    card jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    undone_at timestamptz
);
COMMENT ON TABLE assistant_actions IS 'Writes made by the assistant or MCP tools, newest last, so they can be undone.';
CREATE INDEX idx_assistant_actions_user_created ON assistant_actions (user_id, created_at DESC, id DESC);
CREATE TRIGGER set_updated_at BEFORE UPDATE ON assistant_actions
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

ALTER TABLE chat_conversations ENABLE ROW LEVEL SECURITY;
ALTER TABLE chat_conversations FORCE ROW LEVEL SECURITY;
ALTER TABLE chat_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE chat_messages FORCE ROW LEVEL SECURITY;
ALTER TABLE assistant_actions ENABLE ROW LEVEL SECURITY;
ALTER TABLE assistant_actions FORCE ROW LEVEL SECURITY;

CREATE POLICY chat_conversations_select ON chat_conversations FOR SELECT
    USING (user_id = (SELECT auth.uid()));
CREATE POLICY chat_conversations_insert ON chat_conversations FOR INSERT
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY chat_conversations_update ON chat_conversations FOR UPDATE
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY chat_conversations_delete ON chat_conversations FOR DELETE
    USING (user_id = (SELECT auth.uid()));

CREATE POLICY chat_messages_select ON chat_messages FOR SELECT
    USING (user_id = (SELECT auth.uid()));
-- A message goes only into one of the caller's own conversations.
CREATE POLICY chat_messages_insert ON chat_messages FOR INSERT
    WITH CHECK (user_id = (SELECT auth.uid())
                AND conversation_id IN (SELECT c.id FROM chat_conversations c
                                        WHERE c.user_id = (SELECT auth.uid())));
CREATE POLICY chat_messages_delete ON chat_messages FOR DELETE
    USING (user_id = (SELECT auth.uid()));

CREATE POLICY assistant_actions_select ON assistant_actions FOR SELECT
    USING (user_id = (SELECT auth.uid()));
CREATE POLICY assistant_actions_insert ON assistant_actions FOR INSERT
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY assistant_actions_update ON assistant_actions FOR UPDATE
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY assistant_actions_delete ON assistant_actions FOR DELETE
    USING (user_id = (SELECT auth.uid()));

-- The seed's pairs, kept as an "Earlier chats" conversation per user. As an owner that FORCEd
-- RLS would otherwise filter (a managed database's plain owner read no pair, and the history
-- was dropped with its table).
ALTER TABLE chat_history NO FORCE ROW LEVEL SECURITY;
ALTER TABLE chat_conversations NO FORCE ROW LEVEL SECURITY;
ALTER TABLE chat_messages NO FORCE ROW LEVEL SECURITY;
WITH users_with_history AS (
    SELECT user_id, min(created_at) AS first_at, max(created_at) AS last_at
    FROM chat_history GROUP BY user_id
), conversations AS (
    INSERT INTO chat_conversations (user_id, title, created_at, updated_at)
    SELECT user_id, 'Earlier chats', coalesce(first_at, now()), coalesce(last_at, now())
    FROM users_with_history
    RETURNING id, user_id
)
INSERT INTO chat_messages (id, conversation_id, user_id, role, content, provider, model,
                           tokens_in, tokens_out, latency_ms, created_at)
SELECT m.id, c.id, h.user_id, m.role, m.content,
       CASE WHEN m.role = 'assistant' THEN h.ai_provider END,
       CASE WHEN m.role = 'assistant' THEN h.model_used END,
       NULL,
       CASE WHEN m.role = 'assistant' THEN h.tokens_used END,
       CASE WHEN m.role = 'assistant' THEN h.response_time_ms END,
       coalesce(h.created_at, now())
FROM chat_history h
JOIN conversations c ON c.user_id = h.user_id
-- The user message keeps the pair's id.
CROSS JOIN LATERAL (VALUES (1, h.id, 'user', h.message), (2, gen_random_uuid(), 'assistant', h.response))
    AS m(n, id, role, content)
ORDER BY h.created_at, h.id, m.n;
ALTER TABLE chat_conversations FORCE ROW LEVEL SECURITY;
ALTER TABLE chat_messages FORCE ROW LEVEL SECURITY;

DROP TABLE chat_history;

DO $$
DECLARE
    app text := current_setting('sparky.app_role');
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.chat_conversations TO %I', app);
    -- Messages are written once; correcting history is not a thing.
    EXECUTE format('GRANT SELECT, INSERT, DELETE ON TABLE public.chat_messages TO %I', app);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.assistant_actions TO %I', app);
END
$$;
