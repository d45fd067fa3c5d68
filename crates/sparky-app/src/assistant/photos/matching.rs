//! Matching the items the model saw to foods the caller can see, with their calories.

use rust_decimal::Decimal;
use sparky_core::food_search::{Query, Relevance, Tier};
use sparky_core::Amount;
use sparky_db::UserTx;
use uuid::Uuid;

use super::meal_answer::SeenItem;
use super::output::{FoodChoice, MealItem};
use super::MAX_ALTERNATIVES;
use crate::diary::{self, FoodServings};
use crate::error::AppResult;
use crate::foods;

/// The foods a name matches: the best when the search is confident (every word of the name is
/// a word of the food's name or brand), and up to three more. When nothing matches the whole
/// name, leading words are dropped ("grilled chicken breast" → "chicken breast"), never
/// confidently.
async fn candidates(
    tx: &mut UserTx,
    name: &str,
) -> AppResult<(Option<foods::Food>, Vec<foods::Food>)> {
    let mut q: String = name.chars().take(foods::MAX_QUERY_CHARS).collect();
    let mut whole = true;
    loop {
        let search = foods::Search::parse(Some(&q), Some(MAX_ALTERNATIVES as i64 + 1), None, None)?;
        let mut found = foods::search(tx, &search).await?.items;
        if !found.is_empty() {
            let confident = whole && {
                let first = &found[0];
                Relevance::of(&Query::parse(&q), &first.name, first.brand.as_deref()).tier
                    <= Tier::Words
            };
            let best = confident.then(|| found.remove(0));
            found.truncate(MAX_ALTERNATIVES);
            return Ok((best, found));
        }
        let words: Vec<&str> = q.split_whitespace().collect();
        if words.len() <= 1 {
            return Ok((None, Vec::new()));
        }
        q = words[1..].join(" ");
        whole = false;
    }
}

/// Calories of `grams` of a food, as logging it in grams would compute them.
fn calories_of(food: Option<&FoodServings>, grams: Decimal) -> Option<Amount> {
    let food = food?;
    let serving = diary::choose_serving(&food.servings, None, Some("g")).ok()?;
    let portion = diary::portion(&serving.serving, grams, Some("g")).ok()?;
    portion.nutrients.calories.map(Amount)
}

/// Matches seen items to foods the caller can see, with calories for their grams.
pub async fn match_items(tx: &mut UserTx, seen: Vec<SeenItem>) -> AppResult<Vec<MealItem>> {
    let mut found = Vec::with_capacity(seen.len());
    for item in seen {
        let (best, others) = candidates(tx, &item.name).await?;
        found.push((item, best, others));
    }
    let ids: Vec<Uuid> = found
        .iter()
        .flat_map(|(_, best, others)| best.iter().chain(others).map(|f| f.id))
        .collect();
    let servings = diary::foods_servings(tx, &ids).await?;
    let choice = |f: &foods::Food, grams: Decimal| FoodChoice {
        id: f.id,
        name: f.name.clone(),
        brand: f.brand.clone(),
        calories: calories_of(servings.get(&f.id), grams),
    };
    Ok(found
        .into_iter()
        .map(|(item, best, others)| {
            let food = best.as_ref().map(|f| choice(f, item.grams));
            MealItem {
                calories: food.as_ref().and_then(|f| f.calories),
                alternatives: others.iter().map(|f| choice(f, item.grams)).collect(),
                food,
                name: item.name,
                grams: Amount(item.grams),
            }
        })
        .collect())
}
