//! Goals: weight goals (weight_loss, muscle_gain, weight_target) and daily targets
//! (calorie_target, protein_target, carbs_target, fat_target, water_target), at most one
//! active goal per type, and calorie/macro suggestions from the energy equations.
//!
//! `current_value` is never typed in: it is derived when a goal is read ([`progress`]). Values
//! are stored canonically (kg, kcal, g, ml); weights are shown in the owner's units. Only the
//! owner writes goals; `calorie` and `reports` grantees read them, and RLS alone decides.
//! Setting a weight_loss or muscle_gain goal can also set the matching daily calorie target
//! in the same transaction ([`calorie_target`]).

mod calorie_target;
pub(crate) mod history;
mod input;
mod progress;
pub mod suggest;
pub mod targets;
mod weekdays;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sparky_core::units::round_dp;
use sparky_core::{Amount, Date, GoalStatus, GoalType};
use sparky_db::{DbError, UserTx};
use utoipa::ToSchema;
use uuid::Uuid;

pub use calorie_target::CalorieTargetSet;
pub(crate) use calorie_target::{DEFAULT_GAIN_PER_WEEK, DEFAULT_LOSS_PER_WEEK};
use input::{to_canonical, unit_text};
pub use input::{GoalInput, NewGoal, UpdateGoalInput};
pub use suggest::{suggest, SuggestQuery, Suggestion};
pub use weekdays::WeekdayTargets;
use weekdays::{decimals, weekday_canonical};

use crate::acting::{delete_by_id, Acting, Area, OWNER};
use crate::error::{AppError, AppResult, Validation};
use progress::{context, derive};

/// Goals one listing returns at most (active first, then newest).
pub const MAX_LIST: i64 = 500;

const DENIED: &str = "you may read these goals but not change them";

// ---------------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Goal {
    pub id: Uuid,
    pub user_id: Uuid,
    #[serde(rename = "type")]
    pub goal_type: GoalType,
    pub status: GoalStatus,
    /// In `target_unit`: weights in the owner's units (kg or lb), kcal, g or ml.
    pub target_value: Option<Amount>,
    pub target_unit: String,
    /// Daily targets: the days of the week with a target of their own (in `target_unit`);
    /// absent when every day has `target_value`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_weekday: Option<WeekdayTargets>,
    /// Daily targets: today's target (in the owner's timezone), which `progress_percent`
    /// measures against.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_today: Option<Amount>,
    pub target_date: Option<NaiveDate>,
    /// Weight goals: the weight when the goal was set, in `target_unit`.
    pub start_value: Option<Amount>,
    pub start_date: NaiveDate,
    /// Derived, in `target_unit`: the latest weight, or today's total (diary or water). Null
    /// when there is no data (or it is not shared with you).
    pub current_value: Option<Amount>,
    /// The day `current_value` refers to: the latest weight's day, or today.
    pub current_date: Option<NaiveDate>,
    /// Weight goals: (start − current) / (start − target) × 100, clamped to 0–100. Daily
    /// targets: current / target × 100 (may exceed 100).
    pub progress_percent: Option<Amount>,
    /// Active weight goals: the day the smoothed weight trend reaches the target at its
    /// recent rate; null when flat, moving away, too far out, or before today (weigh-ins that
    /// stopped long ago).
    pub projected_date: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A goal just set, and the calorie target set with it (when asked for).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GoalCreated {
    #[serde(flatten)]
    pub goal: Goal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calorie_target: Option<CalorieTargetSet>,
}

// ---------------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------------

const GOAL_COLUMNS: &str = "g.id, g.user_id, g.type, g.status, g.target_value, g.target_unit, \
     g.target_date, g.start_value, g.start_date, g.created_at, g.updated_at, g.weekday_targets";

pub(crate) struct GoalRow {
    id: Uuid,
    user_id: Uuid,
    goal_type: GoalType,
    status: GoalStatus,
    target_value: Option<Decimal>,
    target_unit: Option<String>,
    target_date: Option<NaiveDate>,
    start_value: Option<Decimal>,
    start_date: NaiveDate,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// Monday first, canonical unit; `None` element: `target_value`.
    weekday_targets: Option<Vec<Option<Decimal>>>,
}

impl GoalRow {
    /// The target on `day`.
    fn target_on(&self, day: NaiveDate) -> Option<Decimal> {
        sparky_core::report::target_on(self.target_value, self.weekday_targets.as_deref(), day)
    }
}

fn goal_from_row(r: &tokio_postgres::Row) -> AppResult<GoalRow> {
    Ok(GoalRow {
        id: r.get("id"),
        user_id: r.get("user_id"),
        // Both columns have CHECK constraints listing exactly these names.
        goal_type: GoalType::parse(r.get("type"))?,
        status: GoalStatus::parse(r.get::<_, Option<&str>>("status").unwrap_or("active"))?,
        target_value: r.get("target_value"),
        target_unit: r.get("target_unit"),
        target_date: r.get("target_date"),
        start_value: r.get("start_value"),
        start_date: r.get("start_date"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
        weekday_targets: r.get("weekday_targets"),
    })
}

/// Maps the one-active-goal-per-type and one-active-weight-goal indexes to a 409 that says
/// what to do.
fn conflict_or(e: DbError, t: GoalType) -> AppError {
    if let DbError::Postgres(pg) = &e {
        if let Some(db) = pg.as_db_error() {
            if db.code().code() == "23505"
                && db.constraint() == Some("idx_goals_one_active_per_type")
            {
                return AppError::conflict(format!(
                    "there is already an active {} goal; pause or complete it first",
                    t.as_str()
                ));
            }
            if db.code().code() == "23505"
                && db.constraint() == Some("idx_goals_one_active_weight_goal")
            {
                return AppError::conflict(
                    "there is already an active weight goal (weight_loss, muscle_gain or \
                     weight_target); pause or complete it first",
                );
            }
        }
    }
    e.into()
}

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

/// Filters of a goal listing.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListFilter {
    pub status: Option<GoalStatus>,
    pub goal_type: Option<GoalType>,
    pub limit: Option<i64>,
}

/// Goals with their derived values: active first, then newest first; at most [`MAX_LIST`].
pub async fn list(tx: &mut UserTx, acting: Acting, filter: ListFilter) -> AppResult<Vec<Goal>> {
    let limit = filter.limit.unwrap_or(MAX_LIST);
    if !(1..=MAX_LIST).contains(&limit) {
        return Err(AppError::invalid(
            "limit",
            format!("must be between 1 and {MAX_LIST}"),
        ));
    }
    let status = filter.status.map(GoalStatus::as_str);
    let goal_type = filter.goal_type.map(GoalType::as_str);
    let rows = tx
        .query(
            &format!(
                "SELECT {GOAL_COLUMNS} FROM goals g
                 WHERE g.user_id = {OWNER} AND ($2::text IS NULL OR g.status = $2)
                   AND ($3::text IS NULL OR g.type = $3)
                 ORDER BY g.status = 'active' DESC, g.created_at DESC, g.id
                 LIMIT $4"
            ),
            &[&acting.owner, &status, &goal_type, &limit],
        )
        .await?;
    if rows.is_empty() {
        // Nothing to show: no goals, or goals not shared with us; tell them apart.
        acting.ensure_visible(tx, Area::Goals).await?;
        return Ok(Vec::new());
    }
    let rows: Vec<GoalRow> = rows.iter().map(goal_from_row).collect::<AppResult<_>>()?;
    let with_weights = rows.iter().any(|g| g.goal_type.is_weight());
    let ctx = context(tx, rows[0].user_id, with_weights).await?;
    Ok(rows.into_iter().map(|r| derive(r, &ctx)).collect())
}

async fn goal_row(tx: &mut UserTx, id: Uuid) -> AppResult<GoalRow> {
    let row = tx
        .query_opt(
            &format!("SELECT {GOAL_COLUMNS} FROM goals g WHERE g.id = $1"),
            &[&id],
        )
        .await?
        .ok_or(AppError::NotFound("goal"))?;
    goal_from_row(&row)
}

/// One goal with its derived values.
pub async fn get(tx: &mut UserTx, id: Uuid) -> AppResult<Goal> {
    let row = goal_row(tx, id).await?;
    let ctx = context(tx, row.user_id, row.goal_type.is_weight()).await?;
    Ok(derive(row, &ctx))
}

/// A goal ready to insert, its values canonical.
struct GoalValues {
    goal_type: GoalType,
    target: Decimal,
    target_date: Option<NaiveDate>,
    status: GoalStatus,
    start: Option<Decimal>,
    start_date: NaiveDate,
    weekday_targets: Option<Vec<Option<Decimal>>>,
}

/// Inserts a goal of `owner`.
async fn insert(tx: &mut UserTx, owner: Uuid, g: &GoalValues) -> AppResult<GoalRow> {
    let t = g.goal_type;
    let row = tx
        .query_one(
            &format!(
                "INSERT INTO goals AS g (user_id, type, target_value, target_unit, target_date, status,
                     start_value, start_date, weekday_targets)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 RETURNING {GOAL_COLUMNS}"
            ),
            &[
                &owner,
                &t.as_str(),
                &g.target,
                &t.canonical_unit(),
                &g.target_date,
                &g.status.as_str(),
                &g.start,
                &g.start_date,
                &g.weekday_targets,
            ],
        )
        .await
        .map_err(|e| conflict_or(e, t))?;
    goal_from_row(&row)
}

/// Sets a goal. Weight targets are given in kg or lb (default: the owner's unit system) and
/// stored in kg; a weight goal's start is the latest weight unless `start_value` is given.
/// With `with_calorie_target`, the matching calorie target is set in the same transaction.
pub async fn create(tx: &mut UserTx, acting: Acting, new: &NewGoal) -> AppResult<GoalCreated> {
    let owner = acting.owner_id(tx).await?;
    let t = new.goal_type;
    let ctx0 = context(tx, owner, false).await?;
    let unit = new.target_unit.as_deref();
    let mut v = Validation::new();
    let target = v.take(to_canonical(
        t,
        "target_value",
        new.target_value,
        unit,
        ctx0.units,
    ));
    let start = match new.start_value {
        Some(s) => v.take(to_canonical(t, "start_value", s, unit, ctx0.units)),
        None if t.is_weight() => ctx0.latest_weight.map(|(w, _)| w),
        None => None,
    };
    let weekday_targets =
        weekday_canonical(&mut v, "by_weekday", t, new.by_weekday, unit, ctx0.units);
    v.check(
        new.target_date.is_none_or(|d| d >= ctx0.today),
        "target_date",
        "must not be before today, the day the goal starts",
    );
    if let Some(problem) = wrong_way(t, target, start, &ctx0) {
        v.add("target_value", problem);
    }
    v.finish()?;
    let target = target.ok_or_else(|| AppError::internal("target checked above"))?;
    // Worked out before anything is written, so missing data refuses the whole request.
    let plan = match new.with_calorie_target {
        Some(weekly) => Some(
            calorie_target::plan(
                tx,
                Acting::new(Some(owner)),
                new,
                target,
                start,
                weekly,
                &ctx0,
            )
            .await?,
        ),
        None => None,
    };
    let values = GoalValues {
        goal_type: t,
        target,
        target_date: new.target_date,
        status: new.status,
        start,
        start_date: ctx0.today,
        weekday_targets,
    };
    let row = insert(tx, owner, &values).await?;
    let calorie = match plan {
        Some(plan) => Some(calorie_target::set(tx, owner, plan, ctx0.today).await?),
        None => None,
    };
    let ctx = context(tx, owner, t.is_weight()).await?;
    Ok(GoalCreated {
        goal: derive(row, &ctx),
        calorie_target: calorie.map(|(row, done)| done.finish(derive(row, &ctx))),
    })
}

/// Changes a goal's target, date, status or start. Re-activating a goal while another of its
/// type is active is refused (409).
pub async fn update(tx: &mut UserTx, id: Uuid, req: UpdateGoalInput) -> AppResult<Goal> {
    let existing = goal_row(tx, id).await?;
    let t = existing.goal_type;
    let moves = req.target_value.is_some() || req.start_value.is_some();
    let mut v = Validation::new();
    let unit = unit_text(&mut v, req.target_unit.as_deref());
    if unit.is_some()
        && req.target_value.is_none()
        && req.start_value.is_none()
        && req.by_weekday.as_ref().is_none_or(WeekdayTargets::is_empty)
    {
        v.add(
            "target_unit",
            "is the unit of target_value, start_value or by_weekday; send one of them with it",
        );
    }
    if req.start_value.is_some() && !t.is_weight() {
        v.add("start_value", "is only for weight goals");
    }
    v.finish()?;
    let ctx0 = context(tx, existing.user_id, false).await?;
    let unit = unit.as_deref();
    let target = req
        .target_value
        .map(|x| to_canonical(t, "target_value", x.decimal(), unit, ctx0.units))
        .transpose()?;
    let start = req
        .start_value
        .map(|x| to_canonical(t, "start_value", x.decimal(), unit, ctx0.units))
        .transpose()?;
    let mut v = Validation::new();
    let weekdays = req
        .by_weekday
        .as_ref()
        .map(|w| weekday_canonical(&mut v, "by_weekday", t, decimals(w), unit, ctx0.units));
    v.finish()?;
    let status = req.status.map(GoalStatus::as_str);
    let target_date = req.target_date.map(Date::get);
    let updated = tx
        .query_opt(
            &format!(
                "UPDATE goals g SET target_value = coalesce($2, g.target_value),
                     target_date = coalesce($3, g.target_date), status = coalesce($4, g.status),
                     start_value = coalesce($5, g.start_value),
                     weekday_targets = CASE WHEN $6 THEN $7 ELSE g.weekday_targets END
                 WHERE g.id = $1
                 RETURNING {GOAL_COLUMNS}"
            ),
            &[
                &id,
                &target,
                &target_date,
                &status,
                &start,
                &weekdays.is_some(),
                &weekdays.flatten(),
            ],
        )
        .await
        .map_err(|e| conflict_or(e, t))?;
    let Some(row) = updated else {
        return Err(AppError::forbidden(DENIED));
    };
    let row = goal_from_row(&row)?;
    // The request's transaction is not committed after this error.
    if row.target_date.is_some_and(|d| d < row.start_date) {
        return Err(AppError::invalid(
            "target_date",
            format!(
                "must not be before {}, the day the goal started",
                row.start_date
            ),
        ));
    }
    let ctx = context(tx, row.user_id, t.is_weight()).await?;
    // The changed goal still points the way its kind says (from its start, else the latest
    // weight); the request's transaction is not committed after this error.
    let from = row.start_value.or(ctx.latest_weight.map(|(w, _)| w));
    if let Some(problem) = wrong_way(t, row.target_value, from, &ctx).filter(|_| moves) {
        return Err(AppError::invalid("target_value", problem));
    }
    Ok(derive(row, &ctx))
}

/// Why a weight goal's target points the wrong way from `from` (losing weight to a heavier
/// target, gaining to a lighter one): a slip of the kind or the number, which would be given
/// a calorie deficit the wrong way round.
fn wrong_way(
    t: GoalType,
    target: Option<Decimal>,
    from: Option<Decimal>,
    ctx: &progress::Context,
) -> Option<String> {
    let (goal, from) = (target?, from?);
    let shown = format!(
        "{} {}",
        round_dp(ctx.show_weight(from), 1).normalize(),
        ctx.weight_unit()
    );
    match t {
        GoalType::WeightLoss if goal >= from => Some(format!(
            "must be below the starting weight {shown} to lose weight (choose gain or reach a \
             weight otherwise)"
        )),
        GoalType::MuscleGain if goal <= from => Some(format!(
            "must be above the starting weight {shown} to gain weight (choose lose or reach a \
             weight otherwise)"
        )),
        _ => None,
    }
}

/// Deletes a goal: 404 if invisible, 403 if only readable.
pub async fn delete(tx: &mut UserTx, id: Uuid) -> AppResult<()> {
    delete_by_id(tx, "goals", id, "goal", DENIED).await
}
