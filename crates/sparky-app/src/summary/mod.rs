//! The daily summary: eaten, burned, remaining against the active targets, water, weight and
//! the logging streak — for one day, or one row a day for a range of up to 366 days.
//!
//! Both read the per-day totals the database keeps with triggers (`diary_day_totals`: food
//! and exercise; `measurement_day_totals`: water and the day's last weight) in one statement.
//! The range is the hot path: each day's `eaten` object is passed through as the JSON text the
//! totals row keeps, and the other numbers are decoded straight to the f64 the API prints
//! ([`crate::nutrients::NumericF64`]), so a year costs two index range scans and no decimal
//! arithmetic.
//!
//! `day` is one day's summary (and `week` its week's calorie budget), `range` the rows of a
//! span of days; both read the same per-day totals statement.

mod day;
mod range;
mod week;

use rust_decimal::Decimal;
use serde::Serialize;
use sparky_core::units::round_dp;
use sparky_core::Amount;
use utoipa::ToSchema;

pub use day::{day, day_and_commit, plan_day, CalorieTargets, DayPlan, DaySummary};
pub use range::{plan_range, range, range_and_commit, Range, RangePlan, RangeSummary, SummaryRow};
pub use week::WeekBudget;

/// Days a range may span.
pub const MAX_RANGE_DAYS: i64 = 366;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Targets {
    /// kcal
    pub calories: Option<Amount>,
    /// g
    pub protein: Option<Amount>,
    /// g
    pub carbohydrates: Option<Amount>,
    /// g
    pub fat: Option<Amount>,
    /// ml
    pub water: Option<Amount>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Remaining {
    /// Target − eaten + burned.
    pub calories: Option<Amount>,
    pub protein: Option<Amount>,
    pub carbohydrates: Option<Amount>,
    pub fat: Option<Amount>,
    pub water: Option<Amount>,
}

/// An f64 the database printed from a NUMERIC, as the exact amount it was.
pub(crate) fn amount(x: f64) -> Amount {
    Amount::from_f64(x).unwrap_or_default()
}

pub(crate) fn round2(d: Decimal) -> Amount {
    Amount(round_dp(d, 2).normalize())
}
