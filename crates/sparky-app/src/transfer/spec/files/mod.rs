//! The archive's files, in import order: each one's columns, the SQL that reads it out of the
//! database and the SQL that writes it back (see the module above for what the list promises).

use super::shape::{
    added, added_optional, col, info, req, Col, FileSpec, Import, Kind, Limit, NUTRIENT,
};

/// The meals a diary entry or plan item belongs to.
const MEALS: [&str; 4] = ["breakfast", "lunch", "dinner", "snack"];

/// Catalog food of a reference (`source`, `source_id` of a shared food), for files that link
/// foods: a shared catalog food is named, not numbered, so a server with the same catalog
/// links it again.
macro_rules! catalog_food {
    ($col:literal, $field:literal) => {
        concat!(
            "(SELECT c.",
            $field,
            " FROM food_items c WHERE c.id = ",
            $col,
            " AND c.user_id IS NULL AND c.source IS NOT NULL AND c.source_id IS NOT NULL)"
        )
    };
}

/// A field of the catalog serving a row links (see [`catalog_food!`]).
macro_rules! catalog_serving {
    ($col:literal, $field:literal) => {
        concat!(
            "(SELECT cn.",
            $field,
            " FROM nutrition_data cn JOIN food_items c ON c.id = cn.food_item_id WHERE cn.id = ",
            $col,
            " AND c.user_id IS NULL)"
        )
    };
}

macro_rules! catalog_exercise {
    ($col:literal, $field:literal) => {
        concat!(
            "(SELECT c.",
            $field,
            " FROM exercises c WHERE c.id = ",
            $col,
            " AND c.user_id IS NULL AND c.source IS NOT NULL AND c.source_id IS NOT NULL)"
        )
    };
}

/// The largest amount the API takes for a diary entry, recipe ingredient or plan item, and a
/// recipe's cooked weight: an archive holds whatever the API stored.
const MAX_API_QUANTITY: f64 = crate::diary::MAX_QUANTITY as f64;
/// What `food_diary.servings` (numeric(20,8)) can hold: an amount over a tiny serving.
const MAX_SERVINGS: f64 = 1e12;

/// The nutrient columns of servings and diary entries, in archive order.
pub(super) const NUTRIENTS: [&str; 15] = sparky_core::nutrition::Nutrients::NAMES;

mod account;
mod assistant;
mod body;
mod exercise;
mod food;
mod plans;

/// Every file, in import order (parents before children).
pub static FILES: &[FileSpec] = &[
    account::PROFILE,
    account::PREFERENCES,
    account::ASSISTANT_SETTINGS,
    food::CUSTOM_NUTRIENTS,
    food::FOODS,
    food::SERVINGS,
    food::RECIPE_INGREDIENTS,
    exercise::EXERCISES,
    body::MEASUREMENT_TYPES,
    body::MEASUREMENTS,
    body::GOALS,
    body::GOAL_TARGET_HISTORY,
    plans::MEAL_PLAN_TEMPLATES,
    plans::MEAL_PLAN_ITEMS,
    plans::MEAL_PLANS,
    food::DIARY,
    exercise::WORKOUTS,
    exercise::WORKOUT_SETS,
    body::HEALTH_DATA,
    assistant::CHAT_CONVERSATIONS,
    assistant::CHAT_MESSAGES,
    assistant::ASSISTANT_REQUESTS,
    account::API_KEYS,
    account::FAMILY_ACCESS,
];

/// The food a diary entry or plan item links: one of the archive's own foods, or the shared
/// catalog food with the same source and source id on this server (none: no link; the entry
/// keeps its own copy of the name and nutrients).
const CATALOG_FOOD_LINK: &str =
    "coalesce(u.food::uuid, (SELECT c.id FROM food_items c WHERE c.user_id IS NULL
    AND c.source = u.catalog_food_source AND c.source_id = u.catalog_food_source_id LIMIT 1))";

/// The serving a plan item or recipe ingredient links: one of the archive's own servings, or
/// the serving of the same size and unit of the catalog food it links (see
/// [`CATALOG_FOOD_LINK`]).
const CATALOG_SERVING_LINK: &str =
    "coalesce(u.serving::uuid, (SELECT cn.id FROM nutrition_data cn JOIN food_items c ON c.id = cn.food_item_id
        WHERE c.user_id IS NULL AND c.source = u.catalog_food_source AND c.source_id = u.catalog_food_source_id
          AND cn.serving_size = u.catalog_serving_size::numeric AND cn.serving_unit = u.catalog_serving_unit
        ORDER BY cn.is_default DESC, cn.id LIMIT 1))";
