//! The agent loop: the model answers, its tool calls run (each in its own short RLS
//! transaction as the signed-in user, committed together with the stored result), the results
//! go back to it, until it answers without tools, asks the user, or the step limit is reached.
//! Nothing waits on the model while a transaction is open.
//!
//! The final text is the server's when anything was written: a confirmation built from the
//! cards of what the tools wrote, so the model cannot claim a write that did not happen.

mod confirmation;
mod input;
mod prepare;
mod run;
mod tool_call;

use serde::Serialize;
use sparky_ai::AiClient;
use utoipa::ToSchema;
use uuid::Uuid;

use super::actions::Card;
use super::tools::Question;

pub use confirmation::final_text;
pub use input::{ChatInput, ImageInput, TurnInput};
pub use prepare::{prepare, PreparedTurn};
pub use run::run;

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
    /// Tokens left of the user's daily budget when the turn started: the turn makes no further
    /// model call once it has spent them (checked only at the start, one turn of 8 calls
    /// spent past the budget). None: no budget.
    pub tokens_left: Option<u64>,
    /// The user's choice to review writes: in a chat, write tools propose instead of writing
    /// (see `assistant::proposals`).
    pub review_writes: bool,
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
            tokens_left: None,
            review_writes: false,
        }
    }
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
