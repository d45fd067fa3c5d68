//! Reading recipes: one with its ingredients worked out from their foods of today, and the
//! list.

use rust_decimal::Decimal;
use sparky_core::nutrition::partially_known;
use sparky_core::recipe::{self, Part};
use sparky_core::Amount;
use sparky_db::UserTx;
use uuid::Uuid;

use super::{ingredient_foods, whole_recipe, work_out, Ingredient, Recipe, RecipeSummary, Worked};
use crate::error::{AppError, AppResult};
use crate::nutrients::{nutrient_columns, nutrients_from_row};
use crate::paging::{Page, PageRequest};

/// A recipe's stored ingredients in order, each with what it gives when worked out from its
/// food today (None: see the ingredient's `problem`). Two queries.
pub(super) async fn stored_ingredients(
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
/// 404 unless the recipe is visible to the caller (RLS decides): for pages that act on a
/// recipe without reading it (its ingredient search).
pub async fn ensure_visible(tx: &mut UserTx, id: Uuid) -> AppResult<()> {
    tx.query_opt(
        "SELECT 1 FROM food_items WHERE id = $1 AND recipe_servings IS NOT NULL",
        &[&id],
    )
    .await?
    .map(|_| ())
    .ok_or(AppError::NotFound("recipe"))
}

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
    if items.is_empty() && user_id.is_some() {
        // Someone who does not share their foods with the caller: 404, as other reads.
        crate::acting::Acting::new(user_id)
            .ensure_visible(tx, crate::acting::Area::FoodList)
            .await?;
    }
    Ok(page
        .finish_keyset(items, |(sort_name, r)| (sort_name.clone(), r.id))
        .map(|(_, r)| r))
}
