//! Custom nutrients (Settings → Custom nutrients) where foods and days show nutrients: one
//! input each on the food forms, and amounts with their units on a food's page and a day.
//!
//! Amounts are kept by name. Only names with a definition are shown, matched whatever the
//! letter case; amounts of other names (a definition that was deleted) are neither shown nor
//! lost.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use sparky_app::custom_nutrients::CustomNutrient;
use sparky_core::Amount;

use super::format::number;

/// The food forms' input name of a custom nutrient: by its definition's id, so a form sent
/// after the nutrient was renamed still means it.
const FIELD_PREFIX: &str = "custom_";

/// One custom nutrient's input on a food form.
#[derive(Debug, Clone)]
pub struct CustomTyped {
    /// The input's name (`custom_{definition id}`).
    pub field: String,
    pub name: String,
    pub unit: String,
    /// As typed, or the serving's amount; empty for none.
    pub value: String,
    /// Whether the form sent the input: one shown before the nutrient was defined did not,
    /// and the serving's amount is then kept as it is.
    pub sent: bool,
}

impl CustomTyped {
    /// "Caffeine (mg)".
    pub fn label(&self) -> String {
        format!("{} ({})", self.name, self.unit)
    }

    /// The inputs of `defined`, filled with what `amounts` (a serving's) holds of each.
    pub fn stored(
        defined: &[CustomNutrient],
        amounts: Option<&BTreeMap<String, Amount>>,
    ) -> Vec<CustomTyped> {
        defined
            .iter()
            .map(|d| CustomTyped {
                field: format!("{FIELD_PREFIX}{}", d.id),
                name: d.name.clone(),
                unit: d.unit.clone(),
                value: amounts
                    .and_then(|a| amount_of(a, &d.name))
                    .map(|v| v.normalize().to_string())
                    .unwrap_or_default(),
                sent: false,
            })
            .collect()
    }

    /// The inputs of `defined` as a form sent them (`form` holds all its fields).
    pub fn sent(defined: &[CustomNutrient], form: &BTreeMap<String, String>) -> Vec<CustomTyped> {
        let mut typed = CustomTyped::stored(defined, None);
        for c in &mut typed {
            if let Some(v) = form.get(&c.field) {
                c.value = v.clone();
                c.sent = true;
            }
        }
        typed
    }
}

/// What `amounts` holds of `name`, whatever the letter case of its key (several keys that
/// differ only by it are added up).
pub fn amount_of(amounts: &BTreeMap<String, Amount>, name: &str) -> Option<Decimal> {
    let name = name.to_lowercase();
    amounts
        .iter()
        .filter(|(k, _)| k.to_lowercase() == name)
        .map(|(_, v)| v.decimal())
        .reduce(|a, b| a + b)
}

/// Writes the typed value of each input the form sent into a serving's `amounts`: a number
/// sets it (under the definition's name), an emptied input removes it. A value that is not a
/// number is refused by the nutrient's name.
pub fn apply(
    typed: &[CustomTyped],
    amounts: &mut BTreeMap<String, Amount>,
    not_a_number: &str,
) -> Result<(), String> {
    for c in typed.iter().filter(|c| c.sent) {
        let value =
            super::forms::decimal(&c.value).map_err(|()| format!("{}: {not_a_number}", c.name))?;
        set(amounts, &c.name, value);
    }
    Ok(())
}

/// Sets the amount of `name` (under that spelling: a key in another letter case goes), or
/// removes it for `None`.
pub fn set(amounts: &mut BTreeMap<String, Amount>, name: &str, value: Option<Decimal>) {
    let lower = name.to_lowercase();
    amounts.retain(|k, _| k.to_lowercase() != lower);
    if let Some(v) = value {
        amounts.insert(name.to_string(), Amount(v));
    }
}

/// The defined ones among `amounts`, in the definitions' order, as (name, "95 mg").
pub fn shown(
    defined: &[CustomNutrient],
    amounts: &BTreeMap<String, Amount>,
) -> Vec<(String, String)> {
    if amounts.is_empty() {
        return Vec::new();
    }
    defined
        .iter()
        .filter_map(|d| {
            let v = amount_of(amounts, &d.name)?;
            Some((d.name.clone(), amount_text(v, &d.unit)))
        })
        .collect()
}

/// An amount with its unit, with the places its size needs: "1,250 mg", "95.5 mg", "0.25 g".
pub fn amount_text(v: Decimal, unit: &str) -> String {
    let v = Amount(v).to_f64();
    let places = match v.abs() {
        a if a >= 100.0 => 0,
        a if a >= 10.0 => 1,
        _ => 2,
    };
    format!("{} {unit}", number(v, places))
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn caffeine() -> CustomNutrient {
        CustomNutrient {
            id: Uuid::nil(),
            name: "Caffeine".into(),
            unit: "mg".into(),
            daily_min: None,
            daily_max: None,
        }
    }

    fn amounts(pairs: &[(&str, i64)]) -> BTreeMap<String, Amount> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Amount(Decimal::from(*v))))
            .collect()
    }

    #[test]
    fn only_defined_names_are_shown_whatever_their_case() {
        let held = amounts(&[("caffeine", 95), ("Taurine", 1000)]);
        assert_eq!(
            shown(&[caffeine()], &held),
            vec![("Caffeine".to_string(), "95 mg".to_string())]
        );
        assert!(shown(&[], &held).is_empty());
    }

    #[test]
    fn a_sent_input_sets_or_removes_and_an_unsent_one_keeps() {
        let defined = [caffeine()];
        let field = format!("custom_{}", Uuid::nil());
        let mut held = amounts(&[("caffeine", 95), ("Taurine", 1000)]);
        let form = BTreeMap::from([(field.clone(), "80".to_string())]);
        apply(&CustomTyped::sent(&defined, &form), &mut held, "nan").unwrap();
        assert_eq!(held, amounts(&[("Caffeine", 80), ("Taurine", 1000)]));
        let form = BTreeMap::from([(field.clone(), " ".to_string())]);
        apply(&CustomTyped::sent(&defined, &form), &mut held, "nan").unwrap();
        assert_eq!(held, amounts(&[("Taurine", 1000)]));
        apply(
            &CustomTyped::sent(&defined, &BTreeMap::new()),
            &mut held,
            "nan",
        )
        .unwrap();
        assert_eq!(held, amounts(&[("Taurine", 1000)]));
        let form = BTreeMap::from([(field, "lots".to_string())]);
        assert_eq!(
            apply(
                &CustomTyped::sent(&defined, &form),
                &mut held,
                "not a number"
            ),
            Err("Caffeine: not a number".to_string())
        );
    }

    #[test]
    fn amounts_have_the_places_their_size_needs() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(amount_text(d("1250"), "mg"), "1,250 mg");
        assert_eq!(amount_text(d("95.54"), "mg"), "95.5 mg");
        assert_eq!(amount_text(d("0.25"), "g"), "0.25 g");
        assert_eq!(amount_text(d("150"), "µg"), "150 µg");
    }
}
