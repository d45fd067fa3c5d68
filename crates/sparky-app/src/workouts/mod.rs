//! The exercise diary ("workouts"): log strength sets, cardio duration and distance, or both;
//! read an entry, a day or a date range; change and delete entries; an exercise's history with
//! personal records ([`records`]).
//!
//! Weights are stored in kg and distances in km (NUMERIC, 6 places) and shown in the diary
//! owner's units (`user_preferences.units_system`), so 90 lb goes in and 90 lb comes out.
//! Calories burned are the user's number when given, else MET × body weight × hours with the
//! owner's latest weight on or before that day. The database keeps that estimate (migration
//! 2026_12_03_20_00): it is made when an entry is written and made again when the owner's
//! weights change, whoever writes, so the summary's `burned` follows. RLS decides who may read
//! (`calorie`, `reports`) and write (`calorie`) someone else's diary.

mod copy;
pub mod input;
mod reads;
pub mod records;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sparky_core::exercise::{
    minutes_of, pace_min_per_km, plausible_speed, sets_time, MAX_AVERAGE_SPEED_KMH,
    MAX_DURATION_SECONDS,
};
use sparky_core::units::round_dp;
use sparky_core::{Amount, DistanceUnit, UnitsSystem, WeightUnit};
use sparky_db::UserTx;
use tokio_postgres::Row;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::acting::{delete_by_id, Acting, Area, OWNER};
use crate::error::{AppError, AppResult};
use crate::paging::LimitBounds;

pub use copy::{copy, CopiedWorkouts, CopyWorkoutsInput};
use input::{stored_km, stored_sets, StoredSet};
pub use input::{LogWorkout, LogWorkoutInput, SetInput, UpdateWorkout, UpdateWorkoutInput};
pub use reads::{day, entry, last_session, plan_day, range, DayPlan, RangeRequest};
pub use records::{ExerciseHistory, HistoryRequest, PersonalRecords};

/// Entries one diary day may hold (logging and moving entries stop here).
pub const MAX_WORKOUTS_PER_DAY: i64 = 100;
/// Longest range of `range`, in days (both ends included).
pub const MAX_RANGE_DAYS: i64 = 366;
/// Bounds of a range page's `limit`.
pub const RANGE_LIMIT: LimitBounds = LimitBounds::new(500, 1000);

const READ_ONLY: &str = "you may read this diary but not change it";

// ---------------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkoutSet {
    pub set_number: i32,
    pub reps: Option<i32>,
    /// In `unit` (the diary owner's units).
    #[schema(value_type = Option<f64>)]
    pub weight: Option<Amount>,
    pub unit: WeightUnit,
    /// A timed set's seconds (a plank, a hang, a carry); null for a set of reps.
    pub duration_seconds: Option<i32>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Workout {
    pub id: Uuid,
    pub user_id: Uuid,
    /// Null when the exercise was deleted since; the entry keeps its name.
    pub exercise_id: Option<Uuid>,
    pub exercise_name: String,
    pub date: NaiveDate,
    pub performed_at: DateTime<Utc>,
    /// `duration_seconds` rounded to the minute.
    pub duration_minutes: Option<i32>,
    /// The duration to the second.
    pub duration_seconds: Option<i32>,
    /// In `distance_unit` (the diary owner's units).
    #[schema(value_type = Option<f64>)]
    pub distance: Option<Amount>,
    pub distance_unit: DistanceUnit,
    /// Minutes per `distance_unit`, when duration and distance are known.
    #[schema(value_type = Option<f64>)]
    pub pace: Option<Amount>,
    pub sets: Vec<WorkoutSet>,
    /// kcal; null when it could not be estimated (see `hint`).
    #[schema(value_type = Option<f64>)]
    pub calories_burned: Option<Amount>,
    /// `user` (typed in) or `met` (MET × body weight × hours).
    pub calories_source: Option<String>,
    /// The exercise's MET value when it was logged.
    #[schema(value_type = Option<f64>)]
    pub met_value: Option<Amount>,
    pub notes: Option<String>,
    /// Why there is no calorie estimate, e.g. "add your weight to estimate calories".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkoutDay {
    pub date: NaiveDate,
    pub user_id: Uuid,
    /// At most 100.
    pub entries: Vec<Workout>,
    /// Sum of the entries' calories (entries without an estimate count as 0).
    #[schema(value_type = f64)]
    pub total_calories_burned: Amount,
    /// `total_duration_seconds` rounded to the minute.
    pub total_duration_minutes: i64,
    pub total_duration_seconds: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkoutRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub user_id: Uuid,
    /// Oldest first.
    pub entries: Vec<Workout>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------------

const ENTRY_COLUMNS: &str = "d.id, d.user_id, d.exercise_id, d.exercise_name, d.entry_date, \
     d.performed_at, d.created_at, d.duration_minutes, d.duration_seconds, d.distance_km, d.calories_burned, \
     d.calories_source, d.met_value, d.notes";

/// An entry without its sets (see [`attach_sets`]).
fn workout_from_row(r: &Row, units: UnitsSystem) -> Workout {
    let duration: Option<i32> = r.get("duration_seconds");
    let distance_km: Option<Decimal> = r.get("distance_km");
    let calories: Option<Decimal> = r.get("calories_burned");
    let met: Option<Decimal> = r.get("met_value");
    let distance_unit = DistanceUnit::of(units);
    let pace = match (duration, distance_km) {
        (Some(d), Some(km)) => {
            pace_min_per_km(minutes_of(d), km).map(|p| Amount(distance_unit.show_pace(p)))
        }
        _ => None,
    };
    let hint = if calories.is_some() {
        None
    } else if met.is_none() {
        Some("this exercise has no MET value: enter calories burned yourself")
    } else if duration.is_none_or(|d| d <= 0) {
        Some("add a duration to estimate calories")
    } else {
        Some("add your weight to estimate calories")
    };
    Workout {
        id: r.get("id"),
        user_id: r.get("user_id"),
        exercise_id: r.get("exercise_id"),
        exercise_name: r.get("exercise_name"),
        date: r.get("entry_date"),
        performed_at: r.get("performed_at"),
        duration_minutes: r.get("duration_minutes"),
        duration_seconds: duration,
        distance: distance_km.map(|km| Amount(distance_unit.show(km))),
        distance_unit,
        pace,
        sets: Vec::new(),
        calories_burned: calories.map(Amount),
        calories_source: r.get("calories_source"),
        met_value: met.map(Amount),
        notes: r.get("notes"),
        hint: hint.map(str::to_string),
    }
}

fn set_from_row(r: &Row, units: UnitsSystem) -> WorkoutSet {
    show_set(
        StoredSet {
            number: r.get("set_number"),
            reps: r.get("reps"),
            weight_kg: r.get("weight_kg"),
            duration_seconds: r.get("duration_seconds"),
        },
        units,
    )
}

fn show_set(s: StoredSet, units: UnitsSystem) -> WorkoutSet {
    let unit = WeightUnit::of(units);
    WorkoutSet {
        set_number: s.number,
        reps: s.reps,
        weight: s.weight_kg.map(|kg| Amount(unit.show(kg))),
        unit,
        duration_seconds: s.duration_seconds,
    }
}

/// The sort key of an entry in a day or range: day, time, then order of logging.
type EntryKey = (NaiveDate, DateTime<Utc>, DateTime<Utc>, Uuid);

fn entry_key(r: &Row) -> EntryKey {
    (
        r.get("entry_date"),
        r.get("performed_at"),
        r.get("created_at"),
        r.get("id"),
    )
}

/// Reads the sets of `workouts` (one query however many) into them.
async fn attach_sets(
    tx: &mut UserTx,
    workouts: &mut [Workout],
    units: UnitsSystem,
) -> AppResult<()> {
    if workouts.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = workouts.iter().map(|w| w.id).collect();
    let rows = tx
        .query(
            "SELECT exercise_diary_id, set_number, reps, weight_kg, duration_seconds
             FROM exercise_sets
             WHERE exercise_diary_id = ANY($1) ORDER BY exercise_diary_id, set_number",
            &[&ids],
        )
        .await?;
    sets_into(workouts, &rows, units);
    Ok(())
}

/// Gives each workout its sets from rows of (exercise_diary_id, set_number, reps, weight_kg,
/// duration_seconds) in set order.
fn sets_into(workouts: &mut [Workout], rows: &[Row], units: UnitsSystem) {
    let mut sets: HashMap<Uuid, Vec<WorkoutSet>> = HashMap::new();
    for r in rows {
        sets.entry(r.get("exercise_diary_id"))
            .or_default()
            .push(set_from_row(r, units));
    }
    for w in workouts {
        w.sets = sets.remove(&w.id).unwrap_or_default();
    }
}

/// The owner's units system (preferences; metric without them).
async fn owner_units(tx: &mut UserTx, acting: Acting) -> AppResult<UnitsSystem> {
    let row = tx.query_opt(&owner_units_sql(), &[&acting.owner]).await?;
    Ok(units_from(row.as_ref()))
}

/// The units system of the owner in `$1` (the caller when NULL).
pub(super) fn owner_units_sql() -> String {
    format!("SELECT units_system FROM user_preferences WHERE user_id = {OWNER} LIMIT 1")
}

pub(super) fn units_from(row: Option<&Row>) -> UnitsSystem {
    UnitsSystem::from_preference(row.and_then(|r| r.get::<_, Option<String>>(0)).as_deref())
}

/// An entry's owner and their units, or 404.
async fn entry_owner(tx: &mut UserTx, id: Uuid) -> AppResult<(Uuid, UnitsSystem)> {
    let row = tx
        .query_opt(
            "SELECT d.user_id, (SELECT p.units_system FROM user_preferences p
                                WHERE p.user_id = d.user_id LIMIT 1) AS units_system
             FROM exercise_diary d WHERE d.id = $1",
            &[&id],
        )
        .await?
        .ok_or(AppError::NotFound("workout"))?;
    Ok((
        row.get(0),
        UnitsSystem::from_preference(row.get::<_, Option<String>>(1).as_deref()),
    ))
}

/// Summary columns kept on the entry: number of sets, total reps, heaviest kg (2 places).
pub(crate) fn set_summary(sets: &[StoredSet]) -> (Option<i32>, Option<i32>, Option<Decimal>) {
    let count = (!sets.is_empty()).then_some(sets.len() as i32);
    let reps = sets
        .iter()
        .filter_map(|s| s.reps)
        .reduce(|a, b| a.saturating_add(b));
    let heaviest = sets
        .iter()
        .filter_map(|s| s.weight_kg)
        .max()
        .map(|w| round_dp(w, 2));
    (count, reps, heaviest)
}

async fn insert_sets(tx: &mut UserTx, id: Uuid, sets: &[StoredSet]) -> AppResult<()> {
    if sets.is_empty() {
        return Ok(());
    }
    let numbers: Vec<i32> = sets.iter().map(|s| s.number).collect();
    let reps: Vec<Option<i32>> = sets.iter().map(|s| s.reps).collect();
    let weights: Vec<Option<Decimal>> = sets.iter().map(|s| s.weight_kg).collect();
    let seconds: Vec<Option<i32>> = sets.iter().map(|s| s.duration_seconds).collect();
    tx.execute(
        "INSERT INTO exercise_sets (exercise_diary_id, set_number, reps, weight_kg, duration_seconds)
         SELECT $1, s.n, s.r, s.w, s.d
         FROM unnest($2::int4[], $3::int4[], $4::numeric[], $5::int4[]) AS s(n, r, w, d)",
        &[&id, &numbers, &reps, &weights, &seconds],
    )
    .await?;
    Ok(())
}

fn day_full() -> AppError {
    AppError::invalid(
        "date",
        format!("a diary day holds at most {MAX_WORKOUTS_PER_DAY} workouts"),
    )
}

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

/// A distance over a duration faster than anyone goes (see `plausible_speed`).
fn too_fast() -> AppError {
    AppError::invalid(
        "distance",
        format!(
            "that is faster than {MAX_AVERAGE_SPEED_KMH} km an hour on average (a distance in \
             no time too): check the distance, its unit and the duration"
        ),
    )
}

/// Logs a workout entry with its sets. The calorie estimate is the database's (see the module
/// documentation).
pub async fn log(tx: &mut UserTx, acting: Acting, req: &LogWorkout) -> AppResult<Workout> {
    // Someone else's diary that is not shared with us at all is a 404, as for reads; shared
    // read-only, RLS refuses the insert (403).
    if acting.is_other(tx).await? {
        acting.ensure_visible(tx, Area::Diary).await?;
    }
    let units = owner_units(tx, acting).await?;
    let exercise = tx
        .query_opt(
            "SELECT name, met_value FROM exercises WHERE id = $1",
            &[&req.exercise_id],
        )
        .await?
        .ok_or(AppError::NotFound("exercise"))?;
    let name: String = exercise.get("name");
    let met: Option<Decimal> = exercise.get("met_value");
    let sets = stored_sets(&req.sets, units);
    let (set_count, total_reps, heaviest) = set_summary(&sets);
    let distance_km = req.distance.as_ref().map(|d| stored_km(d, units));
    // No duration given: the timed sets' time, so that they get a calorie estimate.
    let duration = req
        .duration_seconds
        .or_else(|| sets_time(sets.iter().map(|s| s.duration_seconds)));
    if !plausible_speed(duration, distance_km) {
        return Err(too_fast());
    }
    crate::days::check_time(tx, acting, "performed_at", req.date, req.performed_at).await?;
    let source = req.calories_burned.map(|_| "user");
    let row = tx
        .query_opt(
            &format!(
                "WITH target AS (SELECT {OWNER} AS id),
                 tz AS (SELECT coalesce((SELECT p.timezone FROM user_preferences p, target
                                         WHERE p.user_id = target.id LIMIT 1), 'UTC') AS name),
                 t AS (SELECT CASE
                           WHEN $3::timestamptz IS NOT NULL THEN $3::timestamptz
                           WHEN $4::date IS NULL OR $4::date = (now() AT TIME ZONE tz.name)::date THEN now()
                           ELSE ($4::date + time '12:00') AT TIME ZONE tz.name
                       END AS at, tz.name AS zone FROM tz),
                 day AS (SELECT coalesce($4::date, (t.at AT TIME ZONE t.zone)::date) AS d FROM t)
                 INSERT INTO exercise_diary AS d (user_id, exercise_id, exercise_name, met_value,
                     duration_seconds, distance_km, distance, notes, performed_at, entry_date,
                     calories_burned, calories_source, sets, reps, weight)
                 SELECT target.id, $2, $5, $6, $7, $8, round($8::numeric, 2), $9, t.at, day.d,
                        $10, $11, $12, $13, $14
                 FROM target, t, day
                 WHERE coalesce((SELECT x.workouts FROM diary_day_totals x
                                 WHERE x.user_id = target.id AND x.entry_date = day.d), 0) < $15::bigint
                   AND (t.at AT TIME ZONE t.zone)::date = day.d
                 RETURNING {ENTRY_COLUMNS}"
            ),
            &[
                &acting.owner,
                &req.exercise_id,
                &req.performed_at,
                &req.date,
                &name,
                &met,
                &duration,
                &distance_km,
                &req.notes,
                &req.calories_burned,
                &source,
                &set_count,
                &total_reps,
                &heaviest,
                &MAX_WORKOUTS_PER_DAY,
            ],
        )
        .await?;
    let row = row.ok_or_else(day_full)?;
    let mut workout = workout_from_row(&row, units);
    estimate_within_bounds(&workout)?;
    insert_sets(tx, workout.id, &sets).await?;
    workout.sets = sets.into_iter().map(|s| show_set(s, units)).collect();
    Ok(workout)
}

/// A MET estimate is held to the bound of a typed value (an estimated week-long session at
/// 15 MET was 176,400 kcal): the error makes the caller roll the write back.
fn estimate_within_bounds(w: &Workout) -> AppResult<()> {
    match w.calories_burned {
        Some(kcal)
            if w.calories_source.as_deref() != Some("user")
                && kcal.decimal() > Decimal::from(input::MAX_CALORIES) =>
        {
            Err(AppError::invalid(
                "duration_minutes",
                format!(
                    "that comes to {} kcal by the exercise's MET estimate, more than {}: check \
                     the duration, or enter the calories burned yourself",
                    kcal.decimal().round(),
                    input::MAX_CALORIES
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// Changes an entry. Sets, when given, replace all sets. Moving it to another day counts
/// against that day's limit. Calories are estimated again unless they were typed in.
pub async fn update(tx: &mut UserTx, id: Uuid, req: &UpdateWorkout) -> AppResult<Workout> {
    let (owner, units) = entry_owner(tx, id).await?;
    let acting = Acting::new(Some(owner));
    crate::days::check_time(tx, acting, "performed_at", req.date, req.performed_at).await?;
    let sets = req.sets.as_deref().map(|s| stored_sets(s, units));
    let (set_count, total_reps, heaviest) = set_summary(sets.as_deref().unwrap_or(&[]));
    let distance_km: Option<Decimal> = req.distance.flatten().as_ref().map(|d| stored_km(d, units));
    // 0: keep, 1: the user's value, 2: back to the estimate.
    let (calories_mode, calories): (i32, Option<Decimal>) = match req.calories_burned {
        None => (0, None),
        Some(Some(c)) => (1, Some(c)),
        Some(None) => (2, None),
    };
    let row = tx
        .query_opt(
            &format!(
                "UPDATE exercise_diary d SET
                     -- Left without a duration: the time of its timed sets (the new ones when
                     -- given), as when it was logged; one that was its old sets' time
                     -- follows new sets.
                     duration_seconds = coalesce(CASE WHEN $2 THEN $3
                             WHEN $12 AND d.duration_seconds IS NOT DISTINCT FROM
                                  (SELECT sum(s.duration_seconds)::int4 FROM exercise_sets s
                                   WHERE s.exercise_diary_id = d.id) THEN NULL
                             ELSE d.duration_seconds END,
                         CASE WHEN $12 THEN $17::int4
                              ELSE (SELECT CASE WHEN sum(s.duration_seconds) <= {MAX_DURATION_SECONDS}
                                                THEN sum(s.duration_seconds)::int4 END
                                    FROM exercise_sets s WHERE s.exercise_diary_id = d.id) END),
                     distance_km = CASE WHEN $4 THEN $5 ELSE d.distance_km END,
                     distance = CASE WHEN $4 THEN round($5::numeric, 2) ELSE d.distance END,
                     notes = CASE WHEN $6 THEN $7 ELSE d.notes END,
                     performed_at = CASE WHEN $8::timestamptz IS NOT NULL THEN $8::timestamptz
                         WHEN $9::date IS NOT NULL THEN {moved}
                         ELSE d.performed_at END,
                     entry_date = CASE WHEN $9::date IS NOT NULL THEN $9::date
                         WHEN $8::timestamptz IS NOT NULL THEN ($8::timestamptz AT TIME ZONE coalesce(
                             (SELECT p.timezone FROM user_preferences p WHERE p.user_id = d.user_id LIMIT 1), 'UTC'))::date
                         ELSE d.entry_date END,
                     calories_burned = CASE $10::int4 WHEN 1 THEN $11 WHEN 2 THEN NULL ELSE d.calories_burned END,
                     calories_source = CASE $10::int4 WHEN 1 THEN 'user' WHEN 2 THEN NULL ELSE d.calories_source END,
                     sets = CASE WHEN $12 THEN $13 ELSE d.sets END,
                     reps = CASE WHEN $12 THEN $14 ELSE d.reps END,
                     weight = CASE WHEN $12 THEN $15 ELSE d.weight END
                 WHERE d.id = $1
                   AND ($9::date IS NULL OR $9::date = d.entry_date
                        OR coalesce((SELECT x.workouts FROM diary_day_totals x
                                     WHERE x.user_id = d.user_id AND x.entry_date = $9::date), 0) < $16::bigint)
                 RETURNING {ENTRY_COLUMNS}",
                moved = crate::days::same_clock_time_on(
                    "d.performed_at",
                    "$9::date",
                    "d.user_id",
                    "d.user_id"
                )
            ),
            &[
                &id,
                &req.duration_seconds.is_some(),
                &req.duration_seconds.flatten(),
                &req.distance.is_some(),
                &distance_km,
                &req.notes.is_some(),
                &req.notes.clone().flatten(),
                &req.performed_at,
                &req.date,
                &calories_mode,
                &calories,
                &sets.is_some(),
                &set_count,
                &total_reps,
                &heaviest,
                &MAX_WORKOUTS_PER_DAY,
                &sets
                    .as_deref()
                    .and_then(|s| sets_time(s.iter().map(|s| s.duration_seconds))),
            ],
        )
        .await?;
    let Some(row) = row else {
        return Err(refused_update_or_full(tx, id, req.date.is_some()).await);
    };
    // Judged on what the entry now holds (a new duration against the old distance too); the
    // request's transaction is not committed after an error.
    if !plausible_speed(row.get("duration_seconds"), row.get("distance_km")) {
        return Err(too_fast());
    }
    let mut workout = workout_from_row(&row, units);
    estimate_within_bounds(&workout)?;
    match sets {
        Some(sets) => {
            tx.execute(
                "DELETE FROM exercise_sets WHERE exercise_diary_id = $1",
                &[&id],
            )
            .await?;
            insert_sets(tx, id, &sets).await?;
            workout.sets = sets.into_iter().map(|s| show_set(s, units)).collect();
        }
        None => attach_sets(tx, std::slice::from_mut(&mut workout), units).await?,
    }
    Ok(workout)
}

/// After an update that changed nothing: a full target day (422) or a diary the caller may
/// only read (403).
async fn refused_update_or_full(tx: &mut UserTx, id: Uuid, moved: bool) -> AppError {
    if !moved {
        return AppError::forbidden(READ_ONLY);
    }
    // An UPDATE that changes nothing tells whether RLS lets us write the row at all.
    match tx
        .execute(
            "UPDATE exercise_diary SET notes = notes WHERE id = $1",
            &[&id],
        )
        .await
    {
        Ok(0) => AppError::forbidden(READ_ONLY),
        Ok(_) => day_full(),
        Err(e) => e.into(),
    }
}

/// Deletes an entry and its sets: 404 if invisible, 403 if only readable.
pub async fn delete(tx: &mut UserTx, id: Uuid) -> AppResult<()> {
    delete_by_id(tx, "exercise_diary", id, "workout", READ_ONLY).await
}
