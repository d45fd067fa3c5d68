//! The tools as the model sees them (names, descriptions, JSON schemas of their arguments),
//! and the check of a call's arguments against those schemas.

use serde_json::{json, Value};
use sparky_ai::ToolDefinition;

use super::ToolContext;
use crate::error::{AppError, AppResult};

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
            "duration_seconds": {"type": "integer", "minimum": 0, "maximum": 604800,
                "description": "Instead of duration_minutes when the time has seconds (25:34 is 1534)"},
            "distance": {"type": "number", "minimum": 0},
            "distance_unit": {"type": "string", "enum": ["km", "mi"]},
            "sets": {"type": "array", "maxItems": 100, "items": {"type": "object", "properties": {
                "reps": {"type": "integer"}, "weight": {"type": "number"}, "unit": {"type": "string", "enum": ["kg", "lb"]},
                "duration_seconds": {"type": "integer", "minimum": 1, "maximum": 86400,
                    "description": "A timed set (plank, hang, carry): its seconds"}}}},
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
        name: "copy_meal",
        description: "Copy a meal (or a whole day) from one day to another as it was logged, e.g. \"same breakfast as yesterday\". From a family member's diary that they share with the user: from_user_id.",
        parameters: || json!({"type": "object", "properties": {
            "from_date": {"type": "string", "description": "The day to copy from: YYYY-MM-DD, \"today\" or \"yesterday\""},
            "to_date": date_param(),
            "meal": {"type": "string", "enum": ["breakfast", "lunch", "dinner", "snack"], "description": "Only this meal (default the whole day)"},
            "from_user_id": {"type": "string", "format": "uuid", "description": "Copy from this family member's diary (default the diary written)"},
            "user_id": user_id_param()},
            "required": ["from_date"]}),
        interactive_only: false,
    },
    Tool {
        name: "copy_workouts",
        description: "Copy every workout of one day (with its sets, duration and distance) to another day, e.g. \"same workout as Monday\". From a family member's diary that they share with the user: from_user_id.",
        parameters: || json!({"type": "object", "properties": {
            "from_date": {"type": "string", "description": "The day to copy from: YYYY-MM-DD, \"today\" or \"yesterday\""},
            "to_date": date_param(),
            "from_user_id": {"type": "string", "format": "uuid", "description": "Copy from this family member's diary (default the diary written)"},
            "user_id": user_id_param()},
            "required": ["from_date"]}),
        interactive_only: false,
    },
    Tool {
        name: "delete_entry",
        description: "Delete one food diary entry (entry_id from read_day or from what a tool logged). Undo puts it back as it was.",
        parameters: || json!({"type": "object", "properties": {
            "entry_id": {"type": "string", "format": "uuid"}},
            "required": ["entry_id"]}),
        interactive_only: false,
    },
    Tool {
        name: "apply_meal_plan",
        description: "Write one of the user's meal plans into the diary on some days (from–to, at most 31): its foods become ordinary entries; days it was already applied to are skipped. Undo takes it off those days again.",
        parameters: || json!({"type": "object", "properties": {
            "plan": {"type": "string", "description": "The plan's name (default: the only active plan)"},
            "from": {"type": "string", "description": "YYYY-MM-DD, \"today\" or \"yesterday\" (default today)"},
            "to": {"type": "string", "description": "YYYY-MM-DD (default the same day as from)"},
            "user_id": user_id_param()}}),
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
        name: "read_shopping_list",
        description: "What a meal plan needs over some days (default the week from today, at most 31), per food: amount and unit, and the planned recipes it goes into. For \"what do I need to buy for my plan this week?\"",
        parameters: || json!({"type": "object", "properties": {
            "plan": {"type": "string", "description": "The plan's name (default: the only active plan)"},
            "from": {"type": "string", "description": "YYYY-MM-DD or \"today\" (default today)"},
            "to": {"type": "string", "description": "YYYY-MM-DD (default six days after from)"},
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
        description: "Undo the most recent change the assistant made (a logged, copied or deleted entry, copied workouts, an applied meal plan, a measurement, a goal change or a saved recipe).",
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

/// An argument the tool does not have is an error naming it and the ones it has: a misspelled
/// `day` for `date` was ignored, and the food logged to today.
pub(super) fn refuse_unknown_arguments(name: &str, args: &Value) -> AppResult<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
