//! Nutritionix: instant search, natural-language nutrients and branded item lookup.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{json, Value};

use crate::http::Http;
use crate::nutrients::{self, dec_of, field_for_usda_number, str_of, Field, Nutrients};
use crate::{
    finish_servings, ProviderError, ProviderFood, ProviderServing, ProviderSettings, NUTRITIONIX,
};

/// Prefix of the `source_id` of a common (unbranded) food.
pub const COMMON_PREFIX: &str = "common:";
/// Most alternative measures kept per food.
const MAX_MEASURES: usize = 12;

/// `nf_*` field → Sparky field; Nutritionix reports these in Sparky's units (kcal, g, mg).
const NF_FIELDS: [(&str, Field); 10] = [
    ("nf_calories", Field::Calories),
    ("nf_total_fat", Field::Fat),
    ("nf_saturated_fat", Field::SaturatedFat),
    ("nf_cholesterol", Field::Cholesterol),
    ("nf_sodium", Field::Sodium),
    ("nf_total_carbohydrate", Field::Carbohydrates),
    ("nf_dietary_fiber", Field::Fiber),
    ("nf_sugars", Field::Sugar),
    ("nf_protein", Field::Protein),
    ("nf_potassium", Field::Potassium),
];

/// Client for the Nutritionix Track API (needs an app id and key).
pub struct Nutritionix {
    http: Http,
    app_id: String,
    app_key: String,
}

impl std::fmt::Debug for Nutritionix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nutritionix")
            .field("http", &self.http)
            .field("app_id", &self.app_id)
            .field("app_key", &"<redacted>")
            .finish()
    }
}

impl Nutritionix {
    pub fn new(settings: ProviderSettings, app_id: String, app_key: String) -> Self {
        Nutritionix {
            http: Http::new(NUTRITIONIX, settings),
            app_id: app_id.trim().to_string(),
            app_key: app_key.trim().to_string(),
        }
    }

    fn auth(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        rb.header("x-app-id", &self.app_id)
            .header("x-app-key", &self.app_key)
            .header("x-remote-user-id", "0")
    }

    fn check(&self) -> Result<(), ProviderError> {
        if self.app_id.is_empty() || self.app_key.is_empty() {
            Err(ProviderError::NotConfigured {
                provider: NUTRITIONIX,
            })
        } else {
            Ok(())
        }
    }

    /// Instant search. Common foods come back with their serving and no nutrients (fetch
    /// `common:<name>` to resolve them); branded foods carry only calories.
    pub async fn search(&self, query: &str) -> Result<Vec<ProviderFood>, ProviderError> {
        self.check()?;
        let query = query.trim();
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let url = self.http.url("/v2/search/instant");
        let body = self
            .http
            .json(|c| self.auth(c.get(&url)).query(&[("query", query)]))
            .await
            .map_err(|e| match e {
                ProviderError::NotFound { .. } => self
                    .http
                    .unavailable("search endpoint not found (HTTP 404)"),
                e => e,
            })?;
        if !body.is_object() {
            return Err(self.http.bad("instant search response is not an object"));
        }
        let list = |key: &str| -> Result<Vec<Value>, ProviderError> {
            match body.get(key) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(a)) => Ok(a.clone()),
                Some(_) => Err(self.http.bad(format!("{key} is not an array"))),
            }
        };
        let mut out = Vec::new();
        for c in list("common")? {
            if let Some(name) = str_of(c.get("food_name")) {
                out.push(food(
                    format!("{COMMON_PREFIX}{name}"),
                    &c,
                    Nutrients::default(),
                ));
            }
        }
        for b in list("branded")? {
            let Some(id) = str_of(b.get("nix_item_id")) else {
                continue;
            };
            let n = Nutrients {
                calories: dec_of(b.get("nf_calories")),
                ..Nutrients::default()
            };
            out.push(food(id, &b, n));
        }
        Ok(out)
    }

    /// Natural-language nutrients ("2 eggs and a slice of toast"): one food per recognised item.
    /// Nothing recognised is an empty list.
    pub async fn natural(&self, query: &str) -> Result<Vec<ProviderFood>, ProviderError> {
        self.check()?;
        let query = query.trim();
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let url = self.http.url("/v2/natural/nutrients");
        let payload = json!({ "query": query });
        match self
            .http
            .json(|c| self.auth(c.post(&url)).json(&payload))
            .await
        {
            Ok(body) => self.foods(&body),
            Err(ProviderError::NotFound { .. }) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// One food by `source_id`: a `nix_item_id`, or `common:<food_name>` (resolved through
    /// natural-language nutrients).
    pub async fn item(&self, source_id: &str) -> Result<ProviderFood, ProviderError> {
        self.check()?;
        let source_id = source_id.trim();
        if let Some(name) = source_id.strip_prefix(COMMON_PREFIX) {
            let mut food = self
                .natural(name)
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| self.http.not_found())?;
            food.source_id = source_id.to_string();
            return Ok(food);
        }
        if source_id.is_empty()
            || source_id.len() > 64
            || !source_id.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(self.http.not_found());
        }
        self.lookup("nix_item_id", source_id)
            .await?
            .ok_or_else(|| self.http.not_found())
    }

    /// A branded item by UPC; `Ok(None)` when Nutritionix does not know it.
    pub async fn barcode(&self, upc: &str) -> Result<Option<ProviderFood>, ProviderError> {
        self.check()?;
        let upc = upc.trim();
        if !crate::is_digits(upc, 32) {
            return Ok(None);
        }
        match self.lookup("upc", upc).await {
            Err(ProviderError::NotFound { .. }) => Ok(None),
            other => other,
        }
    }

    async fn lookup(
        &self,
        param: &str,
        value: &str,
    ) -> Result<Option<ProviderFood>, ProviderError> {
        let url = self.http.url("/v2/search/item");
        let body = self
            .http
            .json(|c| self.auth(c.get(&url)).query(&[(param, value)]))
            .await?;
        Ok(self.foods(&body)?.into_iter().next())
    }

    fn foods(&self, body: &Value) -> Result<Vec<ProviderFood>, ProviderError> {
        let foods = body
            .get("foods")
            .and_then(Value::as_array)
            .ok_or_else(|| self.http.bad("response has no foods array"))?;
        Ok(foods.iter().filter_map(full_food).collect())
    }
}

/// A food from `natural/nutrients` or `search/item`, with full nutrients.
fn full_food(f: &Value) -> Option<ProviderFood> {
    let name = str_of(f.get("food_name"))?;
    let id = str_of(f.get("nix_item_id")).unwrap_or_else(|| format!("{COMMON_PREFIX}{name}"));
    let mut n = Nutrients::default();
    for (key, field) in NF_FIELDS {
        field.set(&mut n, dec_of(f.get(key)));
    }
    // full_nutrients uses USDA nutrient numbers as attr_id, in USDA's canonical units.
    for fnut in f
        .get("full_nutrients")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(attr), Some(value)) = (str_of(fnut.get("attr_id")), dec_of(fnut.get("value")))
        else {
            continue;
        };
        let field = match attr.as_str() {
            "208" => Some(Field::Calories),
            "269" => Some(Field::Sugar),
            other => field_for_usda_number(other),
        };
        if let Some(field) = field {
            if field.get(&n).is_none() {
                field.set(&mut n, Some(value));
            }
        }
    }
    let mut food = food(id, f, n.clone());
    // Alternative measures, scaled by weight.
    let base_weight = dec_of(f.get("serving_weight_grams")).filter(|w| *w > Decimal::ZERO);
    let mut extra = Vec::new();
    if let Some(base) = base_weight {
        for m in f
            .get("alt_measures")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .take(MAX_MEASURES)
        {
            let (Some(weight), Some(unit)) = (
                dec_of(m.get("serving_weight")).filter(|w| *w > Decimal::ZERO),
                str_of(m.get("measure")),
            ) else {
                continue;
            };
            let size = dec_of(m.get("qty"))
                .filter(|q| *q > Decimal::ZERO)
                .unwrap_or(dec!(1));
            let default = &food.servings[0];
            if default.unit == unit && default.size == nutrients::tidy_dec(size) {
                continue;
            }
            let Some(factor) = weight.checked_div(base) else {
                continue;
            };
            extra.push(ProviderServing {
                size,
                unit,
                weight_g: Some(weight),
                is_default: false,
                nutrients: nutrients::scale(&n, factor),
            });
        }
    }
    if !extra.is_empty() {
        let mut all = std::mem::take(&mut food.servings);
        all.extend(extra);
        food.servings = finish_servings(all);
    }
    Some(food)
}

/// A food with one default serving of `serving_qty serving_unit`.
fn food(source_id: String, f: &Value, nutrients: Nutrients) -> ProviderFood {
    let name = str_of(f.get("food_name")).unwrap_or_else(|| source_id.clone());
    let serving = ProviderServing {
        size: dec_of(f.get("serving_qty"))
            .filter(|q| *q > Decimal::ZERO)
            .unwrap_or(dec!(1)),
        unit: str_of(f.get("serving_unit")).unwrap_or_else(|| "serving".to_string()),
        weight_g: dec_of(f.get("serving_weight_grams")).filter(|w| *w > Decimal::ZERO),
        is_default: true,
        nutrients,
    };
    ProviderFood {
        source: NUTRITIONIX.to_string(),
        source_id,
        name,
        brand: str_of(f.get("brand_name")),
        barcode: str_of(f.get("upc"))
            .or_else(|| str_of(f.get("nf_upc")))
            .filter(|u| u.bytes().all(|b| b.is_ascii_digit())),
        servings: finish_servings(vec![serving]),
    }
}
