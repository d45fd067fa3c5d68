//! `/api/v1/workouts`: the exercise diary, and `/api/v1/exercises/{id}/history` (see
//! `sparky_app::workouts`). `?user_id=` acts on a family member's diary; RLS alone decides
//! (`calorie` writes, `reports` reads).

use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use sparky_app::days::DayRef;
use sparky_app::paging::PageRequest;
use sparky_app::workouts::{
    self, records, CopiedWorkouts, CopyWorkoutsInput, ExerciseHistory, HistoryRequest,
    LogWorkoutInput, UpdateWorkoutInput, Workout, WorkoutDay, WorkoutRange,
};
use sparky_app::Acting;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{ActingFor, Auth};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::idempotency::IdempotentJson;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(log_workout, list_workouts))
        .routes(routes!(get_workout_day, update_workout, delete_workout))
        .routes(routes!(get_workout))
        .routes(routes!(copy_workouts))
        .routes(routes!(exercise_history))
}

/// Log a workout entry: strength sets, cardio duration and distance, or both.
///
/// Calories: `calories_burned` when given; else MET × body weight × hours when the duration
/// and the exercise's MET value are known, with the diary owner's latest weight on or before
/// that day — also when that weight is logged later; else none, with a `hint`. A day holds at
/// most 100 entries. Send an `Idempotency-Key` header to make retries safe.
#[utoipa::path(post, path = "/api/v1/workouts", tag = "workouts",
    params(ActingFor, super::IdempotencyKeyHeader),
    request_body = LogWorkoutInput,
    responses(
        (status = 201, description = "Logged", body = Workout),
        (status = 403, description = "No write access to that diary", body = ErrorBody),
        (status = 404, description = "No such exercise, or that diary is not shared with you", body = ErrorBody),
    ))]
async fn log_workout(
    Auth { mut tx, .. }: Auth,
    acting: ActingFor,
    IdempotentJson(idem, input): IdempotentJson<LogWorkoutInput>,
) -> ApiResult<Response> {
    let req = input.parse()?;
    let response = idem
        .run(&mut tx, StatusCode::CREATED, async |tx| {
            Ok(workouts::log(tx, acting.acting(), &req).await?)
        })
        .await?;
    tx.commit().await?;
    Ok(response)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeParams {
    /// First day, inclusive: YYYY-MM-DD (1900-01-01 to 2199-12-31) or `today` (in the diary
    /// owner's timezone).
    #[param(
        pattern = r"^([Tt][Oo][Dd][Aa][Yy]|(19|2[01])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))$"
    )]
    pub from: String,
    /// Last day, inclusive, at most 365 days after `from`: YYYY-MM-DD or `today`.
    #[param(
        pattern = r"^([Tt][Oo][Dd][Aa][Yy]|(19|2[01])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))$"
    )]
    pub to: String,
    /// Entries per page, 1–1000, default 500.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// From the previous page's `next_cursor`.
    #[param(max_length = 512)]
    pub cursor: Option<String>,
    /// Whose diary (a family member who shared it with you).
    pub user_id: Option<Uuid>,
}

/// Workout entries of a date range (at most 366 days), oldest first, with every set; a page
/// holds at most `limit` entries.
#[utoipa::path(get, path = "/api/v1/workouts", tag = "workouts",
    params(RangeParams),
    responses(
        (status = 200, description = "The entries", body = WorkoutRange),
        (status = 404, description = "That diary is not shared with you", body = ErrorBody),
    ))]
async fn list_workouts(
    Auth { mut tx, .. }: Auth,
    ApiQuery(p): ApiQuery<RangeParams>,
) -> ApiResult<ApiJson<WorkoutRange>> {
    let acting = Acting::new(p.user_id);
    let from = DayRef::parse_named("from", &p.from)?;
    let to = DayRef::parse_named("to", &p.to)?;
    let page = PageRequest::parse(p.limit, p.cursor.as_deref(), workouts::RANGE_LIMIT)?;
    let req = workouts::RangeRequest::new(
        from.resolve(&mut tx, acting).await?,
        to.resolve(&mut tx, acting).await?,
        page,
    )?;
    let range = workouts::range(&mut tx, acting, &req).await?;
    tx.commit().await?;
    Ok(ApiJson(range))
}

/// A day of the exercise diary with every set, and the day's calories and minutes.
#[utoipa::path(get, path = "/api/v1/workouts/{key}", tag = "workouts",
    params(("key" = String, Path, description = "The day, YYYY-MM-DD (1900-01-01 to 2199-12-31) or `today` (in the diary owner's timezone)", pattern = r"^([Tt][Oo][Dd][Aa][Yy]|(19|2[01])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))$"), ActingFor),
    responses(
        (status = 200, description = "The day", body = WorkoutDay),
        (status = 404, description = "That diary is not shared with you", body = ErrorBody),
    ))]
async fn get_workout_day(
    Auth { mut tx, .. }: Auth,
    ApiPath(key): ApiPath<String>,
    acting: ActingFor,
) -> ApiResult<ApiJson<WorkoutDay>> {
    let acting = acting.acting();
    let date = DayRef::parse(&key)?.resolve(&mut tx, acting).await?;
    let day = workouts::day(&mut tx, acting, date).await?;
    tx.commit().await?;
    Ok(ApiJson(day))
}

/// One workout entry.
#[utoipa::path(get, path = "/api/v1/workouts/entries/{id}", tag = "workouts",
    params(("id" = Uuid, Path, description = "Entry id")),
    responses(
        (status = 200, description = "The entry", body = Workout),
        (status = 404, description = "No such entry visible to you", body = ErrorBody),
    ))]
async fn get_workout(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<Workout>> {
    let workout = workouts::entry(&mut tx, id).await?;
    tx.commit().await?;
    Ok(ApiJson(workout))
}

/// Change a workout entry. Sets, when given, replace all sets. Calories are estimated again
/// unless they were typed in.
#[utoipa::path(put, path = "/api/v1/workouts/{key}", tag = "workouts",
    params(("key" = Uuid, Path, description = "Entry id")),
    request_body = UpdateWorkoutInput,
    responses(
        (status = 200, description = "Updated", body = Workout),
        (status = 403, description = "No write access to that diary", body = ErrorBody),
        (status = 404, description = "No such entry", body = ErrorBody),
    ))]
async fn update_workout(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<UpdateWorkoutInput>,
) -> ApiResult<ApiJson<Workout>> {
    let req = input.parse()?;
    let workout = workouts::update(&mut tx, id, &req).await?;
    tx.commit().await?;
    Ok(ApiJson(workout))
}

/// Delete a workout entry (and its sets).
#[utoipa::path(delete, path = "/api/v1/workouts/{key}", tag = "workouts",
    params(("key" = Uuid, Path, description = "Entry id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "No write access to that diary", body = ErrorBody),
        (status = 404, description = "No such entry", body = ErrorBody),
    ))]
async fn delete_workout(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    workouts::delete(&mut tx, id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryParams {
    /// Most recent sessions to return (1–500, default 100); records cover the most recent
    /// 10,000 sessions.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Whose history (a family member who shared their diary with you).
    pub user_id: Option<Uuid>,
}

/// An exercise's sessions and personal records: heaviest weight, most reps at each weight,
/// best estimated one-rep max (Epley), longest distance, fastest pace. Ties go to the
/// earliest session.
#[utoipa::path(get, path = "/api/v1/exercises/{id}/history", tag = "workouts",
    params(("id" = Uuid, Path, description = "Exercise id"), HistoryParams),
    responses(
        (status = 200, description = "Sessions and records", body = ExerciseHistory),
        (status = 404, description = "No such exercise, or that diary is not shared with you", body = ErrorBody),
    ))]
async fn exercise_history(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(p): ApiQuery<HistoryParams>,
) -> ApiResult<ApiJson<ExerciseHistory>> {
    let req = HistoryRequest::parse(p.limit)?;
    let history = records::history(&mut tx, Acting::new(p.user_id), id, req).await?;
    tx.commit().await?;
    Ok(ApiJson(history))
}

/// Copy a day's workouts to another day, with their sets, duration, distance and notes, at the
/// same clock time; calories typed in are copied, estimated ones are worked out for the new
/// day. A day cannot be copied onto itself; the target day must have room (at most 100
/// workouts). `from_user_id`: from a family member who shares their diary with you.
#[utoipa::path(post, path = "/api/v1/workouts/copy", tag = "workouts",
    params(ActingFor, super::IdempotencyKeyHeader),
    request_body = CopyWorkoutsInput,
    responses(
        (status = 201, description = "Copied (none when the day had none)", body = CopiedWorkouts),
        (status = 403, description = "No write access to that diary", body = ErrorBody),
        (status = 404, description = "That diary is not shared with you", body = ErrorBody),
    ))]
async fn copy_workouts(
    Auth { mut tx, .. }: Auth,
    acting: ActingFor,
    IdempotentJson(idem, input): IdempotentJson<CopyWorkoutsInput>,
) -> ApiResult<Response> {
    let response = idem
        .run(&mut tx, StatusCode::CREATED, async |tx| {
            Ok(workouts::copy(tx, acting.acting(), &input).await?)
        })
        .await?;
    tx.commit().await?;
    Ok(response)
}
