//! `/api/v1/goals`: weight goals, daily targets and calorie suggestions (see
//! `sparky_app::goals`). Only the owner writes goals; `calorie` and `reports` grantees read
//! them (`?user_id=`), and RLS alone decides.

use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use sparky_app::goals::{
    self, Goal, GoalCreated, GoalInput, ListFilter, SuggestQuery, Suggestion, UpdateGoalInput,
};
use sparky_core::{GoalStatus, GoalType};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{ActingFor, Auth};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::idempotency::IdempotentJson;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_goals, create_goal))
        .routes(routes!(suggest))
        .routes(routes!(get_goal, update_goal, delete_goal))
}

/// A goal id; anything that is not a UUID names no goal (404).
fn goal_id(key: &str) -> Result<Uuid, ApiError> {
    key.parse()
        .map_err(|_| sparky_app::AppError::NotFound("goal").into())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    pub status: Option<GoalStatus>,
    /// One goal type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub goal_type: Option<GoalType>,
    /// 1–500, default 500.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// Goals with their derived current value, progress and (weight goals) projected date.
#[utoipa::path(get, path = "/api/v1/goals", tag = "goals",
    params(ActingFor, ListParams),
    responses(
        (status = 200, description = "Goals, active first, newest first", body = Vec<Goal>),
        (status = 404, description = "Those goals are not shared with you", body = ErrorBody),
    ))]
async fn list_goals(
    Auth { mut tx, .. }: Auth,
    acting: ActingFor,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<ApiJson<Vec<Goal>>> {
    let filter = ListFilter {
        status: p.status,
        goal_type: p.goal_type,
        limit: p.limit,
    };
    let list = goals::list(&mut tx, acting.acting(), filter).await?;
    tx.commit().await?;
    Ok(ApiJson(list))
}

/// One goal with its derived values.
#[utoipa::path(get, path = "/api/v1/goals/{key}", tag = "goals",
    params(("key" = Uuid, Path, description = "Goal id")),
    responses(
        (status = 200, description = "The goal", body = Goal),
        (status = 404, description = "No such goal", body = ErrorBody),
    ))]
async fn get_goal(
    Auth { mut tx, .. }: Auth,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<ApiJson<Goal>> {
    let goal = goals::get(&mut tx, goal_id(&key)?).await?;
    tx.commit().await?;
    Ok(ApiJson(goal))
}

/// Set a goal. Weight targets are given in kg or lb (default: your unit system) and stored in
/// kg; a weight goal's start is the latest weight unless `start_value` is given. A
/// weight_loss or muscle_gain goal with `"with_calorie_target": true` also sets the matching
/// daily calorie target (from your profile and latest weight), pausing an active one; all or
/// nothing. Send an `Idempotency-Key` header to make retries safe.
#[utoipa::path(post, path = "/api/v1/goals", tag = "goals",
    params(ActingFor, super::IdempotencyKeyHeader),
    request_body = GoalInput,
    responses(
        (status = 201, description = "Created", body = GoalCreated),
        (status = 403, description = "Only the owner sets goals", body = ErrorBody),
        (status = 409, description = "An active goal of that type exists", body = ErrorBody),
    ))]
async fn create_goal(
    Auth { mut tx, .. }: Auth,
    acting: ActingFor,
    IdempotentJson(idem, input): IdempotentJson<GoalInput>,
) -> ApiResult<Response> {
    let new = input.parse()?;
    let response = idem
        .run(&mut tx, StatusCode::CREATED, async |tx| {
            Ok(goals::create(tx, acting.acting(), &new).await?)
        })
        .await?;
    tx.commit().await?;
    Ok(response)
}

/// Change a goal's target, date, status or start. Re-activating a goal while another of its
/// type is active is refused (409).
#[utoipa::path(put, path = "/api/v1/goals/{key}", tag = "goals",
    params(("key" = Uuid, Path, description = "Goal id")),
    request_body = UpdateGoalInput,
    responses(
        (status = 200, description = "Updated", body = Goal),
        (status = 403, description = "Only the owner changes goals", body = ErrorBody),
        (status = 404, description = "No such goal", body = ErrorBody),
        (status = 409, description = "An active goal of that type exists", body = ErrorBody),
    ))]
async fn update_goal(
    Auth { mut tx, .. }: Auth,
    ApiPath(key): ApiPath<String>,
    ApiJson(input): ApiJson<UpdateGoalInput>,
) -> ApiResult<ApiJson<Goal>> {
    let goal = goals::update(&mut tx, goal_id(&key)?, input).await?;
    tx.commit().await?;
    Ok(ApiJson(goal))
}

/// Delete a goal.
#[utoipa::path(delete, path = "/api/v1/goals/{key}", tag = "goals",
    params(("key" = Uuid, Path, description = "Goal id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Only the owner deletes goals", body = ErrorBody),
        (status = 404, description = "No such goal", body = ErrorBody),
    ))]
async fn delete_goal(
    Auth { mut tx, .. }: Auth,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<StatusCode> {
    goals::delete(&mut tx, goal_id(&key)?).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Suggest a daily calorie target and macros: BMR (Mifflin-St Jeor, or Katch-McArdle when body
/// fat is known), TDEE for an activity level, and the target for a weekly rate of change at
/// 7700 kcal per kg, never below a safety floor. What the query leaves out comes from your
/// profile (`/api/v1/profile`) and latest measurements; `inputs` says where each came from.
#[utoipa::path(get, path = "/api/v1/goals/suggest", tag = "goals",
    params(SuggestQuery),
    responses(
        (status = 200, description = "The suggestion, with the formula used", body = Suggestion),
    ))]
async fn suggest(
    Auth { mut tx, .. }: Auth,
    ApiQuery(q): ApiQuery<SuggestQuery>,
) -> ApiResult<ApiJson<Suggestion>> {
    let s = goals::suggest(&mut tx, &q).await?;
    tx.commit().await?;
    Ok(ApiJson(s))
}
