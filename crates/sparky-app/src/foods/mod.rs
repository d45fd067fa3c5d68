//! Foods: search over the shared catalog, your own foods and foods shared with you; your
//! own foods' create, read, update and delete. The catalog (`user_id IS NULL`) is read-only
//! to everyone; RLS decides which foods are visible.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sparky_core::barcode::Barcode;
use sparky_core::nutrition::Nutrients;
use sparky_core::Amount;
use sparky_db::UserTx;
use tokio_postgres::types::ToSql;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{AppError, AppResult, Validation};
use crate::nutrients::{nutrient_columns, nutrients_from_row, parse_nutrients};
use crate::paging::Page;

mod search;
pub use search::{search, Search, MAX_QUERY_CHARS, SEARCH_LIMIT};

/// A serving as `POST /api/v1/foods` takes it (also what a scanned nutrition label proposes).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServingInput {
    /// e.g. 100 (g), 1 (cup), 1 (slice); greater than 0, at most 100,000.
    #[schema(value_type = f64, exclusive_minimum = 0, maximum = 100000)]
    pub size: Amount,
    /// A unit (g, kg, mg, oz, lb, ml, l, tsp, tbsp, cup, fl oz) or a word like "slice".
    #[schema(min_length = 1, max_length = 50)]
    pub unit: String,
    /// Grams in this serving, so weights can be logged against a "slice".
    #[schema(value_type = Option<f64>, exclusive_minimum = 0, maximum = 100000)]
    pub weight_g: Option<Amount>,
    /// The serving shown first; exactly one is the default (the first, if none is marked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_default: Option<bool>,
    /// Nutrients of the whole serving.
    #[serde(default)]
    pub nutrients: Nutrients,
    /// Amounts of your custom nutrients in the whole serving, by name (each from 0 to
    /// 100,000 in the nutrient's unit), e.g. `{"Caffeine": 95}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(schema_with = crate::custom_nutrients::amounts_schema)]
    pub custom_nutrients: BTreeMap<String, Amount>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FoodInput {
    #[schema(min_length = 1, max_length = 255)]
    pub name: String,
    #[schema(max_length = 255)]
    pub brand: Option<String>,
    /// EAN-13, EAN-8, UPC-A or UPC-E; stored as GTIN-13.
    #[schema(max_length = 32)]
    pub barcode: Option<String>,
    /// One or more servings (at most 20).
    #[schema(min_items = 1, max_items = 20)]
    pub servings: Vec<ServingInput>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServingOut {
    pub id: Uuid,
    pub size: Amount,
    pub unit: String,
    pub weight_g: Option<Amount>,
    pub is_default: bool,
    /// Human form, e.g. "1 slice (28 g)".
    pub description: String,
    pub nutrients: Nutrients,
    /// Amounts of custom nutrients in the whole serving, by name (left out when none).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = BTreeMap<String, f64>)]
    pub custom_nutrients: BTreeMap<String, Amount>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Food {
    pub id: Uuid,
    pub name: String,
    pub brand: Option<String>,
    pub barcode: Option<String>,
    pub source: Option<String>,
    pub source_id: Option<String>,
    /// Owner; null for the shared catalog.
    pub user_id: Option<Uuid>,
    pub servings: Vec<ServingOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FoodPage {
    pub items: Vec<Food>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl From<Page<Food>> for FoodPage {
    fn from(p: Page<Food>) -> FoodPage {
        FoodPage {
            items: p.items,
            next_cursor: p.next_cursor,
        }
    }
}

/// A validated food.
#[derive(Debug, Clone)]
pub struct NewFood {
    pub name: String,
    pub brand: Option<String>,
    pub barcode: Option<String>,
    pub servings: Vec<NewServing>,
}

/// A validated serving ready to store.
#[derive(Debug, Clone)]
pub struct NewServing {
    pub size: Decimal,
    pub unit: String,
    pub weight_g: Option<Decimal>,
    pub is_default: bool,
    pub nutrients: Nutrients,
    /// Custom nutrient amounts, under the names of the owner's definitions once
    /// [`resolve_custom_names`] ran.
    pub custom: crate::custom_nutrients::Amounts,
}

pub fn describe_serving(size: Decimal, unit: &str, weight_g: Option<Decimal>) -> String {
    let size = size.normalize();
    match weight_g {
        Some(w) if unit.trim() != "g" => format!("{size} {unit} ({} g)", w.normalize()),
        _ => format!("{size} {unit}"),
    }
}

impl FoodInput {
    pub fn parse(&self) -> AppResult<NewFood> {
        let input = self;
        let mut v = Validation::new();
        let name = input.name.trim().to_string();
        v.check(
            !name.is_empty() && name.chars().count() <= 255,
            "name",
            "must be 1 to 255 characters",
        );
        let brand = input
            .brand
            .as_ref()
            .map(|b| b.trim().to_string())
            .filter(|b| !b.is_empty());
        v.check(
            brand.as_ref().is_none_or(|b| b.chars().count() <= 255),
            "brand",
            "must be at most 255 characters",
        );
        let barcode = match input
            .barcode
            .as_deref()
            .map(str::trim)
            .filter(|b| !b.is_empty())
        {
            None => None,
            Some(b) => match Barcode::parse(b) {
                Ok(code) => Some(code.as_str().to_string()),
                Err(e) => {
                    v.add("barcode", e.to_string());
                    None
                }
            },
        };
        v.check(
            !input.servings.is_empty() && input.servings.len() <= 20,
            "servings",
            "give 1 to 20 servings",
        );
        v.check(
            input
                .servings
                .iter()
                .filter(|s| s.is_default == Some(true))
                .count()
                <= 1,
            "servings",
            "at most one serving can be the default",
        );
        let any_default = input.servings.iter().any(|s| s.is_default == Some(true));
        let mut servings = Vec::new();
        for (i, s) in input.servings.iter().enumerate().take(20) {
            let prefix = format!("servings[{i}]");
            // A unit typed with a count ("2 tbsp", "½ cup") is that many of the unit, so that
            // it converts like any tbsp (it was kept as the word "2 tbsp").
            let (size, unit) = match sparky_core::typed_number::amount_with_unit(&s.unit) {
                Ok(Some((count, Some(unit)))) if count > Decimal::ZERO => {
                    (s.size.decimal() * count, unit)
                }
                _ => (s.size.decimal(), s.unit.trim().to_string()),
            };
            if size <= Decimal::ZERO || size > Decimal::from(100_000) {
                v.add(
                    &format!("{prefix}.size"),
                    "must be greater than 0 (and at most 100,000)",
                );
            }
            if unit.is_empty() || unit.chars().count() > 50 {
                v.add(&format!("{prefix}.unit"), "must be 1 to 50 characters");
            }
            let weight_g = s.weight_g.map(Amount::decimal);
            if weight_g.is_some_and(|w| w <= Decimal::ZERO || w > Decimal::from(100_000)) {
                v.add(
                    &format!("{prefix}.weight_g"),
                    "must be greater than 0 (and at most 100,000)",
                );
            }
            // A serving measured by weight weighs what it says: "1 kg (500 g)" made recipes
            // and logging disagree about the same food.
            use sparky_core::units::{convert, Unit};
            if let (Some(w), Ok(mass)) = (weight_g, Unit::parse(&unit)) {
                if mass.dimension() == sparky_core::units::Dimension::Mass {
                    if let Ok(grams) = convert(size, mass, Unit::G) {
                        let off = (w - grams).abs();
                        if off > grams / Decimal::from(100) && off > Decimal::new(1, 2) {
                            v.add(
                                &format!("{prefix}.weight_g"),
                                format!(
                                    "must be {} for {} {unit} (or left out)",
                                    sparky_core::units::round_dp(grams, 4).normalize(),
                                    size.normalize()
                                ),
                            );
                        }
                    }
                }
            }
            let nutrients = v.take(parse_nutrients(
                s.nutrients.clone(),
                &format!("{prefix}.nutrients"),
            ));
            // What a serving of known weight can hold: a label typed with a slipped decimal
            // (5,000 kcal or 150 g of macros in 100 g) is refused, as the big trackers warn.
            let grams = weight_g.or_else(|| {
                Unit::parse(&unit)
                    .ok()
                    .filter(|u| u.dimension() == sparky_core::units::Dimension::Mass)
                    .and_then(|u| convert(size, u, Unit::G).ok())
            });
            if let (Some(g), Some(n)) = (grams.filter(|g| *g > Decimal::ZERO), &nutrients) {
                let slack = |most: Decimal| most * Decimal::new(11, 1) + Decimal::ONE;
                let macros: Decimal = [n.protein, n.carbohydrates, n.fat]
                    .into_iter()
                    .flatten()
                    .sum();
                if macros > slack(g) {
                    v.add(
                        &format!("{prefix}.nutrients"),
                        format!(
                            "protein, carbohydrates and fat add up to {} g, more than the \
                             serving's {} g: check for a slipped decimal point",
                            macros.round_dp(1).normalize(),
                            g.round_dp(1).normalize()
                        ),
                    );
                }
                if n.calories
                    .is_some_and(|kcal| kcal > slack(g * Decimal::from(9)))
                {
                    v.add(
                        &format!("{prefix}.nutrients.calories"),
                        format!(
                            "is more than {} g can hold (9 kcal a gram, pure fat): check for \
                             a slipped decimal point",
                            g.round_dp(1).normalize()
                        ),
                    );
                }
            }
            let custom = crate::custom_nutrients::parse_amounts(
                &s.custom_nutrients,
                &format!("{prefix}.custom_nutrients"),
                &mut v,
            );
            servings.push(NewServing {
                size: sparky_core::units::round_dp(size, 4),
                unit,
                weight_g: weight_g.map(|w| sparky_core::units::round_dp(w, 4)),
                is_default: if any_default {
                    s.is_default == Some(true)
                } else {
                    i == 0
                },
                nutrients: nutrients.unwrap_or_default(),
                custom,
            });
        }
        v.finish()?;
        Ok(NewFood {
            name,
            brand,
            barcode,
            servings,
        })
    }
}

fn serving_from_row(r: &tokio_postgres::Row) -> ServingOut {
    let size: Decimal = r.get("serving_size");
    let unit: String = r.get("serving_unit");
    let weight: Option<Decimal> = r.get("serving_weight_g");
    ServingOut {
        id: r.get("serving_id"),
        size: Amount(size),
        description: describe_serving(size, &unit, weight),
        unit,
        weight_g: weight.map(Amount),
        is_default: r.get("is_default"),
        nutrients: nutrients_from_row(r, "n_"),
        custom_nutrients: crate::custom_nutrients::shown(&crate::custom_nutrients::from_json(
            r.get::<_, Option<serde_json::Value>>("custom_nutrients")
                .as_ref(),
        )),
    }
}

fn food_from_row(r: &tokio_postgres::Row) -> Food {
    Food {
        id: r.get("id"),
        name: r.get("name"),
        brand: r.get("brand"),
        barcode: r.get("barcode"),
        source: r.get("source"),
        source_id: r.get("source_id"),
        user_id: r.get("user_id"),
        servings: Vec::new(),
    }
}

/// The order a food's servings (`nutrition_data n`) are read in, everywhere: the default
/// first, then by weight (servings made together came in the random order of their ids).
pub(crate) const SERVINGS_IN_ORDER: &str =
    "n.is_default DESC, n.created_at, n.serving_weight_g NULLS LAST, n.serving_unit, n.serving_size, n.id";

fn servings_select() -> String {
    format!(
        "SELECT n.food_item_id, n.id AS serving_id, n.serving_size, n.serving_unit, n.serving_weight_g,
                n.is_default, n.custom_nutrients, {}
         FROM nutrition_data n WHERE n.food_item_id = ANY($1)
         ORDER BY {SERVINGS_IN_ORDER}",
        nutrient_columns("n", "n_")
    )
}

/// Loads foods by id with all their servings: two queries, however many foods. Foods the
/// caller cannot see are left out; the caller's order is kept.
pub async fn load(tx: &mut UserTx, ids: &[Uuid]) -> AppResult<Vec<Food>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = tx
        .query(
            "SELECT id, name, brand, barcode, source, source_id, user_id FROM food_items WHERE id = ANY($1)",
            &[&ids],
        )
        .await?;
    let mut foods: Vec<Food> = rows.iter().map(food_from_row).collect();
    attach_servings(tx, &mut foods).await?;
    foods.sort_by_key(|f| ids.iter().position(|i| *i == f.id));
    Ok(foods)
}

/// One food with its servings, or 404.
pub async fn get(tx: &mut UserTx, id: Uuid) -> AppResult<Food> {
    load(tx, &[id])
        .await?
        .pop()
        .ok_or(AppError::NotFound("food"))
}

/// Reads the servings of `foods` (one query) into them.
async fn attach_servings(tx: &mut UserTx, foods: &mut [Food]) -> AppResult<()> {
    if foods.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = foods.iter().map(|f| f.id).collect();
    let servings = tx.query(&servings_select(), &[&ids]).await?;
    for s in &servings {
        let food_id: Uuid = s.get("food_item_id");
        if let Some(f) = foods.iter_mut().find(|f| f.id == food_id) {
            f.servings.push(serving_from_row(s));
        }
    }
    Ok(())
}

async fn insert_servings(tx: &mut UserTx, food_id: Uuid, servings: &[NewServing]) -> AppResult<()> {
    let cols = Nutrients::NAMES.join(", ");
    let placeholders: Vec<String> = (7..7 + Nutrients::NAMES.len())
        .map(|i| format!("${i}"))
        .collect();
    let sql = format!(
        "INSERT INTO nutrition_data (food_item_id, serving_size, serving_unit, serving_weight_g, is_default,
             custom_nutrients, {cols})
         VALUES ($1, $2, $3, $4, $5, $6, {})",
        placeholders.join(", ")
    );
    for s in servings {
        let values = crate::nutrients::values(&s.nutrients);
        let custom = crate::custom_nutrients::to_json(&s.custom);
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![
            &food_id,
            &s.size,
            &s.unit,
            &s.weight_g,
            &s.is_default,
            &custom,
        ];
        for v in &values {
            params.push(v);
        }
        tx.execute(&sql, &params).await?;
    }
    Ok(())
}

/// Writes the servings' custom nutrient amounts under the names of the caller's definitions
/// (422 for a name they have not defined).
pub async fn resolve_custom_names(
    tx: &mut UserTx,
    food: &mut NewFood,
    stored: Option<Uuid>,
) -> AppResult<()> {
    let mut amounts: Vec<&mut crate::custom_nutrients::Amounts> =
        food.servings.iter_mut().map(|s| &mut s.custom).collect();
    crate::custom_nutrients::resolve_names(tx, &mut amounts, stored, |i| {
        format!("servings[{i}].custom_nutrients")
    })
    .await
}

/// Adds a food of the caller's own.
pub async fn create(tx: &mut UserTx, food: &NewFood) -> AppResult<Food> {
    let mut food = food.clone();
    resolve_custom_names(tx, &mut food, None).await?;
    let food = &food;
    let id: Uuid = tx
        .query_one(
            "INSERT INTO food_items (name, brand, barcode, source, user_id)
             VALUES ($1, $2, $3, 'user', auth.uid()) RETURNING id",
            &[&food.name, &food.brand, &food.barcode],
        )
        .await?
        .get(0);
    insert_servings(tx, id, &food.servings).await?;
    get(tx, id).await
}

/// Where a write to a food the caller cannot change ended up: 404 if invisible, 403 if only
/// readable (catalog or shared with the caller).
async fn refused_write(tx: &mut UserTx, id: Uuid) -> AppError {
    match tx
        .query_opt(
            "SELECT user_id = auth.uid() AND recipe_servings IS NOT NULL FROM food_items WHERE id = $1",
            &[&id],
        )
        .await
    {
        // Its serving is worked out from its ingredients; replacing it here would break that.
        Ok(Some(r)) if r.get::<_, Option<bool>>(0) == Some(true) => AppError::conflict(
            "this food is a recipe: change it with PUT /api/v1/recipes/{id} (its serving comes from its ingredients)",
        ),
        Ok(Some(_)) => AppError::forbidden(
            "only your own foods can be changed; the shared catalog is read-only",
        ),
        Ok(None) => AppError::NotFound("food"),
        Err(e) => e.into(),
    }
}

/// Replaces one of the caller's foods (name, brand, barcode and all servings). Diary entries
/// keep the values they were logged with.
pub async fn update(tx: &mut UserTx, id: Uuid, food: &NewFood) -> AppResult<Food> {
    let mut food = food.clone();
    resolve_custom_names(tx, &mut food, Some(id)).await?;
    let food = &food;
    let n = tx
        .execute(
            "UPDATE food_items SET name = $2, brand = $3, barcode = $4
             WHERE id = $1 AND user_id = auth.uid() AND recipe_servings IS NULL",
            &[&id, &food.name, &food.brand, &food.barcode],
        )
        .await?;
    if n == 0 {
        return Err(refused_write(tx, id).await);
    }
    replace_servings(tx, id, &food.servings).await?;
    get(tx, id).await
}

/// Gives a food exactly `servings`, keeping the id of each serving whose size and unit stay
/// (its weight and nutrients are updated in place): recipe ingredients, meal plan items and
/// diary entries point at servings by id, and replacing them all fell back to the default
/// serving (2 × 100 ml became 2 × 8 fl oz).
async fn replace_servings(
    tx: &mut UserTx,
    food_id: Uuid,
    servings: &[NewServing],
) -> AppResult<()> {
    let existing = tx
        .query(
            "SELECT id, serving_size, serving_unit FROM nutrition_data
             WHERE food_item_id = $1 ORDER BY is_default DESC, created_at, id",
            &[&food_id],
        )
        .await?;
    let mut unused: Vec<(Uuid, Decimal, String)> = existing
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let mut kept: Vec<(Uuid, &NewServing)> = Vec::new();
    let mut new: Vec<NewServing> = Vec::new();
    for s in servings {
        let same = unused.iter().position(|(_, size, unit)| {
            *size == s.size && unit.eq_ignore_ascii_case(s.unit.trim())
        });
        match same {
            Some(i) => kept.push((unused.swap_remove(i).0, s)),
            None => new.push(s.clone()),
        }
    }
    let kept_ids: Vec<Uuid> = kept.iter().map(|(id, _)| *id).collect();
    // No default until the kept and new ones say which (one default per food, an index).
    tx.execute(
        "UPDATE nutrition_data SET is_default = false WHERE food_item_id = $1 AND is_default",
        &[&food_id],
    )
    .await?;
    tx.execute(
        "DELETE FROM nutrition_data WHERE food_item_id = $1 AND NOT (id = ANY($2))",
        &[&food_id, &kept_ids],
    )
    .await?;
    let sets: Vec<String> = Nutrients::NAMES
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{n} = ${}", i + 6))
        .collect();
    let sql = format!(
        "UPDATE nutrition_data SET serving_unit = $2, serving_weight_g = $3, is_default = $4,
             custom_nutrients = $5, {}
         WHERE id = $1",
        sets.join(", ")
    );
    for (serving_id, s) in &kept {
        let values = crate::nutrients::values(&s.nutrients);
        let custom = crate::custom_nutrients::to_json(&s.custom);
        let mut params: Vec<&(dyn ToSql + Sync)> =
            vec![serving_id, &s.unit, &s.weight_g, &s.is_default, &custom];
        for v in &values {
            params.push(v);
        }
        tx.execute(&sql, &params).await?;
    }
    insert_servings(tx, food_id, &new).await
}

/// Deletes one of the caller's foods. Diary entries that used it stay, with what they recorded.
pub async fn delete(tx: &mut UserTx, id: Uuid) -> AppResult<()> {
    let n = tx
        .execute(
            "DELETE FROM food_items WHERE id = $1 AND user_id = auth.uid()",
            &[&id],
        )
        .await?;
    if n == 0 {
        return Err(refused_write(tx, id).await);
    }
    Ok(())
}
