//! A food's servings as stored, and choosing one and working out the portion eaten.

use rust_decimal::Decimal;
use sparky_core::nutrition::{
    nutrients_of_servings, servings_in, unit_word_matches, Nutrients, Serving,
};
use sparky_db::UserTx;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::nutrients::{nutrient_columns, nutrients_from_row};

use super::*;

/// A serving of a food as stored, with its id.
#[derive(Debug, Clone)]
pub(crate) struct StoredServing {
    pub id: Uuid,
    pub is_default: bool,
    pub serving: Serving,
    /// Custom nutrient amounts of the serving, by name.
    pub custom: crate::custom_nutrients::Amounts,
}

/// The name, brand and servings of a food visible to the caller (RLS), or 404.
pub(crate) async fn food_servings(
    tx: &mut UserTx,
    food_id: Uuid,
) -> AppResult<(String, Option<String>, Vec<StoredServing>)> {
    let rows = tx
        .query(
            &format!(
                "SELECT f.name, f.brand, n.id AS serving_id, n.is_default, n.serving_size, n.serving_unit,
                        n.serving_weight_g, n.custom_nutrients, {}
                 FROM food_items f JOIN nutrition_data n ON n.food_item_id = f.id
                 WHERE f.id = $1
                 ORDER BY {}",
                nutrient_columns("n", "n_"),
                crate::foods::SERVINGS_IN_ORDER
            ),
            &[&food_id],
        )
        .await?;
    let first = rows.first().ok_or(AppError::NotFound("food"))?;
    let (name, brand) = (first.get("name"), first.get("brand"));
    let servings = rows.iter().map(stored_serving_from_row).collect();
    Ok((name, brand, servings))
}

fn stored_serving_from_row(r: &tokio_postgres::Row) -> StoredServing {
    StoredServing {
        id: r.get("serving_id"),
        is_default: r.get("is_default"),
        serving: Serving {
            size: r.get("serving_size"),
            unit: r.get("serving_unit"),
            weight_g: r.get("serving_weight_g"),
            nutrients: nutrients_from_row(r, "n_"),
        },
        custom: crate::custom_nutrients::from_json(
            r.get::<_, Option<serde_json::Value>>("custom_nutrients")
                .as_ref(),
        ),
    }
}

/// A food as [`food_servings`] reads it.
#[derive(Debug, Clone)]
pub(crate) struct FoodServings {
    pub name: String,
    pub brand: Option<String>,
    pub servings: Vec<StoredServing>,
}

/// [`food_servings`] for many foods in one query; foods the caller cannot see (or without
/// servings) are absent from the map.
pub(crate) async fn foods_servings(
    tx: &mut UserTx,
    food_ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, FoodServings>> {
    let mut foods = std::collections::HashMap::new();
    if food_ids.is_empty() {
        return Ok(foods);
    }
    let rows = tx
        .query(
            &format!(
                "SELECT f.id AS food_id, f.name, f.brand, n.id AS serving_id, n.is_default, n.serving_size,
                        n.serving_unit, n.serving_weight_g, n.custom_nutrients, {}
                 FROM food_items f JOIN nutrition_data n ON n.food_item_id = f.id
                 WHERE f.id = ANY($1)
                 ORDER BY f.id, {}",
                nutrient_columns("n", "n_"),
                crate::foods::SERVINGS_IN_ORDER
            ),
            &[&food_ids],
        )
        .await?;
    for r in &rows {
        foods
            .entry(r.get::<_, Uuid>("food_id"))
            .or_insert_with(|| FoodServings {
                name: r.get("name"),
                brand: r.get("brand"),
                servings: Vec::new(),
            })
            .servings
            .push(stored_serving_from_row(r));
    }
    Ok(foods)
}

/// The most of one nutrient one entry (or recipe ingredient) may hold, in its unit.
pub const MAX_ENTRY_NUTRIENT: i64 = 1_000_000;

/// An amount of a serving as the diary records it.
#[derive(Debug, Clone)]
pub(crate) struct Portion {
    /// The amount in `unit` (servings, when the serving's own unit word is too long to store).
    pub quantity: Decimal,
    pub unit: String,
    /// How many servings that is (8 places).
    pub servings: Decimal,
    pub nutrients: Nutrients,
}

/// How much of `serving` an amount typed in `unit_text` (default: servings) is, and its
/// nutrients: the one arithmetic of logging, shared by everything that writes the diary.
pub(crate) fn portion(
    serving: &Serving,
    quantity: Decimal,
    unit_text: Option<&str>,
) -> AppResult<Portion> {
    let (count, unit) =
        servings_in(quantity, unit_text.unwrap_or("serving"), serving).map_err(nutrition_error)?;
    let nutrients = nutrients_of_servings(count, serving).map_err(nutrition_error)?;
    // No one entry holds more than a million of anything (kcal, g, mg): beyond it the amount
    // is a typo, and beyond the column's range it failed as "numeric field overflow".
    if let Some((name, _)) = nutrients
        .iter()
        .find(|(_, v)| v.is_some_and(|v| v > Decimal::from(MAX_ENTRY_NUTRIENT)))
    {
        return Err(AppError::invalid(
            "quantity",
            format!(
                "that comes to more than {MAX_ENTRY_NUTRIENT} {name} (kcal, g or mg) in one \
                 entry: check the amount and its unit"
            ),
        ));
    }
    // A serving's own unit longer than the column is recorded as servings.
    let (quantity, unit) = if unit.chars().count() > 50 {
        (count, "serving".to_string())
    } else {
        (quantity, unit)
    };
    Ok(Portion {
        quantity,
        unit,
        servings: sparky_core::units::round_dp(count, 8),
        nutrients,
    })
}

/// Which serving an amount refers to: the one asked for by id; else the one whose own unit
/// the amount is typed in ("2 slices"); else the default when the unit converts to it; else
/// another serving it converts to ("2 tbsp" of a food weighed per 100 g that also has a
/// "1 cup" serving); else the default (whose refusal then names the unit).
pub(crate) fn choose_serving<'a>(
    servings: &'a [StoredServing],
    serving_id: Option<Uuid>,
    unit: Option<&str>,
) -> AppResult<&'a StoredServing> {
    if let Some(id) = serving_id {
        return servings
            .iter()
            .find(|s| s.id == id)
            .ok_or(AppError::NotFound("serving"));
    }
    if let Some(u) = unit {
        let named: Vec<&StoredServing> = servings
            .iter()
            .filter(|s| unit_word_matches(u, &s.serving.unit))
            .collect();
        let exact = named.iter().find(|s| same_words(u, &s.serving.unit));
        match (exact, named.as_slice()) {
            (Some(s), _) => return Ok(s),
            (None, [one]) => return Ok(one),
            (None, [first, rest @ ..])
                if rest
                    .iter()
                    .all(|s| same_words(&s.serving.unit, &first.serving.unit)) =>
            {
                return Ok(first)
            }
            // "1 cup" of bananas: "cup, mashed" (225 g) or "cup, sliced" (150 g)? Picking one
            // would be a guess that can be off by half.
            (None, [_, _, ..]) => {
                return Err(ambiguous(
                    &named,
                    &format!("this food has several {} servings", u.trim()),
                ))
            }
            (None, []) => {}
        }
    }
    let default = servings
        .iter()
        .find(|s| s.is_default)
        .or_else(|| servings.first())
        .ok_or(AppError::NotFound("serving"))?;
    let converts =
        |s: &StoredServing| unit.is_none_or(|u| servings_in(Decimal::ONE, u, &s.serving).is_ok());
    if converts(default) {
        return Ok(default);
    }
    let converting: Vec<&StoredServing> = servings.iter().filter(|s| converts(s)).collect();
    // "1 tbsp" of bananas: a sixteenth of "cup, mashed" (225 g) or of "cup, sliced" (150 g)?
    // A guess when the servings it converts to weigh it differently by more than measuring
    // does (USDA weighs a cup and a tablespoon of oil separately: 4.5 and 4.6 g a teaspoon).
    let grams_per_unit = |s: &StoredServing| {
        let (count, _) = servings_in(Decimal::ONE, unit.unwrap_or("serving"), &s.serving).ok()?;
        Some(count * s.serving.weight_g?)
    };
    let weights: Vec<Decimal> = converting
        .iter()
        .filter_map(|s| grams_per_unit(s))
        .collect();
    let lightest = weights.iter().min().copied().unwrap_or_default();
    let heaviest = weights.iter().max().copied().unwrap_or_default();
    if lightest > Decimal::ZERO && heaviest > lightest * Decimal::new(11, 1) {
        return Err(ambiguous(
            &converting,
            &format!(
                "{} of this food could be measured against servings that weigh it differently",
                unit.unwrap_or_default().trim()
            ),
        ));
    }
    Ok(converting.first().copied().unwrap_or(default))
}

/// A unit that could mean several servings: `what`, the servings, and how to choose.
fn ambiguous(servings: &[&StoredServing], what: &str) -> AppError {
    let names: Vec<String> = servings
        .iter()
        .map(|s| format!("\"{}\"", s.serving.unit.trim()))
        .collect();
    AppError::invalid(
        "unit",
        format!(
            "{what} ({}): name one as the unit, choose it by nutrition_data_id, or give the \
             amount in grams",
            names.join(", ")
        ),
    )
}

/// The same words, ignoring case and runs of whitespace.
fn same_words(a: &str, b: &str) -> bool {
    a.split_whitespace()
        .map(str::to_lowercase)
        .eq(b.split_whitespace().map(str::to_lowercase))
}
