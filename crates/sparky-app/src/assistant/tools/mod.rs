//! The assistant's tools: one registry for the chat agent and the MCP server. Every tool parses
//! its arguments, calls the same operation the API calls (inside the caller's RLS
//! transaction) and answers with compact JSON for the model. Writes also return a [`Card`] of
//! exactly what was written, logged with the way to undo it.
//!
//! Foods are logged only from the catalog (a food id from `search_foods`, in grams or one of
//! its named servings): nutrients come from the food, never from the model. `user_id`
//! arguments act on a family member's data through the same RLS rules as `?user_id=`.

use chrono::{Duration, NaiveDate};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use sparky_core::nutrition::Nutrients;
use sparky_core::values::DateError;
use sparky_core::Date;
use sparky_db::UserTx;
use uuid::Uuid;

use super::actions::{self, Card, Undo};
use crate::acting::Acting;
use crate::diary::DiaryEntry;
use crate::error::{AppError, AppResult};

pub use answers::{picks_yes, says_yes, Question};
use body::{copy_workouts, log_exercise, log_measurement, log_water};
pub use definitions::definitions;
use definitions::refuse_unknown_arguments;
use diary::{copy_meal, delete_entry};
use foods::{log_food, quick_add, search_foods};
use goal::update_goal;
use plans::apply_meal_plan;
use reading::{
    read_day, read_goals, read_measurements, read_range, read_shopping_list, read_top_foods,
    read_workouts,
};
use recipe::{create_recipe, save_meal_as_recipe};

mod answers;
mod body;
mod definitions;
mod diary;
mod foods;
mod goal;
mod plans;
mod reading;
mod recipe;

/// An entry above this is refused unless the call confirms it: a unit mix-up (grams typed as
/// servings) once logged 26,325 kcal.
pub const LARGE_ENTRY_KCAL: i64 = 5000;

/// Where a tool runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct ToolContext {
    /// The chat the call belongs to (none for MCP).
    pub conversation_id: Option<Uuid>,
    /// Whether `ask_user` is offered (chat: yes; MCP: the client asks its user itself).
    pub interactive: bool,
    /// In a chat, whether the user's message of this turn says yes to a question the
    /// assistant asked: only then may it confirm an unusually large entry (`confirm_large`),
    /// so the model cannot confirm one itself.
    pub user_said_yes: bool,
    /// In a chat whose user chose to review writes: write tools propose instead of writing
    /// (see [`crate::assistant::proposals`]).
    pub review: bool,
}

impl ToolContext {
    /// Whether `confirm_large` counts: always for MCP (its client asks its user), in a chat
    /// only in a turn that answers a question with yes.
    pub fn may_confirm_large(&self) -> bool {
        !self.interactive || self.user_said_yes
    }
}

/// What a tool call produced.
#[derive(Debug, Clone)]
pub struct ToolOutput {
    /// What the model reads.
    pub result: Value,
    /// A write: what was written, with its undo action.
    pub card: Option<Card>,
    /// `ask_user`: the turn stops and waits for the answer.
    pub question: Option<Question>,
}

impl ToolOutput {
    fn read(result: Value) -> ToolOutput {
        ToolOutput {
            result,
            card: None,
            question: None,
        }
    }
}

/// Runs one tool. Errors are the operations' own (`AppError`); their Display is what the
/// model is told.
pub async fn call(
    tx: &mut UserTx,
    ctx: &ToolContext,
    name: &str,
    args: Value,
) -> AppResult<ToolOutput> {
    run(tx, ctx, name, args).await.map_err(in_tool_words)
}

async fn run(tx: &mut UserTx, ctx: &ToolContext, name: &str, args: Value) -> AppResult<ToolOutput> {
    // Every caller (the chat's model, MCP over HTTP or stdio) gets the API's text rule.
    if let Some((path, problem)) = sparky_core::text::control_path(&args, "") {
        let field = if path.is_empty() { "arguments" } else { &path };
        return Err(AppError::invalid(field, problem));
    }
    refuse_unknown_arguments(name, &args)?;
    match name {
        "search_foods" => search_foods(tx, args_of(args)?).await,
        "log_food" => log_food(tx, ctx, args_of(args)?).await,
        "quick_add" => quick_add(tx, ctx, args_of(args)?).await,
        "create_recipe" => create_recipe(tx, ctx, args_of(args)?).await,
        "save_meal_as_recipe" => save_meal_as_recipe(tx, ctx, args_of(args)?).await,
        "log_exercise" => log_exercise(tx, ctx, args_of(args)?).await,
        "log_measurement" => log_measurement(tx, ctx, args_of(args)?).await,
        "log_water" => log_water(tx, ctx, args_of(args)?).await,
        "copy_meal" => copy_meal(tx, ctx, args_of(args)?).await,
        "copy_workouts" => copy_workouts(tx, ctx, args_of(args)?).await,
        "delete_entry" => delete_entry(tx, ctx, args_of(args)?).await,
        "apply_meal_plan" => apply_meal_plan(tx, ctx, args_of(args)?).await,
        "read_day" => read_day(tx, args_of(args)?).await,
        "read_range_summary" => read_range(tx, args_of(args)?).await,
        "read_top_foods" => read_top_foods(tx, args_of(args)?).await,
        "read_measurements" => read_measurements(tx, args_of(args)?).await,
        "read_workouts" => read_workouts(tx, args_of(args)?).await,
        "read_goals" => read_goals(tx, args_of(args)?).await,
        "read_shopping_list" => read_shopping_list(tx, args_of(args)?).await,
        "update_goal" => update_goal(tx, ctx, args_of(args)?).await,
        "undo_last_action" => {
            let done = actions::undo_last(tx).await?;
            let title = if done.changed_since {
                format!(
                    "Nothing undone: {} was changed since, and is kept as it is",
                    done.card.title
                )
            } else if done.no_longer_shared {
                format!(
                    "Nothing undone: {} is no longer shared with you, and stays as it is",
                    done.card.title
                )
            } else if done.already_gone {
                format!("Nothing left to undo: {} (deleted since)", done.card.title)
            } else {
                format!("Undone: {}", done.card.title)
            };
            Ok(ToolOutput {
                result: json!({
                    "undone": done.card.title,
                    "lines": done.card.lines,
                    "already_removed": done.already_gone,
                    "no_longer_shared": done.no_longer_shared,
                    "changed_since": done.changed_since,
                }),
                card: Some(Card {
                    action_id: None,
                    proposal_id: None,
                    tool: "undo_last_action".into(),
                    title,
                    lines: done.card.lines.clone(),
                    user_id: done.card.user_id,
                    written: json!({"undone_action_id": done.id}),
                }),
                question: None,
            })
        }
        "ask_user" if ctx.interactive => {
            let q: Question = args_of(args)?;
            let question = q.question.trim().to_string();
            let options: Vec<String> = q
                .options
                .iter()
                .map(|o| o.trim().to_string())
                .filter(|o| !o.is_empty())
                .collect();
            if question.is_empty() || !(2..=6).contains(&options.len()) {
                return Err(AppError::invalid(
                    "options",
                    "ask one question with 2 to 6 non-empty options",
                ));
            }
            Ok(ToolOutput {
                result: json!({"asked": true}),
                card: None,
                question: Some(Question { question, options }),
            })
        }
        other => Err(AppError::invalid(
            "tool",
            format!("there is no tool named {other:?}"),
        )),
    }
}

/// A tool's arguments, or a refusal naming the argument in plain words ("quantity: must be a
/// number"; it was "arguments: UUID parsing failed: invalid character…").
fn args_of<T: DeserializeOwned>(args: Value) -> AppResult<T> {
    serde_path_to_error::deserialize(args).map_err(|e| {
        let (field, problem) = sparky_core::serde_words::field_problem(
            &e.path().to_string(),
            &e.inner().to_string(),
            "arguments",
        );
        AppError::invalid(&field, problem)
    })
}

/// A refusal of the operation a tool called, in the tool's argument names: the operations
/// speak the API's (`food_item_id`, `meal_type`, `nutrition_data_id`).
fn in_tool_words(e: AppError) -> AppError {
    match e {
        AppError::Invalid(fields) => AppError::Invalid(crate::error::FieldErrors(
            fields
                .0
                .into_iter()
                .map(|(field, problem)| {
                    let field = field
                        .replace("food_item_id", "food_id")
                        .replace("nutrition_data_id", "serving_id")
                        .replace("meal_type", "meal");
                    (field, problem)
                })
                .collect(),
        )),
        other => other,
    }
}

fn acting(user_id: Option<Uuid>) -> Acting {
    Acting::new(user_id)
}

/// A day argument: a date, `today` or `yesterday`, in the owner's timezone.
async fn day_arg(tx: &mut UserTx, acting: Acting, text: Option<&str>) -> AppResult<NaiveDate> {
    let text = text.map(str::trim).unwrap_or("today");
    if text.is_empty() || text.eq_ignore_ascii_case("today") {
        return crate::days::today(tx, acting).await;
    }
    if text.eq_ignore_ascii_case("yesterday") {
        return Ok(crate::days::today(tx, acting).await? - Duration::days(1));
    }
    Date::parse(text).map(Date::get).map_err(|e| match e {
        DateError::Format => AppError::invalid("date", "must be YYYY-MM-DD, today or yesterday"),
        // A well-formed day out of range: the reason, so a model does not retry the same.
        e => AppError::invalid("date", e.to_string()),
    })
}

/// The days a copy tool names: `from_date` in the timezone of the diary copied from
/// ("yesterday" is theirs), `to_date` (default today) in the written one's; refusals name the
/// argument they came from.
async fn copy_days(
    tx: &mut UserTx,
    user_id: Option<Uuid>,
    from_user_id: Option<Uuid>,
    from_date: &str,
    to_date: Option<&str>,
) -> AppResult<(Date, Date)> {
    let renamed = reading::named;
    let from = day_arg(tx, acting(from_user_id.or(user_id)), Some(from_date))
        .await
        .and_then(date_value)
        .map_err(renamed("from_date"))?;
    let to = day_arg(tx, acting(user_id), to_date)
        .await
        .and_then(date_value)
        .map_err(renamed("to_date"))?;
    Ok((from, to))
}

fn date_value(d: NaiveDate) -> AppResult<Date> {
    Date::new(d).map_err(|e| AppError::invalid("date", e.to_string()))
}

fn kcal(n: &Nutrients) -> String {
    n.calories
        .map(|c| format!("{} kcal", c.round_dp(0)))
        .unwrap_or_else(|| "kcal unknown".into())
}

/// "Egg — 2 × 1 large (50 g): 143 kcal" for servings, "Egg — 2 lb: 1297 kcal" for an amount
/// in a unit (it read "2 lb of 1 medium (44 g)", as if a serving weighed 2 lb).
fn entry_line(e: &DiaryEntry) -> String {
    let quantity = e.quantity.0.normalize();
    let amount = match (e.food_item_id, e.serving.description.as_deref()) {
        (None, _) => String::new(),
        (Some(_), Some(d)) if e.unit == "serving" => format!(" — {quantity} × {d}"),
        (Some(_), _) => format!(" — {quantity} {}", e.unit),
    };
    format!("{}{amount}: {}", e.food_name, kcal(&e.nutrients))
}

fn compact_entry(e: &DiaryEntry) -> Value {
    json!({"entry_id": e.id, "food": e.food_name, "quantity": e.quantity, "unit": e.unit,
           "meal": e.meal_type, "date": e.date, "nutrients": e.nutrients})
}

fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

async fn write_card(
    tx: &mut UserTx,
    ctx: &ToolContext,
    tool: &str,
    undo: Undo,
    mut card: Card,
    result: Value,
) -> AppResult<ToolOutput> {
    let id = actions::record(tx, ctx.conversation_id, tool, &undo, &card).await?;
    card.action_id = Some(id);
    actions::set_card(tx, id, &card).await?;
    Ok(ToolOutput {
        result,
        card: Some(card),
        question: None,
    })
}
