//! The assistant's writes, logged so that each can be undone: from its card's Undo button
//! (`POST /api/v1/chat/actions/{id}/undo`) or by asking ("undo that"). Undoing calls the same
//! delete/update operations as the API, so RLS decides exactly as it did for the write.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sparky_core::{Amount, Date};
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::acting::{Acting, Area};
use crate::error::{AppError, AppResult};
use crate::goals::UpdateGoalInput;

/// What undoing a write takes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Undo {
    DeleteDiaryEntry {
        id: Uuid,
    },
    /// Several entries logged at once (a confirmed meal photo); entries already deleted by
    /// hand are skipped.
    DeleteDiaryEntries {
        ids: Vec<Uuid>,
    },
    DeleteWorkout {
        id: Uuid,
    },
    /// Several workouts written at once (a copied day); ones already deleted are skipped.
    DeleteWorkouts {
        ids: Vec<Uuid>,
    },
    DeleteMeasurement {
        id: Uuid,
    },
    DeleteGoal {
        id: Uuid,
    },
    /// Put back a diary entry the assistant deleted, exactly as it was (its row as
    /// `diary::remove` returned it).
    RestoreDiaryEntry {
        entry: Value,
    },
    /// Take a meal plan the assistant applied off the days it wrote (its entries and the
    /// days' plan rows).
    UnapplyMealPlan {
        template_id: Uuid,
        user_id: Uuid,
        dates: Vec<chrono::NaiveDate>,
    },
    /// A recipe the assistant saved (diary entries already logged from it stay).
    DeleteRecipe {
        id: Uuid,
    },
    /// Put a goal's target back as it was (the unit is the goal's own).
    RestoreGoalTarget {
        id: Uuid,
        target_value: Option<Decimal>,
        target_unit: String,
        /// The days of the week as they were, when the change set them (empty: none);
        /// absent: the change left them alone (and in actions written before they existed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by_weekday: Option<crate::goals::WeekdayTargets>,
    },
}

/// What a write did, as shown to the user: exactly the rows written, with the way back.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Card {
    /// The logged action; `POST /api/v1/chat/actions/{action_id}/undo` undoes it. Null on a
    /// card that reports an undo.
    pub action_id: Option<Uuid>,
    /// A write proposed for review, not made yet: `POST /api/v1/chat/proposals/{proposal_id}/save`
    /// makes it (answering the card of what it wrote), `…/discard` drops it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal_id: Option<Uuid>,
    /// The tool that wrote.
    pub tool: String,
    /// e.g. "Logged to breakfast".
    pub title: String,
    /// One line per row written, e.g. "Egg — 2 large (100 g): 143 kcal".
    pub lines: Vec<String>,
    /// Whose data was written.
    pub user_id: Uuid,
    /// The rows as the API returns them.
    #[schema(value_type = Object)]
    pub written: Value,
}

/// A logged write.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Action {
    pub id: Uuid,
    pub tool: String,
    pub card: Card,
    pub undone: bool,
    /// Undoing found nothing left to take back: what it wrote was deleted since.
    pub already_gone: bool,
    /// Undoing found nothing it may take back: what it wrote in someone else's data is no
    /// longer shared with the user (it stays there).
    pub no_longer_shared: bool,
    /// Undoing left what it wrote as it is: the user changed it since.
    pub changed_since: bool,
}

/// Whether row `id` of `table` was changed after `at` (the write an action made).
async fn changed_since(
    tx: &mut UserTx,
    table: &'static str,
    id: Uuid,
    at: chrono::DateTime<chrono::Utc>,
) -> AppResult<bool> {
    // `table` is always a literal from the caller, never input.
    let row = tx
        .query_opt(
            // The write's own transaction stamped the row with its start (now()), before the
            // action's clock_timestamp(); any later change stamps a later transaction's start.
            // (A second of slack let an edit made right after the write be undone with it.)
            &format!("SELECT updated_at > $2::timestamptz FROM {table} WHERE id = $1"),
            &[&id, &at],
        )
        .await?;
    Ok(row
        .and_then(|r| r.get::<_, Option<bool>>(0))
        .unwrap_or(false))
}

/// Logs a write; returns the action id to put on its card.
pub async fn record(
    tx: &mut UserTx,
    conversation_id: Option<Uuid>,
    tool: &str,
    undo: &Undo,
    card: &Card,
) -> AppResult<Uuid> {
    let undo = serde_json::to_value(undo).map_err(|e| AppError::internal(e.to_string()))?;
    let card = serde_json::to_value(card).map_err(|e| AppError::internal(e.to_string()))?;
    // clock_timestamp, not the transaction's now(): several writes of one transaction are
    // undone newest first too.
    let row = tx
        .query_one(
            "INSERT INTO assistant_actions (user_id, conversation_id, tool, undo, card, created_at)
             VALUES (auth.uid(), $1, $2, $3, $4, clock_timestamp()) RETURNING id",
            &[&conversation_id, &tool, &undo, &card],
        )
        .await?;
    Ok(row.get(0))
}

/// Stores the card again once its action id is known.
pub async fn set_card(tx: &mut UserTx, id: Uuid, card: &Card) -> AppResult<()> {
    let card = serde_json::to_value(card).map_err(|e| AppError::internal(e.to_string()))?;
    tx.execute(
        "UPDATE assistant_actions SET card = $2 WHERE id = $1",
        &[&id, &card],
    )
    .await?;
    Ok(())
}

/// Undoes one of the caller's logged writes (404 for anyone else's; 409 when already undone).
pub async fn undo(tx: &mut UserTx, id: Uuid) -> AppResult<Action> {
    let row = tx
        .query_opt(
            "UPDATE assistant_actions SET undone_at = now()
             WHERE id = $1 AND undone_at IS NULL
             RETURNING id, tool, undo, card, created_at",
            &[&id],
        )
        .await?;
    let Some(row) = row else {
        let exists = tx
            .query_opt("SELECT 1 FROM assistant_actions WHERE id = $1", &[&id])
            .await?
            .is_some();
        return Err(if exists {
            AppError::conflict("that was already undone")
        } else {
            AppError::NotFound("assistant action")
        });
    };
    apply(tx, &row).await
}

/// Undoes the caller's newest write that is not undone yet (404 when there is none).
pub async fn undo_last(tx: &mut UserTx) -> AppResult<Action> {
    let row = tx
        .query_opt(
            "UPDATE assistant_actions SET undone_at = now()
             WHERE id = (SELECT id FROM assistant_actions
                         WHERE user_id = auth.uid() AND undone_at IS NULL
                         ORDER BY created_at DESC, id DESC LIMIT 1 FOR UPDATE)
             RETURNING id, tool, undo, card, created_at",
            &[],
        )
        .await?
        .ok_or(AppError::NotFound("assistant action to undo"))?;
    apply(tx, &row).await
}

async fn apply(tx: &mut UserTx, row: &tokio_postgres::Row) -> AppResult<Action> {
    let undo: Undo = serde_json::from_value(row.get("undo"))
        .map_err(|e| AppError::internal(format!("stored undo: {e}")))?;
    let card: Card = serde_json::from_value(row.get("card"))
        .map_err(|e| AppError::internal(format!("stored card: {e}")))?;
    // What the action wrote may be gone already (deleted on a page, or a share ended): then
    // there is nothing left to take back, and the action counts as undone rather than
    // standing in front of every older one for good.
    let gone = |r: AppResult<()>| match r {
        Ok(()) => Ok(false),
        Err(AppError::NotFound(_)) => Ok(true),
        Err(e) => Err(e),
    };
    let mut already_gone = false;
    let area = match &undo {
        Undo::DeleteDiaryEntry { .. }
        | Undo::DeleteDiaryEntries { .. }
        | Undo::RestoreDiaryEntry { .. }
        | Undo::UnapplyMealPlan { .. }
        | Undo::DeleteWorkout { .. }
        | Undo::DeleteWorkouts { .. } => Area::Diary,
        Undo::DeleteMeasurement { .. } => Area::Measurements,
        Undo::DeleteGoal { .. } | Undo::RestoreGoalTarget { .. } => Area::Goals,
        Undo::DeleteRecipe { .. } => Area::FoodList,
    };
    // A row the user changed since the action wrote it (water corrected by hand) is theirs now:
    // undoing the action does not delete it.
    let written_at: chrono::DateTime<chrono::Utc> = row.get("created_at");
    let changed = match &undo {
        Undo::DeleteDiaryEntry { id } => changed_since(tx, "food_diary", *id, written_at).await?,
        Undo::DeleteWorkout { id } => changed_since(tx, "exercise_diary", *id, written_at).await?,
        Undo::DeleteMeasurement { id } => {
            changed_since(tx, "measurements", *id, written_at).await?
        }
        _ => false,
    };
    match undo {
        _ if changed => {}
        Undo::DeleteDiaryEntry { id } => already_gone = gone(crate::diary::delete(tx, id).await)?,
        Undo::DeleteDiaryEntries { ids } => {
            let mut left = 0;
            for id in &ids {
                left += usize::from(!gone(crate::diary::delete(tx, *id).await)?);
            }
            already_gone = left == 0;
        }
        Undo::RestoreDiaryEntry { entry } => {
            already_gone = match crate::diary::restore(tx, &entry).await {
                Ok(_) => false,
                // Put back already (by the page's Undo), or its day is gone from view.
                Err(AppError::Conflict(_) | AppError::NotFound(_)) => true,
                Err(e) => return Err(e),
            }
        }
        Undo::UnapplyMealPlan {
            template_id,
            user_id,
            dates,
        } => {
            let dates = crate::meal_plans::ApplyInput {
                from: None,
                to: None,
                dates: Some(
                    dates
                        .into_iter()
                        .map(Date::new)
                        .collect::<Result<_, _>>()
                        .map_err(|e| AppError::internal(format!("stored undo dates: {e}")))?,
                ),
            }
            .parse()?;
            let owner = Acting::new(Some(user_id));
            already_gone = match crate::meal_plans::unapply(tx, owner, template_id, &dates).await {
                Ok(done) => done.removed.is_empty(),
                Err(AppError::NotFound(_)) => true,
                Err(e) => return Err(e),
            }
        }
        Undo::DeleteWorkout { id } => already_gone = gone(crate::workouts::delete(tx, id).await)?,
        Undo::DeleteWorkouts { ids } => {
            let mut left = 0;
            for id in &ids {
                left += usize::from(!gone(crate::workouts::delete(tx, *id).await)?);
            }
            already_gone = left == 0;
        }
        Undo::DeleteMeasurement { id } => {
            already_gone = gone(crate::measurements::delete(tx, id).await)?
        }
        Undo::DeleteGoal { id } => already_gone = gone(crate::goals::delete(tx, id).await)?,
        Undo::DeleteRecipe { id } => already_gone = gone(crate::recipes::delete(tx, id).await)?,
        Undo::RestoreGoalTarget {
            id,
            target_value,
            target_unit,
            by_weekday,
        } => {
            if let Some(v) = target_value {
                let restored = crate::goals::update(
                    tx,
                    id,
                    UpdateGoalInput {
                        target_value: Some(Amount(v)),
                        target_unit: Some(target_unit),
                        target_date: None,
                        status: None,
                        start_value: None,
                        by_weekday,
                    },
                )
                .await;
                already_gone = gone(restored.map(|_| ()))?;
            }
        }
    }
    // Not found in someone else's data: deleted, or hidden because the share ended (which
    // row level security does not tell apart; the grant does).
    let no_longer_shared = already_gone
        && matches!(
            Acting::new(Some(card.user_id))
                .ensure_visible(tx, area)
                .await,
            Err(AppError::NotFound(_))
        );
    Ok(Action {
        id: row.get("id"),
        tool: row.get("tool"),
        card,
        undone: true,
        already_gone: already_gone && !no_longer_shared,
        no_longer_shared,
        changed_since: changed,
    })
}
