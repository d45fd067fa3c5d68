//! The items of a meal plan template: a food, which serving, how much, the meal and the
//! weekday. An item's serving and nutrients are worked out exactly as logging it would
//! (`diary::choose_serving` and `diary::portion`), from the food's values of today.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sparky_core::nutrition::{Nutrients, Serving};
use sparky_core::{Amount, MealType};
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::diary::{
    choose_serving, food_servings, foods_servings, parse_quantity, portion, FoodServings,
    ServingSnapshot,
};
use crate::error::{AppError, AppResult, Validation};
use crate::foods::describe_serving;

/// Items one template may hold, so that applying it stays bounded.
pub const MAX_ITEMS_PER_TEMPLATE: i64 = 50;

/// A food in a template.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    pub food_item_id: Uuid,
    /// Which serving the quantity refers to. Default (when applied): the serving whose own
    /// unit is `unit` ("slice"), else the default serving, else one `unit` converts to (tbsp → a cup serving).
    pub nutrition_data_id: Option<Uuid>,
    /// How much, in `unit`; greater than zero, at most 1,000,000.
    #[schema(value_type = f64, exclusive_minimum = 0, maximum = 1000000)]
    pub quantity: Amount,
    /// g, kg, mg, oz, lb, ml, l, tsp, tbsp, cup, fl oz, serving, or the serving's own unit word
    /// ("slice"). Default: servings.
    #[schema(max_length = 100)]
    pub unit: Option<String>,
    pub meal_type: MealType,
    /// 0 = Monday … 6 = Sunday; omit or null for every day.
    #[schema(minimum = 0, maximum = 6)]
    pub day_of_week: Option<i64>,
    /// Order within the meal, 0 to 10,000 (default: after the template's other items).
    #[schema(minimum = 0, maximum = 10000)]
    pub sort_order: Option<i32>,
}

/// The largest `sort_order` an item may have (what an export archive holds).
pub const MAX_SORT_ORDER: i32 = 10_000;

/// A validated [`ItemInput`] (the food and unit are checked against the food when stored).
#[derive(Debug, Clone)]
pub struct NewItem {
    pub food_item_id: Uuid,
    pub serving_id: Option<Uuid>,
    pub quantity: Decimal,
    pub unit: Option<String>,
    pub meal: MealType,
    pub day_of_week: Option<i16>,
    pub sort_order: Option<i32>,
}

impl ItemInput {
    pub fn parse(&self) -> AppResult<NewItem> {
        let mut v = Validation::new();
        let quantity = v.take(parse_quantity("quantity", self.quantity));
        let unit = self
            .unit
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_string);
        v.check(
            unit.as_ref().is_none_or(|u| u.chars().count() <= 100),
            "unit",
            "must be at most 100 characters",
        );
        let day_of_week = match self.day_of_week {
            Some(d) if !(0..=6).contains(&d) => {
                v.add(
                    "day_of_week",
                    "must be 0 (Monday) to 6 (Sunday), or null for every day",
                );
                None
            }
            d => d.map(|d| d as i16),
        };
        v.check(
            self.sort_order
                .is_none_or(|o| (0..=MAX_SORT_ORDER).contains(&o)),
            "sort_order",
            "must be from 0 to 10000",
        );
        v.finish()?;
        Ok(NewItem {
            food_item_id: self.food_item_id,
            serving_id: self.nutrition_data_id,
            quantity: quantity.unwrap_or_default(),
            unit,
            meal: self.meal_type,
            day_of_week,
            sort_order: self.sort_order,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanItem {
    pub id: Uuid,
    pub meal_plan_template_id: Uuid,
    /// Null when the food was deleted since; the item cannot be applied until replaced.
    pub food_item_id: Option<Uuid>,
    /// The chosen serving; null = chosen when applied (see `ItemInput`).
    pub nutrition_data_id: Option<Uuid>,
    pub food_name: String,
    pub quantity: Amount,
    pub unit: String,
    pub meal_type: String,
    /// 0 = Monday … 6 = Sunday; null = every day.
    pub day_of_week: Option<i16>,
    pub sort_order: i32,
    /// The serving the quantity is measured against (as the diary would use it today).
    pub serving: Option<ServingSnapshot>,
    pub servings: Option<Amount>,
    /// What logging this item now would record; null when it cannot be computed (see `problem`).
    pub nutrients: Option<Nutrients>,
    /// Why the item cannot be applied as it is, if it cannot.
    pub problem: Option<String>,
}

/// What applying an item writes into the diary.
#[derive(Debug, Clone)]
pub(super) struct Planned {
    pub serving_id: Uuid,
    pub brand: Option<String>,
    pub serving: Serving,
    pub custom: crate::custom_nutrients::Amounts,
    pub quantity: Decimal,
    pub unit: String,
    pub servings: Decimal,
    pub nutrients: Nutrients,
}

/// Which items to load.
pub(super) enum Of {
    Template(Uuid),
    Item(Uuid),
}

/// Items in template order, each with what applying it would write (None: see `problem`).
pub(super) async fn load(tx: &mut UserTx, of: Of) -> AppResult<Vec<(PlanItem, Option<Planned>)>> {
    let (condition, id) = match of {
        Of::Template(id) => ("i.meal_plan_template_id = $1", id),
        Of::Item(id) => ("i.id = $1", id),
    };
    let rows = tx
        .query(
            &format!(
                "SELECT i.id, i.meal_plan_template_id, i.food_item_id, i.nutrition_data_id, i.food_name,
                        i.quantity, i.unit, i.meal_type, i.day_of_week, i.sort_order
                 FROM meal_plan_template_items i
                 WHERE {condition}
                 ORDER BY i.day_of_week NULLS FIRST,
                          array_position(ARRAY['breakfast', 'lunch', 'dinner', 'snack'], i.meal_type),
                          i.sort_order, i.created_at, i.id"
            ),
            &[&id],
        )
        .await?;
    let mut food_ids: Vec<Uuid> = rows
        .iter()
        .filter_map(|r| r.get::<_, Option<Uuid>>("food_item_id"))
        .collect();
    food_ids.sort();
    food_ids.dedup();
    let foods = foods_servings(tx, &food_ids).await?;
    Ok(rows.iter().map(|r| item_from_row(r, &foods)).collect())
}

fn plan(
    food_item_id: Option<Uuid>,
    serving_id: Option<Uuid>,
    quantity: Decimal,
    unit: &str,
    foods: &HashMap<Uuid, FoodServings>,
) -> Result<Planned, String> {
    let food_id = food_item_id.ok_or("the food was deleted; replace it")?;
    let food = foods
        .get(&food_id)
        .ok_or("the food is not visible to you, or has no serving")?;
    let chosen = choose_serving(&food.servings, serving_id, Some(unit))
        .map_err(|_| "the food has no such serving".to_string())?;
    let p = portion(&chosen.serving, quantity, Some(unit)).map_err(AppError::into_problem)?;
    Ok(Planned {
        serving_id: chosen.id,
        brand: food.brand.clone(),
        serving: chosen.serving.clone(),
        custom: chosen.custom.clone(),
        quantity: p.quantity,
        unit: p.unit,
        servings: p.servings,
        nutrients: p.nutrients,
    })
}

fn item_from_row(
    r: &tokio_postgres::Row,
    foods: &HashMap<Uuid, FoodServings>,
) -> (PlanItem, Option<Planned>) {
    let quantity: Decimal = r.get("quantity");
    let unit: String = r.get("unit");
    let food_item_id: Option<Uuid> = r.get("food_item_id");
    let serving_id: Option<Uuid> = r.get("nutrition_data_id");
    let (planned, problem) = match plan(food_item_id, serving_id, quantity, &unit, foods) {
        Ok(p) => (Some(p), None),
        Err(e) => (None, Some(e)),
    };
    let item = PlanItem {
        id: r.get("id"),
        meal_plan_template_id: r.get("meal_plan_template_id"),
        food_item_id,
        nutrition_data_id: serving_id,
        food_name: r.get("food_name"),
        quantity: Amount(quantity),
        unit,
        meal_type: r.get("meal_type"),
        day_of_week: r.get("day_of_week"),
        sort_order: r.get("sort_order"),
        serving: planned.as_ref().map(|p| ServingSnapshot {
            size: Some(Amount(p.serving.size)),
            description: Some(describe_serving(
                p.serving.size,
                &p.serving.unit,
                p.serving.weight_g,
            )),
            unit: Some(p.serving.unit.clone()),
            weight_g: p.serving.weight_g.map(Amount),
        }),
        servings: planned.as_ref().map(|p| Amount(p.servings)),
        nutrients: planned.as_ref().map(|p| p.nutrients.clone()),
        problem,
    };
    (item, planned)
}

/// What an item stores: its food's name, and the quantity and unit as the diary would record
/// them. The food and serving must be visible to the caller (404) and the unit must fit the
/// serving (422), as when logging.
async fn checked(tx: &mut UserTx, item: &NewItem) -> AppResult<(String, Decimal, String)> {
    let (name, _, servings) = food_servings(tx, item.food_item_id).await?;
    let chosen = choose_serving(&servings, item.serving_id, item.unit.as_deref())?;
    let p = portion(&chosen.serving, item.quantity, item.unit.as_deref())?;
    Ok((name, p.quantity, p.unit))
}

async fn one(tx: &mut UserTx, id: Uuid) -> AppResult<PlanItem> {
    load(tx, Of::Item(id))
        .await?
        .pop()
        .map(|(i, _)| i)
        .ok_or(AppError::NotFound("meal plan item"))
}

/// Adds a food to one of the caller's templates (at most [`MAX_ITEMS_PER_TEMPLATE`]).
pub async fn add_item(tx: &mut UserTx, template_id: Uuid, item: &NewItem) -> AppResult<PlanItem> {
    if tx
        .query_opt(
            "SELECT 1 FROM meal_plan_templates WHERE id = $1",
            &[&template_id],
        )
        .await?
        .is_none()
    {
        return Err(AppError::NotFound("meal plan template"));
    }
    let (food_name, quantity, unit) = checked(tx, item).await?;
    // Concurrent adds to one template count one after the other.
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('meal_plan_template_items:' || $1::uuid::text, 0))",
        &[&template_id],
    )
    .await?;
    let count: i64 = tx
        .query_one(
            "SELECT count(*) FROM meal_plan_template_items WHERE meal_plan_template_id = $1",
            &[&template_id],
        )
        .await?
        .get(0);
    if count >= MAX_ITEMS_PER_TEMPLATE {
        return Err(AppError::invalid(
            "meal_plan_template_id",
            format!("a meal plan template holds at most {MAX_ITEMS_PER_TEMPLATE} items"),
        ));
    }
    let meal = item.meal.as_str();
    let id: Uuid = tx
        .query_one(
            "INSERT INTO meal_plan_template_items (meal_plan_template_id, food_item_id, nutrition_data_id,
                 food_name, quantity, unit, meal_type, day_of_week, sort_order)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($9, (
                 SELECT least(coalesce(max(sort_order) + 1, 0), 10000) FROM meal_plan_template_items
                 WHERE meal_plan_template_id = $1)))
             RETURNING id",
            &[
                &template_id,
                &item.food_item_id,
                &item.serving_id,
                &food_name,
                &quantity,
                &unit,
                &meal,
                &item.day_of_week,
                &item.sort_order,
            ],
        )
        .await?
        .get(0);
    one(tx, id).await
}

/// Replaces an item of one of the caller's templates.
pub async fn update_item(
    tx: &mut UserTx,
    template_id: Uuid,
    item_id: Uuid,
    item: &NewItem,
) -> AppResult<PlanItem> {
    if tx
        .query_opt(
            "SELECT 1 FROM meal_plan_template_items WHERE id = $1 AND meal_plan_template_id = $2",
            &[&item_id, &template_id],
        )
        .await?
        .is_none()
    {
        return Err(AppError::NotFound("meal plan item"));
    }
    let (food_name, quantity, unit) = checked(tx, item).await?;
    let meal = item.meal.as_str();
    let updated = tx
        .execute(
            "UPDATE meal_plan_template_items SET food_item_id = $3, nutrition_data_id = $4,
                 food_name = $5, quantity = $6, unit = $7, meal_type = $8, day_of_week = $9,
                 sort_order = coalesce($10, sort_order)
             WHERE id = $1 AND meal_plan_template_id = $2",
            &[
                &item_id,
                &template_id,
                &item.food_item_id,
                &item.serving_id,
                &food_name,
                &quantity,
                &unit,
                &meal,
                &item.day_of_week,
                &item.sort_order,
            ],
        )
        .await?;
    if updated == 0 {
        return Err(AppError::forbidden(
            "this meal plan template is shared with you read-only",
        ));
    }
    one(tx, item_id).await
}

/// Removes an item from one of the caller's templates: 404 if invisible, 403 if only readable.
pub async fn delete_item(tx: &mut UserTx, template_id: Uuid, item_id: Uuid) -> AppResult<()> {
    let row = tx
        .query_one(
            "WITH d AS (DELETE FROM meal_plan_template_items
                        WHERE id = $1 AND meal_plan_template_id = $2 RETURNING 1)
             SELECT (SELECT count(*) FROM d),
                    EXISTS (SELECT 1 FROM meal_plan_template_items
                            WHERE id = $1 AND meal_plan_template_id = $2)",
            &[&item_id, &template_id],
        )
        .await?;
    let (deleted, visible): (i64, bool) = (row.get(0), row.get(1));
    match (deleted, visible) {
        (n, _) if n > 0 => Ok(()),
        (_, true) => Err(AppError::forbidden(
            "this meal plan template is shared with you read-only",
        )),
        _ => Err(AppError::NotFound("meal plan item")),
    }
}
