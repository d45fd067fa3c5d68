//! `/api/v1/foods`: search over the shared catalog, your own foods and foods shared with you;
//! your own foods' create, read, update and delete (see `sparky_app::foods`).

use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use sparky_app::foods::{self, Food, FoodInput, FoodPage, Search};
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
        .routes(routes!(search_foods, create_food))
        .routes(routes!(get_food, update_food, delete_food))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Name or brand; typos are tolerated. Empty lists foods by name.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// From the previous page's `next_cursor`.
    #[param(max_length = 512)]
    pub cursor: Option<String>,
    /// Only foods of this user (yourself, or someone who shared their food list with you).
    /// Without it, the catalog, your foods and foods shared with you are all searched.
    pub user_id: Option<Uuid>,
}

/// Search foods: exact and prefix matches first, then foods you logged recently, then by
/// similarity; generic foods before branded ones of the same rank.
#[utoipa::path(get, path = "/api/v1/foods", tag = "foods",
    params(SearchParams),
    responses((status = 200, description = "A page of foods", body = FoodPage)))]
async fn search_foods(
    Auth { mut tx, .. }: Auth,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<ApiJson<FoodPage>> {
    let search = Search::parse(p.q.as_deref(), p.limit, p.cursor.as_deref(), p.user_id)?;
    let page = foods::search(&mut tx, &search).await?;
    tx.commit().await?;
    Ok(ApiJson(page.into()))
}

/// Add a food of your own.
#[utoipa::path(post, path = "/api/v1/foods", tag = "foods",
    params(super::IdempotencyKeyHeader),
    request_body = FoodInput,
    responses((status = 201, description = "Created", body = Food)))]
async fn create_food(
    Auth { mut tx, .. }: Auth,
    IdempotentJson(idem, input): IdempotentJson<FoodInput>,
) -> ApiResult<Response> {
    let food = input.parse()?;
    let response = idem
        .run(&mut tx, StatusCode::CREATED, async |tx| {
            Ok(foods::create(tx, &food).await?)
        })
        .await?;
    tx.commit().await?;
    Ok(response)
}

/// A food with all its servings.
#[utoipa::path(get, path = "/api/v1/foods/{id}", tag = "foods",
    params(("id" = Uuid, Path, description = "Food id")),
    responses(
        (status = 200, description = "The food", body = Food),
        (status = 404, description = "No such food visible to you", body = ErrorBody),
    ))]
async fn get_food(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<Food>> {
    let food = foods::get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(ApiJson(food))
}

/// Replace one of your foods (name, brand, barcode and all servings). Diary entries keep the
/// values they were logged with.
#[utoipa::path(put, path = "/api/v1/foods/{id}", tag = "foods",
    params(("id" = Uuid, Path, description = "Food id")),
    request_body = FoodInput,
    responses(
        (status = 200, description = "Updated", body = Food),
        (status = 403, description = "Not your food", body = ErrorBody),
        (status = 404, description = "No such food", body = ErrorBody),
        (status = 409, description = "The food is a recipe: change it with `PUT /api/v1/recipes/{id}`", body = ErrorBody),
    ))]
async fn update_food(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<FoodInput>,
) -> ApiResult<ApiJson<Food>> {
    let food = input.parse()?;
    let food = foods::update(&mut tx, id, &food).await?;
    tx.commit().await?;
    Ok(ApiJson(food))
}

/// Delete one of your foods. Diary entries that used it stay, with what they recorded.
#[utoipa::path(delete, path = "/api/v1/foods/{id}", tag = "foods",
    params(("id" = Uuid, Path, description = "Food id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not your food", body = ErrorBody),
        (status = 404, description = "No such food", body = ErrorBody),
    ))]
async fn delete_food(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    foods::delete(&mut tx, id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
