//! One tool call of the model's: run in its own transaction and stored with its result.

use serde_json::{json, Value};
use sparky_ai::ToolCall;
use sparky_db::{Database, UserTx};

use super::prepare::PreparedTurn;
use super::run::StepError;
use crate::assistant::actions::Card;
use crate::assistant::proposals;
use crate::assistant::tools::{self, Question, ToolContext};
use crate::chat::{self, ChatRole, NewMessage};
use crate::error::{AppError, AppResult};

/// Tools that write food to the diary: refused in a turn with photos until the user confirmed.
const PHOTO_GUARDED_TOOLS: &[&str] = &["log_food", "quick_add"];

/// Tool calls one answer of the model may make; the rest are dropped from the answer and the
/// last result says so (a model looping on one tool wrote 60 entries in one step; answering
/// each extra call stored 40,000 rows for one message).
pub const MAX_TOOL_CALLS_PER_STEP: usize = 12;

/// What the last kept call's result adds when an answer made `dropped` calls too many.
pub(super) fn dropped_note(dropped: usize) -> String {
    format!(
        "\n(Not run: {dropped} more tool calls of this answer; one answer makes at most \
         {MAX_TOOL_CALLS_PER_STEP}. Make the rest in your next answer, after these results.)"
    )
}

pub(super) struct ToolOutcome {
    pub(super) content: String,
    pub(super) is_error: bool,
    pub(super) card: Option<Card>,
    pub(super) question: Option<Question>,
}

/// Runs one call in its own transaction, committed with the stored result (a failed call
/// writes nothing; only its error is stored).
pub(super) async fn run_tool(
    db: &Database,
    turn: &PreparedTurn,
    ctx: &ToolContext,
    call: &ToolCall,
    note: Option<&str>,
) -> Result<ToolOutcome, StepError> {
    let noted = |mut outcome: ToolOutcome| {
        if let Some(n) = note {
            outcome.content.push_str(n);
        }
        outcome
    };
    let refused = if turn.has_images
        && ctx.interactive
        && PHOTO_GUARDED_TOOLS.contains(&call.name.as_str())
    {
        Some(
            "this message came with a photo: amounts estimated from a photo are logged only \
             after the user confirms them. Call ask_user with the foods and grams you \
             estimated (options like \"Log all\" and \"Let me correct\"); log after the answer."
                .into(),
        )
    } else {
        None
    };
    if let Some(content) = refused {
        let outcome = noted(ToolOutcome {
            content,
            is_error: true,
            card: None,
            question: None,
        });
        let mut tx = db.as_user(turn.user_id).await?;
        store_result(&mut tx, turn, call, &outcome).await?;
        tx.commit().await?;
        return Ok(outcome);
    }
    let outcome = match call.parse_arguments() {
        Err(bad) => ToolOutcome {
            content: bad.to_string(),
            is_error: true,
            card: None,
            question: None,
        },
        Ok(args) => {
            let mut tx = db.as_user(turn.user_id).await?;
            let ran = if proposals::proposes(ctx, &call.name) {
                proposals::propose(&mut tx, ctx, &call.name, args).await
            } else {
                tools::call(&mut tx, ctx, &call.name, args).await
            };
            match ran {
                Ok(out) => {
                    let outcome = noted(ToolOutcome {
                        content: out.result.to_string(),
                        is_error: false,
                        card: out.card,
                        question: out.question,
                    });
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
    let mut outcome = noted(outcome);
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
