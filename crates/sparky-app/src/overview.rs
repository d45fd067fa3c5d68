//! Everything the Today screen shows about one day, read in one round trip: the diary, the
//! day's summary, the two weeks up to it, the workouts, and which day is today for the owner.

use chrono::{Days, NaiveDate};
use sparky_db::UserTx;

use crate::acting::{Acting, Area};
use crate::diary::DiaryDay;
use crate::error::AppResult;
use crate::reads::Reads;
use crate::summary::{CalorieTargets, DaySummary, Range, RangeSummary};
use crate::workouts::WorkoutDay;

/// Days of totals shown up to the day (the day itself included).
pub const TREND_DAYS: u64 = 14;

pub struct DayOverview {
    pub diary: DiaryDay,
    pub summary: DaySummary,
    /// The [`TREND_DAYS`] days up to the day.
    pub trend: RangeSummary,
    /// The calorie target of each day (of the trend, say): as it was then for a past day.
    pub calorie_targets: CalorieTargets,
    pub workouts: WorkoutDay,
    /// Today in the owner's timezone.
    pub today: NaiveDate,
    /// The owner's custom nutrients (their diary keeps amounts under these names).
    pub custom_nutrients: Vec<crate::custom_nutrients::CustomNutrient>,
}

pub async fn day(tx: &mut UserTx, acting: Acting, date: NaiveDate) -> AppResult<DayOverview> {
    // Someone else's diary: 404 unless it is shared (one statement before the reads; your own
    // is always visible).
    acting.ensure_visible(tx, Area::Diary).await?;
    let from = date
        .checked_sub_days(Days::new(TREND_DAYS - 1))
        .unwrap_or(date);
    let mut reads = Reads::new();
    let diary = crate::diary::plan_day(&mut reads, acting, date);
    let summary = crate::summary::plan_day(&mut reads, acting, date);
    let trend = crate::summary::plan_range(&mut reads, acting, Range { from, to: date });
    let workouts = crate::workouts::plan_day(&mut reads, acting, date);
    let today = crate::days::plan_today(&mut reads, acting);
    let custom_nutrients = crate::custom_nutrients::plan_list(&mut reads, acting);
    let mut answers = reads.run(tx).await?;
    let owner = acting.owner_id(tx).await?;
    let diary = diary.finish(&mut answers, owner)?;
    let (summary, calorie_targets) = summary.finish_with_targets(&mut answers)?;
    Ok(DayOverview {
        diary,
        summary,
        calorie_targets,
        trend: trend.finish(&mut answers)?,
        workouts: workouts.finish(&mut answers, owner)?,
        today: today.finish(&mut answers)?,
        custom_nutrients: custom_nutrients.finish(&mut answers)?,
    })
}
