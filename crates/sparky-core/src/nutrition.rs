//! Nutrient amounts and the one rule that turns "150 g of this food" into nutrients.
//!
//! The serving ratio is computed in exactly one place ([`servings_for`]) and applied exactly
//! once ([`nutrients_for`]); an entry's nutrients are rounded once, to the 4 decimal places
//! that are stored, and every total (diary, report, export) is the exact sum of those stored
//! values, so no two views of one day can disagree.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::units::{convert, round_dp, Dimension, Unit, UnitError};

/// Decimal places an entry's nutrients are stored with.
pub const STORE_DP: u32 = 4;

/// Above this, a per-serving or per-entry amount is a typo (or kJ entered as kcal ×1000).
const ABSURD: Decimal = dec!(100000);

/// Amounts of one serving or one entry. None = unknown (not zero). Units: calories kcal;
/// protein, carbohydrates, fat, fiber, sugar, saturated_fat, trans_fat g; sodium, cholesterol,
/// potassium, calcium, iron, vitamin_c mg; vitamin_a µg RAE. In JSON each known value is a
/// number (see [`crate::values::Amount`]) and unknown values are left out.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Nutrients {
    /// kcal
    #[serde(
        default,
        with = "crate::values::amount_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub calories: Option<Decimal>,
    /// g
    #[serde(
        default,
        with = "crate::values::amount_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub protein: Option<Decimal>,
    /// g
    #[serde(
        default,
        with = "crate::values::amount_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub carbohydrates: Option<Decimal>,
    /// g
    #[serde(
        default,
        with = "crate::values::amount_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub fat: Option<Decimal>,
    /// g
    #[serde(
        default,
        with = "crate::values::amount_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub fiber: Option<Decimal>,
    /// g
    #[serde(
        default,
        with = "crate::values::amount_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub sugar: Option<Decimal>,
    /// mg
    #[serde(
        default,
        with = "crate::values::amount_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub sodium: Option<Decimal>,
    /// g
    #[serde(
        default,
        with = "crate::values::amount_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub saturated_fat: Option<Decimal>,
    /// g
    #[serde(
        default,
        with = "crate::values::amount_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub trans_fat: Option<Decimal>,
    /// mg
    #[serde(
        default,
        with = "crate::values::amount_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub cholesterol: Option<Decimal>,
    /// mg
    #[serde(
        default,
        with = "crate::values::amount_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub potassium: Option<Decimal>,
    /// mg
    #[serde(
        default,
        with = "crate::values::amount_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub calcium: Option<Decimal>,
    /// mg
    #[serde(
        default,
        with = "crate::values::amount_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub iron: Option<Decimal>,
    /// µg RAE
    #[serde(
        default,
        with = "crate::values::amount_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub vitamin_a: Option<Decimal>,
    /// mg
    #[serde(
        default,
        with = "crate::values::amount_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub vitamin_c: Option<Decimal>,
}

impl Nutrients {
    /// The field names in declaration order; also the SQL column and JSON key names.
    pub const NAMES: [&'static str; 15] = [
        "calories",
        "protein",
        "carbohydrates",
        "fat",
        "fiber",
        "sugar",
        "sodium",
        "saturated_fat",
        "trans_fat",
        "cholesterol",
        "potassium",
        "calcium",
        "iron",
        "vitamin_a",
        "vitamin_c",
    ];

    /// The fields in [`Nutrients::NAMES`] order; the one place that lists them.
    fn fields(&self) -> [&Option<Decimal>; 15] {
        [
            &self.calories,
            &self.protein,
            &self.carbohydrates,
            &self.fat,
            &self.fiber,
            &self.sugar,
            &self.sodium,
            &self.saturated_fat,
            &self.trans_fat,
            &self.cholesterol,
            &self.potassium,
            &self.calcium,
            &self.iron,
            &self.vitamin_a,
            &self.vitamin_c,
        ]
    }

    fn fields_mut(&mut self) -> [&mut Option<Decimal>; 15] {
        [
            &mut self.calories,
            &mut self.protein,
            &mut self.carbohydrates,
            &mut self.fat,
            &mut self.fiber,
            &mut self.sugar,
            &mut self.sodium,
            &mut self.saturated_fat,
            &mut self.trans_fat,
            &mut self.cholesterol,
            &mut self.potassium,
            &mut self.calcium,
            &mut self.iron,
            &mut self.vitamin_a,
            &mut self.vitamin_c,
        ]
    }

    fn index(name: &str) -> Option<usize> {
        Self::NAMES.iter().position(|n| *n == name)
    }

    /// A value by its [`Nutrients::NAMES`] entry; None for an unknown value or an unknown name.
    pub fn get(&self, name: &str) -> Option<Decimal> {
        Self::index(name).and_then(|i| *self.fields()[i])
    }

    /// Sets a value by its [`Nutrients::NAMES`] entry. Names come from `NAMES`, never from
    /// users, so an unknown name is a bug: it panics in debug builds and is ignored otherwise.
    pub fn set(&mut self, name: &str, v: Option<Decimal>) {
        match Self::index(name) {
            Some(i) => *self.fields_mut()[i] = v,
            None => debug_assert!(false, "unknown nutrient {name:?}"),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, Option<Decimal>)> {
        let values = self.fields().map(|v| *v);
        Self::NAMES.into_iter().zip(values)
    }

    fn map(&self, f: impl Fn(Decimal) -> Decimal) -> Nutrients {
        let mut out = Nutrients::default();
        for (slot, v) in out.fields_mut().into_iter().zip(self.fields()) {
            *slot = v.map(&f);
        }
        out
    }

    fn checked_scale(&self, factor: Decimal) -> Option<Nutrients> {
        let mut out = Nutrients::default();
        for (slot, v) in out.fields_mut().into_iter().zip(self.fields()) {
            *slot = match v {
                Some(v) => Some(v.checked_mul(factor)?),
                None => None,
            };
        }
        Some(out)
    }

    /// Each known value × factor, exact (to 28 significant digits), unrounded; unknown stays
    /// unknown. Panics only beyond Decimal's range (~7.9 × 10^28); [`nutrients_for`] checks.
    pub fn scale(&self, factor: Decimal) -> Nutrients {
        self.map(|v| v * factor)
    }

    /// Field-wise sum. Unknown + unknown stays unknown; unknown + x = x, because a diary
    /// total counts what is known rather than hiding it when one food lacks a value.
    pub fn add(&self, other: &Nutrients) -> Nutrients {
        let mut out = self.clone();
        for (slot, v) in out.fields_mut().into_iter().zip(other.fields()) {
            *slot = match (*slot, *v) {
                (Some(a), Some(b)) => Some(a + b),
                (a, b) => a.or(b),
            };
        }
        out
    }

    /// The total of many entries; exact, so it is the same in whatever order it is summed.
    pub fn sum<'a>(items: impl IntoIterator<Item = &'a Nutrients>) -> Nutrients {
        items
            .into_iter()
            .fold(Nutrients::default(), |acc, n| acc.add(n))
    }

    /// Refuses negative values and absurd ones (> 100000 in the field's unit), naming the
    /// field and the problem.
    pub fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        for (name, v) in self.iter() {
            match v {
                Some(v) if v.is_sign_negative() && !v.is_zero() => {
                    return Err((name, "must not be negative"))
                }
                Some(v) if v > ABSURD => return Err((name, "must be at most 100000")),
                _ => {}
            }
        }
        Ok(())
    }
}

/// A serving as stored for a food: "100 g", "1 cup", "1 slice (28 g)".
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Serving {
    pub size: Decimal,
    /// A [`Unit`] name, or free text like "slice" (then only servings or, with `weight_g`,
    /// masses can be logged against it).
    pub unit: String,
    /// Weight of the whole serving (`size` × `unit`) in grams, when known.
    pub weight_g: Option<Decimal>,
    /// Nutrients of the whole serving.
    pub nutrients: Nutrients,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NutritionError {
    #[error("cannot convert {unit} to this food's serving unit \"{serving_unit}\"")]
    NotConvertible { unit: Unit, serving_unit: String },
    #[error("the quantity must be greater than zero (and not absurdly large)")]
    InvalidQuantity,
    #[error("the food's serving is invalid: its size and weight must be greater than zero")]
    InvalidServing,
    #[error("unknown unit \"{unit}\"; use g, kg, mg, oz, lb, ml, l, tsp, tbsp, cup, fl oz, serving, or this serving's own unit \"{serving_unit}\"")]
    UnknownUnit { unit: String, serving_unit: String },
}

/// How many servings `quantity unit` is. Rules: unit Serving → quantity; unit convertible to
/// the serving's unit (serving unit parsed with Unit::parse; same dimension) →
/// convert(quantity, unit, serving_unit) / size; unit is a mass and the serving has weight_g →
/// grams / weight_g; otherwise NutritionError::NotConvertible naming both units. size must be
/// > 0 (and weight_g, when given).
///
/// Unrounded: the result is correct to Decimal's 28 significant digits, so doubling the
/// quantity doubles the result up to the last of those digits (not always to the last bit:
/// e.g. 100 g of a 30 g serving is 3.33…3, and 200 g is 6.66…7, not 6.66…6, a difference
/// of 10^-28).
pub fn servings_for(
    quantity: Decimal,
    unit: Unit,
    serving: &Serving,
) -> Result<Decimal, NutritionError> {
    if quantity <= Decimal::ZERO {
        return Err(NutritionError::InvalidQuantity);
    }
    if serving.size <= Decimal::ZERO || serving.weight_g.is_some_and(|w| w <= Decimal::ZERO) {
        return Err(NutritionError::InvalidServing);
    }
    if unit == Unit::Serving {
        return Ok(quantity);
    }
    let in_serving_unit = match serving_measure(&serving.unit) {
        Ok(serving_unit) if serving_unit.dimension() == unit.dimension() => {
            Some((convert(quantity, unit, serving_unit), serving.size))
        }
        _ => None,
    };
    let (amount, per_serving) = match (in_serving_unit, serving.weight_g) {
        (Some(pair), _) => pair,
        (None, Some(weight_g)) if unit.dimension() == Dimension::Mass => {
            (convert(quantity, unit, Unit::G), weight_g)
        }
        _ => {
            return Err(NutritionError::NotConvertible {
                unit,
                serving_unit: serving.unit.trim().to_string(),
            })
        }
    };
    amount
        .ok()
        .and_then(|a| a.checked_div(per_serving))
        .ok_or(NutritionError::InvalidQuantity)
}

/// The unit a serving is measured in: its whole unit text ("cup"), else the words before a
/// description ("cup (4.86 large eggs)", "cup, sliced"), as household measures name them.
fn serving_measure(serving_unit: &str) -> Result<Unit, UnitError> {
    Unit::parse(serving_unit).or_else(|e| {
        let head = serving_unit
            .split(['(', ','])
            .next()
            .unwrap_or_default()
            .trim();
        if head.is_empty() || head.len() == serving_unit.trim().len() {
            Err(e)
        } else {
            Unit::parse(head)
        }
    })
}

/// Nutrients of `quantity unit` of `serving`: serving.nutrients.scale(servings_for(..)), with
/// values rounded to 4 decimal places only at the end (store precision).
///
/// Because of that one rounding, doubling the quantity doubles each nutrient to within
/// 0.0001 (one unit in the last stored place), not always exactly: 0.00005 rounds to 0.0001,
/// and so does 0.0001 (twice it). Rounding later would not help, since the stored entry is
/// what totals add up; instead totals are exact sums of these rounded entry values
/// ([`Nutrients::sum`]), so the diary and every report agree to the last digit.
pub fn nutrients_for(
    quantity: Decimal,
    unit: Unit,
    serving: &Serving,
) -> Result<Nutrients, NutritionError> {
    let servings = servings_for(quantity, unit, serving)?;
    let scaled = serving
        .nutrients
        .checked_scale(servings)
        .ok_or(NutritionError::InvalidQuantity)?;
    // normalize: 1.5 servings of 100 kcal is stored and shown as "150", not "150.0000".
    Ok(scaled.map(|v| round_dp(v, STORE_DP).normalize()))
}

/// kJ → kcal (÷ 4.184, the thermochemical calorie), exact decimal, rounded to 4 dp.
pub fn kj_to_kcal(kj: Decimal) -> Decimal {
    round_dp(kj / dec!(4.184), STORE_DP)
}

/// Whether a unit word someone typed names a serving's own unit: "slice" for "slices",
/// "Medium" for `medium (7" to 7-7/8" long)`, "cup" for "cup". Only the serving unit's
/// leading words count (before a parenthesis or comma), in any case, singular or plural.
pub fn unit_word_matches(typed: &str, serving_unit: &str) -> bool {
    fn singular(s: &str) -> &str {
        s.strip_suffix("es")
            .filter(|r| r.ends_with("ch") || r.ends_with("sh") || r.ends_with('o'))
            .or_else(|| s.strip_suffix('s').filter(|r| !r.ends_with('s')))
            .unwrap_or(s)
    }
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let typed = norm(typed);
    if typed.is_empty() {
        return false;
    }
    let full = norm(serving_unit);
    let head = full
        .split(['(', ','])
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    typed == full || typed == head || singular(&typed) == singular(&head)
}

/// How many servings `quantity` of `unit_text` is, and the unit to record: a known unit
/// ([`Unit::parse`]) goes through [`servings_for`]; otherwise the word must name the
/// serving's own unit ("2 slices" of a "1 slice" serving), which counts in that unit.
pub fn servings_in(
    quantity: Decimal,
    unit_text: &str,
    serving: &Serving,
) -> Result<(Decimal, String), NutritionError> {
    match Unit::parse(unit_text) {
        Ok(unit) => Ok((
            servings_for(quantity, unit, serving)?,
            unit.as_str().to_string(),
        )),
        Err(_) if unit_word_matches(unit_text, &serving.unit) => {
            if quantity <= Decimal::ZERO {
                return Err(NutritionError::InvalidQuantity);
            }
            if serving.size <= Decimal::ZERO {
                return Err(NutritionError::InvalidServing);
            }
            let servings = quantity
                .checked_div(serving.size)
                .ok_or(NutritionError::InvalidQuantity)?;
            Ok((servings, serving.unit.trim().to_string()))
        }
        Err(_) => Err(NutritionError::UnknownUnit {
            unit: unit_text.trim().chars().take(50).collect(),
            serving_unit: serving.unit.trim().to_string(),
        }),
    }
}

/// Nutrients of `servings` servings, rounded to the stored precision (see [`nutrients_for`]).
pub fn nutrients_of_servings(
    servings: Decimal,
    serving: &Serving,
) -> Result<Nutrients, NutritionError> {
    let scaled = serving
        .nutrients
        .checked_scale(servings)
        .ok_or(NutritionError::InvalidQuantity)?;
    Ok(scaled.map(|v| round_dp(v, STORE_DP).normalize()))
}

/// The nutrients that are known for some of `items` but not all: a total of them counts
/// only what is known, so it is a lower bound, not the whole amount.
pub fn partially_known<'a>(items: impl IntoIterator<Item = &'a Nutrients>) -> Vec<&'static str> {
    let mut known = [false; 15];
    let mut unknown = [false; 15];
    for n in items {
        for (i, v) in n.fields().iter().enumerate() {
            if v.is_some() {
                known[i] = true;
            } else {
                unknown[i] = true;
            }
        }
    }
    Nutrients::NAMES
        .iter()
        .enumerate()
        .filter(|(i, _)| known[*i] && unknown[*i])
        .map(|(_, n)| *n)
        .collect()
}

#[cfg(test)]
mod tests;
