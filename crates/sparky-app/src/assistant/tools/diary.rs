//! Tools that change the diary as a whole: copy a meal or a day, delete an entry.

use serde::Deserialize;
use serde_json::json;
use sparky_core::MealType;
use sparky_db::UserTx;
use uuid::Uuid;

use super::actions::{Card, Undo};
use crate::diary::{self, CopyInput};
use crate::error::{AppError, AppResult};

use super::{
    acting, compact_entry, copy_days, entry_line, to_value, write_card, ToolContext, ToolOutput,
};

#[derive(Deserialize)]
pub(super) struct CopyArgs {
    from_date: String,
    to_date: Option<String>,
    meal: Option<MealType>,
    from_user_id: Option<Uuid>,
    user_id: Option<Uuid>,
}

/// Copies a meal (or a whole day) as it was logged, through the operation behind
/// `POST /api/v1/diary/copy`. Undo deletes the copies.
pub(super) async fn copy_meal(
    tx: &mut UserTx,
    ctx: &ToolContext,
    a: CopyArgs,
) -> AppResult<ToolOutput> {
    let into = acting(a.user_id);
    let (from, to) = copy_days(
        tx,
        a.user_id,
        a.from_user_id,
        &a.from_date,
        a.to_date.as_deref(),
    )
    .await?;
    let input = CopyInput {
        from_date: from,
        to_date: to,
        meal_type: a.meal,
        from_user_id: a.from_user_id,
    };
    // The tool's words (`meal` for `meal_type`) are put in by `call`.
    let copied = diary::copy(tx, into, input).await?;
    let what = a.meal.map(MealType::as_str).unwrap_or("day");
    let Some(first) = copied.entries.first() else {
        return Err(AppError::invalid(
            "from_date",
            format!("there is nothing to copy: the {what} of {from} is empty"),
        ));
    };
    let card = Card {
        action_id: None,
        proposal_id: None,
        tool: "copy_meal".into(),
        title: format!("Copied the {what} of {from} to {to}"),
        lines: copied.entries.iter().map(entry_line).collect(),
        user_id: first.user_id,
        written: to_value(&copied),
    };
    let result = json!({"copied": copied.entries.iter().map(compact_entry).collect::<Vec<_>>()});
    let undo = Undo::DeleteDiaryEntries {
        ids: copied.entries.iter().map(|e| e.id).collect(),
    };
    write_card(tx, ctx, "copy_meal", undo, card, result).await
}

#[derive(Deserialize)]
pub(super) struct DeleteArgs {
    entry_id: Uuid,
}

/// Deletes one diary entry (the caller's, or a family member's they may change), keeping
/// everything it held so that Undo puts it back as it was.
pub(super) async fn delete_entry(
    tx: &mut UserTx,
    ctx: &ToolContext,
    a: DeleteArgs,
) -> AppResult<ToolOutput> {
    let entry = diary::entry(tx, a.entry_id).await.map_err(|e| match e {
        AppError::NotFound(_) => AppError::invalid(
            "entry_id",
            "no diary entry has this id; read the day (read_day) for its entries' ids",
        ),
        other => other,
    })?;
    let snapshot = diary::remove(tx, a.entry_id).await?;
    let card = Card {
        action_id: None,
        proposal_id: None,
        tool: "delete_entry".into(),
        title: format!("Deleted from {} on {}", entry.meal_type, entry.date),
        lines: vec![entry_line(&entry)],
        user_id: entry.user_id,
        written: to_value(&entry),
    };
    let result = json!({"deleted": compact_entry(&entry)});
    write_card(
        tx,
        ctx,
        "delete_entry",
        Undo::RestoreDiaryEntry { entry: snapshot },
        card,
        result,
    )
    .await
}
