//! `/api/v1/meal-plan-templates`: meal plan templates, their items, and applying them to the
//! food diary (see `sparky_app::meal_plans`). RLS alone decides: `food_list` grantees read a
//! grantor's templates.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sparky_app::meal_plans::{
    self, ApplyInput, ApplyResult, ItemInput, PlanItem, ShoppingList, ShoppingQuery, Template,
    TemplateDetail, TemplateInput, UnapplyResult,
};
use sparky_app::PageRequest;
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
        .routes(routes!(create_meal_plan_template, list_meal_plan_templates))
        .routes(routes!(
            get_meal_plan_template,
            update_meal_plan_template,
            delete_meal_plan_template
        ))
        .routes(routes!(add_meal_plan_item))
        .routes(routes!(update_meal_plan_item, delete_meal_plan_item))
        .routes(routes!(apply_meal_plan_template))
        .routes(routes!(unapply_meal_plan_template))
        .routes(routes!(meal_plan_shopping_list))
}

/// Create a meal plan template (for yourself).
#[utoipa::path(post, path = "/api/v1/meal-plan-templates", tag = "meal plans",
    request_body = TemplateInput,
    responses((status = 201, description = "Created", body = Template)))]
async fn create_meal_plan_template(
    Auth { mut tx, .. }: Auth,
    ApiJson(input): ApiJson<TemplateInput>,
) -> ApiResult<(StatusCode, ApiJson<Template>)> {
    let t = input.parse()?;
    let template = meal_plans::create_template(&mut tx, &t).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(template)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TemplateListParams {
    /// Whose templates (default: your own); needs a `food_list` grant from that user.
    pub user_id: Option<Uuid>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// From the previous page's `X-Next-Cursor` header.
    #[param(max_length = 512)]
    pub cursor: Option<String>,
    /// Deprecated: skip this many templates (use `cursor`).
    #[param(minimum = 0, maximum = 10000)]
    #[deprecated = "use `cursor`"]
    pub offset: Option<i64>,
}

/// Meal plan templates by name: your own, or (`?user_id=`) a family member's who granted you
/// `food_list`. When more follow, the `X-Next-Cursor` response header holds the `cursor` for
/// the next page.
#[utoipa::path(get, path = "/api/v1/meal-plan-templates", tag = "meal plans",
    params(TemplateListParams),
    responses(
        (status = 200, description = "Templates, by name", body = Vec<Template>,
            headers(("x-next-cursor" = String, description = "Cursor of the next page, when there is one"))),
        (status = 404, description = "That user's templates are not shared with you", body = ErrorBody),
    ))]
async fn list_meal_plan_templates(
    Auth { mut tx, .. }: Auth,
    ApiQuery(p): ApiQuery<TemplateListParams>,
) -> ApiResult<Response> {
    let page = PageRequest::parse(p.limit, p.cursor.as_deref(), meal_plans::LIST_LIMIT)?;
    let acting = sparky_app::Acting::new(p.user_id);
    #[allow(deprecated)]
    let offset = p.offset.unwrap_or(0);
    let templates = meal_plans::list_templates(&mut tx, acting, &page, offset).await?;
    tx.commit().await?;
    let mut response = ApiJson(templates.items).into_response();
    if let Some(next) = templates
        .next_cursor
        .and_then(|c| HeaderValue::from_str(&c).ok())
    {
        response.headers_mut().insert("x-next-cursor", next);
    }
    Ok(response)
}

/// One template with its items, each item's nutrients (computed as the diary would log it
/// today) and the totals of each weekday.
#[utoipa::path(get, path = "/api/v1/meal-plan-templates/{id}", tag = "meal plans",
    params(("id" = Uuid, Path, description = "Template id")),
    responses(
        (status = 200, description = "The template", body = TemplateDetail),
        (status = 404, description = "No such template (or not shared with you)", body = ErrorBody),
    ))]
async fn get_meal_plan_template(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<TemplateDetail>> {
    let detail = meal_plans::get_template(&mut tx, id).await?;
    tx.commit().await?;
    Ok(ApiJson(detail))
}

/// Replace a template's name, description, target and active flag (your own templates).
#[utoipa::path(put, path = "/api/v1/meal-plan-templates/{id}", tag = "meal plans",
    params(("id" = Uuid, Path, description = "Template id")),
    request_body = TemplateInput,
    responses(
        (status = 200, description = "Updated", body = Template),
        (status = 403, description = "Shared with you read-only", body = ErrorBody),
        (status = 404, description = "No such template", body = ErrorBody),
    ))]
async fn update_meal_plan_template(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<TemplateInput>,
) -> ApiResult<ApiJson<Template>> {
    let t = input.parse()?;
    let template = meal_plans::update_template(&mut tx, id, &t).await?;
    tx.commit().await?;
    Ok(ApiJson(template))
}

/// Delete a template and its items. Diary entries written by applying it stay, and so do
/// the dates it was planned for (no longer linked to a template).
#[utoipa::path(delete, path = "/api/v1/meal-plan-templates/{id}", tag = "meal plans",
    params(("id" = Uuid, Path, description = "Template id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Shared with you read-only", body = ErrorBody),
        (status = 404, description = "No such template", body = ErrorBody),
    ))]
async fn delete_meal_plan_template(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    meal_plans::delete_template(&mut tx, id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add a food to one of your templates (a template holds at most 50). `unit` may be a
/// measure, `serving`, or the serving's own word ("slice"), as when logging.
#[utoipa::path(post, path = "/api/v1/meal-plan-templates/{id}/items", tag = "meal plans",
    params(("id" = Uuid, Path, description = "Template id"), super::IdempotencyKeyHeader),
    request_body = ItemInput,
    responses(
        (status = 201, description = "Added", body = PlanItem),
        (status = 403, description = "Shared with you read-only", body = ErrorBody),
        (status = 404, description = "No such template, food or serving", body = ErrorBody),
    ))]
async fn add_meal_plan_item(
    Auth { mut tx, .. }: Auth,
    ApiPath(template_id): ApiPath<Uuid>,
    IdempotentJson(idem, input): IdempotentJson<ItemInput>,
) -> ApiResult<Response> {
    let item = input.parse()?;
    let response = idem
        .run(&mut tx, StatusCode::CREATED, async |tx| {
            Ok(meal_plans::add_item(tx, template_id, &item).await?)
        })
        .await?;
    tx.commit().await?;
    Ok(response)
}

/// Replace an item of one of your templates.
#[utoipa::path(put, path = "/api/v1/meal-plan-templates/{id}/items/{item_id}", tag = "meal plans",
    params(("id" = Uuid, Path, description = "Template id"), ("item_id" = Uuid, Path, description = "Item id")),
    request_body = ItemInput,
    responses(
        (status = 200, description = "Updated", body = PlanItem),
        (status = 403, description = "Shared with you read-only", body = ErrorBody),
        (status = 404, description = "No such template, item, food or serving", body = ErrorBody),
    ))]
async fn update_meal_plan_item(
    Auth { mut tx, .. }: Auth,
    ApiPath((template_id, item_id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(input): ApiJson<ItemInput>,
) -> ApiResult<ApiJson<PlanItem>> {
    let item = input.parse()?;
    let item = meal_plans::update_item(&mut tx, template_id, item_id, &item).await?;
    tx.commit().await?;
    Ok(ApiJson(item))
}

/// Remove an item from one of your templates.
#[utoipa::path(delete, path = "/api/v1/meal-plan-templates/{id}/items/{item_id}", tag = "meal plans",
    params(("id" = Uuid, Path, description = "Template id"), ("item_id" = Uuid, Path, description = "Item id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Shared with you read-only", body = ErrorBody),
        (status = 404, description = "No such template or item", body = ErrorBody),
    ))]
async fn delete_meal_plan_item(
    Auth { mut tx, .. }: Auth,
    ApiPath((template_id, item_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    meal_plans::delete_item(&mut tx, template_id, item_id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Write a template's foods into the diary on some dates (`from`–`to`, at most 31 days, or a
/// list of at most 31 `dates`): on each date the items for that weekday and the every-day
/// items, as ordinary diary entries, in one transaction. Dates this template was already
/// applied to are skipped, so applying twice never doubles the diary. A day that would hold
/// more than 300 entries refuses the whole request (422 naming the date).
#[utoipa::path(post, path = "/api/v1/meal-plan-templates/{id}/apply", tag = "meal plans",
    params(("id" = Uuid, Path, description = "Template id"), ActingFor, super::IdempotencyKeyHeader),
    request_body = ApplyInput,
    responses(
        (status = 200, description = "Applied (and which dates were skipped)", body = ApplyResult),
        (status = 403, description = "No write access to that diary", body = ErrorBody),
        (status = 404, description = "No such template", body = ErrorBody),
    ))]
async fn apply_meal_plan_template(
    Auth { mut tx, .. }: Auth,
    ApiPath(template_id): ApiPath<Uuid>,
    acting: ActingFor,
    IdempotentJson(idem, input): IdempotentJson<ApplyInput>,
) -> ApiResult<Response> {
    let dates = input.parse()?;
    let response = idem
        .run(&mut tx, StatusCode::OK, async |tx| {
            Ok(meal_plans::apply(tx, acting.acting(), template_id, &dates).await?)
        })
        .await?;
    tx.commit().await?;
    Ok(response)
}

/// Take a template off some dates (`from`–`to`, at most 31 days, or a list of at most 31
/// `dates`): every diary entry applying it wrote on those dates is removed, except those
/// changed since (counted as `kept`: they stay as ordinary entries) and entries logged by
/// hand, and the dates may be applied again. Dates it was not
/// applied to are listed as `not_applied`; calling it again changes nothing.
#[utoipa::path(post, path = "/api/v1/meal-plan-templates/{id}/unapply", tag = "meal plans",
    params(("id" = Uuid, Path, description = "Template id"), ActingFor),
    request_body = ApplyInput,
    responses(
        (status = 200, description = "Removed (and which dates had nothing of it)", body = UnapplyResult),
        (status = 403, description = "No write access to that diary", body = ErrorBody),
        (status = 404, description = "No such template, or that diary is not shared with you", body = ErrorBody),
    ))]
async fn unapply_meal_plan_template(
    Auth { mut tx, .. }: Auth,
    ApiPath(template_id): ApiPath<Uuid>,
    acting: ActingFor,
    ApiJson(input): ApiJson<ApplyInput>,
) -> ApiResult<ApiJson<UnapplyResult>> {
    let dates = input.parse()?;
    let result = meal_plans::unapply(&mut tx, acting.acting(), template_id, &dates).await?;
    tx.commit().await?;
    Ok(ApiJson(result))
}

/// What a template needs over some days (`from`–`to`, at most 31; default the week from today
/// in your timezone), to shop for: each item as often as its weekday (or every day) comes up,
/// added up per food (in grams when every amount of it has a known weight, else per unit),
/// with planned recipes opened up into their ingredients. Nothing is written.
#[utoipa::path(get, path = "/api/v1/meal-plan-templates/{id}/shopping-list", tag = "meal plans",
    params(("id" = Uuid, Path, description = "Template id"), ShoppingQuery),
    responses(
        (status = 200, description = "The shopping list", body = ShoppingList),
        (status = 404, description = "No such template (or not shared with you)", body = ErrorBody),
    ))]
async fn meal_plan_shopping_list(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ShoppingQuery>,
) -> ApiResult<ApiJson<ShoppingList>> {
    let list = meal_plans::shopping(&mut tx, sparky_app::Acting::new(None), id, &q).await?;
    tx.commit().await?;
    Ok(ApiJson(list))
}
