//! The tool that saves a recipe: the same operation as `POST /api/v1/recipes`.

use serde::Deserialize;
use serde_json::json;
use sparky_core::Amount;
use sparky_db::UserTx;
use uuid::Uuid;

use super::actions::{Card, Undo};
use crate::error::AppResult;
use crate::recipes::{self, IngredientInput, RecipeInput};

use super::{kcal, to_value, write_card, ToolContext, ToolOutput};

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
        cooked_weight_g: a.cooked_weight_g,
        ingredients: a
            .ingredients
            .into_iter()
            .map(|i| IngredientInput {
                food_item_id: i.food_id,
                nutrition_data_id: i.serving_id,
                quantity: i.quantity,
                unit: i.unit,
            })
            .collect(),
    };
    let r = recipes::create(tx, &input.parse()?).await?;
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
        tool: "create_recipe".into(),
        title: format!("Recipe saved: {}", r.name),
        lines,
        user_id: r.user_id.unwrap_or_default(),
        written: to_value(&r),
    };
    let result = json!({"recipe_id": r.id, "name": r.name, "servings": r.servings,
                        "serving_weight_g": r.serving_weight_g, "per_serving": r.per_serving,
                        "partial": r.partial});
    write_card(
        tx,
        ctx,
        "create_recipe",
        Undo::DeleteRecipe { id: r.id },
        card,
        result,
    )
    .await
}
