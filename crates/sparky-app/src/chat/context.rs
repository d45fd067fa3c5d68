//! What of a conversation is sent to the model: the newest messages within a token budget,
//! never starting in the middle of a tool exchange, with photos only on the latest user message.

use serde_json::Value;
use sparky_ai::{ContentPart, ImageData, Message, ToolCall, ToolResult};
use sparky_db::UserTx;
use uuid::Uuid;

use super::{messages, ChatMessage, ChatRole};
use crate::error::AppResult;

/// What a photo is counted as (providers charge roughly this for a resized photo).
pub const IMAGE_TOKENS: usize = 1000;
/// Messages read from the database before trimming.
const READ_AT_MOST: i64 = 200;

/// A rough token count: four characters a token, as most tokenizers average on English.
pub fn estimate_tokens(m: &Message) -> usize {
    let chars = match m {
        Message::User { content } => content
            .iter()
            .map(|p| match p {
                ContentPart::Text { text } => text.chars().count(),
                ContentPart::Image { .. } => IMAGE_TOKENS * 4,
            })
            .sum(),
        Message::Assistant { text, tool_calls } => {
            text.chars().count()
                + tool_calls
                    .iter()
                    .map(|c| c.name.len() + c.arguments.chars().count() + 16)
                    .sum::<usize>()
        }
        Message::Tool(r) => r.content.chars().count() + 16,
    };
    chars / 4 + 4
}

/// Keeps the newest messages whose estimated tokens fit `budget` (the newest user message is
/// always kept), starting at a user message so no tool result lacks its call; photos stay only
/// on the newest user message, older ones become a note that a photo was sent.
pub fn trim_to_budget(mut all: Vec<Message>, budget: usize) -> Vec<Message> {
    // Photos only on the newest user message: they are the most expensive part and the
    // model's earlier answer already says what they showed.
    if let Some(last_user) = all.iter().rposition(|m| matches!(m, Message::User { .. })) {
        for m in &mut all[..last_user] {
            if let Message::User { content } = m {
                let photos = content
                    .iter()
                    .filter(|p| matches!(p, ContentPart::Image { .. }))
                    .count();
                if photos > 0 {
                    content.retain(|p| !matches!(p, ContentPart::Image { .. }));
                    content.push(ContentPart::Text {
                        text: format!("[{photos} photo(s) sent earlier, no longer shown]"),
                    });
                }
            }
        }
    }
    let mut start = all.len();
    let mut used = 0;
    for (i, m) in all.iter().enumerate().rev() {
        let cost = estimate_tokens(m);
        if used + cost > budget && start < all.len() && has_user_from(&all[start..]) {
            break;
        }
        used += cost;
        start = i;
    }
    // Begin at a user message: a tool result or an assistant tool call without what came
    // before it is rejected by providers.
    while start < all.len() && !matches!(all[start], Message::User { .. }) {
        start += 1;
    }
    all.split_off(start)
}

fn has_user_from(ms: &[Message]) -> bool {
    ms.iter().any(|m| matches!(m, Message::User { .. }))
}

/// A stored message as the model sees it.
pub fn to_model_message(m: &ChatMessage) -> Option<Message> {
    Some(match m.role {
        ChatRole::User => {
            let images: Vec<ImageData> = m
                .images
                .clone()
                .and_then(|v| serde_json::from_value(v).ok())
                .unwrap_or_default();
            Message::user_with_images(m.content.clone(), images)
        }
        ChatRole::Assistant => {
            let tool_calls: Vec<ToolCall> = m
                .tool_calls
                .clone()
                .and_then(|v| serde_json::from_value(v).ok())
                .unwrap_or_default();
            if m.content.is_empty() && tool_calls.is_empty() {
                // A failed answer: nothing the model said.
                return None;
            }
            Message::Assistant {
                text: m.content.clone(),
                tool_calls,
            }
        }
        ChatRole::Tool => Message::Tool(ToolResult {
            tool_call_id: m.tool_call_id.clone()?,
            content: m.content.clone(),
            is_error: m.is_error,
        }),
    })
}

/// The conversation as it goes to the model, trimmed to `budget` tokens.
pub async fn context(
    tx: &mut UserTx,
    conversation_id: Uuid,
    budget: usize,
) -> AppResult<Vec<Message>> {
    let stored = messages(tx, conversation_id, READ_AT_MOST).await?;
    let all: Vec<Message> = stored.iter().filter_map(to_model_message).collect();
    Ok(trim_to_budget(all, budget))
}

/// `Value` of a list of images, for [`super::NewMessage::images`].
pub fn images_value(images: &[ImageData]) -> Option<Value> {
    (!images.is_empty()).then(|| serde_json::to_value(images).unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo() -> ImageData {
        ImageData::from_bytes("image/jpeg", &[1, 2, 3])
    }

    #[test]
    fn old_photos_are_dropped_and_the_newest_kept() {
        let all = vec![
            Message::user_with_images("what is this", vec![photo()]),
            Message::assistant("a banana"),
            Message::user_with_images("and this", vec![photo(), photo()]),
        ];
        let out = trim_to_budget(all, 100_000);
        assert_eq!(out.len(), 3);
        assert!(!out[0].has_images());
        match &out[0] {
            Message::User { content } => assert!(
                matches!(&content[1], ContentPart::Text { text } if text.contains("1 photo")),
                "{content:?}"
            ),
            other => panic!("{other:?}"),
        }
        assert!(out[2].has_images());
    }

    #[test]
    fn the_budget_keeps_the_newest_and_starts_at_a_user_message() {
        let long = "x".repeat(4000); // about 1000 tokens
        let all = vec![
            Message::user(long.clone()),
            Message::Assistant {
                text: String::new(),
                tool_calls: vec![ToolCall::new("c1", "read_day", &serde_json::json!({}))],
            },
            Message::tool_result("c1", long.clone(), false),
            Message::assistant("done"),
            Message::user("and now?"),
        ];
        // Room for the tool result but not the first question: the orphaned result and call
        // go too, and the context starts at the last question.
        let out = trim_to_budget(all.clone(), 1100);
        assert_eq!(out, vec![Message::user("and now?")]);
        // Room for everything.
        assert_eq!(trim_to_budget(all.clone(), 10_000).len(), 5);
        // Even a tiny budget keeps the newest question.
        assert_eq!(trim_to_budget(all, 1).len(), 1);
    }
}
