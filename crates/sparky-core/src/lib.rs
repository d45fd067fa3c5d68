//! Pure domain code for Sparky: parsing and validating what users type, units, nutrition
//! arithmetic. No I/O.

pub mod account;
pub mod barcode;
pub mod energy;
pub mod exercise;
pub mod food_search;
pub mod measure;
pub mod nutrition;
pub mod trend;
pub mod units;
