//! Preparing a turn: validating it, storing the user's message and building the system prompt.

use sparky_ai::Message;
use sparky_db::UserTx;
use uuid::Uuid;

use super::input::TurnInput;
use super::{AgentSettings, MAX_IMAGES, MAX_MESSAGE_CHARS};
use crate::assistant::tools::Question;
use crate::chat::{self, ChatRole, NewMessage};
use crate::error::AppResult;

/// A turn that passed validation, with its user message stored.
#[derive(Debug)]
pub struct PreparedTurn {
    pub user_id: Uuid,
    pub conversation_id: Uuid,
    pub title: String,
    /// The message as stored (a quick reply resolved to its option's text).
    pub message: String,
    /// It answers a question the assistant asked, with yes (see `ToolContext::user_said_yes`).
    pub said_yes: bool,
    /// The message came with photos: the vision model answers.
    pub has_images: bool,
    pub(super) context: Vec<Message>,
    pub(super) system: String,
}

/// Validates the input, opens or continues the conversation, resolves a quick reply and stores
/// the user's message. Errors here are the caller's (4xx) and nothing is stored.
pub async fn prepare(
    tx: &mut UserTx,
    settings: &AgentSettings,
    input: TurnInput,
) -> AppResult<PreparedTurn> {
    let text = input.message.trim();
    let mut v = crate::Validation::new();
    v.check(
        !text.is_empty() || !input.images.is_empty(),
        "message",
        "say something (or send a photo)",
    );
    v.check(
        text.chars().count() <= MAX_MESSAGE_CHARS,
        "message",
        "must be at most 8000 characters",
    );
    v.check(
        input.images.len() <= MAX_IMAGES,
        "images",
        "at most 4 photos",
    );
    v.finish()?;
    let user_id = tx.user_id().await?;
    let conversation = match input.conversation_id {
        Some(id) => chat::get(tx, id).await?,
        None => chat::create(tx, &chat::title_from(text)).await?,
    };
    let has_images = !input.images.is_empty();
    let question = pending_question(tx, conversation.id).await?;
    let picked = question.as_ref().and_then(|q| q.pick(text));
    let said_yes = match (&question, picked) {
        (Some(_), Some(option)) => crate::assistant::tools::picks_yes(option),
        (Some(_), None) => crate::assistant::tools::says_yes(text),
        (None, _) => false,
    };
    let message = picked.unwrap_or(text).to_string();
    chat::append(
        tx,
        conversation.id,
        &NewMessage {
            role: Some(ChatRole::User),
            content: message.clone(),
            images: chat::images_value(&input.images),
            ..Default::default()
        },
    )
    .await?;
    let context = chat::context(tx, conversation.id, settings.context_budget).await?;
    let system = system_prompt(tx, has_images).await?;
    Ok(PreparedTurn {
        user_id,
        conversation_id: conversation.id,
        title: conversation.title,
        message,
        said_yes,
        has_images,
        context,
        system,
    })
}

/// The question the conversation's last message asked, if it did.
/// The question the assistant's last answer asked, if any: among the messages after the
/// user's last one (ask_user need not be the answer's last tool call).
async fn pending_question(tx: &mut UserTx, conversation_id: Uuid) -> AppResult<Option<Question>> {
    let limit = (super::tool_call::MAX_TOOL_CALLS_PER_STEP + 2) as i64;
    let last = chat::messages(tx, conversation_id, limit).await?;
    Ok(last
        .iter()
        .rev()
        .take_while(|m| m.role != ChatRole::User)
        .filter(|m| m.role == ChatRole::Tool)
        .filter_map(|m| m.card.as_ref())
        .filter_map(|c| c.get("question"))
        .find_map(|q| serde_json::from_value(q.clone()).ok()))
}

async fn system_prompt(tx: &mut UserTx, photo: bool) -> AppResult<String> {
    let row = tx
        .query_one(
            "SELECT (now() AT TIME ZONE coalesce(p.timezone, 'UTC'))::date::text,
                    coalesce(p.units_system, 'metric')
             FROM (SELECT 1) one
             LEFT JOIN user_preferences p ON p.user_id = auth.uid()",
            &[],
        )
        .await?;
    let (today, units): (String, String) = (row.get(0), row.get(1));
    Ok(format!(
        "You are Sparky, the assistant of a self-hosted fitness tracker. Today is {today}; the \
         user's units are {units}.\n\
         Log what the user ate, drank, did or measured with the tools, and answer questions \
         about their data by reading it with the tools.\n\
         Foods: call search_foods, pick the matching food and log it with log_food in grams or \
         one of its servings (\"2 large eggs\" = quantity 2, unit \"large\" when the food has \
         that serving). Never make up nutrients. When nothing matches, or several foods match \
         equally, call ask_user with short options. Use quick_add only for calories or macros \
         the user stated.\n\
         Every write is applied at once and shown to the user with an Undo button; don't ask \
         for confirmation first. Never say something was logged unless a tool did it. Keep \
         answers short.{}",
        if photo { PHOTO_RULES } else { "" }
    ))
}

/// Added to the system prompt when the message carries photos: amounts estimated from a photo
/// are logged only after the user confirmed them (and `run_tool` refuses to log before).
const PHOTO_RULES: &str = "\n\
     This message has a photo. Identify each food and drink and estimate its grams, find each \
     with search_foods, then call ask_user with what you found (food and grams, one per line in \
     the question) and options such as \"Log all\" and \"Let me correct\". Do not log anything \
     estimated from a photo before the user confirmed it: logging tools are refused in this turn. \
     A photo of a nutrition label: read it and say what you read.";
