//! Reading the exercise diary: one entry, a day (also as part of a screen's pipelined reads)
//! and a range of days, in the owner's units.

use chrono::NaiveDate;
use sparky_db::UserTx;
use uuid::Uuid;

use super::*;
use crate::acting::Acting;
use crate::error::{AppError, AppResult};
use crate::paging::{Page, PageRequest};
use crate::reads::{Answers, Param, ReadId, Reads};

/// One entry by id (404 when it does not exist or is not visible).
pub async fn entry(tx: &mut UserTx, id: Uuid) -> AppResult<Workout> {
    let row = tx
        .query_opt(
            &format!(
                "SELECT {ENTRY_COLUMNS}, (SELECT p.units_system FROM user_preferences p
                                         WHERE p.user_id = d.user_id LIMIT 1) AS units_system
                 FROM exercise_diary d WHERE d.id = $1"
            ),
            &[&id],
        )
        .await?
        .ok_or(AppError::NotFound("workout"))?;
    let units =
        UnitsSystem::from_preference(row.get::<_, Option<String>>("units_system").as_deref());
    let mut workout = workout_from_row(&row, units);
    attach_sets(tx, std::slice::from_mut(&mut workout), units).await?;
    Ok(workout)
}

/// The diary owner's most recent session of an exercise with its sets (what "the same as last
/// time" starts from); None when there is none, or the diary is not shared with the caller.
/// Two statements, whatever the history's length.
pub async fn last_session(
    tx: &mut UserTx,
    acting: Acting,
    exercise_id: Uuid,
) -> AppResult<Option<Workout>> {
    let row = tx
        .query_opt(
            &format!(
                "SELECT {ENTRY_COLUMNS}, (SELECT p.units_system FROM user_preferences p
                                         WHERE p.user_id = d.user_id LIMIT 1) AS units_system
                 FROM exercise_diary d
                 WHERE d.user_id = {OWNER} AND d.exercise_id = $2
                 ORDER BY d.entry_date DESC, d.performed_at DESC, d.created_at DESC, d.id DESC
                 LIMIT 1"
            ),
            &[&acting.owner, &exercise_id],
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    let units =
        UnitsSystem::from_preference(row.get::<_, Option<String>>("units_system").as_deref());
    let mut workout = workout_from_row(&row, units);
    attach_sets(tx, std::slice::from_mut(&mut workout), units).await?;
    Ok(Some(workout))
}

/// A day of the exercise diary with every set, and the day's calories and minutes.
pub async fn day(tx: &mut UserTx, acting: Acting, date: NaiveDate) -> AppResult<WorkoutDay> {
    let mut reads = Reads::new();
    let plan = plan_day(&mut reads, acting, date);
    let mut answers = reads.run(tx).await?;
    let day = plan.finish(&mut answers, acting.owner_id(tx).await?)?;
    if day.entries.is_empty() {
        acting.ensure_visible(tx, Area::Diary).await?;
    }
    Ok(day)
}

/// [`day`]'s reads, planned (see [`crate::reads`]).
pub struct DayPlan {
    date: NaiveDate,
    workouts: ReadId,
    sets: ReadId,
    units: ReadId,
}

/// Plans a workout day: its workouts, their sets and the owner's units, read together.
pub fn plan_day(reads: &mut Reads, acting: Acting, date: NaiveDate) -> DayPlan {
    let workouts_sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM exercise_diary d
         WHERE d.user_id = {OWNER} AND d.entry_date = $2
         ORDER BY d.performed_at, d.created_at, d.id"
    );
    let sets_sql = format!(
        "SELECT s.exercise_diary_id, s.set_number, s.reps, s.weight_kg, s.duration_seconds
         FROM exercise_sets s JOIN exercise_diary d ON d.id = s.exercise_diary_id
         WHERE d.user_id = {OWNER} AND d.entry_date = $2
         ORDER BY s.exercise_diary_id, s.set_number"
    );
    let day = || -> Vec<Param> { vec![Box::new(acting.owner), Box::new(date)] };
    DayPlan {
        date,
        workouts: reads.add(workouts_sql, day()),
        sets: reads.add(sets_sql, day()),
        units: reads.add(owner_units_sql(), vec![Box::new(acting.owner)]),
    }
}

impl DayPlan {
    /// The workout day of `owner` from the planned reads' rows.
    pub fn finish(self, answers: &mut Answers, owner: Uuid) -> AppResult<WorkoutDay> {
        let rows = answers.take(self.workouts)?;
        let set_rows = answers.take(self.sets)?;
        let units = units_from(answers.take(self.units)?.first());
        Ok(workout_day(self.date, owner, &rows, &set_rows, units))
    }
}

fn workout_day(
    date: NaiveDate,
    owner: Uuid,
    rows: &[Row],
    set_rows: &[Row],
    units: UnitsSystem,
) -> WorkoutDay {
    let mut entries: Vec<Workout> = rows.iter().map(|r| workout_from_row(r, units)).collect();
    sets_into(&mut entries, set_rows, units);
    let total_calories: Decimal = entries
        .iter()
        .filter_map(|e| e.calories_burned.map(Amount::decimal))
        .sum();
    let total_seconds: i64 = entries
        .iter()
        .filter_map(|e| e.duration_seconds)
        .map(i64::from)
        .sum();
    WorkoutDay {
        date,
        user_id: owner,
        entries,
        total_calories_burned: Amount(total_calories),
        // Rounded like each entry's minutes, from the exact sum.
        total_duration_minutes: sparky_core::exercise::total_rounded_minutes(total_seconds),
        total_duration_seconds: total_seconds,
    }
}

/// A validated date range with a page.
#[derive(Debug, Clone)]
pub struct RangeRequest {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub page: PageRequest,
}

impl RangeRequest {
    /// At most [`MAX_RANGE_DAYS`] days, `to` not before `from`.
    pub fn new(from: NaiveDate, to: NaiveDate, page: PageRequest) -> AppResult<RangeRequest> {
        if to < from {
            return Err(AppError::invalid("to", "must not be before from"));
        }
        if (to - from).num_days() >= MAX_RANGE_DAYS {
            return Err(AppError::invalid("to", "the range is at most 366 days"));
        }
        Ok(RangeRequest { from, to, page })
    }
}

/// Workout entries of a date range, oldest first, with every set, a page at a time.
pub async fn range(tx: &mut UserTx, acting: Acting, req: &RangeRequest) -> AppResult<WorkoutRange> {
    let after: Option<EntryKey> = req.page.after()?;
    let rows = tx
        .query(
            &format!(
                "SELECT {ENTRY_COLUMNS} FROM exercise_diary d
                 WHERE d.user_id = {OWNER} AND d.entry_date BETWEEN $2 AND $3
                   AND ($4::date IS NULL
                        OR (d.entry_date, d.performed_at, d.created_at, d.id) > ($4, $5, $6, $7))
                 ORDER BY d.entry_date, d.performed_at, d.created_at, d.id
                 LIMIT $8"
            ),
            &[
                &acting.owner,
                &req.from,
                &req.to,
                &after.map(|k| k.0),
                &after.map(|k| k.1),
                &after.map(|k| k.2),
                &after.map(|k| k.3),
                &req.page.fetch(),
            ],
        )
        .await?;
    if rows.is_empty() {
        acting.ensure_visible(tx, Area::Diary).await?;
    }
    let units = owner_units(tx, acting).await?;
    let keyed: Vec<(EntryKey, Workout)> = rows
        .iter()
        .map(|r| (entry_key(r), workout_from_row(r, units)))
        .collect();
    let Page { items, next_cursor } = req.page.finish_keyset(keyed, |(k, _)| *k);
    let mut entries: Vec<Workout> = items.into_iter().map(|(_, w)| w).collect();
    attach_sets(tx, &mut entries, units).await?;
    Ok(WorkoutRange {
        from: req.from,
        to: req.to,
        user_id: acting.owner_id(tx).await?,
        entries,
        next_cursor,
    })
}
