//! Saving the daily targets (`POST /goals/targets`): every target at once, each in grams or as
//! a share of the calories ("30 %"), with the days of the week that have their own.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::Deserialize;
use sparky_app::goals::targets::{set_targets, TargetChange};
use sparky_app::goals::WeekdayTargets;
use sparky_app::AppError;
use sparky_core::measure::{to_canonical, Dimension, MeasureUnit};
use sparky_core::{Amount, GoalType};

use super::super::forms::{decimal, Errors};
use super::super::{redirect, Page, PageError, PageForm};
use super::{active, day_field, kcal_per_gram, render, shown_target, SuggestParams, DAILY};

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct TargetsForm {
    // A field left out of the post (a script, a partial form) leaves its target as it is;
    // only a field sent empty stops it.
    calorie_target: Option<String>,
    protein_target: Option<String>,
    carbs_target: Option<String>,
    fat_target: Option<String>,
    water_target: Option<String>,
    /// Sent by the targets form, which has the days of the week; without it (the suggestion's
    /// form) the days stay as they are.
    weekdays: Option<String>,
    /// The days of the week's own values (`cal_saturday`, `protein_saturday`, …) and the rest.
    #[serde(flatten)]
    days: std::collections::BTreeMap<String, String>,
}

impl TargetsForm {
    /// What was typed for a target on a day of the week.
    pub(super) fn day(&self, gt: GoalType, day: &str) -> &str {
        self.days
            .get(&day_field(gt, day))
            .map(String::as_str)
            .unwrap_or("")
    }

    pub(super) fn get(&self, t: GoalType) -> Option<&str> {
        match t {
            GoalType::CalorieTarget => &self.calorie_target,
            GoalType::ProteinTarget => &self.protein_target,
            GoalType::CarbsTarget => &self.carbs_target,
            GoalType::FatTarget => &self.fat_target,
            _ => &self.water_target,
        }
        .as_deref()
    }
}

/// Sets the daily targets at once; an emptied field stops that target.
pub(super) async fn save_targets(
    mut page: Page,
    PageForm(form): PageForm<TargetsForm>,
) -> Result<Response, PageError> {
    let t = page.t;
    let mut errors = Errors::default();
    let units = page.shell("", "goals").await?.units.clone();
    let stored = active(&mut page).await?;
    // What a field holds, in canonical units (kcal, g, ml): the stored value when the field
    // still shows it, else what was typed (water typed in fl oz for imperial users, a macro
    // as a share of `kcal`, the calories of its day).
    let read = |gt: GoalType, typed: &str, stored: Option<Amount>, kcal: Option<Decimal>| {
        if let Some(a) = stored.filter(|a| shown_target(&units, gt, *a) == typed.trim()) {
            return Ok(Some(a.decimal()));
        }
        if let Some(grams) = grams_of_share(gt, typed, kcal) {
            return grams.map(Some);
        }
        let value = decimal(typed).map_err(|()| Unreadable::Value)?;
        match value {
            Some(v) if gt == GoalType::WaterTarget && units.imperial() => {
                to_canonical(v, MeasureUnit::FlOz, Dimension::Volume)
                    .map(Some)
                    .map_err(|_| Unreadable::Value)
            }
            other => Ok(other),
        }
    };
    // The calories a share of them is taken of: the usual target and each day's, as this form
    // sets them (or as they are, when it leaves calories out).
    let calorie_goal = stored
        .iter()
        .find(|g| g.goal_type == GoalType::CalorieTarget);
    let mut usual_kcal = calorie_goal
        .and_then(|g| g.target_value)
        .map(|a| a.decimal());
    let mut day_kcal: [Option<Decimal>; 7] = calorie_goal
        .and_then(|g| g.by_weekday.as_ref())
        .map(|w| w.values().map(|v| v.map(|a| a.decimal())))
        .unwrap_or_default();
    let unreadable = |gt: GoalType, why: Unreadable, day: bool| -> String {
        match why {
            Unreadable::NoCalories => t.get("goals.err.share_needs_calories").into(),
            Unreadable::Value if day => t.get(&format!("goals.err.day.{}", gt.as_str())).into(),
            Unreadable::Value => t.get(&format!("goals.err.{}", gt.as_str())).into(),
        }
    };
    let mut changes = Vec::new();
    for (gt, _) in DAILY {
        // Left out with days of its own typed: as if sent empty, so the days are refused
        // (they need a usual target) rather than dropped unseen.
        let typed = match form.get(gt) {
            Some(typed) => typed,
            None if WeekdayTargets::DAYS
                .iter()
                .any(|day| !form.day(gt, day).trim().is_empty()) =>
            {
                ""
            }
            None => continue,
        };
        let goal = stored.iter().find(|g| g.goal_type == gt);
        let stored_days = goal
            .and_then(|g| g.by_weekday.as_ref())
            .map(|w| w.values())
            .unwrap_or_default();
        let usual = read(gt, typed, goal.and_then(|g| g.target_value), usual_kcal);
        // Its days of the week (all empty: the same target every day).
        let mut by_weekday = [None; 7];
        for (i, day) in WeekdayTargets::DAYS.iter().enumerate() {
            let kcal = day_kcal[i].or(usual_kcal);
            match read(gt, form.day(gt, day), stored_days[i], kcal) {
                Ok(v) => by_weekday[i] = v,
                Err(why) => {
                    errors
                        .0
                        .insert(day_field(gt, day), unreadable(gt, why, true));
                }
            }
        }
        match usual {
            Ok(value) => {
                let by_weekday = form.weekdays.is_some().then_some(by_weekday);
                if gt == GoalType::CalorieTarget {
                    usual_kcal = value;
                    if let Some(days) = by_weekday {
                        day_kcal = days;
                    }
                }
                changes.push(TargetChange {
                    goal_type: gt,
                    value,
                    unit: None,
                    by_weekday,
                });
            }
            Err(why) => {
                errors
                    .0
                    .insert(gt.as_str().into(), unreadable(gt, why, false));
            }
        }
    }
    if errors.is_empty() {
        let acting = page.acting;
        match set_targets(&mut page.tx, acting, &changes).await {
            Ok(_) => {
                page.tx.commit().await?;
                return Ok(redirect("/goals"));
            }
            Err(e @ AppError::Invalid(_)) => {
                errors = Errors::from_app(&t, "goals.err", &e).unwrap_or_default();
                // `calorie_target.by_weekday.monday` is the form's `cal_monday`; a day
                // without a usual target is that target's problem.
                for (gt, _) in DAILY {
                    let days = format!("{}.by_weekday", gt.as_str());
                    for day in WeekdayTargets::DAYS {
                        if errors.0.remove(&format!("{days}.{day}")).is_some() {
                            errors.0.insert(
                                day_field(gt, day),
                                t.get(&format!("goals.err.day.{}", gt.as_str())).into(),
                            );
                        }
                    }
                    if errors.0.remove(&days).is_some() {
                        errors.0.insert(
                            gt.as_str().into(),
                            t.get("goals.err.days_need_target").into(),
                        );
                    }
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    let body = render(page, errors, Some(&form), SuggestParams::default(), None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
}

/// Why a target field could not be read.
enum Unreadable {
    /// Not a number (or a share outside 1-100 %).
    Value,
    /// A share of the calories without a calorie target to take it of.
    NoCalories,
}

/// A macro target typed as a share of the calories ("30 %"): its whole grams of `kcal`.
/// None when the text is no share (grams, read as they are).
fn grams_of_share(
    gt: GoalType,
    typed: &str,
    kcal: Option<Decimal>,
) -> Option<Result<Decimal, Unreadable>> {
    let per_gram = kcal_per_gram(gt)?;
    let share = typed.trim().strip_suffix('%')?;
    Some(match decimal(share) {
        Ok(Some(p)) if p > Decimal::ZERO && p <= Decimal::ONE_HUNDRED => match kcal {
            Some(kcal) => Ok((kcal * p / Decimal::ONE_HUNDRED / per_gram)
                .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)),
            None => Err(Unreadable::NoCalories),
        },
        _ => Err(Unreadable::Value),
    })
}
