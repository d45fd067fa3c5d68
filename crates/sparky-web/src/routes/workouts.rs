//! The exercise diary ("workouts"): log strength sets, cardio duration and distance, or both;
//! edit, delete, a day, a date range, and an exercise's history with personal records.
//!
//! Weights are stored in kg and distances in km (NUMERIC, 6 places) and shown in the diary
//! owner's units (user_preferences.units_system), so 90 lb goes in and 90 lb comes out.
//! Calories burned are the user's number when given, else MET × body weight × hours, with the
//! body weight being the owner's latest weight measurement on or before that day.
//! `?user_id=` acts on a family member's diary; RLS alone decides (`calorie` writes,
//! `reports` reads).

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use sparky_core::exercise::{epley_one_rep_max, met_calories, pace_min_per_km};
use sparky_core::units::{kg_to_lb, km_to_mi, lb_to_kg, mi_to_km, round_dp};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::nutrients::{decimal_from_f64, f64_of};
use crate::auth::{ActingFor, Auth};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(log_workout, list_workouts))
        .routes(routes!(get_day, update_workout, delete_workout))
        .routes(routes!(exercise_history))
}

/// Longest range `GET /api/v1/workouts?from=&to=` returns, in days.
const MAX_RANGE_DAYS: i64 = 366;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum WeightUnit {
    Kg,
    Lb,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DistanceUnit {
    Km,
    Mi,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetInput {
    pub reps: Option<i32>,
    pub weight: Option<f64>,
    /// kg or lb (default: the diary owner's units).
    pub unit: Option<WeightUnit>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogWorkout {
    pub exercise_id: Uuid,
    /// When it was done (RFC 3339). Default: now for today, else noon of `date`.
    pub performed_at: Option<DateTime<Utc>>,
    /// The diary day (YYYY-MM-DD) in the diary owner's timezone. Default: from `performed_at`, else today.
    pub date: Option<NaiveDate>,
    /// Whole minutes, 0 to 10080.
    pub duration_minutes: Option<i32>,
    pub distance: Option<f64>,
    /// km or mi (default: the diary owner's units).
    pub distance_unit: Option<DistanceUnit>,
    /// Every set, in order (at most 100).
    #[serde(default)]
    pub sets: Vec<SetInput>,
    /// kcal; when given it is used instead of the MET estimate.
    pub calories_burned: Option<f64>,
    pub notes: Option<String>,
}

/// `Some(None)` for an explicit `null`, `None` when the field is left out.
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Fields to change; the ones left out keep their value, `null` clears one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWorkout {
    pub performed_at: Option<DateTime<Utc>>,
    /// Move the entry to another day (keeps its time of day).
    pub date: Option<NaiveDate>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>)]
    pub duration_minutes: Option<Option<i32>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<f64>)]
    pub distance: Option<Option<f64>>,
    pub distance_unit: Option<DistanceUnit>,
    /// Replaces all sets.
    pub sets: Option<Vec<SetInput>>,
    /// A number sets your own value; `null` goes back to the MET estimate.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<f64>)]
    pub calories_burned: Option<Option<f64>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkoutSet {
    pub set_number: i32,
    pub reps: Option<i32>,
    /// In `unit` (the diary owner's units).
    pub weight: Option<f64>,
    pub unit: WeightUnit,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Workout {
    pub id: Uuid,
    pub user_id: Uuid,
    /// Null when the exercise was deleted since; the entry keeps its name.
    pub exercise_id: Option<Uuid>,
    pub exercise_name: String,
    pub date: NaiveDate,
    pub performed_at: DateTime<Utc>,
    pub duration_minutes: Option<i32>,
    /// In `distance_unit` (the diary owner's units).
    pub distance: Option<f64>,
    pub distance_unit: DistanceUnit,
    /// Minutes per `distance_unit`, when duration and distance are known.
    pub pace: Option<f64>,
    pub sets: Vec<WorkoutSet>,
    /// kcal; null when it could not be estimated (see `hint`).
    pub calories_burned: Option<f64>,
    /// `user` (typed in) or `met` (MET × body weight × hours).
    pub calories_source: Option<String>,
    /// The exercise's MET value when it was logged.
    pub met_value: Option<f64>,
    pub notes: Option<String>,
    /// Why there is no calorie estimate, e.g. "add your weight to estimate calories".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkoutDay {
    pub date: NaiveDate,
    pub user_id: Uuid,
    pub entries: Vec<Workout>,
    /// Sum of the entries' calories (entries without an estimate count as 0).
    pub total_calories_burned: f64,
    pub total_duration_minutes: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkoutRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub user_id: Uuid,
    pub entries: Vec<Workout>,
}

/// The diary owner's display units.
#[derive(Debug, Clone, Copy)]
struct Units {
    imperial: bool,
}

impl Units {
    fn weight_unit(self) -> WeightUnit {
        if self.imperial {
            WeightUnit::Lb
        } else {
            WeightUnit::Kg
        }
    }
    fn distance_unit(self) -> DistanceUnit {
        if self.imperial {
            DistanceUnit::Mi
        } else {
            DistanceUnit::Km
        }
    }
    /// Stored kg (6 places) → shown. Converted values are rounded to 4 places, which gives
    /// back exactly what was typed (the 6-place kg is within 1.1e-6 lb of it).
    fn weight(self, kg: Decimal) -> f64 {
        if self.imperial {
            f64_of(round_dp(kg_to_lb(kg), 4))
        } else {
            f64_of(kg)
        }
    }
    fn distance(self, km: Decimal) -> f64 {
        if self.imperial {
            f64_of(round_dp(km_to_mi(km), 4))
        } else {
            f64_of(km)
        }
    }
    /// min/km → min per the owner's distance unit.
    fn pace(self, min_per_km: Decimal) -> f64 {
        if self.imperial {
            f64_of(round_dp(min_per_km / km_to_mi(Decimal::ONE), 2))
        } else {
            f64_of(round_dp(min_per_km, 2))
        }
    }
}

async fn owner_units(tx: &mut sparky_db::UserTx, owner: Uuid) -> ApiResult<Units> {
    let row = tx
        .query_opt(
            "SELECT units_system FROM user_preferences WHERE user_id = $1 LIMIT 1",
            &[&owner],
        )
        .await?;
    let system: Option<String> = row.and_then(|r| r.get(0));
    Ok(Units {
        imperial: system.as_deref() == Some("imperial"),
    })
}

/// The diary being acted on, or 404 when it is someone else's who shared nothing with us.
async fn target_diary(
    tx: &mut sparky_db::UserTx,
    acting: &ActingFor,
    access: &[&str],
) -> ApiResult<Uuid> {
    let me = tx.user_id().await?;
    let target = acting.user_id.unwrap_or(me);
    if target != me {
        let access: Vec<String> = access.iter().map(|s| s.to_string()).collect();
        let shared = tx
            .query_opt(
                "SELECT 1 FROM family_access WHERE grantor_user_id = $1 AND grantee_user_id = auth.uid()
                 AND access_type = ANY($2) LIMIT 1",
                &[&target, &access],
            )
            .await?
            .is_some();
        if !shared {
            return Err(ApiError::not_found("exercise diary"));
        }
    }
    Ok(target)
}

/// Validated sets: (set number, reps, weight in kg at 6 places).
type ValidSets = Vec<(i32, Option<i32>, Option<Decimal>)>;

fn parse_sets(sets: &[SetInput], units: Units) -> ApiResult<ValidSets> {
    if sets.len() > 100 {
        return Err(ApiError::invalid("sets", "at most 100 sets"));
    }
    let mut out = Vec::with_capacity(sets.len());
    for (i, s) in sets.iter().enumerate() {
        if s.reps.is_some_and(|r| !(0..=10_000).contains(&r)) {
            return Err(ApiError::invalid(
                &format!("sets[{i}].reps"),
                "must be between 0 and 10000",
            ));
        }
        let weight_kg = match s.weight {
            None => None,
            Some(w) => {
                let field = format!("sets[{i}].weight");
                let w = decimal_from_f64(&field, w)?;
                if w < Decimal::ZERO || w > Decimal::from(5000) {
                    return Err(ApiError::invalid(&field, "must be between 0 and 5000"));
                }
                let kg = match s.unit.unwrap_or(units.weight_unit()) {
                    WeightUnit::Kg => w,
                    WeightUnit::Lb => lb_to_kg(w),
                };
                Some(round_dp(kg, 6))
            }
        };
        if s.reps.is_none() && weight_kg.is_none() {
            return Err(ApiError::invalid(
                &format!("sets[{i}]"),
                "give reps, weight or both",
            ));
        }
        out.push((i as i32 + 1, s.reps, weight_kg));
    }
    Ok(out)
}

fn parse_duration(d: Option<i32>) -> ApiResult<Option<i32>> {
    if d.is_some_and(|d| !(0..=10_080).contains(&d)) {
        return Err(ApiError::invalid(
            "duration_minutes",
            "must be whole minutes between 0 and 10080",
        ));
    }
    Ok(d)
}

fn parse_distance(
    d: Option<f64>,
    unit: Option<DistanceUnit>,
    units: Units,
) -> ApiResult<Option<Decimal>> {
    let Some(d) = d else { return Ok(None) };
    let d = decimal_from_f64("distance", d)?;
    if d < Decimal::ZERO || d > Decimal::from(100_000) {
        return Err(ApiError::invalid(
            "distance",
            "must be between 0 and 100000",
        ));
    }
    let km = match unit.unwrap_or(units.distance_unit()) {
        DistanceUnit::Km => d,
        DistanceUnit::Mi => mi_to_km(d),
    };
    Ok(Some(round_dp(km, 6)))
}

fn parse_calories(c: Option<f64>) -> ApiResult<Option<Decimal>> {
    let Some(c) = c else { return Ok(None) };
    let c = decimal_from_f64("calories_burned", c)?;
    if c < Decimal::ZERO || c > Decimal::from(100_000) {
        return Err(ApiError::invalid(
            "calories_burned",
            "must be between 0 and 100000",
        ));
    }
    Ok(Some(round_dp(c, 2)))
}

fn parse_notes(n: Option<String>) -> ApiResult<Option<String>> {
    let n = n.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    if n.as_ref().is_some_and(|s| s.chars().count() > 5000) {
        return Err(ApiError::invalid(
            "notes",
            "must be at most 5000 characters",
        ));
    }
    Ok(n)
}

/// The owner's body weight in kg on `day`: their latest weight measurement on or before the
/// end of that day (in their timezone). None when there is none visible.
async fn body_weight_kg(
    tx: &mut sparky_db::UserTx,
    owner: Uuid,
    day: NaiveDate,
) -> ApiResult<Option<Decimal>> {
    let row = tx
        .query_opt(
            "SELECT CASE WHEN lower(m.unit) IN ('lb', 'lbs') THEN m.value * 0.45359237
                         ELSE m.value END::numeric AS kg
             FROM measurements m
             WHERE m.user_id = $1 AND m.type = 'weight'
               AND m.measured_at < (($2::date + 1)::timestamp AT TIME ZONE coalesce(
                   (SELECT p.timezone FROM user_preferences p WHERE p.user_id = $1 LIMIT 1), 'UTC'))
             ORDER BY m.measured_at DESC LIMIT 1",
            &[&owner, &day],
        )
        .await?;
    Ok(row.map(|r| r.get::<_, Decimal>(0)))
}

/// Re-estimates an entry's calories unless the user typed them in.
async fn estimate_calories(tx: &mut sparky_db::UserTx, id: Uuid) -> ApiResult<()> {
    let row = tx
        .query_one(
            "SELECT user_id, entry_date, duration_minutes, met_value, calories_source
             FROM exercise_diary WHERE id = $1",
            &[&id],
        )
        .await?;
    let source: Option<String> = row.get("calories_source");
    if source.as_deref() == Some("user") {
        return Ok(());
    }
    let duration: Option<i32> = row.get("duration_minutes");
    let met: Option<Decimal> = row.get("met_value");
    let calories = match (duration, met) {
        (Some(d), Some(met)) if d > 0 => {
            let owner: Uuid = row.get("user_id");
            let day: NaiveDate = row.get("entry_date");
            body_weight_kg(tx, owner, day)
                .await?
                .map(|kg| met_calories(met, kg, Decimal::from(d)))
        }
        _ => None,
    };
    let source = calories.map(|_| "met");
    tx.execute(
        "UPDATE exercise_diary SET calories_burned = $2, calories_source = $3 WHERE id = $1",
        &[&id, &calories, &source],
    )
    .await?;
    Ok(())
}

/// Replaces an entry's sets and its summary columns (sets, total reps, heaviest kg).
async fn write_sets(tx: &mut sparky_db::UserTx, id: Uuid, sets: &ValidSets) -> ApiResult<()> {
    tx.execute(
        "DELETE FROM exercise_sets WHERE exercise_diary_id = $1",
        &[&id],
    )
    .await?;
    let numbers: Vec<i32> = sets.iter().map(|s| s.0).collect();
    let reps: Vec<Option<i32>> = sets.iter().map(|s| s.1).collect();
    let weights: Vec<Option<Decimal>> = sets.iter().map(|s| s.2).collect();
    if !sets.is_empty() {
        tx.execute(
            "INSERT INTO exercise_sets (exercise_diary_id, set_number, reps, weight_kg)
             SELECT $1, s.n, s.r, s.w FROM unnest($2::int4[], $3::int4[], $4::numeric[]) AS s(n, r, w)",
            &[&id, &numbers, &reps, &weights],
        )
        .await?;
    }
    let count = sets.len() as i32;
    let total_reps: Option<i32> = sets
        .iter()
        .filter_map(|s| s.1)
        .reduce(|a, b| a.saturating_add(b));
    let heaviest: Option<Decimal> = sets
        .iter()
        .filter_map(|s| s.2)
        .max()
        .map(|w| round_dp(w, 2));
    tx.execute(
        "UPDATE exercise_diary SET sets = $2, reps = $3, weight = $4 WHERE id = $1",
        &[
            &id,
            &(if count > 0 { Some(count) } else { None }),
            &total_reps,
            &heaviest,
        ],
    )
    .await?;
    Ok(())
}

const ENTRY_COLUMNS: &str = "d.id, d.user_id, d.exercise_id, d.exercise_name, d.entry_date, \
     d.performed_at, d.duration_minutes, d.distance_km, d.calories_burned, d.calories_source, \
     d.met_value, d.notes";

/// Entries with their sets: one query for the sets however many entries.
async fn load_entries(
    tx: &mut sparky_db::UserTx,
    rows: &[&tokio_postgres::Row],
    units: Units,
) -> ApiResult<Vec<Workout>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.get("id")).collect();
    let mut sets: HashMap<Uuid, Vec<WorkoutSet>> = HashMap::new();
    if !ids.is_empty() {
        let set_rows = tx
            .query(
                "SELECT exercise_diary_id, set_number, reps, weight_kg FROM exercise_sets
                 WHERE exercise_diary_id = ANY($1) ORDER BY exercise_diary_id, set_number",
                &[&ids],
            )
            .await?;
        for s in &set_rows {
            sets.entry(s.get("exercise_diary_id"))
                .or_default()
                .push(WorkoutSet {
                    set_number: s.get("set_number"),
                    reps: s.get("reps"),
                    weight: s
                        .get::<_, Option<Decimal>>("weight_kg")
                        .map(|w| units.weight(w)),
                    unit: units.weight_unit(),
                });
        }
    }
    Ok(rows
        .iter()
        .map(|r| {
            workout_from_row(
                r,
                sets.remove(&r.get::<_, Uuid>("id")).unwrap_or_default(),
                units,
            )
        })
        .collect())
}

fn workout_from_row(r: &tokio_postgres::Row, sets: Vec<WorkoutSet>, units: Units) -> Workout {
    let duration: Option<i32> = r.get("duration_minutes");
    let distance_km: Option<Decimal> = r.get("distance_km");
    let calories: Option<Decimal> = r.get("calories_burned");
    let met: Option<Decimal> = r.get("met_value");
    let pace = match (duration, distance_km) {
        (Some(d), Some(km)) => pace_min_per_km(Decimal::from(d), km).map(|p| units.pace(p)),
        _ => None,
    };
    let hint = if calories.is_some() {
        None
    } else if met.is_none() {
        Some("this exercise has no MET value: enter calories burned yourself".to_string())
    } else if duration.is_none_or(|d| d <= 0) {
        Some("add a duration to estimate calories".to_string())
    } else {
        Some("add your weight to estimate calories".to_string())
    };
    Workout {
        id: r.get("id"),
        user_id: r.get("user_id"),
        exercise_id: r.get("exercise_id"),
        exercise_name: r.get("exercise_name"),
        date: r.get("entry_date"),
        performed_at: r.get("performed_at"),
        duration_minutes: duration,
        distance: distance_km.map(|km| units.distance(km)),
        distance_unit: units.distance_unit(),
        pace,
        sets,
        calories_burned: calories.map(f64_of),
        calories_source: r.get("calories_source"),
        met_value: met.map(f64_of),
        notes: r.get("notes"),
        hint,
    }
}

async fn load_one(tx: &mut sparky_db::UserTx, id: Uuid) -> ApiResult<Workout> {
    let rows = tx
        .query(
            &format!("SELECT {ENTRY_COLUMNS} FROM exercise_diary d WHERE d.id = $1"),
            &[&id],
        )
        .await?;
    let owner: Uuid = rows
        .first()
        .ok_or_else(|| ApiError::not_found("workout"))?
        .get("user_id");
    let units = owner_units(tx, owner).await?;
    let refs: Vec<&tokio_postgres::Row> = rows.iter().collect();
    load_entries(tx, &refs, units)
        .await?
        .pop()
        .ok_or_else(ApiError::internal)
}

/// Log a workout entry: strength sets, cardio duration and distance, or both.
///
/// Calories: `calories_burned` when given; else MET × body weight × hours when the duration
/// and the exercise's MET value are known and the diary owner has a weight measurement on or
/// before that day; else none, with a `hint`.
#[utoipa::path(post, path = "/api/v1/workouts", tag = "workouts",
    security(("session" = []), ("api_key" = [])),
    params(ActingFor),
    request_body = LogWorkout,
    responses(
        (status = 201, description = "Logged", body = Workout),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "No write access to that diary", body = ErrorBody),
        (status = 404, description = "No such exercise, or that diary is not shared with you", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody),
    ))]
async fn log_workout(
    Auth { mut tx, .. }: Auth,
    acting: ActingFor,
    ApiJson(req): ApiJson<LogWorkout>,
) -> ApiResult<(StatusCode, ApiJson<Workout>)> {
    let target = target_diary(
        &mut tx,
        &acting,
        &["calorie", "reports", "checkin", "food_list"],
    )
    .await?;
    let units = owner_units(&mut tx, target).await?;
    let duration = parse_duration(req.duration_minutes)?;
    let distance_km = parse_distance(req.distance, req.distance_unit, units)?;
    let sets = parse_sets(&req.sets, units)?;
    let calories = parse_calories(req.calories_burned)?;
    let notes = parse_notes(req.notes)?;
    if duration.is_none() && distance_km.is_none() && sets.is_empty() && calories.is_none() {
        return Err(ApiError::invalid(
            "body",
            "give sets, a duration, a distance or calories burned",
        ));
    }
    let exercise = tx
        .query_opt(
            "SELECT name, met_value FROM exercises WHERE id = $1",
            &[&req.exercise_id],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("exercise"))?;
    let name: String = exercise.get("name");
    let met: Option<Decimal> = exercise.get("met_value");
    let source = calories.map(|_| "user");
    let row = tx
        .query_one(
            "WITH tz AS (SELECT coalesce((SELECT p.timezone FROM user_preferences p
                                          WHERE p.user_id = $1 LIMIT 1), 'UTC') AS name),
             t AS (SELECT CASE
                       WHEN $3::timestamptz IS NOT NULL THEN $3::timestamptz
                       WHEN $4::date IS NULL OR $4::date = (now() AT TIME ZONE tz.name)::date THEN now()
                       ELSE ($4::date + time '12:00') AT TIME ZONE tz.name
                   END AS at, tz.name AS zone FROM tz)
             INSERT INTO exercise_diary (user_id, exercise_id, exercise_name, met_value, duration_minutes,
                 distance_km, distance, notes, performed_at, entry_date, calories_burned, calories_source)
             SELECT $1, $2, $5, $6, $7, $8, round($8::numeric, 2), $9, t.at,
                    coalesce($4::date, (t.at AT TIME ZONE t.zone)::date), $10, $11
             FROM t
             RETURNING id",
            &[
                &target,
                &req.exercise_id,
                &req.performed_at,
                &req.date,
                &name,
                &met,
                &duration,
                &distance_km,
                &notes,
                &calories,
                &source,
            ],
        )
        .await?;
    let id: Uuid = row.get(0);
    write_sets(&mut tx, id, &sets).await?;
    estimate_calories(&mut tx, id).await?;
    let workout = load_one(&mut tx, id).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(workout)))
}

fn parse_entry_id(key: &str) -> ApiResult<Uuid> {
    key.parse().map_err(|_| ApiError::not_found("workout"))
}

/// Change a workout entry. Sets, when given, replace all sets. Calories are re-estimated
/// unless they were typed in.
#[utoipa::path(put, path = "/api/v1/workouts/{key}", tag = "workouts",
    security(("session" = []), ("api_key" = [])),
    params(("key" = Uuid, Path, description = "Entry id")),
    request_body = UpdateWorkout,
    responses(
        (status = 200, description = "Updated", body = Workout),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "No write access to that diary", body = ErrorBody),
        (status = 404, description = "No such entry", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody),
    ))]
async fn update_workout(
    Auth { mut tx, .. }: Auth,
    Path(key): Path<String>,
    ApiJson(req): ApiJson<UpdateWorkout>,
) -> ApiResult<ApiJson<Workout>> {
    let id = parse_entry_id(&key)?;
    let current = tx
        .query_opt(
            "SELECT user_id, duration_minutes, distance_km, notes FROM exercise_diary WHERE id = $1",
            &[&id],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("workout"))?;
    let owner: Uuid = current.get("user_id");
    let units = owner_units(&mut tx, owner).await?;
    let duration = match req.duration_minutes {
        Some(d) => parse_duration(d)?,
        None => current.get("duration_minutes"),
    };
    let distance_km: Option<Decimal> = match req.distance {
        Some(d) => parse_distance(d, req.distance_unit, units)?,
        None => current.get("distance_km"),
    };
    let notes = match req.notes {
        Some(n) => parse_notes(n)?,
        None => current.get("notes"),
    };
    let sets = req
        .sets
        .as_deref()
        .map(|s| parse_sets(s, units))
        .transpose()?;
    // 0: keep, 1: the user's value, 2: back to the estimate.
    let (calories_mode, calories): (i32, Option<Decimal>) = match req.calories_burned {
        None => (0, None),
        Some(Some(c)) => (1, parse_calories(Some(c))?),
        Some(None) => (2, None),
    };
    let updated = tx
        .query_opt(
            "UPDATE exercise_diary d SET
                 duration_minutes = $2, distance_km = $3, distance = round($3::numeric, 2), notes = $4,
                 performed_at = CASE WHEN $5::timestamptz IS NOT NULL THEN $5::timestamptz
                     WHEN $6::date IS NOT NULL THEN performed_at + ($6::date - entry_date) * interval '1 day'
                     ELSE performed_at END,
                 entry_date = CASE WHEN $6::date IS NOT NULL THEN $6::date
                     WHEN $5::timestamptz IS NOT NULL THEN ($5::timestamptz AT TIME ZONE coalesce(
                         (SELECT p.timezone FROM user_preferences p WHERE p.user_id = d.user_id LIMIT 1), 'UTC'))::date
                     ELSE entry_date END,
                 calories_burned = CASE $7::int4 WHEN 1 THEN $8 WHEN 2 THEN NULL ELSE calories_burned END,
                 calories_source = CASE $7::int4 WHEN 1 THEN 'user' WHEN 2 THEN NULL ELSE calories_source END
             WHERE d.id = $1 RETURNING d.id",
            &[
                &id,
                &duration,
                &distance_km,
                &notes,
                &req.performed_at,
                &req.date,
                &calories_mode,
                &calories,
            ],
        )
        .await?;
    if updated.is_none() {
        return Err(ApiError::forbidden(
            "you may read this diary but not change it",
        ));
    }
    if let Some(sets) = &sets {
        write_sets(&mut tx, id, sets).await?;
    }
    estimate_calories(&mut tx, id).await?;
    let workout = load_one(&mut tx, id).await?;
    tx.commit().await?;
    Ok(ApiJson(workout))
}

/// Delete a workout entry (and its sets).
#[utoipa::path(delete, path = "/api/v1/workouts/{key}", tag = "workouts",
    security(("session" = []), ("api_key" = [])),
    params(("key" = Uuid, Path, description = "Entry id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "No write access to that diary", body = ErrorBody),
        (status = 404, description = "No such entry", body = ErrorBody),
    ))]
async fn delete_workout(Auth { tx, .. }: Auth, Path(key): Path<String>) -> ApiResult<StatusCode> {
    let id = parse_entry_id(&key)?;
    let rows = tx
        .query_and_commit(
            "WITH d AS (DELETE FROM exercise_diary WHERE id = $1 RETURNING 1)
             SELECT (SELECT count(*) FROM d), EXISTS (SELECT 1 FROM exercise_diary WHERE id = $1)",
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
        _ => Err(ApiError::not_found("workout")),
    }
}

fn parse_day(field: &str, key: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(key, "%Y-%m-%d")
        .map_err(|_| ApiError::invalid(field, "must be a date like 2026-11-25"))
}

/// A day of the exercise diary with every set, and the day's calories and minutes.
#[utoipa::path(get, path = "/api/v1/workouts/{key}", tag = "workouts",
    security(("session" = []), ("api_key" = [])),
    params(("key" = String, Path, description = "The day, YYYY-MM-DD (in the diary owner's timezone)"), ActingFor),
    responses(
        (status = 200, description = "The day", body = WorkoutDay),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "That diary is not shared with you", body = ErrorBody),
        (status = 422, description = "Invalid date", body = ErrorBody),
    ))]
async fn get_day(
    Auth { mut tx, .. }: Auth,
    Path(key): Path<String>,
    acting: ActingFor,
) -> ApiResult<ApiJson<WorkoutDay>> {
    let date = parse_day("date", &key)?;
    let target = target_diary(&mut tx, &acting, &["calorie", "reports"]).await?;
    let units = owner_units(&mut tx, target).await?;
    let rows = tx
        .query(
            &format!(
                "SELECT {ENTRY_COLUMNS} FROM exercise_diary d
                 WHERE d.user_id = $1 AND d.entry_date = $2
                 ORDER BY d.performed_at, d.created_at, d.id"
            ),
            &[&target, &date],
        )
        .await?;
    let refs: Vec<&tokio_postgres::Row> = rows.iter().collect();
    let entries = load_entries(&mut tx, &refs, units).await?;
    tx.commit().await?;
    let total_calories: Decimal = rows
        .iter()
        .filter_map(|r| r.get::<_, Option<Decimal>>("calories_burned"))
        .sum();
    let total_duration: i64 = entries
        .iter()
        .filter_map(|e| e.duration_minutes)
        .map(i64::from)
        .sum();
    Ok(ApiJson(WorkoutDay {
        date,
        user_id: target,
        entries,
        total_calories_burned: f64_of(total_calories),
        total_duration_minutes: total_duration,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeParams {
    /// First day (YYYY-MM-DD), inclusive. Required.
    pub from: Option<String>,
    /// Last day, inclusive; the range is at most 366 days. Required.
    pub to: Option<String>,
    pub user_id: Option<Uuid>,
}

/// Workout entries of a date range (at most 366 days), oldest first, with every set.
#[utoipa::path(get, path = "/api/v1/workouts", tag = "workouts",
    security(("session" = []), ("api_key" = [])),
    params(RangeParams),
    responses(
        (status = 200, description = "The entries", body = WorkoutRange),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "That diary is not shared with you", body = ErrorBody),
        (status = 422, description = "Invalid range", body = ErrorBody),
    ))]
async fn list_workouts(
    Auth { mut tx, .. }: Auth,
    Query(p): Query<RangeParams>,
) -> ApiResult<ApiJson<WorkoutRange>> {
    let from = parse_day("from", p.from.as_deref().unwrap_or_default())?;
    let to = parse_day("to", p.to.as_deref().unwrap_or_default())?;
    if to < from {
        return Err(ApiError::invalid("to", "must not be before from"));
    }
    if (to - from).num_days() >= MAX_RANGE_DAYS {
        return Err(ApiError::invalid("to", "the range is at most 366 days"));
    }
    let acting = ActingFor { user_id: p.user_id };
    let target = target_diary(&mut tx, &acting, &["calorie", "reports"]).await?;
    let units = owner_units(&mut tx, target).await?;
    let rows = tx
        .query(
            &format!(
                "SELECT {ENTRY_COLUMNS} FROM exercise_diary d
                 WHERE d.user_id = $1 AND d.entry_date BETWEEN $2 AND $3
                 ORDER BY d.entry_date, d.performed_at, d.created_at, d.id"
            ),
            &[&target, &from, &to],
        )
        .await?;
    let refs: Vec<&tokio_postgres::Row> = rows.iter().collect();
    let entries = load_entries(&mut tx, &refs, units).await?;
    tx.commit().await?;
    Ok(ApiJson(WorkoutRange {
        from,
        to,
        user_id: target,
        entries,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryParams {
    /// Most recent sessions to return (1–500, default 100); records cover all of them.
    pub limit: Option<i64>,
    pub user_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WeightRecord {
    /// In `weight_unit`.
    pub weight: f64,
    pub reps: Option<i32>,
    pub date: NaiveDate,
    pub workout_id: Uuid,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OneRepMaxRecord {
    /// Epley: weight × (1 + reps / 30), in `weight_unit`, 2 places.
    pub estimated_one_rep_max: f64,
    pub weight: f64,
    pub reps: i32,
    pub date: NaiveDate,
    pub workout_id: Uuid,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DistanceRecord {
    /// In `distance_unit`.
    pub distance: f64,
    pub duration_minutes: Option<i32>,
    pub date: NaiveDate,
    pub workout_id: Uuid,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaceRecord {
    /// Minutes per `distance_unit`, 2 places.
    pub pace: f64,
    pub distance: f64,
    pub duration_minutes: i32,
    pub date: NaiveDate,
    pub workout_id: Uuid,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct PersonalRecords {
    pub heaviest_weight: Option<WeightRecord>,
    /// For each weight lifted, the most reps done with it (heaviest first).
    pub most_reps_at_weight: Vec<WeightRecord>,
    pub best_one_rep_max: Option<OneRepMaxRecord>,
    pub longest_distance: Option<DistanceRecord>,
    pub fastest_pace: Option<PaceRecord>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExerciseHistory {
    pub exercise_id: Uuid,
    pub exercise_name: Option<String>,
    pub user_id: Uuid,
    pub weight_unit: WeightUnit,
    pub distance_unit: DistanceUnit,
    /// Most recent first.
    pub sessions: Vec<Workout>,
    pub records: PersonalRecords,
}

/// An exercise's sessions and personal records: heaviest weight, most reps at each weight,
/// best estimated one-rep max (Epley), longest distance, fastest pace. Ties go to the
/// earliest session.
#[utoipa::path(get, path = "/api/v1/exercises/{id}/history", tag = "workouts",
    security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path, description = "Exercise id"), HistoryParams),
    responses(
        (status = 200, description = "Sessions and records", body = ExerciseHistory),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such exercise, or that diary is not shared with you", body = ErrorBody),
        (status = 422, description = "Invalid parameters", body = ErrorBody),
    ))]
async fn exercise_history(
    Auth { mut tx, .. }: Auth,
    Path(id): Path<Uuid>,
    Query(p): Query<HistoryParams>,
) -> ApiResult<ApiJson<ExerciseHistory>> {
    let limit = p.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 500"));
    }
    let acting = ActingFor { user_id: p.user_id };
    let target = target_diary(&mut tx, &acting, &["calorie", "reports"]).await?;
    let units = owner_units(&mut tx, target).await?;
    // Oldest first, so the first session to reach a record keeps it.
    let rows = tx
        .query(
            &format!(
                "SELECT {ENTRY_COLUMNS} FROM exercise_diary d
                 WHERE d.user_id = $1 AND d.exercise_id = $2
                 ORDER BY d.entry_date, d.performed_at, d.created_at, d.id
                 LIMIT 10000"
            ),
            &[&target, &id],
        )
        .await?;
    let exercise_name: Option<String> = match rows.last() {
        Some(r) => Some(r.get("exercise_name")),
        None => tx
            .query_opt("SELECT name FROM exercises WHERE id = $1", &[&id])
            .await?
            .map(|r| r.get(0)),
    };
    if rows.is_empty() && exercise_name.is_none() {
        return Err(ApiError::not_found("exercise"));
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.get("id")).collect();
    let set_rows = tx
        .query(
            "SELECT exercise_diary_id, reps, weight_kg FROM exercise_sets
             WHERE exercise_diary_id = ANY($1) AND weight_kg IS NOT NULL",
            &[&ids],
        )
        .await?;
    let mut sets_of: HashMap<Uuid, Vec<(Option<i32>, Decimal)>> = HashMap::new();
    for s in &set_rows {
        sets_of
            .entry(s.get("exercise_diary_id"))
            .or_default()
            .push((s.get("reps"), s.get("weight_kg")));
    }
    let mut records = PersonalRecords::default();
    let mut heaviest: Option<(Decimal, Option<i32>, NaiveDate, Uuid)> = None;
    let mut best_1rm: Option<(Decimal, Decimal, i32, NaiveDate, Uuid)> = None;
    let mut reps_at: Vec<(Decimal, i32, NaiveDate, Uuid)> = Vec::new();
    let mut longest: Option<(Decimal, Option<i32>, NaiveDate, Uuid)> = None;
    let mut fastest: Option<(Decimal, Decimal, i32, NaiveDate, Uuid)> = None;
    for r in &rows {
        let entry: Uuid = r.get("id");
        let date: NaiveDate = r.get("entry_date");
        for &(reps, kg) in sets_of.get(&entry).map(Vec::as_slice).unwrap_or(&[]) {
            if heaviest.as_ref().is_none_or(|h| kg > h.0) {
                heaviest = Some((kg, reps, date, entry));
            }
            if let Some(n) = reps.filter(|n| *n > 0) {
                let e1rm = epley_one_rep_max(kg, n as u32);
                if best_1rm.as_ref().is_none_or(|b| e1rm > b.0) {
                    best_1rm = Some((e1rm, kg, n, date, entry));
                }
                match reps_at.iter_mut().find(|x| x.0 == kg) {
                    Some(x) if n > x.1 => *x = (kg, n, date, entry),
                    Some(_) => {}
                    None => reps_at.push((kg, n, date, entry)),
                }
            }
        }
        let duration: Option<i32> = r.get("duration_minutes");
        if let Some(km) = r.get::<_, Option<Decimal>>("distance_km") {
            if km > Decimal::ZERO && longest.as_ref().is_none_or(|l| km > l.0) {
                longest = Some((km, duration, date, entry));
            }
            if let Some(d) = duration {
                if let Some(pace) = pace_min_per_km(Decimal::from(d), km) {
                    if fastest.as_ref().is_none_or(|f| pace < f.0) {
                        fastest = Some((pace, km, d, date, entry));
                    }
                }
            }
        }
    }
    records.heaviest_weight = heaviest.map(|(kg, reps, date, workout_id)| WeightRecord {
        weight: units.weight(kg),
        reps,
        date,
        workout_id,
    });
    reps_at.sort_by_key(|x| std::cmp::Reverse(x.0));
    records.most_reps_at_weight = reps_at
        .into_iter()
        .map(|(kg, reps, date, workout_id)| WeightRecord {
            weight: units.weight(kg),
            reps: Some(reps),
            date,
            workout_id,
        })
        .collect();
    records.best_one_rep_max = best_1rm.map(|(e1rm, kg, reps, date, workout_id)| {
        let shown = if units.imperial { kg_to_lb(e1rm) } else { e1rm };
        OneRepMaxRecord {
            estimated_one_rep_max: f64_of(round_dp(shown, 2)),
            weight: units.weight(kg),
            reps,
            date,
            workout_id,
        }
    });
    records.longest_distance =
        longest.map(|(km, duration_minutes, date, workout_id)| DistanceRecord {
            distance: units.distance(km),
            duration_minutes,
            date,
            workout_id,
        });
    records.fastest_pace =
        fastest.map(
            |(pace, km, duration_minutes, date, workout_id)| PaceRecord {
                pace: units.pace(pace),
                distance: units.distance(km),
                duration_minutes,
                date,
                workout_id,
            },
        );
    // Sessions: the most recent `limit`, newest first.
    let start = rows.len().saturating_sub(limit as usize);
    let recent: Vec<&tokio_postgres::Row> = rows[start..].iter().rev().collect();
    let sessions = load_entries(&mut tx, &recent, units).await?;
    tx.commit().await?;
    Ok(ApiJson(ExerciseHistory {
        exercise_id: id,
        exercise_name,
        user_id: target,
        weight_unit: units.weight_unit(),
        distance_unit: units.distance_unit(),
        sessions,
        records,
    }))
}
