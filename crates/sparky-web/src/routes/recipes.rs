//! `/api/v1/recipes`: foods of your own made of other foods (see `sparky_app::recipes`). A
//! recipe's id is its food id: log it with `POST /api/v1/diary` like any food.

use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use sparky_app::recipes::{
    self, CopyInput, FromMealInput, IngredientInput, Recipe, RecipeInput, RecipePage,
};
use sparky_app::PageRequest;
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
        .routes(routes!(list_recipes, create_recipe))
        .routes(routes!(get_recipe, update_recipe, delete_recipe))
        .routes(routes!(add_ingredient))
        .routes(routes!(copy_recipe))
        .routes(routes!(recipe_from_meal))
        .routes(routes!(update_ingredient, remove_ingredient))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// From the previous page's `next_cursor`.
    #[param(max_length = 512)]
    pub cursor: Option<String>,
    /// Only this user's recipes (yourself, or someone who shared their food list with you).
    pub user_id: Option<Uuid>,
}

/// Recipes by name: your own and those of people who share their food list with you.
#[utoipa::path(get, path = "/api/v1/recipes", tag = "recipes",
    params(ListParams),
    responses((status = 200, description = "A page of recipes", body = RecipePage)))]
async fn list_recipes(
    Auth { mut tx, .. }: Auth,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<ApiJson<RecipePage>> {
    let page = PageRequest::parse(p.limit, p.cursor.as_deref(), recipes::LIST_LIMIT)?;
    let list = recipes::list(&mut tx, p.user_id, &page).await?;
    tx.commit().await?;
    Ok(ApiJson(list.into()))
}

/// Add a recipe: its servings and ingredients; one serving's nutrients are worked out from
/// the ingredients (each as logging it would record) and saved as the recipe's serving.
#[utoipa::path(post, path = "/api/v1/recipes", tag = "recipes",
    params(super::IdempotencyKeyHeader),
    request_body = RecipeInput,
    responses((status = 201, description = "Created", body = Recipe)))]
async fn create_recipe(
    Auth { mut tx, .. }: Auth,
    IdempotentJson(idem, input): IdempotentJson<RecipeInput>,
) -> ApiResult<Response> {
    let recipe = input.parse()?;
    let response = idem
        .run(&mut tx, StatusCode::CREATED, async |tx| {
            Ok(recipes::create(tx, &recipe).await?)
        })
        .await?;
    tx.commit().await?;
    Ok(response)
}

/// Save a meal you logged (or one logged by a family member who shares their diary with you)
/// as a recipe of your own: each entry of that meal becomes an ingredient with the food,
/// serving and amount it was logged with. Logging one serving of a one-serving recipe
/// logs the whole meal again as one entry.
#[utoipa::path(post, path = "/api/v1/recipes/from-diary", tag = "recipes",
    params(super::IdempotencyKeyHeader),
    request_body = FromMealInput,
    responses(
        (status = 201, description = "Created", body = Recipe),
        (status = 404, description = "`from_user_id` names a diary not shared with you", body = ErrorBody),
        (status = 422, description = "Invalid input; or the meal is empty, has more than 100 entries, or has an entry without a food (a quick add, a deleted food)", body = ErrorBody),
    ))]
async fn recipe_from_meal(
    Auth { mut tx, .. }: Auth,
    IdempotentJson(idem, input): IdempotentJson<FromMealInput>,
) -> ApiResult<Response> {
    let meal = input.parse()?;
    let response = idem
        .run(&mut tx, StatusCode::CREATED, async |tx| {
            Ok(recipes::from_meal(tx, &meal).await?)
        })
        .await?;
    tx.commit().await?;
    Ok(response)
}

/// A recipe with its ingredients, each worked out from its food's values of today;
/// `up_to_date` says whether saving it again would change its serving.
#[utoipa::path(get, path = "/api/v1/recipes/{id}", tag = "recipes",
    params(("id" = Uuid, Path, description = "Recipe (food) id")),
    responses(
        (status = 200, description = "The recipe", body = Recipe),
        (status = 404, description = "No such recipe visible to you", body = ErrorBody),
    ))]
async fn get_recipe(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<Recipe>> {
    let recipe = recipes::get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(ApiJson(recipe))
}

/// Change one of your recipes: name, servings and cooked weight, and all ingredients when
/// `ingredients` is sent (left out, they stay); its serving is worked out again and keeps its
/// id. Diary entries keep the values they were logged with.
#[utoipa::path(put, path = "/api/v1/recipes/{id}", tag = "recipes",
    params(("id" = Uuid, Path, description = "Recipe (food) id")),
    request_body = RecipeInput,
    responses(
        (status = 200, description = "Updated", body = Recipe),
        (status = 403, description = "Not your recipe", body = ErrorBody),
        (status = 404, description = "No such recipe", body = ErrorBody),
    ))]
async fn update_recipe(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<RecipeInput>,
) -> ApiResult<ApiJson<Recipe>> {
    let recipe = recipes::put(&mut tx, id, &input).await?;
    tx.commit().await?;
    Ok(ApiJson(recipe))
}

/// Delete one of your recipes. Diary entries keep what they recorded; recipes that used it
/// keep their saved values.
#[utoipa::path(delete, path = "/api/v1/recipes/{id}", tag = "recipes",
    params(("id" = Uuid, Path, description = "Recipe (food) id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not your recipe", body = ErrorBody),
        (status = 404, description = "No such recipe", body = ErrorBody),
    ))]
async fn delete_recipe(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    recipes::delete(&mut tx, id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add an ingredient at the end of one of your recipes (at most 100); its serving is worked
/// out again (unless another ingredient's food is gone: see `up_to_date`).
#[utoipa::path(post, path = "/api/v1/recipes/{id}/ingredients", tag = "recipes",
    params(("id" = Uuid, Path, description = "Recipe (food) id")),
    request_body = IngredientInput,
    responses(
        (status = 200, description = "The recipe with the ingredient", body = Recipe),
        (status = 403, description = "Not your recipe", body = ErrorBody),
        (status = 404, description = "No such recipe", body = ErrorBody),
    ))]
async fn add_ingredient(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<IngredientInput>,
) -> ApiResult<ApiJson<Recipe>> {
    let ingredient = input.parse()?;
    let recipe = recipes::add_ingredient(&mut tx, id, &ingredient).await?;
    tx.commit().await?;
    Ok(ApiJson(recipe))
}

/// Remove an ingredient from one of your recipes; its serving is worked out again.
#[utoipa::path(delete, path = "/api/v1/recipes/{id}/ingredients/{ingredient_id}", tag = "recipes",
    params(
        ("id" = Uuid, Path, description = "Recipe (food) id"),
        ("ingredient_id" = Uuid, Path, description = "Ingredient id"),
    ),
    responses(
        (status = 200, description = "The recipe without the ingredient", body = Recipe),
        (status = 403, description = "Not your recipe", body = ErrorBody),
        (status = 404, description = "No such recipe or ingredient", body = ErrorBody),
    ))]
async fn remove_ingredient(
    Auth { mut tx, .. }: Auth,
    ApiPath((id, ingredient_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<ApiJson<Recipe>> {
    let recipe = recipes::remove_ingredient(&mut tx, id, ingredient_id).await?;
    tx.commit().await?;
    Ok(ApiJson(recipe))
}

/// Replace one ingredient of one of your recipes (food, serving, amount) in its place; the
/// serving is worked out again.
#[utoipa::path(put, path = "/api/v1/recipes/{id}/ingredients/{ingredient_id}", tag = "recipes",
    params(
        ("id" = Uuid, Path, description = "Recipe (food) id"),
        ("ingredient_id" = Uuid, Path, description = "Ingredient id"),
    ),
    request_body = IngredientInput,
    responses(
        (status = 200, description = "The recipe with the ingredient changed", body = Recipe),
        (status = 403, description = "Not your recipe", body = ErrorBody),
        (status = 404, description = "No such recipe or ingredient", body = ErrorBody),
    ))]
async fn update_ingredient(
    Auth { mut tx, .. }: Auth,
    ApiPath((id, ingredient_id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(input): ApiJson<IngredientInput>,
) -> ApiResult<ApiJson<Recipe>> {
    let ingredient = input.parse()?;
    let recipe = recipes::update_ingredient(&mut tx, id, ingredient_id, &ingredient).await?;
    tx.commit().await?;
    Ok(ApiJson(recipe))
}

/// Copy a recipe you can see (yours, or one shared with you) into a recipe of your own, with
/// its ingredients worked out again from their foods of today.
#[utoipa::path(post, path = "/api/v1/recipes/{id}/copy", tag = "recipes",
    params(("id" = Uuid, Path, description = "Recipe (food) id"), super::IdempotencyKeyHeader),
    request_body = CopyInput,
    responses(
        (status = 201, description = "The copy", body = Recipe),
        (status = 404, description = "No such recipe visible to you", body = ErrorBody),
    ))]
async fn copy_recipe(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
    IdempotentJson(idem, input): IdempotentJson<CopyInput>,
) -> ApiResult<Response> {
    let response = idem
        .run(&mut tx, StatusCode::CREATED, async |tx| {
            Ok(recipes::copy(tx, id, &input).await?)
        })
        .await?;
    tx.commit().await?;
    Ok(response)
}
