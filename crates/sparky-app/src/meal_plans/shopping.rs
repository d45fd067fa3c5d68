//! A template's shopping list: what its items come to over some days, per food, with planned
//! recipes opened up into their ingredients (and a recipe among those into its own, down to
//! five levels).

use std::collections::HashMap;

use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sparky_core::shopping::{shopping_list, Need};
use sparky_core::units::round_dp;
use sparky_core::{Amount, Date};
use sparky_db::UserTx;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::apply::MAX_APPLY_DAYS;
use super::items::{load, Of, Planned};
use super::template_row;
use crate::acting::Acting;
use crate::error::{AppError, AppResult};

/// Days a list covers when only `from` (or nothing) is given: a week.
pub const DEFAULT_SHOPPING_DAYS: u64 = 7;

/// The days to shop for.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ShoppingQuery {
    /// First day (default: today in your timezone).
    pub from: Option<Date>,
    /// Last day, inclusive, at most 30 days after `from` (default: a week from `from`).
    pub to: Option<Date>,
}

/// One thing to buy.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShoppingItem {
    /// Null when the food was deleted since (the item keeps its name).
    pub food_item_id: Option<Uuid>,
    pub name: String,
    pub brand: Option<String>,
    /// In `unit`, 2 places: grams when every planned amount of the food has a known weight,
    /// else one line per unit it was planned in.
    #[schema(value_type = f64)]
    pub amount: Amount,
    pub unit: String,
    /// The weight, when known (2 places).
    #[schema(value_type = Option<f64>)]
    pub weight_g: Option<Amount>,
    /// The planned recipes it is an ingredient of.
    pub recipes: Vec<String>,
    /// Some of `amount` is planned as this food itself (false: only as an ingredient).
    pub planned_as_itself: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShoppingList {
    pub meal_plan_template_id: Uuid,
    pub name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// By name; at most one line per planned amount (50 items, each recipe up to 100
    /// ingredients).
    #[schema(max_items = 5000)]
    pub items: Vec<ShoppingItem>,
}

impl ShoppingQuery {
    /// The first and last day; `today` is the first when no `from` is given.
    pub fn days(&self, today: NaiveDate) -> AppResult<(NaiveDate, NaiveDate)> {
        let from = self.from.map(Date::get).unwrap_or(today);
        let to = match self.to {
            Some(to) => to.get(),
            None => from
                .checked_add_days(Days::new(DEFAULT_SHOPPING_DAYS - 1))
                .ok_or_else(|| AppError::invalid("from", "is too late"))?,
        };
        if to < from {
            return Err(AppError::invalid("to", "must not be before the first day"));
        }
        let days = (to - from).num_days() + 1;
        if days > MAX_APPLY_DAYS as i64 {
            return Err(AppError::invalid(
                "to",
                format!("the range is {days} days; a list covers at most {MAX_APPLY_DAYS}"),
            ));
        }
        Ok((from, to))
    }
}

/// What `template_id` needs from `from` to `to` (both included): each item as many times as
/// its weekday (or every day) comes up, added up per food. 404 for a template you cannot see.
pub async fn shopping(
    tx: &mut UserTx,
    acting: Acting,
    template_id: Uuid,
    query: &ShoppingQuery,
) -> AppResult<ShoppingList> {
    let (from, to) = match query.from {
        Some(from) => query.days(from.get())?,
        None => query.days(crate::days::today(tx, acting).await?)?,
    };
    let template = template_row(tx, template_id).await?;
    let items = load(tx, Of::Template(template_id)).await?;
    // How often each weekday (0 = Monday) comes up in the range.
    let mut weekdays = [0u32; 7];
    for d in from.iter_days().take_while(|d| *d <= to) {
        weekdays[d.weekday().num_days_from_monday() as usize] += 1;
    }
    let every_day: u32 = weekdays.iter().sum();
    let planned: Vec<(u32, &super::PlanItem, Option<&Planned>)> = items
        .iter()
        .map(|(item, p)| {
            let times = match item.day_of_week {
                Some(d) => weekdays.get(d as usize).copied().unwrap_or(0),
                None => every_day,
            };
            (times, item, p.as_ref())
        })
        .filter(|(times, _, _)| *times > 0)
        .collect();
    let recipes = recipes_of(tx, &planned).await?;
    let mut needs = Vec::new();
    for (times, item, p) in planned {
        let times = Decimal::from(times);
        let Some(p) = p else {
            // The food is gone (or hidden): still bought, by the name and amount planned.
            needs.push(Need {
                key: format!("name:{}", item.food_name.to_lowercase()),
                name: item.food_name.clone(),
                brand: None,
                amount: item.quantity.decimal() * times,
                unit: item.unit.clone(),
                grams: None,
                recipe: None,
            });
            continue;
        };
        let food_id = item.food_item_id.unwrap_or_default();
        match recipes.get(&food_id).filter(|r| r.servings > Decimal::ZERO) {
            Some(recipe) => {
                // The share of the whole recipe: its one serving is 1 / recipe_servings.
                let share = p.servings * times / recipe.servings;
                let mut opening = Vec::new();
                open_recipe(
                    &recipes,
                    food_id,
                    share,
                    &item.food_name,
                    &mut opening,
                    &mut needs,
                );
            }
            None => needs.push(Need {
                key: food_id.to_string(),
                name: item.food_name.clone(),
                brand: p.brand.clone(),
                amount: p.quantity * times,
                unit: p.unit.clone(),
                grams: sparky_core::recipe::grams_of(&p.serving, p.servings * times),
                recipe: None,
            }),
        }
    }
    let items = shopping_list(&needs)
        .into_iter()
        .map(|l| ShoppingItem {
            food_item_id: l.key.parse().ok(),
            name: l.name,
            brand: l.brand,
            amount: Amount(round_dp(l.amount, 2).normalize()),
            unit: l.unit,
            weight_g: l.grams.map(|g| Amount(round_dp(g, 2).normalize())),
            recipes: l.recipes,
            planned_as_itself: l.planned_as_itself,
        })
        .collect();
    Ok(ShoppingList {
        meal_plan_template_id: template.id,
        name: template.name,
        from,
        to,
        items,
    })
}

/// A planned recipe: the servings it makes and its ingredients, each as stored (quantity and
/// unit) with its weight and servings when known.
struct RecipeNeeds {
    servings: Decimal,
    ingredients: Vec<Ingredient>,
}

struct Ingredient {
    food_id: Option<Uuid>,
    key: String,
    name: String,
    brand: Option<String>,
    quantity: Decimal,
    unit: String,
    grams: Option<Decimal>,
    /// Servings of its food the recipe uses (to open a recipe inside it).
    servings: Option<Decimal>,
}

/// Recipes inside recipes opened up at most this deep; deeper ones are listed as themselves.
const MAX_RECIPE_DEPTH: usize = 5;

/// What `share` of `recipe_id` (the planned recipe `planned`) needs: its ingredients, a recipe
/// among them opened up in turn for the share of it used (not one already being opened: a
/// recipe cannot need itself, however deep).
fn open_recipe(
    recipes: &HashMap<Uuid, RecipeNeeds>,
    recipe_id: Uuid,
    share: Decimal,
    planned: &str,
    opening: &mut Vec<Uuid>,
    needs: &mut Vec<Need>,
) {
    let Some(recipe) = recipes.get(&recipe_id) else {
        return;
    };
    opening.push(recipe_id);
    for ing in &recipe.ingredients {
        let inner = ing
            .food_id
            .filter(|id| !opening.contains(id) && opening.len() < MAX_RECIPE_DEPTH)
            .and_then(|id| Some((id, recipes.get(&id)?, ing.servings?)))
            .filter(|(_, r, _)| r.servings > Decimal::ZERO);
        match inner {
            Some((id, inner, servings)) => open_recipe(
                recipes,
                id,
                share * servings / inner.servings,
                planned,
                opening,
                needs,
            ),
            None => needs.push(Need {
                key: ing.key.clone(),
                name: ing.name.clone(),
                brand: ing.brand.clone(),
                amount: ing.quantity * share,
                unit: ing.unit.clone(),
                grams: ing.grams.map(|g| g * share),
                recipe: Some(planned.to_string()),
            }),
        }
    }
    opening.pop();
}

/// The recipes among the planned foods with their ingredients, and the recipes among those
/// ingredients, down to [`MAX_RECIPE_DEPTH`]: three queries a level (none when no planned food
/// is a recipe).
async fn recipes_of(
    tx: &mut UserTx,
    planned: &[(u32, &super::PlanItem, Option<&Planned>)],
) -> AppResult<HashMap<Uuid, RecipeNeeds>> {
    let mut ids: Vec<Uuid> = planned
        .iter()
        .filter(|(_, _, p)| p.is_some())
        .filter_map(|(_, item, _)| item.food_item_id)
        .collect();
    let mut out: HashMap<Uuid, RecipeNeeds> = HashMap::new();
    let mut asked: std::collections::HashSet<Uuid> = std::collections::HashSet::new();
    for _ in 0..MAX_RECIPE_DEPTH {
        ids.retain(|id| asked.insert(*id));
        ids.sort();
        ids.dedup();
        if ids.is_empty() {
            break;
        }
        let level = recipes_level(tx, &ids).await?;
        ids = level
            .values()
            .flat_map(|r| r.ingredients.iter().filter_map(|i| i.food_id))
            .collect();
        out.extend(level);
    }
    Ok(out)
}

/// The recipes among `ids` with their ingredients.
async fn recipes_level(tx: &mut UserTx, ids: &[Uuid]) -> AppResult<HashMap<Uuid, RecipeNeeds>> {
    let mut out = HashMap::new();
    let rows = tx
        .query(
            "SELECT id, recipe_servings FROM food_items
             WHERE id = ANY($1) AND recipe_servings IS NOT NULL",
            &[&ids],
        )
        .await?;
    if rows.is_empty() {
        return Ok(out);
    }
    for r in &rows {
        out.insert(
            r.get::<_, Uuid>("id"),
            RecipeNeeds {
                servings: r.get("recipe_servings"),
                ingredients: Vec::new(),
            },
        );
    }
    let recipe_ids: Vec<Uuid> = out.keys().copied().collect();
    let rows = tx
        .query(
            "SELECT recipe_food_id, food_item_id, nutrition_data_id, food_name, quantity, unit
             FROM recipe_ingredients WHERE recipe_food_id = ANY($1)
             ORDER BY recipe_food_id, position, id",
            &[&recipe_ids],
        )
        .await?;
    let foods = crate::recipes::ingredient_foods(
        tx,
        rows.iter()
            .filter_map(|r| r.get::<_, Option<Uuid>>("food_item_id")),
    )
    .await?;
    for r in &rows {
        let recipe_id: Uuid = r.get("recipe_food_id");
        let food_id: Option<Uuid> = r.get("food_item_id");
        let name: String = r.get("food_name");
        let quantity: Decimal = r.get("quantity");
        let unit: String = r.get("unit");
        // Its weight as the recipe works it out; unknown when the food is gone or hidden.
        let worked = crate::recipes::work_out(
            Some(recipe_id),
            food_id,
            r.get("nutrition_data_id"),
            quantity,
            Some(&unit),
            &foods,
        )
        .ok();
        let ingredient = Ingredient {
            food_id,
            key: food_id
                .map(|id| id.to_string())
                .unwrap_or_else(|| format!("name:{}", name.to_lowercase())),
            brand: food_id
                .and_then(|id| foods.get(&id))
                .and_then(|f| f.brand.clone()),
            name,
            quantity,
            unit,
            grams: worked.as_ref().and_then(|w| w.part.grams),
            servings: worked.as_ref().map(|w| w.servings),
        };
        if let Some(recipe) = out.get_mut(&recipe_id) {
            recipe.ingredients.push(ingredient);
        }
    }
    Ok(out)
}
