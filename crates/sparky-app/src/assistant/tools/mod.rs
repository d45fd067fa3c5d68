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
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sparky_ai::ToolDefinition;
use sparky_core::nutrition::Nutrients;
use sparky_core::values::DateError;
use sparky_core::Date;
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

use super::actions::{self, Card, Undo};
use crate::acting::Acting;
use crate::diary::DiaryEntry;
use crate::error::{AppError, AppResult};

use body::{log_exercise, log_measurement, log_water};
use foods::{log_food, quick_add, search_foods};
use goal::update_goal;
use reading::{read_day, read_goals, read_measurements, read_range, read_top_foods, read_workouts};
use recipe::{create_recipe, save_meal_as_recipe};

mod body;
mod foods;
mod goal;
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
}

impl ToolContext {
    /// Whether `confirm_large` counts: always for MCP (its client asks its user), in a chat
    /// only in a turn that answers a question with yes.
    pub fn may_confirm_large(&self) -> bool {
        !self.interactive || self.user_said_yes
    }
}

/// Words that say yes.
const YES: &[&str] = &[
    "yes",
    "y",
    "yeah",
    "yep",
    "yup",
    "ok",
    "okay",
    "sure",
    "correct",
    "confirm",
    "confirmed",
    "absolutely",
    "definitely",
];

/// Words a yes may come with ("yes, log it please", "sure, go ahead").
const WITH_YES: &[&str] = &[
    "log", "it", "please", "do", "go", "ahead", "that", "that's", "thats", "is", "right", "fine",
    "good", "great", "sounds", "thanks", "thank", "you", "all", "of", "course", "exactly",
    "anyway",
];

/// Whether a typed reply says yes, and nothing else: every word is a yes or goes with one
/// ("yes", "yes, log it", "ok", "sure, go ahead"). A reply that corrects or adds anything ("ok
/// no wait, I meant 20 g") is not a yes; it used to count by its first word.
pub fn says_yes(reply: &str) -> bool {
    let lower = reply.trim().to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
        .collect();
    (words.iter().any(|w| YES.contains(w)) || lower.starts_with("log it"))
        && words
            .iter()
            .all(|w| YES.contains(w) || WITH_YES.contains(w))
}

/// Whether a quick reply the user picked (by its number or text) is the yes option: the
/// model's own wording of it starts with a yes ("Yes, log 20 lb").
pub fn picks_yes(option: &str) -> bool {
    let lower = option.trim().to_lowercase();
    lower
        .split(|c: char| !c.is_alphanumeric())
        .find(|w| !w.is_empty())
        .is_some_and(|first| YES.contains(&first))
        || lower.starts_with("log it")
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
        name: "create_recipe",
        description: "Save a recipe the user cooked, from catalog foods (food_id from search_foods, each amount in grams or one of the food's servings) and the servings it makes. Sparky adds the ingredients up; the recipe is then a food (its id is recipe_id) to log with log_food in servings, or in grams when it has a weight. Nutrients come from the foods; never estimate them here.",
        parameters: || json!({"type": "object", "properties": {
            "name": {"type": "string", "maxLength": 255},
            "servings": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000, "description": "How many servings the recipe makes"},
            "cooked_weight_g": {"type": "number", "exclusiveMinimum": 0, "description": "The finished dish's weight in grams, if the user weighed it"},
            "ingredients": {"type": "array", "minItems": 1, "maxItems": 100, "items": {"type": "object", "properties": {
                "food_id": {"type": "string", "format": "uuid"},
                "quantity": {"type": "number", "exclusiveMinimum": 0},
                "unit": {"type": "string", "description": "g, oz, ml, cup, serving, or the serving's own word (slice, large)"},
                "serving_id": {"type": "string", "format": "uuid"}},
                "required": ["food_id", "quantity"]}}},
            "required": ["name", "servings", "ingredients"]}),
        interactive_only: false,
    },
    Tool {
        name: "save_meal_as_recipe",
        description: "Save a meal the user already logged (e.g. \"save today's breakfast as My usual breakfast\") as a recipe of their own: each food logged in it becomes an ingredient with its amount. The recipe is then a food (its id is recipe_id) to log with log_food. Only the user's own diary.",
        parameters: || json!({"type": "object", "properties": {
            "meal": meal_param(),
            "date": date_param(),
            "name": {"type": "string", "maxLength": 255},
            "servings": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000, "description": "How many servings the meal makes (default 1: one serving is the whole meal)"}},
            "required": ["meal", "name"]}),
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
            "confirm_large": {"type": "boolean", "description": "Set only after the user confirmed an entry over 5000 kcal"},
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
        description: "Log a body measurement or check-in: weight, body_fat, muscle_mass, waist, hips, neck, chest, height, steps, resting_heart_rate, or one of the user's own types (an unknown type is refused with the list).",
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
        description: "Read one day: diary entries per meal, totals, calories burned, water, targets and what remains, and the week's calorie budget so far (the user's week, from week.from to week.to).",
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
        name: "read_measurements",
        description: "Body measurements and check-ins logged over a period (default the last 90 days, at most 366): weight, body fat, girths, steps, sleep, the user's own types, newest first (at most 200), in the user's units; with type weight also the smoothed trend's latest value.",
        parameters: || json!({"type": "object", "properties": {
            "type": {"type": "string", "maxLength": 50, "description": "Only this type, e.g. weight, waist (default: every type)"},
            "from": {"type": "string", "description": "YYYY-MM-DD"},
            "to": {"type": "string", "description": "YYYY-MM-DD, \"today\" or \"yesterday\" (default today)"},
            "user_id": user_id_param()}}),
        interactive_only: false,
    },
    Tool {
        name: "read_workouts",
        description: "Workouts logged over a period (default the last 30 days, at most 92), oldest first (at most 200): exercise, duration, distance, strength sets with reps and weight, calories burned, notes. For questions like \"what did I bench last week?\"",
        parameters: || json!({"type": "object", "properties": {
            "from": {"type": "string", "description": "YYYY-MM-DD"},
            "to": {"type": "string", "description": "YYYY-MM-DD, \"today\" or \"yesterday\" (default today)"},
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
        description: "Undo the most recent change the assistant made (a logged entry, measurement, goal change or saved recipe).",
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
        "read_day" => read_day(tx, args_of(args)?).await,
        "read_range_summary" => read_range(tx, args_of(args)?).await,
        "read_top_foods" => read_top_foods(tx, args_of(args)?).await,
        "read_measurements" => read_measurements(tx, args_of(args)?).await,
        "read_workouts" => read_workouts(tx, args_of(args)?).await,
        "read_goals" => read_goals(tx, args_of(args)?).await,
        "update_goal" => update_goal(tx, ctx, args_of(args)?).await,
        "undo_last_action" => {
            let done = actions::undo_last(tx).await?;
            let title = match (done.already_gone, done.changed_since) {
                (_, true) => format!(
                    "Nothing undone: {} was changed since, and is kept as it is",
                    done.card.title
                ),
                (true, _) => format!(
                    "Nothing left to undo: {} (deleted since, or no longer shared with you)",
                    done.card.title
                ),
                _ => format!("Undone: {}", done.card.title),
            };
            Ok(ToolOutput {
                result: json!({
                    "undone": done.card.title,
                    "lines": done.card.lines,
                    "already_removed": done.already_gone,
                    "changed_since": done.changed_since,
                }),
                card: Some(Card {
                    action_id: None,
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

/// An argument the tool does not have is an error naming it and the ones it has: a misspelled
/// `day` for `date` was ignored, and the food logged to today.
fn refuse_unknown_arguments(name: &str, args: &Value) -> AppResult<()> {
    let Some(tool) = TOOLS.iter().find(|t| t.name == name) else {
        return Ok(());
    };
    let schema = (tool.parameters)();
    let (Some(known), Some(given)) = (schema["properties"].as_object(), args.as_object()) else {
        return Ok(());
    };
    let unknown: Vec<&str> = given
        .keys()
        .map(String::as_str)
        .filter(|k| !known.contains_key(*k))
        .collect();
    if !unknown.is_empty() {
        let mut names: Vec<&str> = known.keys().map(String::as_str).collect();
        names.sort_unstable();
        return Err(AppError::invalid(
            "arguments",
            format!(
                "{name} has no argument {}; its arguments are: {}",
                unknown.join(", "),
                names.join(", ")
            ),
        ));
    }
    for (key, value) in given {
        nested_within_schema(&known[key], value, key)?;
    }
    Ok(())
}

/// The objects inside an argument (a recipe's ingredients, a workout's sets) hold only the
/// fields their schema names (a misspelled `units` made 150 g of egg 150 eggs), and lists
/// have between their `minItems` and `maxItems`.
fn nested_within_schema(schema: &Value, value: &Value, path: &str) -> AppResult<()> {
    match value {
        Value::Array(items) => {
            if let Some(min) = schema["minItems"].as_u64() {
                if (items.len() as u64) < min {
                    return Err(AppError::invalid(
                        path,
                        format!(
                            "give at least {min} item{}",
                            if min == 1 { "" } else { "s" }
                        ),
                    ));
                }
            }
            if let Some(max) = schema["maxItems"].as_u64() {
                if items.len() as u64 > max {
                    return Err(AppError::invalid(path, format!("give at most {max} items")));
                }
            }
            for (i, item) in items.iter().enumerate() {
                nested_within_schema(&schema["items"], item, &format!("{path}[{i}]"))?;
            }
        }
        Value::Object(fields) => {
            let Some(known) = schema["properties"].as_object() else {
                return Ok(());
            };
            for (key, v) in fields {
                let Some(field_schema) = known.get(key) else {
                    let mut names: Vec<&str> = known.keys().map(String::as_str).collect();
                    names.sort_unstable();
                    return Err(AppError::invalid(
                        &format!("{path}.{key}"),
                        format!("unknown field; the fields are: {}", names.join(", ")),
                    ));
                };
                nested_within_schema(field_schema, v, &format!("{path}.{key}"))?;
            }
        }
        _ => {}
    }
    Ok(())
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
            interactive: true,
            ..ToolContext::default()
        });
        let mcp = definitions(&ToolContext::default());
        assert_eq!(chat.len(), mcp.len() + 1);
        assert!(mcp.iter().all(|t| t.name != "ask_user"));
        for t in &chat {
            assert_eq!(t.parameters["type"], "object", "{}", t.name);
        }
    }
}
