//! The food diary: log, edit, delete, a day with exact per-meal and day totals, copy a meal
//! or a day, recent foods. Every entry keeps a snapshot of what was eaten, so editing or
//! deleting a food never rewrites history. `?user_id=` acts on a family member's diary; RLS
//! alone decides (`calorie` writes, `reports` reads).

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sparky_core::nutrition::{nutrients_for, servings_for, Nutrients, NutritionError, Serving};
use sparky_core::units::Unit;
use tokio_postgres::types::ToSql;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::foods::describe_serving;
use super::nutrients::{
    decimal_from_f64, f64_of, nutrient_columns, nutrients_from_row, NutrientValues,
};
use crate::auth::{ActingFor, Auth};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(log_food))
        .routes(routes!(get_day, update_entry, delete_entry))
        .routes(routes!(copy_entries))
        .routes(routes!(recent_foods))
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MealType {
    Breakfast,
    Lunch,
    Dinner,
    Snack,
}

impl MealType {
    pub const ALL: [MealType; 4] = [
        MealType::Breakfast,
        MealType::Lunch,
        MealType::Dinner,
        MealType::Snack,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            MealType::Breakfast => "breakfast",
            MealType::Lunch => "lunch",
            MealType::Dinner => "dinner",
            MealType::Snack => "snack",
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogFood {
    pub food_item_id: Uuid,
    /// Which serving the quantity refers to (default: the food's default serving).
    pub nutrition_data_id: Option<Uuid>,
    /// How much, in `unit`; greater than zero.
    pub quantity: f64,
    /// g, kg, mg, oz, lb, ml, l, tsp, tbsp, cup, fl oz, or serving.
    pub unit: String,
    pub meal_type: MealType,
    /// The diary day (YYYY-MM-DD) in the diary owner's timezone. Default: from `consumed_at`, else today.
    pub date: Option<NaiveDate>,
    /// When it was eaten (RFC 3339). Default: now for today, else noon of `date`.
    pub consumed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServingSnapshot {
    pub size: Option<f64>,
    pub unit: Option<String>,
    pub weight_g: Option<f64>,
    pub description: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiaryEntry {
    pub id: Uuid,
    pub user_id: Uuid,
    /// Null when the food was deleted since; the entry keeps what it recorded.
    pub food_item_id: Option<Uuid>,
    pub nutrition_data_id: Option<Uuid>,
    pub food_name: String,
    pub brand: Option<String>,
    pub quantity: f64,
    pub unit: String,
    pub meal_type: String,
    pub date: NaiveDate,
    pub consumed_at: DateTime<Utc>,
    pub serving: ServingSnapshot,
    /// How many servings the quantity is.
    pub servings: Option<f64>,
    pub nutrients: NutrientValues,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Meal {
    pub meal_type: String,
    pub entries: Vec<DiaryEntry>,
    pub totals: NutrientValues,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiaryDay {
    pub date: NaiveDate,
    pub user_id: Uuid,
    /// breakfast, lunch, dinner, snack — always all four, in that order.
    pub meals: Vec<Meal>,
    pub totals: NutrientValues,
}

fn entry_columns() -> String {
    format!(
        "d.id, d.user_id, d.food_item_id, d.nutrition_data_id, d.food_name, d.brand, d.quantity, d.unit,
         d.meal_type, d.entry_date, d.consumed_at, d.serving_size, d.serving_unit, d.serving_weight_g,
         d.servings, {}",
        nutrient_columns("d", "e_")
    )
}

fn entry_from_row(r: &tokio_postgres::Row) -> (DiaryEntry, Nutrients) {
    let nutrients = nutrients_from_row(r, "e_");
    let size: Option<Decimal> = r.get("serving_size");
    let unit: Option<String> = r.get("serving_unit");
    let weight: Option<Decimal> = r.get("serving_weight_g");
    let entry = DiaryEntry {
        id: r.get("id"),
        user_id: r.get("user_id"),
        food_item_id: r.get("food_item_id"),
        nutrition_data_id: r.get("nutrition_data_id"),
        food_name: r.get("food_name"),
        brand: r.get("brand"),
        quantity: f64_of(r.get("quantity")),
        unit: r.get("unit"),
        meal_type: r.get("meal_type"),
        date: r.get("entry_date"),
        consumed_at: r.get("consumed_at"),
        serving: ServingSnapshot {
            size: size.map(f64_of),
            description: match (size, unit.as_deref()) {
                (Some(s), Some(u)) => Some(describe_serving(s, u, weight)),
                _ => None,
            },
            unit,
            weight_g: weight.map(f64_of),
        },
        servings: r.get::<_, Option<Decimal>>("servings").map(f64_of),
        nutrients: (&nutrients).into(),
    };
    (entry, nutrients)
}

pub(crate) fn parse_quantity(q: f64) -> ApiResult<Decimal> {
    let d = decimal_from_f64("quantity", q)?;
    if d <= Decimal::ZERO || d > Decimal::from(1_000_000) {
        return Err(ApiError::invalid(
            "quantity",
            "must be greater than 0 (and at most 1,000,000)",
        ));
    }
    Ok(sparky_core::units::round_dp(d, 4))
}

pub(crate) fn parse_unit(u: &str) -> ApiResult<Unit> {
    Unit::parse(u).map_err(|e| ApiError::invalid("unit", e.to_string()))
}

pub(crate) fn nutrition_error(e: NutritionError) -> ApiError {
    match e {
        NutritionError::InvalidQuantity => ApiError::invalid("quantity", e.to_string()),
        NutritionError::NotConvertible { .. } => ApiError::invalid("unit", e.to_string()),
        NutritionError::InvalidServing => ApiError::invalid("nutrition_data_id", e.to_string()),
    }
}

/// `Idempotency-Key`: a retried write with the same key returns the first answer.
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        match parts.headers.get("idempotency-key") {
            None => Ok(IdempotencyKey(None)),
            Some(v) => {
                let key = v
                    .to_str()
                    .map_err(|_| ApiError::bad_request("Idempotency-Key must be text"))?
                    .trim();
                if key.is_empty() || key.len() > 255 {
                    return Err(ApiError::bad_request(
                        "Idempotency-Key must be 1 to 255 characters",
                    ));
                }
                Ok(IdempotencyKey(Some(key.to_string())))
            }
        }
    }
}

/// Log a food.
///
/// Send an `Idempotency-Key` header to make retries safe: the same key within 24 hours returns
/// the first result and logs nothing twice.
#[utoipa::path(post, path = "/api/v1/diary", tag = "diary",
    security(("session" = []), ("api_key" = [])),
    params(ActingFor, ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    request_body = LogFood,
    responses(
        (status = 201, description = "Logged", body = DiaryEntry),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "No write access to that diary", body = ErrorBody),
        (status = 404, description = "No such food or serving", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody),
    ))]
async fn log_food(
    Auth { mut tx, .. }: Auth,
    acting: ActingFor,
    IdempotencyKey(key): IdempotencyKey,
    ApiJson(req): ApiJson<LogFood>,
) -> ApiResult<(StatusCode, ApiJson<serde_json::Value>)> {
    let quantity = parse_quantity(req.quantity)?;
    let unit = parse_unit(&req.unit)?;
    if let Some(key) = &key {
        // Serialise retries of one key; the second waits and then finds the first answer.
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(auth.uid()::text || ':' || $1, 42))",
            &[key],
        )
        .await?;
        let stored = tx
            .query_opt(
                "SELECT response_status, response_body FROM idempotency_keys
                 WHERE user_id = auth.uid() AND idempotency_key = $1 AND created_at > now() - interval '24 hours'",
                &[key],
            )
            .await?;
        if let Some(row) = stored {
            let status: i32 = row.get(0);
            let body: serde_json::Value = row.get(1);
            tx.commit().await?;
            let status = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
            return Ok((status, ApiJson(body)));
        }
    }
    let serving_row = tx
        .query_opt(
            &format!(
                "SELECT f.name, f.brand, n.id AS serving_id, n.serving_size, n.serving_unit, n.serving_weight_g, {}
                 FROM food_items f JOIN nutrition_data n ON n.food_item_id = f.id
                 WHERE f.id = $1 AND (n.id = $2 OR ($2::uuid IS NULL AND n.is_default))",
                nutrient_columns("n", "n_")
            ),
            &[&req.food_item_id, &req.nutrition_data_id],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("food or serving"))?;
    let serving = Serving {
        size: serving_row.get("serving_size"),
        unit: serving_row.get("serving_unit"),
        weight_g: serving_row.get("serving_weight_g"),
        nutrients: nutrients_from_row(&serving_row, "n_"),
    };
    let servings = servings_for(quantity, unit, &serving).map_err(nutrition_error)?;
    let nutrients = nutrients_for(quantity, unit, &serving).map_err(nutrition_error)?;
    let per_serving = serde_json::to_value(&serving.nutrients).map_err(|_| ApiError::internal())?;
    let serving_id: Uuid = serving_row.get("serving_id");
    let name: String = serving_row.get("name");
    let brand: Option<String> = serving_row.get("brand");
    let servings = sparky_core::units::round_dp(servings, 8);
    let values: Vec<Option<Decimal>> = Nutrients::NAMES.iter().map(|n| nutrients.get(n)).collect();
    let unit_text = unit.as_str();
    let meal = req.meal_type.as_str();
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![
        &acting.user_id,
        &req.food_item_id,
        &serving_id,
        &quantity,
        &unit_text,
        &meal,
        &req.date,
        &req.consumed_at,
        &name,
        &brand,
        &serving.size,
        &serving.unit,
        &serving.weight_g,
        &servings,
        &per_serving,
    ];
    for v in &values {
        params.push(v);
    }
    let cols = Nutrients::NAMES.join(", ");
    let placeholders: Vec<String> = (16..16 + Nutrients::NAMES.len())
        .map(|i| format!("${i}"))
        .collect();
    let sql = format!(
        "WITH target AS (SELECT coalesce($1::uuid, auth.uid()) AS id),
         tz AS (SELECT coalesce((SELECT p.timezone FROM user_preferences p, target WHERE p.user_id = target.id LIMIT 1), 'UTC') AS name),
         t AS (SELECT CASE
                   WHEN $8::timestamptz IS NOT NULL THEN $8::timestamptz
                   WHEN $7::date IS NULL OR $7::date = (now() AT TIME ZONE tz.name)::date THEN now()
                   ELSE ($7::date + time '12:00') AT TIME ZONE tz.name
               END AS at, tz.name AS zone FROM tz)
         INSERT INTO food_diary AS d (user_id, food_item_id, nutrition_data_id, quantity, unit, meal_type,
             consumed_at, entry_date, food_name, brand, serving_size, serving_unit, serving_weight_g,
             servings, per_serving, {cols})
         SELECT target.id, $2, $3, $4, $5, $6, t.at, coalesce($7::date, (t.at AT TIME ZONE t.zone)::date),
             $9, $10, $11, $12, $13, $14, $15, {}
         FROM target, t
         RETURNING {}",
        placeholders.join(", "),
        entry_columns()
    );
    let Some(key) = key else {
        // Nothing else to write: the INSERT goes out together with its COMMIT (one round trip
        // less, and the pooled connection is free one round trip sooner).
        let row = tx
            .query_and_commit(&sql, &params)
            .await?
            .pop()
            .ok_or_else(ApiError::internal)?;
        let (entry, _) = entry_from_row(&row);
        let body = serde_json::to_value(&entry).map_err(|_| ApiError::internal())?;
        return Ok((StatusCode::CREATED, ApiJson(body)));
    };
    let row = tx.query_one(&sql, &params).await?;
    let (entry, _) = entry_from_row(&row);
    let body = serde_json::to_value(&entry).map_err(|_| ApiError::internal())?;
    tx.execute(
        "DELETE FROM idempotency_keys WHERE user_id = auth.uid() AND idempotency_key = $1",
        &[&key],
    )
    .await?;
    tx.execute(
        "INSERT INTO idempotency_keys (user_id, idempotency_key, request_path, response_status, response_body)
         VALUES (auth.uid(), $1, '/api/v1/diary', 201, $2)",
        &[&key, &body],
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(body)))
}

fn parse_day(key: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(key, "%Y-%m-%d")
        .map_err(|_| ApiError::invalid("date", "must be a date like 2026-11-25"))
}

fn parse_entry_id(key: &str) -> ApiResult<Uuid> {
    key.parse().map_err(|_| ApiError::not_found("diary entry"))
}

/// A day of the diary, grouped by meal, with per-meal and day totals of every nutrient.
#[utoipa::path(get, path = "/api/v1/diary/{key}", tag = "diary",
    security(("session" = []), ("api_key" = [])),
    params(("key" = String, Path, description = "The day, YYYY-MM-DD (in the diary owner's timezone)"), ActingFor),
    responses(
        (status = 200, description = "The day", body = DiaryDay),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "That diary is not shared with you", body = ErrorBody),
        (status = 422, description = "Invalid date", body = ErrorBody),
    ))]
async fn get_day(
    Auth { mut tx, .. }: Auth,
    Path(key): Path<String>,
    acting: ActingFor,
) -> ApiResult<ApiJson<DiaryDay>> {
    let date = parse_day(&key)?;
    let rows = tx
        .query(
            &format!(
                "SELECT {} FROM food_diary d
                 WHERE d.user_id = (SELECT coalesce($1::uuid, auth.uid())) AND d.entry_date = $2
                 ORDER BY d.consumed_at, d.created_at, d.id",
                entry_columns()
            ),
            &[&acting.user_id, &date],
        )
        .await?;
    let me = tx.user_id().await?;
    let target = acting.user_id.unwrap_or(me);
    if rows.is_empty() && target != me {
        // Nothing to show: either an empty day or a diary not shared with us; tell them apart.
        let visible = tx
            .query_opt(
                "SELECT 1 FROM family_access WHERE grantor_user_id = $1 AND grantee_user_id = auth.uid()
                 AND access_type IN ('calorie', 'reports')",
                &[&target],
            )
            .await?
            .is_some();
        if !visible {
            return Err(ApiError::not_found("diary"));
        }
    }
    tx.commit().await?;
    let mut all = Vec::new();
    let mut meals: Vec<(MealType, Vec<DiaryEntry>, Vec<Nutrients>)> = MealType::ALL
        .iter()
        .map(|m| (*m, Vec::new(), Vec::new()))
        .collect();
    for r in &rows {
        let (entry, n) = entry_from_row(r);
        if let Some(slot) = meals
            .iter_mut()
            .find(|(m, _, _)| m.as_str() == entry.meal_type)
        {
            slot.1.push(entry);
            slot.2.push(n.clone());
        }
        all.push(n);
    }
    Ok(ApiJson(DiaryDay {
        date,
        user_id: target,
        meals: meals
            .into_iter()
            .map(|(m, entries, ns)| Meal {
                meal_type: m.as_str().to_string(),
                totals: (&Nutrients::sum(&ns)).into(),
                entries,
            })
            .collect(),
        totals: (&Nutrients::sum(&all)).into(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEntry {
    pub quantity: Option<f64>,
    pub unit: Option<String>,
    pub meal_type: Option<MealType>,
    /// Move the entry to another day (keeps its time of day).
    pub date: Option<NaiveDate>,
    pub consumed_at: Option<DateTime<Utc>>,
}

/// Change an entry's amount, meal or day. Nutrients are recomputed from the snapshot taken
/// when it was logged, not from the food's current values.
#[utoipa::path(put, path = "/api/v1/diary/{key}", tag = "diary",
    security(("session" = []), ("api_key" = [])),
    params(("key" = Uuid, Path, description = "Entry id")),
    request_body = UpdateEntry,
    responses(
        (status = 200, description = "Updated", body = DiaryEntry),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "No write access to that diary", body = ErrorBody),
        (status = 404, description = "No such entry", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody),
    ))]
async fn update_entry(
    Auth { mut tx, .. }: Auth,
    Path(key): Path<String>,
    ApiJson(req): ApiJson<UpdateEntry>,
) -> ApiResult<ApiJson<DiaryEntry>> {
    let id = parse_entry_id(&key)?;
    let row = tx
        .query_opt(
            "SELECT quantity, unit, serving_size, serving_unit, serving_weight_g, per_serving
             FROM food_diary WHERE id = $1",
            &[&id],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("diary entry"))?;
    let quantity = match req.quantity {
        Some(q) => parse_quantity(q)?,
        None => row.get("quantity"),
    };
    let unit_text: String = match &req.unit {
        Some(u) => parse_unit(u)?.as_str().to_string(),
        None => row.get("unit"),
    };
    let recompute = req.quantity.is_some() || req.unit.is_some();
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
                    nutrients: serde_json::from_value(per).map_err(|_| ApiError::internal())?,
                };
                let unit = parse_unit(&unit_text)?;
                let s = servings_for(quantity, unit, &serving).map_err(nutrition_error)?;
                let n = nutrients_for(quantity, unit, &serving).map_err(nutrition_error)?;
                (Some(sparky_core::units::round_dp(s, 8)), Some(n))
            }
            // An entry without a snapshot (imported from the seed-era schema) keeps its values.
            _ => (None, None),
        }
    } else {
        (None, None)
    };
    let meal = req.meal_type.map(MealType::as_str);
    let mut set = vec![
        "quantity = $2".to_string(),
        "unit = $3".to_string(),
        "meal_type = coalesce($4, meal_type)".to_string(),
    ];
    let values: Vec<Option<Decimal>> = Nutrients::NAMES
        .iter()
        .map(|n| nutrients.as_ref().and_then(|x| x.get(n)))
        .collect();
    let recompute_flag = nutrients.is_some();
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![
        &id,
        &quantity,
        &unit_text,
        &meal,
        &req.date,
        &req.consumed_at,
        &servings,
        &recompute_flag,
    ];
    set.push(
        "consumed_at = CASE WHEN $6::timestamptz IS NOT NULL THEN $6::timestamptz
                           WHEN $5::date IS NOT NULL THEN consumed_at + ($5::date - entry_date) * interval '1 day'
                           ELSE consumed_at END"
            .into(),
    );
    set.push(
        "entry_date = CASE WHEN $5::date IS NOT NULL THEN $5::date
                          WHEN $6::timestamptz IS NOT NULL THEN ($6::timestamptz AT TIME ZONE coalesce(
                              (SELECT p.timezone FROM user_preferences p WHERE p.user_id = d.user_id LIMIT 1), 'UTC'))::date
                          ELSE entry_date END"
            .into(),
    );
    set.push("servings = CASE WHEN $8 THEN $7 ELSE servings END".into());
    for (i, name) in Nutrients::NAMES.iter().enumerate() {
        set.push(format!(
            "{name} = CASE WHEN $8 THEN ${} ELSE {name} END",
            9 + i
        ));
    }
    for v in &values {
        params.push(v);
    }
    let sql = format!(
        "UPDATE food_diary d SET {} WHERE d.id = $1 RETURNING {}",
        set.join(", "),
        entry_columns()
    );
    let updated = tx.query_opt(&sql, &params).await?;
    let Some(row) = updated else {
        return Err(ApiError::forbidden(
            "you may read this diary but not change it",
        ));
    };
    tx.commit().await?;
    Ok(ApiJson(entry_from_row(&row).0))
}

/// Delete an entry.
#[utoipa::path(delete, path = "/api/v1/diary/{key}", tag = "diary",
    security(("session" = []), ("api_key" = [])),
    params(("key" = Uuid, Path, description = "Entry id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "No write access to that diary", body = ErrorBody),
        (status = 404, description = "No such entry", body = ErrorBody),
    ))]
async fn delete_entry(Auth { tx, .. }: Auth, Path(key): Path<String>) -> ApiResult<StatusCode> {
    let id = parse_entry_id(&key)?;
    let rows = tx
        .query_and_commit(
            "WITH d AS (DELETE FROM food_diary WHERE id = $1 RETURNING 1)
             SELECT (SELECT count(*) FROM d), EXISTS (SELECT 1 FROM food_diary WHERE id = $1)",
            &[&id],
        )
        .await?;
    let (deleted, visible): (i64, bool) = rows
        .first()
        .map(|r| (r.get(0), r.get(1)))
        .unwrap_or((0, false));
    match (deleted, visible) {
        (n, _) if n > 0 => Ok(StatusCode::NO_CONTENT),
        (_, true) => Err(ApiError::forbidden(
            "you may read this diary but not change it",
        )),
        _ => Err(ApiError::not_found("diary entry")),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyRequest {
    pub from_date: NaiveDate,
    pub to_date: NaiveDate,
    /// Copy only this meal (default: the whole day).
    pub meal_type: Option<MealType>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CopyResult {
    pub copied: usize,
    pub entries: Vec<DiaryEntry>,
}

/// Copy a meal or a whole day to another day, as it was logged.
#[utoipa::path(post, path = "/api/v1/diary/copy", tag = "diary",
    security(("session" = []), ("api_key" = [])),
    params(ActingFor),
    request_body = CopyRequest,
    responses(
        (status = 201, description = "Copied", body = CopyResult),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "No write access to that diary", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody),
    ))]
async fn copy_entries(
    Auth { tx, .. }: Auth,
    acting: ActingFor,
    ApiJson(req): ApiJson<CopyRequest>,
) -> ApiResult<(StatusCode, ApiJson<CopyResult>)> {
    let cols = Nutrients::NAMES.join(", ");
    let meal = req.meal_type.map(MealType::as_str);
    let rows = tx
        .query_and_commit(
            &format!(
                "WITH c AS (
                     INSERT INTO food_diary (user_id, food_item_id, nutrition_data_id, quantity, unit, meal_type,
                         consumed_at, entry_date, food_name, brand, serving_size, serving_unit, serving_weight_g,
                         servings, per_serving, {cols})
                     SELECT user_id, food_item_id, nutrition_data_id, quantity, unit, meal_type,
                         consumed_at + ($3::date - $2::date) * interval '1 day', $3::date, food_name, brand,
                         serving_size, serving_unit, serving_weight_g, servings, per_serving, {cols}
                     FROM food_diary
                     WHERE user_id = (SELECT coalesce($1::uuid, auth.uid())) AND entry_date = $2::date
                       AND ($4::text IS NULL OR meal_type = $4::text)
                     ORDER BY consumed_at, created_at
                     RETURNING *
                 )
                 SELECT {} FROM c d ORDER BY d.consumed_at",
                entry_columns()
            ),
            &[&acting.user_id, &req.from_date, &req.to_date, &meal],
        )
        .await?;
    let entries: Vec<DiaryEntry> = rows.iter().map(|r| entry_from_row(r).0).collect();
    Ok((
        StatusCode::CREATED,
        ApiJson(CopyResult {
            copied: entries.len(),
            entries,
        }),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct RecentParams {
    /// 1–100, default 20.
    pub limit: Option<i64>,
    pub user_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecentFood {
    pub food_item_id: Uuid,
    pub nutrition_data_id: Option<Uuid>,
    pub food_name: String,
    pub brand: Option<String>,
    /// The amount logged last time, to re-log with one tap.
    pub last_quantity: f64,
    pub last_unit: String,
    pub last_meal_type: String,
    pub last_logged_at: DateTime<Utc>,
    /// How often it was logged in the last 90 days.
    pub times_logged: i64,
}

/// Foods logged recently (logged in the last 90 days, whatever day they were for), most
/// recent first, with the last amount used.
#[utoipa::path(get, path = "/api/v1/diary/recent", tag = "diary",
    security(("session" = []), ("api_key" = [])),
    params(RecentParams),
    responses(
        (status = 200, description = "Recently logged foods", body = Vec<RecentFood>),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ))]
async fn recent_foods(
    Auth { tx, .. }: Auth,
    Query(p): Query<RecentParams>,
) -> ApiResult<ApiJson<Vec<RecentFood>>> {
    let limit = p.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 100"));
    }
    let rows = tx
        .query_and_commit(
            "SELECT * FROM (
                 SELECT DISTINCT ON (food_item_id) food_item_id, nutrition_data_id, food_name, brand,
                        quantity, unit, meal_type, created_at,
                        count(*) OVER (PARTITION BY food_item_id) AS times
                 FROM food_diary
                 WHERE user_id = (SELECT coalesce($1::uuid, auth.uid())) AND food_item_id IS NOT NULL
                   AND created_at > now() - interval '90 days'
                 ORDER BY food_item_id, created_at DESC
             ) r ORDER BY created_at DESC LIMIT $2",
            &[&p.user_id, &limit],
        )
        .await?;
    Ok(ApiJson(
        rows.iter()
            .map(|r| RecentFood {
                food_item_id: r.get("food_item_id"),
                nutrition_data_id: r.get("nutrition_data_id"),
                food_name: r.get("food_name"),
                brand: r.get("brand"),
                last_quantity: f64_of(r.get("quantity")),
                last_unit: r.get("unit"),
                last_meal_type: r.get("meal_type"),
                last_logged_at: r.get("created_at"),
                times_logged: r.get("times"),
            })
            .collect(),
    ))
}
