//! Pure domain code for Sparky: parsing and validating what users type, units, nutrition
//! arithmetic. No I/O.

pub mod account;
pub mod barcode;
pub mod energy;
pub mod exercise;
pub mod food_search;
pub mod health;
pub mod measure;
mod named_serde;
pub mod nutrition;
pub mod recipe;
pub mod report;
pub mod serde_words;
pub mod shopping;
pub mod text;
pub mod trend;
pub mod typed_number;
pub mod units;
pub mod values;

pub use values::{
    AccessType, Amount, Date, DistanceUnit, ExerciseCategory, GoalStatus, GoalType, MealType,
    Theme, Timestamp, UnitsSystem, Weekday, WeightUnit,
};
