//! One day's summary: eaten, burned, remaining against the targets the day had, water,
//! weight, the logging streak and the week's calorie budget.

use chrono::{Days, NaiveDate};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Serialize;
use sparky_core::nutrition::Nutrients;
use sparky_core::report;
use sparky_core::Amount;
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

use super::range::{days_of, RANGE_SQL};
use super::week::{week_budget, WeekBudget};
use super::{amount, round2, Remaining, Targets};
use crate::acting::{Acting, Area, OWNER};
use crate::error::{AppError, AppResult};
use crate::goals::history::TargetHistory;
use crate::reads::{Answers, Param, ReadId, Reads};

/// How far back the streak looks (ten years).
const MAX_STREAK_DAYS: i32 = 3660;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DaySummary {
    pub date: NaiveDate,
    pub user_id: Uuid,
    /// Totals of the food diary for the day, every nutrient some entry knows.
    pub eaten: Nutrients,
    /// Nutrients some of the day's entries do not know: their totals (and what remains of
    /// their targets) count only the entries that know them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub partial: Vec<&'static str>,
    /// kcal burned by logged exercise (entries with an estimate or a given value).
    pub burned: Amount,
    /// eaten − burned.
    pub net_calories: Amount,
    /// The active targets for this day: a target set per day of the week counts with the
    /// value for this day's weekday.
    pub targets: Targets,
    /// What is left of each target: calories are target − eaten + burned ×
    /// `exercise_eat_back_percent` / 100.
    pub remaining: Remaining,
    /// The owner's share of exercise calories added back to the calorie target (Settings).
    #[schema(minimum = 0, maximum = 100)]
    pub exercise_eat_back_percent: i16,
    /// ml of water logged; null when the owner's measurements are not shared with you.
    pub water_ml: Option<Amount>,
    /// The day's last weight, in kg, if one was logged.
    pub weight_kg: Option<Amount>,
    /// Food diary entries that day.
    pub entries: i64,
    /// Consecutive days with at least one diary entry, ending on this day (0 if none that
    /// day), or on the day before when this day is the owner's today and nothing is logged yet.
    pub streak_days: i64,
    /// The calorie budget of this day's week (Monday to Sunday, or from the owner's
    /// `week_start`); absent without a calorie target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub week: Option<WeekBudget>,
}

/// One day: eaten (with the nutrients only some entries know), burned, remaining against the
/// active targets (the day's own where a target differs by day of the week), water, weight,
/// the logging streak and the week's calorie budget.
pub async fn day(tx: &mut UserTx, acting: Acting, date: NaiveDate) -> AppResult<DaySummary> {
    day_reading(tx, acting, date, false).await
}

/// [`day`], and the end of the transaction: the day's reads go out with the commit, so for
/// your own data authentication, reads and commit are one round trip.
pub async fn day_and_commit(
    mut tx: UserTx,
    acting: Acting,
    date: NaiveDate,
) -> AppResult<DaySummary> {
    day_reading(&mut tx, acting, date, true).await
}

async fn day_reading(
    tx: &mut UserTx,
    acting: Acting,
    date: NaiveDate,
    commit: bool,
) -> AppResult<DaySummary> {
    acting.ensure_visible(tx, Area::Diary).await?;
    if commit {
        tx.commit_with_next_statement();
    }
    let mut reads = Reads::new();
    let plan = plan_day(&mut reads, acting, date);
    let mut answers = reads.run(tx).await?;
    plan.finish(&mut answers)
}

/// The queries of one day's summary, planned (see [`crate::reads`]); the caller has checked
/// that the owner's diary is visible.
pub struct DayPlan {
    date: NaiveDate,
    six_before: NaiveDate,
    week: ReadId,
    goals: ReadId,
    history: ReadId,
    logged: ReadId,
    known: ReadId,
}

/// Plans [`day`]'s five reads.
pub fn plan_day(reads: &mut Reads, acting: Acting, date: NaiveDate) -> DayPlan {
    // The day and the six before it: the days of its week so far, whichever day the owner's
    // week starts on (for the week's budget).
    let six_before = date.checked_sub_days(Days::new(6)).unwrap_or(date);
    let goals_sql = format!(
        "SELECT type, coalesce(weekday_targets[extract(isodow FROM $2::date)::int], target_value),
                target_value, weekday_targets
         FROM goals
         WHERE user_id = {OWNER} AND status = 'active'
           AND type IN ('calorie_target', 'protein_target', 'carbs_target', 'fat_target', 'water_target')
         UNION ALL
         SELECT 'eat_back', exercise_eat_back_percent::numeric, NULL, NULL FROM user_preferences
         WHERE user_id = {OWNER}
         UNION ALL
         SELECT 'week_start', array_position(ARRAY['monday', 'tuesday', 'wednesday', 'thursday',
                    'friday', 'saturday', 'sunday'], week_start)::numeric, NULL, NULL
         FROM user_preferences WHERE user_id = {OWNER}
         UNION ALL
         SELECT 'measurements_visible', {measurements_visible}::int::numeric, NULL, NULL
         UNION ALL
         SELECT 'days_to_today', ((now() AT TIME ZONE coalesce(
                    (SELECT timezone FROM user_preferences WHERE user_id = {OWNER}), 'UTC'))::date
                  - $2::date)::numeric, NULL, NULL",
        measurements_visible = Area::Measurements.visible_sql(OWNER)
    );
    // Logged days going back from this one; the first gap ends the streak.
    let logged_sql = format!(
        "SELECT entry_date FROM diary_day_totals
         WHERE user_id = {OWNER} AND entries > 0 AND entry_date <= $2 AND entry_date > $2 - $3::int
         ORDER BY entry_date DESC"
    );
    // How many of the day's entries know each nutrient.
    let known_columns: Vec<String> = Nutrients::NAMES
        .iter()
        .map(|n| format!("count({n})"))
        .collect();
    let known_sql = format!(
        "SELECT count(*), {} FROM food_diary WHERE user_id = {OWNER} AND entry_date = $2",
        known_columns.join(", ")
    );
    // The daily targets as they changed: a past day has the targets it had.
    let history_sql = format!(
        "SELECT k.t, ({}) FROM unnest(ARRAY['calorie_target', 'protein_target', 'carbs_target',
                                           'fat_target']) AS k(t)",
        crate::goals::history::history_json_sql(OWNER, "k.t")
    );
    let owner = || -> Param { Box::new(acting.owner) };
    DayPlan {
        date,
        six_before,
        week: reads.add(
            RANGE_SQL.as_str(),
            vec![owner(), Box::new(six_before), Box::new(date)],
        ),
        goals: reads.add(goals_sql, vec![owner(), Box::new(date)]),
        history: reads.add(history_sql, vec![owner()]),
        logged: reads.add(
            logged_sql,
            vec![owner(), Box::new(date), Box::new(MAX_STREAK_DAYS)],
        ),
        known: reads.add(known_sql, vec![owner(), Box::new(date)]),
    }
}

/// The calorie target of each day as the day summary judges it: a past day's as it was then,
/// today's and later the active goal's.
pub struct CalorieTargets {
    history: TargetHistory,
    today: NaiveDate,
}

impl CalorieTargets {
    pub fn on(&self, day: NaiveDate) -> Option<Decimal> {
        self.history.as_of(self.today, day)
    }
}

impl DayPlan {
    /// The summary from the planned reads' rows.
    pub fn finish(self, answers: &mut Answers) -> AppResult<DaySummary> {
        Ok(self.finish_with_targets(answers)?.0)
    }

    /// [`DayPlan::finish`], with the calorie targets of other days (for a chart of them).
    pub fn finish_with_targets(
        self,
        answers: &mut Answers,
    ) -> AppResult<(DaySummary, CalorieTargets)> {
        let (date, six_before) = (self.date, self.six_before);
        let rows = answers.take(self.week)?;
        let goals = answers.take(self.goals)?;
        let history = answers.take(self.history)?;
        let logged = answers.take(self.logged)?;
        let known_rows = answers.take(self.known)?;
        summary_of(
            date,
            six_before,
            &rows,
            &goals,
            &history,
            &logged,
            &known_rows,
        )
    }
}

fn summary_of(
    date: NaiveDate,
    six_before: NaiveDate,
    rows: &[tokio_postgres::Row],
    goals: &[tokio_postgres::Row],
    history: &[tokio_postgres::Row],
    logged: &[tokio_postgres::Row],
    known_rows: &[tokio_postgres::Row],
) -> AppResult<(DaySummary, CalorieTargets)> {
    let known = known_rows
        .first()
        .ok_or_else(|| AppError::internal("day summary: no count row"))?;
    let (user_id, mut week_days) = days_of(rows, six_before, date)?;
    let row = week_days
        .pop()
        .ok_or_else(|| AppError::internal("day summary: no day row"))?;

    let entries: i64 = known.get(0);
    let partial: Vec<&'static str> = Nutrients::NAMES
        .iter()
        .enumerate()
        .filter(|(i, _)| (1..entries).contains(&known.get::<_, i64>(i + 1)))
        .map(|(_, n)| *n)
        .collect();
    // Today's streak is not broken before today ends: with nothing logged yet it is the one
    // ending yesterday (it showed 0 every morning).
    let is_today = goals.iter().any(|g| {
        g.get::<_, &str>(0) == "days_to_today"
            && g.get::<_, Option<Decimal>>(1) == Some(Decimal::ZERO)
    });
    let mut streak = 0i64;
    let mut expected = match (entries, is_today) {
        (0, true) => date.checked_sub_days(Days::new(1)).unwrap_or(date),
        _ => date,
    };
    for r in logged {
        let d: NaiveDate = r.get(0);
        if d != expected {
            break;
        }
        streak += 1;
        expected = expected.checked_sub_days(Days::new(1)).unwrap_or(expected);
    }
    let target_of = |t: &str| -> Option<Decimal> {
        goals
            .iter()
            .find(|g| g.get::<_, &str>(0) == t)
            .and_then(|g| g.get::<_, Option<Decimal>>(1))
    };
    let eaten: Nutrients = serde_json::from_str(row.eaten.get())
        .map_err(|e| AppError::internal(format!("day totals: eaten_json: {e}")))?;
    let burned = amount(row.burned).decimal();
    // Water is a measurement: for someone who may not see those, it is unknown, not 0.
    let water = row
        .water_ml
        .filter(|_| target_of("measurements_visible") == Some(Decimal::ONE))
        .map(|ml| amount(ml).decimal());
    let eaten_or_zero = |v: Option<Decimal>| v.unwrap_or(Decimal::ZERO);
    let calories = eaten_or_zero(eaten.calories);
    // Today for the owner: it and the days after have the active goals' targets; a day before
    // has the ones it had then (goal_target_history), so lowering a target today does not
    // re-judge last week.
    let days_to_today = target_of("days_to_today")
        .and_then(|n| n.to_i64())
        .unwrap_or(0);
    let today = match u64::try_from(days_to_today) {
        Ok(ahead) => date.checked_add_days(Days::new(ahead)),
        Err(_) => date.checked_sub_days(Days::new(days_to_today.unsigned_abs())),
    }
    .unwrap_or(date);
    let history_of = |t: &str| -> TargetHistory {
        let goal = goals.iter().find(|g| g.get::<_, &str>(0) == t);
        TargetHistory::new(
            history
                .iter()
                .find(|h| h.get::<_, &str>(0) == t)
                .and_then(|h| h.get(1)),
            goal.and_then(|g| g.get(2)),
            goal.and_then(|g| g.get(3)),
        )
    };
    let on_day = |h: &TargetHistory, d: NaiveDate| h.as_of(today, d);
    let calorie_history = history_of("calorie_target");
    let (cal_t, protein_t, carbs_t, fat_t, water_t) = (
        on_day(&calorie_history, date),
        on_day(&history_of("protein_target"), date),
        on_day(&history_of("carbs_target"), date),
        on_day(&history_of("fat_target"), date),
        target_of("water_target"),
    );
    // The owner's share of exercise calories that counts (preferences; all of it by default).
    let eat_back = target_of("eat_back").unwrap_or(Decimal::ONE_HUNDRED);
    let remaining = Remaining {
        calories: cal_t.map(|t| round2(t - calories + burned * eat_back / Decimal::ONE_HUNDRED)),
        protein: protein_t.map(|t| round2(t - eaten_or_zero(eaten.protein))),
        carbohydrates: carbs_t.map(|t| round2(t - eaten_or_zero(eaten.carbohydrates))),
        fat: fat_t.map(|t| round2(t - eaten_or_zero(eaten.fat))),
        water: water_t.zip(water).map(|(t, w)| round2(t - w)),
    };
    let target = |d: Option<Decimal>| d.map(|d| Amount(d.normalize()));
    let first_day = report::weekday_from_iso(
        target_of("week_start")
            .and_then(|n| n.to_i64())
            .unwrap_or(1),
    );
    let week_from = report::week_start_on(date, first_day);
    let week = match cal_t {
        Some(_) => {
            let mut eaten_before = Decimal::ZERO;
            let mut burned_before = Decimal::ZERO;
            // The days before this one the budget counts: food logged whose calories are
            // known. A day of entries without calories (quick adds of macros only) would
            // otherwise add its whole target as calories "left".
            let mut counted_before = Vec::new();
            for d in week_days.iter().filter(|d| d.date >= week_from) {
                let n: Nutrients = serde_json::from_str(d.eaten.get())
                    .map_err(|e| AppError::internal(format!("day totals: eaten_json: {e}")))?;
                if d.entries > 0 && n.calories.is_some() {
                    counted_before.push(d.date);
                    eaten_before += eaten_or_zero(n.calories);
                    // A day the budget does not count adds no exercise either.
                    burned_before += amount(d.burned).decimal();
                }
            }
            week_budget(
                date,
                week_from,
                |d| on_day(&calorie_history, d),
                |d| counted_before.contains(&d),
                calories + eaten_before,
                (burned + burned_before) * eat_back / Decimal::ONE_HUNDRED,
            )
        }
        None => None,
    };
    let summary = DaySummary {
        week,
        date,
        user_id,
        net_calories: round2(calories - burned),
        burned: Amount(burned),
        water_ml: water.map(Amount),
        weight_kg: row.weight_kg.map(amount),
        entries: row.entries,
        partial,
        eaten,
        targets: Targets {
            calories: target(cal_t),
            protein: target(protein_t),
            carbohydrates: target(carbs_t),
            fat: target(fat_t),
            water: target(water_t),
        },
        remaining,
        exercise_eat_back_percent: eat_back.to_i16().unwrap_or(100),
        streak_days: streak,
    };
    Ok((
        summary,
        CalorieTargets {
            history: calorie_history,
            today,
        },
    ))
}
