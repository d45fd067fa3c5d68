//! A nutrition label as a vision model read it (lenient JSON) → a food proposal in exactly the
//! shape `POST /api/v1/foods` takes ([`FoodInput`]), with warnings for what looks doubtful.
//!
//! What the model is asked for is in [`PROMPT`]; what is accepted is wider: nutrients under
//! their usual label names ("Total Fat", "carbs", "sugars", "fibre", "salt"), values as
//! numbers or text with units ("1,5 g", "95mg", "250 kcal / 1046 kJ"), the serving as an object
//! or as printed ("2 cookies (30 g)"). Energy given only in kJ is converted (1 kcal = 4.184 kJ);
//! salt becomes sodium (salt ÷ 2.5). A label with per-100 g values and a serving size gives the
//! serving (its values computed) and the 100 g serving.
//!
//! Impossible values (negative, more than 900 kcal or more than 100 g of a nutrient per 100 g)
//! are a 422 naming `image`; an energy that disagrees with 4/4/9 × the macros by more than 20 %
//! is only a warning.

mod checks;
mod nutrients;
mod serving;
#[cfg(test)]
mod tests;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Map, Value};
use sparky_core::units::round_dp;
use sparky_core::Amount;

use self::checks::{check_per_100, energy_warning};
use self::nutrients::{canonical, nutrients_from, scaled, split_unit_suffix};
use self::serving::{serving_from, serving_input, ServingSpec};
use super::model_values::{field, key, text};
use crate::error::{AppError, AppResult};
use crate::foods::{FoodInput, ServingInput};

/// What the model is asked to answer.
pub const PROMPT: &str = "You read nutrition labels for a food diary. Answer with JSON only, no prose, \
in this shape:\n\
{\"name\": \"product name or null\", \"brand\": \"brand or null\",\n\
 \"serving\": {\"size\": 2, \"unit\": \"cookies\", \"weight_g\": 30},\n\
 \"per_serving\": {\"calories\": 150, \"protein\": 2, \"carbohydrates\": 20, \"sugar\": 8, \"fiber\": 1, \"fat\": 7, \
\"saturated_fat\": 3, \"trans_fat\": 0, \"cholesterol\": 0, \"sodium\": 95},\n\
 \"per_100g\": {... the same keys ...}}\n\
Copy the numbers as printed. calories in kcal (if the label prints only kJ, give \"energy_kj\" instead); \
protein, carbohydrates, sugar, fiber, fat, saturated_fat, trans_fat in g; sodium, cholesterol, potassium, \
calcium, iron, vitamin_c in mg; vitamin_a in µg. If the label gives salt instead of sodium, give \"salt\" in g. \
Use null for the serving, per_serving or per_100g when the label does not print them (per_100g is per 100 ml \
for drinks: then call it per_100ml). Leave out values that are not printed.";

/// A food proposal and what looks doubtful about it.
#[derive(Debug, Clone)]
pub struct LabelReading {
    pub food: FoodInput,
    pub warnings: Vec<String>,
}

fn object_of<'a>(obj: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Map<String, Value>> {
    field(obj, names).and_then(Value::as_object)
}

fn has_nutrients(obj: &Map<String, Value>) -> bool {
    obj.keys()
        .any(|k| canonical(split_unit_suffix(&key(k)).0).is_some())
}

/// Turns the model's reading of a label into a food proposal.
pub fn read(answer: &Value) -> AppResult<LabelReading> {
    let root = match answer {
        Value::Array(items) => items.iter().find_map(Value::as_object),
        Value::Object(o) => Some(o),
        _ => None,
    };
    let nothing = || {
        AppError::invalid(
            "image",
            "no nutrition facts could be read from this photo; take it again, straight on and in focus",
        )
    };
    let root = root.ok_or_else(nothing)?;
    let mut warnings = Vec::new();
    let kj_label = field(root, &["energy_unit", "energy_units", "calories_unit"])
        .and_then(text)
        .is_some_and(|u| u.to_ascii_lowercase().contains("kj"));

    let per_serving_obj = object_of(
        root,
        &[
            "per_serving",
            "per_portion",
            "nutrients_per_serving",
            "nutrition_per_serving",
            "serving_nutrients",
        ],
    )
    .or_else(|| object_of(root, &["nutrients", "nutrition", "nutrition_facts"]))
    .or_else(|| has_nutrients(root).then_some(root));
    let per_100_keys = [
        "per_100g",
        "per_100_g",
        "per100g",
        "per_100",
        "per_100_grams",
        "nutrients_per_100g",
        "per_100ml",
        "per_100_ml",
        "per100ml",
        "nutrients_per_100ml",
    ];
    let (per_100_obj, per_ml) = root
        .iter()
        .filter(|(_, v)| v.is_object())
        .find_map(|(k, v)| {
            let k = key(k);
            per_100_keys
                .contains(&k.as_str())
                .then(|| (v.as_object(), k.contains("ml")))
        })
        .unwrap_or((None, false));

    let mut serving = field(
        root,
        &["serving", "serving_size", "portion", "portion_size"],
    )
    .and_then(serving_from);
    if serving.is_none() {
        serving = per_serving_obj
            .and_then(|o| field(o, &["serving_size", "serving", "size"]))
            .and_then(serving_from);
    }
    let per_serving = match per_serving_obj {
        Some(o) => nutrients_from(o, kj_label, "per serving", &mut warnings)?,
        None => None,
    };
    let per_100 = match per_100_obj {
        Some(o) => nutrients_from(
            o,
            kj_label,
            if per_ml { "per 100 ml" } else { "per 100 g" },
            &mut warnings,
        )?,
        None => None,
    };
    if let Some(p) = &per_100 {
        check_per_100(p)?;
    }

    let mut servings: Vec<ServingInput> = Vec::new();
    match (&per_serving, &per_100, &serving) {
        (Some(ps), _, s) => {
            let s = match s {
                Some(s) => s.clone(),
                None => {
                    warnings.push(
                        "the label gives no serving size: the values are for \"1 serving\"".into(),
                    );
                    ServingSpec::new(Decimal::ONE, "serving")
                }
            };
            if let Some(w) = s.base_amount(per_ml).filter(|w| *w > Decimal::ZERO) {
                check_per_100(&scaled(ps, dec!(100) / w))?;
                if let (Some(p100), Some(c)) = (&per_100, ps.calories) {
                    if let Some(expected) = p100.calories.map(|c100| c100 * w / dec!(100)) {
                        let larger = c.max(expected);
                        if larger >= dec!(10) && (c - expected).abs() > larger * dec!(0.2) {
                            warnings.push(format!(
                                "the serving's {} kcal do not match the per-100 values ({} kcal for {} {})",
                                round_dp(c, 0),
                                round_dp(expected, 0),
                                w.normalize(),
                                if per_ml { "ml" } else { "g" }
                            ));
                        }
                    }
                }
            }
            servings.push(serving_input(&s, ps.clone()));
        }
        (None, Some(p100), Some(s)) => {
            if let Some(w) = s.base_amount(per_ml).filter(|w| *w > Decimal::ZERO) {
                servings.push(serving_input(s, scaled(p100, w / dec!(100))));
            }
        }
        _ => {}
    }
    if let Some(p100) = &per_100 {
        let unit = if per_ml { "ml" } else { "g" };
        let already = servings.iter().any(|s| {
            (s.unit == unit && s.size.0 == dec!(100))
                || (!per_ml && s.weight_g.is_some_and(|w| w.0 == dec!(100)))
        });
        if !already {
            servings.push(ServingInput {
                size: Amount(dec!(100)),
                unit: unit.into(),
                weight_g: (!per_ml).then_some(Amount(dec!(100))),
                is_default: None,
                nutrients: p100.clone(),
                custom_nutrients: Default::default(),
            });
        }
    }
    if servings.is_empty() {
        return Err(nothing());
    }
    if let Some(w) = energy_warning(&servings[0].nutrients) {
        warnings.push(w);
    }

    let name = match field(root, &["name", "product_name", "product", "food", "title"])
        .and_then(text)
    {
        Some(n) => n.chars().take(255).collect(),
        None => {
            warnings.push("the label shows no product name: name the food before saving".into());
            "Food from a label".to_string()
        }
    };
    let brand = field(root, &["brand", "brand_name", "manufacturer", "brands"])
        .and_then(text)
        .map(|b| b.chars().take(255).collect());
    let food = FoodInput {
        name,
        brand,
        barcode: None,
        servings,
    };
    // The proposal must be what POST /api/v1/foods accepts.
    if let Err(e) = food.parse() {
        return Err(AppError::invalid(
            "image",
            format!("the label could not be made into a food: {e}"),
        ));
    }
    Ok(LabelReading { food, warnings })
}
