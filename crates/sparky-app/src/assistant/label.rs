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

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Map, Value};
use sparky_core::nutrition::Nutrients;
use sparky_core::units::{convert, round_dp, Dimension, Unit};
use sparky_core::Amount;

use super::model_values::{field, key, quantities, quantity, text};
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

/// kJ per kcal.
const KJ_PER_KCAL: Decimal = dec!(4.184);
/// More energy than pure fat per 100 g is not food.
const MAX_KCAL_PER_100: Decimal = dec!(900);

/// A food proposal and what looks doubtful about it.
#[derive(Debug, Clone)]
pub struct LabelReading {
    pub food: FoodInput,
    pub warnings: Vec<String>,
}

/// The serving a label names.
#[derive(Debug, Clone, PartialEq)]
struct ServingSpec {
    size: Decimal,
    unit: String,
    weight_g: Option<Decimal>,
    volume_ml: Option<Decimal>,
}

fn mass_or_volume(unit: &str) -> Option<Unit> {
    Unit::parse(unit)
        .ok()
        .filter(|u| matches!(u.dimension(), Dimension::Mass | Dimension::Volume))
}

impl ServingSpec {
    fn new(size: Decimal, unit: &str) -> ServingSpec {
        let unit: String = unit.trim().chars().take(50).collect();
        let unit = if unit.is_empty() {
            "serving".to_string()
        } else {
            unit
        };
        let mut s = ServingSpec {
            size,
            unit,
            weight_g: None,
            volume_ml: None,
        };
        match mass_or_volume(&s.unit) {
            Some(u) if u.dimension() == Dimension::Mass => {
                s.weight_g = convert(size, u, Unit::G).ok();
                s.unit = u.as_str().to_string();
            }
            Some(u) => {
                s.volume_ml = convert(size, u, Unit::Ml).ok();
                s.unit = u.as_str().to_string();
            }
            None => {}
        }
        s
    }

    /// Grams (or, for a per-100 ml label, millilitres) in the serving.
    fn base_amount(&self, per_ml: bool) -> Option<Decimal> {
        if per_ml {
            self.volume_ml.or(self.weight_g)
        } else {
            self.weight_g
        }
    }

    /// Reads "weight_g": 30, "weight": "30 g", "ml": 250 from an object.
    fn take_amounts(&mut self, obj: &Map<String, Value>) {
        if self.weight_g.is_none() {
            if let Some(q) = field(
                obj,
                &["weight_g", "grams", "gram_weight", "weight", "mass_g", "g"],
            )
            .and_then(quantity)
            {
                self.weight_g = match q.unit.as_deref().and_then(mass_or_volume) {
                    Some(u) if u.dimension() == Dimension::Mass => {
                        convert(q.value, u, Unit::G).ok()
                    }
                    Some(_) => None,
                    None => Some(q.value),
                };
            }
        }
        if self.volume_ml.is_none() {
            if let Some(q) = field(obj, &["volume_ml", "ml", "volume"]).and_then(quantity) {
                self.volume_ml = match q.unit.as_deref().and_then(mass_or_volume) {
                    Some(u) if u.dimension() == Dimension::Volume => {
                        convert(q.value, u, Unit::Ml).ok()
                    }
                    Some(_) => None,
                    None => Some(q.value),
                };
            }
        }
    }
}

/// "2 cookies (30 g)", "1 cup (240 ml)", "30g", 30 (grams).
fn serving_from_text(t: &str) -> Option<ServingSpec> {
    let all = quantities(t);
    let first = all.first()?;
    if first.value <= Decimal::ZERO {
        return None;
    }
    // The unit as printed: the words after the number, up to a bracket or comma.
    let unit = match &first.unit {
        Some(u) if mass_or_volume(u).is_some() => u.clone(),
        _ => {
            let after_number = t
                .trim_start_matches(|c: char| !c.is_ascii_digit())
                .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ',')
                .trim();
            after_number
                .split(['(', ',', '/', '['])
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        }
    };
    let mut s = ServingSpec::new(first.value, &unit);
    for q in all.iter().skip(1) {
        match q.unit.as_deref().and_then(mass_or_volume) {
            Some(u) if u.dimension() == Dimension::Mass && s.weight_g.is_none() => {
                s.weight_g = convert(q.value, u, Unit::G).ok();
            }
            Some(u) if u.dimension() == Dimension::Volume && s.volume_ml.is_none() => {
                s.volume_ml = convert(q.value, u, Unit::Ml).ok();
            }
            _ => {}
        }
    }
    Some(s)
}

fn serving_from(v: &Value) -> Option<ServingSpec> {
    match v {
        Value::Number(_) => {
            let q = quantity(v)?;
            (q.value > Decimal::ZERO).then(|| ServingSpec::new(q.value, "g"))
        }
        Value::String(t) => serving_from_text(t),
        Value::Object(obj) => {
            let size = field(obj, &["size", "amount", "quantity", "value", "count"]);
            let unit = field(obj, &["unit", "units", "serving_unit"]).and_then(text);
            let mut s = match size.and_then(quantity) {
                Some(q) if q.value > Decimal::ZERO => {
                    let unit = unit.or(q.unit).unwrap_or_default();
                    ServingSpec::new(q.value, &unit)
                }
                _ => match field(obj, &["description", "text", "label", "serving_size"])
                    .and_then(text)
                    .and_then(|t| serving_from_text(&t))
                {
                    Some(s) => s,
                    None => {
                        let mut s = ServingSpec::new(Decimal::ONE, &unit.unwrap_or_default());
                        s.take_amounts(obj);
                        if s.weight_g.is_none() && s.volume_ml.is_none() {
                            return None;
                        }
                        if s.unit == "serving" {
                            // Only a weight: the serving is that many grams.
                            if let Some(w) = s.weight_g {
                                return Some(ServingSpec::new(w, "g"));
                            }
                        }
                        s
                    }
                },
            };
            s.take_amounts(obj);
            Some(s)
        }
        _ => None,
    }
}

/// What a label's nutrient name is in [`Nutrients`] (or `salt`, `energy_kj`).
fn canonical(name: &str) -> Option<&'static str> {
    Some(match name {
        "calories" | "calorie" | "energy" | "kcal" | "energy_kcal" | "calories_kcal" | "cal" => {
            "calories"
        }
        "energy_kj" | "kj" | "kilojoules" | "energy_kilojoules" => "energy_kj",
        "protein" | "proteins" => "protein",
        "carbohydrates"
        | "carbohydrate"
        | "carbs"
        | "carb"
        | "total_carbohydrate"
        | "total_carbohydrates"
        | "total_carbs" => "carbohydrates",
        "fat" | "fats" | "total_fat" | "total_fats" | "lipids" => "fat",
        "fiber" | "fibre" | "dietary_fiber" | "dietary_fibre" | "fibers" | "fibres" => "fiber",
        "sugar" | "sugars" | "total_sugar" | "total_sugars" | "of_which_sugars" => "sugar",
        "sodium" => "sodium",
        "salt" => "salt",
        "saturated_fat" | "saturated_fats" | "saturated" | "saturates" | "sat_fat"
        | "of_which_saturates" => "saturated_fat",
        "trans_fat" | "trans_fats" | "trans" => "trans_fat",
        "cholesterol" => "cholesterol",
        "potassium" => "potassium",
        "calcium" => "calcium",
        "iron" => "iron",
        "vitamin_a" | "vit_a" => "vitamin_a",
        "vitamin_c" | "vit_c" => "vitamin_c",
        _ => return None,
    })
}

/// The unit a nutrient is stored in.
fn stored_unit(name: &str) -> &'static str {
    match name {
        "calories" => "kcal",
        "energy_kj" => "kj",
        "sodium" | "cholesterol" | "potassium" | "calcium" | "iron" | "vitamin_c" => "mg",
        "vitamin_a" => "µg",
        _ => "g",
    }
}

/// Grams per one of a mass unit as labels print them.
fn grams_per(unit: &str) -> Option<Decimal> {
    Some(match unit {
        "g" | "gr" | "gram" | "grams" => Decimal::ONE,
        "mg" | "milligram" | "milligrams" => dec!(0.001),
        "µg" | "ug" | "mcg" | "microgram" | "micrograms" => dec!(0.000001),
        "kg" => dec!(1000),
        _ => return None,
    })
}

/// A key's unit suffix: `protein_g`, `sodium_mg`, `energy_kcal` (the name without it, the unit).
fn split_unit_suffix(k: &str) -> (&str, Option<&'static str>) {
    for (suffix, unit) in [
        ("_kcal", "kcal"),
        ("_kj", "kj"),
        ("_mg", "mg"),
        ("_mcg", "µg"),
        ("_ug", "µg"),
        ("_µg", "µg"),
        ("_g", "g"),
    ] {
        if let Some(name) = k.strip_suffix(suffix) {
            if canonical(name).is_some() {
                return (name, Some(unit));
            }
        }
    }
    (k, None)
}

/// Reads the nutrients of one column of a label. `kj_label`: the model said energies are in kJ.
fn nutrients_from(
    obj: &Map<String, Value>,
    kj_label: bool,
    what: &str,
    warnings: &mut Vec<String>,
) -> AppResult<Option<Nutrients>> {
    let mut n = Nutrients::default();
    let mut kcal: Option<Decimal> = None;
    let mut kj: Option<Decimal> = None;
    let mut salt_g: Option<Decimal> = None;
    let mut any = false;
    // A value under the nutrient's own name ("fat") wins over one under another name for it
    // ("Total Fat"), whatever order the keys come in.
    let mut entries: Vec<(String, &Value)> = obj.iter().map(|(k, v)| (key(k), v)).collect();
    entries.sort_by_key(|(k, _)| {
        let name = split_unit_suffix(k).0;
        canonical(name) != Some(name)
    });
    for (k, v) in entries {
        let (name, key_unit) = split_unit_suffix(&k);
        let Some(name) = canonical(name) else {
            continue;
        };
        // Energies: a text may hold both ("1046 kJ / 250 kcal"); kcal wins.
        if name == "calories" || name == "energy_kj" {
            let found = match v {
                Value::String(t) => quantities(t),
                other => quantity(other).into_iter().collect(),
            };
            for q in found {
                let unit =
                    q.unit
                        .as_deref()
                        .or(key_unit)
                        .unwrap_or(if name == "energy_kj" || kj_label {
                            "kj"
                        } else {
                            "kcal"
                        });
                negative_is_impossible(what, name, q.value)?;
                match unit {
                    "kj" | "kilojoules" => {
                        kj.get_or_insert(q.value);
                    }
                    "kcal" | "cal" | "calories" | "kilocalories" => {
                        kcal.get_or_insert(q.value);
                    }
                    _ => {}
                }
            }
            continue;
        }
        let Some(q) = quantity(v) else { continue };
        negative_is_impossible(what, name, q.value)?;
        let unit = q.unit.as_deref().or(key_unit);
        let target = if name == "salt" {
            "g"
        } else {
            stored_unit(name)
        };
        let value = match unit {
            None => Some(q.value),
            Some(u) => match (grams_per(u), grams_per(target)) {
                (Some(from), Some(to)) => Some(q.value * from / to),
                _ => {
                    warnings.push(format!(
                        "{} was given in {u}, which Sparky does not store; it was left out",
                        name.replace('_', " ")
                    ));
                    None
                }
            },
        };
        let Some(value) = value else { continue };
        if name == "salt" {
            salt_g.get_or_insert(value);
        } else if n.get(name).is_none() {
            n.set(name, Some(round_dp(value, 4).normalize()));
        }
        any = true;
    }
    if n.sodium.is_none() {
        if let Some(salt) = salt_g {
            // Sodium is 40 % of salt by weight: 1 g salt = 400 mg sodium.
            n.sodium = Some(round_dp(salt * dec!(400), 2).normalize());
        }
    }
    match (kcal, kj) {
        (Some(c), _) => n.calories = Some(c),
        (None, Some(j)) => {
            let c = round_dp(j / KJ_PER_KCAL, 1).normalize();
            warnings.push(format!(
                "the energy {what} was printed in kJ only: {} kJ = {c} kcal",
                j.normalize()
            ));
            n.calories = Some(c);
        }
        (None, None) => {}
    }
    Ok((any || n.calories.is_some()).then_some(n))
}

fn impossible(problem: String) -> AppError {
    AppError::invalid(
        "image",
        format!(
            "the label cannot be right: {problem}; take the photo again or enter the food by hand"
        ),
    )
}

fn negative_is_impossible(what: &str, name: &str, v: Decimal) -> AppResult<()> {
    if v.is_sign_negative() && !v.is_zero() {
        return Err(impossible(format!(
            "{} {what} is negative ({})",
            name.replace('_', " "),
            v.normalize()
        )));
    }
    Ok(())
}

/// Refuses values no food can have, per 100 g (or ml) of it.
fn check_per_100(n: &Nutrients) -> AppResult<()> {
    if let Some(c) = n.calories.filter(|c| *c > MAX_KCAL_PER_100) {
        return Err(impossible(format!(
            "{} kcal per 100 g is more than pure fat has (900)",
            round_dp(c, 0)
        )));
    }
    for name in [
        "protein",
        "carbohydrates",
        "fat",
        "fiber",
        "sugar",
        "saturated_fat",
        "trans_fat",
    ] {
        if let Some(v) = n.get(name).filter(|v| *v > dec!(101)) {
            return Err(impossible(format!(
                "{} g of {} per 100 g",
                round_dp(v, 1).normalize(),
                name.replace('_', " ")
            )));
        }
    }
    let macros = [n.protein, n.carbohydrates, n.fat]
        .iter()
        .flatten()
        .copied()
        .sum::<Decimal>();
    if macros > dec!(102) {
        return Err(impossible(format!(
            "protein, carbohydrates and fat add up to {} g per 100 g",
            round_dp(macros, 1).normalize()
        )));
    }
    if let Some(s) = n.sodium.filter(|s| *s > dec!(40000)) {
        return Err(impossible(format!(
            "{} mg of sodium per 100 g is more than salt has",
            round_dp(s, 0)
        )));
    }
    Ok(())
}

fn scaled(n: &Nutrients, factor: Decimal) -> Nutrients {
    let mut out = Nutrients::default();
    for (name, v) in n.iter() {
        out.set(
            name,
            v.and_then(|v| v.checked_mul(factor))
                .map(|v| round_dp(v, 2).normalize()),
        );
    }
    out
}

/// "the label's 250 kcal do not match …" when kcal and 4/4/9 × macros differ by over 20 %.
fn energy_warning(n: &Nutrients) -> Option<String> {
    let (c, p, carbs, f) = (n.calories?, n.protein?, n.carbohydrates?, n.fat?);
    let estimate = dec!(4) * p + dec!(4) * carbs + dec!(9) * f;
    let larger = c.max(estimate);
    if larger < dec!(20) {
        return None;
    }
    ((c - estimate).abs() > larger * dec!(0.2)).then(|| {
        format!(
            "the energy ({} kcal) does not match the macros (about {} kcal from 4 × protein + \
             4 × carbohydrates + 9 × fat): check the numbers",
            round_dp(c, 0),
            round_dp(estimate, 0)
        )
    })
}

fn object_of<'a>(obj: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Map<String, Value>> {
    field(obj, names).and_then(Value::as_object)
}

fn has_nutrients(obj: &Map<String, Value>) -> bool {
    obj.keys()
        .any(|k| canonical(split_unit_suffix(&key(k)).0).is_some())
}

fn serving_input(s: &ServingSpec, nutrients: Nutrients) -> ServingInput {
    ServingInput {
        size: Amount(round_dp(s.size, 4).normalize()),
        unit: s.unit.clone(),
        weight_g: s.weight_g.map(|w| Amount(round_dp(w, 2).normalize())),
        is_default: None,
        nutrients,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kcal(s: &ServingInput) -> Option<Decimal> {
        s.nutrients.calories
    }

    #[test]
    fn a_us_label_with_a_serving() {
        let r = read(&json!({
            "name": "Oat cookies", "brand": "Acme",
            "serving": {"size": 2, "unit": "cookies", "weight_g": 30},
            "per_serving": {"calories": 150, "protein": 2, "carbohydrates": 20, "sugar": 8,
                            "fat": 7, "sodium": "95 mg", "Total Fat": 99},
            "per_100g": null
        }))
        .unwrap();
        assert_eq!(r.food.name, "Oat cookies");
        assert_eq!(r.food.brand.as_deref(), Some("Acme"));
        assert_eq!(r.food.servings.len(), 1);
        let s = &r.food.servings[0];
        assert_eq!((s.size.0, s.unit.as_str()), (dec!(2), "cookies"));
        assert_eq!(s.weight_g, Some(Amount(dec!(30))));
        assert_eq!(kcal(s), Some(dec!(150)));
        assert_eq!(s.nutrients.sodium, Some(dec!(95)));
        // The first of duplicate names wins.
        assert_eq!(s.nutrients.fat, Some(dec!(7)));
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }

    #[test]
    fn per_100g_and_a_serving_size_give_both_servings() {
        let r = read(&json!({
            "name": "Muesli",
            "serving_size": "1 bowl (45 g)",
            "per_100g": {"energy": "1550 kJ / 370 kcal", "protein": "10,5 g", "carbs": "60 g",
                         "fat": "8 g", "salt": "0,1 g"}
        }))
        .unwrap();
        assert_eq!(r.food.servings.len(), 2);
        let bowl = &r.food.servings[0];
        assert_eq!(bowl.unit, "bowl");
        assert_eq!(bowl.weight_g, Some(Amount(dec!(45))));
        assert_eq!(kcal(bowl), Some(dec!(166.5)));
        assert_eq!(bowl.nutrients.protein, Some(dec!(4.73)));
        let hundred = &r.food.servings[1];
        assert_eq!((hundred.size.0, hundred.unit.as_str()), (dec!(100), "g"));
        assert_eq!(kcal(hundred), Some(dec!(370)));
        assert_eq!(hundred.nutrients.sodium, Some(dec!(40)));
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }

    #[test]
    fn kilojoules_only_are_converted() {
        let r = read(&json!({
            "name": "Yoghurt", "energy_unit": "kJ",
            "per_100g": {"calories": 418.4, "protein_g": 5, "carbohydrates_g": 12, "fat_g": 3}
        }))
        .unwrap();
        assert_eq!(kcal(&r.food.servings[0]), Some(dec!(100)));
        assert!(
            r.warnings.iter().any(|w| w.contains("kJ")),
            "{:?}",
            r.warnings
        );
        let r =
            read(&json!({"name": "Juice", "per_100ml": {"energy_kj": 180, "sugar": 10}})).unwrap();
        let s = &r.food.servings[0];
        assert_eq!(
            (s.size.0, s.unit.as_str(), s.weight_g),
            (dec!(100), "ml", None)
        );
        assert_eq!(kcal(s), Some(dec!(43)));
    }

    #[test]
    fn impossible_values_are_refused() {
        for bad in [
            json!({"name": "x", "per_100g": {"calories": 1200, "fat": 100}}),
            json!({"name": "x", "per_100g": {"calories": 100, "protein": -3}}),
            json!({"name": "x", "per_100g": {"calories": "-100 kcal"}}),
            json!({"name": "x", "per_100g": {"protein": 80, "carbohydrates": 60}}),
            // 600 kcal in a 50 g serving is 1200 per 100 g.
            json!({"name": "x", "serving": "50 g", "per_serving": {"calories": 600}}),
        ] {
            let e = read(&bad).unwrap_err();
            let f = e.fields().unwrap();
            assert!(f.0["image"].contains("cannot be right"), "{bad}: {:?}", f.0);
        }
        assert!(read(&json!({"name": "x"})).is_err());
        assert!(read(&json!([])).is_err());
    }

    #[test]
    fn energy_that_does_not_match_the_macros_is_a_warning() {
        let r = read(
            &json!({"name": "x", "per_100g": {"calories": 500, "protein": 10,
                                                        "carbohydrates": 10, "fat": 10}}),
        )
        .unwrap();
        assert!(
            r.warnings.iter().any(|w| w.contains("does not match")),
            "{:?}",
            r.warnings
        );
    }

    #[test]
    fn the_proposal_is_what_the_foods_api_takes() {
        let r = read(&json!({"per_serving": {"calories": "120", "protein": "3g"},
                             "serving": "1 slice"}))
        .unwrap();
        assert_eq!(r.food.name, "Food from a label");
        assert!(r.warnings.iter().any(|w| w.contains("name")));
        let v = serde_json::to_value(&r.food).unwrap();
        assert_eq!(v["barcode"], Value::Null);
        assert!(v["servings"][0].get("is_default").is_none(), "{v}");
        let back: FoodInput = serde_json::from_value(v).unwrap();
        back.parse().unwrap();
    }
}
