//! The serving a label names: read from an object, a number or text as printed.

use rust_decimal::Decimal;
use serde_json::{Map, Value};
use sparky_core::nutrition::Nutrients;
use sparky_core::units::{convert, round_dp, Dimension, Unit};
use sparky_core::Amount;

use crate::assistant::model_values::{field, quantities, quantity, text};
use crate::foods::ServingInput;

/// The serving a label names.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ServingSpec {
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
    pub(super) fn new(size: Decimal, unit: &str) -> ServingSpec {
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
    pub(super) fn base_amount(&self, per_ml: bool) -> Option<Decimal> {
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

pub(super) fn serving_from(v: &Value) -> Option<ServingSpec> {
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

pub(super) fn serving_input(s: &ServingSpec, nutrients: Nutrients) -> ServingInput {
    ServingInput {
        size: Amount(round_dp(s.size, 4).normalize()),
        unit: s.unit.clone(),
        weight_g: s.weight_g.map(|w| Amount(round_dp(w, 2).normalize())),
        is_default: None,
        nutrients,
        custom_nutrients: Default::default(),
    }
}
