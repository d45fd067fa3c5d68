//! Photos and labels. A meal photo goes to the user's vision model, which names the foods with
//! estimated grams; each is matched to a catalog or user food with the food search (in the
//! user's RLS transaction) and shown for confirmation; nothing is written until the confirmed
//! items are logged together ([`log_meal`]): one transaction, one assistant action that undoes
//! them all. A nutrition-label photo becomes a food proposal in the shape `POST /api/v1/foods`
//! takes (see [`super::label`]).
//!
//! The model is asked for JSON in the prompt only (no provider-specific schema or
//! `response_format`, so local models work); the answer is read leniently
//! ([`sparky_ai::extract_json`], numbers as text with units) and validated here. Each call is
//! a row of `assistant_requests`, counted by the chat's rate limit and daily token budget. No
//! transaction is open while the model thinks.

mod input;
mod matching;
mod meal;
mod meal_answer;
mod model_call;
mod nutrition_label;
mod output;

pub use input::{
    ImageType, LabelPhotoInput, MealLog, MealLogInput, MealLogItemInput, MealPhoto, MealPhotoInput,
    PhotoImage, PhotoMeal,
};
pub use matching::match_items;
pub use meal::{estimate_meal, log_meal};
pub use meal_answer::{read_meal_answer, SeenItem};
pub use nutrition_label::read_label;
pub use output::{FoodChoice, LabelProposal, MealEstimate, MealItem, MealLogged};

/// Items one photo may hold (the model's further items are left out, with a warning).
pub const MAX_ITEMS: usize = 20;
/// Heaviest item, in grams; an estimate above it (or at or below 0) is left out.
pub const MAX_ITEM_GRAMS: i64 = 3000;
/// Longest hint.
pub const MAX_HINT_CHARS: usize = 500;
/// Longest image, in base64 characters (the photo routes' 8 MiB body limit bounds it first).
pub const MAX_IMAGE_CHARS: usize = 8 * 1024 * 1024;
/// Alternatives offered per item.
pub const MAX_ALTERNATIVES: usize = 3;
