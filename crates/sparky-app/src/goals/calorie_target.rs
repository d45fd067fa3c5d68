//! Setting a weight_loss or muscle_gain goal together with the daily calorie target that goes
//! with it: the suggestion (profile, latest weight, the goal's weekly rate), worked out before
//! anything is written; then the previous active calorie target paused and the new one
//! inserted, in the caller's transaction.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use sparky_core::units::round_dp;
use sparky_core::{GoalStatus, GoalType};
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

use super::progress::Context;
use super::suggest::{self, Given, Suggestion};
use super::{insert, Goal, GoalRow, GoalValues, NewGoal};
use crate::acting::Acting;
use crate::error::{AppError, AppResult};

/// The fastest rates a target date may ask for, in kg a week.
const MAX_LOSS_PER_WEEK: Decimal = Decimal::from_parts(1, 0, 0, true, 0);
const MAX_GAIN_PER_WEEK: Decimal = Decimal::from_parts(5, 0, 0, false, 1);
/// Rates used without a target date.
pub(crate) const DEFAULT_LOSS_PER_WEEK: Decimal = Decimal::from_parts(5, 0, 0, true, 1);
pub(crate) const DEFAULT_GAIN_PER_WEEK: Decimal = Decimal::from_parts(25, 0, 0, false, 2);

/// The calorie target set together with a weight goal.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalorieTargetSet {
    /// The new active calorie_target goal (kcal, rounded to whole kcal).
    pub goal: Goal,
    /// The calorie target that was active before; it is paused now.
    pub paused_goal_id: Option<Uuid>,
    /// Where the weekly rate came from: `given` (weekly_change_kg), `target_date` (what
    /// reaching the target by then takes) or `default`.
    pub rate_source: &'static str,
    /// True when the target date asked for a faster rate than is suggested (1 kg a week down,
    /// 0.5 up) and the rate was held at that limit.
    pub rate_limited: bool,
    /// The suggestion the target comes from, with the inputs it used.
    pub suggestion: Suggestion,
    /// What was done, in a sentence.
    pub message: String,
}

/// A calorie target worked out, not yet written.
pub(crate) struct Plan {
    suggestion: Suggestion,
    rate_source: &'static str,
    rate_limited: bool,
    kcal: Decimal,
}

/// What [`set`] did, waiting for the new goal's derived values.
pub(crate) struct Done {
    plan: Plan,
    paused: Option<(Uuid, Option<Decimal>)>,
}

/// The weekly rate that reaches `target` from `current` by `date`, held to the suggested
/// limits; None when there is no date or weight, or the target is behind.
fn rate_for_date(
    t: GoalType,
    target: Decimal,
    current: Option<Decimal>,
    date: Option<NaiveDate>,
    today: NaiveDate,
) -> Option<(Decimal, bool)> {
    let days = (date? - today).num_days();
    if days <= 0 {
        return None;
    }
    let rate = (target - current?) * Decimal::from(7) / Decimal::from(days);
    let rate = round_dp(rate, 2);
    match t {
        GoalType::WeightLoss if rate < Decimal::ZERO => {
            Some((rate.max(MAX_LOSS_PER_WEEK), rate < MAX_LOSS_PER_WEEK))
        }
        GoalType::MuscleGain if rate > Decimal::ZERO => {
            Some((rate.min(MAX_GAIN_PER_WEEK), rate > MAX_GAIN_PER_WEEK))
        }
        _ => None,
    }
}

/// Works out the calorie target for `new` (target and start in kg), or says what data is
/// missing (422 on `with_calorie_target`).
pub(crate) async fn plan(
    tx: &mut UserTx,
    owner: Acting,
    new: &NewGoal,
    target_kg: Decimal,
    start_kg: Option<Decimal>,
    weekly: Option<Decimal>,
    ctx: &Context,
) -> AppResult<Plan> {
    let t = new.goal_type;
    let current = ctx.latest_weight.map(|(w, _)| w).or(start_kg);
    let (weekly, rate_source, rate_limited) = match weekly {
        Some(w) => (w, "given", false),
        None => match rate_for_date(t, target_kg, current, new.target_date, ctx.today) {
            Some((w, limited)) => (w, "target_date", limited),
            None if t == GoalType::MuscleGain => (DEFAULT_GAIN_PER_WEEK, "default", false),
            None => (DEFAULT_LOSS_PER_WEEK, "default", false),
        },
    };
    let known = suggest::known(tx, owner).await?;
    let given = Given {
        // A starting weight typed with the goal is the weight now.
        weight_kg: new.start_value.and(start_kg),
        weekly_change_kg: weekly,
        ..Given::default()
    };
    match suggest::compute(&given, &known) {
        Ok(suggestion) => Ok(Plan {
            kcal: round_dp(suggestion.target_calories.decimal(), 0),
            suggestion,
            rate_source,
            rate_limited,
        }),
        Err(missing) => {
            let needs: Vec<String> = missing
                .iter()
                .map(|m| format!("{} {}", m.field, m.problem))
                .collect();
            Err(AppError::invalid(
                "with_calorie_target",
                format!(
                    "cannot work out a calorie target: {}; nothing was saved",
                    needs.join("; ")
                ),
            ))
        }
    }
}

/// Pauses the owner's active calorie target and inserts the planned one.
pub(crate) async fn set(
    tx: &mut UserTx,
    owner: Uuid,
    plan: Plan,
    today: NaiveDate,
) -> AppResult<(GoalRow, Done)> {
    let paused = tx
        .query_opt(
            "UPDATE goals SET status = 'paused'
             WHERE user_id = $1 AND type = 'calorie_target' AND status = 'active'
             RETURNING id, target_value",
            &[&owner],
        )
        .await?
        .map(|r| (r.get(0), r.get(1)));
    let values = GoalValues {
        goal_type: GoalType::CalorieTarget,
        target: plan.kcal,
        target_date: None,
        status: GoalStatus::Active,
        start: None,
        start_date: today,
        // Weekday targets belonged to the paused target's level; the new one starts even.
        weekday_targets: None,
    };
    let row = insert(tx, owner, &values).await?;
    Ok((row, Done { plan, paused }))
}

impl Done {
    pub(crate) fn finish(self, goal: Goal) -> CalorieTargetSet {
        let s = &self.plan.suggestion;
        let mut message = format!(
            "Set a daily calorie target of {} kcal: TDEE {} kcal {} {} kcal for {} kg a week",
            self.plan.kcal.normalize(),
            s.tdee,
            if s.daily_adjustment_kcal.decimal() < Decimal::ZERO {
                "minus"
            } else {
                "plus"
            },
            s.daily_adjustment_kcal.decimal().abs().normalize(),
            s.weekly_change_kg,
        );
        if s.floor_applied {
            message.push_str(&format!(", raised to the floor of {} kcal", s.floor_kcal));
        }
        if self.plan.rate_limited {
            message.push_str(" (the target date asks for more; held at the suggested limit)");
        }
        message.push('.');
        if let Some((_, previous)) = self.paused {
            match previous {
                Some(kcal) => message.push_str(&format!(
                    " Paused the previous target of {} kcal.",
                    kcal.normalize()
                )),
                None => message.push_str(" Paused the previous calorie target."),
            }
        }
        CalorieTargetSet {
            goal,
            paused_goal_id: self.paused.map(|(id, _)| id),
            rate_source: self.plan.rate_source,
            rate_limited: self.plan.rate_limited,
            suggestion: self.plan.suggestion,
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn a_target_date_sets_the_rate_within_the_limits() {
        let today = d("2026-06-01");
        let rate = |t, target: &str, current: &str, date: &str| {
            rate_for_date(t, dec(target), Some(dec(current)), Some(d(date)), today)
        };
        // 2 kg in 8 weeks.
        assert_eq!(
            rate(GoalType::WeightLoss, "78", "80", "2026-07-27"),
            Some((dec("-0.25"), false))
        );
        // 10 kg in 4 weeks: held at 1 kg a week.
        assert_eq!(
            rate(GoalType::WeightLoss, "70", "80", "2026-06-29"),
            Some((dec("-1"), true))
        );
        assert_eq!(
            rate(GoalType::MuscleGain, "84", "80", "2026-06-29"),
            Some((dec("0.5"), true))
        );
        // Already past the target, a date today or gone, no weight: no rate from the date.
        assert_eq!(rate(GoalType::WeightLoss, "82", "80", "2026-06-29"), None);
        assert_eq!(rate(GoalType::WeightLoss, "78", "80", "2026-06-01"), None);
        assert_eq!(
            rate_for_date(
                GoalType::WeightLoss,
                dec("78"),
                None,
                Some(d("2026-07-01")),
                today
            ),
            None
        );
        assert_eq!(
            rate_for_date(
                GoalType::WeightLoss,
                dec("78"),
                Some(dec("80")),
                None,
                today
            ),
            None
        );
    }
}
