//! The calorie budget of the week a day is in.

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use sparky_core::Amount;
use utoipa::ToSchema;

use super::round2;

/// The calorie budget of the week a day is in (Monday to Sunday, or from the owner's
/// `week_start`): the sum of its days' targets against what was eaten and burned from its
/// first day up to that day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WeekBudget {
    /// The week's first day (a Monday unless `week_start` says otherwise).
    pub from: NaiveDate,
    /// Its last day.
    pub to: NaiveDate,
    /// The calorie targets of the days that count added up (each day's own where the target
    /// differs by day of the week), kcal: the days before this one that have food with known
    /// calories logged, this day and the days after. A day before with nothing logged (before
    /// one started using Sparky, or forgotten), or only entries without calories, adds
    /// nothing, so it does not turn into calories "left".
    pub budget: Amount,
    /// How many days the budget counts (1 to 7).
    pub days_counted: u32,
    /// kcal eaten from the week's first day to this day.
    pub eaten: Amount,
    /// The share of exercise calories that counts (`exercise_eat_back_percent`), from the
    /// week's first day to this day.
    pub burned_counted: Amount,
    /// budget − eaten + burned_counted: what the rest of the week may still have.
    pub remaining: Amount,
    /// Days of the week after this one (0 on its last day).
    pub days_after: u32,
}

/// The budget of the week from `from` (the owner's first day of the week) that holds
/// `date`, or `None` when a day of the week has no calorie target. `logged` says whether a day
/// before `date` has food logged (only those of the days before count).
pub(super) fn week_budget(
    date: NaiveDate,
    from: NaiveDate,
    target_of: impl Fn(NaiveDate) -> Option<Decimal>,
    logged: impl Fn(NaiveDate) -> bool,
    eaten: Decimal,
    burned_counted: Decimal,
) -> Option<WeekBudget> {
    let to = from + Days::new(6);
    // Days outside the dates Sparky keeps cannot be logged: not counted (the week of
    // 2199-12-31 counted five days of 2200).
    let counted: Vec<NaiveDate> = from
        .iter_days()
        .take(7)
        .filter(|d| *d >= sparky_core::values::min_date() && *d <= sparky_core::values::max_date())
        .filter(|d| *d >= date || logged(*d))
        .collect();
    let budget = counted
        .iter()
        .map(|d| target_of(*d))
        .sum::<Option<Decimal>>()?;
    Some(WeekBudget {
        from,
        to,
        budget: round2(budget),
        days_counted: u32::try_from(counted.len()).unwrap_or(7),
        eaten: round2(eaten),
        burned_counted: round2(burned_counted),
        remaining: round2(budget - eaten + burned_counted),
        days_after: u32::try_from((to.min(sparky_core::values::max_date()) - date).num_days())
            .unwrap_or(0),
    })
}
