//! Meal plans: templates of planned foods (per meal, every day or on one weekday), and applying
//! a template to some dates, which writes ordinary food diary entries through the diary's one
//! insert path (same snapshot, arithmetic and per-day limit as logging by hand) and one
//! `meal_plans` row per date.
//!
//! Applying is idempotent: a date already applied for a template is skipped (the
//! `meal_plans (user_id, planned_date, meal_plan_template_id)` key decides, so concurrent
//! applies cannot double the diary either). It is bounded: at most [`MAX_APPLY_DAYS`] dates
//! and [`MAX_ITEMS_PER_TEMPLATE`] items, so one request writes at most 31 × 50 entries.
//! Deleting a template leaves the diary alone; taking it off some dates ([`unapply`]) removes
//! what it wrote there. RLS alone decides who may do what: `food_list`
//! grantees read a grantor's templates; `meal_plans` rows are their owner's and `calorie` grantees'.

mod apply;
mod items;
mod shopping;
mod unapply;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sparky_core::nutrition::Nutrients;
use sparky_core::Amount;
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

pub use apply::{apply, AppliedDay, ApplyDates, ApplyInput, ApplyResult, MAX_APPLY_DAYS};
pub use items::{
    add_item, delete_item, update_item, ItemInput, NewItem, PlanItem, MAX_ITEMS_PER_TEMPLATE,
    MAX_SORT_ORDER,
};
pub use shopping::{shopping, ShoppingItem, ShoppingList, ShoppingQuery, DEFAULT_SHOPPING_DAYS};
pub use unapply::{unapply, RemovedDay, UnapplyResult};

use crate::acting::{Acting, Area, OWNER};
use crate::error::{AppError, AppResult, Validation};
use crate::paging::{LimitBounds, Page, PageRequest};

/// Bounds of a template list page.
pub const LIST_LIMIT: LimitBounds = LimitBounds::new(50, 200);
/// Deepest the deprecated `offset` may skip.
pub const MAX_OFFSET: i64 = 10_000;

// ---------------------------------------------------------------------------------------------
// Inputs and outputs
// ---------------------------------------------------------------------------------------------

/// A template's name, description, daily calorie target and active flag. On `PUT`, a field
/// left out keeps its value and `null` (or an empty description) clears it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    #[schema(min_length = 1, max_length = 255)]
    pub name: String,
    #[schema(value_type = Option<String>, max_length = 10000)]
    #[serde(default, deserialize_with = "crate::profile::present")]
    pub description: Option<Option<String>>,
    /// kcal a day the plan aims at (0–100,000).
    #[schema(value_type = Option<f64>, minimum = 0, maximum = 100000)]
    #[serde(default, deserialize_with = "crate::profile::present")]
    pub target_calories: Option<Option<Amount>>,
    /// Default true.
    pub is_active: Option<bool>,
}

/// A validated [`TemplateInput`]: `None` keeps what a template has (a new one: nothing, and
/// active).
#[derive(Debug, Clone)]
pub struct NewTemplate {
    pub name: String,
    pub description: Option<Option<String>>,
    pub target_calories: Option<Option<Decimal>>,
    pub is_active: Option<bool>,
}

impl TemplateInput {
    pub fn parse(&self) -> AppResult<NewTemplate> {
        let mut v = Validation::new();
        let name = self.name.trim().to_string();
        v.check(
            !name.is_empty() && name.chars().count() <= 255,
            "name",
            "must be 1 to 255 characters",
        );
        let description = self.description.as_ref().map(|d| {
            d.as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_string)
        });
        v.check(
            description
                .as_ref()
                .and_then(Option::as_ref)
                .is_none_or(|d| d.chars().count() <= 10_000),
            "description",
            "must be at most 10,000 characters",
        );
        let target_calories = self.target_calories.map(|c| c.map(Amount::decimal));
        v.check(
            target_calories
                .flatten()
                .is_none_or(|c| c >= Decimal::ZERO && c <= Decimal::from(100_000)),
            "target_calories",
            "must be between 0 and 100,000 kcal",
        );
        v.finish()?;
        Ok(NewTemplate {
            name,
            description,
            target_calories: target_calories.map(|c| c.map(|c| sparky_core::units::round_dp(c, 2))),
            is_active: self.is_active,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Template {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub target_calories: Option<Amount>,
    pub is_active: bool,
    /// At most 50.
    pub item_count: i64,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayTotals {
    /// 0 = Monday … 6 = Sunday.
    pub day_of_week: i16,
    pub day: String,
    pub item_count: usize,
    /// Sum of the items planned that weekday (every-day items included).
    pub totals: Nutrients,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateDetail {
    #[serde(flatten)]
    pub template: Template,
    /// Ordered by weekday (every-day items first), meal, then sort order.
    pub items: Vec<PlanItem>,
    /// Monday to Sunday.
    pub days: Vec<DayTotals>,
}

// ---------------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------------

const TEMPLATE_COLUMNS: &str = "t.id, t.user_id, t.name, t.description, t.target_calories,
    coalesce(t.is_active, true) AS is_active, t.created_at, t.updated_at,
    (SELECT count(*) FROM meal_plan_template_items i WHERE i.meal_plan_template_id = t.id) AS item_count";

fn template_from_row(r: &tokio_postgres::Row) -> Template {
    Template {
        id: r.get("id"),
        user_id: r.get("user_id"),
        name: r.get("name"),
        description: r.get("description"),
        target_calories: r.get("target_calories"),
        is_active: r.get("is_active"),
        item_count: r.get("item_count"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

/// A write to a template changed nothing: 403 when the caller can see it, else 404.
async fn refused_template_write(tx: &mut UserTx, id: Uuid) -> AppError {
    match tx
        .query_opt("SELECT 1 FROM meal_plan_templates WHERE id = $1", &[&id])
        .await
    {
        Ok(Some(_)) => AppError::forbidden("this meal plan template is shared with you read-only"),
        Ok(None) => AppError::NotFound("meal plan template"),
        Err(e) => e.into(),
    }
}

/// The template visible to the caller with `id`, or 404.
async fn template_row(tx: &mut UserTx, id: Uuid) -> AppResult<Template> {
    let row = tx
        .query_opt(
            &format!("SELECT {TEMPLATE_COLUMNS} FROM meal_plan_templates t WHERE t.id = $1"),
            &[&id],
        )
        .await?
        .ok_or(AppError::NotFound("meal plan template"))?;
    Ok(template_from_row(&row))
}

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

/// Creates a template of the caller's own.
pub async fn create_template(tx: &mut UserTx, t: &NewTemplate) -> AppResult<Template> {
    let row = tx
        .query_one(
            &format!(
                "WITH t AS (
                     INSERT INTO meal_plan_templates (user_id, name, description, target_calories, is_active)
                     VALUES (auth.uid(), $1, $2, $3, $4) RETURNING *
                 )
                 SELECT {TEMPLATE_COLUMNS} FROM t"
            ),
            &[
                &t.name,
                &t.description.clone().flatten(),
                &t.target_calories.flatten(),
                &t.is_active.unwrap_or(true),
            ],
        )
        .await?;
    Ok(template_from_row(&row))
}

/// The owner's templates by name (case-insensitive), keyset-paged; `offset` (deprecated)
/// skips that many more. Someone else's list is 404 unless they granted `food_list`.
pub async fn list_templates(
    tx: &mut UserTx,
    acting: Acting,
    page: &PageRequest,
    offset: i64,
) -> AppResult<Page<Template>> {
    if !(0..=MAX_OFFSET).contains(&offset) {
        return Err(AppError::invalid("offset", "must be between 0 and 10000"));
    }
    let after: Option<(String, DateTime<Utc>, Uuid)> = page.after()?;
    let (after_name, after_at, after_id) = match after {
        Some((n, a, i)) => (Some(n), Some(a), Some(i)),
        None => (None, None, None),
    };
    let rows = tx
        .query(
            &format!(
                "SELECT {TEMPLATE_COLUMNS}, lower(t.name) AS sort_name,
                        coalesce(t.created_at, 'epoch') AS sort_at
                 FROM meal_plan_templates t
                 WHERE t.user_id = {OWNER}
                   AND ($3::text IS NULL
                        OR (lower(t.name), coalesce(t.created_at, 'epoch'), t.id) > ($3, $4::timestamptz, $5::uuid))
                 ORDER BY lower(t.name), coalesce(t.created_at, 'epoch'), t.id
                 LIMIT $2 OFFSET $6"
            ),
            &[
                &acting.owner,
                &page.fetch(),
                &after_name,
                &after_at,
                &after_id,
                &offset,
            ],
        )
        .await?;
    if rows.is_empty() {
        acting.ensure_visible(tx, Area::FoodList).await?;
    }
    type Keyed = (Template, String, DateTime<Utc>);
    let keyed: Vec<Keyed> = rows
        .iter()
        .map(|r| (template_from_row(r), r.get("sort_name"), r.get("sort_at")))
        .collect();
    Ok(page
        .finish_keyset(keyed, |(t, name, at)| (name.clone(), *at, t.id))
        .map(|(t, _, _)| t))
}

/// 404 unless the template is visible to the caller (RLS decides): for pages that act on a
/// template without reading it (its food search).
pub async fn ensure_template_visible(tx: &mut UserTx, id: Uuid) -> AppResult<()> {
    tx.query_opt("SELECT 1 FROM meal_plan_templates WHERE id = $1", &[&id])
        .await?
        .map(|_| ())
        .ok_or(AppError::NotFound("meal plan template"))
}

/// One template with its items, each item's nutrients (as the diary would log it today) and
/// the totals of each weekday.
pub async fn get_template(tx: &mut UserTx, id: Uuid) -> AppResult<TemplateDetail> {
    let template = template_row(tx, id).await?;
    let planned = items::load(tx, items::Of::Template(id)).await?;
    let on = |d: i16| {
        planned
            .iter()
            .filter(move |(i, _)| i.day_of_week.is_none_or(|w| w == d))
    };
    let days = (0..7i16)
        .map(|d| DayTotals {
            day_of_week: d,
            day: sparky_core::report::WEEKDAY_NAMES[d as usize].to_string(),
            item_count: on(d).count(),
            totals: Nutrients::sum(on(d).filter_map(|(_, p)| p.as_ref().map(|p| &p.nutrients))),
        })
        .collect();
    Ok(TemplateDetail {
        template,
        items: planned.into_iter().map(|(i, _)| i).collect(),
        days,
    })
}

/// Replaces a template's name, description, target and active flag (the caller's own).
pub async fn update_template(tx: &mut UserTx, id: Uuid, t: &NewTemplate) -> AppResult<Template> {
    let row = tx
        .query_opt(
            &format!(
                "WITH t AS (
                     UPDATE meal_plan_templates SET name = $2,
                         description = CASE WHEN $6 THEN $3 ELSE description END,
                         target_calories = CASE WHEN $7 THEN $4 ELSE target_calories END,
                         is_active = coalesce($5, is_active)
                     WHERE id = $1 RETURNING *
                 )
                 SELECT {TEMPLATE_COLUMNS} FROM t"
            ),
            &[
                &id,
                &t.name,
                &t.description.clone().flatten(),
                &t.target_calories.flatten(),
                &t.is_active,
                &t.description.is_some(),
                &t.target_calories.is_some(),
            ],
        )
        .await?;
    match row {
        Some(row) => Ok(template_from_row(&row)),
        None => Err(refused_template_write(tx, id).await),
    }
}

/// Deletes a template and its items. Diary entries written by applying it stay, and so do
/// the dates it was planned for (`meal_plans`, no longer linked to a template).
pub async fn delete_template(tx: &mut UserTx, id: Uuid) -> AppResult<()> {
    crate::acting::delete_by_id(
        tx,
        "meal_plan_templates",
        id,
        "meal plan template",
        "this meal plan template is shared with you read-only",
    )
    .await
}
