//! USDA FoodData Central: search (abridged, flat `nutrientNumber`) and food details (nested
//! `nutrient.number` + `amount`).

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::Value;

use crate::http::Http;
use crate::nutrients::{self, dec_of, str_of, NutrientNumbers, Nutrients};
use crate::{
    finish_servings, is_digits, ProviderError, ProviderFood, ProviderServing, ProviderSettings,
    USDA,
};

const PAGE_SIZE: u32 = 25;
/// Most household portions kept from a food's `foodPortions`.
const MAX_PORTIONS: usize = 12;

/// Client for USDA FoodData Central (needs a data.gov API key).
pub struct Usda {
    http: Http,
    api_key: String,
}

impl std::fmt::Debug for Usda {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Usda")
            .field("http", &self.http)
            .field("api_key", &"<redacted>")
            .finish()
    }
}

impl Usda {
    pub fn new(settings: ProviderSettings, api_key: String) -> Self {
        Usda {
            http: Http::new(USDA, settings),
            api_key: api_key.trim().to_string(),
        }
    }

    fn key(&self) -> Result<&str, ProviderError> {
        if self.api_key.is_empty() {
            Err(ProviderError::NotConfigured { provider: USDA })
        } else {
            Ok(&self.api_key)
        }
    }

    /// Full-text search; `page` starts at 1 (0 is treated as 1).
    pub async fn search(&self, query: &str, page: u32) -> Result<Vec<ProviderFood>, ProviderError> {
        self.key()?;
        let query = query.trim();
        if query.is_empty() {
            return Ok(Vec::new());
        }
        self.search_raw(&[("query", query), ("pageNumber", &page.max(1).to_string())])
            .await
    }

    async fn search_raw(
        &self,
        params: &[(&str, &str)],
    ) -> Result<Vec<ProviderFood>, ProviderError> {
        let key = self.key()?;
        let page_size = PAGE_SIZE.to_string();
        let url = self.http.url("/v1/foods/search");
        let body = self
            .http
            .json(|c| {
                c.get(&url)
                    .query(params)
                    .query(&[("pageSize", page_size.as_str()), ("api_key", key)])
            })
            .await
            .map_err(|e| match e {
                ProviderError::NotFound { .. } => self
                    .http
                    .unavailable("search endpoint not found (HTTP 404)"),
                e => e,
            })?;
        let foods = body
            .get("foods")
            .and_then(Value::as_array)
            .ok_or_else(|| self.http.bad("search response has no foods array"))?;
        Ok(foods.iter().filter_map(map_food).collect())
    }

    /// One food by fdcId. Ids that are not all digits are [`ProviderError::NotFound`].
    pub async fn food(&self, fdc_id: &str) -> Result<ProviderFood, ProviderError> {
        let key = self.key()?;
        let fdc_id = fdc_id.trim();
        if !is_digits(fdc_id, 18) {
            return Err(self.http.not_found());
        }
        let url = self.http.url(&format!("/v1/food/{fdc_id}"));
        let body = self
            .http
            .json(|c| c.get(&url).query(&[("api_key", key)]))
            .await?;
        if !body.is_object() {
            return Err(self.http.bad("food response is not an object"));
        }
        map_food(&body).ok_or_else(|| self.http.bad("food has no fdcId"))
    }

    /// A branded food by GTIN/UPC (searching Branded foods and matching `gtinUpc`, ignoring
    /// leading zeros). `Ok(None)` when no branded food carries it.
    pub async fn barcode(&self, gtin: &str) -> Result<Option<ProviderFood>, ProviderError> {
        let gtin = gtin.trim();
        if !is_digits(gtin, 32) {
            return Ok(None);
        }
        let want = gtin.trim_start_matches('0');
        let foods = self
            .search_raw(&[
                ("query", gtin),
                ("dataType", "Branded"),
                ("pageNumber", "1"),
            ])
            .await?;
        Ok(foods.into_iter().find(|f| {
            f.barcode
                .as_deref()
                .is_some_and(|b| b.trim_start_matches('0') == want)
        }))
    }
}

/// Maps a search hit or a details document; `None` without an fdcId.
pub(crate) fn map_food(f: &Value) -> Option<ProviderFood> {
    let fdc_id = str_of(f.get("fdcId"))?;
    let name = str_of(f.get("description"))
        .or_else(|| str_of(f.get("lowercaseDescription")))
        .unwrap_or_else(|| format!("USDA food {fdc_id}"));
    let brand = str_of(f.get("brandName")).or_else(|| str_of(f.get("brandOwner")));
    let barcode = str_of(f.get("gtinUpc")).filter(|g| g.bytes().all(|b| b.is_ascii_digit()));

    let per_100 = read_nutrients(f.get("foodNutrients"));
    let serving_unit = str_of(f.get("servingSizeUnit")).and_then(|u| normalise_unit(&u));
    // Branded liquids are reported per 100 ml.
    let basis_ml = serving_unit == Some("ml");

    let mut servings = vec![ProviderServing {
        size: dec!(100),
        unit: if basis_ml { "ml" } else { "g" }.to_string(),
        weight_g: (!basis_ml).then_some(dec!(100)),
        is_default: true,
        nutrients: per_100.clone(),
    }];

    // A branded food's label serving.
    if let (Some(size), Some(unit)) = (
        dec_of(f.get("servingSize")).filter(|s| *s > Decimal::ZERO),
        serving_unit,
    ) {
        if let Some(factor) = size.checked_div(dec!(100)) {
            let household =
                str_of(f.get("householdServingFullText")).and_then(|t| split_quantity(&t));
            let (hsize, hunit) = household.unwrap_or((size, unit.to_string()));
            servings.push(ProviderServing {
                size: hsize,
                unit: hunit,
                weight_g: (unit == "g").then_some(size),
                is_default: false,
                nutrients: nutrients::scale(&per_100, factor),
            });
        }
    }

    // Household portions of Foundation / SR Legacy / Survey foods.
    if let Some(portions) = f.get("foodPortions").and_then(Value::as_array) {
        for p in portions.iter().take(MAX_PORTIONS) {
            if let Some(s) = portion(p, &per_100) {
                servings.push(s);
            }
        }
    }

    Some(ProviderFood {
        source: USDA.to_string(),
        source_id: fdc_id,
        name,
        brand,
        barcode,
        servings: finish_servings(servings),
    })
}

/// Reads `foodNutrients` in either shape: flat (`nutrientNumber`/`number`, `value`,
/// `unitName`) or nested (`nutrient: {number, unitName}`, `amount`).
fn read_nutrients(list: Option<&Value>) -> Nutrients {
    let mut acc = NutrientNumbers::default();
    for n in list.and_then(Value::as_array).into_iter().flatten() {
        let nested = n.get("nutrient");
        let number = str_of(n.get("nutrientNumber"))
            .or_else(|| str_of(n.get("number")))
            .or_else(|| nested.and_then(|x| str_of(x.get("number"))));
        let Some(mut number) = number else { continue };
        // Nutrient id 2000 ("Sugars, total including NLEA") carries number 269.
        let id = str_of(n.get("nutrientId")).or_else(|| nested.and_then(|x| str_of(x.get("id"))));
        if id.as_deref() == Some("2000") {
            number = "269".to_string();
        }
        let value = dec_of(n.get("value")).or_else(|| dec_of(n.get("amount")));
        let Some(value) = value else { continue };
        let unit =
            str_of(n.get("unitName")).or_else(|| nested.and_then(|x| str_of(x.get("unitName"))));
        acc.add(&number, value, unit.as_deref());
    }
    acc.finish()
}

fn normalise_unit(u: &str) -> Option<&'static str> {
    match u.trim().to_ascii_lowercase().as_str() {
        "g" | "grm" | "gram" | "grams" => Some("g"),
        "ml" | "mlt" | "milliliter" | "millilitre" => Some("ml"),
        _ => None,
    }
}

/// "1 slice" → (1, "slice"); "2/3 cup" → (2/3, "cup"); text without a leading amount → (1, text).
fn split_quantity(text: &str) -> Option<(Decimal, String)> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let (head, rest) = match text.split_once(char::is_whitespace) {
        Some((h, r)) => (h, r.trim()),
        None => (text, ""),
    };
    let amount = match head.split_once('/') {
        Some((a, b)) => dec_of(Some(&Value::String(a.into())))
            .zip(dec_of(Some(&Value::String(b.into()))))
            .and_then(|(a, b)| a.checked_div(b)),
        None => dec_of(Some(&Value::String(head.into()))),
    };
    match amount {
        Some(a) if a > Decimal::ZERO && !rest.is_empty() => Some((a, rest.to_string())),
        _ => Some((dec!(1), text.to_string())),
    }
}

fn portion(p: &Value, per_100: &Nutrients) -> Option<ProviderServing> {
    let grams = dec_of(p.get("gramWeight")).filter(|g| *g > Decimal::ZERO)?;
    let measure = p
        .get("measureUnit")
        .and_then(|m| str_of(m.get("name")))
        .filter(|n| !n.eq_ignore_ascii_case("undetermined"));
    let amount = dec_of(p.get("amount"))
        .or_else(|| dec_of(p.get("value")))
        .filter(|a| *a > Decimal::ZERO);
    let modifier = str_of(p.get("modifier")).filter(|m| !m.bytes().all(|b| b.is_ascii_digit()));
    let (size, unit) = match (measure, modifier) {
        (Some(m), _) => (amount.unwrap_or(dec!(1)), m),
        (None, Some(m)) => (amount.unwrap_or(dec!(1)), m),
        (None, None) => split_quantity(&str_of(p.get("portionDescription"))?)?,
    };
    Some(ProviderServing {
        size,
        unit,
        weight_g: Some(grams),
        is_default: false,
        nutrients: nutrients::scale(per_100, grams.checked_div(dec!(100))?),
    })
}
