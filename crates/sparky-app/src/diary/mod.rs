//! The food diary: log, edit, delete, read an entry or a day with exact per-meal and day
//! totals, copy a meal or a day, recent foods, quick add. Every entry keeps a snapshot of what
//! was eaten, so editing or deleting a food never rewrites history. RLS decides who may read
//! (`calorie`, `reports`) and write (`calorie`) someone else's diary.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sparky_core::nutrition::Nutrients;
use sparky_core::{Amount, Date, MealType, Timestamp};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// Entries one diary day may hold. Logging, copying and applying meal plans stop here, so no
/// request can grow a day (and the work of reading it) without bound.
pub const MAX_ENTRIES_PER_DAY: i64 = 300;

/// Largest quantity of one entry, in its unit.
pub const MAX_QUANTITY: i64 = 1_000_000;

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/// Log a food: an amount of one of its servings.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogFoodInput {
    pub food_item_id: Uuid,
    /// Which serving the quantity refers to. Default: the serving whose own unit is `unit`
    /// ("slice", "medium", "cup"), else the default serving, else one `unit` converts to (tbsp → a cup serving).
    pub nutrition_data_id: Option<Uuid>,
    /// How much, in `unit`; greater than zero, at most 1,000,000.
    #[schema(value_type = f64, minimum = 0, maximum = 1000000, exclusive_minimum = 0)]
    pub quantity: Amount,
    /// g, kg, mg, oz, lb, ml, l, tsp, tbsp, cup, fl oz, serving, or the serving's own unit
    /// word ("slice", "medium"). Default: servings.
    #[schema(max_length = 100)]
    pub unit: Option<String>,
    pub meal_type: MealType,
    /// The diary day in the diary owner's timezone. Default: from `consumed_at`, else today.
    pub date: Option<Date>,
    /// When it was eaten. Default: now for today, else noon of `date`.
    pub consumed_at: Option<Timestamp>,
}

/// A validated [`LogFoodInput`].
#[derive(Debug, Clone)]
pub struct LogFood {
    pub food_item_id: Uuid,
    pub serving_id: Option<Uuid>,
    pub quantity: Decimal,
    pub unit: Option<String>,
    pub meal: MealType,
    pub date: Option<NaiveDate>,
    pub consumed_at: Option<DateTime<Utc>>,
}

/// Checks a quantity: greater than zero, at most [`MAX_QUANTITY`], 4 decimal places kept.
pub fn parse_quantity(field: &str, q: Amount) -> AppResult<Decimal> {
    let d = q.decimal();
    if d <= Decimal::ZERO || d > Decimal::from(MAX_QUANTITY) {
        return Err(AppError::invalid(
            field,
            "must be greater than 0 (and at most 1,000,000)",
        ));
    }
    Ok(sparky_core::units::round_dp(d, 4))
}

fn parse_unit_text(unit: Option<&str>) -> AppResult<Option<String>> {
    match unit.map(str::trim) {
        None | Some("") => Ok(None),
        Some(u) if u.chars().count() > 100 => {
            Err(AppError::invalid("unit", "must be at most 100 characters"))
        }
        Some(u) => Ok(Some(u.to_string())),
    }
}

impl LogFoodInput {
    pub fn parse(self) -> AppResult<LogFood> {
        Ok(LogFood {
            food_item_id: self.food_item_id,
            serving_id: self.nutrition_data_id,
            quantity: parse_quantity("quantity", self.quantity)?,
            unit: parse_unit_text(self.unit.as_deref())?,
            meal: self.meal_type,
            date: self.date.map(Date::get),
            consumed_at: self.consumed_at.map(Timestamp::get),
        })
    }
}

/// Change an entry: the fields given change, the others stay.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEntryInput {
    #[schema(value_type = Option<f64>, minimum = 0, maximum = 1000000, exclusive_minimum = 0)]
    pub quantity: Option<Amount>,
    #[schema(max_length = 100)]
    pub unit: Option<String>,
    pub meal_type: Option<MealType>,
    /// Move the entry to another day (keeps its time of day).
    pub date: Option<Date>,
    pub consumed_at: Option<Timestamp>,
}

/// Copy a meal or a whole day to another day.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyInput {
    pub from_date: Date,
    pub to_date: Date,
    /// Copy only this meal (default: the whole day).
    pub meal_type: Option<MealType>,
    /// Copy from this person's diary: a family member who shares theirs with you (`calorie`
    /// or `reports`), e.g. the dinner someone else at home logged. Default: the diary being
    /// written. Their own foods are not linked (the entries keep the name and nutrients).
    pub from_user_id: Option<Uuid>,
}

/// Calories and macros without a food ("quick add").
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuickAddInput {
    /// What it was, e.g. "Birthday cake" (default "Quick add").
    #[schema(max_length = 255)]
    pub name: Option<String>,
    pub meal_type: MealType,
    pub date: Option<Date>,
    pub consumed_at: Option<Timestamp>,
    /// At least calories or one macro.
    pub nutrients: Nutrients,
}

// ---------------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServingSnapshot {
    pub size: Option<Amount>,
    pub unit: Option<String>,
    pub weight_g: Option<Amount>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiaryEntry {
    pub id: Uuid,
    pub user_id: Uuid,
    /// Null when the food was deleted since (or for a quick add); the entry keeps what it
    /// recorded.
    pub food_item_id: Option<Uuid>,
    pub nutrition_data_id: Option<Uuid>,
    pub food_name: String,
    pub brand: Option<String>,
    pub quantity: Amount,
    pub unit: String,
    pub meal_type: String,
    pub date: NaiveDate,
    pub consumed_at: DateTime<Utc>,
    pub serving: ServingSnapshot,
    /// How many servings the quantity is.
    pub servings: Option<Amount>,
    pub nutrients: Nutrients,
    /// Amounts of custom nutrients, by name (left out when none): the serving's as logged
    /// times `servings`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = BTreeMap<String, f64>)]
    pub custom_nutrients: BTreeMap<String, Amount>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Meal {
    pub meal_type: String,
    pub entries: Vec<DiaryEntry>,
    pub totals: Nutrients,
    /// Custom nutrient totals by name (left out when none).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = BTreeMap<String, f64>)]
    pub custom_totals: BTreeMap<String, Amount>,
    /// Nutrients some entries do not know: their totals count only what is known.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub partial: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiaryDay {
    pub date: NaiveDate,
    pub user_id: Uuid,
    /// breakfast, lunch, dinner, snack — always all four, in that order.
    pub meals: Vec<Meal>,
    pub totals: Nutrients,
    /// Custom nutrient totals by name (left out when none).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = BTreeMap<String, f64>)]
    pub custom_totals: BTreeMap<String, Amount>,
    /// Nutrients some entries do not know: the day's total is a lower bound for them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub partial: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CopyResult {
    pub copied: usize,
    pub entries: Vec<DiaryEntry>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecentFood {
    pub food_item_id: Uuid,
    pub nutrition_data_id: Option<Uuid>,
    pub food_name: String,
    pub brand: Option<String>,
    /// The amount logged last time, to re-log with one tap.
    pub last_quantity: Amount,
    pub last_unit: String,
    /// The kcal of that entry: what logging it again adds.
    pub last_calories: Option<Amount>,
    pub last_meal_type: String,
    pub last_logged_at: DateTime<Utc>,
    /// How often it was logged in the last 90 days.
    pub times_logged: i64,
}

mod change;
mod copy;
mod insert;
mod log;
mod read;
mod rows;
mod servings;

pub use change::{delete, remove, restore, update};
pub use copy::copy;
use insert::day_full;
pub(crate) use insert::{insert_entry, insert_entry_of_plan, NewEntry};
pub use log::{log, log_and_commit, quick_add, quick_add_and_commit};
pub use read::{day, day_and_commit, entry, group_day, plan_day, recent, DayPlan};
pub use rows::nutrition_error;
use rows::{entry_columns, entry_from_row};
pub(crate) use servings::{choose_serving, food_servings, foods_servings, portion, FoodServings};
