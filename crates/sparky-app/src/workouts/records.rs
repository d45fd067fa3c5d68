//! An exercise's history: its most recent sessions with every set, and personal records
//! (heaviest weight, most reps at each weight, best estimated one-rep max, longest distance,
//! fastest pace). Finding the records is pure arithmetic (`sparky_core::exercise`); this module
//! reads the sessions and shows the records in the diary owner's units.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;
use sparky_core::exercise::{personal_records, rounded_minutes, SessionFacts, SetFacts};
use sparky_core::units::round_dp;
use sparky_core::{Amount, DistanceUnit, UnitsSystem, WeightUnit};
use sparky_db::UserTx;
use tokio_postgres::Row;
use utoipa::ToSchema;
use uuid::Uuid;

use super::input::StoredSet;
use super::{owner_units_sql, show_set, units_from, workout_from_row, Workout, ENTRY_COLUMNS};
use crate::acting::{Acting, Area, OWNER};
use crate::error::{AppError, AppResult};
use crate::reads::{Answers, Param, ReadId, Reads};

/// Bounds of `limit` (sessions shown).
pub const HISTORY_DEFAULT: i64 = 100;
pub const HISTORY_MAX: i64 = 500;
/// Records cover this many of the most recent sessions.
pub const MAX_RECORD_SESSIONS: i64 = 10_000;

/// How many sessions to show.
#[derive(Debug, Clone, Copy)]
pub struct HistoryRequest {
    pub limit: i64,
}

impl HistoryRequest {
    pub fn parse(limit: Option<i64>) -> AppResult<HistoryRequest> {
        let limit = limit.unwrap_or(HISTORY_DEFAULT);
        if !(1..=HISTORY_MAX).contains(&limit) {
            return Err(AppError::invalid("limit", "must be between 1 and 500"));
        }
        Ok(HistoryRequest { limit })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WeightRecord {
    /// In `weight_unit`.
    #[schema(value_type = f64)]
    pub weight: Amount,
    pub reps: Option<i32>,
    pub date: NaiveDate,
    pub workout_id: Uuid,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OneRepMaxRecord {
    /// Epley: weight × (1 + reps / 30), in `weight_unit`, 2 places.
    #[schema(value_type = f64)]
    pub estimated_one_rep_max: Amount,
    #[schema(value_type = f64)]
    pub weight: Amount,
    pub reps: i32,
    pub date: NaiveDate,
    pub workout_id: Uuid,
}

/// The longest timed set (a plank, a hang, a carry).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimedSetRecord {
    pub duration_seconds: i32,
    /// The load held, in `weight_unit`; null for a bodyweight hold.
    #[schema(value_type = Option<f64>)]
    pub weight: Option<Amount>,
    pub date: NaiveDate,
    pub workout_id: Uuid,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DistanceRecord {
    /// In `distance_unit`.
    #[schema(value_type = f64)]
    pub distance: Amount,
    /// `duration_seconds` rounded to the minute.
    pub duration_minutes: Option<i32>,
    pub duration_seconds: Option<i32>,
    pub date: NaiveDate,
    pub workout_id: Uuid,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaceRecord {
    /// Minutes per `distance_unit`, 2 places.
    #[schema(value_type = f64)]
    pub pace: Amount,
    #[schema(value_type = f64)]
    pub distance: Amount,
    /// `duration_seconds` rounded to the minute.
    pub duration_minutes: i32,
    pub duration_seconds: i32,
    pub date: NaiveDate,
    pub workout_id: Uuid,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct PersonalRecords {
    pub heaviest_weight: Option<WeightRecord>,
    /// For each weight lifted, the most reps done with it (heaviest first).
    pub most_reps_at_weight: Vec<WeightRecord>,
    pub best_one_rep_max: Option<OneRepMaxRecord>,
    pub longest_set: Option<TimedSetRecord>,
    pub longest_distance: Option<DistanceRecord>,
    pub fastest_pace: Option<PaceRecord>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExerciseHistory {
    pub exercise_id: Uuid,
    pub exercise_name: Option<String>,
    pub user_id: Uuid,
    pub weight_unit: WeightUnit,
    pub distance_unit: DistanceUnit,
    /// Most recent first, at most `limit`.
    pub sessions: Vec<Workout>,
    /// Over the most recent 10,000 sessions.
    pub records: PersonalRecords,
}

type Key = (NaiveDate, Uuid);

/// An exercise's sessions (most recent first) and personal records; ties go to the earliest
/// session. 404 for an exercise neither logged nor visible, or a diary not shared with you.
pub async fn history(
    tx: &mut UserTx,
    acting: Acting,
    exercise_id: Uuid,
    req: HistoryRequest,
) -> AppResult<ExerciseHistory> {
    let mut reads = Reads::new();
    let plan = plan_history(&mut reads, acting, exercise_id, req);
    let mut answers = reads.run(tx).await?;
    plan.finish(tx, &mut answers).await
}

/// [`history`]'s reads, planned (see [`crate::reads`]): a screen showing several exercises'
/// records reads them all in one round trip.
pub struct HistoryPlan {
    acting: Acting,
    exercise_id: Uuid,
    req: HistoryRequest,
    sessions: ReadId,
    sets: ReadId,
    units: ReadId,
}

/// Plans an exercise's history: its sessions, their sets and the owner's units.
pub fn plan_history(
    reads: &mut Reads,
    acting: Acting,
    exercise_id: Uuid,
    req: HistoryRequest,
) -> HistoryPlan {
    let sessions_sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM exercise_diary d
         WHERE d.user_id = {OWNER} AND d.exercise_id = $2
         ORDER BY d.entry_date DESC, d.performed_at DESC, d.created_at DESC, d.id DESC
         LIMIT $3"
    );
    let sets_sql = format!(
        "SELECT exercise_diary_id, set_number, reps, weight_kg, duration_seconds FROM exercise_sets
         WHERE exercise_diary_id IN (
             SELECT d.id FROM exercise_diary d
             WHERE d.user_id = {OWNER} AND d.exercise_id = $2
             ORDER BY d.entry_date DESC, d.performed_at DESC, d.created_at DESC, d.id DESC
             LIMIT $3)
         ORDER BY exercise_diary_id, set_number"
    );
    let params = || -> Vec<Param> {
        vec![
            Box::new(acting.owner),
            Box::new(exercise_id),
            Box::new(MAX_RECORD_SESSIONS),
        ]
    };
    HistoryPlan {
        acting,
        exercise_id,
        req,
        sessions: reads.add(sessions_sql, params()),
        sets: reads.add(sets_sql, params()),
        units: reads.add(owner_units_sql(), vec![Box::new(acting.owner)]),
    }
}

impl HistoryPlan {
    /// The history from the planned reads' rows. An exercise never logged needs one more
    /// look (is the diary shared, does the exercise exist) before its empty history or a 404.
    pub async fn finish(
        self,
        tx: &mut UserTx,
        answers: &mut Answers,
    ) -> AppResult<ExerciseHistory> {
        let (acting, exercise_id, req) = (self.acting, self.exercise_id, self.req);
        let rows = answers.take(self.sessions)?;
        let set_rows = answers.take(self.sets)?;
        let units = units_from(answers.take(self.units)?.first());
        let exercise_name: Option<String> = match rows.first() {
            Some(r) => Some(r.get("exercise_name")),
            None => {
                acting.ensure_visible(tx, Area::Diary).await?;
                let name = tx
                    .query_opt("SELECT name FROM exercises WHERE id = $1", &[&exercise_id])
                    .await?
                    .ok_or(AppError::NotFound("exercise"))?;
                Some(name.get(0))
            }
        };
        let owner = acting.owner_id(tx).await?;
        Ok(history_of(
            exercise_id,
            exercise_name,
            owner,
            req,
            &rows,
            &set_rows,
            units,
        ))
    }
}

fn history_of(
    exercise_id: Uuid,
    exercise_name: Option<String>,
    owner: Uuid,
    req: HistoryRequest,
    rows: &[Row],
    set_rows: &[Row],
    units: UnitsSystem,
) -> ExerciseHistory {
    let mut sets_of: HashMap<Uuid, Vec<StoredSet>> = HashMap::new();
    for s in set_rows {
        sets_of
            .entry(s.get("exercise_diary_id"))
            .or_default()
            .push(StoredSet {
                number: s.get("set_number"),
                reps: s.get("reps"),
                weight_kg: s.get("weight_kg"),
                duration_seconds: s.get("duration_seconds"),
            });
    }
    // Oldest first, so that the first session to reach a record keeps it.
    let sessions: Vec<SessionFacts<Key>> = rows
        .iter()
        .rev()
        .map(|r| {
            let id: Uuid = r.get("id");
            SessionFacts {
                key: (r.get("entry_date"), id),
                sets: sets_of
                    .get(&id)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .map(|s| SetFacts {
                        reps: s.reps.and_then(|n| u32::try_from(n).ok()),
                        weight_kg: s.weight_kg,
                        duration_seconds: s.duration_seconds.and_then(|d| u32::try_from(d).ok()),
                    })
                    .collect(),
                duration_seconds: r
                    .get::<_, Option<i32>>("duration_seconds")
                    .and_then(|d| u32::try_from(d).ok()),
                distance_km: r.get("distance_km"),
            }
        })
        .collect();
    let records = show_records(&personal_records(&sessions), units);
    let shown: Vec<Workout> = rows
        .iter()
        .take(req.limit as usize)
        .map(|r| {
            let mut w = workout_from_row(r, units);
            w.sets = sets_of
                .remove(&w.id)
                .unwrap_or_default()
                .into_iter()
                .map(|s| show_set(s, units))
                .collect();
            w
        })
        .collect();
    ExerciseHistory {
        exercise_id,
        exercise_name,
        user_id: owner,
        weight_unit: WeightUnit::of(units),
        distance_unit: DistanceUnit::of(units),
        sessions: shown,
        records,
    }
}

fn reps_i32(reps: u32) -> i32 {
    i32::try_from(reps).unwrap_or(i32::MAX)
}

/// Records in the owner's units.
fn show_records(
    r: &sparky_core::exercise::Records<Key>,
    units: sparky_core::UnitsSystem,
) -> PersonalRecords {
    let w = WeightUnit::of(units);
    let d = DistanceUnit::of(units);
    let weight_record = |s: &sparky_core::exercise::SetRecord<Key>| WeightRecord {
        weight: Amount(w.show(s.weight_kg)),
        reps: s.reps.map(reps_i32),
        date: s.key.0,
        workout_id: s.key.1,
    };
    PersonalRecords {
        heaviest_weight: r.heaviest_weight.as_ref().map(weight_record),
        most_reps_at_weight: r.most_reps_at_weight.iter().map(weight_record).collect(),
        best_one_rep_max: r.best_one_rep_max.as_ref().map(|b| OneRepMaxRecord {
            estimated_one_rep_max: Amount(round_dp(w.from_kg(b.one_rep_max_kg), 2)),
            weight: Amount(w.show(b.weight_kg)),
            reps: reps_i32(b.reps),
            date: b.key.0,
            workout_id: b.key.1,
        }),
        longest_set: r.longest_set.as_ref().map(|l| TimedSetRecord {
            duration_seconds: reps_i32(l.duration_seconds),
            weight: l.weight_kg.map(|kg| Amount(w.show(kg))),
            date: l.key.0,
            workout_id: l.key.1,
        }),
        longest_distance: r.longest_distance.as_ref().map(|l| DistanceRecord {
            distance: Amount(d.show(l.distance_km)),
            duration_minutes: l.duration_seconds.map(|s| rounded_minutes(reps_i32(s))),
            duration_seconds: l.duration_seconds.map(reps_i32),
            date: l.key.0,
            workout_id: l.key.1,
        }),
        fastest_pace: r.fastest_pace.as_ref().and_then(|f| {
            Some(PaceRecord {
                pace: Amount(d.show_pace(f.pace_min_per_km?)),
                distance: Amount(d.show(f.distance_km)),
                duration_minutes: rounded_minutes(reps_i32(f.duration_seconds?)),
                duration_seconds: reps_i32(f.duration_seconds?),
                date: f.key.0,
                workout_id: f.key.1,
            })
        }),
    }
}
