//! Writing recipes: create, replace, change details or one ingredient, delete. Every change
//! locks the recipe's row first and works its totals out before writing anything, so a
//! refusal leaves the transaction as it was.

use rust_decimal::Decimal;
use sparky_core::nutrition::Nutrients;
use sparky_core::recipe::{self, Part, Totals};
use sparky_core::Amount;
use sparky_db::UserTx;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::read::{get, stored_ingredients};
use super::{
    ingredient_foods, recipe_error, work_out, work_out_all, CopyInput, FromMeal, NewIngredient,
    NewRecipe, Recipe, RecipeInput, Worked, MAX_INGREDIENTS, SOURCE,
};
use crate::acting::{Acting, Area, OWNER};
use crate::error::{AppError, AppResult};
use crate::nutrients::values;

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
                 is_default = true, custom_nutrients = ${}::jsonb, {}
             WHERE food_item_id = $1",
            3 + names.len(),
            sets.join(", ")
        )
    } else {
        let placeholders: Vec<String> = (3..3 + names.len()).map(|i| format!("${i}")).collect();
        format!(
            "INSERT INTO nutrition_data (food_item_id, serving_weight_g, serving_size, serving_unit, is_default,
                 custom_nutrients, {})
             VALUES ($1, $2, 1, 'serving', true, ${}::jsonb, {})",
            names.join(", "),
            3 + names.len(),
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
    let custom = crate::custom_nutrients::to_json(&totals.custom_per_serving);
    params.push(&custom);
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

/// Makes a recipe of the caller's own from one they can see (theirs, or one shared with them
/// through a food list grant): the same servings, cooked weight and ingredients, worked out
/// again from their foods of today. 422 when an ingredient's food is gone.
pub async fn copy(tx: &mut UserTx, id: Uuid, c: &CopyInput) -> AppResult<Recipe> {
    let from = get(tx, id).await?;
    if let Some(i) = from
        .ingredients
        .iter()
        .position(|i| i.food_item_id.is_none())
    {
        return Err(AppError::invalid(
            &format!("ingredients[{i}].food_item_id"),
            "this ingredient's food was deleted; replace it in the recipe before copying it",
        ));
    }
    let me = tx.user_id().await?;
    let name = match c.name.as_deref() {
        Some(n) => n.to_string(),
        None if from.user_id == Some(me) => {
            let base: String = from.name.chars().take(248).collect();
            format!("{base} (copy)")
        }
        None => from.name.clone(),
    };
    let input = RecipeInput {
        name,
        servings: from.servings,
        cooked_weight_g: Some(from.cooked_weight_g),
        ingredients: Some(
            from.ingredients
                .iter()
                .map(|i| super::IngredientInput {
                    food_item_id: i.food_item_id.unwrap_or_default(),
                    nutrition_data_id: i.nutrition_data_id,
                    quantity: i.quantity,
                    unit: Some(i.unit.clone()),
                })
                .collect(),
        ),
    };
    create(tx, &input.parse()?).await
}

/// Makes a recipe of the caller's own from a meal in their diary, or in the diary of a family
/// member who shares it ("save this meal"): each entry becomes an ingredient with the food,
/// serving, amount and unit it was logged with, in the order they were eaten. 404 for a diary
/// that is not shared with the caller (row level security hides its entries); 422 naming
/// `meal_type` when the meal is empty, too big, or holds an entry whose food the caller cannot
/// use (a quick add, a deleted food, someone's own food not shared with the caller).
pub async fn from_meal(tx: &mut UserTx, m: &FromMeal) -> AppResult<Recipe> {
    let rows = tx
        .query(
            &format!(
                "SELECT d.food_item_id, d.nutrition_data_id, d.food_name, d.quantity, d.unit
                 FROM food_diary d
                 WHERE d.user_id = {OWNER} AND d.entry_date = $2 AND d.meal_type = $3
                 ORDER BY d.consumed_at, d.created_at, d.id
                 LIMIT $4"
            ),
            &[
                &m.from_user_id,
                &m.date,
                &m.meal_type.as_str(),
                &(MAX_INGREDIENTS as i64 + 1),
            ],
        )
        .await?;
    let meal = m.meal_type.as_str();
    if rows.is_empty() {
        Acting::new(m.from_user_id)
            .ensure_visible(tx, Area::Diary)
            .await?;
        return Err(AppError::invalid(
            "meal_type",
            format!("nothing is logged for {meal} on {}", m.date),
        ));
    }
    if rows.len() > MAX_INGREDIENTS {
        return Err(AppError::invalid(
            "meal_type",
            format!("{meal} on {} has more than {MAX_INGREDIENTS} entries; a recipe holds at most {MAX_INGREDIENTS} ingredients", m.date),
        ));
    }
    let names: Vec<String> = rows.iter().map(|r| r.get("food_name")).collect();
    let foodless: Vec<&str> = rows
        .iter()
        .zip(&names)
        .filter(|(r, _)| r.get::<_, Option<Uuid>>("food_item_id").is_none())
        .map(|(_, n)| n.as_str())
        .collect();
    if !foodless.is_empty() {
        return Err(AppError::invalid(
            "meal_type",
            format!(
                "{} logged without a food (a quick add, or its food was deleted), so it cannot be an ingredient; \
                 move it to another meal or build the recipe by hand",
                quoted_list(&foodless)
            ),
        ));
    }
    let recipe = NewRecipe {
        name: m.details.name.clone(),
        servings: m.details.servings,
        cooked_weight_g: m.details.cooked_weight_g,
        ingredients: rows
            .iter()
            .map(|r| NewIngredient {
                food_item_id: r.get("food_item_id"),
                serving_id: r.get("nutrition_data_id"),
                quantity: r.get("quantity"),
                unit: Some(r.get("unit")),
            })
            .collect(),
    };
    create(tx, &recipe).await.map_err(|e| match e {
        // An entry whose food is no longer visible, or whose serving changed: name the entry
        // rather than an `ingredients[i]` the caller never sent.
        AppError::Invalid(fields) => {
            let problems: Vec<String> = fields
                .0
                .iter()
                .map(|(field, problem)| match ingredient_index(field) {
                    Some(i) if i < names.len() => {
                        format!("\u{201c}{}\u{201d}: {problem}", names[i])
                    }
                    _ => format!("{field}: {problem}"),
                })
                .collect();
            AppError::invalid("meal_type", problems.join("; "))
        }
        other => other,
    })
}

/// `“a”`, `“a” and “b”`, `“a”, “b” and “c” were`: the names, quoted, with the verb.
fn quoted_list(names: &[&str]) -> String {
    let quoted: Vec<String> = names
        .iter()
        .map(|n| format!("\u{201c}{n}\u{201d}"))
        .collect();
    match quoted.as_slice() {
        [one] => format!("{one} was"),
        [init @ .., last] => format!("{} and {last} were", init.join(", ")),
        [] => String::new(),
    }
}

/// The `i` of a field named `ingredients[i].…`.
fn ingredient_index(field: &str) -> Option<usize> {
    field
        .strip_prefix("ingredients[")?
        .split_once(']')?
        .0
        .parse()
        .ok()
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

/// `PUT /api/v1/recipes/{id}`: the recipe as sent. Ingredients and a cooked weight left out
/// are kept (a renamed recipe kept its ingredients but lost its weight, and with it what a
/// gram of it is); sent, they replace what it had.
pub async fn put(tx: &mut UserTx, id: Uuid, input: &RecipeInput) -> AppResult<Recipe> {
    let cooked_weight_g = match input.cooked_weight_g {
        Some(sent) => sent,
        None => lock_own(tx, id).await?.1.map(Amount),
    };
    match input.ingredients {
        None => {
            let details = Details::parse(&input.name, input.servings, cooked_weight_g)?;
            set_details(tx, id, &details).await
        }
        Some(_) => {
            let input = RecipeInput {
                cooked_weight_g: Some(cooked_weight_g),
                ..input.clone()
            };
            update(tx, id, &input.parse()?).await
        }
    }
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
            cooked_weight_g: Some(cooked_weight_g),
            ingredients: None,
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
