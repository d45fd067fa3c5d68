//! The assistant's tools: one registry for the chat agent and the MCP server. Every tool parses
//! its arguments, calls the same operation the API calls (inside the caller's RLS
//! transaction) and answers with compact JSON for the model. Writes also return a [`Card`] of
//! exactly what was written, logged with the way to undo it.
//!
//! Foods are logged only from the catalog (a food id from `search_foods`, in grams or one of
//! its named servings): nutrients come from the food, never from the model. `user_id`
//! arguments act on a family member's data through the same RLS rules as `?user_id=`.

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sparky_ai::ToolDefinition;
use sparky_core::nutrition::Nutrients;
use sparky_core::{Amount, Date, DistanceUnit, GoalStatus, GoalType, MealType};
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

use super::actions::{self, Card, Undo};
use crate::acting::Acting;
use crate::diary::{self, DiaryEntry, LogFoodInput, QuickAddInput};
use crate::error::{AppError, AppResult};
use crate::workouts::input::{LogWorkoutInput, SetInput};

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
}

/// A question for the user with quick replies; typing the option's number or text picks it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Question {
    pub question: String,
    pub options: Vec<String>,
}

impl Question {
    /// The option a reply picks: its number ("1", "2.") or its text (any letter case).
    pub fn pick(&self, reply: &str) -> Option<&str> {
        let r = reply.trim().trim_end_matches(['.', ')']).trim();
        if let Ok(n) = r.parse::<usize>() {
            return n
                .checked_sub(1)
                .and_then(|i| self.options.get(i))
                .map(String::as_str);
        }
        self.options
            .iter()
            .find(|o| o.trim().eq_ignore_ascii_case(r))
            .map(String::as_str)
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

struct Tool {
    name: &'static str,
    description: &'static str,
    parameters: fn() -> Value,
    interactive_only: bool,
}

fn user_id_param() -> Value {
    json!({"type": "string", "format": "uuid",
           "description": "Act on a family member's data (they must have shared it with you). Omit for your own."})
}

fn date_param() -> Value {
    json!({"type": "string", "description": "YYYY-MM-DD, \"today\" or \"yesterday\" (default today)"})
}

fn meal_param() -> Value {
    json!({"type": "string", "enum": ["breakfast", "lunch", "dinner", "snack"]})
}

const TOOLS: &[Tool] = &[
    Tool {
        name: "search_foods",
        description: "Search the food catalog by name. Returns foods with their ids and servings (with nutrients). Use it before log_food.",
        parameters: || json!({"type": "object", "properties": {
            "query": {"type": "string", "description": "Food name, e.g. \"egg\""},
            "limit": {"type": "integer", "minimum": 1, "maximum": 10}},
            "required": ["query"]}),
        interactive_only: false,
    },
    Tool {
        name: "log_food",
        description: "Log an amount of a catalog food (food_id from search_foods) to the diary. The amount is in grams (unit \"g\") or in one of the food's servings (unit = the serving's word such as \"slice\" or \"large\", or \"serving\"). Nutrients come from the food; never estimate them here.",
        parameters: || json!({"type": "object", "properties": {
            "food_id": {"type": "string", "format": "uuid"},
            "quantity": {"type": "number", "exclusiveMinimum": 0},
            "unit": {"type": "string", "description": "g, oz, ml, cup, serving, or the serving's own word (slice, large, medium)"},
            "serving_id": {"type": "string", "format": "uuid", "description": "Which serving quantity counts (optional)"},
            "meal": meal_param(),
            "date": date_param(),
            "confirm_large": {"type": "boolean", "description": "Set only after the user confirmed an entry over 5000 kcal"},
            "user_id": user_id_param()},
            "required": ["food_id", "quantity", "meal"]}),
        interactive_only: false,
    },
    Tool {
        name: "quick_add",
        description: "Log calories and/or macros the user stated, without a food (e.g. \"a 600 kcal burrito\"). Only with numbers the user gave.",
        parameters: || json!({"type": "object", "properties": {
            "name": {"type": "string"},
            "meal": meal_param(),
            "calories": {"type": "number", "minimum": 0},
            "protein": {"type": "number", "minimum": 0},
            "carbohydrates": {"type": "number", "minimum": 0},
            "fat": {"type": "number", "minimum": 0},
            "date": date_param(),
            "user_id": user_id_param()},
            "required": ["meal"]}),
        interactive_only: false,
    },
    Tool {
        name: "log_exercise",
        description: "Log exercise: a catalog exercise by name (or id) with duration, distance, sets or calories.",
        parameters: || json!({"type": "object", "properties": {
            "exercise": {"type": "string", "description": "Exercise name, e.g. \"running\""},
            "exercise_id": {"type": "string", "format": "uuid"},
            "duration_minutes": {"type": "integer", "minimum": 0, "maximum": 10080},
            "distance": {"type": "number", "minimum": 0},
            "distance_unit": {"type": "string", "enum": ["km", "mi"]},
            "sets": {"type": "array", "maxItems": 100, "items": {"type": "object", "properties": {
                "reps": {"type": "integer"}, "weight": {"type": "number"}, "unit": {"type": "string", "enum": ["kg", "lb"]}}}},
            "calories_burned": {"type": "number", "minimum": 0},
            "date": date_param(),
            "user_id": user_id_param()}}),
        interactive_only: false,
    },
    Tool {
        name: "log_measurement",
        description: "Log a body measurement or check-in: weight, body_fat, waist, steps, heart rate and other measurement types.",
        parameters: || json!({"type": "object", "properties": {
            "type": {"type": "string", "description": "e.g. weight, body_fat, waist"},
            "value": {"type": "number"},
            "unit": {"type": "string", "description": "e.g. kg, lb, cm, in, % (default: the user's units)"},
            "date": date_param(),
            "user_id": user_id_param()},
            "required": ["type", "value"]}),
        interactive_only: false,
    },
    Tool {
        name: "log_water",
        description: "Log water drunk.",
        parameters: || json!({"type": "object", "properties": {
            "amount": {"type": "number", "exclusiveMinimum": 0},
            "unit": {"type": "string", "description": "ml, l, fl oz or cup (default ml)"},
            "date": date_param(),
            "user_id": user_id_param()},
            "required": ["amount"]}),
        interactive_only: false,
    },
    Tool {
        name: "read_day",
        description: "Read one day: diary entries per meal, totals, calories burned, water, targets and what remains, and the week's calorie budget (Monday to Sunday) so far.",
        parameters: || json!({"type": "object", "properties": {"date": date_param(), "user_id": user_id_param()}}),
        interactive_only: false,
    },
    Tool {
        name: "read_range_summary",
        description: "Daily totals (eaten, burned, water, weight) for a range of at most 92 days.",
        parameters: || json!({"type": "object", "properties": {
            "from": {"type": "string", "description": "YYYY-MM-DD"},
            "to": {"type": "string", "description": "YYYY-MM-DD"},
            "user_id": user_id_param()},
            "required": ["from", "to"]}),
        interactive_only: false,
    },
    Tool {
        name: "read_top_foods",
        description: "The foods that gave the most calories, or the most of one nutrient (protein, fiber, sodium, ...), over a period of at most 366 days: times logged, amount, share of the period's total, calories and macros. For questions like \"where does my sodium come from?\"",
        parameters: || json!({"type": "object", "properties": {
            "from": {"type": "string", "description": "YYYY-MM-DD (default: the 30 days up to `to`)"},
            "to": {"type": "string", "description": "YYYY-MM-DD, \"today\" or \"yesterday\" (default today)"},
            "by": {"type": "string", "enum": crate::reports::RankBy::ALL.map(|b| b.column())},
            "limit": {"type": "integer", "minimum": 1, "maximum": crate::reports::MAX_TOP_FOODS},
            "user_id": user_id_param()}}),
        interactive_only: false,
    },
    Tool {
        name: "read_goals",
        description: "Read the active goals (weight, calories, macros, water) with progress.",
        parameters: || json!({"type": "object", "properties": {"user_id": user_id_param()}}),
        interactive_only: false,
    },
    Tool {
        name: "update_goal",
        description: "Set the target of ONE goal type; every other goal stays as it is.",
        parameters: || json!({"type": "object", "properties": {
            "type": {"type": "string", "enum": ["weight_loss", "muscle_gain", "weight_target", "calorie_target",
                                                "protein_target", "carbs_target", "fat_target", "water_target"]},
            "target_value": {"type": "number", "exclusiveMinimum": 0},
            "target_unit": {"type": "string", "description": "kg/lb for weight, kcal, g, ml"},
            "by_weekday": {"type": "object", "additionalProperties": false,
                "description": "Daily targets only: days of the week with a target of their own (in target_unit), e.g. {\"saturday\": 2600, \"sunday\": 2600}; replaces the days set before, {} makes every day the same; leave it out to keep them",
                "properties": {"monday": {"type": "number"}, "tuesday": {"type": "number"},
                    "wednesday": {"type": "number"}, "thursday": {"type": "number"},
                    "friday": {"type": "number"}, "saturday": {"type": "number"},
                    "sunday": {"type": "number"}}},
            "user_id": user_id_param()},
            "required": ["type", "target_value"]}),
        interactive_only: false,
    },
    Tool {
        name: "undo_last_action",
        description: "Undo the most recent change the assistant made (a logged entry, measurement or goal change).",
        parameters: || json!({"type": "object", "properties": {}}),
        interactive_only: false,
    },
    Tool {
        name: "ask_user",
        description: "Ask the user a question with 2 to 6 quick-reply options, e.g. which food they meant. The turn ends; their reply comes as the next message.",
        parameters: || json!({"type": "object", "properties": {
            "question": {"type": "string"},
            "options": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 6}},
            "required": ["question", "options"]}),
        interactive_only: true,
    },
];

/// The tools offered in a context, as the model sees them.
pub fn definitions(ctx: &ToolContext) -> Vec<ToolDefinition> {
    TOOLS
        .iter()
        .filter(|t| ctx.interactive || !t.interactive_only)
        .map(|t| ToolDefinition {
            name: t.name.into(),
            description: t.description.into(),
            parameters: (t.parameters)(),
        })
        .collect()
}

/// Runs one tool. Errors are the operations' own (`AppError`); their Display is what the
/// model is told.
pub async fn call(
    tx: &mut UserTx,
    ctx: &ToolContext,
    name: &str,
    args: Value,
) -> AppResult<ToolOutput> {
    match name {
        "search_foods" => search_foods(tx, args_of(args)?).await,
        "log_food" => log_food(tx, ctx, args_of(args)?).await,
        "quick_add" => quick_add(tx, ctx, args_of(args)?).await,
        "log_exercise" => log_exercise(tx, ctx, args_of(args)?).await,
        "log_measurement" => log_measurement(tx, ctx, args_of(args)?).await,
        "log_water" => {
            let a: WaterArgs = args_of(args)?;
            let m = MeasurementArgs {
                kind: "water".into(),
                value: a.amount,
                unit: Some(a.unit.unwrap_or_else(|| "ml".into())),
                date: a.date,
                user_id: a.user_id,
            };
            log_measurement_as(tx, ctx, m, "log_water").await
        }
        "read_day" => read_day(tx, args_of(args)?).await,
        "read_range_summary" => read_range(tx, args_of(args)?).await,
        "read_top_foods" => read_top_foods(tx, args_of(args)?).await,
        "read_goals" => read_goals(tx, args_of(args)?).await,
        "update_goal" => update_goal(tx, ctx, args_of(args)?).await,
        "undo_last_action" => {
            let done = actions::undo_last(tx).await?;
            Ok(ToolOutput {
                result: json!({"undone": done.card.title, "lines": done.card.lines}),
                card: Some(Card {
                    action_id: None,
                    tool: "undo_last_action".into(),
                    title: format!("Undone: {}", done.card.title),
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

fn args_of<T: DeserializeOwned>(args: Value) -> AppResult<T> {
    serde_json::from_value(args).map_err(|e| AppError::invalid("arguments", e.to_string()))
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
    Date::parse(text)
        .map(Date::get)
        .map_err(|_| AppError::invalid("date", "must be YYYY-MM-DD, today or yesterday"))
}

fn date_value(d: NaiveDate) -> AppResult<Date> {
    Date::new(d).map_err(|e| AppError::invalid("date", e.to_string()))
}

fn kcal(n: &Nutrients) -> String {
    n.calories
        .map(|c| format!("{} kcal", c.round_dp(0)))
        .unwrap_or_else(|| "kcal unknown".into())
}

fn entry_line(e: &DiaryEntry) -> String {
    let serving = e
        .serving
        .description
        .as_deref()
        .map(|d| format!(" of {d}"))
        .unwrap_or_default();
    let amount = if e.food_item_id.is_some() {
        format!(" — {} {}{serving}", e.quantity.0.normalize(), e.unit)
    } else {
        String::new()
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

// ---------------------------------------------------------------------------------------------
// Foods
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct SearchArgs {
    query: String,
    limit: Option<i64>,
}

async fn search_foods(tx: &mut UserTx, a: SearchArgs) -> AppResult<ToolOutput> {
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
struct LogFoodArgs {
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

async fn log_food(tx: &mut UserTx, ctx: &ToolContext, a: LogFoodArgs) -> AppResult<ToolOutput> {
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
    let large = entry
        .nutrients
        .calories
        .is_some_and(|c| c > Decimal::from(LARGE_ENTRY_KCAL));
    if large && !a.confirm_large {
        // The caller's transaction is rolled back on this error: nothing was written.
        return Err(AppError::invalid(
            "quantity",
            format!(
                "that comes to {}, more than {LARGE_ENTRY_KCAL} kcal: check the unit (grams vs servings) \
                 and ask the user; log it only with confirm_large once they confirmed",
                kcal(&entry.nutrients)
            ),
        ));
    }
    let card = Card {
        action_id: None,
        tool: "log_food".into(),
        title: format!("Logged to {} on {}", entry.meal_type, entry.date),
        lines: vec![entry_line(&entry)],
        user_id: entry.user_id,
        written: to_value(&entry),
    };
    let result = json!({"logged": compact_entry(&entry)});
    write_card(
        tx,
        ctx,
        "log_food",
        Undo::DeleteDiaryEntry { id: entry.id },
        card,
        result,
    )
    .await
}

#[derive(Deserialize)]
struct QuickAddArgs {
    name: Option<String>,
    meal: MealType,
    calories: Option<Amount>,
    protein: Option<Amount>,
    carbohydrates: Option<Amount>,
    fat: Option<Amount>,
    date: Option<String>,
    user_id: Option<Uuid>,
}

async fn quick_add(tx: &mut UserTx, ctx: &ToolContext, a: QuickAddArgs) -> AppResult<ToolOutput> {
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
    let card = Card {
        action_id: None,
        tool: "quick_add".into(),
        title: format!("Quick add to {} on {}", entry.meal_type, entry.date),
        lines: vec![entry_line(&entry)],
        user_id: entry.user_id,
        written: to_value(&entry),
    };
    let result = json!({"logged": compact_entry(&entry)});
    write_card(
        tx,
        ctx,
        "quick_add",
        Undo::DeleteDiaryEntry { id: entry.id },
        card,
        result,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Exercise, measurements, water
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct ExerciseArgs {
    exercise: Option<String>,
    exercise_id: Option<Uuid>,
    duration_minutes: Option<i32>,
    distance: Option<Amount>,
    distance_unit: Option<DistanceUnit>,
    #[serde(default)]
    sets: Vec<SetInput>,
    calories_burned: Option<Amount>,
    date: Option<String>,
    user_id: Option<Uuid>,
}

async fn log_exercise(
    tx: &mut UserTx,
    ctx: &ToolContext,
    a: ExerciseArgs,
) -> AppResult<ToolOutput> {
    let who = acting(a.user_id);
    let exercise_id = match (a.exercise_id, a.exercise.as_deref().map(str::trim)) {
        (Some(id), _) => id,
        (None, Some(name)) if !name.is_empty() => {
            let s = crate::exercises::Search::parse(Some(name), None, None, None, Some(1), None)?;
            let page = crate::exercises::search(tx, &s).await?;
            page.items.first().map(|e| e.id).ok_or_else(|| {
                AppError::invalid(
                    "exercise",
                    format!("no exercise matches {name:?}; try another name"),
                )
            })?
        }
        _ => return Err(AppError::invalid("exercise", "name the exercise")),
    };
    let date = day_arg(tx, who, a.date.as_deref()).await?;
    let input = LogWorkoutInput {
        exercise_id,
        performed_at: None,
        date: Some(date_value(date)?),
        duration_minutes: a.duration_minutes,
        distance: a.distance,
        distance_unit: a.distance_unit,
        sets: a.sets,
        calories_burned: a.calories_burned,
        notes: None,
    };
    let w = crate::workouts::log(tx, who, &input.parse()?).await?;
    let mut parts = Vec::new();
    if let Some(m) = w.duration_minutes {
        parts.push(format!("{m} min"));
    }
    if let Some(d) = w.distance {
        parts.push(format!("{} {}", d.0.normalize(), w.distance_unit.as_str()));
    }
    if !w.sets.is_empty() {
        parts.push(format!("{} sets", w.sets.len()));
    }
    if let Some(c) = w.calories_burned {
        parts.push(format!("{} kcal", c.0.round_dp(0)));
    }
    let card = Card {
        action_id: None,
        tool: "log_exercise".into(),
        title: format!("Exercise logged on {}", w.date),
        lines: vec![format!("{}: {}", w.exercise_name, parts.join(", "))],
        user_id: w.user_id,
        written: to_value(&w),
    };
    let result = json!({"logged": {"workout_id": w.id, "exercise": w.exercise_name, "date": w.date,
        "duration_minutes": w.duration_minutes, "distance": w.distance, "calories_burned": w.calories_burned,
        "hint": w.hint}});
    write_card(
        tx,
        ctx,
        "log_exercise",
        Undo::DeleteWorkout { id: w.id },
        card,
        result,
    )
    .await
}

#[derive(Deserialize)]
struct MeasurementArgs {
    #[serde(rename = "type")]
    kind: String,
    value: Amount,
    unit: Option<String>,
    date: Option<String>,
    user_id: Option<Uuid>,
}

#[derive(Deserialize)]
struct WaterArgs {
    amount: Amount,
    unit: Option<String>,
    date: Option<String>,
    user_id: Option<Uuid>,
}

async fn log_measurement(
    tx: &mut UserTx,
    ctx: &ToolContext,
    a: MeasurementArgs,
) -> AppResult<ToolOutput> {
    log_measurement_as(tx, ctx, a, "log_measurement").await
}

async fn log_measurement_as(
    tx: &mut UserTx,
    ctx: &ToolContext,
    a: MeasurementArgs,
    tool: &str,
) -> AppResult<ToolOutput> {
    let who = acting(a.user_id);
    let date = day_arg(tx, who, a.date.as_deref()).await?;
    let input = crate::measurements::LogMeasurementInput {
        kind: a.kind,
        value: a.value,
        unit: a.unit,
        measured_at: None,
        date: Some(date_value(date)?),
        note: None,
    };
    let m = crate::measurements::log(tx, who, &input.parse()?).await?;
    let card = Card {
        action_id: None,
        tool: tool.into(),
        title: format!("Logged {} on {}", m.kind.replace('_', " "), m.date),
        lines: vec![format!(
            "{}: {} {}",
            m.kind.replace('_', " "),
            m.value.0.normalize(),
            m.unit
        )],
        user_id: m.user_id,
        written: to_value(&m),
    };
    let result = json!({"logged": {"measurement_id": m.id, "type": m.kind, "value": m.value,
                                   "unit": m.unit, "date": m.date}});
    write_card(
        tx,
        ctx,
        tool,
        Undo::DeleteMeasurement { id: m.id },
        card,
        result,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct DayArgs {
    date: Option<String>,
    user_id: Option<Uuid>,
}

async fn read_day(tx: &mut UserTx, a: DayArgs) -> AppResult<ToolOutput> {
    let who = acting(a.user_id);
    let date = day_arg(tx, who, a.date.as_deref()).await?;
    let day = diary::day(tx, who, date).await?;
    let summary = crate::summary::day(tx, who, date).await?;
    let meals: Vec<Value> = day
        .meals
        .iter()
        .filter(|m| !m.entries.is_empty())
        .map(|m| {
            json!({"meal": m.meal_type,
                   "entries": m.entries.iter().map(compact_entry).collect::<Vec<_>>(),
                   "totals": m.totals})
        })
        .collect();
    Ok(ToolOutput::read(json!({
        "date": date, "meals": meals, "eaten": summary.eaten, "burned_kcal": summary.burned,
        "net_kcal": summary.net_calories, "water_ml": summary.water_ml, "weight_kg": summary.weight_kg,
        "targets": summary.targets, "remaining": summary.remaining, "week": summary.week})))
}

#[derive(Deserialize)]
struct RangeArgs {
    from: String,
    to: String,
    user_id: Option<Uuid>,
}

async fn read_range(tx: &mut UserTx, a: RangeArgs) -> AppResult<ToolOutput> {
    let who = acting(a.user_id);
    let from = day_arg(tx, who, Some(&a.from)).await?;
    let to = day_arg(tx, who, Some(&a.to)).await?;
    if (to - from).num_days() > 91 {
        return Err(AppError::invalid("to", "a range is at most 92 days"));
    }
    let range = crate::summary::Range::parse(date_value(from)?, date_value(to)?)?;
    let r = crate::summary::range(tx, who, range).await?;
    Ok(ToolOutput::read(to_value(&r)))
}

#[derive(Deserialize)]
struct TopFoodsArgs {
    from: Option<String>,
    to: Option<String>,
    by: Option<crate::reports::RankBy>,
    limit: Option<i64>,
    user_id: Option<Uuid>,
}

async fn read_top_foods(tx: &mut UserTx, a: TopFoodsArgs) -> AppResult<ToolOutput> {
    let who = acting(a.user_id);
    let to = day_arg(tx, who, a.to.as_deref()).await?;
    let from = match a.from.as_deref() {
        Some(text) => day_arg(tx, who, Some(text)).await?,
        None => to - Duration::days(29),
    };
    let range =
        crate::reports::ReportRange::parse(None, Some(date_value(from)?), Some(date_value(to)?))?;
    let r = crate::reports::foods(tx, who, range, a.by.unwrap_or_default(), a.limit).await?;
    Ok(ToolOutput::read(to_value(&r)))
}

#[derive(Deserialize)]
struct WhoArgs {
    user_id: Option<Uuid>,
}

async fn read_goals(tx: &mut UserTx, a: WhoArgs) -> AppResult<ToolOutput> {
    let goals = crate::goals::list(
        tx,
        acting(a.user_id),
        crate::goals::ListFilter {
            status: Some(GoalStatus::Active),
            ..Default::default()
        },
    )
    .await?;
    let goals: Vec<Value> = goals
        .iter()
        .map(|g| {
            json!({"type": g.goal_type, "target": g.target_value, "unit": g.target_unit,
                   "by_weekday": g.by_weekday, "target_today": g.target_today,
                   "target_date": g.target_date, "current": g.current_value,
                   "progress_percent": g.progress_percent})
        })
        .collect();
    Ok(ToolOutput::read(json!({"goals": goals})))
}

#[derive(Deserialize)]
struct GoalArgs {
    #[serde(rename = "type")]
    goal_type: GoalType,
    target_value: Amount,
    target_unit: Option<String>,
    by_weekday: Option<crate::goals::WeekdayTargets>,
    user_id: Option<Uuid>,
}

async fn update_goal(tx: &mut UserTx, ctx: &ToolContext, a: GoalArgs) -> AppResult<ToolOutput> {
    let who = acting(a.user_id);
    let existing = crate::goals::list(
        tx,
        who,
        crate::goals::ListFilter {
            status: Some(GoalStatus::Active),
            goal_type: Some(a.goal_type),
            limit: Some(1),
        },
    )
    .await?;
    let (goal, undo, before) = match existing.first() {
        Some(old) => {
            let goal = crate::goals::update(
                tx,
                old.id,
                crate::goals::UpdateGoalInput {
                    target_value: Some(a.target_value),
                    target_unit: a.target_unit,
                    target_date: None,
                    status: None,
                    start_value: None,
                    by_weekday: a.by_weekday.clone(),
                },
            )
            .await?;
            let undo = Undo::RestoreGoalTarget {
                id: old.id,
                target_value: old.target_value.map(|v| v.0),
                target_unit: old.target_unit.clone(),
                // What the days were (none: every day the same), when the call changed them.
                by_weekday: a
                    .by_weekday
                    .as_ref()
                    .map(|_| old.by_weekday.clone().unwrap_or_default()),
            };
            let before = old
                .target_value
                .map(|v| format!(" (was {} {})", v.0.normalize(), old.target_unit))
                .unwrap_or_default();
            (goal, undo, before)
        }
        None => {
            let input = crate::goals::GoalInput {
                goal_type: a.goal_type,
                target_value: a.target_value,
                target_unit: a.target_unit,
                target_date: None,
                status: None,
                start_value: None,
                with_calorie_target: None,
                weekly_change_kg: None,
                by_weekday: a.by_weekday.clone(),
            };
            let created = crate::goals::create(tx, who, &input.parse()?).await?;
            let goal = created.goal;
            let undo = Undo::DeleteGoal { id: goal.id };
            (goal, undo, " (new goal)".to_string())
        }
    };
    let target = goal
        .target_value
        .map(|v| v.0.normalize().to_string())
        .unwrap_or_default();
    let card = Card {
        action_id: None,
        tool: "update_goal".into(),
        title: "Goal updated".into(),
        lines: std::iter::once(format!(
            "{}: {target} {}{before}",
            goal.goal_type.as_str().replace('_', " "),
            goal.target_unit
        ))
        .chain(goal.by_weekday.as_ref().map(|w| {
            let days: Vec<String> = crate::goals::WeekdayTargets::DAYS
                .iter()
                .zip(w.values())
                .filter_map(|(day, v)| {
                    v.map(|v| format!("{day} {} {}", v.0.normalize(), goal.target_unit))
                })
                .collect();
            format!("on {}", days.join(", "))
        }))
        .collect(),
        user_id: goal.user_id,
        written: to_value(&goal),
    };
    let result = json!({"goal": {"type": goal.goal_type, "target": goal.target_value, "unit": goal.target_unit,
                                 "by_weekday": goal.by_weekday}});
    write_card(tx, ctx, "update_goal", undo, card, result).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_number_or_the_text_picks_an_option() {
        let q = Question {
            question: "Which egg?".into(),
            options: vec!["Egg, whole, boiled".into(), "Egg white".into()],
        };
        assert_eq!(q.pick("1"), Some("Egg, whole, boiled"));
        assert_eq!(q.pick(" 2. "), Some("Egg white"));
        assert_eq!(q.pick("egg WHITE"), Some("Egg white"));
        assert_eq!(q.pick("3"), None);
        assert_eq!(q.pick("0"), None);
        assert_eq!(q.pick("the big one"), None);
    }

    #[test]
    fn every_tool_has_an_object_schema_and_ask_user_is_chat_only() {
        let chat = definitions(&ToolContext {
            conversation_id: None,
            interactive: true,
        });
        let mcp = definitions(&ToolContext::default());
        assert_eq!(chat.len(), mcp.len() + 1);
        assert!(mcp.iter().all(|t| t.name != "ask_user"));
        for t in &chat {
            assert_eq!(t.parameters["type"], "object", "{}", t.name);
        }
    }
}
