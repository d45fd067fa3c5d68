//! `/api/v1/diary`: the food diary (see `sparky_app::diary`). `?user_id=` acts on a family
//! member's diary; RLS alone decides (`calorie` writes, `reports` reads).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sparky_app::days::DayRef;
use sparky_app::diary::{
    self, CopyInput, CopyResult, DiaryDay, DiaryEntry, LogFoodInput, QuickAddInput, RecentFood,
    UpdateEntryInput,
};
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
        .routes(routes!(log_food))
        .routes(routes!(quick_add))
        .routes(routes!(
            get_diary_day,
            update_diary_entry,
            delete_diary_entry
        ))
        .routes(routes!(get_diary_entry))
        .routes(routes!(copy_diary))
        .routes(routes!(recent_foods))
}

/// Log a food.
///
/// `unit` may be a measure (g, oz, cup …), `serving`, or the serving's own word ("slice",
/// "medium"), which picks that serving without its id; without `unit` the quantity counts
/// servings. Send an `Idempotency-Key` header to make retries safe: the same key within 24
/// hours returns the first result and logs nothing twice.
#[utoipa::path(post, path = "/api/v1/diary", tag = "diary",
    params(ActingFor, super::IdempotencyKeyHeader),
    request_body = LogFoodInput,
    responses(
        (status = 201, description = "Logged", body = DiaryEntry),
        (status = 403, description = "No write access to that diary", body = ErrorBody),
        (status = 404, description = "No such food or serving", body = ErrorBody),
    ))]
async fn log_food(
    Auth { mut tx, .. }: Auth,
    acting: ActingFor,
    IdempotentJson(idem, input): IdempotentJson<LogFoodInput>,
) -> ApiResult<Response> {
    let req = input.parse()?;
    if !idem.has_key() {
        let entry = diary::log_and_commit(tx, acting.acting(), &req).await?;
        return Ok((StatusCode::CREATED, ApiJson(entry)).into_response());
    }
    let response = idem
        .run(&mut tx, StatusCode::CREATED, async |tx| {
            Ok(diary::log(tx, acting.acting(), &req).await?)
        })
        .await?;
    tx.commit().await?;
    Ok(response)
}

/// Quick add: calories and macros without a food (e.g. a restaurant meal).
#[utoipa::path(post, path = "/api/v1/diary/quick-add", tag = "diary",
    params(ActingFor, super::IdempotencyKeyHeader),
    request_body = QuickAddInput,
    responses(
        (status = 201, description = "Logged", body = DiaryEntry),
        (status = 403, description = "No write access to that diary", body = ErrorBody),
    ))]
async fn quick_add(
    Auth { mut tx, .. }: Auth,
    acting: ActingFor,
    IdempotentJson(idem, input): IdempotentJson<QuickAddInput>,
) -> ApiResult<Response> {
    if !idem.has_key() {
        let entry = diary::quick_add_and_commit(tx, acting.acting(), input).await?;
        return Ok((StatusCode::CREATED, ApiJson(entry)).into_response());
    }
    let response = idem
        .run(&mut tx, StatusCode::CREATED, async |tx| {
            Ok(diary::quick_add(tx, acting.acting(), input).await?)
        })
        .await?;
    tx.commit().await?;
    Ok(response)
}

/// A day of the diary, grouped by meal, with per-meal and day totals of every nutrient.
#[utoipa::path(get, path = "/api/v1/diary/{key}", tag = "diary",
    params(("key" = String, Path, description = "The day, YYYY-MM-DD (1900-01-01 to 2199-12-31) or `today` (in the diary owner's timezone)", pattern = r"^([Tt][Oo][Dd][Aa][Yy]|(19|2[01])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))$"), ActingFor),
    responses(
        (status = 200, description = "The day", body = DiaryDay),
        (status = 404, description = "That diary is not shared with you", body = ErrorBody),
    ))]
async fn get_diary_day(
    Auth { mut tx, .. }: Auth,
    ApiPath(key): ApiPath<String>,
    acting: ActingFor,
) -> ApiResult<ApiJson<DiaryDay>> {
    let acting = acting.acting();
    let date = DayRef::parse(&key)?.resolve(&mut tx, acting).await?;
    let day = diary::day_and_commit(tx, acting, date).await?;
    Ok(ApiJson(day))
}

/// One diary entry.
#[utoipa::path(get, path = "/api/v1/diary/entries/{id}", tag = "diary",
    params(("id" = Uuid, Path, description = "Entry id")),
    responses(
        (status = 200, description = "The entry", body = DiaryEntry),
        (status = 404, description = "No such entry visible to you", body = ErrorBody),
    ))]
async fn get_diary_entry(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<DiaryEntry>> {
    let entry = diary::entry(&mut tx, id).await?;
    tx.commit().await?;
    Ok(ApiJson(entry))
}

/// Change an entry's amount, meal or day. Nutrients are recomputed from the snapshot taken
/// when it was logged, not from the food's current values.
#[utoipa::path(put, path = "/api/v1/diary/{key}", tag = "diary",
    params(("key" = Uuid, Path, description = "Entry id")),
    request_body = UpdateEntryInput,
    responses(
        (status = 200, description = "Updated", body = DiaryEntry),
        (status = 403, description = "No write access to that diary", body = ErrorBody),
        (status = 404, description = "No such entry", body = ErrorBody),
    ))]
async fn update_diary_entry(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<UpdateEntryInput>,
) -> ApiResult<ApiJson<DiaryEntry>> {
    let entry = diary::update(&mut tx, id, input).await?;
    tx.commit().await?;
    Ok(ApiJson(entry))
}

/// Delete an entry.
#[utoipa::path(delete, path = "/api/v1/diary/{key}", tag = "diary",
    params(("key" = Uuid, Path, description = "Entry id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "No write access to that diary", body = ErrorBody),
        (status = 404, description = "No such entry", body = ErrorBody),
    ))]
async fn delete_diary_entry(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    diary::delete(&mut tx, id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Copy a meal or a whole day to another day, as it was logged. A day cannot be copied onto
/// itself; the target day must have room (a day holds at most 300 entries).
#[utoipa::path(post, path = "/api/v1/diary/copy", tag = "diary",
    params(ActingFor, super::IdempotencyKeyHeader),
    request_body = CopyInput,
    responses(
        (status = 201, description = "Copied", body = CopyResult),
        (status = 403, description = "No write access to that diary", body = ErrorBody),
        (status = 404, description = "That diary is not shared with you", body = ErrorBody),
    ))]
async fn copy_diary(
    Auth { mut tx, .. }: Auth,
    acting: ActingFor,
    IdempotentJson(idem, input): IdempotentJson<CopyInput>,
) -> ApiResult<Response> {
    let response = idem
        .run(&mut tx, StatusCode::CREATED, async |tx| {
            Ok(diary::copy(tx, acting.acting(), input).await?)
        })
        .await?;
    tx.commit().await?;
    Ok(response)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecentParams {
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Whose recent foods (a family member who shared their diary with you).
    pub user_id: Option<Uuid>,
}

/// Foods logged recently (in the last 90 days, whatever day they were for), most recent
/// first, with the last amount used.
#[utoipa::path(get, path = "/api/v1/diary/recent", tag = "diary",
    params(RecentParams),
    responses(
        (status = 200, description = "Recently logged foods", body = Vec<RecentFood>),
    ))]
async fn recent_foods(
    Auth { mut tx, .. }: Auth,
    ApiQuery(p): ApiQuery<RecentParams>,
) -> ApiResult<ApiJson<Vec<RecentFood>>> {
    let foods = diary::recent(
        &mut tx,
        sparky_app::Acting::new(p.user_id),
        p.limit.unwrap_or(20),
    )
    .await?;
    tx.commit().await?;
    Ok(ApiJson(foods))
}
