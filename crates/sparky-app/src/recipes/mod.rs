//! Recipes: a food of your own made of other foods. A recipe is a `food_items` row (source
//! `recipe`) with the servings it makes and its ingredients; its one serving ("1 serving") is
//! worked out from the ingredients when it is saved (`sparky_core::recipe`), each ingredient
//! exactly as logging it would be (`diary::choose_serving` and `diary::portion`). Logging a
//! recipe is logging that food, so the diary, search, recent foods and meal plans need nothing
//! of their own. Reading a recipe also works its values out again from the ingredients' foods
//! of today and says whether saving it would change them (`up_to_date`).
//!
//! Here: the input and output types and working one ingredient out; the operations are in
//! `write` (create, replace, change, delete) and `read` (one recipe, the list).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sparky_core::nutrition::Nutrients;
use sparky_core::recipe::{self, Part, RecipeError, Totals};
use sparky_core::{Amount, Date, MealType};
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::diary::{choose_serving, foods_servings, parse_quantity, portion, FoodServings};
use crate::error::{AppError, AppResult, Validation};
use crate::paging::{LimitBounds, Page};

mod read;
mod write;

pub use read::{ensure_visible, get, list};
pub use write::{
    add_ingredient, copy, create, delete, from_meal, put, remove_ingredient, set_details, update,
    update_ingredient, Details,
};

/// Ingredients one recipe may hold.
pub const MAX_INGREDIENTS: usize = 100;
/// Bounds of a page of `GET /api/v1/recipes`.
pub const LIST_LIMIT: LimitBounds = LimitBounds::new(50, 200);
/// The `source` of a recipe's food row.
pub const SOURCE: &str = "recipe";

/// An ingredient as `POST /api/v1/recipes` takes it: a food, which serving, how much.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IngredientInput {
    /// A food you can see: the catalog, your own foods (other recipes too) or foods shared
    /// with you.
    pub food_item_id: Uuid,
    /// Which serving `quantity` refers to. Default: the serving whose own unit is `unit`
    /// ("slice"), else the default serving, else one `unit` converts to (tbsp → a cup serving).
    pub nutrition_data_id: Option<Uuid>,
    /// How much, in `unit`; greater than zero, at most 1,000,000.
    #[schema(value_type = f64, exclusive_minimum = 0, maximum = 1000000)]
    pub quantity: Amount,
    /// g, kg, mg, oz, lb, ml, l, tsp, tbsp, cup, fl oz, serving, or the serving's own unit
    /// word ("slice"). Default: servings.
    #[schema(max_length = 100)]
    pub unit: Option<String>,
}

/// A recipe as `POST` and `PUT /api/v1/recipes` take it.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecipeInput {
    #[schema(min_length = 1, max_length = 255)]
    pub name: String,
    /// How many servings the recipe makes; greater than 0, at most 1000.
    #[schema(value_type = f64, exclusive_minimum = 0, maximum = 1000)]
    pub servings: Amount,
    /// The whole dish's weight after cooking, in grams, if weighed: a serving's weight (so the
    /// recipe can be logged in grams) is this divided by `servings`. Without it the
    /// ingredients' weight counts, when every ingredient's is known. Left out of a `PUT`, the
    /// recipe keeps its cooked weight; `null` clears it.
    #[schema(value_type = Option<f64>, nullable, exclusive_minimum = 0, maximum = 1000000)]
    #[serde(default, deserialize_with = "crate::profile::present")]
    pub cooked_weight_g: Option<Option<Amount>>,
    /// The ingredients, in order (at most 100; none yet is allowed while building it). Left
    /// out of a `PUT`, the recipe keeps its ingredients; sent, they replace them.
    #[schema(max_items = 100)]
    #[serde(default)]
    pub ingredients: Option<Vec<IngredientInput>>,
}

/// `POST /api/v1/recipes/{id}/copy`: a recipe of your own with the same servings and
/// ingredients as one you can see (yours, or one shared with you).
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyInput {
    /// The copy's name. Default: the recipe's, with " (copy)" when it is your own.
    #[schema(min_length = 1, max_length = 255)]
    pub name: Option<String>,
}

/// `POST /api/v1/recipes/from-diary`: a recipe of your own from a meal you logged, each entry
/// an ingredient with the food, serving, amount and unit it was logged with ("save this meal").
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FromMealInput {
    /// The day of the meal in your diary.
    pub date: Date,
    pub meal_type: MealType,
    #[schema(min_length = 1, max_length = 255)]
    pub name: String,
    /// How many servings the meal makes; greater than 0, at most 1000. Default 1: logging one
    /// serving logs the whole meal again.
    #[schema(value_type = Option<f64>, exclusive_minimum = 0, maximum = 1000)]
    pub servings: Option<Amount>,
    /// The dish's weight after cooking, in grams, if weighed (see `RecipeInput`).
    #[schema(value_type = Option<f64>, exclusive_minimum = 0, maximum = 1000000)]
    pub cooked_weight_g: Option<Amount>,
    /// Read this person's diary: a family member who shares theirs with you (`calorie` or
    /// `reports`), e.g. the dinner someone else at home cooked and logged. Their own foods are
    /// ingredients only when they share their food list with you too. Default: your diary.
    pub from_user_id: Option<Uuid>,
}

/// A validated [`FromMealInput`]: the recipe's details and the meal to read.
#[derive(Debug, Clone)]
pub struct FromMeal {
    pub date: chrono::NaiveDate,
    pub meal_type: MealType,
    pub details: Details,
    pub from_user_id: Option<Uuid>,
}

impl FromMealInput {
    pub fn parse(&self) -> AppResult<FromMeal> {
        let details = Details::parse(
            &self.name,
            self.servings.unwrap_or(Amount(Decimal::ONE)),
            self.cooked_weight_g,
        )?;
        Ok(FromMeal {
            date: self.date.get(),
            meal_type: self.meal_type,
            details,
            from_user_id: self.from_user_id,
        })
    }
}

/// A validated ingredient (its food is checked when the recipe is saved).
#[derive(Debug, Clone)]
pub struct NewIngredient {
    pub food_item_id: Uuid,
    pub serving_id: Option<Uuid>,
    pub quantity: Decimal,
    pub unit: Option<String>,
}

/// A validated [`RecipeInput`].
#[derive(Debug, Clone)]
pub struct NewRecipe {
    pub name: String,
    pub servings: Decimal,
    pub cooked_weight_g: Option<Decimal>,
    pub ingredients: Vec<NewIngredient>,
}

impl IngredientInput {
    /// Checks the amount and unit, naming fields `<prefix>quantity` and `<prefix>unit`.
    fn check(&self, prefix: &str, v: &mut Validation) -> NewIngredient {
        let quantity = v.take(parse_quantity(&format!("{prefix}quantity"), self.quantity));
        let unit = self
            .unit
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_string);
        if unit.as_ref().is_some_and(|u| u.chars().count() > 100) {
            v.add(&format!("{prefix}unit"), "must be at most 100 characters");
        }
        NewIngredient {
            food_item_id: self.food_item_id,
            serving_id: self.nutrition_data_id,
            quantity: quantity.unwrap_or_default(),
            unit,
        }
    }

    /// One ingredient on its own (`POST /api/v1/recipes/{id}/ingredients`).
    pub fn parse(&self) -> AppResult<NewIngredient> {
        let mut v = Validation::new();
        let ing = self.check("", &mut v);
        v.finish()?;
        Ok(ing)
    }
}

impl RecipeInput {
    pub fn parse(&self) -> AppResult<NewRecipe> {
        let mut v = Validation::new();
        let name = self.name.trim().to_string();
        v.check(
            !name.is_empty() && name.chars().count() <= 255,
            "name",
            "must be 1 to 255 characters",
        );
        let servings = sparky_core::units::round_dp(self.servings.decimal(), 4);
        v.check(
            servings > Decimal::ZERO && servings <= recipe::MAX_SERVINGS,
            "servings",
            "must be greater than 0 and at most 1000",
        );
        let cooked_weight_g = self
            .cooked_weight_g
            .flatten()
            .map(|w| sparky_core::units::round_dp(w.decimal(), 4));
        v.check(
            cooked_weight_g.is_none_or(|w| w > Decimal::ZERO && w <= Decimal::from(1_000_000)),
            "cooked_weight_g",
            "must be greater than 0 and at most 1,000,000 (grams)",
        );
        let given = self.ingredients.as_deref().unwrap_or_default();
        v.check(
            given.len() <= MAX_INGREDIENTS,
            "ingredients",
            "a recipe holds at most 100 ingredients",
        );
        let ingredients = given
            .iter()
            .take(MAX_INGREDIENTS)
            .enumerate()
            .map(|(i, ing)| ing.check(&format!("ingredients[{i}]."), &mut v))
            .collect();
        v.finish()?;
        Ok(NewRecipe {
            name,
            servings,
            cooked_weight_g,
            ingredients,
        })
    }
}

/// An ingredient of a saved recipe, with what it gives when worked out from its food today.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ingredient {
    pub id: Uuid,
    /// Null when the food was deleted since; replace the ingredient to save the recipe again.
    pub food_item_id: Option<Uuid>,
    pub nutrition_data_id: Option<Uuid>,
    pub food_name: String,
    #[schema(value_type = f64)]
    pub quantity: Amount,
    pub unit: String,
    /// How many of the food's servings that is.
    #[schema(value_type = Option<f64>)]
    pub servings: Option<Amount>,
    /// Its weight in grams, when known.
    #[schema(value_type = Option<f64>)]
    pub weight_g: Option<Amount>,
    /// Its nutrients from the food's values of today; null when they cannot be worked out (see
    /// `problem`).
    pub nutrients: Option<Nutrients>,
    /// Why the ingredient cannot be worked out, if it cannot.
    pub problem: Option<String>,
}

/// A recipe with its ingredients.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Recipe {
    /// The recipe's food id: log it like any food (`POST /api/v1/diary`).
    pub id: Uuid,
    pub name: String,
    /// Owner.
    pub user_id: Option<Uuid>,
    #[schema(value_type = f64)]
    pub servings: Amount,
    #[schema(value_type = Option<f64>)]
    pub cooked_weight_g: Option<Amount>,
    /// The serving to log ("1 serving", weighing `serving_weight_g` when known).
    pub nutrition_data_id: Uuid,
    /// One serving's weight in grams, when known (then it can be logged in grams too).
    #[schema(value_type = Option<f64>)]
    pub serving_weight_g: Option<Amount>,
    /// One serving as saved: what logging it records.
    pub per_serving: Nutrients,
    /// The whole recipe: `per_serving` × `servings`.
    pub total: Nutrients,
    /// Nutrients only some ingredients know: the recipe's values of them are lower bounds.
    pub partial: Vec<String>,
    /// Whether saving the recipe again now would keep `per_serving` and the serving weight:
    /// false when an ingredient's food changed, was deleted or is no longer visible.
    pub up_to_date: bool,
    pub ingredients: Vec<Ingredient>,
    pub updated_at: DateTime<Utc>,
}

/// A recipe in a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecipeSummary {
    pub id: Uuid,
    pub name: String,
    pub user_id: Option<Uuid>,
    #[schema(value_type = f64)]
    pub servings: Amount,
    pub nutrition_data_id: Uuid,
    #[schema(value_type = Option<f64>)]
    pub serving_weight_g: Option<Amount>,
    pub per_serving: Nutrients,
    pub ingredient_count: i64,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecipePage {
    pub items: Vec<RecipeSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl From<Page<RecipeSummary>> for RecipePage {
    fn from(p: Page<RecipeSummary>) -> RecipePage {
        RecipePage {
            items: p.items,
            next_cursor: p.next_cursor,
        }
    }
}

/// One ingredient worked out: what it stores and what it gives.
pub(crate) struct Worked {
    food_id: Uuid,
    food_name: String,
    serving_id: Uuid,
    quantity: Decimal,
    unit: String,
    pub(crate) servings: Decimal,
    pub(crate) part: Part,
}

/// Works one ingredient out from its food: the field of the input that is wrong, and why,
/// when it cannot be.
pub(crate) fn work_out(
    recipe_id: Option<Uuid>,
    food_item_id: Option<Uuid>,
    serving_id: Option<Uuid>,
    quantity: Decimal,
    unit: Option<&str>,
    foods: &HashMap<Uuid, FoodServings>,
) -> Result<Worked, (&'static str, String)> {
    let food_id =
        food_item_id.ok_or(("food_item_id", "the food was deleted; replace it".into()))?;
    if Some(food_id) == recipe_id {
        return Err(("food_item_id", "a recipe cannot contain itself".into()));
    }
    let food = foods.get(&food_id).ok_or((
        "food_item_id",
        "no such food is visible to you (or it has no serving)".into(),
    ))?;
    let chosen = choose_serving(&food.servings, serving_id, unit).map_err(|_| {
        (
            "nutrition_data_id",
            "this food has no such serving".to_string(),
        )
    })?;
    let p = portion(&chosen.serving, quantity, unit).map_err(|e| {
        let field = match &e {
            AppError::Invalid(f) if f.0.contains_key("quantity") => "quantity",
            _ => "unit",
        };
        (field, e.into_problem())
    })?;
    let grams = recipe::grams_of(&chosen.serving, p.servings);
    Ok(Worked {
        food_id,
        food_name: food.name.clone(),
        serving_id: chosen.id,
        quantity: p.quantity,
        unit: p.unit,
        servings: p.servings,
        part: Part {
            nutrients: p.nutrients,
            grams,
            custom: crate::custom_nutrients::times(&chosen.custom, p.servings),
        },
    })
}

/// `per_serving` × `servings`, at the stored precision.
fn whole_recipe(per_serving: &Nutrients, servings: Decimal) -> Nutrients {
    let one = sparky_core::nutrition::Serving {
        size: Decimal::ONE,
        unit: "serving".into(),
        weight_g: None,
        nutrients: per_serving.clone(),
    };
    // Values ≤ 100,000 × servings ≤ 1000: no overflow.
    sparky_core::nutrition::nutrients_of_servings(servings, &one).unwrap_or_default()
}

fn recipe_error(e: RecipeError) -> AppError {
    let field = match e {
        RecipeError::InvalidServings
        | RecipeError::ServingTooRich(_)
        | RecipeError::ServingTooHeavy => "servings",
    };
    AppError::invalid(field, e.to_string())
}

/// The ingredients' foods, one query.
pub(crate) async fn ingredient_foods(
    tx: &mut UserTx,
    ids: impl Iterator<Item = Uuid>,
) -> AppResult<HashMap<Uuid, FoodServings>> {
    let mut ids: Vec<Uuid> = ids.collect();
    ids.sort();
    ids.dedup();
    foods_servings(tx, &ids).await
}

/// Works every ingredient out (422 naming `ingredients[i].<field>` for each that cannot be)
/// and the recipe's totals.
async fn work_out_all(
    tx: &mut UserTx,
    recipe_id: Option<Uuid>,
    r: &NewRecipe,
) -> AppResult<(Vec<Worked>, Totals)> {
    let foods = ingredient_foods(tx, r.ingredients.iter().map(|i| i.food_item_id)).await?;
    let mut v = Validation::new();
    let mut worked = Vec::new();
    for (i, ing) in r.ingredients.iter().enumerate() {
        match work_out(
            recipe_id,
            Some(ing.food_item_id),
            ing.serving_id,
            ing.quantity,
            ing.unit.as_deref(),
            &foods,
        ) {
            Ok(w) => worked.push(w),
            Err((field, problem)) => v.add(&format!("ingredients[{i}].{field}"), problem),
        }
    }
    v.finish()?;
    let parts: Vec<Part> = worked.iter().map(|w| w.part.clone()).collect();
    let totals = recipe::totals(&parts, r.servings, r.cooked_weight_g).map_err(recipe_error)?;
    Ok((worked, totals))
}
