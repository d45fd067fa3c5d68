//! The tools that save a recipe: the same operations as `POST /api/v1/recipes` and
//! `POST /api/v1/recipes/from-diary`.

use serde::Deserialize;
use serde_json::json;
use sparky_core::{Amount, MealType};
use sparky_db::UserTx;
use uuid::Uuid;

use super::actions::{Card, Undo};
use crate::error::AppResult;
use crate::recipes::{self, FromMealInput, IngredientInput, Recipe, RecipeInput};

use super::{acting, date_value, day_arg, kcal, to_value, write_card, ToolContext, ToolOutput};

#[derive(Deserialize)]
pub(super) struct IngredientArgs {
    food_id: Uuid,
    quantity: Amount,
    unit: Option<String>,
    serving_id: Option<Uuid>,
}

#[derive(Deserialize)]
pub(super) struct RecipeArgs {
    name: String,
    servings: Amount,
    cooked_weight_g: Option<Amount>,
    ingredients: Vec<IngredientArgs>,
}

pub(super) async fn create_recipe(
    tx: &mut UserTx,
    ctx: &ToolContext,
    a: RecipeArgs,
) -> AppResult<ToolOutput> {
    let input = RecipeInput {
        name: a.name,
        servings: a.servings,
        cooked_weight_g: Some(a.cooked_weight_g),
        ingredients: Some(
            a.ingredients
                .into_iter()
                .map(|i| IngredientInput {
                    food_item_id: i.food_id,
                    nutrition_data_id: i.serving_id,
                    quantity: i.quantity,
                    unit: i.unit,
                })
                .collect(),
        ),
    };
    let r = recipes::create(tx, &input.parse()?).await?;
    saved(tx, ctx, "create_recipe", r).await
}

#[derive(Deserialize)]
pub(super) struct FromMealArgs {
    meal: MealType,
    date: Option<String>,
    name: String,
    servings: Option<Amount>,
}

pub(super) async fn save_meal_as_recipe(
    tx: &mut UserTx,
    ctx: &ToolContext,
    a: FromMealArgs,
) -> AppResult<ToolOutput> {
    let date = day_arg(tx, acting(None), a.date.as_deref()).await?;
    let input = FromMealInput {
        date: date_value(date)?,
        meal_type: a.meal,
        name: a.name,
        servings: a.servings,
        cooked_weight_g: None,
        from_user_id: None,
    };
    let r = recipes::from_meal(tx, &input.parse()?).await?;
    saved(tx, ctx, "save_meal_as_recipe", r).await
}

/// The card and result of a saved recipe, with its Undo.
async fn saved(tx: &mut UserTx, ctx: &ToolContext, tool: &str, r: Recipe) -> AppResult<ToolOutput> {
    let mut lines: Vec<String> = r
        .ingredients
        .iter()
        .map(|i| {
            let amount = format!("{} {}", i.quantity.0.normalize(), i.unit);
            match &i.nutrients {
                Some(n) => format!("{} — {amount}: {}", i.food_name, kcal(n)),
                None => format!("{} — {amount}", i.food_name),
            }
        })
        .collect();
    lines.push(format!(
        "One of {} servings: {}",
        r.servings.0.normalize(),
        kcal(&r.per_serving)
    ));
    let card = Card {
        action_id: None,
        proposal_id: None,
        tool: tool.into(),
        title: format!("Recipe saved: {}", r.name),
        lines,
        user_id: r.user_id.unwrap_or_default(),
        written: to_value(&r),
    };
    let result = json!({"recipe_id": r.id, "name": r.name, "servings": r.servings,
                        "serving_weight_g": r.serving_weight_g, "per_serving": r.per_serving,
                        "partial": r.partial});
    write_card(tx, ctx, tool, Undo::DeleteRecipe { id: r.id }, card, result).await
}
