-- Rolls back to the seed's chat_history: each user message with the assistant message that
-- follows it becomes one pair. Tool calls, photos, cards and the undo log are lost.
CREATE TABLE chat_history (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    message TEXT NOT NULL,
    response TEXT NOT NULL,
    ai_provider VARCHAR(50),
    model_used VARCHAR(100),
    tokens_used INTEGER CONSTRAINT chat_history_tokens_used_check CHECK (tokens_used >= 0),
    response_time_ms INTEGER CONSTRAINT chat_history_response_time_ms_check CHECK (response_time_ms >= 0),
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);
CREATE INDEX idx_chat_history_user_date ON chat_history (user_id, created_at);

INSERT INTO chat_history (user_id, message, response, ai_provider, model_used, tokens_used,
                          response_time_ms, created_at)
SELECT u.user_id, u.content, a.content, left(a.provider, 50), left(a.model, 100), a.tokens_out,
       a.latency_ms, u.created_at
FROM chat_messages u
CROSS JOIN LATERAL (
    SELECT m.content, m.provider, m.model, m.tokens_out, m.latency_ms FROM chat_messages m
    WHERE m.conversation_id = u.conversation_id AND m.seq > u.seq AND m.role = 'assistant'
      AND m.content <> ''
    ORDER BY m.seq LIMIT 1
) a
WHERE u.role = 'user';

ALTER TABLE chat_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE chat_history FORCE ROW LEVEL SECURITY;
CREATE POLICY chat_history_select ON chat_history FOR SELECT
    USING (user_id = (SELECT auth.uid()));
CREATE POLICY chat_history_insert ON chat_history FOR INSERT
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY chat_history_update ON chat_history FOR UPDATE
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY chat_history_delete ON chat_history FOR DELETE
    USING (user_id = (SELECT auth.uid()));

DROP TABLE assistant_actions;
DROP TABLE chat_messages;
DROP TABLE chat_conversations;

DO $$
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.chat_history TO %I',
                   current_setting('sparky.app_role'));
END
$$;
