//! What a goal is set and changed with ([`GoalInput`], [`UpdateGoalInput`]), checked, and a
//! value typed in any unit the goal's type takes, as the canonical value it is stored as.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use sparky_core::units::{self, round_dp, Unit};
use sparky_core::{Amount, Date, GoalStatus, GoalType, UnitsSystem};
use utoipa::ToSchema;

use super::weekdays::{decimals, WeekdayTargets};
use crate::error::{AppError, AppResult, Validation};

/// Set a goal.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalInput {
    #[serde(rename = "type")]
    pub goal_type: GoalType,
    /// Greater than zero, in `target_unit`.
    pub target_value: Amount,
    /// Weight goals: kg or lb (default: the owner's unit system). calorie_target: kcal;
    /// protein/carbs/fat targets: g; water_target: ml, l or fl oz (default ml). Any letter case.
    #[schema(max_length = 20)]
    pub target_unit: Option<String>,
    pub target_date: Option<Date>,
    /// Default `active`. A second active goal of one type, or a second active weight goal
    /// (weight_loss, muscle_gain, weight_target), is refused (409).
    pub status: Option<GoalStatus>,
    /// Weight goals: the starting weight, in `target_unit` (default: the latest weight).
    pub start_value: Option<Amount>,
    /// weight_loss and muscle_gain: also set the daily calorie target that goes with it,
    /// computed like `GET /goals/suggest` from your profile and latest weight. An active
    /// calorie target is paused; the response's `calorie_target` says what was done.
    pub with_calorie_target: Option<bool>,
    /// With `with_calorie_target`: the planned change in kg per week (negative to lose,
    /// −2 to 2). Default: what reaching the target by `target_date` takes (at most 1 kg a
    /// week down or 0.5 up), else −0.5 for weight_loss and 0.25 for muscle_gain.
    #[schema(value_type = Option<f64>, minimum = -2, maximum = 2)]
    pub weekly_change_kg: Option<Amount>,
    /// Daily targets: a different target on some days of the week, in `target_unit`; the
    /// days not named keep `target_value`.
    pub by_weekday: Option<WeekdayTargets>,
}

/// A validated [`GoalInput`] (values still in the unit they were typed in).
#[derive(Debug, Clone)]
pub struct NewGoal {
    pub goal_type: GoalType,
    pub target_value: Decimal,
    pub target_unit: Option<String>,
    pub target_date: Option<NaiveDate>,
    pub status: GoalStatus,
    pub start_value: Option<Decimal>,
    /// Set the calorie target too, at this weekly rate (None: from the date or the default).
    pub with_calorie_target: Option<Option<Decimal>>,
    /// Typed values, Monday first (checked against the type and unit when written).
    pub by_weekday: [Option<Decimal>; 7],
}

pub(super) fn unit_text(v: &mut Validation, unit: Option<&str>) -> Option<String> {
    let unit = unit.map(|u| {
        u.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    });
    if let Some(u) = &unit {
        v.check(u.chars().count() <= 20, "target_unit", "is not a unit");
    }
    unit.filter(|u| !u.is_empty())
}

impl GoalInput {
    pub fn parse(self) -> AppResult<NewGoal> {
        let mut v = Validation::new();
        let t = self.goal_type;
        let target_unit = unit_text(&mut v, self.target_unit.as_deref());
        if self.start_value.is_some() && !t.is_weight() {
            v.add("start_value", "is only for weight goals");
        }
        let with_target = self.with_calorie_target.unwrap_or(false);
        if with_target && !matches!(t, GoalType::WeightLoss | GoalType::MuscleGain) {
            v.add(
                "with_calorie_target",
                "is only for weight_loss and muscle_gain goals",
            );
        }
        let weekly = self.weekly_change_kg.map(Amount::decimal);
        if let Some(w) = weekly {
            if !with_target {
                v.add(
                    "weekly_change_kg",
                    "goes with \"with_calorie_target\": true",
                );
            } else if w.abs() > Decimal::from(2) {
                v.add("weekly_change_kg", "must be between -2 and 2 (kg per week)");
            } else if t == GoalType::WeightLoss && w >= Decimal::ZERO {
                v.add(
                    "weekly_change_kg",
                    "must be negative for a weight_loss goal",
                );
            } else if t == GoalType::MuscleGain && w <= Decimal::ZERO {
                v.add(
                    "weekly_change_kg",
                    "must be positive for a muscle_gain goal",
                );
            }
        }
        v.finish()?;
        Ok(NewGoal {
            goal_type: t,
            target_value: self.target_value.decimal(),
            target_unit,
            target_date: self.target_date.map(Date::get),
            status: self.status.unwrap_or(GoalStatus::Active),
            start_value: self.start_value.map(Amount::decimal),
            with_calorie_target: with_target.then_some(weekly),
            by_weekday: self.by_weekday.as_ref().map(decimals).unwrap_or_default(),
        })
    }
}

/// Change a goal: the fields given change, the others stay.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGoalInput {
    pub target_value: Option<Amount>,
    /// The unit of `target_value` and `start_value`.
    #[schema(max_length = 20)]
    pub target_unit: Option<String>,
    pub target_date: Option<Date>,
    pub status: Option<GoalStatus>,
    pub start_value: Option<Amount>,
    /// Daily targets: replaces the days of the week with their own target, in `target_unit`
    /// (`{}`: the same target every day again).
    pub by_weekday: Option<WeekdayTargets>,
}

/// A value typed in `unit` (or the type's default unit) as the canonical value of `t`.
pub(super) fn to_canonical(
    t: GoalType,
    field: &str,
    value: Decimal,
    unit: Option<&str>,
    system: UnitsSystem,
) -> AppResult<Decimal> {
    let canonical = match t {
        GoalType::WeightLoss | GoalType::MuscleGain | GoalType::WeightTarget => {
            let default = if system.is_imperial() { "lb" } else { "kg" };
            match unit.unwrap_or(default) {
                "kg" | "kgs" => value,
                "lb" | "lbs" => units::lb_to_kg(value),
                _ => return Err(AppError::invalid("target_unit", "must be kg or lb")),
            }
        }
        GoalType::CalorieTarget => match unit {
            None | Some("kcal") => value,
            _ => return Err(AppError::invalid("target_unit", "must be kcal")),
        },
        GoalType::ProteinTarget | GoalType::CarbsTarget | GoalType::FatTarget => match unit {
            None | Some("g") => value,
            _ => return Err(AppError::invalid("target_unit", "must be g")),
        },
        GoalType::WaterTarget => {
            let from = match unit {
                None | Some("ml") => Unit::Ml,
                Some("l") => Unit::L,
                Some("fl oz") => Unit::FlOz,
                _ => return Err(AppError::invalid("target_unit", "must be ml, l or fl oz")),
            };
            units::convert(value, from, Unit::Ml)
                .map_err(|_| AppError::invalid(field, "is out of range"))?
        }
    };
    // Stored at numeric(14,6): checked as stored, so 0.0000001 is "not above 0" here, not a
    // constraint violation at the INSERT.
    let stored = round_dp(canonical, 6);
    // Zero as shown (two places) is no target: 0.00001 kcal was stored and showed as a 0
    // target with a progress of 1,000,000,000 %.
    if round_dp(stored, 2) <= Decimal::ZERO || stored > t.max_target() {
        return Err(AppError::invalid(
            field,
            format!(
                "must be greater than 0 and at most {} {}",
                t.max_target(),
                t.canonical_unit()
            ),
        ));
    }
    Ok(stored)
}
