//! `/api/v1/custom-nutrients`: nutrients you track beyond the built-in ones, and their daily
//! totals (see `sparky_app::custom_nutrients`).

use axum::http::StatusCode;
use axum::response::Response;
use sparky_app::custom_nutrients::{self, CustomDay, CustomNutrient, CustomNutrientInput};
use sparky_app::summary::Range;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::summary::RangeParams;
use crate::auth::{ActingFor, Auth};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::idempotency::IdempotentJson;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_custom_nutrients, create_custom_nutrient))
        .routes(routes!(update_custom_nutrient, delete_custom_nutrient))
        .routes(routes!(custom_nutrient_totals))
}

/// Your custom nutrients (or, with `?user_id=`, those of someone whose diary is shared with
/// you), by name.
#[utoipa::path(get, path = "/api/v1/custom-nutrients", tag = "foods",
    params(ActingFor),
    responses(
        (status = 200, description = "At most 50, by name", body = Vec<CustomNutrient>),
        (status = 404, description = "Not shared with you", body = ErrorBody),
    ))]
async fn list_custom_nutrients(
    Auth { mut tx, .. }: Auth,
    acting: ActingFor,
) -> ApiResult<ApiJson<Vec<CustomNutrient>>> {
    let list = custom_nutrients::list(&mut tx, acting.acting()).await?;
    tx.commit().await?;
    Ok(ApiJson(list))
}

/// Define a custom nutrient (at most 50): foods' servings may then hold amounts of it
/// (`custom_nutrients` of a serving), and the diary adds them up.
#[utoipa::path(post, path = "/api/v1/custom-nutrients", tag = "foods",
    params(super::IdempotencyKeyHeader),
    request_body = CustomNutrientInput,
    responses(
        (status = 201, description = "Created", body = CustomNutrient),
        (status = 409, description = "You have one of that name", body = ErrorBody),
    ))]
async fn create_custom_nutrient(
    Auth { mut tx, .. }: Auth,
    IdempotentJson(idem, input): IdempotentJson<CustomNutrientInput>,
) -> ApiResult<Response> {
    let new = input.parse()?;
    let response = idem
        .run(&mut tx, StatusCode::CREATED, async |tx| {
            Ok(custom_nutrients::create(tx, &new).await?)
        })
        .await?;
    tx.commit().await?;
    Ok(response)
}

/// Rename one of your custom nutrients or change its unit. A new name is carried into your
/// foods and your diary.
#[utoipa::path(put, path = "/api/v1/custom-nutrients/{id}", tag = "foods",
    params(("id" = Uuid, Path, description = "Custom nutrient id")),
    request_body = CustomNutrientInput,
    responses(
        (status = 200, description = "Updated", body = CustomNutrient),
        (status = 404, description = "No such custom nutrient of yours", body = ErrorBody),
        (status = 409, description = "You have another of that name", body = ErrorBody),
    ))]
async fn update_custom_nutrient(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<CustomNutrientInput>,
) -> ApiResult<ApiJson<CustomNutrient>> {
    let new = input.parse()?;
    let updated = custom_nutrients::update(&mut tx, id, &new).await?;
    tx.commit().await?;
    Ok(ApiJson(updated))
}

/// Delete one of your custom nutrients. What foods and diary entries hold of it is kept but
/// not shown; defining the name again shows it again.
#[utoipa::path(delete, path = "/api/v1/custom-nutrients/{id}", tag = "foods",
    params(("id" = Uuid, Path, description = "Custom nutrient id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such custom nutrient of yours", body = ErrorBody),
    ))]
async fn delete_custom_nutrient(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    custom_nutrients::delete(&mut tx, id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Custom nutrient totals of each day of a range (at most 366 days) that has any.
#[utoipa::path(get, path = "/api/v1/custom-nutrients/totals", tag = "foods",
    params(RangeParams),
    responses(
        (status = 200, description = "Days with custom nutrients, in order", body = Vec<CustomDay>),
        (status = 404, description = "Not shared with you", body = ErrorBody),
    ))]
async fn custom_nutrient_totals(
    Auth { mut tx, .. }: Auth,
    ApiQuery(p): ApiQuery<RangeParams>,
) -> ApiResult<ApiJson<Vec<CustomDay>>> {
    let range = Range::parse(p.from, p.to)?;
    let days =
        custom_nutrients::daily_totals(&mut tx, sparky_app::Acting::new(p.user_id), range).await?;
    tx.commit().await?;
    Ok(ApiJson(days))
}
