//! The food diary: log, edit, delete, read an entry or a day with exact per-meal and day
//! totals, copy a meal or a day, recent foods, quick add. Every entry keeps a snapshot of what
//! was eaten, so editing or deleting a food never rewrites history. RLS decides who may read
//! (`calorie`, `reports`) and write (`calorie`) someone else's diary.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sparky_core::nutrition::{
    nutrients_of_servings, partially_known, servings_in, unit_word_matches, Nutrients,
    NutritionError, Serving,
};
use sparky_core::{Amount, Date, MealType, Timestamp};
use sparky_db::UserTx;
use tokio_postgres::types::ToSql;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::acting::{delete_by_id, Acting, Area, OWNER};
use crate::error::{AppError, AppResult};
use crate::foods::describe_serving;
use crate::nutrients::{nutrient_columns, nutrients_from_row, values};

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
    /// ("slice", "medium", "cup"), else the food's default serving.
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
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Meal {
    pub meal_type: String,
    pub entries: Vec<DiaryEntry>,
    pub totals: Nutrients,
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
    pub last_meal_type: String,
    pub last_logged_at: DateTime<Utc>,
    /// How often it was logged in the last 90 days.
    pub times_logged: i64,
}

// ---------------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------------

fn entry_columns() -> String {
    format!(
        "d.id, d.user_id, d.food_item_id, d.nutrition_data_id, d.food_name, d.brand, d.quantity, d.unit,
         d.meal_type, d.entry_date, d.consumed_at, d.serving_size, d.serving_unit, d.serving_weight_g,
         d.servings, {}",
        nutrient_columns("d", "e_")
    )
}

fn entry_from_row(r: &tokio_postgres::Row) -> DiaryEntry {
    let size: Option<Decimal> = r.get("serving_size");
    let unit: Option<String> = r.get("serving_unit");
    let weight: Option<Decimal> = r.get("serving_weight_g");
    DiaryEntry {
        id: r.get("id"),
        user_id: r.get("user_id"),
        food_item_id: r.get("food_item_id"),
        nutrition_data_id: r.get("nutrition_data_id"),
        food_name: r.get("food_name"),
        brand: r.get("brand"),
        quantity: r.get("quantity"),
        unit: r.get("unit"),
        meal_type: r.get("meal_type"),
        date: r.get("entry_date"),
        consumed_at: r.get("consumed_at"),
        serving: ServingSnapshot {
            size: size.map(Amount),
            description: match (size, unit.as_deref()) {
                (Some(s), Some(u)) => Some(describe_serving(s, u, weight)),
                _ => None,
            },
            unit,
            weight_g: weight.map(Amount),
        },
        servings: r.get("servings"),
        nutrients: nutrients_from_row(r, "e_"),
    }
}

pub fn nutrition_error(e: NutritionError) -> AppError {
    match e {
        NutritionError::InvalidQuantity => AppError::invalid("quantity", e.to_string()),
        NutritionError::NotConvertible { .. } | NutritionError::UnknownUnit { .. } => {
            AppError::invalid("unit", e.to_string())
        }
        NutritionError::InvalidServing => AppError::invalid("nutrition_data_id", e.to_string()),
    }
}

/// A serving of a food as stored, with its id.
#[derive(Debug, Clone)]
pub(crate) struct StoredServing {
    pub id: Uuid,
    pub is_default: bool,
    pub serving: Serving,
}

/// The name, brand and servings of a food visible to the caller (RLS), or 404.
pub(crate) async fn food_servings(
    tx: &mut UserTx,
    food_id: Uuid,
) -> AppResult<(String, Option<String>, Vec<StoredServing>)> {
    let rows = tx
        .query(
            &format!(
                "SELECT f.name, f.brand, n.id AS serving_id, n.is_default, n.serving_size, n.serving_unit,
                        n.serving_weight_g, {}
                 FROM food_items f JOIN nutrition_data n ON n.food_item_id = f.id
                 WHERE f.id = $1
                 ORDER BY n.is_default DESC, n.created_at, n.id",
                nutrient_columns("n", "n_")
            ),
            &[&food_id],
        )
        .await?;
    let first = rows.first().ok_or(AppError::NotFound("food"))?;
    let (name, brand) = (first.get("name"), first.get("brand"));
    let servings = rows.iter().map(stored_serving_from_row).collect();
    Ok((name, brand, servings))
}

fn stored_serving_from_row(r: &tokio_postgres::Row) -> StoredServing {
    StoredServing {
        id: r.get("serving_id"),
        is_default: r.get("is_default"),
        serving: Serving {
            size: r.get("serving_size"),
            unit: r.get("serving_unit"),
            weight_g: r.get("serving_weight_g"),
            nutrients: nutrients_from_row(r, "n_"),
        },
    }
}

/// A food as [`food_servings`] reads it.
#[derive(Debug, Clone)]
pub(crate) struct FoodServings {
    pub name: String,
    pub brand: Option<String>,
    pub servings: Vec<StoredServing>,
}

/// [`food_servings`] for many foods in one query; foods the caller cannot see (or without
/// servings) are absent from the map.
pub(crate) async fn foods_servings(
    tx: &mut UserTx,
    food_ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, FoodServings>> {
    let mut foods = std::collections::HashMap::new();
    if food_ids.is_empty() {
        return Ok(foods);
    }
    let rows = tx
        .query(
            &format!(
                "SELECT f.id AS food_id, f.name, f.brand, n.id AS serving_id, n.is_default, n.serving_size,
                        n.serving_unit, n.serving_weight_g, {}
                 FROM food_items f JOIN nutrition_data n ON n.food_item_id = f.id
                 WHERE f.id = ANY($1)
                 ORDER BY f.id, n.is_default DESC, n.created_at, n.id",
                nutrient_columns("n", "n_")
            ),
            &[&food_ids],
        )
        .await?;
    for r in &rows {
        foods
            .entry(r.get::<_, Uuid>("food_id"))
            .or_insert_with(|| FoodServings {
                name: r.get("name"),
                brand: r.get("brand"),
                servings: Vec::new(),
            })
            .servings
            .push(stored_serving_from_row(r));
    }
    Ok(foods)
}

/// An amount of a serving as the diary records it.
#[derive(Debug, Clone)]
pub(crate) struct Portion {
    /// The amount in `unit` (servings, when the serving's own unit word is too long to store).
    pub quantity: Decimal,
    pub unit: String,
    /// How many servings that is (8 places).
    pub servings: Decimal,
    pub nutrients: Nutrients,
}

/// How much of `serving` an amount typed in `unit_text` (default: servings) is, and its
/// nutrients: the one arithmetic of logging, shared by everything that writes the diary.
pub(crate) fn portion(
    serving: &Serving,
    quantity: Decimal,
    unit_text: Option<&str>,
) -> AppResult<Portion> {
    let (count, unit) =
        servings_in(quantity, unit_text.unwrap_or("serving"), serving).map_err(nutrition_error)?;
    let nutrients = nutrients_of_servings(count, serving).map_err(nutrition_error)?;
    // A serving's own unit longer than the column is recorded as servings.
    let (quantity, unit) = if unit.chars().count() > 50 {
        (count, "serving".to_string())
    } else {
        (quantity, unit)
    };
    Ok(Portion {
        quantity,
        unit,
        servings: sparky_core::units::round_dp(count, 8),
        nutrients,
    })
}

/// Which serving an amount refers to: the one asked for by id; else the one whose own unit
/// the amount is typed in ("2 slices"); else the default.
pub(crate) fn choose_serving<'a>(
    servings: &'a [StoredServing],
    serving_id: Option<Uuid>,
    unit: Option<&str>,
) -> AppResult<&'a StoredServing> {
    if let Some(id) = serving_id {
        return servings
            .iter()
            .find(|s| s.id == id)
            .ok_or(AppError::NotFound("serving"));
    }
    if let Some(u) = unit {
        if let Some(s) = servings
            .iter()
            .find(|s| unit_word_matches(u, &s.serving.unit))
        {
            return Ok(s);
        }
    }
    servings
        .iter()
        .find(|s| s.is_default)
        .or_else(|| servings.first())
        .ok_or(AppError::NotFound("serving"))
}

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
    let per_serving = e
        .serving
        .map(|s| serde_json::to_value(&s.nutrients))
        .transpose()
        .map_err(|err| AppError::internal(err.to_string()))?;
    let nutrient_values = values(&e.nutrients);
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
    ];
    for v in &nutrient_values {
        params.push(v);
    }
    let cols = Nutrients::NAMES.join(", ");
    let placeholders: Vec<String> = (18..18 + Nutrients::NAMES.len())
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
             servings, per_serving, meal_plan_id, {cols})
         SELECT target.id, $2, $3, $4, $5, $6, t.at, day.d, $9, $10, $11, $12, $13, $14, $15, $17::uuid, {}
         FROM target, t, day
         WHERE coalesce((SELECT x.entries FROM diary_day_totals x
                         WHERE x.user_id = target.id AND x.entry_date = day.d), 0) < $16::bigint
         RETURNING {}",
        placeholders.join(", "),
        entry_columns()
    );
    match tx.query_opt(&sql, &params).await? {
        Some(row) => Ok(entry_from_row(&row)),
        None => Err(day_full()),
    }
}

fn day_full() -> AppError {
    AppError::invalid(
        "date",
        format!("a diary day holds at most {MAX_ENTRIES_PER_DAY} entries"),
    )
}

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

/// Logs an amount of a food, with a snapshot of its serving and the nutrients it comes to.
pub async fn log(tx: &mut UserTx, acting: Acting, req: &LogFood) -> AppResult<DiaryEntry> {
    log_then(tx, acting, req, false).await
}

/// [`log`] as the whole of a request's transaction: the insert and its `COMMIT` go out in one
/// pipeline (one round trip fewer for the most frequent write).
pub async fn log_and_commit(
    mut tx: UserTx,
    acting: Acting,
    req: &LogFood,
) -> AppResult<DiaryEntry> {
    log_then(&mut tx, acting, req, true).await
}

async fn log_then(
    tx: &mut UserTx,
    acting: Acting,
    req: &LogFood,
    commit: bool,
) -> AppResult<DiaryEntry> {
    let (name, brand, servings) = food_servings(tx, req.food_item_id).await?;
    let chosen = choose_serving(&servings, req.serving_id, req.unit.as_deref())?;
    let p = portion(&chosen.serving, req.quantity, req.unit.as_deref())?;
    if commit {
        tx.commit_with_next_statement();
    }
    insert_entry(
        tx,
        acting,
        &NewEntry {
            food_item_id: Some(req.food_item_id),
            serving_id: Some(chosen.id),
            name: &name,
            brand: brand.as_deref(),
            quantity: p.quantity,
            unit: p.unit,
            meal: req.meal,
            date: req.date,
            consumed_at: req.consumed_at,
            serving: Some(&chosen.serving),
            servings: Some(p.servings),
            nutrients: p.nutrients,
        },
    )
    .await
}

/// [`quick_add`] as the whole of a request's transaction: BEGIN, the insert and COMMIT in one
/// round trip.
pub async fn quick_add_and_commit(
    mut tx: UserTx,
    acting: Acting,
    input: QuickAddInput,
) -> AppResult<DiaryEntry> {
    tx.commit_with_next_statement();
    quick_add(&mut tx, acting, input).await
}

/// Calories and macros without a food.
pub async fn quick_add(
    tx: &mut UserTx,
    acting: Acting,
    input: QuickAddInput,
) -> AppResult<DiaryEntry> {
    let name = input
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or("Quick add")
        .to_string();
    if name.chars().count() > 255 {
        return Err(AppError::invalid("name", "must be at most 255 characters"));
    }
    let nutrients = crate::nutrients::parse_nutrients(input.nutrients, "nutrients")?;
    if nutrients.calories.is_none()
        && nutrients.protein.is_none()
        && nutrients.carbohydrates.is_none()
        && nutrients.fat.is_none()
    {
        return Err(AppError::invalid(
            "nutrients",
            "give at least calories or one macro",
        ));
    }
    insert_entry(
        tx,
        acting,
        &NewEntry {
            food_item_id: None,
            serving_id: None,
            name: &name,
            brand: None,
            quantity: Decimal::ONE,
            unit: "serving".into(),
            meal: input.meal_type,
            date: input.date.map(Date::get),
            consumed_at: input.consumed_at.map(Timestamp::get),
            serving: None,
            servings: None,
            nutrients,
        },
    )
    .await
}

/// One entry by id (404 when it does not exist or is not visible).
pub async fn entry(tx: &mut UserTx, id: Uuid) -> AppResult<DiaryEntry> {
    let row = tx
        .query_opt(
            &format!(
                "SELECT {} FROM food_diary d WHERE d.id = $1",
                entry_columns()
            ),
            &[&id],
        )
        .await?
        .ok_or(AppError::NotFound("diary entry"))?;
    Ok(entry_from_row(&row))
}

/// A day of the diary, grouped by meal, with per-meal and day totals of every nutrient.
pub async fn day(tx: &mut UserTx, acting: Acting, date: NaiveDate) -> AppResult<DiaryDay> {
    let rows = tx
        .query(
            &format!(
                "SELECT {} FROM food_diary d
                 WHERE d.user_id = {OWNER} AND d.entry_date = $2
                 ORDER BY d.consumed_at, d.created_at, d.id",
                entry_columns()
            ),
            &[&acting.owner, &date],
        )
        .await?;
    if rows.is_empty() {
        acting.ensure_visible(tx, Area::Diary).await?;
    }
    let user_id = acting.owner_id(tx).await?;
    Ok(group_day(date, user_id, rows.iter().map(entry_from_row)))
}

/// Groups entries into the four meals with totals.
pub fn group_day(
    date: NaiveDate,
    user_id: Uuid,
    entries: impl IntoIterator<Item = DiaryEntry>,
) -> DiaryDay {
    let mut meals: Vec<(MealType, Vec<DiaryEntry>)> =
        MealType::ALL.iter().map(|m| (*m, Vec::new())).collect();
    for entry in entries {
        let slot = meals
            .iter()
            .position(|(m, _)| m.as_str() == entry.meal_type)
            .unwrap_or(meals.len() - 1);
        meals[slot].1.push(entry);
    }
    let all: Vec<&Nutrients> = meals
        .iter()
        .flat_map(|(_, es)| es.iter().map(|e| &e.nutrients))
        .collect();
    let totals = Nutrients::sum(all.iter().copied());
    let partial = partially_known(all.iter().copied());
    DiaryDay {
        date,
        user_id,
        meals: meals
            .into_iter()
            .map(|(m, entries)| Meal {
                meal_type: m.as_str().to_string(),
                totals: Nutrients::sum(entries.iter().map(|e| &e.nutrients)),
                partial: partially_known(entries.iter().map(|e| &e.nutrients)),
                entries,
            })
            .collect(),
        totals,
        partial,
    }
}

/// Changes an entry's amount, meal or day. Nutrients are recomputed from the snapshot taken
/// when it was logged, not from the food's current values.
pub async fn update(tx: &mut UserTx, id: Uuid, req: UpdateEntryInput) -> AppResult<DiaryEntry> {
    let new_quantity = req
        .quantity
        .map(|q| parse_quantity("quantity", q))
        .transpose()?;
    let new_unit = parse_unit_text(req.unit.as_deref())?;
    let row = tx
        .query_opt(
            "SELECT quantity, unit, serving_size, serving_unit, serving_weight_g, per_serving
             FROM food_diary WHERE id = $1",
            &[&id],
        )
        .await?
        .ok_or(AppError::NotFound("diary entry"))?;
    let quantity: Decimal = new_quantity.unwrap_or_else(|| row.get("quantity"));
    let mut unit_text: String = new_unit.clone().unwrap_or_else(|| row.get("unit"));
    let recompute = new_quantity.is_some() || new_unit.is_some();
    let (servings, nutrients): (Option<Decimal>, Option<Nutrients>) = if recompute {
        let per: Option<serde_json::Value> = row.get("per_serving");
        let size: Option<Decimal> = row.get("serving_size");
        match (per, size) {
            (Some(per), Some(size)) => {
                let serving = Serving {
                    size,
                    unit: row
                        .get::<_, Option<String>>("serving_unit")
                        .unwrap_or_default(),
                    weight_g: row.get("serving_weight_g"),
                    nutrients: serde_json::from_value(per)
                        .map_err(|e| AppError::internal(format!("snapshot: {e}")))?,
                };
                let (count, unit) =
                    servings_in(quantity, &unit_text, &serving).map_err(nutrition_error)?;
                let n = nutrients_of_servings(count, &serving).map_err(nutrition_error)?;
                unit_text = unit;
                (Some(sparky_core::units::round_dp(count, 8)), Some(n))
            }
            // An entry without a snapshot (a quick add, or imported from the seed-era schema)
            // scales its stored values when only the quantity changes.
            _ => (None, None),
        }
    } else {
        (None, None)
    };
    if unit_text.chars().count() > 50 {
        return Err(AppError::invalid("unit", "must be at most 50 characters"));
    }
    let meal = req.meal_type.map(MealType::as_str);
    let date = req.date.map(Date::get);
    let consumed_at = req.consumed_at.map(Timestamp::get);
    let nutrient_values: Vec<Option<Decimal>> = Nutrients::NAMES
        .iter()
        .map(|n| nutrients.as_ref().and_then(|x| x.get(n)))
        .collect();
    let recompute_flag = nutrients.is_some();
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![
        &id,
        &quantity,
        &unit_text,
        &meal,
        &date,
        &consumed_at,
        &servings,
        &recompute_flag,
        &MAX_ENTRIES_PER_DAY,
    ];
    let mut set = vec![
        "quantity = $2".to_string(),
        "unit = $3".to_string(),
        "meal_type = coalesce($4, meal_type)".to_string(),
        "consumed_at = CASE WHEN $6::timestamptz IS NOT NULL THEN $6::timestamptz
                           WHEN $5::date IS NOT NULL THEN consumed_at + ($5::date - entry_date) * interval '1 day'
                           ELSE consumed_at END"
            .to_string(),
        "entry_date = CASE WHEN $5::date IS NOT NULL THEN $5::date
                          WHEN $6::timestamptz IS NOT NULL THEN ($6::timestamptz AT TIME ZONE coalesce(
                              (SELECT p.timezone FROM user_preferences p WHERE p.user_id = d.user_id LIMIT 1), 'UTC'))::date
                          ELSE entry_date END"
            .to_string(),
        "servings = CASE WHEN $8 THEN $7 ELSE servings END".to_string(),
    ];
    for (i, name) in Nutrients::NAMES.iter().enumerate() {
        set.push(format!(
            "{name} = CASE WHEN $8 THEN ${} ELSE {name} END",
            10 + i
        ));
    }
    for v in &nutrient_values {
        params.push(v);
    }
    // Moving an entry to another day counts against that day's limit.
    let sql = format!(
        "UPDATE food_diary d SET {} WHERE d.id = $1
           AND ($5::date IS NULL OR $5::date = d.entry_date
                OR coalesce((SELECT x.entries FROM diary_day_totals x
                             WHERE x.user_id = d.user_id AND x.entry_date = $5::date), 0) < $9::bigint)
         RETURNING {}",
        set.join(", "),
        entry_columns()
    );
    match tx.query_opt(&sql, &params).await? {
        Some(row) => Ok(entry_from_row(&row)),
        // Either the target day is full or the entry is read-only to the caller.
        None if date.is_some() => Err(refused_update_or_full(tx, id).await),
        None => Err(AppError::forbidden(
            "you may read this diary but not change it",
        )),
    }
}

/// After an update that moved an entry changed nothing: a full target day (422) or a diary
/// the caller may only read (403).
async fn refused_update_or_full(tx: &mut UserTx, id: Uuid) -> AppError {
    // An UPDATE that changes nothing tells whether RLS lets us write the row at all.
    match tx
        .execute(
            "UPDATE food_diary SET quantity = quantity WHERE id = $1",
            &[&id],
        )
        .await
    {
        Ok(0) => AppError::forbidden("you may read this diary but not change it"),
        Ok(_) => day_full(),
        Err(e) => e.into(),
    }
}

/// Deletes an entry: 404 if invisible, 403 if only readable.
pub async fn delete(tx: &mut UserTx, id: Uuid) -> AppResult<()> {
    delete_by_id(
        tx,
        "food_diary",
        id,
        "diary entry",
        "you may read this diary but not change it",
    )
    .await
}

/// Copies a meal or a whole day to another day, as it was logged, from the diary being
/// written or from a family member's. A day cannot be copied onto itself, and the copy must
/// fit into the target day's entry limit. Row level security decides what may be read and
/// written; a diary that is not shared is a 404.
pub async fn copy(tx: &mut UserTx, acting: Acting, req: CopyInput) -> AppResult<CopyResult> {
    // Whose diary is read: the one written unless someone else's is named (the caller's id is
    // looked up only then; it costs a round trip before the first statement).
    let same_diary = match req.from_user_id {
        None => true,
        Some(from) => from == acting.owner_id(tx).await?,
    };
    let source = Acting::new(req.from_user_id.or(acting.owner));
    if req.from_date == req.to_date && same_diary {
        return Err(AppError::invalid(
            "to_date",
            "must differ from from_date (a day cannot be copied onto itself)",
        ));
    }
    let cols = Nutrients::NAMES.join(", ");
    let meal = req.meal_type.map(MealType::as_str);
    let rows = tx
        .query(
            &format!(
                "WITH target AS (SELECT {OWNER} AS id),
                 src AS (
                     SELECT s.* FROM food_diary s
                     WHERE s.user_id = (SELECT coalesce($6::uuid, auth.uid())) AND s.entry_date = $2::date
                       AND ($4::text IS NULL OR s.meal_type = $4::text)
                     ORDER BY s.consumed_at, s.created_at
                     LIMIT $5::bigint
                 ),
                 room AS (
                     SELECT $5::bigint - coalesce((SELECT x.entries FROM diary_day_totals x, target
                                           WHERE x.user_id = target.id AND x.entry_date = $3::date), 0) AS n
                 ),
                 c AS (
                     INSERT INTO food_diary (user_id, food_item_id, nutrition_data_id, quantity, unit, meal_type,
                         consumed_at, entry_date, food_name, brand, serving_size, serving_unit, serving_weight_g,
                         servings, per_serving, {cols})
                     SELECT target.id,
                         -- Someone else's own food stays theirs: linked only when it is the
                         -- shared catalog's or the target's own (the snapshot is copied anyway).
                         CASE WHEN src.user_id = target.id THEN src.food_item_id
                              ELSE (SELECT f.id FROM food_items f WHERE f.id = src.food_item_id
                                      AND (f.user_id IS NULL OR f.user_id = target.id)) END,
                         CASE WHEN src.user_id = target.id THEN src.nutrition_data_id
                              ELSE (SELECT n.id FROM nutrition_data n JOIN food_items f ON f.id = n.food_item_id
                                    WHERE n.id = src.nutrition_data_id
                                      AND (f.user_id IS NULL OR f.user_id = target.id)) END,
                         quantity, unit, meal_type,
                         consumed_at + ($3::date - $2::date) * interval '1 day', $3::date, food_name, brand,
                         serving_size, serving_unit, serving_weight_g, servings, per_serving, {cols}
                     FROM src, target
                     WHERE (SELECT count(*) FROM src) <= (SELECT n FROM room)
                     RETURNING *
                 )
                 SELECT {}, (SELECT count(*) FROM src) AS source_count FROM c d ORDER BY d.consumed_at",
                entry_columns()
            ),
            &[
                &acting.owner,
                &req.from_date.get(),
                &req.to_date.get(),
                &meal,
                &MAX_ENTRIES_PER_DAY,
                &source.owner,
            ],
        )
        .await?;
    if rows.is_empty() {
        // Nothing copied: an empty source, a full target, or a diary not shared with us.
        acting.ensure_visible(tx, Area::Diary).await?;
        source.ensure_visible(tx, Area::Diary).await?;
        let source_rows = tx
            .query_one(
                &format!(
                    "SELECT count(*) FROM food_diary WHERE user_id = {OWNER} AND entry_date = $2
                       AND ($3::text IS NULL OR meal_type = $3::text)"
                ),
                &[&source.owner, &req.from_date.get(), &meal],
            )
            .await?;
        if source_rows.get::<_, i64>(0) > 0 {
            return Err(day_full());
        }
    }
    let entries: Vec<DiaryEntry> = rows.iter().map(entry_from_row).collect();
    Ok(CopyResult {
        copied: entries.len(),
        entries,
    })
}

/// Foods logged in the last 90 days (whatever day they were for), most recent first, with
/// the last amount used.
pub async fn recent(tx: &mut UserTx, acting: Acting, limit: i64) -> AppResult<Vec<RecentFood>> {
    if !(1..=100).contains(&limit) {
        return Err(AppError::invalid("limit", "must be between 1 and 100"));
    }
    let rows = tx
        .query(
            &format!(
                "SELECT * FROM (
                     SELECT DISTINCT ON (food_item_id) food_item_id, nutrition_data_id, food_name, brand,
                            quantity, unit, meal_type, created_at,
                            count(*) OVER (PARTITION BY food_item_id) AS times
                     FROM food_diary
                     WHERE user_id = {OWNER} AND food_item_id IS NOT NULL
                       AND created_at > now() - interval '90 days'
                     ORDER BY food_item_id, created_at DESC
                 ) r ORDER BY created_at DESC LIMIT $2"
            ),
            &[&acting.owner, &limit],
        )
        .await?;
    if rows.is_empty() {
        acting.ensure_visible(tx, Area::Diary).await?;
    }
    Ok(rows
        .iter()
        .map(|r| RecentFood {
            food_item_id: r.get("food_item_id"),
            nutrition_data_id: r.get("nutrition_data_id"),
            food_name: r.get("food_name"),
            brand: r.get("brand"),
            last_quantity: r.get("quantity"),
            last_unit: r.get("unit"),
            last_meal_type: r.get("meal_type"),
            last_logged_at: r.get("created_at"),
            times_logged: r.get("times"),
        })
        .collect())
}

/// Deletes an entry and returns everything it held, so the deletion can be undone with
/// [`restore`] (the web app's Undo, the assistant's "undo the last action").
pub async fn remove(tx: &mut UserTx, id: Uuid) -> AppResult<serde_json::Value> {
    let row = tx
        .query_opt(
            "DELETE FROM food_diary d WHERE d.id = $1 RETURNING to_jsonb(d)",
            &[&id],
        )
        .await?;
    match row {
        Some(r) => Ok(r.get(0)),
        // Nothing deleted: tell invisible (404) from read-only (403).
        None => delete(tx, id).await.map(|_| serde_json::Value::Null),
    }
}

/// Puts back an entry [`remove`] returned, exactly as it was (same id). RLS decides whether
/// the caller may write that diary; a restored entry may be restored only once.
pub async fn restore(tx: &mut UserTx, snapshot: &serde_json::Value) -> AppResult<DiaryEntry> {
    if !snapshot.is_object() {
        return Err(AppError::invalid("entry", "is not a deleted diary entry"));
    }
    let row = tx
        .query_opt(
            &format!(
                "INSERT INTO food_diary AS d
                 SELECT * FROM jsonb_populate_record(NULL::food_diary, $1)
                 ON CONFLICT (id) DO NOTHING
                 RETURNING {}",
                entry_columns()
            ),
            &[snapshot],
        )
        .await?;
    row.map(|r| entry_from_row(&r))
        .ok_or_else(|| AppError::conflict("that entry is already back in the diary"))
}
