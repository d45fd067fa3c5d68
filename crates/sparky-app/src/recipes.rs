//! Recipes: a food of your own made of other foods. A recipe is a `food_items` row (source
//! `recipe`) with the servings it makes and its ingredients; its one serving ("1 serving") is
//! worked out from the ingredients when it is saved (`sparky_core::recipe`), each ingredient
//! exactly as logging it would be (`diary::choose_serving` and `diary::portion`). Logging a
//! recipe is logging that food, so the diary, search, recent foods and meal plans need nothing
//! of their own. Reading a recipe also works its values out again from the ingredients' foods
//! of today and says whether saving it would change them (`up_to_date`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sparky_core::nutrition::{partially_known, Nutrients};
use sparky_core::recipe::{self, Part, RecipeError, Totals};
use sparky_core::Amount;
use sparky_db::UserTx;
use tokio_postgres::types::ToSql;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::diary::{choose_serving, foods_servings, parse_quantity, portion, FoodServings};
use crate::error::{AppError, AppResult, Validation};
use crate::nutrients::{nutrient_columns, nutrients_from_row, values};
use crate::paging::{LimitBounds, Page, PageRequest};

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
    /// ("slice"), else the food's default serving.
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
    /// ingredients' weight counts, when every ingredient's is known.
    #[schema(value_type = Option<f64>, exclusive_minimum = 0, maximum = 1000000)]
    pub cooked_weight_g: Option<Amount>,
    /// The ingredients, in order (at most 100; none yet is allowed while building it).
    #[schema(max_items = 100)]
    #[serde(default)]
    pub ingredients: Vec<IngredientInput>,
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
            .map(|w| sparky_core::units::round_dp(w.decimal(), 4));
        v.check(
            cooked_weight_g.is_none_or(|w| w > Decimal::ZERO && w <= Decimal::from(1_000_000)),
            "cooked_weight_g",
            "must be greater than 0 and at most 1,000,000 (grams)",
        );
        v.check(
            self.ingredients.len() <= MAX_INGREDIENTS,
            "ingredients",
            "a recipe holds at most 100 ingredients",
        );
        let ingredients = self
            .ingredients
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
struct Worked {
    food_id: Uuid,
    food_name: String,
    serving_id: Uuid,
    quantity: Decimal,
    unit: String,
    servings: Decimal,
    part: Part,
}

/// Works one ingredient out from its food: the field of the input that is wrong, and why,
/// when it cannot be.
fn work_out(
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
async fn ingredient_foods(
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

fn serving_sql(update: bool) -> String {
    let names = Nutrients::NAMES;
    if update {
        let sets: Vec<String> = names
            .iter()
            .enumerate()
            .map(|(i, n)| format!("{n} = ${}", i + 3))
            .collect();
        format!(
            "UPDATE nutrition_data SET serving_size = 1, serving_unit = 'serving', serving_weight_g = $2,
                 is_default = true, {}
             WHERE food_item_id = $1",
            sets.join(", ")
        )
    } else {
        let placeholders: Vec<String> = (3..3 + names.len()).map(|i| format!("${i}")).collect();
        format!(
            "INSERT INTO nutrition_data (food_item_id, serving_weight_g, serving_size, serving_unit, is_default, {})
             VALUES ($1, $2, 1, 'serving', true, {})",
            names.join(", "),
            placeholders.join(", ")
        )
    }
}

/// Writes the recipe's one serving from its totals: inserts it, or updates it in place so that
/// it keeps its id (meal plan items and diary entries point at it).
async fn write_serving(tx: &mut UserTx, id: Uuid, totals: &Totals, update: bool) -> AppResult<()> {
    let nutrient_values = values(&totals.per_serving);
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&id, &totals.serving_weight_g];
    for v in &nutrient_values {
        params.push(v);
    }
    let n = tx.execute(&serving_sql(update), &params).await?;
    if n != 1 {
        return Err(AppError::internal(format!(
            "recipe {id} had {n} servings instead of one"
        )));
    }
    Ok(())
}

/// Inserts worked-out ingredients from `first_position` on, in one statement.
async fn insert_ingredients(
    tx: &mut UserTx,
    id: Uuid,
    worked: &[Worked],
    first_position: i16,
) -> AppResult<()> {
    if worked.is_empty() {
        return Ok(());
    }
    let food_ids: Vec<Uuid> = worked.iter().map(|w| w.food_id).collect();
    let serving_ids: Vec<Uuid> = worked.iter().map(|w| w.serving_id).collect();
    let names: Vec<&str> = worked.iter().map(|w| w.food_name.as_str()).collect();
    let quantities: Vec<Decimal> = worked.iter().map(|w| w.quantity).collect();
    let units: Vec<&str> = worked.iter().map(|w| w.unit.as_str()).collect();
    let positions: Vec<i16> = (0..worked.len() as i16)
        .map(|i| first_position + i)
        .collect();
    // The food's name as it is now; food names fit the column (both at most 255).
    tx.execute(
        "INSERT INTO recipe_ingredients (recipe_food_id, food_item_id, nutrition_data_id, food_name,
             quantity, unit, position)
         SELECT $1, u.food, u.serving, u.name, u.quantity, u.unit, u.position
         FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::numeric[], $6::text[], $7::int2[])
                  AS u(food, serving, name, quantity, unit, position)",
        &[&id, &food_ids, &serving_ids, &names, &quantities, &units, &positions],
    )
    .await?;
    Ok(())
}

/// Adds a recipe of the caller's own: its food, serving and ingredients, in the caller's
/// transaction.
pub async fn create(tx: &mut UserTx, r: &NewRecipe) -> AppResult<Recipe> {
    let (worked, totals) = work_out_all(tx, None, r).await?;
    let id: Uuid = tx
        .query_one(
            "INSERT INTO food_items (name, source, user_id, recipe_servings, recipe_cooked_weight_g)
             VALUES ($1, $2, auth.uid(), $3, $4) RETURNING id",
            &[&r.name, &SOURCE, &r.servings, &r.cooked_weight_g],
        )
        .await?
        .get(0);
    write_serving(tx, id, &totals, false).await?;
    insert_ingredients(tx, id, &worked, 0).await?;
    get(tx, id).await
}

/// Where a write to a recipe the caller cannot change ended up: 404 when it is not a recipe
/// visible to the caller, 403 when it is someone else's (shared with the caller).
async fn refused_write(tx: &mut UserTx, id: Uuid) -> AppError {
    match tx
        .query_opt(
            "SELECT 1 FROM food_items WHERE id = $1 AND recipe_servings IS NOT NULL",
            &[&id],
        )
        .await
    {
        Ok(Some(_)) => AppError::forbidden("only your own recipes can be changed"),
        Ok(None) => AppError::NotFound("recipe"),
        Err(e) => e.into(),
    }
}

/// Locks one of the caller's recipes for a change (concurrent changes of one recipe go one
/// after the other) and returns its servings and cooked weight; 404 or 403 otherwise.
async fn lock_own(tx: &mut UserTx, id: Uuid) -> AppResult<(Decimal, Option<Decimal>)> {
    let row = tx
        .query_opt(
            "UPDATE food_items SET updated_at = now()
             WHERE id = $1 AND user_id = auth.uid() AND recipe_servings IS NOT NULL
             RETURNING recipe_servings, recipe_cooked_weight_g",
            &[&id],
        )
        .await?;
    match row {
        Some(r) => Ok((r.get(0), r.get(1))),
        None => Err(refused_write(tx, id).await),
    }
}

/// Replaces one of the caller's recipes (name, servings, cooked weight, ingredients) and works
/// its serving out again; the serving keeps its id. Diary entries keep the values they were
/// logged with.
pub async fn update(tx: &mut UserTx, id: Uuid, r: &NewRecipe) -> AppResult<Recipe> {
    lock_own(tx, id).await?;
    let (worked, totals) = work_out_all(tx, Some(id), r).await?;
    tx.execute(
        "UPDATE food_items SET name = $2, recipe_servings = $3, recipe_cooked_weight_g = $4 WHERE id = $1",
        &[&id, &r.name, &r.servings, &r.cooked_weight_g],
    )
    .await?;
    write_serving(tx, id, &totals, true).await?;
    tx.execute(
        "DELETE FROM recipe_ingredients WHERE recipe_food_id = $1",
        &[&id],
    )
    .await?;
    insert_ingredients(tx, id, &worked, 0).await?;
    get(tx, id).await
}

/// A recipe's name, servings and cooked weight, as the web page's form changes them.
#[derive(Debug, Clone)]
pub struct Details {
    pub name: String,
    pub servings: Decimal,
    pub cooked_weight_g: Option<Decimal>,
}

impl Details {
    /// Validated as in [`RecipeInput::parse`] (same fields, same messages).
    pub fn parse(
        name: &str,
        servings: Amount,
        cooked_weight_g: Option<Amount>,
    ) -> AppResult<Details> {
        let r = RecipeInput {
            name: name.to_string(),
            servings,
            cooked_weight_g,
            ingredients: Vec::new(),
        }
        .parse()?;
        Ok(Details {
            name: r.name,
            servings: r.servings,
            cooked_weight_g: r.cooked_weight_g,
        })
    }
}

/// Changes one of the caller's recipes' name, servings and cooked weight, keeping its
/// ingredients, and works the serving out again (as [`add_ingredient`] does).
pub async fn set_details(tx: &mut UserTx, id: Uuid, d: &Details) -> AppResult<Recipe> {
    lock_own(tx, id).await?;
    let totals = totals_now(tx, id, d.servings, d.cooked_weight_g, Change::Nothing).await?;
    tx.execute(
        "UPDATE food_items SET name = $2, recipe_servings = $3, recipe_cooked_weight_g = $4 WHERE id = $1",
        &[&id, &d.name, &d.servings, &d.cooked_weight_g],
    )
    .await?;
    if let Some(totals) = totals {
        write_serving(tx, id, &totals, true).await?;
    }
    get(tx, id).await
}

/// A change to a recipe's ingredients whose totals are worked out before it is written.
enum Change<'a> {
    Nothing,
    Add(&'a Worked),
    Replace(Uuid, &'a Worked),
}

/// The recipe's totals from its stored ingredients with `change` applied, or None when some
/// ingredient cannot be worked out (then the saved serving stays, and the recipe reads as not
/// up to date). Computed before anything is written, so a refusal (a serving too rich or too
/// heavy) leaves the transaction as it was.
async fn totals_now(
    tx: &mut UserTx,
    id: Uuid,
    servings: Decimal,
    cooked: Option<Decimal>,
    change: Change<'_>,
) -> AppResult<Option<Totals>> {
    let (ingredients, worked) = stored_ingredients(tx, id).await?;
    let Some(mut parts) = ingredients
        .iter()
        .zip(worked)
        .map(|(i, w)| match change {
            Change::Replace(replaced, new) if replaced == i.id => Some(new.part.clone()),
            _ => w.map(|w| w.part),
        })
        .collect::<Option<Vec<Part>>>()
    else {
        return Ok(None);
    };
    if let Change::Add(new) = change {
        parts.push(new.part.clone());
    }
    recipe::totals(&parts, servings, cooked)
        .map(Some)
        .map_err(recipe_error)
}

/// Works a new or changed ingredient out (422 naming its own fields).
async fn work_out_one(tx: &mut UserTx, id: Uuid, ing: &NewIngredient) -> AppResult<Worked> {
    let foods = ingredient_foods(tx, std::iter::once(ing.food_item_id)).await?;
    work_out(
        Some(id),
        Some(ing.food_item_id),
        ing.serving_id,
        ing.quantity,
        ing.unit.as_deref(),
        &foods,
    )
    .map_err(|(field, problem)| AppError::invalid(field, problem))
}

/// Replaces one ingredient of one of the caller's recipes (food, serving, amount) in its
/// place, and works the serving out again.
pub async fn update_ingredient(
    tx: &mut UserTx,
    id: Uuid,
    ingredient_id: Uuid,
    ing: &NewIngredient,
) -> AppResult<Recipe> {
    let (servings, cooked) = lock_own(tx, id).await?;
    let worked = work_out_one(tx, id, ing).await?;
    let totals = totals_now(
        tx,
        id,
        servings,
        cooked,
        Change::Replace(ingredient_id, &worked),
    )
    .await?;
    let n = tx
        .execute(
            "UPDATE recipe_ingredients SET food_item_id = $3, nutrition_data_id = $4, food_name = $5,
                 quantity = $6, unit = $7
             WHERE id = $1 AND recipe_food_id = $2",
            &[
                &ingredient_id,
                &id,
                &worked.food_id,
                &worked.serving_id,
                &worked.food_name,
                &worked.quantity,
                &worked.unit,
            ],
        )
        .await?;
    if n == 0 {
        return Err(AppError::NotFound("recipe ingredient"));
    }
    if let Some(totals) = totals {
        write_serving(tx, id, &totals, true).await?;
    }
    get(tx, id).await
}

/// Adds one ingredient at the end of one of the caller's recipes (at most
/// [`MAX_INGREDIENTS`]) and works the serving out again. 422 names the ingredient's field.
pub async fn add_ingredient(tx: &mut UserTx, id: Uuid, ing: &NewIngredient) -> AppResult<Recipe> {
    let (servings, cooked) = lock_own(tx, id).await?;
    let row = tx
        .query_one(
            "SELECT count(*), coalesce(max(position) + 1, 0)::int2
             FROM recipe_ingredients WHERE recipe_food_id = $1",
            &[&id],
        )
        .await?;
    let (count, next): (i64, i16) = (row.get(0), row.get(1));
    if count >= MAX_INGREDIENTS as i64 {
        return Err(AppError::invalid(
            "food_item_id",
            "a recipe holds at most 100 ingredients",
        ));
    }
    let worked = work_out_one(tx, id, ing).await?;
    let totals = totals_now(tx, id, servings, cooked, Change::Add(&worked)).await?;
    insert_ingredients(tx, id, std::slice::from_ref(&worked), next).await?;
    if let Some(totals) = totals {
        write_serving(tx, id, &totals, true).await?;
    }
    get(tx, id).await
}

/// Removes one ingredient from one of the caller's recipes and works the serving out again.
pub async fn remove_ingredient(
    tx: &mut UserTx,
    id: Uuid,
    ingredient_id: Uuid,
) -> AppResult<Recipe> {
    let (servings, cooked) = lock_own(tx, id).await?;
    let removed = tx
        .execute(
            "DELETE FROM recipe_ingredients WHERE id = $1 AND recipe_food_id = $2",
            &[&ingredient_id, &id],
        )
        .await?;
    if removed == 0 {
        return Err(AppError::NotFound("recipe ingredient"));
    }
    // Close the gap, so positions stay 0..n-1 (the unique check waits for the commit).
    tx.execute(
        "UPDATE recipe_ingredients i SET position = o.n - 1
         FROM (SELECT id, row_number() OVER (ORDER BY position) AS n
               FROM recipe_ingredients WHERE recipe_food_id = $1) o
         WHERE i.id = o.id AND i.position <> o.n - 1",
        &[&id],
    )
    .await?;
    if let Some(totals) = totals_now(tx, id, servings, cooked, Change::Nothing).await? {
        write_serving(tx, id, &totals, true).await?;
    }
    get(tx, id).await
}

/// Deletes one of the caller's recipes with its ingredients. Diary entries keep what they
/// recorded; recipes that used it as an ingredient keep their saved values.
pub async fn delete(tx: &mut UserTx, id: Uuid) -> AppResult<()> {
    let n = tx
        .execute(
            "DELETE FROM food_items WHERE id = $1 AND user_id = auth.uid() AND recipe_servings IS NOT NULL",
            &[&id],
        )
        .await?;
    if n == 0 {
        return Err(refused_write(tx, id).await);
    }
    Ok(())
}

/// A recipe's stored ingredients in order, each with what it gives when worked out from its
/// food today (None: see the ingredient's `problem`). Two queries.
async fn stored_ingredients(
    tx: &mut UserTx,
    id: Uuid,
) -> AppResult<(Vec<Ingredient>, Vec<Option<Worked>>)> {
    let rows = tx
        .query(
            "SELECT id, food_item_id, nutrition_data_id, food_name, quantity, unit
             FROM recipe_ingredients WHERE recipe_food_id = $1 ORDER BY position, id",
            &[&id],
        )
        .await?;
    let foods = ingredient_foods(
        tx,
        rows.iter()
            .filter_map(|r| r.get::<_, Option<Uuid>>("food_item_id")),
    )
    .await?;
    let mut ingredients = Vec::with_capacity(rows.len());
    let mut worked = Vec::with_capacity(rows.len());
    for r in &rows {
        let quantity: Decimal = r.get("quantity");
        let unit: String = r.get("unit");
        let (w, problem) = match work_out(
            Some(id),
            r.get("food_item_id"),
            r.get("nutrition_data_id"),
            quantity,
            Some(&unit),
            &foods,
        ) {
            Ok(w) => (Some(w), None),
            Err((_, problem)) => (None, Some(problem)),
        };
        ingredients.push(Ingredient {
            id: r.get("id"),
            food_item_id: r.get("food_item_id"),
            nutrition_data_id: r.get("nutrition_data_id"),
            food_name: r.get("food_name"),
            quantity: Amount(quantity),
            unit,
            servings: w.as_ref().map(|w| Amount(w.servings)),
            weight_g: w
                .as_ref()
                .and_then(|w| w.part.grams)
                .map(|g| Amount(sparky_core::units::round_dp(g, 4).normalize())),
            nutrients: w.as_ref().map(|w| w.part.nutrients.clone()),
            problem,
        });
        worked.push(w);
    }
    Ok((ingredients, worked))
}

/// One recipe visible to the caller (own, or shared through a food list grant), or 404.
pub async fn get(tx: &mut UserTx, id: Uuid) -> AppResult<Recipe> {
    let head = tx
        .query_opt(
            &format!(
                "SELECT f.id, f.name, f.user_id, f.recipe_servings, f.recipe_cooked_weight_g,
                        greatest(f.updated_at, n.updated_at) AS updated_at,
                        n.id AS serving_id, n.serving_weight_g, {}
                 FROM food_items f JOIN nutrition_data n ON n.food_item_id = f.id AND n.is_default
                 WHERE f.id = $1 AND f.recipe_servings IS NOT NULL",
                nutrient_columns("n", "n_")
            ),
            &[&id],
        )
        .await?
        .ok_or(AppError::NotFound("recipe"))?;
    let (ingredients, worked) = stored_ingredients(tx, id).await?;
    let servings: Decimal = head.get("recipe_servings");
    let cooked: Option<Decimal> = head.get("recipe_cooked_weight_g");
    let per_serving = nutrients_from_row(&head, "n_");
    let serving_weight: Option<Decimal> = head.get("serving_weight_g");
    let parts: Option<Vec<Part>> = worked.into_iter().map(|w| w.map(|w| w.part)).collect();
    let up_to_date = parts
        .and_then(|parts| recipe::totals(&parts, servings, cooked).ok())
        .is_some_and(|t| {
            t.per_serving == per_serving
                && t.serving_weight_g.map(|w| w.normalize())
                    == serving_weight.map(|w| w.normalize())
        });
    let partial = partially_known(ingredients.iter().filter_map(|i| i.nutrients.as_ref()))
        .into_iter()
        .map(str::to_string)
        .collect();
    Ok(Recipe {
        id,
        name: head.get("name"),
        user_id: head.get("user_id"),
        servings: Amount(servings.normalize()),
        cooked_weight_g: cooked.map(|w| Amount(w.normalize())),
        nutrition_data_id: head.get("serving_id"),
        serving_weight_g: serving_weight.map(|w| Amount(w.normalize())),
        total: whole_recipe(&per_serving, servings),
        per_serving,
        partial,
        up_to_date,
        ingredients,
        updated_at: head.get("updated_at"),
    })
}

/// The recipes visible to the caller (own and shared with them), by name; `user_id` keeps
/// one person's.
pub async fn list(
    tx: &mut UserTx,
    user_id: Option<Uuid>,
    page: &PageRequest,
) -> AppResult<Page<RecipeSummary>> {
    let after: Option<(String, Uuid)> = page.after()?;
    let (after_name, after_id) = match &after {
        Some((n, i)) => (Some(n.as_str()), Some(*i)),
        None => (None, None),
    };
    let rows = tx
        .query(
            &format!(
                "SELECT f.id, f.name, lower(f.name) AS sort_name, f.user_id, f.recipe_servings,
                        greatest(f.updated_at, n.updated_at) AS updated_at,
                        n.id AS serving_id, n.serving_weight_g, {},
                        (SELECT count(*) FROM recipe_ingredients i WHERE i.recipe_food_id = f.id) AS ingredient_count
                 FROM food_items f JOIN nutrition_data n ON n.food_item_id = f.id AND n.is_default
                 WHERE f.recipe_servings IS NOT NULL AND f.user_id IS NOT NULL
                   AND ($1::uuid IS NULL OR f.user_id = $1)
                   AND ($2::text IS NULL OR (lower(f.name), f.id) > ($2, $3::uuid))
                 ORDER BY lower(f.name), f.id
                 LIMIT $4",
                nutrient_columns("n", "n_")
            ),
            &[&user_id, &after_name, &after_id, &page.fetch()],
        )
        .await?;
    let items: Vec<(String, RecipeSummary)> = rows
        .iter()
        .map(|r| {
            let servings: Decimal = r.get("recipe_servings");
            let summary = RecipeSummary {
                id: r.get("id"),
                name: r.get("name"),
                user_id: r.get("user_id"),
                servings: Amount(servings.normalize()),
                nutrition_data_id: r.get("serving_id"),
                serving_weight_g: r
                    .get::<_, Option<Decimal>>("serving_weight_g")
                    .map(|w| Amount(w.normalize())),
                per_serving: nutrients_from_row(r, "n_"),
                ingredient_count: r.get("ingredient_count"),
                updated_at: r.get("updated_at"),
            };
            (r.get("sort_name"), summary)
        })
        .collect();
    Ok(page
        .finish_keyset(items, |(sort_name, r)| (sort_name.clone(), r.id))
        .map(|(_, r)| r))
}
