//! Goals: weight goals (weight_loss, muscle_gain, weight_target) and daily targets
//! (calorie_target, protein_target, carbs_target, fat_target, water_target), at most one
//! active goal per type, and calorie/macro suggestions from the energy equations.
//!
//! `current_value` is never typed in: it is derived when a goal is read — weight goals from the
//! latest `weight` measurement, calorie and macro targets from today's food diary totals, water
//! from today's `water` measurements ("today" in the goal owner's timezone). Weight goals also
//! get a projected date: when the smoothed weight trend (EWMA, alpha 0.1, last 90 days) reaches
//! the target at its recent rate.
//!
//! Values are stored canonically (kg, kcal, g, ml); weights are shown in the owner's units.
//! Only the owner writes goals; `calorie` and `reports` grantees read them (`?user_id=`), and
//! RLS alone decides.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sparky_core::energy::{self, ActivityLevel, Sex};
use sparky_core::units::{self, round_dp, Unit};
use sparky_db::DbError;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::nutrients::{decimal_from_f64, f64_of};
use crate::auth::{ActingFor, Auth};
use crate::error::{ApiError, ApiResult, ErrorBody, Validation};
use crate::json::ApiJson;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_goals, create_goal))
        .routes(routes!(suggest))
        .routes(routes!(get_goal, update_goal, delete_goal))
}

/// Smoothing of the weight trend used for projections (0.1).
const TREND_ALPHA: Decimal = sparky_core::trend::DEFAULT_ALPHA;
/// How many days of weights the trend is computed over.
const TREND_DAYS: i32 = 90;
/// Decimal places shown for values and percentages.
const DISPLAY_DP: u32 = 2;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum GoalType {
    WeightLoss,
    MuscleGain,
    WeightTarget,
    CalorieTarget,
    ProteinTarget,
    CarbsTarget,
    FatTarget,
    WaterTarget,
}

impl GoalType {
    pub const ALL: [GoalType; 8] = [
        GoalType::WeightLoss,
        GoalType::MuscleGain,
        GoalType::WeightTarget,
        GoalType::CalorieTarget,
        GoalType::ProteinTarget,
        GoalType::CarbsTarget,
        GoalType::FatTarget,
        GoalType::WaterTarget,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GoalType::WeightLoss => "weight_loss",
            GoalType::MuscleGain => "muscle_gain",
            GoalType::WeightTarget => "weight_target",
            GoalType::CalorieTarget => "calorie_target",
            GoalType::ProteinTarget => "protein_target",
            GoalType::CarbsTarget => "carbs_target",
            GoalType::FatTarget => "fat_target",
            GoalType::WaterTarget => "water_target",
        }
    }

    pub fn parse(s: &str) -> Option<GoalType> {
        GoalType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn is_weight(self) -> bool {
        matches!(
            self,
            GoalType::WeightLoss | GoalType::MuscleGain | GoalType::WeightTarget
        )
    }

    /// The unit values are stored in.
    fn canonical_unit(self) -> &'static str {
        match self {
            GoalType::WeightLoss | GoalType::MuscleGain | GoalType::WeightTarget => "kg",
            GoalType::CalorieTarget => "kcal",
            GoalType::ProteinTarget | GoalType::CarbsTarget | GoalType::FatTarget => "g",
            GoalType::WaterTarget => "ml",
        }
    }

    /// The largest sensible target, in the canonical unit.
    fn max_target(self) -> Decimal {
        match self {
            GoalType::WeightLoss | GoalType::MuscleGain | GoalType::WeightTarget => {
                Decimal::from(700)
            }
            GoalType::CalorieTarget => Decimal::from(20000),
            GoalType::ProteinTarget | GoalType::CarbsTarget | GoalType::FatTarget => {
                Decimal::from(2000)
            }
            GoalType::WaterTarget => Decimal::from(20000),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum GoalStatus {
    Active,
    Completed,
    Paused,
}

impl GoalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GoalStatus::Active => "active",
            GoalStatus::Completed => "completed",
            GoalStatus::Paused => "paused",
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGoal {
    #[serde(rename = "type")]
    pub goal_type: GoalType,
    /// Greater than zero, in `target_unit`.
    pub target_value: f64,
    /// Weight goals: kg or lb (default: the owner's unit system). calorie_target: kcal;
    /// protein/carbs/fat targets: g; water_target: ml, l or fl oz (default ml).
    pub target_unit: Option<String>,
    pub target_date: Option<NaiveDate>,
    /// Default `active`. A second active goal of one type is refused (409).
    pub status: Option<GoalStatus>,
    /// Weight goals: the starting weight, in `target_unit` (default: the latest weight).
    pub start_value: Option<f64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGoal {
    pub target_value: Option<f64>,
    pub target_unit: Option<String>,
    pub target_date: Option<NaiveDate>,
    pub status: Option<GoalStatus>,
    pub start_value: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Goal {
    pub id: Uuid,
    pub user_id: Uuid,
    #[serde(rename = "type")]
    pub goal_type: String,
    pub status: String,
    /// In `target_unit`: weights in the owner's units (kg or lb), kcal, g or ml.
    pub target_value: Option<f64>,
    pub target_unit: String,
    pub target_date: Option<NaiveDate>,
    /// Weight goals: the weight when the goal was set, in `target_unit`.
    pub start_value: Option<f64>,
    pub start_date: NaiveDate,
    /// Derived, in `target_unit`: the latest weight, or today's total (diary or water). Null
    /// when there is no data (or it is not shared with you).
    pub current_value: Option<f64>,
    /// The day `current_value` refers to: the latest weight's day, or today.
    pub current_date: Option<NaiveDate>,
    /// Weight goals: (start − current) / (start − target) × 100, clamped to 0–100. Daily
    /// targets: current / target × 100 (may exceed 100).
    pub progress_percent: Option<f64>,
    /// Active weight goals: the day the smoothed weight trend reaches the target at its
    /// recent rate; null when flat, moving away, or too far out.
    pub projected_date: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const GOAL_COLUMNS: &str = "g.id, g.user_id, g.type, g.status, g.target_value, g.target_unit, \
     g.target_date, g.start_value, g.start_date, g.created_at, g.updated_at";

struct GoalRow {
    id: Uuid,
    user_id: Uuid,
    goal_type: GoalType,
    status: String,
    target_value: Option<Decimal>,
    target_unit: Option<String>,
    target_date: Option<NaiveDate>,
    start_value: Option<Decimal>,
    start_date: NaiveDate,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn goal_row(r: &tokio_postgres::Row) -> ApiResult<GoalRow> {
    let t: String = r.get("type");
    Ok(GoalRow {
        id: r.get("id"),
        user_id: r.get("user_id"),
        goal_type: GoalType::parse(&t).ok_or_else(ApiError::internal)?,
        status: r.get("status"),
        target_value: r.get("target_value"),
        target_unit: r.get("target_unit"),
        target_date: r.get("target_date"),
        start_value: r.get("start_value"),
        start_date: r.get("start_date"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    })
}

/// What a goal's derived values come from: the owner's units, today in the owner's timezone,
/// today's diary and water totals, and the weights.
struct Context {
    imperial: bool,
    today: NaiveDate,
    calories: Decimal,
    protein: Decimal,
    carbohydrates: Decimal,
    fat: Decimal,
    water_ml: Decimal,
    /// The latest weight (kg) and its day.
    latest_weight: Option<(Decimal, NaiveDate)>,
    /// Daily mean weights (kg) of the last 90 days, ascending.
    weights: Vec<(NaiveDate, Decimal)>,
}

const CONTEXT_SQL: &str = "
    WITH p AS (SELECT timezone, units_system FROM user_preferences WHERE user_id = $1 LIMIT 1),
    t AS (SELECT (now() AT TIME ZONE coalesce((SELECT timezone FROM p), 'UTC'))::date AS today),
    d AS (SELECT coalesce(sum(f.calories), 0) AS calories, coalesce(sum(f.protein), 0) AS protein,
                 coalesce(sum(f.carbohydrates), 0) AS carbohydrates, coalesce(sum(f.fat), 0) AS fat
          FROM food_diary f, t WHERE f.user_id = $1 AND f.entry_date = t.today),
    w AS (SELECT m.value, m.entry_date FROM measurements m
          WHERE m.user_id = $1 AND m.type = 'weight'
          ORDER BY m.measured_at DESC, m.created_at DESC LIMIT 1)
    SELECT t.today, coalesce((SELECT units_system FROM p), 'metric') AS units_system,
           d.calories, d.protein, d.carbohydrates, d.fat,
           coalesce((SELECT sum(m.value) FROM measurements m
                     WHERE m.user_id = $1 AND m.type = 'water' AND m.entry_date = t.today), 0) AS water,
           (SELECT value FROM w) AS weight, (SELECT entry_date FROM w) AS weight_date
    FROM t, d";

const WEIGHTS_SQL: &str = "
    SELECT m.entry_date, round(avg(m.value), 6) AS value FROM measurements m
    WHERE m.user_id = $1 AND m.type = 'weight' AND m.entry_date > $2::date - $3::int
      AND m.entry_date <= $2::date
    GROUP BY m.entry_date ORDER BY m.entry_date";

async fn context(
    tx: &mut sparky_db::UserTx,
    owner: Uuid,
    with_weights: bool,
) -> ApiResult<Context> {
    let r = tx.query_one(CONTEXT_SQL, &[&owner]).await?;
    let today: NaiveDate = r.get("today");
    let units_system: String = r.get("units_system");
    let weight: Option<Decimal> = r.get("weight");
    let weight_date: Option<NaiveDate> = r.get("weight_date");
    let weights = if with_weights {
        tx.query(WEIGHTS_SQL, &[&owner, &today, &TREND_DAYS])
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    } else {
        Vec::new()
    };
    Ok(Context {
        imperial: units_system == "imperial",
        today,
        calories: r.get("calories"),
        protein: r.get("protein"),
        carbohydrates: r.get("carbohydrates"),
        fat: r.get("fat"),
        water_ml: r.get("water"),
        latest_weight: weight.zip(weight_date),
        weights,
    })
}

impl Context {
    fn weight_unit(&self) -> &'static str {
        if self.imperial {
            "lb"
        } else {
            "kg"
        }
    }

    /// A canonical weight (kg) in the owner's unit, unrounded.
    fn show_weight(&self, kg: Decimal) -> Decimal {
        if self.imperial {
            units::kg_to_lb(kg)
        } else {
            kg
        }
    }
}

fn shown(d: Decimal) -> f64 {
    f64_of(round_dp(d, DISPLAY_DP))
}

fn derive(row: GoalRow, ctx: &Context) -> Goal {
    let t = row.goal_type;
    let (current, current_date): (Option<Decimal>, Option<NaiveDate>) = match t {
        GoalType::WeightLoss | GoalType::MuscleGain | GoalType::WeightTarget => {
            match ctx.latest_weight {
                Some((w, d)) => (Some(w), Some(d)),
                None => (None, None),
            }
        }
        GoalType::CalorieTarget => (Some(ctx.calories), Some(ctx.today)),
        GoalType::ProteinTarget => (Some(ctx.protein), Some(ctx.today)),
        GoalType::CarbsTarget => (Some(ctx.carbohydrates), Some(ctx.today)),
        GoalType::FatTarget => (Some(ctx.fat), Some(ctx.today)),
        GoalType::WaterTarget => (Some(ctx.water_ml), Some(ctx.today)),
    };
    let mut projected_date = None;
    let progress = if t.is_weight() {
        // Without a recorded start, the first weight since the goal was set is the start.
        let start = row.start_value.or_else(|| {
            ctx.weights
                .iter()
                .find(|(d, _)| *d >= row.start_date)
                .map(|(_, w)| *w)
        });
        if row.status == "active" {
            if let Some(target) = row.target_value {
                let trend = sparky_core::trend::ewma(&ctx.weights, TREND_ALPHA);
                projected_date = sparky_core::trend::projected_date(&trend, target);
            }
        }
        match (start, current, row.target_value) {
            (Some(s), Some(c), Some(target)) if s != target => {
                let p = (s - c) / (s - target) * Decimal::from(100);
                Some(p.clamp(Decimal::ZERO, Decimal::from(100)))
            }
            (Some(_), Some(c), Some(target)) => Some(if c == target {
                Decimal::from(100)
            } else {
                Decimal::ZERO
            }),
            _ => None,
        }
    } else {
        match (current, row.target_value) {
            (Some(c), Some(target)) if target > Decimal::ZERO => {
                Some(c / target * Decimal::from(100))
            }
            _ => None,
        }
    };
    let show = |d: Decimal| {
        if t.is_weight() {
            shown(ctx.show_weight(d))
        } else {
            shown(d)
        }
    };
    Goal {
        id: row.id,
        user_id: row.user_id,
        goal_type: t.as_str().to_string(),
        status: row.status,
        target_value: row.target_value.map(show),
        target_unit: if t.is_weight() {
            ctx.weight_unit().to_string()
        } else {
            row.target_unit
                .unwrap_or_else(|| t.canonical_unit().to_string())
        },
        target_date: row.target_date,
        start_value: row.start_value.map(show),
        start_date: row.start_date,
        current_value: current.map(show),
        current_date,
        progress_percent: progress.map(shown),
        projected_date,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// A value typed in `unit` (or the type's default unit) as the canonical value of `t`.
fn to_canonical(
    t: GoalType,
    field: &str,
    value: f64,
    unit: Option<&str>,
    imperial: bool,
) -> ApiResult<Decimal> {
    let v = decimal_from_f64(field, value)?;
    let unit = unit.map(|u| u.trim().to_ascii_lowercase());
    let canonical = match t {
        GoalType::WeightLoss | GoalType::MuscleGain | GoalType::WeightTarget => {
            let unit = unit.unwrap_or_else(|| if imperial { "lb" } else { "kg" }.into());
            match unit.as_str() {
                "kg" => v,
                "lb" | "lbs" => units::lb_to_kg(v),
                _ => return Err(ApiError::invalid("target_unit", "must be kg or lb")),
            }
        }
        GoalType::CalorieTarget => match unit.as_deref() {
            None | Some("kcal") => v,
            _ => return Err(ApiError::invalid("target_unit", "must be kcal")),
        },
        GoalType::ProteinTarget | GoalType::CarbsTarget | GoalType::FatTarget => {
            match unit.as_deref() {
                None | Some("g") => v,
                _ => return Err(ApiError::invalid("target_unit", "must be g")),
            }
        }
        GoalType::WaterTarget => {
            let from = match unit.as_deref() {
                None | Some("ml") => Unit::Ml,
                Some("l") => Unit::L,
                Some("fl oz") => Unit::FlOz,
                _ => return Err(ApiError::invalid("target_unit", "must be ml, l or fl oz")),
            };
            units::convert(v, from, Unit::Ml)
                .map_err(|_| ApiError::invalid(field, "is out of range"))?
        }
    };
    if canonical <= Decimal::ZERO || canonical > t.max_target() {
        return Err(ApiError::invalid(
            field,
            format!(
                "must be greater than 0 and at most {} {}",
                t.max_target(),
                t.canonical_unit()
            ),
        ));
    }
    // Stored at numeric(14,6).
    Ok(round_dp(canonical, 6))
}

/// Maps the one-active-goal-per-type index to a 409 that says what to do.
fn conflict_or(e: DbError, t: GoalType) -> ApiError {
    if let DbError::Postgres(pg) = &e {
        if let Some(db) = pg.as_db_error() {
            if db.code().code() == "23505"
                && db.constraint() == Some("idx_goals_one_active_per_type")
            {
                return ApiError::conflict(format!(
                    "there is already an active {} goal; pause or complete it first",
                    t.as_str()
                ));
            }
        }
    }
    e.into()
}

fn parse_goal_id(key: &str) -> ApiResult<Uuid> {
    key.parse().map_err(|_| ApiError::not_found("goal"))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// active, completed or paused.
    pub status: Option<String>,
    /// One goal type.
    #[serde(rename = "type")]
    pub goal_type: Option<String>,
}

/// Goals with their derived current value, progress and (weight goals) projected date.
#[utoipa::path(get, path = "/api/v1/goals", tag = "goals",
    security(("session" = []), ("api_key" = [])),
    params(ActingFor, ListParams),
    responses(
        (status = 200, description = "Goals, active first, newest first", body = Vec<Goal>),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "Those goals are not shared with you", body = ErrorBody),
        (status = 422, description = "Invalid filter", body = ErrorBody),
    ))]
async fn list_goals(
    Auth { mut tx, .. }: Auth,
    acting: ActingFor,
    Query(p): Query<ListParams>,
) -> ApiResult<ApiJson<Vec<Goal>>> {
    let status = match p.status.as_deref() {
        None | Some("") => None,
        Some(s @ ("active" | "completed" | "paused")) => Some(s.to_string()),
        Some(_) => {
            return Err(ApiError::invalid(
                "status",
                "must be active, completed or paused",
            ))
        }
    };
    let goal_type = match p.goal_type.as_deref() {
        None | Some("") => None,
        Some(t) => Some(
            GoalType::parse(t)
                .ok_or_else(|| ApiError::invalid("type", "is not a goal type"))?
                .as_str(),
        ),
    };
    let me = tx.user_id().await?;
    let owner = acting.user_id.unwrap_or(me);
    let rows = tx
        .query(
            &format!(
                "SELECT {GOAL_COLUMNS} FROM goals g
                 WHERE g.user_id = $1 AND ($2::text IS NULL OR g.status = $2)
                   AND ($3::text IS NULL OR g.type = $3)
                 ORDER BY g.status = 'active' DESC, g.created_at DESC, g.id"
            ),
            &[&owner, &status, &goal_type],
        )
        .await?;
    if rows.is_empty() && owner != me {
        // Nothing to show: either no goals or goals not shared with us; tell them apart.
        let visible = tx
            .query_opt(
                "SELECT 1 FROM family_access WHERE grantor_user_id = $1 AND grantee_user_id = auth.uid()
                 AND access_type IN ('calorie', 'reports')",
                &[&owner],
            )
            .await?
            .is_some();
        if !visible {
            return Err(ApiError::not_found("goals"));
        }
    }
    let rows: Vec<GoalRow> = rows.iter().map(goal_row).collect::<ApiResult<_>>()?;
    let with_weights = rows.iter().any(|g| g.goal_type.is_weight());
    let ctx = context(&mut tx, owner, with_weights).await?;
    tx.commit().await?;
    Ok(ApiJson(rows.into_iter().map(|r| derive(r, &ctx)).collect()))
}

/// One goal with its derived values.
#[utoipa::path(get, path = "/api/v1/goals/{key}", tag = "goals",
    security(("session" = []), ("api_key" = [])),
    params(("key" = Uuid, Path, description = "Goal id")),
    responses(
        (status = 200, description = "The goal", body = Goal),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such goal", body = ErrorBody),
    ))]
async fn get_goal(Auth { mut tx, .. }: Auth, Path(key): Path<String>) -> ApiResult<ApiJson<Goal>> {
    let id = parse_goal_id(&key)?;
    let row = tx
        .query_opt(
            &format!("SELECT {GOAL_COLUMNS} FROM goals g WHERE g.id = $1"),
            &[&id],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("goal"))?;
    let row = goal_row(&row)?;
    let ctx = context(&mut tx, row.user_id, row.goal_type.is_weight()).await?;
    tx.commit().await?;
    Ok(ApiJson(derive(row, &ctx)))
}

/// Set a goal. Weight targets are given in kg or lb (default: your unit system) and stored in
/// kg; a weight goal's start is the latest weight unless `start_value` is given.
#[utoipa::path(post, path = "/api/v1/goals", tag = "goals",
    security(("session" = []), ("api_key" = [])),
    params(ActingFor),
    request_body = CreateGoal,
    responses(
        (status = 201, description = "Created", body = Goal),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Only the owner sets goals", body = ErrorBody),
        (status = 409, description = "An active goal of that type exists", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody),
    ))]
async fn create_goal(
    Auth { mut tx, .. }: Auth,
    acting: ActingFor,
    ApiJson(req): ApiJson<CreateGoal>,
) -> ApiResult<(StatusCode, ApiJson<Goal>)> {
    let me = tx.user_id().await?;
    let owner = acting.user_id.unwrap_or(me);
    let t = req.goal_type;
    let ctx0 = context(&mut tx, owner, false).await?;
    let target = to_canonical(
        t,
        "target_value",
        req.target_value,
        req.target_unit.as_deref(),
        ctx0.imperial,
    )?;
    let start = match req.start_value {
        Some(_) if !t.is_weight() => {
            return Err(ApiError::invalid("start_value", "is only for weight goals"))
        }
        Some(v) => Some(to_canonical(
            t,
            "start_value",
            v,
            req.target_unit.as_deref(),
            ctx0.imperial,
        )?),
        None if t.is_weight() => ctx0.latest_weight.map(|(w, _)| w),
        None => None,
    };
    let status = req.status.unwrap_or(GoalStatus::Active).as_str();
    let unit = t.canonical_unit();
    let type_text = t.as_str();
    let row = tx
        .query_one(
            &format!(
                "INSERT INTO goals AS g (user_id, type, target_value, target_unit, target_date, status,
                     start_value, start_date)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 RETURNING {GOAL_COLUMNS}"
            ),
            &[
                &owner,
                &type_text,
                &target,
                &unit,
                &req.target_date,
                &status,
                &start,
                &ctx0.today,
            ],
        )
        .await
        .map_err(|e| conflict_or(e, t))?;
    let row = goal_row(&row)?;
    let ctx = context(&mut tx, owner, t.is_weight()).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(derive(row, &ctx))))
}

/// Change a goal's target, date, status or start. Re-activating a goal while another of its
/// type is active is refused (409).
#[utoipa::path(put, path = "/api/v1/goals/{key}", tag = "goals",
    security(("session" = []), ("api_key" = [])),
    params(("key" = Uuid, Path, description = "Goal id")),
    request_body = UpdateGoal,
    responses(
        (status = 200, description = "Updated", body = Goal),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Only the owner changes goals", body = ErrorBody),
        (status = 404, description = "No such goal", body = ErrorBody),
        (status = 409, description = "An active goal of that type exists", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody),
    ))]
async fn update_goal(
    Auth { mut tx, .. }: Auth,
    Path(key): Path<String>,
    ApiJson(req): ApiJson<UpdateGoal>,
) -> ApiResult<ApiJson<Goal>> {
    let id = parse_goal_id(&key)?;
    let existing = tx
        .query_opt(
            &format!("SELECT {GOAL_COLUMNS} FROM goals g WHERE g.id = $1"),
            &[&id],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("goal"))?;
    let existing = goal_row(&existing)?;
    let t = existing.goal_type;
    let ctx0 = context(&mut tx, existing.user_id, false).await?;
    if req.target_unit.is_some() && req.target_value.is_none() && req.start_value.is_none() {
        return Err(ApiError::invalid(
            "target_unit",
            "is the unit of target_value or start_value; send one of them with it",
        ));
    }
    let target = match req.target_value {
        Some(v) => Some(to_canonical(
            t,
            "target_value",
            v,
            req.target_unit.as_deref(),
            ctx0.imperial,
        )?),
        None => None,
    };
    let start = match req.start_value {
        Some(_) if !t.is_weight() => {
            return Err(ApiError::invalid("start_value", "is only for weight goals"))
        }
        Some(v) => Some(to_canonical(
            t,
            "start_value",
            v,
            req.target_unit.as_deref(),
            ctx0.imperial,
        )?),
        None => None,
    };
    let status = req.status.map(GoalStatus::as_str);
    let updated = tx
        .query_opt(
            &format!(
                "UPDATE goals g SET target_value = coalesce($2, g.target_value),
                     target_date = coalesce($3, g.target_date), status = coalesce($4, g.status),
                     start_value = coalesce($5, g.start_value)
                 WHERE g.id = $1
                 RETURNING {GOAL_COLUMNS}"
            ),
            &[&id, &target, &req.target_date, &status, &start],
        )
        .await
        .map_err(|e| conflict_or(e, t))?;
    let Some(row) = updated else {
        return Err(ApiError::forbidden(
            "you may read these goals but not change them",
        ));
    };
    let row = goal_row(&row)?;
    let ctx = context(&mut tx, row.user_id, t.is_weight()).await?;
    tx.commit().await?;
    Ok(ApiJson(derive(row, &ctx)))
}

/// Delete a goal.
#[utoipa::path(delete, path = "/api/v1/goals/{key}", tag = "goals",
    security(("session" = []), ("api_key" = [])),
    params(("key" = Uuid, Path, description = "Goal id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Only the owner deletes goals", body = ErrorBody),
        (status = 404, description = "No such goal", body = ErrorBody),
    ))]
async fn delete_goal(Auth { tx, .. }: Auth, Path(key): Path<String>) -> ApiResult<StatusCode> {
    let id = parse_goal_id(&key)?;
    let rows = tx
        .query_and_commit(
            "WITH d AS (DELETE FROM goals WHERE id = $1 RETURNING 1)
             SELECT (SELECT count(*) FROM d), EXISTS (SELECT 1 FROM goals WHERE id = $1)",
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
            "you may read these goals but not change them",
        )),
        _ => Err(ApiError::not_found("goal")),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestParams {
    /// male or female (decides the Mifflin-St Jeor constant and the default floor).
    pub sex: Option<String>,
    /// Age in whole years, 15–120.
    pub age: Option<String>,
    /// 50–272 cm. Default: your latest `height` measurement.
    pub height_cm: Option<String>,
    /// 20–700 kg. Default: your latest `weight` measurement.
    pub weight_kg: Option<String>,
    /// 2–75 %. When given, BMR uses Katch-McArdle instead of Mifflin-St Jeor.
    pub body_fat_percent: Option<String>,
    /// sedentary (×1.2, default), light (×1.375), moderate (×1.55), active (×1.725),
    /// very_active (×1.9).
    pub activity: Option<String>,
    /// Desired change in kg per week, −2 to 2 (negative = lose; default 0).
    pub weekly_change_kg: Option<String>,
    /// The lowest target suggested, 800–5000 kcal (default 1200 for women, 1500 for men).
    pub floor_kcal: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestedMacros {
    /// 1.8 g per kg of body weight.
    pub protein_g: f64,
    /// 25 % of the target calories at 9 kcal/g.
    pub fat_g: f64,
    /// The remaining calories at 4 kcal/g (never negative).
    pub carbohydrates_g: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestInputs {
    pub sex: String,
    pub age: u32,
    pub height_cm: f64,
    /// "query" or "measurement".
    pub height_source: String,
    pub weight_kg: f64,
    /// "query" or "measurement".
    pub weight_source: String,
    pub body_fat_percent: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestion {
    /// kcal/day.
    pub bmr: f64,
    /// "Mifflin-St Jeor" or "Katch-McArdle" (used when body fat is known).
    pub bmr_formula: String,
    pub activity: String,
    pub activity_multiplier: f64,
    /// BMR × activity multiplier, kcal/day.
    pub tdee: f64,
    pub weekly_change_kg: f64,
    /// kcal per kg of body weight used for the rate of change (7700).
    pub kcal_per_kg: f64,
    /// weekly_change_kg × 7700 / 7, kcal/day.
    pub daily_adjustment_kcal: f64,
    /// tdee + daily_adjustment_kcal, raised to the floor when below it.
    pub target_calories: f64,
    pub floor_applied: bool,
    pub floor_kcal: f64,
    pub macros: SuggestedMacros,
    pub inputs: SuggestInputs,
}

fn parse_decimal_param(
    v: &mut Validation,
    field: &str,
    raw: Option<&str>,
    min: Decimal,
    max: Decimal,
) -> Option<Decimal> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    match raw.parse::<Decimal>() {
        Ok(d) if d >= min && d <= max => Some(d),
        _ => {
            v.add(field, format!("must be a number from {min} to {max}"));
            None
        }
    }
}

/// Suggest a daily calorie target and macros: BMR (Mifflin-St Jeor, or Katch-McArdle when body
/// fat is known), TDEE for an activity level, and the target for a weekly rate of change at
/// 7700 kcal per kg, never below a safety floor.
#[utoipa::path(get, path = "/api/v1/goals/suggest", tag = "goals",
    security(("session" = []), ("api_key" = [])),
    params(SuggestParams),
    responses(
        (status = 200, description = "The suggestion, with the formula used", body = Suggestion),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "Invalid or missing input (the field is named)", body = ErrorBody),
    ))]
async fn suggest(
    Auth { mut tx, .. }: Auth,
    Query(p): Query<SuggestParams>,
) -> ApiResult<ApiJson<Suggestion>> {
    let mut v = Validation::new();
    let sex = match p.sex.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => {
            v.add("sex", "is required: male or female");
            None
        }
        Some(s) => {
            let sex = Sex::parse(s);
            if sex.is_none() {
                v.add("sex", "must be male or female");
            }
            sex
        }
    };
    let age = match p.age.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => {
            v.add("age", "is required (years)");
            None
        }
        Some(s) => match s.parse::<u32>() {
            Ok(a) if (15..=120).contains(&a) => Some(a),
            _ => {
                v.add("age", "must be a whole number of years from 15 to 120");
                None
            }
        },
    };
    let height = parse_decimal_param(
        &mut v,
        "height_cm",
        p.height_cm.as_deref(),
        Decimal::from(50),
        Decimal::from(272),
    );
    let weight = parse_decimal_param(
        &mut v,
        "weight_kg",
        p.weight_kg.as_deref(),
        Decimal::from(20),
        Decimal::from(700),
    );
    let body_fat = parse_decimal_param(
        &mut v,
        "body_fat_percent",
        p.body_fat_percent.as_deref(),
        Decimal::from(2),
        Decimal::from(75),
    );
    let activity = match p
        .activity
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Some(ActivityLevel::Sedentary),
        Some(s) => {
            let a = ActivityLevel::parse(s);
            if a.is_none() {
                v.add(
                    "activity",
                    "must be sedentary, light, moderate, active or very_active",
                );
            }
            a
        }
    };
    let weekly = parse_decimal_param(
        &mut v,
        "weekly_change_kg",
        p.weekly_change_kg.as_deref(),
        Decimal::from(-2i64),
        Decimal::from(2),
    )
    .unwrap_or(Decimal::ZERO);
    let floor = parse_decimal_param(
        &mut v,
        "floor_kcal",
        p.floor_kcal.as_deref(),
        Decimal::from(800),
        Decimal::from(5000),
    );
    // Missing weight or height: the caller's latest measurements.
    let (mut height_source, mut weight_source) = ("query", "query");
    let (mut height, mut weight) = (height, weight);
    let height_given = p.height_cm.as_deref().is_some_and(|s| !s.trim().is_empty());
    let weight_given = p.weight_kg.as_deref().is_some_and(|s| !s.trim().is_empty());
    if !height_given || !weight_given {
        let r = tx
            .query_one(
                "SELECT
                     (SELECT value FROM measurements WHERE user_id = auth.uid() AND type = 'height'
                      ORDER BY measured_at DESC, created_at DESC LIMIT 1) AS height,
                     (SELECT value FROM measurements WHERE user_id = auth.uid() AND type = 'weight'
                      ORDER BY measured_at DESC, created_at DESC LIMIT 1) AS weight",
                &[],
            )
            .await?;
        if !height_given {
            height = r.get("height");
            height_source = "measurement";
            if height.is_none() {
                v.add("height_cm", "is required (no height measurement to use)");
            }
        }
        if !weight_given {
            weight = r.get("weight");
            weight_source = "measurement";
            if weight.is_none() {
                v.add("weight_kg", "is required (no weight measurement to use)");
            }
        }
    }
    tx.commit().await?;
    v.finish()?;
    let (Some(sex), Some(age), Some(height), Some(weight), Some(activity)) =
        (sex, age, height, weight, activity)
    else {
        return Err(ApiError::internal());
    };
    let (bmr, formula) = match body_fat {
        Some(bf) => (energy::bmr_katch_mcardle(weight, bf), "Katch-McArdle"),
        None => (
            energy::bmr_mifflin_st_jeor(weight, height, Decimal::from(age), sex),
            "Mifflin-St Jeor",
        ),
    };
    let tdee = energy::tdee(bmr, activity);
    let floor = floor.unwrap_or_else(|| sex.default_floor_kcal());
    let (target, floored) = energy::calorie_target(tdee, weekly, floor);
    let macros = energy::macro_split(target, weight);
    Ok(ApiJson(Suggestion {
        bmr: shown(bmr),
        bmr_formula: formula.to_string(),
        activity: activity.as_str().to_string(),
        activity_multiplier: f64_of(activity.multiplier()),
        tdee: shown(tdee),
        weekly_change_kg: f64_of(weekly),
        kcal_per_kg: f64_of(energy::KCAL_PER_KG),
        daily_adjustment_kcal: shown(energy::daily_energy_delta(weekly)),
        target_calories: shown(target),
        floor_applied: floored,
        floor_kcal: f64_of(floor),
        macros: SuggestedMacros {
            protein_g: f64_of(macros.protein_g),
            fat_g: f64_of(macros.fat_g),
            carbohydrates_g: f64_of(macros.carbohydrates_g),
        },
        inputs: SuggestInputs {
            sex: sex.as_str().to_string(),
            age,
            height_cm: shown(height),
            height_source: height_source.to_string(),
            weight_kg: shown(weight),
            weight_source: weight_source.to_string(),
            body_fat_percent: body_fat.map(f64_of),
        },
    }))
}
