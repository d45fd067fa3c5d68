//! Nutrient amounts on the wire: JSON numbers, exact decimals inside.

use std::str::FromStr;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sparky_core::nutrition::Nutrients;
use utoipa::ToSchema;

use crate::error::ApiError;

/// Nutrient amounts. Units: calories kcal; protein, carbohydrates, fat, fiber, sugar,
/// saturated_fat, trans_fat g; sodium, cholesterol, potassium, calcium, iron, vitamin_c mg;
/// vitamin_a µg RAE. Missing means unknown, not zero.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NutrientValues {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calories: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protein: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carbohydrates: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fat: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fiber: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sugar: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sodium: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saturated_fat: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trans_fat: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cholesterol: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub potassium: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calcium: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iron: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vitamin_a: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vitamin_c: Option<f64>,
}

/// A JSON number as the exact decimal it was written as (shortest round-trip form).
pub fn decimal_from_f64(field: &str, v: f64) -> Result<Decimal, ApiError> {
    if !v.is_finite() {
        return Err(ApiError::invalid(field, "must be a finite number"));
    }
    Decimal::from_str(&v.to_string())
        .or_else(|_| Decimal::from_scientific(&format!("{v:e}")))
        .map_err(|_| ApiError::invalid(field, "is out of range"))
}

/// For output: exact decimals print as their shortest f64 form (no binary noise for the
/// 4-decimal values Sparky stores).
pub fn f64_of(d: Decimal) -> f64 {
    d.normalize().to_f64().unwrap_or(0.0)
}

impl From<&Nutrients> for NutrientValues {
    fn from(n: &Nutrients) -> NutrientValues {
        let f = |v: Option<Decimal>| v.map(f64_of);
        NutrientValues {
            calories: f(n.calories),
            protein: f(n.protein),
            carbohydrates: f(n.carbohydrates),
            fat: f(n.fat),
            fiber: f(n.fiber),
            sugar: f(n.sugar),
            sodium: f(n.sodium),
            saturated_fat: f(n.saturated_fat),
            trans_fat: f(n.trans_fat),
            cholesterol: f(n.cholesterol),
            potassium: f(n.potassium),
            calcium: f(n.calcium),
            iron: f(n.iron),
            vitamin_a: f(n.vitamin_a),
            vitamin_c: f(n.vitamin_c),
        }
    }
}

impl NutrientValues {
    /// Exact values, validated (no negatives, nothing absurd); `prefix` names the field.
    pub fn to_nutrients(&self, prefix: &str) -> Result<Nutrients, ApiError> {
        let pairs = [
            ("calories", self.calories),
            ("protein", self.protein),
            ("carbohydrates", self.carbohydrates),
            ("fat", self.fat),
            ("fiber", self.fiber),
            ("sugar", self.sugar),
            ("sodium", self.sodium),
            ("saturated_fat", self.saturated_fat),
            ("trans_fat", self.trans_fat),
            ("cholesterol", self.cholesterol),
            ("potassium", self.potassium),
            ("calcium", self.calcium),
            ("iron", self.iron),
            ("vitamin_a", self.vitamin_a),
            ("vitamin_c", self.vitamin_c),
        ];
        let mut n = Nutrients::default();
        for (name, v) in pairs {
            let field = format!("{prefix}.{name}");
            let d = v.map(|v| decimal_from_f64(&field, v)).transpose()?;
            n.set(name, d.map(|d| sparky_core::units::round_dp(d, 4)));
        }
        n.validate()
            .map_err(|(name, problem)| ApiError::invalid(&format!("{prefix}.{name}"), problem))?;
        Ok(n)
    }
}

/// Reads the 15 nutrient columns (named as in `Nutrients::NAMES`) of a row, with a prefix.
pub fn nutrients_from_row(row: &tokio_postgres::Row, prefix: &str) -> Nutrients {
    let mut n = Nutrients::default();
    // The columns come in NAMES order (nutrient_columns); find the first once instead of
    // formatting and looking up every name (this runs for every row of a year's summary).
    let columns = row.columns();
    let is = |i: usize, name: &str| {
        columns.get(i).is_some_and(|c| {
            c.name().len() == prefix.len() + name.len()
                && c.name().starts_with(prefix)
                && c.name().ends_with(name)
        })
    };
    let first = Nutrients::NAMES[0];
    let start = (0..columns.len()).find(|&i| is(i, first));
    for (k, name) in Nutrients::NAMES.iter().enumerate() {
        let v: Option<Decimal> = match start {
            Some(s) if is(s + k, name) => row.get(s + k),
            _ => row.get(format!("{prefix}{name}").as_str()),
        };
        n.set(name, v);
    }
    n
}

/// `a.calories, a.protein, …` for SELECT lists.
pub fn nutrient_columns(table: &str, prefix: &str) -> String {
    Nutrients::NAMES
        .iter()
        .map(|n| format!("{table}.{n} AS {prefix}{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
