//! Meal plans: templates of planned foods (per meal, every day or on one weekday), and applying
//! a template to a range of dates, which writes ordinary food diary entries (with the same
//! snapshot and arithmetic as logging by hand) and one `meal_plans` row per date.
//!
//! Applying is idempotent: a date already applied for a template is skipped (the
//! `meal_plans (user_id, planned_date, meal_plan_template_id)` key decides, so concurrent
//! applies cannot double the diary either). Deleting a template leaves the diary alone.
//! RLS alone decides who may do what: `food_list` grantees read a grantor's templates.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sparky_core::nutrition::{nutrients_for, servings_for, Nutrients, Serving};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::nutrients::{
    decimal_from_f64, f64_of, nutrient_columns, nutrients_from_row, NutrientValues,
};
use super::nutrients::{nutrition_error, parse_quantity, parse_unit};
use crate::auth::{ActingFor, Auth};
use crate::error::{ApiError, ApiResult, ErrorBody, Validation};
use crate::json::ApiJson;
use crate::AppState;
use sparky_app::diary::ServingSnapshot;
use sparky_app::foods::describe_serving;
use sparky_core::{Amount, MealType};

/// At most this many days are applied at once.
pub const MAX_APPLY_DAYS: i64 = 62;

const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_template, list_templates))
        .routes(routes!(get_template, update_template, delete_template))
        .routes(routes!(add_item))
        .routes(routes!(update_item, delete_item))
        .routes(routes!(apply_template))
}

// ----------------------------------------------------------------------------------------------
// Templates
// ----------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    /// 1–255 characters.
    pub name: String,
    pub description: Option<String>,
    /// kcal a day the plan aims at (0–100,000).
    pub target_calories: Option<f64>,
    /// Default true.
    pub is_active: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Template {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub target_calories: Option<f64>,
    pub is_active: bool,
    pub item_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanItem {
    pub id: Uuid,
    pub meal_plan_template_id: Uuid,
    /// Null when the food was deleted since; the item cannot be applied until replaced.
    pub food_item_id: Option<Uuid>,
    /// The chosen serving; null = the food's default serving.
    pub nutrition_data_id: Option<Uuid>,
    pub food_name: String,
    pub quantity: f64,
    pub unit: String,
    pub meal_type: String,
    /// 0 = Monday … 6 = Sunday; null = every day.
    pub day_of_week: Option<i16>,
    pub sort_order: i32,
    /// The serving the quantity is measured against (as the diary would use it today).
    pub serving: Option<ServingSnapshot>,
    pub servings: Option<f64>,
    /// What logging this item now would record; null when it cannot be computed (see `problem`).
    pub nutrients: Option<NutrientValues>,
    /// Why the item cannot be applied as it is, if it cannot.
    pub problem: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DayTotals {
    /// 0 = Monday … 6 = Sunday.
    pub day_of_week: i16,
    pub day: String,
    pub item_count: usize,
    /// Sum of the items planned that weekday (every-day items included).
    pub totals: NutrientValues,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateDetail {
    #[serde(flatten)]
    pub template: Template,
    /// Ordered by weekday (every-day items first), meal, then sort order.
    pub items: Vec<PlanItem>,
    /// Monday to Sunday.
    pub days: Vec<DayTotals>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Whose templates (default: your own); needs a `food_list` grant from that user.
    pub user_id: Option<Uuid>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

const TEMPLATE_COLUMNS: &str = "t.id, t.user_id, t.name, t.description, t.target_calories,
    coalesce(t.is_active, true) AS is_active, t.created_at, t.updated_at,
    (SELECT count(*) FROM meal_plan_template_items i WHERE i.meal_plan_template_id = t.id) AS item_count";

fn template_from_row(r: &tokio_postgres::Row) -> Template {
    Template {
        id: r.get("id"),
        user_id: r.get("user_id"),
        name: r.get("name"),
        description: r.get("description"),
        target_calories: r.get::<_, Option<Decimal>>("target_calories").map(f64_of),
        is_active: r.get("is_active"),
        item_count: r.get("item_count"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

struct ValidTemplate {
    name: String,
    description: Option<String>,
    target_calories: Option<Decimal>,
    is_active: bool,
}

fn validate_template(input: &TemplateInput) -> ApiResult<ValidTemplate> {
    let mut v = Validation::new();
    let name = input.name.trim().to_string();
    v.check(
        !name.is_empty() && name.chars().count() <= 255,
        "name",
        "must be 1 to 255 characters",
    );
    let description = input
        .description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_string);
    v.check(
        description
            .as_ref()
            .is_none_or(|d| d.chars().count() <= 10_000),
        "description",
        "must be at most 10,000 characters",
    );
    let mut target_calories = None;
    if let Some(c) = input.target_calories {
        match decimal_from_f64("target_calories", c) {
            Ok(d) if d >= Decimal::ZERO && d <= Decimal::from(100_000) => {
                target_calories = Some(sparky_core::units::round_dp(d, 2));
            }
            _ => v.add("target_calories", "must be between 0 and 100,000 kcal"),
        }
    }
    v.finish()?;
    Ok(ValidTemplate {
        name,
        description,
        target_calories,
        is_active: input.is_active.unwrap_or(true),
    })
}

fn parse_id(key: &str, what: &str) -> ApiResult<Uuid> {
    key.parse().map_err(|_| ApiError::not_found(what))
}

/// Create a meal plan template (for yourself).
#[utoipa::path(post, path = "/api/v1/meal-plan-templates", tag = "meal plans",
    security(("session" = []), ("api_key" = [])),
    request_body = TemplateInput,
    responses(
        (status = 201, description = "Created", body = Template),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody),
    ))]
async fn create_template(
    Auth { tx, .. }: Auth,
    ApiJson(req): ApiJson<TemplateInput>,
) -> ApiResult<(StatusCode, ApiJson<Template>)> {
    let t = validate_template(&req)?;
    let rows = tx
        .query_and_commit(
            &format!(
                "WITH t AS (
                     INSERT INTO meal_plan_templates (user_id, name, description, target_calories, is_active)
                     VALUES (auth.uid(), $1, $2, $3, $4) RETURNING *
                 )
                 SELECT {TEMPLATE_COLUMNS} FROM t"
            ),
            &[&t.name, &t.description, &t.target_calories, &t.is_active],
        )
        .await?;
    let row = rows.first().ok_or_else(ApiError::internal)?;
    Ok((StatusCode::CREATED, ApiJson(template_from_row(row))))
}

/// Meal plan templates: your own, or (`?user_id=`) a family member's who granted you `food_list`.
#[utoipa::path(get, path = "/api/v1/meal-plan-templates", tag = "meal plans",
    security(("session" = []), ("api_key" = [])),
    params(ListParams),
    responses(
        (status = 200, description = "Templates, by name", body = Vec<Template>),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "That user's templates are not shared with you", body = ErrorBody),
        (status = 422, description = "Invalid parameters", body = ErrorBody),
    ))]
async fn list_templates(
    Auth { mut tx, .. }: Auth,
    Query(p): Query<ListParams>,
) -> ApiResult<ApiJson<Vec<Template>>> {
    let (limit, offset) = super::Page {
        limit: p.limit,
        offset: p.offset,
    }
    .bounds()?;
    let rows = tx
        .query(
            &format!(
                "SELECT {TEMPLATE_COLUMNS} FROM meal_plan_templates t
                 WHERE t.user_id = (SELECT coalesce($1::uuid, auth.uid()))
                 ORDER BY lower(t.name), t.created_at, t.id LIMIT $2 OFFSET $3"
            ),
            &[&p.user_id, &limit, &offset],
        )
        .await?;
    let me = tx.user_id().await?;
    if rows.is_empty() && p.user_id.is_some_and(|u| u != me) {
        // An empty list or templates not shared with us: tell them apart.
        let shared = tx
            .query_opt(
                "SELECT 1 FROM family_access WHERE grantor_user_id = $1 AND grantee_user_id = auth.uid()
                 AND access_type = 'food_list'",
                &[&p.user_id],
            )
            .await?
            .is_some();
        if !shared {
            return Err(ApiError::not_found("meal plan templates"));
        }
    }
    tx.commit().await?;
    Ok(ApiJson(rows.iter().map(template_from_row).collect()))
}

/// One template with its items, each item's nutrients (computed as the diary would log it
/// today) and the totals of each weekday.
#[utoipa::path(get, path = "/api/v1/meal-plan-templates/{id}", tag = "meal plans",
    security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path, description = "Template id")),
    responses(
        (status = 200, description = "The template", body = TemplateDetail),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such template (or not shared with you)", body = ErrorBody),
    ))]
async fn get_template(
    Auth { mut tx, .. }: Auth,
    Path(key): Path<String>,
) -> ApiResult<ApiJson<TemplateDetail>> {
    let id = parse_id(&key, "meal plan template")?;
    let row = tx
        .query_opt(
            &format!("SELECT {TEMPLATE_COLUMNS} FROM meal_plan_templates t WHERE t.id = $1"),
            &[&id],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("meal plan template"))?;
    let template = template_from_row(&row);
    let rows = tx
        .query_and_commit(&item_query("i.meal_plan_template_id = $1"), &[&id])
        .await?;
    let planned: Vec<(PlanItem, Option<Planned>)> = rows.iter().map(item_from_row).collect();
    let days = (0..7i16)
        .map(|d| {
            let todays: Vec<&Nutrients> = planned
                .iter()
                .filter(|(i, _)| i.day_of_week.is_none_or(|w| w == d))
                .filter_map(|(_, p)| p.as_ref().map(|p| &p.nutrients))
                .collect();
            let count = planned
                .iter()
                .filter(|(i, _)| i.day_of_week.is_none_or(|w| w == d))
                .count();
            DayTotals {
                day_of_week: d,
                day: WEEKDAYS[d as usize].to_string(),
                item_count: count,
                totals: (&Nutrients::sum(todays)).into(),
            }
        })
        .collect();
    Ok(ApiJson(TemplateDetail {
        template,
        items: planned.into_iter().map(|(i, _)| i).collect(),
        days,
    }))
}

/// Replace a template's name, description, target and active flag (your own templates).
#[utoipa::path(put, path = "/api/v1/meal-plan-templates/{id}", tag = "meal plans",
    security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path, description = "Template id")),
    request_body = TemplateInput,
    responses(
        (status = 200, description = "Updated", body = Template),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Shared with you read-only", body = ErrorBody),
        (status = 404, description = "No such template", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody),
    ))]
async fn update_template(
    Auth { mut tx, .. }: Auth,
    Path(key): Path<String>,
    ApiJson(req): ApiJson<TemplateInput>,
) -> ApiResult<ApiJson<Template>> {
    let id = parse_id(&key, "meal plan template")?;
    let t = validate_template(&req)?;
    let row = tx
        .query_opt(
            &format!(
                "WITH t AS (
                     UPDATE meal_plan_templates SET name = $2, description = $3, target_calories = $4,
                         is_active = $5
                     WHERE id = $1 RETURNING *
                 )
                 SELECT {TEMPLATE_COLUMNS} FROM t"
            ),
            &[&id, &t.name, &t.description, &t.target_calories, &t.is_active],
        )
        .await?;
    match row {
        Some(row) => {
            tx.commit().await?;
            Ok(ApiJson(template_from_row(&row)))
        }
        None => Err(refused_template_write(&mut tx, id).await?),
    }
}

/// A write to a template changed nothing: 403 when the caller can see it, else 404.
async fn refused_template_write(tx: &mut sparky_db::UserTx, id: Uuid) -> ApiResult<ApiError> {
    let visible = tx
        .query_opt("SELECT 1 FROM meal_plan_templates WHERE id = $1", &[&id])
        .await?
        .is_some();
    Ok(if visible {
        ApiError::forbidden("this meal plan template is shared with you read-only")
    } else {
        ApiError::not_found("meal plan template")
    })
}

/// Delete a template and its items. Diary entries written by applying it stay, and so do
/// the dates it was planned for (`meal_plans`, no longer linked to a template).
#[utoipa::path(delete, path = "/api/v1/meal-plan-templates/{id}", tag = "meal plans",
    security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path, description = "Template id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Shared with you read-only", body = ErrorBody),
        (status = 404, description = "No such template", body = ErrorBody),
    ))]
async fn delete_template(
    Auth { mut tx, .. }: Auth,
    Path(key): Path<String>,
) -> ApiResult<StatusCode> {
    let id = parse_id(&key, "meal plan template")?;
    let deleted = tx
        .execute("DELETE FROM meal_plan_templates WHERE id = $1", &[&id])
        .await?;
    if deleted == 0 {
        return Err(refused_template_write(&mut tx, id).await?);
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

// ----------------------------------------------------------------------------------------------
// Items
// ----------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    pub food_item_id: Uuid,
    /// Which serving the quantity refers to (default: the food's default serving when applied).
    pub nutrition_data_id: Option<Uuid>,
    /// How much, in `unit`; greater than zero.
    pub quantity: f64,
    /// g, kg, mg, oz, lb, ml, l, tsp, tbsp, cup, fl oz, or serving.
    pub unit: String,
    pub meal_type: MealType,
    /// 0 = Monday … 6 = Sunday; omit or null for every day.
    pub day_of_week: Option<i64>,
    /// Order within the meal (default: after the template's other items).
    pub sort_order: Option<i32>,
}

/// The serving and nutrients an item would be logged with.
struct Planned {
    quantity: Decimal,
    serving_id: Uuid,
    brand: Option<String>,
    serving: Serving,
    servings: Decimal,
    nutrients: Nutrients,
}

fn item_query(condition: &str) -> String {
    format!(
        "SELECT i.id, i.meal_plan_template_id, i.food_item_id, i.nutrition_data_id, i.food_name,
                i.quantity, i.unit, i.meal_type, i.day_of_week, i.sort_order,
                f.brand, n.id AS serving_id, n.serving_size, n.serving_unit, n.serving_weight_g, {}
         FROM meal_plan_template_items i
         LEFT JOIN food_items f ON f.id = i.food_item_id
         LEFT JOIN nutrition_data n ON n.food_item_id = f.id
              AND (n.id = i.nutrition_data_id OR (i.nutrition_data_id IS NULL AND n.is_default))
         WHERE {condition}
         ORDER BY i.day_of_week NULLS FIRST,
                  array_position(ARRAY['breakfast', 'lunch', 'dinner', 'snack'], i.meal_type),
                  i.sort_order, i.created_at, i.id",
        nutrient_columns("n", "n_")
    )
}

fn item_from_row(r: &tokio_postgres::Row) -> (PlanItem, Option<Planned>) {
    let quantity: Decimal = r.get("quantity");
    let unit: String = r.get("unit");
    let food_item_id: Option<Uuid> = r.get("food_item_id");
    let serving_id: Option<Uuid> = r.get("serving_id");
    let computed: Result<Planned, String> = match (food_item_id, serving_id) {
        (None, _) => Err("the food was deleted; replace it".into()),
        (Some(_), None) => Err("the food has no such serving".into()),
        (Some(_), Some(serving_id)) => {
            let serving = Serving {
                size: r.get("serving_size"),
                unit: r.get("serving_unit"),
                weight_g: r.get("serving_weight_g"),
                nutrients: nutrients_from_row(r, "n_"),
            };
            parse_unit(&unit)
                .map_err(|e| e.message)
                .and_then(|u| {
                    let s = servings_for(quantity, u, &serving).map_err(|e| e.to_string())?;
                    let n = nutrients_for(quantity, u, &serving).map_err(|e| e.to_string())?;
                    Ok((s, n))
                })
                .map(|(servings, nutrients)| Planned {
                    quantity,
                    serving_id,
                    brand: r.get("brand"),
                    serving,
                    servings: sparky_core::units::round_dp(servings, 8),
                    nutrients,
                })
        }
    };
    let (planned, problem) = match computed {
        Ok(p) => (Some(p), None),
        Err(e) => (None, Some(e)),
    };
    let item = PlanItem {
        id: r.get("id"),
        meal_plan_template_id: r.get("meal_plan_template_id"),
        food_item_id,
        nutrition_data_id: r.get("nutrition_data_id"),
        food_name: r.get("food_name"),
        quantity: f64_of(quantity),
        unit,
        meal_type: r.get("meal_type"),
        day_of_week: r.get("day_of_week"),
        sort_order: r.get("sort_order"),
        serving: serving_id.map(|_| {
            let size: Decimal = r.get("serving_size");
            let unit: String = r.get("serving_unit");
            let weight: Option<Decimal> = r.get("serving_weight_g");
            ServingSnapshot {
                size: Some(Amount(size)),
                description: Some(describe_serving(size, &unit, weight)),
                unit: Some(unit),
                weight_g: weight.map(Amount),
            }
        }),
        servings: planned.as_ref().map(|p| f64_of(p.servings)),
        nutrients: planned.as_ref().map(|p| (&p.nutrients).into()),
        problem,
    };
    (item, planned)
}

struct ValidItem {
    quantity: Decimal,
    unit: &'static str,
    meal_type: &'static str,
    day_of_week: Option<i16>,
    food_name: String,
}

/// Validates an item and checks, as the diary would, that the food and serving exist (for the
/// caller) and that the unit converts to the serving.
async fn validate_item(tx: &mut sparky_db::UserTx, req: &ItemInput) -> ApiResult<ValidItem> {
    let quantity = parse_quantity(req.quantity)?;
    let unit = parse_unit(&req.unit)?;
    let day_of_week = match req.day_of_week {
        None => None,
        Some(d) if (0..=6).contains(&d) => Some(d as i16),
        Some(_) => {
            return Err(ApiError::invalid(
                "day_of_week",
                "must be 0 (Monday) to 6 (Sunday), or null for every day",
            ))
        }
    };
    let row = tx
        .query_opt(
            &format!(
                "SELECT f.name, n.serving_size, n.serving_unit, n.serving_weight_g, {}
                 FROM food_items f JOIN nutrition_data n ON n.food_item_id = f.id
                 WHERE f.id = $1 AND (n.id = $2 OR ($2::uuid IS NULL AND n.is_default))",
                nutrient_columns("n", "n_")
            ),
            &[&req.food_item_id, &req.nutrition_data_id],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("food or serving"))?;
    let serving = Serving {
        size: row.get("serving_size"),
        unit: row.get("serving_unit"),
        weight_g: row.get("serving_weight_g"),
        nutrients: nutrients_from_row(&row, "n_"),
    };
    nutrients_for(quantity, unit, &serving).map_err(nutrition_error)?;
    Ok(ValidItem {
        quantity,
        unit: unit.as_str(),
        meal_type: req.meal_type.as_str(),
        day_of_week,
        food_name: row.get("name"),
    })
}

/// Add a food to one of your templates.
#[utoipa::path(post, path = "/api/v1/meal-plan-templates/{id}/items", tag = "meal plans",
    security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path, description = "Template id")),
    request_body = ItemInput,
    responses(
        (status = 201, description = "Added", body = PlanItem),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Shared with you read-only", body = ErrorBody),
        (status = 404, description = "No such template, food or serving", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody),
    ))]
async fn add_item(
    Auth { mut tx, .. }: Auth,
    Path(key): Path<String>,
    ApiJson(req): ApiJson<ItemInput>,
) -> ApiResult<(StatusCode, ApiJson<PlanItem>)> {
    let template_id = parse_id(&key, "meal plan template")?;
    if tx
        .query_opt(
            "SELECT 1 FROM meal_plan_templates WHERE id = $1",
            &[&template_id],
        )
        .await?
        .is_none()
    {
        return Err(ApiError::not_found("meal plan template"));
    }
    let v = validate_item(&mut tx, &req).await?;
    let row = tx
        .query_one(
            "INSERT INTO meal_plan_template_items (meal_plan_template_id, food_item_id, nutrition_data_id,
                 food_name, quantity, unit, meal_type, day_of_week, sort_order)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($9, (
                 SELECT coalesce(max(sort_order) + 1, 0) FROM meal_plan_template_items
                 WHERE meal_plan_template_id = $1)))
             RETURNING id",
            &[
                &template_id,
                &req.food_item_id,
                &req.nutrition_data_id,
                &v.food_name,
                &v.quantity,
                &v.unit,
                &v.meal_type,
                &v.day_of_week,
                &req.sort_order,
            ],
        )
        .await?;
    let item_id: Uuid = row.get(0);
    let rows = tx
        .query_and_commit(&item_query("i.id = $1"), &[&item_id])
        .await?;
    let row = rows.first().ok_or_else(ApiError::internal)?;
    Ok((StatusCode::CREATED, ApiJson(item_from_row(row).0)))
}

/// Replace an item of one of your templates.
#[utoipa::path(put, path = "/api/v1/meal-plan-templates/{id}/items/{item_id}", tag = "meal plans",
    security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path, description = "Template id"), ("item_id" = Uuid, Path, description = "Item id")),
    request_body = ItemInput,
    responses(
        (status = 200, description = "Updated", body = PlanItem),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Shared with you read-only", body = ErrorBody),
        (status = 404, description = "No such template, item, food or serving", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody),
    ))]
async fn update_item(
    Auth { mut tx, .. }: Auth,
    Path((key, item_key)): Path<(String, String)>,
    ApiJson(req): ApiJson<ItemInput>,
) -> ApiResult<ApiJson<PlanItem>> {
    let template_id = parse_id(&key, "meal plan template")?;
    let item_id = parse_id(&item_key, "meal plan item")?;
    if tx
        .query_opt(
            "SELECT 1 FROM meal_plan_template_items WHERE id = $1 AND meal_plan_template_id = $2",
            &[&item_id, &template_id],
        )
        .await?
        .is_none()
    {
        return Err(ApiError::not_found("meal plan item"));
    }
    let v = validate_item(&mut tx, &req).await?;
    let updated = tx
        .execute(
            "UPDATE meal_plan_template_items SET food_item_id = $3, nutrition_data_id = $4,
                 food_name = $5, quantity = $6, unit = $7, meal_type = $8, day_of_week = $9,
                 sort_order = coalesce($10, sort_order)
             WHERE id = $1 AND meal_plan_template_id = $2",
            &[
                &item_id,
                &template_id,
                &req.food_item_id,
                &req.nutrition_data_id,
                &v.food_name,
                &v.quantity,
                &v.unit,
                &v.meal_type,
                &v.day_of_week,
                &req.sort_order,
            ],
        )
        .await?;
    if updated == 0 {
        return Err(ApiError::forbidden(
            "this meal plan template is shared with you read-only",
        ));
    }
    let rows = tx
        .query_and_commit(&item_query("i.id = $1"), &[&item_id])
        .await?;
    let row = rows.first().ok_or_else(ApiError::internal)?;
    Ok(ApiJson(item_from_row(row).0))
}

/// Remove an item from one of your templates.
#[utoipa::path(delete, path = "/api/v1/meal-plan-templates/{id}/items/{item_id}", tag = "meal plans",
    security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path, description = "Template id"), ("item_id" = Uuid, Path, description = "Item id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Shared with you read-only", body = ErrorBody),
        (status = 404, description = "No such template or item", body = ErrorBody),
    ))]
async fn delete_item(
    Auth { tx, .. }: Auth,
    Path((key, item_key)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let template_id = parse_id(&key, "meal plan template")?;
    let item_id = parse_id(&item_key, "meal plan item")?;
    let rows = tx
        .query_and_commit(
            "WITH d AS (DELETE FROM meal_plan_template_items
                        WHERE id = $1 AND meal_plan_template_id = $2 RETURNING 1)
             SELECT (SELECT count(*) FROM d),
                    EXISTS (SELECT 1 FROM meal_plan_template_items
                            WHERE id = $1 AND meal_plan_template_id = $2)",
            &[&item_id, &template_id],
        )
        .await?;
    let (deleted, visible): (i64, bool) = rows
        .first()
        .map(|r| (r.get(0), r.get(1)))
        .unwrap_or((0, false));
    match (deleted, visible) {
        (n, _) if n > 0 => Ok(StatusCode::NO_CONTENT),
        (_, true) => Err(ApiError::forbidden(
            "this meal plan template is shared with you read-only",
        )),
        _ => Err(ApiError::not_found("meal plan item")),
    }
}

// ----------------------------------------------------------------------------------------------
// Applying a template
// ----------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyRequest {
    /// First day (YYYY-MM-DD, in the diary owner's timezone).
    pub from: NaiveDate,
    /// Last day, inclusive; at most 62 days after `from` counting both ends.
    pub to: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AppliedDay {
    pub date: NaiveDate,
    pub meal_plan_id: Uuid,
    /// Diary entries written for the day.
    pub entries: usize,
    /// Sum of those entries' calories.
    pub total_calories: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplyResult {
    pub meal_plan_template_id: Uuid,
    pub user_id: Uuid,
    /// Dates written now.
    pub applied: Vec<AppliedDay>,
    /// Dates this template had already been applied to; left unchanged.
    pub skipped: Vec<NaiveDate>,
}

/// Planned eating times, so a day's entries sort by meal.
fn meal_time(meal: &str) -> &'static str {
    match meal {
        "breakfast" => "08:00",
        "lunch" => "12:30",
        "dinner" => "18:30",
        _ => "15:00",
    }
}

/// Write a template's foods into the diary for every date from `from` to `to`: on each date
/// the items for that weekday and the every-day items, as ordinary diary entries with full
/// snapshots, plus a `meal_plans` row (with the day's calories). All dates in one
/// transaction. Dates this template was already applied to are skipped, so applying twice
/// never doubles the diary.
#[utoipa::path(post, path = "/api/v1/meal-plan-templates/{id}/apply", tag = "meal plans",
    security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path, description = "Template id"), ActingFor),
    request_body = ApplyRequest,
    responses(
        (status = 200, description = "Applied (and which dates were skipped)", body = ApplyResult),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "No write access to that diary", body = ErrorBody),
        (status = 404, description = "No such template", body = ErrorBody),
        (status = 422, description = "Invalid range, or an item cannot be logged", body = ErrorBody),
    ))]
async fn apply_template(
    Auth { mut tx, .. }: Auth,
    Path(key): Path<String>,
    acting: ActingFor,
    ApiJson(req): ApiJson<ApplyRequest>,
) -> ApiResult<ApiJson<ApplyResult>> {
    let template_id = parse_id(&key, "meal plan template")?;
    if req.from > req.to {
        return Err(ApiError::invalid("to", "must not be before `from`"));
    }
    let days = (req.to - req.from).num_days() + 1;
    if days > MAX_APPLY_DAYS {
        return Err(ApiError::invalid(
            "to",
            format!("the range is {days} days; at most {MAX_APPLY_DAYS} can be applied at once"),
        ));
    }
    let name: String = tx
        .query_opt(
            "SELECT name FROM meal_plan_templates WHERE id = $1",
            &[&template_id],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("meal plan template"))?
        .get(0);
    let rows = tx
        .query(&item_query("i.meal_plan_template_id = $1"), &[&template_id])
        .await?;
    let items: Vec<(PlanItem, Option<Planned>)> = rows.iter().map(item_from_row).collect();
    let dates: Vec<NaiveDate> = req.from.iter_days().take(days as usize).collect();
    let on_day = |date: &NaiveDate| {
        let wd = date.weekday().num_days_from_monday() as i16;
        items
            .iter()
            .filter(move |(i, _)| i.day_of_week.is_none_or(|d| d == wd))
    };
    // Every item that would be written must be loggable.
    for (item, planned) in dates.iter().flat_map(on_day) {
        if planned.is_none() {
            return Err(ApiError::invalid(
                &format!("items.{}", item.id),
                format!(
                    "{} cannot be logged: {}",
                    item.food_name,
                    item.problem.as_deref().unwrap_or("unknown problem")
                ),
            ));
        }
    }
    let totals: Vec<Option<Decimal>> = dates
        .iter()
        .map(|d| {
            let ns: Vec<&Nutrients> = on_day(d)
                .filter_map(|(_, p)| p.as_ref().map(|p| &p.nutrients))
                .collect();
            Nutrients::sum(ns).calories.or(Some(Decimal::ZERO))
        })
        .collect();
    // One row per date; a date already planned with this template conflicts and is skipped.
    let planned_rows = tx
        .query(
            "INSERT INTO meal_plans (user_id, name, planned_date, total_calories, meal_plan_template_id)
             SELECT coalesce($1::uuid, auth.uid()), left($2, 255), d.day, d.total, $3
             FROM unnest($4::date[], $5::numeric[]) AS d(day, total)
             ON CONFLICT (user_id, planned_date, meal_plan_template_id) DO NOTHING
             RETURNING id, planned_date, user_id",
            &[&acting.user_id, &name, &template_id, &dates, &totals],
        )
        .await?;
    let mut records = Vec::new();
    let mut applied = Vec::new();
    let mut target = acting.user_id;
    for r in &planned_rows {
        let plan_id: Uuid = r.get("id");
        let date: NaiveDate = r.get("planned_date");
        target = Some(r.get("user_id"));
        let mut count = 0;
        for (item, planned) in on_day(&date) {
            let Some(p) = planned else { continue };
            count += 1;
            let mut rec = serde_json::json!({
                "meal_plan_id": plan_id,
                "entry_date": date,
                "at_time": meal_time(&item.meal_type),
                // Keeps the template's order within a meal (the diary sorts by time).
                "seq": count,
                "food_item_id": item.food_item_id,
                "nutrition_data_id": p.serving_id,
                "quantity": p.quantity.to_string(),
                "unit": item.unit,
                "meal_type": item.meal_type,
                "food_name": item.food_name,
                "brand": p.brand,
                "serving_size": p.serving.size.to_string(),
                "serving_unit": p.serving.unit,
                "serving_weight_g": p.serving.weight_g.map(|w| w.to_string()),
                "servings": p.servings.to_string(),
                "per_serving": serde_json::to_value(&p.serving.nutrients)
                    .map_err(|_| ApiError::internal())?,
            });
            for (n, v) in p.nutrients.iter() {
                rec[n] = serde_json::json!(v.map(|v| v.to_string()));
            }
            records.push(rec);
        }
        let idx = dates.iter().position(|d| *d == date).unwrap_or(0);
        applied.push(AppliedDay {
            date,
            meal_plan_id: plan_id,
            entries: count,
            total_calories: totals[idx].map(f64_of),
        });
    }
    if !records.is_empty() {
        let cols = Nutrients::NAMES.join(", ");
        let typed: Vec<String> = Nutrients::NAMES
            .iter()
            .map(|n| format!("{n} numeric"))
            .collect();
        let sql = format!(
            "WITH tz AS (SELECT coalesce((SELECT p.timezone FROM user_preferences p
                                          WHERE p.user_id = (SELECT coalesce($1::uuid, auth.uid())) LIMIT 1),
                                         'UTC') AS name)
             INSERT INTO food_diary (user_id, food_item_id, nutrition_data_id, quantity, unit, meal_type,
                 consumed_at, entry_date, food_name, brand, serving_size, serving_unit, serving_weight_g,
                 servings, per_serving, meal_plan_id, {cols})
             SELECT coalesce($1::uuid, auth.uid()), r.food_item_id, r.nutrition_data_id, r.quantity, r.unit,
                 r.meal_type, (r.entry_date + r.at_time + r.seq * interval '1 second') AT TIME ZONE tz.name, r.entry_date, r.food_name,
                 r.brand, r.serving_size, r.serving_unit, r.serving_weight_g, r.servings, r.per_serving,
                 r.meal_plan_id, {cols}
             FROM tz, jsonb_to_recordset($2::jsonb) AS r(meal_plan_id uuid, entry_date date, at_time time, seq integer,
                 food_item_id uuid, nutrition_data_id uuid, quantity numeric, unit text, meal_type text,
                 food_name text, brand text, serving_size numeric, serving_unit text,
                 serving_weight_g numeric, servings numeric, per_serving jsonb, {})",
            typed.join(", ")
        );
        let json = serde_json::Value::Array(records);
        tx.execute(&sql, &[&acting.user_id, &json]).await?;
    }
    let skipped = dates
        .iter()
        .filter(|d| !applied.iter().any(|a| a.date == **d))
        .copied()
        .collect();
    let user_id = match target {
        Some(u) => u,
        None => tx.user_id().await?,
    };
    tx.commit().await?;
    applied.sort_by_key(|a| a.date);
    Ok(ApiJson(ApplyResult {
        meal_plan_template_id: template_id,
        user_id,
        applied,
        skipped,
    }))
}
