//! Reading diary rows into entries, and nutrition errors as API errors.

use rust_decimal::Decimal;
use sparky_core::nutrition::NutritionError;
use sparky_core::Amount;

use crate::error::AppError;
use crate::foods::describe_serving;
use crate::nutrients::{nutrient_columns, nutrients_from_row};

use super::*;

pub(super) fn entry_columns() -> String {
    format!(
        "d.id, d.user_id, d.food_item_id, d.nutrition_data_id, d.food_name, d.brand, d.quantity, d.unit,
         d.meal_type, d.entry_date, d.consumed_at, d.serving_size, d.serving_unit, d.serving_weight_g,
         d.servings, d.custom_per_serving, {}",
        nutrient_columns("d", "e_")
    )
}

pub(super) fn entry_from_row(r: &tokio_postgres::Row) -> DiaryEntry {
    let size: Option<Decimal> = r.get("serving_size");
    let unit: Option<String> = r.get("serving_unit");
    let weight: Option<Decimal> = r.get("serving_weight_g");
    let servings: Option<Decimal> = r.get("servings");
    let per_serving = crate::custom_nutrients::from_json(
        r.get::<_, Option<serde_json::Value>>("custom_per_serving")
            .as_ref(),
    );
    DiaryEntry {
        id: r.get("id"),
        user_id: r.get("user_id"),
        food_item_id: r.get("food_item_id"),
        nutrition_data_id: r.get("nutrition_data_id"),
        food_name: r.get("food_name"),
        brand: r.get("brand"),
        quantity: r.get("quantity"),
        unit: r.get("unit"),
        meal_type: r.get("meal_type"),
        date: r.get("entry_date"),
        consumed_at: r.get("consumed_at"),
        serving: ServingSnapshot {
            size: size.map(Amount),
            description: match (size, unit.as_deref()) {
                (Some(s), Some(u)) => Some(describe_serving(s, u, weight)),
                _ => None,
            },
            unit,
            weight_g: weight.map(Amount),
        },
        servings: servings.map(Amount),
        nutrients: nutrients_from_row(r, "e_"),
        custom_nutrients: match servings {
            Some(count) if !per_serving.is_empty() => {
                crate::custom_nutrients::shown(&crate::custom_nutrients::times(&per_serving, count))
            }
            _ => Default::default(),
        },
    }
}

pub fn nutrition_error(e: NutritionError) -> AppError {
    match e {
        NutritionError::InvalidQuantity => AppError::invalid("quantity", e.to_string()),
        NutritionError::NotConvertible { .. } | NutritionError::UnknownUnit { .. } => {
            AppError::invalid("unit", e.to_string())
        }
        NutritionError::InvalidServing => AppError::invalid("nutrition_data_id", e.to_string()),
    }
}
