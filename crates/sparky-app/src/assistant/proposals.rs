//! Natural-language logging with a review step: for a user who chose it, the chat's write
//! tools propose instead of writing. A proposal is worked out by running the tool in a
//! savepoint that is then rolled back, so its card shows exactly what saving would write; it
//! waits (`assistant_proposals`, the user's own under RLS) until the user saves it (the tool
//! runs again, for real, in the user's transaction, and its card gets an Undo) or discards it.

use serde_json::{json, Value};
use sparky_db::UserTx;
use uuid::Uuid;

use super::actions::Card;
use super::tools::{self, ToolContext, ToolOutput};
use crate::error::{AppError, AppResult};

/// The tools that write, and so propose when the user reviews writes. Undoing is not
/// proposed: asking for it is the decision.
pub const WRITE_TOOLS: &[&str] = &[
    "log_food",
    "quick_add",
    "create_recipe",
    "save_meal_as_recipe",
    "log_exercise",
    "log_measurement",
    "log_water",
    "update_goal",
    "copy_meal",
    "copy_workouts",
    "delete_entry",
    "apply_meal_plan",
];

/// Whether a call of `tool` in `ctx` proposes rather than writes.
pub fn proposes(ctx: &ToolContext, tool: &str) -> bool {
    ctx.review && WRITE_TOOLS.contains(&tool)
}

/// Runs a write tool without keeping what it wrote and stores it as a proposal. A refusal
/// (a bad argument, an unusually large entry) is the tool's own, and nothing is proposed.
pub async fn propose(
    tx: &mut UserTx,
    ctx: &ToolContext,
    tool: &str,
    args: Value,
) -> AppResult<ToolOutput> {
    let dry = ToolContext {
        review: false,
        ..*ctx
    };
    tx.execute("SAVEPOINT assistant_proposal", &[]).await?;
    let tried = tools::call(tx, &dry, tool, args.clone()).await;
    // Back to before the tool, whether it wrote or failed half-way.
    tx.execute("ROLLBACK TO SAVEPOINT assistant_proposal", &[])
        .await?;
    let out = tried?;
    let Some(mut card) = out.card else {
        return Ok(out);
    };
    card.action_id = None;
    card.title = format!("Not saved yet: {}", card.title);
    let card_json = serde_json::to_value(&card).map_err(|e| AppError::internal(e.to_string()))?;
    let row = tx
        .query_one(
            "INSERT INTO assistant_proposals (user_id, conversation_id, tool, arguments, card)
             VALUES (auth.uid(), $1, $2, $3, $4) RETURNING id",
            &[&ctx.conversation_id, &tool, &args, &card_json],
        )
        .await?;
    card.proposal_id = Some(row.get(0));
    Ok(ToolOutput {
        result: json!({
            "proposed": out.result,
            "saved": false,
            "note": "Not saved yet: the user reviews this card and saves or discards it. Do not \
                     call the tool again for it; say it is ready to review.",
        }),
        card: Some(card),
        question: None,
    })
}

/// Saves a proposal: runs its tool with its arguments in the caller's transaction (row level
/// security decides as for any write) and answers the card of what was written, with its
/// Undo. 404 for anyone else's; 409 once saved or discarded; a refusal of the tool (the food
/// was deleted since) leaves the proposal waiting.
pub async fn save(tx: &mut UserTx, id: Uuid) -> AppResult<Card> {
    let (tool, args, conversation_id) = undecided(tx, id).await?;
    // Saving is the user's yes: an unusually large entry the model marked confirm_large counts.
    let ctx = ToolContext {
        conversation_id,
        interactive: true,
        user_said_yes: true,
        review: false,
    };
    let out = tools::call(tx, &ctx, &tool, args).await?;
    let card = out
        .card
        .ok_or_else(|| AppError::internal(format!("{tool} wrote no card")))?;
    tx.execute(
        "UPDATE assistant_proposals SET decision = 'saved', decided_at = now(), action_id = $2
         WHERE id = $1",
        &[&id, &card.action_id],
    )
    .await?;
    Ok(card)
}

/// Drops a proposal: nothing is written. 404 for anyone else's; 409 once saved or discarded.
pub async fn discard(tx: &mut UserTx, id: Uuid) -> AppResult<()> {
    undecided(tx, id).await?;
    tx.execute(
        "UPDATE assistant_proposals SET decision = 'discarded', decided_at = now() WHERE id = $1",
        &[&id],
    )
    .await?;
    Ok(())
}

/// A proposal still waiting, locked: (tool, arguments, conversation).
async fn undecided(tx: &mut UserTx, id: Uuid) -> AppResult<(String, Value, Option<Uuid>)> {
    let row = tx
        .query_opt(
            "SELECT tool, arguments, conversation_id, decision FROM assistant_proposals
             WHERE id = $1 FOR UPDATE",
            &[&id],
        )
        .await?
        .ok_or(AppError::NotFound("proposal"))?;
    match row.get::<_, Option<String>>(3) {
        Some(decision) => Err(AppError::conflict(format!(
            "that proposal was {decision} already"
        ))),
        None => Ok((row.get(0), row.get(1), row.get(2))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tool added later that writes must be proposed too: every tool but the reads, the
    /// search, undo and the question is in [`WRITE_TOOLS`].
    #[test]
    fn every_tool_that_writes_is_proposed() {
        let ctx = ToolContext {
            interactive: true,
            ..ToolContext::default()
        };
        let names: Vec<String> = tools::definitions(&ctx)
            .into_iter()
            .map(|t| t.name)
            .collect();
        for name in &names {
            let writes = !(name.starts_with("read_")
                || matches!(
                    name.as_str(),
                    "search_foods" | "undo_last_action" | "ask_user"
                ));
            assert_eq!(WRITE_TOOLS.contains(&name.as_str()), writes, "{name}");
        }
        assert!(WRITE_TOOLS.iter().all(|w| names.iter().any(|n| n == w)));
    }
}
