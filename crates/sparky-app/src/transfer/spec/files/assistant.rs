//! The assistant's conversations, messages and metered requests.

use super::*;

pub(super) const CHAT_CONVERSATIONS: FileSpec = FileSpec {
    file: "chat_conversations.csv",
    tables: &["chat_conversations"],
    has_ref: true,
    cols: &[
        req("title", Kind::Text, "title").name_of(200),
        req("created_at", Kind::Ts, "created_at"),
        req("updated_at", Kind::Ts, "updated_at"),
    ],
    from: "chat_conversations WHERE user_id = (SELECT auth.uid())",
    id: "id",
    order: "created_at, id",
    import: Import::Insert {
        table: "chat_conversations",
        owner: Some("user_id"),
        extra: &[],
        conflict: "",
    },
};

pub(super) const CHAT_MESSAGES: FileSpec = FileSpec {
    file: "chat_messages.csv",
    tables: &["chat_messages"],
    has_ref: false,
    cols: &[
        Col {
            import: Some("conversation_id"),
            required: true,
            ..col("conversation", Kind::Ref("chat_conversations.csv"), "m.conversation_id")
        },
        req("role", Kind::Text, "m.role").one_of(&["user", "assistant", "tool"]),
        req("content", Kind::Text, "m.content").chars(100_000),
        col("images", Kind::Json, "m.images"),
        col("tool_calls", Kind::Json, "m.tool_calls"),
        col("tool_call_id", Kind::Text, "m.tool_call_id").chars(200),
        req("is_error", Kind::Bool, "m.is_error"),
        col("card", Kind::Json, "m.card"),
        col("provider", Kind::Text, "m.provider").chars(64),
        col("model", Kind::Text, "m.model").chars(200),
        col("tokens_in", Kind::Int, "m.tokens_in").range(0.0, 10_000_000.0),
        col("tokens_out", Kind::Int, "m.tokens_out").range(0.0, 10_000_000.0),
        col("latency_ms", Kind::Int, "m.latency_ms").range(0.0, 86_400_000.0),
        col("error", Kind::Text, "m.error").chars(10_000),
        req("created_at", Kind::Ts, "m.created_at"),
    ],
    from: "chat_messages m JOIN chat_conversations c ON c.id = m.conversation_id WHERE m.user_id = (SELECT auth.uid())",
    id: "m.id",
    // `seq` is a server-wide sequence: the file keeps the order, the import draws new
    // numbers in file order.
    order: "c.created_at, c.id, m.seq, m.id",
    import: Import::Insert {
        table: "chat_messages",
        owner: Some("user_id"),
        extra: &[],
        conflict: "",
    },
};

pub(super) const ASSISTANT_REQUESTS: FileSpec = FileSpec {
    file: "assistant_requests.csv",
    tables: &["assistant_requests"],
    has_ref: false,
    cols: &[
        req("kind", Kind::Text, "kind").one_of(&["meal_photo", "nutrition_label"]),
        col("provider", Kind::Text, "provider").chars(64),
        col("model", Kind::Text, "model").chars(200),
        col("tokens_in", Kind::Int, "tokens_in").range(0.0, 10_000_000.0),
        col("tokens_out", Kind::Int, "tokens_out").range(0.0, 10_000_000.0),
        col("latency_ms", Kind::Int, "latency_ms").range(0.0, 86_400_000.0),
        col("error", Kind::Text, "error").chars(10_000),
        req("created_at", Kind::Ts, "created_at"),
        req("updated_at", Kind::Ts, "updated_at"),
    ],
    from: "assistant_requests WHERE user_id = (SELECT auth.uid())",
    id: "id",
    order: "created_at, id",
    import: Import::Insert {
        table: "assistant_requests",
        owner: Some("user_id"),
        extra: &[],
        conflict: "",
    },
};
