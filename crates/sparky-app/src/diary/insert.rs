//! The one INSERT of a food diary row, bounded by the day's entry limit.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sparky_core::nutrition::{Nutrients, Serving};
use sparky_core::MealType;
use sparky_db::UserTx;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use crate::acting::{Acting, OWNER};
use crate::error::{AppError, AppResult};
use crate::nutrients::values;

use super::*;

/// A diary row ready to insert: what was eaten, how much and its nutrients.
pub(crate) struct NewEntry<'a> {
    pub food_item_id: Option<Uuid>,
    pub serving_id: Option<Uuid>,
    pub name: &'a str,
    pub brand: Option<&'a str>,
    pub quantity: Decimal,
    pub unit: String,
    pub meal: MealType,
    pub date: Option<NaiveDate>,
    pub consumed_at: Option<DateTime<Utc>>,
    pub serving: Option<&'a Serving>,
    /// The serving's custom nutrient amounts (the entry holds them times `servings`).
    pub custom_per_serving: Option<&'a crate::custom_nutrients::Amounts>,
    pub servings: Option<Decimal>,
    pub nutrients: Nutrients,
}

/// The one place a food diary row is inserted (logging, quick add, meal plans, assistant,
/// imports). The day defaults from `consumed_at` in the owner's timezone, `consumed_at` from
/// the day (now for today, noon otherwise). Refuses a day that already holds
/// [`MAX_ENTRIES_PER_DAY`] entries.
pub(crate) async fn insert_entry(
    tx: &mut UserTx,
    acting: Acting,
    e: &NewEntry<'_>,
) -> AppResult<DiaryEntry> {
    insert_entry_of_plan(tx, acting, e, None).await
}

/// [`insert_entry`] for an entry written by applying a meal plan: `meal_plan_id` marks it as
/// that dated plan's.
pub(crate) async fn insert_entry_of_plan(
    tx: &mut UserTx,
    acting: Acting,
    e: &NewEntry<'_>,
    meal_plan_id: Option<Uuid>,
) -> AppResult<DiaryEntry> {
    // Checked before the insert, which may go out with its COMMIT: rare (few clients send
    // both), so it costs the usual write nothing.
    crate::days::check_time(tx, acting, "consumed_at", e.date, e.consumed_at).await?;
    let per_serving = e
        .serving
        .map(|s| serde_json::to_value(&s.nutrients))
        .transpose()
        .map_err(|err| AppError::internal(err.to_string()))?;
    let nutrient_values = values(&e.nutrients);
    let custom =
        crate::custom_nutrients::to_json(e.custom_per_serving.unwrap_or(&Default::default()));
    let meal = e.meal.as_str();
    let size = e.serving.map(|s| s.size);
    let serving_unit = e.serving.map(|s| s.unit.as_str());
    let weight = e.serving.and_then(|s| s.weight_g);
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![
        &acting.owner,
        &e.food_item_id,
        &e.serving_id,
        &e.quantity,
        &e.unit,
        &meal,
        &e.date,
        &e.consumed_at,
        &e.name,
        &e.brand,
        &size,
        &serving_unit,
        &weight,
        &e.servings,
        &per_serving,
        &MAX_ENTRIES_PER_DAY,
        &meal_plan_id,
        &custom,
    ];
    for v in &nutrient_values {
        params.push(v);
    }
    let cols = Nutrients::NAMES.join(", ");
    let placeholders: Vec<String> = (19..19 + Nutrients::NAMES.len())
        .map(|i| format!("${i}"))
        .collect();
    let sql = format!(
        "WITH target AS (SELECT {OWNER} AS id),
         tz AS (SELECT coalesce((SELECT p.timezone FROM user_preferences p, target WHERE p.user_id = target.id LIMIT 1), 'UTC') AS name),
         t AS (SELECT CASE
                   WHEN $8::timestamptz IS NOT NULL THEN $8::timestamptz
                   WHEN $7::date IS NULL OR $7::date = (now() AT TIME ZONE tz.name)::date THEN now()
                   ELSE ($7::date + time '12:00') AT TIME ZONE tz.name
               END AS at, tz.name AS zone FROM tz),
         day AS (SELECT coalesce($7::date, (t.at AT TIME ZONE t.zone)::date) AS d FROM t)
         INSERT INTO food_diary AS d (user_id, food_item_id, nutrition_data_id, quantity, unit, meal_type,
             consumed_at, entry_date, food_name, brand, serving_size, serving_unit, serving_weight_g,
             servings, per_serving, meal_plan_id, custom_per_serving, {cols})
         SELECT target.id, $2, $3, $4, $5, $6, t.at, day.d, $9, $10, $11, $12, $13, $14, $15, $17::uuid, $18::jsonb, {}
         FROM target, t, day
         WHERE coalesce((SELECT x.entries FROM diary_day_totals x
                         WHERE x.user_id = target.id AND x.entry_date = day.d), 0) < $16::bigint
           AND (t.at AT TIME ZONE t.zone)::date = day.d
         RETURNING {}",
        placeholders.join(", "),
        entry_columns()
    );
    match tx.query_opt(&sql, &params).await? {
        Some(row) => Ok(entry_from_row(&row)),
        None => Err(day_full()),
    }
}

pub(super) fn day_full() -> AppError {
    AppError::invalid(
        "date",
        format!("a diary day holds at most {MAX_ENTRIES_PER_DAY} entries"),
    )
}
