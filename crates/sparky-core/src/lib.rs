//! Pure domain code for Sparky: parsing and validating what users type, units, nutrition
//! arithmetic. No I/O.

pub mod account;
pub mod barcode;
pub mod nutrition;
pub mod units;
