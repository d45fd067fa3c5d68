//! The shared food catalog (`food_items.user_id IS NULL`): what a catalog food is, how text,
//! barcodes and nutrient values from outside sources are cleaned before they are stored, and
//! the one statement that puts a single food into the catalog.
//!
//! Two front doors fill the catalog: the provider endpoints (one food per request, through
//! `import_catalog_food`, as the signed-in user) and `sparky foods import` (millions of foods
//! through COPY, as the database owner). Both build [`CatalogFood`]s with the rules here, so a
//! product gets the same name, barcode and values whichever way it arrived.

use rust_decimal::{Decimal, RoundingStrategy};
use sparky_core::barcode::Barcode;
use sparky_core::nutrition::{Nutrients, STORE_DP};
use sparky_db::UserTx;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// Longest name, brand or source id stored.
pub const MAX_TEXT: usize = 255;

/// `food_items.source` of the starter catalog's supplement (FoodData Central foods that the
/// SR24 starter catalog has no equivalent of). Search ranks its foods after SR24's where both
/// answer a query alike: SR24's come with household measures, most of the supplement's with
/// 100 g only.
pub const STARTER_SUPPLEMENT_SOURCE: &str = "usda-fdc-starter";

/// Largest value a `numeric(14,4)` column holds (exclusive): 10^10.
const MAX_STORED: Decimal = Decimal::from_parts(1_410_065_408, 2, 0, false, 0);

/// A food for the shared catalog, identified by its source and the source's id for it.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogFood {
    /// `openfoodfacts`, `usda`, `nutritionix`.
    pub source: String,
    pub source_id: String,
    pub name: String,
    pub brand: Option<String>,
    /// GTIN-13.
    pub barcode: Option<String>,
    /// At least one; exactly one is the default.
    pub servings: Vec<CatalogServing>,
}

/// One serving of a [`CatalogFood`] with the nutrients of exactly that serving.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogServing {
    pub size: Decimal,
    pub unit: String,
    pub weight_g: Option<Decimal>,
    pub is_default: bool,
    pub nutrients: Nutrients,
}

/// A value as the catalog stores it: non-negative, below 10^10, rounded half away from zero
/// to 4 places (as PostgreSQL rounds numeric). Outside sources contain negative and absurd
/// values; those become unknown, the food stays.
pub fn storable(v: Decimal) -> Option<Decimal> {
    let v = v.round_dp_with_strategy(STORE_DP, RoundingStrategy::MidpointAwayFromZero);
    (v >= Decimal::ZERO && v < MAX_STORED).then(|| v.normalize())
}

/// Every value of `n` made [`storable`] (or unknown).
pub fn storable_nutrients(n: &Nutrients) -> Nutrients {
    let mut out = Nutrients::default();
    for (name, v) in n.iter() {
        out.set(name, v.and_then(storable));
    }
    out
}

/// Text without control characters, trimmed and cut to `max_chars`; `None` when empty.
pub fn clean_text(s: &str, max_chars: usize) -> Option<String> {
    let cleaned: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let t = cleaned.trim();
    if t.is_empty() {
        return None;
    }
    Some(
        t.chars()
            .take(max_chars)
            .collect::<String>()
            .trim_end()
            .to_string(),
    )
}

/// The GTIN-13 form of a product code, or `None` when it is not a valid barcode. A GTIN-14
/// with indicator digit 0 (how FoodData Central writes many UPCs) is the same consumer unit
/// as its GTIN-13.
pub fn normalised_barcode(code: &str) -> Option<String> {
    let code = code.trim();
    let code = match code.strip_prefix('0') {
        Some(rest) if code.len() == 14 => rest,
        _ => code,
    };
    Barcode::parse(code).ok().map(|b| b.as_str().to_string())
}

impl CatalogFood {
    /// The food as the catalog stores it, or `None` when it is unusable (no source id, no
    /// name, or no serving with a size). Text is cleaned, an invalid barcode dropped, servings
    /// without a size dropped, values made [`storable`], and exactly one serving is the
    /// default (the first marked one, else the first).
    pub fn normalised(self) -> Option<CatalogFood> {
        let source = clean_text(&self.source, MAX_TEXT)?;
        let source_id = clean_text(&self.source_id, MAX_TEXT)?;
        let name = clean_text(&self.name, MAX_TEXT)?;
        let brand = self.brand.as_deref().and_then(|b| clean_text(b, MAX_TEXT));
        let barcode = self.barcode.as_deref().and_then(normalised_barcode);
        let mut servings: Vec<CatalogServing> = self
            .servings
            .into_iter()
            .filter_map(|s| {
                let size = storable(s.size).filter(|v| *v > Decimal::ZERO)?;
                let unit = clean_text(&s.unit, 50)?;
                Some(CatalogServing {
                    size,
                    unit,
                    weight_g: s.weight_g.and_then(storable).filter(|w| *w > Decimal::ZERO),
                    is_default: s.is_default,
                    nutrients: storable_nutrients(&s.nutrients),
                })
            })
            .collect();
        if servings.is_empty() {
            return None;
        }
        let default = servings.iter().position(|s| s.is_default).unwrap_or(0);
        for (i, s) in servings.iter_mut().enumerate() {
            s.is_default = i == default;
        }
        Some(CatalogFood {
            source,
            source_id,
            name,
            brand,
            barcode,
            servings,
        })
    }

    /// A provider's food, before [`CatalogFood::normalised`].
    pub fn from_provider(f: &sparky_providers::ProviderFood) -> CatalogFood {
        CatalogFood {
            source: f.source.clone(),
            source_id: f.source_id.clone(),
            name: f.name.clone(),
            brand: f.brand.clone(),
            barcode: f.barcode.clone(),
            servings: f
                .servings
                .iter()
                .map(|s| CatalogServing {
                    size: s.size,
                    unit: s.unit.clone(),
                    weight_g: s.weight_g,
                    is_default: s.is_default,
                    nutrients: s.nutrients.clone(),
                })
                .collect(),
        }
    }

    /// The JSON `import_catalog_food` takes (numbers as exact decimal text).
    fn to_json(&self) -> serde_json::Value {
        let servings: Vec<serde_json::Value> = self
            .servings
            .iter()
            .map(|s| {
                let mut o = serde_json::Map::new();
                o.insert("size".into(), s.size.to_string().into());
                o.insert("unit".into(), s.unit.clone().into());
                if let Some(w) = s.weight_g {
                    o.insert("weight_g".into(), w.to_string().into());
                }
                o.insert("is_default".into(), s.is_default.into());
                for (name, v) in s.nutrients.iter() {
                    if let Some(v) = v {
                        o.insert(name.into(), v.to_string().into());
                    }
                }
                serde_json::Value::Object(o)
            })
            .collect();
        serde_json::json!({
            "name": self.name, "brand": self.brand, "barcode": self.barcode,
            "source": self.source, "source_id": self.source_id, "servings": servings,
        })
    }
}

/// The catalog food from `source` with `source_id`, if it was imported.
pub async fn find(tx: &mut UserTx, source: &str, source_id: &str) -> AppResult<Option<Uuid>> {
    Ok(tx
        .query_opt(
            "SELECT id FROM food_items WHERE user_id IS NULL AND source = $1 AND source_id = $2",
            &[&source, &source_id],
        )
        .await?
        .map(|r| r.get(0)))
}

/// Puts one food into the shared catalog, once per (source, source id): concurrent imports of
/// one product make one row. Returns its id and whether it was new. The catalog is read-only
/// to users; `import_catalog_food` (SECURITY DEFINER) is the one way in for a request.
pub async fn import(tx: &mut UserTx, food: &CatalogFood) -> AppResult<(Uuid, bool)> {
    if food.servings.is_empty() {
        return Err(AppError::internal(format!(
            "catalog food {}:{} has no serving",
            food.source, food.source_id
        )));
    }
    let existed = find(tx, &food.source, &food.source_id).await?.is_some();
    let id: Uuid = tx
        .query_one("SELECT import_catalog_food($1)", &[&food.to_json()])
        .await?
        .get(0);
    Ok((id, !existed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn values_are_storable_or_unknown() {
        assert_eq!(storable(d("-1")), None);
        assert_eq!(storable(d("10000000000")), None);
        assert_eq!(storable(d("9999999999.99994")), Some(d("9999999999.9999")));
        assert_eq!(storable(d("0.12345")), Some(d("0.1235")));
        assert_eq!(storable(d("2.50")), Some(d("2.5")));
    }

    #[test]
    fn barcodes_are_normalised() {
        assert_eq!(
            normalised_barcode("041570054161").as_deref(),
            Some("0041570054161")
        );
        assert_eq!(
            normalised_barcode("00041570054161").as_deref(),
            Some("0041570054161")
        );
        assert_eq!(normalised_barcode("12345"), None);
        assert_eq!(normalised_barcode("10041570054168"), None);
    }

    fn serving(size: &str, is_default: bool) -> CatalogServing {
        CatalogServing {
            size: d(size),
            unit: "g".into(),
            weight_g: Some(d("0")),
            is_default,
            nutrients: Nutrients {
                calories: Some(d("-5")),
                protein: Some(d("1.23456")),
                ..Default::default()
            },
        }
    }

    #[test]
    fn a_food_is_cleaned_with_exactly_one_default() {
        let food = CatalogFood {
            source: "openfoodfacts".into(),
            source_id: " 123 ".into(),
            name: "  Oat\u{0}bars\n".into(),
            brand: Some("   ".into()),
            barcode: Some("036000291453".into()),
            servings: vec![
                serving("0", true),
                serving("30", false),
                serving("100", true),
            ],
        }
        .normalised()
        .unwrap();
        assert_eq!(food.source_id, "123");
        assert_eq!(food.name, "Oat bars");
        assert_eq!(food.brand, None);
        assert_eq!(food.barcode, None, "wrong check digit");
        assert_eq!(
            food.servings.len(),
            2,
            "a serving without a size is dropped"
        );
        assert!(!food.servings[0].is_default);
        assert!(
            food.servings[1].is_default,
            "the first marked default stays"
        );
        assert_eq!(food.servings[0].weight_g, None);
        assert_eq!(food.servings[0].nutrients.calories, None);
        assert_eq!(food.servings[0].nutrients.protein, Some(d("1.2346")));

        let mut no_name = food.clone();
        no_name.name = " ".into();
        assert!(no_name.normalised().is_none());
        let mut no_servings = food.clone();
        no_servings.servings.clear();
        assert!(no_servings.normalised().is_none());
        let mut none_marked = food;
        none_marked.servings[1].is_default = false;
        let n = none_marked.normalised().unwrap();
        assert!(n.servings[0].is_default);
    }
}
