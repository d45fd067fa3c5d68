//! Daily targets that differ by day of the week: the API's `by_weekday` object and the
//! stored `goals.weekday_targets` array (seven values, Monday first, canonical unit).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sparky_core::{Amount, GoalType, UnitsSystem};
use utoipa::ToSchema;

use super::to_canonical;
use crate::error::Validation;

/// A daily target that differs by day of the week (more on training days or at the weekend):
/// the days named here use their own value, the others the goal's `target_value`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeekdayTargets {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monday: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tuesday: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wednesday: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thursday: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friday: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saturday: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sunday: Option<Amount>,
}

impl WeekdayTargets {
    /// The field names, Monday first (the order of the stored array).
    pub const DAYS: [&'static str; 7] = sparky_core::report::WEEKDAY_NAMES;

    /// The values, Monday first.
    pub fn values(&self) -> [Option<Amount>; 7] {
        [
            self.monday,
            self.tuesday,
            self.wednesday,
            self.thursday,
            self.friday,
            self.saturday,
            self.sunday,
        ]
    }

    pub fn from_values(v: [Option<Amount>; 7]) -> WeekdayTargets {
        let [monday, tuesday, wednesday, thursday, friday, saturday, sunday] = v;
        WeekdayTargets {
            monday,
            tuesday,
            wednesday,
            thursday,
            friday,
            saturday,
            sunday,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.values().iter().all(Option::is_none)
    }
}

/// Typed weekday values (Monday first, in `unit`) as the stored array (canonical unit), or
/// `None` when no day has its own value. Problems are reported as `<field>.<day>` (the API's
/// `field` is `by_weekday`).
pub(super) fn weekday_canonical(
    v: &mut Validation,
    field: &str,
    t: GoalType,
    values: [Option<Decimal>; 7],
    unit: Option<&str>,
    system: UnitsSystem,
) -> Option<Vec<Option<Decimal>>> {
    if t.is_weight() {
        if values.iter().any(Option::is_some) {
            v.add(field, "is only for daily targets");
        }
        return None;
    }
    let stored: Vec<Option<Decimal>> = values
        .iter()
        .zip(WeekdayTargets::DAYS)
        .map(|(value, day)| {
            value.and_then(|x| {
                let field = format!("{field}.{day}");
                v.take(to_canonical(t, &field, x, unit, system))
            })
        })
        .collect();
    stored.iter().any(Option::is_some).then_some(stored)
}

pub(super) fn decimals(w: &WeekdayTargets) -> [Option<Decimal>; 7] {
    w.values().map(|a| a.map(Amount::decimal))
}
