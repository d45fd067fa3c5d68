//! Tools on foods: search the catalog, log an amount of a food, quick add.

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};
use sparky_core::nutrition::Nutrients;
use sparky_core::{Amount, MealType};
use sparky_db::UserTx;
use uuid::Uuid;

use super::actions::{Card, Undo};
use crate::diary::{self, DiaryEntry, LogFoodInput, QuickAddInput};
use crate::error::{AppError, AppResult};

use super::{
    acting, compact_entry, date_value, day_arg, entry_line, kcal, to_value, write_card,
    ToolContext, ToolOutput, LARGE_ENTRY_KCAL,
};

#[derive(Deserialize)]
pub(super) struct SearchArgs {
    query: String,
    limit: Option<i64>,
}

pub(super) async fn search_foods(tx: &mut UserTx, a: SearchArgs) -> AppResult<ToolOutput> {
    let limit = a.limit.unwrap_or(5).clamp(1, 10);
    let s = crate::foods::Search::parse(Some(&a.query), Some(limit), None, None)?;
    let page = crate::foods::search(tx, &s).await?;
    let foods: Vec<Value> = page
        .items
        .iter()
        .map(|f| {
            json!({"food_id": f.id, "name": f.name, "brand": f.brand,
                   "servings": f.servings.iter().map(|s| json!({
                       "serving_id": s.id, "serving": s.description, "unit": s.unit,
                       "default": s.is_default, "nutrients": s.nutrients})).collect::<Vec<_>>()})
        })
        .collect();
    Ok(ToolOutput::read(json!({"foods": foods})))
}

#[derive(Deserialize)]
pub(super) struct LogFoodArgs {
    food_id: Uuid,
    quantity: Amount,
    unit: Option<String>,
    serving_id: Option<Uuid>,
    meal: MealType,
    date: Option<String>,
    #[serde(default)]
    confirm_large: bool,
    user_id: Option<Uuid>,
}

pub(super) async fn log_food(
    tx: &mut UserTx,
    ctx: &ToolContext,
    a: LogFoodArgs,
) -> AppResult<ToolOutput> {
    let who = acting(a.user_id);
    let date = day_arg(tx, who, a.date.as_deref()).await?;
    let input = LogFoodInput {
        food_item_id: a.food_id,
        nutrition_data_id: a.serving_id,
        quantity: a.quantity,
        unit: a.unit,
        meal_type: a.meal,
        date: Some(date_value(date)?),
        consumed_at: None,
    };
    let entry = diary::log(tx, who, &input.parse()?).await?;
    unless_large(
        ctx,
        a.confirm_large,
        &entry,
        "quantity",
        "check the unit (grams vs servings)",
    )?;
    let title = format!("Logged to {} on {}", entry.meal_type, entry.date);
    entry_logged(tx, ctx, "log_food", title, &entry).await
}

#[derive(Deserialize)]
pub(super) struct QuickAddArgs {
    name: Option<String>,
    meal: MealType,
    calories: Option<Amount>,
    protein: Option<Amount>,
    carbohydrates: Option<Amount>,
    fat: Option<Amount>,
    date: Option<String>,
    #[serde(default)]
    confirm_large: bool,
    user_id: Option<Uuid>,
}

/// Refuses an entry over [`LARGE_ENTRY_KCAL`] unless the user confirmed it (a unit mix-up once
/// logged 26,325 kcal). The caller's transaction is rolled back on this error: nothing was
/// written. Said in the caller's terms: the chat's model has ask_user, an MCP client its user.
fn unless_large(
    ctx: &ToolContext,
    confirmed: bool,
    entry: &DiaryEntry,
    field: &str,
    check: &str,
) -> AppResult<()> {
    let large = entry
        .nutrients
        .calories
        .is_some_and(|c| c > Decimal::from(LARGE_ENTRY_KCAL));
    if !large || (confirmed && ctx.may_confirm_large()) {
        return Ok(());
    }
    let ask = match ctx.interactive {
        true => {
            "ask the user (ask_user, with a yes option); log it with confirm_large only in the \
             turn where they answered yes"
        }
        false => "confirm it with the user, then call again with confirm_large: true",
    };
    Err(AppError::invalid(
        field,
        format!(
            "that comes to {}, more than {LARGE_ENTRY_KCAL} kcal: {check} and {ask}",
            kcal(&entry.nutrients)
        ),
    ))
}

pub(super) async fn quick_add(
    tx: &mut UserTx,
    ctx: &ToolContext,
    a: QuickAddArgs,
) -> AppResult<ToolOutput> {
    let who = acting(a.user_id);
    let date = day_arg(tx, who, a.date.as_deref()).await?;
    let nutrients = Nutrients {
        calories: a.calories.map(|x| x.0),
        protein: a.protein.map(|x| x.0),
        carbohydrates: a.carbohydrates.map(|x| x.0),
        fat: a.fat.map(|x| x.0),
        ..Nutrients::default()
    };
    let entry = diary::quick_add(
        tx,
        who,
        QuickAddInput {
            name: a.name,
            meal_type: a.meal,
            date: Some(date_value(date)?),
            consumed_at: None,
            nutrients,
        },
    )
    .await?;
    unless_large(ctx, a.confirm_large, &entry, "calories", "check the number")?;
    let title = format!("Quick add to {} on {}", entry.meal_type, entry.date);
    entry_logged(tx, ctx, "quick_add", title, &entry).await
}

/// The card of a diary entry a tool logged (Undo deletes it) and its result for the model.
async fn entry_logged(
    tx: &mut UserTx,
    ctx: &ToolContext,
    tool: &'static str,
    title: String,
    entry: &DiaryEntry,
) -> AppResult<ToolOutput> {
    let card = Card {
        action_id: None,
        proposal_id: None,
        tool: tool.into(),
        title,
        lines: vec![entry_line(entry)],
        user_id: entry.user_id,
        written: to_value(entry),
    };
    let result = json!({"logged": compact_entry(entry)});
    write_card(
        tx,
        ctx,
        tool,
        Undo::DeleteDiaryEntry { id: entry.id },
        card,
        result,
    )
    .await
}
