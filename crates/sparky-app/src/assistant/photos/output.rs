//! What the photo routes answer: meal estimates, logged meals and label proposals.

use serde::Serialize;
use sparky_core::nutrition::Nutrients;
use sparky_core::Amount;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::diary::DiaryEntry;
use crate::foods::FoodInput;

/// A food an item may be.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FoodChoice {
    pub id: Uuid,
    pub name: String,
    pub brand: Option<String>,
    /// Calories of the item's grams of this food, computed as the diary would log them; null
    /// when the food has no weight in grams or no calories.
    #[schema(value_type = Option<f64>)]
    pub calories: Option<Amount>,
}

/// One food the model saw.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MealItem {
    /// What the model called it, e.g. "scrambled eggs".
    pub name: String,
    /// The model's estimate, greater than 0 and at most 3000.
    #[schema(value_type = f64)]
    pub grams: Amount,
    /// The confident match among the catalog, your foods and foods shared with you; null when
    /// the search was not sure (then pick from `alternatives`, or search yourself).
    pub food: Option<FoodChoice>,
    /// Calories of `grams` of `food` (null without a match, or when it has no gram weight).
    #[schema(value_type = Option<f64>)]
    pub calories: Option<Amount>,
    /// Other candidates, best first (at most 3).
    #[schema(max_items = 3)]
    pub alternatives: Vec<FoodChoice>,
}

/// What a meal photo shows. Nothing is written to the diary.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MealEstimate {
    /// At most 20.
    #[schema(max_items = 20)]
    pub items: Vec<MealItem>,
    /// The provider that answered, e.g. "OpenAI".
    pub provider: String,
    pub model: String,
    /// What was left out of the model's answer and why (no usable weight, more than 3000 g,
    /// past 20 items), or what the model said when it found no food.
    pub warnings: Vec<String>,
}

/// The confirmed items, logged.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MealLogged {
    /// The entries as `GET /api/v1/diary/{day}` shows them, in the order given.
    pub entries: Vec<DiaryEntry>,
    /// `POST /api/v1/chat/actions/{action_id}/undo` removes them all.
    pub action_id: Uuid,
    /// The sum of the entries.
    pub totals: Nutrients,
}

/// A food read from a nutrition label. `food` is exactly a `POST /api/v1/foods` body: confirm
/// (or correct) it and post it there.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LabelProposal {
    pub food: FoodInput,
    /// What looks doubtful (energy that does not match the macros, no serving size, energy
    /// converted from kJ, no product name).
    pub warnings: Vec<String>,
    pub provider: String,
    pub model: String,
}
