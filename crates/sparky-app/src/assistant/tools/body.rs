//! Tools that log exercise, measurements and water.

use serde::Deserialize;
use serde_json::json;
use sparky_core::{Amount, DistanceUnit};
use sparky_db::UserTx;
use uuid::Uuid;

use super::actions::{Card, Undo};
use crate::error::{AppError, AppResult};
use crate::workouts::input::{LogWorkoutInput, SetInput};
use crate::workouts::{CopyWorkoutsInput, Workout};

use super::{
    acting, copy_days, date_value, day_arg, to_value, write_card, ToolContext, ToolOutput,
};

#[derive(Deserialize)]
pub(super) struct ExerciseArgs {
    exercise: Option<String>,
    exercise_id: Option<Uuid>,
    duration_minutes: Option<i32>,
    duration_seconds: Option<i32>,
    distance: Option<Amount>,
    distance_unit: Option<DistanceUnit>,
    #[serde(default)]
    sets: Vec<SetInput>,
    calories_burned: Option<Amount>,
    date: Option<String>,
    user_id: Option<Uuid>,
}

/// The exercise a name means: the one a phone's activity of that name maps to ("running" →
/// "Running, general"), one of exactly that name, else the only match. Several matches are
/// listed for the caller to choose (the first by name was "Running up stairs", 15 MET).
async fn exercise_named(tx: &mut UserTx, name: &str) -> AppResult<Uuid> {
    let key = name.to_string();
    if let Some((id, _)) = crate::health_data::match_exercises(tx, std::slice::from_ref(&key))
        .await?
        .remove(&key)
    {
        return Ok(id);
    }
    let s = crate::exercises::Search::parse(Some(name), None, None, None, Some(6), None)?;
    let page = crate::exercises::search(tx, &s).await?;
    match page.items.as_slice() {
        [] => Err(AppError::invalid(
            "exercise",
            format!("no exercise matches {name:?}; try another name"),
        )),
        [one] => Ok(one.id),
        [first, ..] if first.name.eq_ignore_ascii_case(name) => Ok(first.id),
        several => Err(AppError::invalid(
            "exercise",
            format!(
                "several exercises match {name:?}: {}; call again with the exercise_id of the one meant, or a fuller name",
                several
                    .iter()
                    .map(|e| format!("{} (exercise_id {})", e.name, e.id))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        )),
    }
}

pub(super) async fn log_exercise(
    tx: &mut UserTx,
    ctx: &ToolContext,
    a: ExerciseArgs,
) -> AppResult<ToolOutput> {
    let who = acting(a.user_id);
    let exercise_id = match (a.exercise_id, a.exercise.as_deref().map(str::trim)) {
        (Some(id), _) => id,
        (None, Some(name)) if !name.is_empty() => exercise_named(tx, name).await?,
        _ => return Err(AppError::invalid("exercise", "name the exercise")),
    };
    let date = day_arg(tx, who, a.date.as_deref()).await?;
    let input = LogWorkoutInput {
        exercise_id,
        performed_at: None,
        date: Some(date_value(date)?),
        duration_minutes: a.duration_minutes,
        duration_seconds: a.duration_seconds,
        distance: a.distance,
        distance_unit: a.distance_unit,
        sets: a.sets,
        calories_burned: a.calories_burned,
        notes: None,
    };
    let w = crate::workouts::log(tx, who, &input.parse()?).await?;
    let card = Card {
        action_id: None,
        proposal_id: None,
        tool: "log_exercise".into(),
        title: format!("Exercise logged on {}", w.date),
        lines: vec![workout_line(&w)],
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

/// "Running: 30 min, 5 km, 300 kcal" or "Plank: 3 sets, 2:15" for a card.
fn workout_line(w: &Workout) -> String {
    let mut parts = Vec::new();
    if let Some(s) = w.duration_seconds {
        parts.push(sparky_core::exercise::duration_label(s));
    }
    if let Some(d) = w.distance {
        parts.push(format!("{} {}", d.0.normalize(), w.distance_unit.as_str()));
    }
    if !w.sets.is_empty() {
        parts.push(match w.sets.len() {
            1 => "1 set".to_string(),
            n => format!("{n} sets"),
        });
    }
    if let Some(c) = w.calories_burned {
        parts.push(format!("{} kcal", c.0.round_dp(0)));
    }
    format!("{}: {}", w.exercise_name, parts.join(", "))
}

#[derive(Deserialize)]
pub(super) struct CopyWorkoutsArgs {
    from_date: String,
    to_date: Option<String>,
    from_user_id: Option<Uuid>,
    user_id: Option<Uuid>,
}

/// Copies a day's workouts (the operation behind `POST /api/v1/workouts/copy`); Undo deletes
/// the copies.
pub(super) async fn copy_workouts(
    tx: &mut UserTx,
    ctx: &ToolContext,
    a: CopyWorkoutsArgs,
) -> AppResult<ToolOutput> {
    let into = acting(a.user_id);
    let (from, to) = copy_days(
        tx,
        a.user_id,
        a.from_user_id,
        &a.from_date,
        a.to_date.as_deref(),
    )
    .await?;
    let input = CopyWorkoutsInput {
        from_date: from,
        to_date: to,
        from_user_id: a.from_user_id,
    };
    let copied = crate::workouts::copy(tx, into, &input).await?;
    let Some(first) = copied.workouts.first() else {
        return Err(AppError::invalid(
            "from_date",
            format!("there is nothing to copy: no workout was logged on {from}"),
        ));
    };
    let card = Card {
        action_id: None,
        proposal_id: None,
        tool: "copy_workouts".into(),
        title: format!("Copied the workouts of {from} to {to}"),
        lines: copied.workouts.iter().map(workout_line).collect(),
        user_id: first.user_id,
        written: to_value(&copied),
    };
    let result = json!({"copied": copied.workouts.iter().map(|w| json!({
        "workout_id": w.id, "exercise": w.exercise_name, "date": w.date,
        "calories_burned": w.calories_burned})).collect::<Vec<_>>()});
    let undo = Undo::DeleteWorkouts {
        ids: copied.workouts.iter().map(|w| w.id).collect(),
    };
    write_card(tx, ctx, "copy_workouts", undo, card, result).await
}

#[derive(Deserialize)]
pub(super) struct MeasurementArgs {
    #[serde(rename = "type")]
    kind: String,
    value: Amount,
    unit: Option<String>,
    date: Option<String>,
    user_id: Option<Uuid>,
}

#[derive(Deserialize)]
pub(super) struct WaterArgs {
    amount: Amount,
    unit: Option<String>,
    date: Option<String>,
    user_id: Option<Uuid>,
}

pub(super) async fn log_measurement(
    tx: &mut UserTx,
    ctx: &ToolContext,
    a: MeasurementArgs,
) -> AppResult<ToolOutput> {
    log_measurement_as(tx, ctx, a, "log_measurement").await
}

pub(super) async fn log_water(
    tx: &mut UserTx,
    ctx: &ToolContext,
    a: WaterArgs,
) -> AppResult<ToolOutput> {
    // Logging water adds a glass: none is nothing to log (a 0 stored an undoable "0 ml").
    if sparky_core::units::round_dp(a.amount.decimal(), 2) <= rust_decimal::Decimal::ZERO {
        return Err(AppError::invalid("amount", "must be more than 0"));
    }
    // "8 oz of water" means fluid ounces.
    let unit = match a.unit.as_deref().map(str::trim) {
        None => "ml".to_string(),
        Some(u) if u.eq_ignore_ascii_case("oz") => "fl oz".to_string(),
        Some(u) => u.to_string(),
    };
    // Named among water's units, not every type's ("glasses": use g, kg, lb, in, …).
    use sparky_core::measure::{Dimension, MeasureUnit};
    if !MeasureUnit::parse(&unit).is_ok_and(|u| u.dimension() == Dimension::Volume) {
        let names: Vec<&str> = Dimension::Volume
            .units()
            .iter()
            .map(|u| u.as_str())
            .collect();
        return Err(AppError::invalid(
            "unit",
            format!(
                "unknown unit \"{unit}\" for water; use {}",
                names.join(", ")
            ),
        ));
    }
    let m = MeasurementArgs {
        kind: "water".into(),
        value: a.amount,
        unit: Some(unit),
        date: a.date,
        user_id: a.user_id,
    };
    log_measurement_as(tx, ctx, m, "log_water").await
}

/// A built-in type as people and models write it ("Body Fat", "resting HR"); any other name
/// as given (the user's own types are matched by their name).
fn builtin_kind(raw: &str) -> String {
    let k = sparky_import::measurement_kind(raw);
    match sparky_import::builtin_dimension(&k) {
        Some(_) => k,
        None => raw.to_string(),
    }
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
        kind: builtin_kind(&a.kind),
        value: a.value,
        unit: a.unit,
        measured_at: None,
        date: Some(date_value(date)?),
        note: None,
    };
    let m = crate::measurements::log(tx, who, &input.parse()?).await?;
    let card = Card {
        action_id: None,
        proposal_id: None,
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
