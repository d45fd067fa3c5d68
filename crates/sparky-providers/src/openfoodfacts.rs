//! OpenFoodFacts: API v2 product lookup and the classic search endpoint.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::Value;

use crate::http::Http;
use crate::nutrients::{self, dec_of, str_of, Field, Nutrients, Unit};
use crate::{
    finish_servings, is_digits, ProviderError, ProviderFood, ProviderServing, ProviderSettings,
    OPENFOODFACTS,
};

/// Only the fields the mapping reads.
const FIELDS: &str = "code,product_name,product_name_en,generic_name,brands,nutriments,\
serving_size,serving_quantity,serving_quantity_unit,nutrition_data_per";
const PAGE_SIZE: u32 = 20;

/// OFF nutriment key (without `_100g`/`_serving`), Sparky field, and the unit OFF normalises
/// the value to (grams for everything but energy).
const NUTRIMENTS: [(&str, Field, Unit); 13] = [
    ("proteins", Field::Protein, Unit::G),
    ("carbohydrates", Field::Carbohydrates, Unit::G),
    ("fat", Field::Fat, Unit::G),
    ("fiber", Field::Fiber, Unit::G),
    ("sugars", Field::Sugar, Unit::G),
    ("saturated-fat", Field::SaturatedFat, Unit::G),
    ("trans-fat", Field::TransFat, Unit::G),
    ("cholesterol", Field::Cholesterol, Unit::G),
    ("potassium", Field::Potassium, Unit::G),
    ("calcium", Field::Calcium, Unit::G),
    ("iron", Field::Iron, Unit::G),
    ("vitamin-a", Field::VitaminA, Unit::G),
    ("vitamin-c", Field::VitaminC, Unit::G),
];

/// Client for OpenFoodFacts (no key needed; it asks for an identifying User-Agent).
#[derive(Debug)]
pub struct OpenFoodFacts {
    http: Http,
}

impl OpenFoodFacts {
    pub fn new(settings: ProviderSettings) -> Self {
        OpenFoodFacts {
            http: Http::new(OPENFOODFACTS, settings),
        }
    }

    /// Full-text search; `page` starts at 1 (0 is treated as 1). Products without a code are
    /// skipped.
    pub async fn search(&self, query: &str, page: u32) -> Result<Vec<ProviderFood>, ProviderError> {
        let query = query.trim();
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let page = page.max(1).to_string();
        let page_size = PAGE_SIZE.to_string();
        let url = self.http.url("/cgi/search.pl");
        let body = self
            .http
            .json(|c| {
                c.get(&url).query(&[
                    ("search_terms", query),
                    ("search_simple", "1"),
                    ("action", "process"),
                    ("json", "1"),
                    ("page", &page),
                    ("page_size", &page_size),
                    ("fields", FIELDS),
                ])
            })
            .await
            .map_err(|e| match e {
                ProviderError::NotFound { .. } => self
                    .http
                    .unavailable("search endpoint not found (HTTP 404)"),
                e => e,
            })?;
        let products = body
            .get("products")
            .and_then(Value::as_array)
            .ok_or_else(|| self.http.bad("search response has no products array"))?;
        Ok(products
            .iter()
            .filter_map(|p| map_product(p, None))
            .collect())
    }

    /// One product by barcode. Unknown barcodes (and ones that are not 1–32 digits) are
    /// [`ProviderError::NotFound`].
    pub async fn product(&self, barcode: &str) -> Result<ProviderFood, ProviderError> {
        let barcode = barcode.trim();
        if !is_digits(barcode, 32) {
            return Err(self.http.not_found());
        }
        let url = self.http.url(&format!("/api/v2/product/{barcode}.json"));
        let body = self
            .http
            .json(|c| c.get(&url).query(&[("fields", FIELDS)]))
            .await?;
        let Some(obj) = body.as_object() else {
            return Err(self.http.bad("product response is not an object"));
        };
        let status = obj.get("status").and_then(|s| match s {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        });
        match status {
            Some(1) => {}
            Some(_) => return Err(self.http.not_found()),
            None if obj.contains_key("product") => {}
            None => return Err(self.http.bad("product response has no status")),
        }
        let product = obj
            .get("product")
            .filter(|p| p.is_object())
            .ok_or_else(|| self.http.bad("product response has no product object"))?;
        map_product(product, Some(barcode)).ok_or_else(|| self.http.bad("product has no code"))
    }
}

/// Maps one OFF product; `None` when it has no code at all.
pub(crate) fn map_product(p: &Value, requested_code: Option<&str>) -> Option<ProviderFood> {
    let code = str_of(p.get("code")).or_else(|| requested_code.map(str::to_string))?;
    let name = ["product_name", "product_name_en", "generic_name"]
        .iter()
        .find_map(|k| str_of(p.get(*k)))
        .unwrap_or_else(|| code.clone());
    let brand = str_of(p.get("brands")).and_then(|b| {
        b.split(',')
            .map(str::trim)
            .find(|s| !s.is_empty())
            .map(str::to_string)
    });
    let barcode = code
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| code.clone());

    let empty = Value::Null;
    let nutriments = p
        .get("nutriments")
        .filter(|n| n.is_object())
        .unwrap_or(&empty);
    let per_100 = read_nutriments(nutriments, "_100g");
    let per_serving = read_nutriments(nutriments, "_serving");

    let basis_ml =
        str_of(p.get("nutrition_data_per")).is_some_and(|s| s.eq_ignore_ascii_case("100ml"));
    let basis_unit = if basis_ml { "ml" } else { "g" };
    let (serving_qty, serving_unit) = serving_quantity(p);

    let mut servings = Vec::new();
    if !nutrients::is_empty(&per_100) || nutrients::is_empty(&per_serving) {
        servings.push(ProviderServing {
            size: dec!(100),
            unit: basis_unit.to_string(),
            weight_g: (!basis_ml).then_some(dec!(100)),
            is_default: true,
            nutrients: per_100.clone(),
        });
        // The product's own serving, scaled from the per-100 values.
        if let Some(q) = serving_qty.filter(|_| serving_unit == basis_unit) {
            if let Some(factor) = q.checked_div(dec!(100)) {
                servings.push(ProviderServing {
                    size: dec!(1),
                    unit: "serving".to_string(),
                    weight_g: (serving_unit == "g").then_some(q),
                    is_default: false,
                    nutrients: nutrients::scale(&per_100, factor),
                });
            }
        }
    } else {
        // Only per-serving values: the serving is the default; derive per-100 when its weight
        // is known.
        servings.push(ProviderServing {
            size: dec!(1),
            unit: "serving".to_string(),
            weight_g: serving_qty.filter(|_| serving_unit == "g"),
            is_default: true,
            nutrients: per_serving.clone(),
        });
        if let Some(factor) = serving_qty.and_then(|q| dec!(100).checked_div(q)) {
            servings.push(ProviderServing {
                size: dec!(100),
                unit: serving_unit.to_string(),
                weight_g: (serving_unit == "g").then_some(dec!(100)),
                is_default: false,
                nutrients: nutrients::scale(&per_serving, factor),
            });
        }
    }

    Some(ProviderFood {
        source: OPENFOODFACTS.to_string(),
        source_id: code,
        name,
        brand,
        barcode,
        servings: finish_servings(servings),
    })
}

/// Reads the nutriments with the given suffix (`_100g` or `_serving`) into Sparky units.
fn read_nutriments(n: &Value, suffix: &str) -> Nutrients {
    let get = |key: &str| dec_of(n.get(format!("{key}{suffix}")));
    let kj_to_kcal = |kj| nutrients::convert(kj, Unit::Kj, Unit::Kcal);
    let mut out = Nutrients {
        calories: get("energy-kcal")
            .or_else(|| get("energy-kj").and_then(kj_to_kcal))
            .or_else(|| get("energy").and_then(kj_to_kcal)),
        ..Nutrients::default()
    };
    for (key, field, unit) in NUTRIMENTS {
        field.set(
            &mut out,
            get(key).and_then(|v| nutrients::convert(v, unit, field.unit())),
        );
    }
    out.sodium = get("sodium")
        .or_else(|| get("salt").and_then(|salt| salt.checked_div(dec!(2.5))))
        .and_then(|g| nutrients::convert(g, Unit::G, Unit::Mg));
    out
}

/// The product's serving amount and its unit ("g" or "ml"), from `serving_quantity` (+
/// `serving_quantity_unit`) or, failing that, a weight in the `serving_size` text.
fn serving_quantity(p: &Value) -> (Option<Decimal>, &'static str) {
    let unit_of = |s: &str| match s.trim().to_ascii_lowercase().as_str() {
        "ml" => Some("ml"),
        "g" | "" => Some("g"),
        _ => None,
    };
    if let Some(q) = dec_of(p.get("serving_quantity")).filter(|q| *q > Decimal::ZERO) {
        let unit = str_of(p.get("serving_quantity_unit")).unwrap_or_default();
        return match unit_of(&unit) {
            Some(u) => (Some(q), u),
            None => (None, "g"),
        };
    }
    match str_of(p.get("serving_size")).and_then(|s| parse_serving_text(&s)) {
        Some((q, u)) => (Some(q), u),
        None => (None, "g"),
    }
}

/// Finds "30 g", "30g", "250 ml" in serving text such as "1 slice (30 g)"; the last match wins
/// so a parenthesised weight is preferred.
fn parse_serving_text(text: &str) -> Option<(Decimal, &'static str)> {
    let lower = text.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut found = None;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_digit() || bytes[i] == b'.' || bytes[i] == b',')
            {
                i += 1;
            }
            let number = lower[start..i].replace(',', ".");
            let rest = lower[i..].trim_start();
            let unit = if rest.starts_with("ml") {
                Some("ml")
            } else if rest.starts_with('g')
                && !rest[1..].starts_with(|c: char| c.is_ascii_alphabetic())
            {
                Some("g")
            } else {
                None
            };
            if let (Some(u), Some(q)) = (unit, dec_of(Some(&Value::String(number)))) {
                if q > Decimal::ZERO {
                    found = Some((q, u));
                }
            }
        } else {
            i += 1;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serving_text() {
        assert_eq!(parse_serving_text("30 g"), Some((dec!(30), "g")));
        assert_eq!(parse_serving_text("1 slice (28g)"), Some((dec!(28), "g")));
        assert_eq!(parse_serving_text("250 ml"), Some((dec!(250), "ml")));
        assert_eq!(parse_serving_text("2 biscuits"), None);
        assert_eq!(parse_serving_text("1 gram"), None);
        assert_eq!(parse_serving_text("12,5 g"), Some((dec!(12.5), "g")));
    }
}
