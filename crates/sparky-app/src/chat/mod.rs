//! The assistant's history: conversations and their messages (user text and photos, the
//! model's text and tool calls, tool results with the cards of what was written), with the
//! provider, model, tokens, latency and error of each answer. Only the owner ever reads them
//! (RLS); family access does not reach chats.
//!
//! [`context`] rebuilds what is sent to the model: the newest messages that fit a token
//! budget, starting at a user message, with photos kept only on the latest user message.

mod context;

pub use context::{
    context, estimate_tokens, images_value, to_model_message, trim_to_budget, IMAGE_TOKENS,
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::paging::{LimitBounds, PageRequest};

pub const TITLE_MAX: usize = 200;
/// Conversations per page.
pub const PAGE_BOUNDS: LimitBounds = LimitBounds::new(20, 100);
/// Messages one read returns at most (the newest ones).
pub const MAX_MESSAGES: i64 = 500;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Conversation {
    pub id: Uuid,
    pub title: String,
    pub created_at: DateTime<Utc>,
    /// When the last message was added (or the title changed).
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConversationPage {
    /// Most recently used first.
    pub items: Vec<Conversation>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Rename a conversation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameInput {
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChatRole {
    User,
    Assistant,
    Tool,
}

impl ChatRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ChatRole::User => "user",
            ChatRole::Assistant => "assistant",
            ChatRole::Tool => "tool",
        }
    }

    fn parse(s: &str) -> ChatRole {
        match s {
            "user" => ChatRole::User,
            "assistant" => ChatRole::Assistant,
            _ => ChatRole::Tool,
        }
    }
}

/// One stored message.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChatMessage {
    pub id: Uuid,
    pub role: ChatRole,
    pub content: String,
    /// User messages: how many photos came with it (the photos themselves are not returned).
    pub image_count: usize,
    /// Assistant messages: the tool calls the model made (`[{id, name, arguments}]`).
    #[schema(value_type = Option<Object>)]
    pub tool_calls: Option<Value>,
    /// Tool messages: the call this answers.
    pub tool_call_id: Option<String>,
    pub is_error: bool,
    /// Tool messages that wrote something: the card of exactly what was written.
    #[schema(value_type = Option<Object>)]
    pub card: Option<Value>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub tokens_in: Option<i32>,
    pub tokens_out: Option<i32>,
    pub latency_ms: Option<i32>,
    /// What went wrong with this answer, when something did.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Photos, for rebuilding the model's context; never serialised.
    #[serde(skip)]
    pub images: Option<Value>,
}

/// A conversation with its messages, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConversationWithMessages {
    #[serde(flatten)]
    pub conversation: Conversation,
    pub messages: Vec<ChatMessage>,
}

/// What to store for a new message.
#[derive(Debug, Clone, Default)]
pub struct NewMessage {
    pub role: Option<ChatRole>,
    pub content: String,
    pub images: Option<Value>,
    pub tool_calls: Option<Value>,
    pub tool_call_id: Option<String>,
    pub is_error: bool,
    pub card: Option<Value>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub tokens_in: Option<u32>,
    pub tokens_out: Option<u32>,
    pub latency_ms: Option<u32>,
    pub error: Option<String>,
}

const CONVERSATION_COLUMNS: &str = "c.id, c.title, c.created_at, c.updated_at";
const MESSAGE_COLUMNS: &str = "m.id, m.role, m.content, m.images, m.tool_calls, m.tool_call_id, \
     m.is_error, m.card, m.provider, m.model, m.tokens_in, m.tokens_out, m.latency_ms, m.error, m.created_at";

fn conversation_from_row(r: &tokio_postgres::Row) -> Conversation {
    Conversation {
        id: r.get("id"),
        title: r.get("title"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

fn message_from_row(r: &tokio_postgres::Row) -> ChatMessage {
    let images: Option<Value> = r.get("images");
    ChatMessage {
        id: r.get("id"),
        role: ChatRole::parse(r.get("role")),
        content: r.get("content"),
        image_count: images
            .as_ref()
            .and_then(Value::as_array)
            .map_or(0, Vec::len),
        tool_calls: r.get("tool_calls"),
        tool_call_id: r.get("tool_call_id"),
        is_error: r.get("is_error"),
        card: r.get("card"),
        provider: r.get("provider"),
        model: r.get("model"),
        tokens_in: r.get("tokens_in"),
        tokens_out: r.get("tokens_out"),
        latency_ms: r.get("latency_ms"),
        error: r.get("error"),
        created_at: r.get("created_at"),
        images,
    }
}

fn clean_title(title: &str) -> AppResult<String> {
    let t = title.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.is_empty() || t.chars().count() > TITLE_MAX {
        return Err(AppError::invalid(
            "title",
            format!("must be 1 to {TITLE_MAX} characters"),
        ));
    }
    Ok(t)
}

/// A title from the first thing the user said: its first line, at most 60 characters.
pub fn title_from(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut t: String = line.chars().take(60).collect();
    if line.chars().count() > 60 {
        t.push('…');
    }
    if t.is_empty() {
        "New chat".into()
    } else {
        t
    }
}

/// Starts a conversation of the caller's.
pub async fn create(tx: &mut UserTx, title: &str) -> AppResult<Conversation> {
    let title = clean_title(title)?;
    let row = tx
        .query_one(
            &format!(
                "INSERT INTO chat_conversations AS c (user_id, title) VALUES (auth.uid(), $1)
                 RETURNING {CONVERSATION_COLUMNS}"
            ),
            &[&title],
        )
        .await?;
    Ok(conversation_from_row(&row))
}

/// One of the caller's conversations (404 for anyone else's: RLS hides them).
pub async fn get(tx: &mut UserTx, id: Uuid) -> AppResult<Conversation> {
    let row = tx
        .query_opt(
            &format!("SELECT {CONVERSATION_COLUMNS} FROM chat_conversations c WHERE c.id = $1"),
            &[&id],
        )
        .await?
        .ok_or(AppError::NotFound("conversation"))?;
    Ok(conversation_from_row(&row))
}

/// The caller's conversations, most recently used first.
pub async fn list(tx: &mut UserTx, page: &PageRequest) -> AppResult<ConversationPage> {
    let after: Option<(DateTime<Utc>, Uuid)> = page.after()?;
    let (at, id) = after.unzip();
    let rows = tx
        .query(
            &format!(
                "SELECT {CONVERSATION_COLUMNS} FROM chat_conversations c
                 WHERE c.user_id = auth.uid()
                   AND ($1::timestamptz IS NULL OR (c.updated_at, c.id) < ($1, $2::uuid))
                 ORDER BY c.updated_at DESC, c.id DESC LIMIT $3"
            ),
            &[&at, &id, &page.fetch()],
        )
        .await?;
    let p = page.finish_keyset(
        rows.iter().map(conversation_from_row).collect(),
        |c: &Conversation| (c.updated_at, c.id),
    );
    Ok(ConversationPage {
        items: p.items,
        next_cursor: p.next_cursor,
    })
}

/// A conversation with its newest [`MAX_MESSAGES`] messages, oldest first.
pub async fn with_messages(tx: &mut UserTx, id: Uuid) -> AppResult<ConversationWithMessages> {
    let conversation = get(tx, id).await?;
    let messages = messages(tx, id, MAX_MESSAGES).await?;
    Ok(ConversationWithMessages {
        conversation,
        messages,
    })
}

/// The newest `limit` messages of a conversation, oldest first.
pub async fn messages(tx: &mut UserTx, id: Uuid, limit: i64) -> AppResult<Vec<ChatMessage>> {
    let rows = tx
        .query(
            &format!(
                "SELECT * FROM (SELECT {MESSAGE_COLUMNS}, m.seq FROM chat_messages m
                                WHERE m.conversation_id = $1 ORDER BY m.seq DESC LIMIT $2) m
                 ORDER BY m.seq"
            ),
            &[&id, &limit],
        )
        .await?;
    Ok(rows.iter().map(message_from_row).collect())
}

pub async fn rename(tx: &mut UserTx, id: Uuid, input: RenameInput) -> AppResult<Conversation> {
    let title = clean_title(&input.title)?;
    let row = tx
        .query_opt(
            &format!(
                "UPDATE chat_conversations c SET title = $2 WHERE c.id = $1
                 RETURNING {CONVERSATION_COLUMNS}"
            ),
            &[&id, &title],
        )
        .await?
        .ok_or(AppError::NotFound("conversation"))?;
    Ok(conversation_from_row(&row))
}

/// Deletes one conversation with its messages.
pub async fn delete(tx: &mut UserTx, id: Uuid) -> AppResult<()> {
    let n = tx
        .execute("DELETE FROM chat_conversations WHERE id = $1", &[&id])
        .await?;
    if n == 0 {
        return Err(AppError::NotFound("conversation"));
    }
    Ok(())
}

/// Deletes all of the caller's conversations; returns how many there were.
pub async fn clear(tx: &mut UserTx) -> AppResult<u64> {
    Ok(tx
        .execute(
            "DELETE FROM chat_conversations WHERE user_id = auth.uid()",
            &[],
        )
        .await?)
}

fn small(n: Option<u32>) -> Option<i32> {
    n.map(|n| i32::try_from(n).unwrap_or(i32::MAX))
}

/// Adds a message to a conversation of the caller's and marks the conversation used.
pub async fn append(
    tx: &mut UserTx,
    conversation_id: Uuid,
    m: &NewMessage,
) -> AppResult<ChatMessage> {
    let role = m.role.unwrap_or(ChatRole::User).as_str();
    let row = tx
        .query_opt(
            &format!(
                "WITH touched AS (UPDATE chat_conversations SET updated_at = now()
                                  WHERE id = $1 RETURNING id)
                 INSERT INTO chat_messages AS m (conversation_id, user_id, role, content, images,
                     tool_calls, tool_call_id, is_error, card, provider, model, tokens_in,
                     tokens_out, latency_ms, error)
                 SELECT touched.id, auth.uid(), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14
                 FROM touched
                 RETURNING {MESSAGE_COLUMNS}"
            ),
            &[
                &conversation_id,
                &role,
                &m.content,
                &m.images,
                &m.tool_calls,
                &m.tool_call_id,
                &m.is_error,
                &m.card,
                &m.provider,
                &m.model,
                &small(m.tokens_in),
                &small(m.tokens_out),
                &small(m.latency_ms),
                &m.error,
            ],
        )
        .await?
        .ok_or(AppError::NotFound("conversation"))?;
    Ok(message_from_row(&row))
}

/// The caller's assistant use: messages they sent in the last minute, and tokens spent since
/// midnight UTC (for the rate limit and the daily budget).
pub async fn usage(tx: &mut UserTx) -> AppResult<(i64, i64)> {
    // Chat messages and the one-shot photo and label calls (assistant_requests) count alike:
    // each user message or call is one against the rate limit, and every token is spent.
    // Chat tokens come from assistant_usage, which keeps them when a conversation is deleted.
    let row = tx
        .query_one(
            "WITH today AS (SELECT date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS t),
             calls AS (
                 SELECT 1 FROM chat_messages WHERE user_id = auth.uid() AND role = 'user'
                     AND created_at > now() - interval '1 minute'
                 UNION ALL
                 SELECT 1 FROM assistant_requests WHERE user_id = auth.uid()
                     AND created_at > now() - interval '1 minute'
             )
             SELECT (SELECT count(*) FROM calls),
                    coalesce((SELECT sum(coalesce(tokens_in, 0)::bigint + coalesce(tokens_out, 0)::bigint)
                              FROM assistant_requests
                              WHERE user_id = auth.uid() AND created_at >= (SELECT t FROM today)), 0)::bigint
                    + coalesce((SELECT u.tokens FROM assistant_usage u
                                WHERE u.user_id = auth.uid()
                                  AND u.day = (now() AT TIME ZONE 'UTC')::date), 0)::bigint",
            &[],
        )
        .await?;
    Ok((row.get(0), row.get::<_, i64>(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Token counts near the integer column's limit add up without overflowing (they used to
    /// fail every request with "integer out of range" until midnight), and a deleted
    /// conversation's tokens still count.
    #[tokio::test]
    async fn usage_adds_huge_counts_and_keeps_deleted_conversations() {
        let db = sparky_testkit::TestDb::new().await;
        let owner = db.owner_client().await;
        let me: Uuid = owner
            .query_one(
                "INSERT INTO users (email, password_hash) VALUES ('ann@example.com', 'x') RETURNING id",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        let database = db.database().await;
        let mut tx = database.as_user(me).await.unwrap();
        tx.execute(
            "INSERT INTO chat_conversations (user_id) VALUES (auth.uid())",
            &[],
        )
        .await
        .unwrap();
        tx.execute(
            "INSERT INTO chat_messages (conversation_id, user_id, role, tokens_in, tokens_out)
             SELECT c.id, auth.uid(), 'assistant', 2147483647, 2147483647
             FROM chat_conversations c, generate_series(1, 2)",
            &[],
        )
        .await
        .unwrap();
        let (_, tokens) = usage(&mut tx).await.unwrap();
        assert_eq!(tokens, 4 * 2_147_483_647_i64);
        tx.execute("DELETE FROM chat_conversations", &[])
            .await
            .unwrap();
        let (_, tokens) = usage(&mut tx).await.unwrap();
        assert_eq!(tokens, 4 * 2_147_483_647_i64, "deleting gives nothing back");
        // The count is the server's: the request role cannot change it.
        let refused = tx
            .execute("UPDATE assistant_usage SET tokens = 0", &[])
            .await;
        assert!(refused.is_err(), "{refused:?}");
    }
}
