//! A label's nutrients: their names and units, one column read into [`Nutrients`], scaling.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Map, Value};
use sparky_core::nutrition::Nutrients;
use sparky_core::units::round_dp;

use super::checks::negative_is_impossible;
use crate::assistant::model_values::{key, quantities, quantity};
use crate::error::AppResult;

/// kJ per kcal.
const KJ_PER_KCAL: Decimal = dec!(4.184);

/// What a label's nutrient name is in [`Nutrients`] (or `salt`, `energy_kj`).
pub(super) fn canonical(name: &str) -> Option<&'static str> {
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
pub(super) fn split_unit_suffix(k: &str) -> (&str, Option<&'static str>) {
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
pub(super) fn nutrients_from(
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

pub(super) fn scaled(n: &Nutrients, factor: Decimal) -> Nutrients {
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
