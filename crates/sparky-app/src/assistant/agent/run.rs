//! Running a turn: the loop of model calls and tool calls, streaming events to the client.

use std::time::Instant;

use futures::StreamExt;
use serde_json::json;
use sparky_ai::{ChatOptions, ChatRequest, Message, StreamEvent, ToolCall};
use sparky_db::Database;
use tokio::sync::mpsc;

use super::confirmation::final_text;
use super::prepare::PreparedTurn;
use super::tool_call::{dropped_note, run_tool, MAX_TOOL_CALLS_PER_STEP};
use super::{AgentSettings, ChatEvent};

/// The most of one model answer's text that is stored (64 KiB; a reply is a few hundred bytes).
const MAX_ANSWER_BYTES: usize = 64 * 1024;
use crate::assistant::actions::Card;
use crate::assistant::tools::{self, Question, ToolContext};
use crate::chat::{self, ChatRole, NewMessage};
use crate::error::AppError;

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
                StepError::TokenBudget => (
                    "token_budget".to_string(),
                    "stopped: this answer used up today's assistant token budget (it starts \
                     again at midnight UTC); what was done so far is kept"
                        .to_string(),
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
pub(super) enum StepError {
    Ai(sparky_ai::AiError),
    App(AppError),
    StepLimit(usize),
    TokenBudget,
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
        user_said_yes: turn.said_yes,
        review: interactive && settings.review_writes,
    };
    let model = match (&settings.vision_model, turn.has_images) {
        (Some(v), true) => v.clone(),
        _ => settings.model.clone(),
    };
    let mut messages = turn.context.clone();
    let mut cards: Vec<Card> = Vec::new();
    let (mut tokens_in, mut tokens_out) = (0u32, 0u32);
    for step in 0..settings.max_steps {
        // The daily budget holds within a turn too: no further call once this turn spent
        // what was left (the tool results of the last call are stored already).
        let spent = u64::from(tokens_in) + u64::from(tokens_out);
        if step > 0 && settings.tokens_left.is_some_and(|left| spent >= left) {
            return Err(StepError::TokenBudget);
        }
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
                // Past what is stored, more text is neither kept nor shown.
                StreamEvent::TextDelta(t) if text.len() <= MAX_ANSWER_BYTES => {
                    text.push_str(&t);
                    send(events, ChatEvent::TextDelta { text: t }).await;
                }
                StreamEvent::TextDelta(_) => {}
                StreamEvent::ToolCallStarted { name, .. } => {
                    send(events, ChatEvent::ToolCall { name }).await;
                }
                StreamEvent::ToolCall(call) => calls.push(call),
                StreamEvent::Usage(u) => usage = Some(u),
                StreamEvent::ReasoningDelta(_) | StreamEvent::Finish(_) => {}
            }
        }
        let dropped = calls.len().saturating_sub(MAX_TOOL_CALLS_PER_STEP);
        calls.truncate(MAX_TOOL_CALLS_PER_STEP);
        // What is stored and sent back as context is bounded (a model that did not stop
        // stored 4.4 MB in one answer); what was streamed was shown as it came.
        if text.len() > MAX_ANSWER_BYTES {
            let mut end = MAX_ANSWER_BYTES;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
            text.push('…');
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
        for (position, call) in calls.iter().enumerate() {
            let note = (dropped > 0 && position + 1 == calls.len()).then(|| dropped_note(dropped));
            let outcome = run_tool(db, turn, &ctx, call, note.as_deref()).await?;
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
