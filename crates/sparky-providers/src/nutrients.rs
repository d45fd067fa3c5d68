//! Nutrient helpers shared by the provider clients: number parsing, unit conversion and scaling.
//!
//! The nutrient record itself is `sparky_core::nutrition::Nutrients`; everything here is checked
//! arithmetic so hostile upstream numbers can never overflow into a panic (core's
//! `Nutrients::scale` panics on overflow, so it is not used here).

use std::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::Value;

pub use sparky_core::nutrition::Nutrients;
use sparky_core::nutrition::{kj_to_kcal, STORE_DP};

/// Above this (in Sparky's unit) a provider value is junk (kJ typed as kcal, mg as g…) and is
/// dropped to unknown; `Nutrients::validate` would refuse it anyway.
const ABSURD: Decimal = dec!(100000);

/// A nutrient field of [`Nutrients`], so mapping tables can name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    Calories,
    Protein,
    Carbohydrates,
    Fat,
    Fiber,
    Sugar,
    Sodium,
    SaturatedFat,
    TransFat,
    Cholesterol,
    Potassium,
    Calcium,
    Iron,
    VitaminA,
    VitaminC,
}

impl Field {
    pub(crate) const ALL: [Field; 15] = [
        Field::Calories,
        Field::Protein,
        Field::Carbohydrates,
        Field::Fat,
        Field::Fiber,
        Field::Sugar,
        Field::Sodium,
        Field::SaturatedFat,
        Field::TransFat,
        Field::Cholesterol,
        Field::Potassium,
        Field::Calcium,
        Field::Iron,
        Field::VitaminA,
        Field::VitaminC,
    ];

    /// The unit Sparky stores this field in.
    pub(crate) fn unit(self) -> Unit {
        match self {
            Field::Calories => Unit::Kcal,
            Field::Protein
            | Field::Carbohydrates
            | Field::Fat
            | Field::Fiber
            | Field::Sugar
            | Field::SaturatedFat
            | Field::TransFat => Unit::G,
            Field::Sodium
            | Field::Cholesterol
            | Field::Potassium
            | Field::Calcium
            | Field::Iron
            | Field::VitaminC => Unit::Mg,
            Field::VitaminA => Unit::Ug,
        }
    }

    pub(crate) fn get(self, n: &Nutrients) -> Option<Decimal> {
        *self.slot_ref(n)
    }

    pub(crate) fn set(self, n: &mut Nutrients, value: Option<Decimal>) {
        *self.slot(n) = value;
    }

    fn slot_ref(self, n: &Nutrients) -> &Option<Decimal> {
        match self {
            Field::Calories => &n.calories,
            Field::Protein => &n.protein,
            Field::Carbohydrates => &n.carbohydrates,
            Field::Fat => &n.fat,
            Field::Fiber => &n.fiber,
            Field::Sugar => &n.sugar,
            Field::Sodium => &n.sodium,
            Field::SaturatedFat => &n.saturated_fat,
            Field::TransFat => &n.trans_fat,
            Field::Cholesterol => &n.cholesterol,
            Field::Potassium => &n.potassium,
            Field::Calcium => &n.calcium,
            Field::Iron => &n.iron,
            Field::VitaminA => &n.vitamin_a,
            Field::VitaminC => &n.vitamin_c,
        }
    }

    fn slot(self, n: &mut Nutrients) -> &mut Option<Decimal> {
        match self {
            Field::Calories => &mut n.calories,
            Field::Protein => &mut n.protein,
            Field::Carbohydrates => &mut n.carbohydrates,
            Field::Fat => &mut n.fat,
            Field::Fiber => &mut n.fiber,
            Field::Sugar => &mut n.sugar,
            Field::Sodium => &mut n.sodium,
            Field::SaturatedFat => &mut n.saturated_fat,
            Field::TransFat => &mut n.trans_fat,
            Field::Cholesterol => &mut n.cholesterol,
            Field::Potassium => &mut n.potassium,
            Field::Calcium => &mut n.calcium,
            Field::Iron => &mut n.iron,
            Field::VitaminA => &mut n.vitamin_a,
            Field::VitaminC => &mut n.vitamin_c,
        }
    }
}

/// Units upstream payloads use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unit {
    Kcal,
    Kj,
    G,
    Mg,
    Ug,
}

impl Unit {
    /// Parses a provider's unit name ("G", "mg", "µg", "UG", "KCAL", "kJ"). IU and unknown
    /// units give `None`: they cannot be converted.
    pub(crate) fn parse(name: &str) -> Option<Unit> {
        match name.trim().to_ascii_lowercase().as_str() {
            "kcal" | "cal" => Some(Unit::Kcal),
            "kj" => Some(Unit::Kj),
            "g" | "gram" | "grams" | "grm" => Some(Unit::G),
            "mg" | "milligram" | "milligrams" => Some(Unit::Mg),
            "ug" | "µg" | "μg" | "mcg" | "microgram" | "micrograms" => Some(Unit::Ug),
            _ => None,
        }
    }
}

/// Converts `value` from `from` to `to`; `None` when the units are not commensurable or the
/// arithmetic would overflow.
pub(crate) fn convert(value: Decimal, from: Unit, to: Unit) -> Option<Decimal> {
    fn mass_in_ug(u: Unit) -> Option<Decimal> {
        match u {
            Unit::G => Some(dec!(1000000)),
            Unit::Mg => Some(dec!(1000)),
            Unit::Ug => Some(dec!(1)),
            _ => None,
        }
    }
    if from == to {
        return Some(value);
    }
    match (from, to) {
        (Unit::Kj, Unit::Kcal) => Some(kj_to_kcal(value)),
        (Unit::Kcal, Unit::Kj) => value.checked_mul(dec!(4.184)),
        _ => {
            let f = mass_in_ug(from)?;
            let t = mass_in_ug(to)?;
            value.checked_mul(f)?.checked_div(t)
        }
    }
}

/// A JSON number or numeric string as a Decimal. Negative values, NaN-like strings and numbers
/// too large for a Decimal give `None`.
pub(crate) fn dec_of(v: Option<&Value>) -> Option<Decimal> {
    let d = match v? {
        Value::Number(n) => parse_dec(&n.to_string()),
        Value::String(s) => parse_dec(&s.trim().replace(',', ".")),
        _ => None,
    }?;
    (d >= Decimal::ZERO).then_some(d)
}

fn parse_dec(s: &str) -> Option<Decimal> {
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    Decimal::from_str(s)
        .ok()
        .or_else(|| Decimal::from_scientific(s).ok())
}

/// A JSON string or number as a non-empty trimmed string.
pub(crate) fn str_of(v: Option<&Value>) -> Option<String> {
    let s = match v? {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

/// Every present nutrient multiplied by `factor` (overflow drops the value).
pub(crate) fn scale(n: &Nutrients, factor: Decimal) -> Nutrients {
    let mut out = Nutrients::default();
    for f in Field::ALL {
        f.set(&mut out, f.get(n).and_then(|v| v.checked_mul(factor)));
    }
    out
}

/// Rounds every value to the stored number of places, strips trailing zeros and drops absurd
/// values (> 100000 in Sparky's unit) to unknown.
pub(crate) fn tidy(n: &Nutrients) -> Nutrients {
    let mut out = Nutrients::default();
    for f in Field::ALL {
        f.set(&mut out, f.get(n).filter(|v| *v <= ABSURD).map(tidy_dec));
    }
    out
}

pub(crate) fn tidy_dec(d: Decimal) -> Decimal {
    d.round_dp(STORE_DP).normalize()
}

/// True when no nutrient is known.
pub(crate) fn is_empty(n: &Nutrients) -> bool {
    Field::ALL.iter().all(|f| f.get(n).is_none())
}

/// Nutrients keyed by USDA nutrient number ("208", "203", …), shared by USDA and Nutritionix's
/// `full_nutrients` (whose `attr_id` is the same number). Energy has several candidates in
/// priority order, handled by [`NutrientNumbers`].
pub(crate) fn field_for_usda_number(number: &str) -> Option<Field> {
    Some(match number {
        "203" => Field::Protein,
        "205" => Field::Carbohydrates,
        "204" => Field::Fat,
        "291" => Field::Fiber,
        "307" => Field::Sodium,
        "606" => Field::SaturatedFat,
        "605" => Field::TransFat,
        "601" => Field::Cholesterol,
        "306" => Field::Potassium,
        "301" => Field::Calcium,
        "303" => Field::Iron,
        "320" => Field::VitaminA,
        "401" => Field::VitaminC,
        _ => return None,
    })
}

/// Collects USDA-numbered nutrient values and resolves the priority rules (energy: 208, then
/// Atwater specific 958, then Atwater general 957, then 268 kJ; sugars: 269, then 269.3).
#[derive(Default)]
pub(crate) struct NutrientNumbers {
    nutrients: Nutrients,
    energy: [Option<Decimal>; 4],
    sugars: [Option<Decimal>; 2],
}

impl NutrientNumbers {
    /// Records one nutrient. `unit` is the provider's unit name when it gives one; values whose
    /// unit cannot be converted to Sparky's unit are ignored. The first value seen for a number
    /// wins.
    pub(crate) fn add(&mut self, number: &str, value: Decimal, unit: Option<&str>) {
        let unit = match unit {
            Some(u) => match Unit::parse(u) {
                Some(u) => Some(u),
                None => return, // IU and friends: not convertible
            },
            None => None,
        };
        let energy_slot = match number {
            "208" => Some((0, Unit::Kcal)),
            "958" => Some((1, Unit::Kcal)),
            "957" => Some((2, Unit::Kcal)),
            "268" => Some((3, Unit::Kj)),
            _ => None,
        };
        if let Some((i, canonical)) = energy_slot {
            let from = unit.unwrap_or(canonical);
            if self.energy[i].is_none() {
                self.energy[i] = convert(value, from, Unit::Kcal);
            }
            return;
        }
        let sugar_slot = match number {
            "269" => Some(0),
            "269.3" => Some(1),
            _ => None,
        };
        if let Some(i) = sugar_slot {
            if self.sugars[i].is_none() {
                self.sugars[i] = convert(value, unit.unwrap_or(Unit::G), Unit::G);
            }
            return;
        }
        if let Some(field) = field_for_usda_number(number) {
            if field.get(&self.nutrients).is_none() {
                let v = convert(value, unit.unwrap_or(field.unit()), field.unit());
                field.set(&mut self.nutrients, v);
            }
        }
    }

    pub(crate) fn finish(mut self) -> Nutrients {
        self.nutrients.calories = self.energy.iter().flatten().next().copied();
        self.nutrients.sugar = self.sugars.iter().flatten().next().copied();
        self.nutrients
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_numbers_and_strings() {
        assert_eq!(dec_of(Some(&json!(12.5))), Some(dec!(12.5)));
        assert_eq!(dec_of(Some(&json!("3,2"))), Some(dec!(3.2)));
        assert_eq!(dec_of(Some(&json!(1e-5))), Some(dec!(0.00001)));
        assert_eq!(dec_of(Some(&json!(-1))), None);
        assert_eq!(dec_of(Some(&json!(1e300))), None);
        assert_eq!(dec_of(Some(&json!("n/a"))), None);
        assert_eq!(dec_of(Some(&json!(null))), None);
    }

    #[test]
    fn converts_units() {
        assert_eq!(convert(dec!(0.5), Unit::G, Unit::Mg), Some(dec!(500)));
        assert_eq!(convert(dec!(250), Unit::Ug, Unit::Mg), Some(dec!(0.25)));
        assert_eq!(convert(dec!(418.4), Unit::Kj, Unit::Kcal), Some(dec!(100)));
        assert_eq!(convert(dec!(1), Unit::G, Unit::Kcal), None);
        assert_eq!(
            convert(Decimal::MAX, Unit::G, Unit::Ug),
            None,
            "overflow must not panic"
        );
    }

    #[test]
    fn energy_priority() {
        let mut n = NutrientNumbers::default();
        n.add("268", dec!(418.4), Some("kJ"));
        n.add("957", dec!(99), Some("KCAL"));
        assert_eq!(n.finish().calories, Some(dec!(99)));
        let mut n = NutrientNumbers::default();
        n.add("268", dec!(418.4), Some("kJ"));
        assert_eq!(n.finish().calories.map(tidy_dec), Some(dec!(100)));
    }
}
