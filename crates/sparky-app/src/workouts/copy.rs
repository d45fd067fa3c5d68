//! Copying a day's workouts to another day, from this diary or a family member's.

use serde::{Deserialize, Serialize};
use sparky_core::Date;
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    attach_sets, day_full, owner_units, workout_from_row, Workout, ENTRY_COLUMNS,
    MAX_WORKOUTS_PER_DAY,
};
use crate::acting::{copy_source, Acting, Area, OWNER};
use crate::error::AppResult;

/// Copy a day's workouts to another day.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyWorkoutsInput {
    pub from_date: Date,
    pub to_date: Date,
    /// Copy from this person's diary: a family member who shares theirs with you (`calorie` or
    /// `reports`). Default: the diary being written. Their own exercises are not linked (the
    /// workouts keep the exercise's name and MET value).
    pub from_user_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CopiedWorkouts {
    pub copied: usize,
    pub workouts: Vec<Workout>,
}

/// Copies every workout of a day, with its sets, duration, distance and notes, to another day
/// at the same clock time. Calories typed in are copied; estimated ones are worked out again
/// for the new day (the body weight then). Refused when the target day would go past its
/// limit; a day cannot be copied onto itself. Row level security decides what may be read and
/// written; a diary that is not shared is a 404.
pub async fn copy(
    tx: &mut UserTx,
    acting: Acting,
    req: &CopyWorkoutsInput,
) -> AppResult<CopiedWorkouts> {
    let source = copy_source(tx, acting, req.from_user_id, req.from_date, req.to_date).await?;
    // The source's workouts and a new id for each, so that their sets can follow.
    let pairs = tx
        .query(
            &format!(
                "SELECT s.id, gen_random_uuid() FROM exercise_diary s
                 WHERE s.user_id = {OWNER} AND s.entry_date = $2
                 ORDER BY s.performed_at, s.created_at, s.id LIMIT $3"
            ),
            &[&source.owner, &req.from_date.get(), &MAX_WORKOUTS_PER_DAY],
        )
        .await?;
    let from_ids: Vec<Uuid> = pairs.iter().map(|r| r.get(0)).collect();
    let new_ids: Vec<Uuid> = pairs.iter().map(|r| r.get(1)).collect();
    if from_ids.is_empty() {
        acting.ensure_visible(tx, Area::Diary).await?;
        source.ensure_visible(tx, Area::Diary).await?;
        return Ok(CopiedWorkouts {
            copied: 0,
            workouts: Vec::new(),
        });
    }
    let rows = tx
        .query(
            &format!(
                "WITH target AS (SELECT {OWNER} AS id),
                 src AS (SELECT s.*, m.new_id FROM exercise_diary s
                         JOIN unnest($2::uuid[], $3::uuid[]) AS m(id, new_id) ON m.id = s.id),
                 room AS (SELECT $5::bigint - coalesce((SELECT x.workouts FROM diary_day_totals x, target
                                                 WHERE x.user_id = target.id AND x.entry_date = $4::date), 0) AS n)
                 INSERT INTO exercise_diary AS d (id, user_id, exercise_id, exercise_name, met_value,
                     duration_seconds, distance_km, distance, notes, performed_at, entry_date,
                     calories_burned, calories_source, sets, reps, weight)
                 SELECT src.new_id, target.id,
                     -- Someone else's own exercise stays theirs: linked only when it is the
                     -- catalog's or the target's own (name and MET value are copied anyway).
                     CASE WHEN src.user_id = target.id THEN src.exercise_id
                          ELSE (SELECT e.id FROM exercises e WHERE e.id = src.exercise_id
                                  AND (e.user_id IS NULL OR e.user_id = target.id)) END,
                     src.exercise_name, src.met_value, src.duration_seconds, src.distance_km,
                     src.distance, src.notes, {moved}, $4::date,
                     CASE WHEN src.calories_source = 'user' THEN src.calories_burned END,
                     CASE WHEN src.calories_source = 'user' THEN 'user' END,
                     src.sets, src.reps, src.weight
                 FROM src, target
                 WHERE (SELECT count(*) FROM src) <= (SELECT n FROM room)
                 RETURNING {ENTRY_COLUMNS}",
                moved = crate::days::same_clock_time_on(
                    "src.performed_at",
                    "$4::date",
                    "src.user_id",
                    "target.id"
                )
            ),
            &[
                &acting.owner,
                &from_ids,
                &new_ids,
                &req.to_date.get(),
                &MAX_WORKOUTS_PER_DAY,
            ],
        )
        .await?;
    if rows.is_empty() {
        return Err(day_full());
    }
    // Their sets, now that the workouts they belong to are written.
    tx.execute(
        "INSERT INTO exercise_sets (exercise_diary_id, set_number, reps, weight_kg, duration_seconds)
         SELECT m.new_id, x.set_number, x.reps, x.weight_kg, x.duration_seconds
         FROM exercise_sets x JOIN unnest($1::uuid[], $2::uuid[]) AS m(id, new_id)
           ON m.id = x.exercise_diary_id",
        &[&from_ids, &new_ids],
    )
    .await?;
    let units = owner_units(tx, acting).await?;
    let mut workouts: Vec<Workout> = rows.iter().map(|r| workout_from_row(r, units)).collect();
    workouts.sort_by_key(|w| (w.performed_at, w.id));
    attach_sets(tx, &mut workouts, units).await?;
    Ok(CopiedWorkouts {
        copied: workouts.len(),
        workouts,
    })
}
