//! The agent loop: the model answers, its tool calls run (each in its own short RLS
//! transaction as the signed-in user, committed together with the stored result), the results
//! go back to it, until it answers without tools, asks the user, or the step limit is reached.
//! Nothing waits on the model while a transaction is open.
//!
//! The final text is the server's when anything was written: a confirmation built from the
//! cards of what the tools wrote, so the model cannot claim a write that did not happen.

use std::time::Instant;

use futures::StreamExt;
use serde::Serialize;
use serde_json::{json, Value};
use sparky_ai::{AiClient, ChatOptions, ChatRequest, ImageData, Message, StreamEvent, ToolCall};
use sparky_db::{Database, UserTx};
use tokio::sync::mpsc;
use utoipa::ToSchema;
use uuid::Uuid;

use super::actions::Card;
use super::tools::{self, Question, ToolContext};
use crate::chat::{self, ChatRole, NewMessage};
use crate::error::{AppError, AppResult};

/// Longest message accepted.
pub const MAX_MESSAGE_CHARS: usize = 8000;
/// Photos one message may carry.
pub const MAX_IMAGES: usize = 4;

/// How the agent runs.
#[derive(Debug, Clone)]
pub struct AgentSettings {
    pub client: AiClient,
    pub model: String,
    /// Used instead of `model` for a message with photos.
    pub vision_model: Option<String>,
    /// Model calls per turn (default 8).
    pub max_steps: usize,
    /// Estimated tokens of history sent with each call (default 12,000).
    pub context_budget: usize,
    pub max_tokens: Option<u32>,
}

impl AgentSettings {
    pub fn new(client: AiClient, model: impl Into<String>) -> AgentSettings {
        AgentSettings {
            client,
            model: model.into(),
            vision_model: None,
            max_steps: 8,
            context_budget: 12_000,
            max_tokens: None,
        }
    }
}

/// One thing the user says.
#[derive(Debug, Clone, Default)]
pub struct TurnInput {
    /// Continue this conversation (default: start one).
    pub conversation_id: Option<Uuid>,
    pub message: String,
    pub images: Vec<ImageData>,
}

/// What the client is told while a turn runs (the SSE events of `POST /api/v1/chat`).
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChatEvent {
    /// First event: the conversation the turn belongs to.
    Conversation {
        conversation_id: Uuid,
        title: String,
        /// When a quick reply picked an option ("1"), the option's text as stored.
        message: String,
    },
    /// A piece of the model's text, as it arrives.
    TextDelta { text: String },
    /// A tool is being run.
    ToolCall { name: String },
    /// A write: exactly what was written, with its undo action.
    ToolCard { card: Card },
    /// A tool call failed; the model is told why and may try again.
    ToolError { name: String, message: String },
    /// The assistant asks: show the options as quick replies.
    Question { question: Question },
    /// Last event of a successful turn. `text` is authoritative: after writes it is the
    /// server's confirmation built from the cards, not the model's words.
    Done {
        conversation_id: Uuid,
        text: String,
        cards: Vec<Card>,
        tokens_in: u32,
        tokens_out: u32,
    },
    /// Last event of a failed turn; writes already made stay (each has its card).
    Error { code: String, message: String },
}

/// A turn that passed validation, with its user message stored.
#[derive(Debug)]
pub struct PreparedTurn {
    pub user_id: Uuid,
    pub conversation_id: Uuid,
    pub title: String,
    /// The message as stored (a quick reply resolved to its option's text).
    pub message: String,
    /// The message came with photos: the vision model answers.
    pub has_images: bool,
    context: Vec<Message>,
    system: String,
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
    let message = match pending_question(tx, conversation.id).await? {
        Some(q) => q.pick(text).map(str::to_string).unwrap_or(text.to_string()),
        None => text.to_string(),
    };
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
        has_images,
        context,
        system,
    })
}

/// The question the conversation's last message asked, if it did.
async fn pending_question(tx: &mut UserTx, conversation_id: Uuid) -> AppResult<Option<Question>> {
    let last = chat::messages(tx, conversation_id, 1).await?;
    Ok(last
        .first()
        .filter(|m| m.role == ChatRole::Tool)
        .and_then(|m| m.card.as_ref())
        .and_then(|c| c.get("question"))
        .and_then(|q| serde_json::from_value(q.clone()).ok()))
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

/// Tools that write food to the diary: refused in a turn with photos until the user confirmed.
const PHOTO_GUARDED_TOOLS: &[&str] = &["log_food", "quick_add"];

async fn send(events: &mpsc::Sender<ChatEvent>, event: ChatEvent) {
    // A client that went away does not stop the turn: what it started is finished and stored.
    let _ = events.send(event).await;
}

/// Runs the turn, streaming events; the last event is `done` or `error`.
pub async fn run(
    db: &Database,
    settings: &AgentSettings,
    ctx_interactive: bool,
    turn: PreparedTurn,
    events: mpsc::Sender<ChatEvent>,
) {
    send(
        &events,
        ChatEvent::Conversation {
            conversation_id: turn.conversation_id,
            title: turn.title.clone(),
            message: turn.message.clone(),
        },
    )
    .await;
    match run_steps(db, settings, ctx_interactive, &turn, &events).await {
        Ok(done) => send(&events, done).await,
        Err(e) => {
            let (code, message) = match &e {
                StepError::Ai(e) => (e.code().to_string(), e.to_string()),
                StepError::App(e) => ("internal".to_string(), app_message(e)),
                StepError::StepLimit(n) => (
                    "step_limit".to_string(),
                    format!("stopped after {n} model calls without an answer"),
                ),
            };
            // The failure is part of the history (best effort: the database may be the problem).
            if let Ok(mut tx) = db.as_user(turn.user_id).await {
                let stored = chat::append(
                    &mut tx,
                    turn.conversation_id,
                    &NewMessage {
                        role: Some(ChatRole::Assistant),
                        provider: Some(settings.client.label().to_string()),
                        model: Some(settings.model.clone()),
                        error: Some(message.clone()),
                        ..Default::default()
                    },
                )
                .await;
                if stored.is_ok() {
                    let _ = tx.commit().await;
                }
            }
            send(&events, ChatEvent::Error { code, message }).await;
        }
    }
}

fn app_message(e: &AppError) -> String {
    match e {
        AppError::Internal(_) => "something went wrong on the server".into(),
        other => other.to_string(),
    }
}

#[derive(Debug)]
enum StepError {
    Ai(sparky_ai::AiError),
    App(AppError),
    StepLimit(usize),
}

impl From<AppError> for StepError {
    fn from(e: AppError) -> StepError {
        StepError::App(e)
    }
}

impl From<sparky_db::DbError> for StepError {
    fn from(e: sparky_db::DbError) -> StepError {
        StepError::App(e.into())
    }
}

async fn run_steps(
    db: &Database,
    settings: &AgentSettings,
    interactive: bool,
    turn: &PreparedTurn,
    events: &mpsc::Sender<ChatEvent>,
) -> Result<ChatEvent, StepError> {
    let ctx = ToolContext {
        conversation_id: Some(turn.conversation_id),
        interactive,
    };
    let model = match (&settings.vision_model, turn.has_images) {
        (Some(v), true) => v.clone(),
        _ => settings.model.clone(),
    };
    let mut messages = turn.context.clone();
    let mut cards: Vec<Card> = Vec::new();
    let (mut tokens_in, mut tokens_out) = (0u32, 0u32);
    for _ in 0..settings.max_steps {
        let request = ChatRequest {
            model: model.clone(),
            system: Some(turn.system.clone()),
            messages: messages.clone(),
            tools: tools::definitions(&ctx),
            options: ChatOptions {
                max_tokens: settings.max_tokens,
                ..Default::default()
            },
        };
        let started = Instant::now();
        let mut stream = settings
            .client
            .stream(&request)
            .await
            .map_err(StepError::Ai)?;
        let mut text = String::new();
        let mut calls: Vec<ToolCall> = Vec::new();
        let mut usage = None;
        while let Some(event) = stream.next().await {
            match event.map_err(StepError::Ai)? {
                StreamEvent::TextDelta(t) => {
                    text.push_str(&t);
                    send(events, ChatEvent::TextDelta { text: t }).await;
                }
                StreamEvent::ToolCallStarted { name, .. } => {
                    send(events, ChatEvent::ToolCall { name }).await;
                }
                StreamEvent::ToolCall(call) => calls.push(call),
                StreamEvent::Usage(u) => usage = Some(u),
                StreamEvent::ReasoningDelta(_) | StreamEvent::Finish(_) => {}
            }
        }
        let latency = started.elapsed().as_millis().min(u32::MAX as u128) as u32;
        if let Some(u) = usage {
            tokens_in = tokens_in.saturating_add(u.input_tokens);
            tokens_out = tokens_out.saturating_add(u.output_tokens);
        }
        let final_answer = calls.is_empty();
        let shown = if final_answer {
            final_text(&text, &cards)
        } else {
            text.clone()
        };
        let mut tx = db.as_user(turn.user_id).await?;
        chat::append(
            &mut tx,
            turn.conversation_id,
            &NewMessage {
                role: Some(ChatRole::Assistant),
                content: shown.clone(),
                tool_calls: (!calls.is_empty()).then(|| json!(calls)),
                provider: Some(settings.client.label().to_string()),
                model: Some(model.clone()),
                tokens_in: usage.map(|u| u.input_tokens),
                tokens_out: usage.map(|u| u.output_tokens),
                latency_ms: Some(latency),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        if final_answer {
            return Ok(ChatEvent::Done {
                conversation_id: turn.conversation_id,
                text: shown,
                cards,
                tokens_in,
                tokens_out,
            });
        }
        messages.push(Message::Assistant {
            text,
            tool_calls: calls.clone(),
        });
        let mut asked: Option<Question> = None;
        for call in &calls {
            let outcome = run_tool(db, turn, &ctx, call).await?;
            if let Some(card) = &outcome.card {
                cards.push(card.clone());
                send(events, ChatEvent::ToolCard { card: card.clone() }).await;
            }
            if outcome.is_error {
                send(
                    events,
                    ChatEvent::ToolError {
                        name: call.name.clone(),
                        message: outcome.content.clone(),
                    },
                )
                .await;
            }
            if let Some(q) = outcome.question {
                send(
                    events,
                    ChatEvent::Question {
                        question: q.clone(),
                    },
                )
                .await;
                asked = Some(q);
            }
            messages.push(Message::tool_result(
                call.id.clone(),
                outcome.content,
                outcome.is_error,
            ));
        }
        if let Some(q) = asked {
            let mut text = final_text("", &cards);
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str(&q.question);
            for (i, o) in q.options.iter().enumerate() {
                text.push_str(&format!("\n{}. {o}", i + 1));
            }
            return Ok(ChatEvent::Done {
                conversation_id: turn.conversation_id,
                text,
                cards,
                tokens_in,
                tokens_out,
            });
        }
    }
    Err(StepError::StepLimit(settings.max_steps))
}

struct ToolOutcome {
    content: String,
    is_error: bool,
    card: Option<Card>,
    question: Option<Question>,
}

/// Runs one call in its own transaction, committed with the stored result (a failed call
/// writes nothing; only its error is stored).
async fn run_tool(
    db: &Database,
    turn: &PreparedTurn,
    ctx: &ToolContext,
    call: &ToolCall,
) -> Result<ToolOutcome, StepError> {
    if turn.has_images && ctx.interactive && PHOTO_GUARDED_TOOLS.contains(&call.name.as_str()) {
        let outcome = ToolOutcome {
            content: "this message came with a photo: amounts estimated from a photo are logged only \
                      after the user confirms them. Call ask_user with the foods and grams you \
                      estimated (options like \"Log all\" and \"Let me correct\"); log after the answer."
                .into(),
            is_error: true,
            card: None,
            question: None,
        };
        let mut tx = db.as_user(turn.user_id).await?;
        store_result(&mut tx, turn, call, &outcome).await?;
        tx.commit().await?;
        return Ok(outcome);
    }
    let mut outcome = match call.parse_arguments() {
        Err(bad) => ToolOutcome {
            content: bad.to_string(),
            is_error: true,
            card: None,
            question: None,
        },
        Ok(args) => {
            let mut tx = db.as_user(turn.user_id).await?;
            match tools::call(&mut tx, ctx, &call.name, args).await {
                Ok(out) => {
                    let outcome = ToolOutcome {
                        content: out.result.to_string(),
                        is_error: false,
                        card: out.card,
                        question: out.question,
                    };
                    store_result(&mut tx, turn, call, &outcome).await?;
                    tx.commit().await?;
                    return Ok(outcome);
                }
                Err(e @ (AppError::Unavailable(_) | AppError::Timeout)) => return Err(e.into()),
                Err(e) => {
                    drop(tx);
                    ToolOutcome {
                        content: tool_error_text(&e),
                        is_error: true,
                        card: None,
                        question: None,
                    }
                }
            }
        }
    };
    let mut tx = db.as_user(turn.user_id).await?;
    store_result(&mut tx, turn, call, &outcome).await?;
    tx.commit().await?;
    outcome.card = None;
    Ok(outcome)
}

fn tool_error_text(e: &AppError) -> String {
    match e {
        AppError::Internal(_) => "the tool failed on the server".into(),
        AppError::NotFound(what) => format!(
            "{what} not found (or not shared with you): check the id, search again, or ask the user"
        ),
        other => other.to_string(),
    }
}

async fn store_result(
    tx: &mut UserTx,
    turn: &PreparedTurn,
    call: &ToolCall,
    outcome: &ToolOutcome,
) -> AppResult<()> {
    let card = match (&outcome.card, &outcome.question) {
        (Some(card), _) => Some(serde_json::to_value(card).unwrap_or(Value::Null)),
        (None, Some(q)) => Some(json!({ "question": q })),
        _ => None,
    };
    chat::append(
        tx,
        turn.conversation_id,
        &NewMessage {
            role: Some(ChatRole::Tool),
            content: outcome.content.clone(),
            tool_call_id: Some(call.id.clone()),
            is_error: outcome.is_error,
            card,
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

const CLAIMS: &[&str] = &[
    "logged", "added", "recorded", "saved", "updated", "deleted", "removed", "undone", "undid",
    "tracked",
];

fn claims_a_write(text: &str) -> bool {
    let lower = text.to_lowercase();
    CLAIMS.iter().any(|w| lower.contains(w))
}

/// The text shown at the end of a turn. After writes: the confirmation from the cards (and the
/// model's words only when they claim no write of their own). Without writes, a model text that
/// claims one gets a note that nothing was changed.
pub fn final_text(model_text: &str, cards: &[Card]) -> String {
    let model_text = model_text.trim();
    if cards.is_empty() {
        if claims_a_write(model_text) {
            return format!("{model_text}\n\n(Nothing was changed in this turn.)");
        }
        return model_text.to_string();
    }
    let mut out = String::new();
    let mut kcal = rust_decimal::Decimal::ZERO;
    let mut food_cards = 0;
    for card in cards {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&card.title);
        out.push(':');
        for line in &card.lines {
            out.push_str("\n- ");
            out.push_str(line);
        }
        if matches!(card.tool.as_str(), "log_food" | "quick_add") {
            food_cards += 1;
            if let Some(c) = card.written["nutrients"]["calories"]
                .as_f64()
                .and_then(|c| rust_decimal::Decimal::try_from(c).ok())
            {
                kcal += c;
            }
        }
    }
    if food_cards > 1 {
        out.push_str(&format!("\nTotal: {} kcal", kcal.round_dp(0)));
    }
    if !model_text.is_empty() && !claims_a_write(model_text) {
        out.push_str("\n\n");
        out.push_str(model_text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(title: &str, line: &str, kcal: f64) -> Card {
        Card {
            action_id: Some(Uuid::nil()),
            tool: "log_food".into(),
            title: title.into(),
            lines: vec![line.into()],
            user_id: Uuid::nil(),
            written: json!({"nutrients": {"calories": kcal}}),
        }
    }

    #[test]
    fn the_confirmation_comes_from_the_cards_not_the_model() {
        let cards = [
            card("Logged to breakfast", "Egg: 143 kcal", 143.0),
            card("Logged to breakfast", "Toast: 80 kcal", 80.0),
        ];
        let t = final_text("I logged 3 eggs and a pizza!", &cards);
        assert!(
            t.contains("Egg: 143 kcal") && t.contains("Toast: 80 kcal"),
            "{t}"
        );
        assert!(t.contains("Total: 223 kcal"), "{t}");
        assert!(
            !t.contains("pizza"),
            "a claim of the model's own is not repeated: {t}"
        );
        let t = final_text("Enjoy your breakfast.", &cards);
        assert!(t.ends_with("Enjoy your breakfast."), "{t}");
        let t = final_text("Done, I logged it.", &[]);
        assert!(t.contains("Nothing was changed"), "{t}");
        assert_eq!(
            final_text("You ate 1200 kcal today.", &[]),
            "You ate 1200 kcal today."
        );
    }
}

/// A photo sent with a message (resized by the client).
#[derive(Debug, Clone, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageInput {
    /// image/jpeg, image/png, image/webp or image/gif.
    #[schema(max_length = 50)]
    pub media_type: String,
    /// Standard base64 of the image bytes (the request body limit, 1 MiB by default, bounds it).
    #[schema(max_length = 1048576)]
    pub data: String,
}

/// Say something to the assistant.
#[derive(Debug, Clone, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatInput {
    /// Continue this conversation (default: start a new one).
    pub conversation_id: Option<Uuid>,
    /// What you say; a quick reply may be the option's number ("1") or its text.
    #[schema(max_length = 8000)]
    pub message: String,
    /// At most 4 photos.
    #[serde(default)]
    #[schema(max_items = 4)]
    pub images: Vec<ImageInput>,
}

impl ChatInput {
    pub fn parse(self) -> AppResult<TurnInput> {
        let mut v = crate::Validation::new();
        for (i, img) in self.images.iter().enumerate() {
            v.check(
                matches!(
                    img.media_type.as_str(),
                    "image/jpeg" | "image/png" | "image/webp" | "image/gif"
                ),
                &format!("images[{i}].media_type"),
                "must be image/jpeg, image/png, image/webp or image/gif",
            );
            use base64::Engine;
            v.check(
                base64::engine::general_purpose::STANDARD
                    .decode(img.data.trim())
                    .is_ok(),
                &format!("images[{i}].data"),
                "must be standard base64",
            );
        }
        v.finish()?;
        Ok(TurnInput {
            conversation_id: self.conversation_id,
            message: self.message,
            images: self
                .images
                .into_iter()
                .map(|i| ImageData {
                    media_type: i.media_type,
                    data: i.data.trim().to_string(),
                })
                .collect(),
        })
    }
}
