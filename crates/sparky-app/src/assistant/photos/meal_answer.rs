//! Reading the model's answer to a meal photo into named items with validated grams.

use rust_decimal::Decimal;
use serde_json::Value;
use sparky_ai::LenientJsonError;
use sparky_core::units::{convert, round_dp, Dimension, Unit};

use super::model_call::shorten;
use super::{MAX_ITEMS, MAX_ITEM_GRAMS};
use crate::assistant::model_values::{field, quantity, text};
use crate::error::{AppError, AppResult};

/// An item as the model named it, with its grams validated.
#[derive(Debug, Clone, PartialEq)]
pub struct SeenItem {
    pub name: String,
    pub grams: Decimal,
}

/// Grams from a value the model wrote: a number (grams), "120 g", "0.2 kg", "4 oz", "250 ml"
/// (a drink: ml as g). `unit` is a separate unit field, if any.
fn grams_of(v: &Value, unit: Option<&str>) -> Option<Decimal> {
    let q = quantity(v)?;
    let unit = q.unit.as_deref().or(unit).map(str::trim);
    match unit {
        None | Some("") => Some(q.value),
        Some(u) => match Unit::parse(u).ok()? {
            g if g.dimension() == Dimension::Mass => convert(q.value, g, Unit::G).ok(),
            v if v.dimension() == Dimension::Volume => convert(q.value, v, Unit::Ml).ok(),
            _ => None,
        },
    }
}

/// The items of the model's answer (lenient), validated: a name, grams above 0 and at most
/// 3000, at most 20; what is left out is said in `warnings`.
pub fn read_meal_answer(text_answer: &str, warnings: &mut Vec<String>) -> AppResult<Vec<SeenItem>> {
    let value = match sparky_ai::extract_json(text_answer) {
        Ok(v) => v,
        Err(LenientJsonError::NotFound) => {
            let said = shorten(text_answer, 200);
            warnings.push(if said.is_empty() {
                "the model gave no answer".into()
            } else {
                format!("the model listed no food: {said}")
            });
            return Ok(Vec::new());
        }
        Err(e @ LenientJsonError::Invalid(_)) => {
            return Err(AppError::Upstream {
                timed_out: false,
                message: format!("the model's answer could not be read: {e}"),
            })
        }
    };
    let list: Vec<Value> = match &value {
        Value::Array(items) => items.clone(),
        Value::Object(obj) => match field(
            obj,
            &[
                "items",
                "foods",
                "food_items",
                "foods_detected",
                "meal",
                "dishes",
                "food",
            ],
        ) {
            Some(Value::Array(items)) => items.clone(),
            Some(one @ Value::Object(_)) => vec![one.clone()],
            _ if field(obj, &["name"]).is_some() => vec![value.clone()],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    let mut items = Vec::new();
    for entry in &list {
        let Some(obj) = entry.as_object() else {
            continue;
        };
        let Some(name) = field(
            obj,
            &[
                "name",
                "food",
                "item",
                "food_name",
                "label",
                "dish",
                "description",
            ],
        )
        .and_then(text)
        .map(|n| shorten(&n, 100)) else {
            continue;
        };
        let unit = field(obj, &["unit", "units"]).and_then(text);
        let grams = field(
            obj,
            &[
                "grams",
                "weight_g",
                "estimated_grams",
                "grams_estimate",
                "estimated_weight_g",
                "amount_g",
                "portion_g",
                "quantity_g",
                "mass_g",
                "g",
                "weight",
                "estimated_weight",
                "amount",
                "quantity",
                "portion",
            ],
        )
        .and_then(|v| grams_of(v, unit.as_deref()));
        match grams {
            None => warnings.push(format!("\"{name}\" was left out: no weight in grams")),
            Some(g) if g <= Decimal::ZERO || g > Decimal::from(MAX_ITEM_GRAMS) => {
                warnings.push(format!(
                    "\"{name}\" was left out: {} g is not between 0 and {MAX_ITEM_GRAMS} g",
                    round_dp(g, 1).normalize()
                ))
            }
            Some(g) if items.len() == MAX_ITEMS => warnings.push(format!(
                "\"{name}\" was left out: at most {MAX_ITEMS} items ({} g)",
                round_dp(g, 1).normalize()
            )),
            Some(g) => items.push(SeenItem {
                name,
                grams: round_dp(g, 1).normalize(),
            }),
        }
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use serde_json::json;

    fn names(items: &[SeenItem]) -> Vec<(&str, Decimal)> {
        items.iter().map(|i| (i.name.as_str(), i.grams)).collect()
    }

    #[test]
    fn a_lenient_answer_is_read() {
        let mut w = Vec::new();
        let text =
            "Sure! Here is what I see:\n```json\n{\"items\": [{\"name\": \"scrambled eggs\", \
                    \"grams\": \"120 g\"}, {'name': 'toast', 'weight': '1 oz',}, \
                    {\"food\": \"orange juice\", \"amount\": 250, \"unit\": \"ml\"}]}\n```\nEnjoy!";
        let items = read_meal_answer(text, &mut w).unwrap();
        assert_eq!(
            names(&items),
            vec![
                ("scrambled eggs", dec!(120)),
                ("toast", dec!(28.3)),
                ("orange juice", dec!(250))
            ]
        );
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn bad_weights_and_extra_items_are_left_out_with_a_warning() {
        let mut w = Vec::new();
        let mut list: Vec<Value> = vec![
            json!({"name": "cake", "grams": 4500}),
            json!({"name": "air", "grams": 0}),
            json!({"name": "soup", "grams": "2 slices"}),
            json!({"name": "", "grams": 10}),
        ];
        for i in 0..22 {
            list.push(json!({"name": format!("pea {i}"), "grams": 1}));
        }
        let items = read_meal_answer(&json!(list).to_string(), &mut w).unwrap();
        assert_eq!(items.len(), MAX_ITEMS);
        assert_eq!(w.len(), 5, "{w:?}");
        assert!(w[0].contains("cake") && w[0].contains("4500"), "{w:?}");
        assert!(w[2].contains("soup"), "{w:?}");
    }

    #[test]
    fn prose_without_json_is_no_items() {
        let mut w = Vec::new();
        let items = read_meal_answer("I cannot see any food in this picture.", &mut w).unwrap();
        assert!(items.is_empty());
        assert!(w[0].contains("cannot see any food"), "{w:?}");
    }
}
