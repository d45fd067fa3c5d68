//! Transitional: the f64 wire form of nutrients still used by the route modules that have not
//! moved to the application layer yet. New code uses `sparky_core::Amount` and
//! `sparky_core::nutrition::Nutrients` directly.

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

pub use sparky_app::nutrients::{nutrient_columns, nutrients_from_row};

pub(crate) fn parse_quantity(q: f64) -> Result<Decimal, ApiError> {
    let d = decimal_from_f64("quantity", q)?;
    Ok(sparky_app::diary::parse_quantity(
        "quantity",
        sparky_core::Amount(d),
    )?)
}

pub(crate) fn parse_unit(u: &str) -> Result<sparky_core::units::Unit, ApiError> {
    sparky_core::units::Unit::parse(u).map_err(|e| ApiError::invalid("unit", e.to_string()))
}

pub(crate) fn nutrition_error(e: sparky_core::nutrition::NutritionError) -> ApiError {
    sparky_app::diary::nutrition_error(e).into()
}
