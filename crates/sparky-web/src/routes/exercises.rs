//! `/api/v1/exercises`: search over the shared catalog (with MET values from the Compendium of
//! Physical Activities) and your own exercises; your own exercises' create, read, update and
//! delete (see `sparky_app::exercises`).

use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use sparky_app::exercises::{self, Exercise, ExerciseInput, ExercisePage, Search};
use sparky_core::ExerciseCategory;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::idempotency::IdempotentJson;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search_exercises, create_exercise))
        .routes(routes!(get_exercise, update_exercise, delete_exercise))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Part of the name; typos are tolerated. Without it, exercises are listed by name.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// strength, cardio, flexibility or sports (any letter case).
    pub category: Option<ExerciseCategory>,
    /// A muscle group, e.g. `quadriceps`.
    #[param(max_length = 100)]
    pub muscle: Option<String>,
    /// e.g. `barbell`, `body only`.
    #[param(max_length = 100)]
    pub equipment: Option<String>,
    /// 1–100, default 20. With `q`, pages end after the best 1000 matches.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// From the previous page's `next_cursor`.
    #[param(max_length = 512)]
    pub cursor: Option<String>,
}

/// Search exercises: the shared catalog and your own. Exact and prefix name matches first,
/// then names containing the text, then similar names; filters combine with AND.
#[utoipa::path(get, path = "/api/v1/exercises", tag = "exercises",
    params(SearchParams),
    responses((status = 200, description = "A page of exercises", body = ExercisePage)))]
async fn search_exercises(
    Auth { mut tx, .. }: Auth,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<ApiJson<ExercisePage>> {
    let search = Search::parse(
        p.q.as_deref(),
        p.category,
        p.muscle.as_deref(),
        p.equipment.as_deref(),
        p.limit,
        p.cursor.as_deref(),
    )?;
    let page = exercises::search(&mut tx, &search).await?;
    tx.commit().await?;
    Ok(ApiJson(page.into()))
}

/// Add an exercise of your own.
#[utoipa::path(post, path = "/api/v1/exercises", tag = "exercises",
    params(super::IdempotencyKeyHeader),
    request_body = ExerciseInput,
    responses((status = 201, description = "Created", body = Exercise)))]
async fn create_exercise(
    Auth { mut tx, .. }: Auth,
    IdempotentJson(idem, input): IdempotentJson<ExerciseInput>,
) -> ApiResult<Response> {
    let exercise = input.parse()?;
    let response = idem
        .run(&mut tx, StatusCode::CREATED, async |tx| {
            Ok(exercises::create(tx, &exercise).await?)
        })
        .await?;
    tx.commit().await?;
    Ok(response)
}

/// An exercise from the catalog or one of your own.
#[utoipa::path(get, path = "/api/v1/exercises/{id}", tag = "exercises",
    params(("id" = Uuid, Path, description = "Exercise id")),
    responses(
        (status = 200, description = "The exercise", body = Exercise),
        (status = 404, description = "No such exercise visible to you", body = ErrorBody),
    ))]
async fn get_exercise(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<Exercise>> {
    let exercise = exercises::get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(ApiJson(exercise))
}

/// Replace one of your exercises. Diary entries keep the name they were logged with.
#[utoipa::path(put, path = "/api/v1/exercises/{id}", tag = "exercises",
    params(("id" = Uuid, Path, description = "Exercise id")),
    request_body = ExerciseInput,
    responses(
        (status = 200, description = "Updated", body = Exercise),
        (status = 403, description = "A catalog exercise", body = ErrorBody),
        (status = 404, description = "No such exercise", body = ErrorBody),
    ))]
async fn update_exercise(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ExerciseInput>,
) -> ApiResult<ApiJson<Exercise>> {
    let exercise = input.parse()?;
    let updated = exercises::update(&mut tx, id, &exercise).await?;
    tx.commit().await?;
    Ok(ApiJson(updated))
}

/// Delete one of your exercises. Diary entries that used it stay, with its name.
#[utoipa::path(delete, path = "/api/v1/exercises/{id}", tag = "exercises",
    params(("id" = Uuid, Path, description = "Exercise id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "A catalog exercise", body = ErrorBody),
        (status = 404, description = "No such exercise", body = ErrorBody),
    ))]
async fn delete_exercise(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    exercises::delete(&mut tx, id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
