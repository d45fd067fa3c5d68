//! Reports over a range of days (7, 30, 90, 365 days up to today, or any `from`..`to` of at
//! most 366 days), for the user or a family member whose data is shared with them:
//!
//! - [`nutrition`]: calories per day against the calorie target with the average over the
//!   logged days, weekly totals against a weekly budget, the macro split, and every other
//!   nutrient the diary holds against a reference intake with the share of logged days met.
//!   Days without diary entries are missing (null), never zero.
//! - [`body`]: weight with its trend (EWMA, as the measurement listing) and weekly rate of
//!   change, and every other measurement type (custom ones too) over time.
//! - [`exercise`]: sessions and calories per day and week, weekly volume (reps × weight) per
//!   muscle group, personal records (estimated one-rep max, heaviest weight) set in the range.
//!
//! Each report is ONE statement: the range (today in the owner's timezone), the owner's units,
//! the targets and the per-day (or per-week) aggregates come back together; the little
//! arithmetic left over a year of days (averages, shares, weeks, trend) is `sparky_core`'s.
//! A family member's data is read through RLS; [`Acting::ensure_visible`] tells "not shared"
//! (404) from "nothing logged". Each report also renders as CSV ([`to_csv`]).

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use sparky_core::measure::{self, Dimension};
use sparky_core::nutrition::Nutrients;
use sparky_core::report::{self as calc, Bound};
use sparky_core::units::round_dp;
use sparky_core::{trend, Amount, Date, UnitsSystem, WeightUnit};
use sparky_db::UserTx;
use tokio_postgres::Row;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::acting::{Acting, Area};
use crate::error::{AppError, AppResult};

/// Days a report may span.
pub const MAX_DAYS: i64 = 366;
/// The ranges the Reports screen offers, in days up to today.
pub const PRESETS: [i64; 4] = [7, 30, 90, 365];
/// The default range.
pub const DEFAULT_DAYS: i64 = 30;
/// Days of weights before the range that warm up the trend (as the measurement listing).
const TREND_WARMUP_DAYS: i32 = 60;

// ---------------------------------------------------------------------------------------------
// The range
// ---------------------------------------------------------------------------------------------

/// A validated range: the last `days` days up to today (in the owner's timezone, worked out
/// by the report's statement), or `from`..=`to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportRange {
    Last(i32),
    Between(NaiveDate, NaiveDate),
}

impl ReportRange {
    /// `days` (1–366, default 30) or both `from` and `to` (at most 366 days), not both kinds.
    pub fn parse(days: Option<i64>, from: Option<Date>, to: Option<Date>) -> AppResult<Self> {
        match (days, from, to) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(AppError::invalid(
                "days",
                "give either days or from and to, not both",
            )),
            (_, Some(_), None) => Err(AppError::invalid("to", "is required with from")),
            (_, None, Some(_)) => Err(AppError::invalid("from", "is required with to")),
            (_, Some(from), Some(to)) => {
                let (from, to) = (from.get(), to.get());
                if to < from {
                    return Err(AppError::invalid("to", "must not be before from"));
                }
                if (to - from).num_days() >= MAX_DAYS {
                    return Err(AppError::invalid("to", "a report spans at most 366 days"));
                }
                Ok(ReportRange::Between(from, to))
            }
            (days, None, None) => {
                let days = days.unwrap_or(DEFAULT_DAYS);
                if !(1..=MAX_DAYS).contains(&days) {
                    return Err(AppError::invalid("days", "must be between 1 and 366"));
                }
                Ok(ReportRange::Last(days as i32))
            }
        }
    }

    /// The statement's `$2`, `$3`, `$4`: from, to, days.
    fn params(&self) -> (Option<NaiveDate>, Option<NaiveDate>, i32) {
        match *self {
            ReportRange::Last(d) => (None, None, d),
            ReportRange::Between(f, t) => (Some(f), Some(t), 0),
        }
    }
}

/// The head every report statement starts with: the owner (`$1`, NULL = the caller), their
/// units and the range's bounds (`$2`/`$3`, or the `$4` days up to today in their timezone).
const HEAD: &str = "who AS (SELECT coalesce($1::uuid, auth.uid()) AS id),
     pref AS (SELECT (SELECT p.units_system FROM user_preferences p WHERE p.user_id = w.id LIMIT 1) AS units,
                     (SELECT p.timezone FROM user_preferences p WHERE p.user_id = w.id LIMIT 1) AS tz,
                     (SELECT p.week_start FROM user_preferences p WHERE p.user_id = w.id LIMIT 1) AS week_start
              FROM who w),
     ws AS (SELECT coalesce(array_position(ARRAY['monday', 'tuesday', 'wednesday', 'thursday', 'friday',
                                                 'saturday', 'sunday'], (SELECT week_start FROM pref)), 1) AS isodow),
     b AS (SELECT coalesce($2::date, x.today - ($4::int - 1)) AS f, coalesce($3::date, x.today) AS t
           FROM (SELECT (now() AT TIME ZONE coalesce((SELECT tz FROM pref), 'UTC'))::date AS today) x)";

fn amount(d: Decimal, dp: u32) -> Amount {
    Amount(round_dp(d, dp).normalize())
}

fn pct(share: Decimal) -> Amount {
    amount(share * Decimal::from(100), 1)
}

fn days_between(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d <= to)
}

// ---------------------------------------------------------------------------------------------
// Nutrition
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NutritionDay {
    pub date: NaiveDate,
    /// The day's totals; null on a day without diary entries (missing, not zero).
    pub eaten: Option<Nutrients>,
    /// kcal burned by logged exercise that day (null when none was logged).
    #[schema(value_type = Option<f64>)]
    pub burned: Option<Amount>,
    /// The day's calorie target (the active one; its value for this weekday where it has
    /// one); null without a target.
    #[schema(value_type = Option<f64>)]
    pub calorie_target: Option<Amount>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalorieWeek {
    /// The week's first day (Monday unless the owner's `week_start` says otherwise; may be
    /// before `from`).
    pub week_start: NaiveDate,
    /// Days of the range in this week (7 except at the ends).
    pub days: u32,
    /// Days with diary entries.
    pub logged_days: u32,
    /// kcal eaten on the logged days; null when none was logged.
    #[schema(value_type = Option<f64>)]
    pub calories: Option<Amount>,
    /// The sum of the days' calorie targets (7 × the target for a whole week with the same
    /// target every day); null without a target.
    #[schema(value_type = Option<f64>)]
    pub budget: Option<Amount>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalorieSummary {
    /// The active calorie target, kcal a day.
    #[schema(value_type = Option<f64>)]
    pub target: Option<Amount>,
    /// The days of the week with a calorie target of their own (kcal); absent when every
    /// day has `target`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_weekday: Option<crate::goals::WeekdayTargets>,
    /// Mean kcal a day over the logged days (missing days left out).
    #[schema(value_type = Option<f64>)]
    pub average: Option<Amount>,
    /// Logged days at or under their day's target.
    pub days_within_target: Option<u32>,
    pub weeks: Vec<CalorieWeek>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MacroRow {
    /// protein, carbohydrates or fat.
    pub nutrient: &'static str,
    /// Always g.
    pub unit: &'static str,
    /// Mean grams a day over the logged days.
    #[schema(value_type = Option<f64>)]
    pub average: Option<Amount>,
    /// The active target (goals), g a day.
    #[schema(value_type = Option<f64>)]
    pub target: Option<Amount>,
    /// Share of the energy from protein, carbohydrates and fat (4, 4, 9 kcal/g) over the
    /// range, percent, 1 place.
    #[schema(value_type = Option<f64>)]
    pub energy_percent: Option<Amount>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NutrientRow {
    /// A nutrient of the diary other than energy and the macronutrients (fiber, sodium, …).
    pub nutrient: &'static str,
    /// g, mg or µg (vitamin A, RAE).
    pub unit: &'static str,
    /// Mean a day over the logged days that know it.
    #[schema(value_type = Option<f64>)]
    pub average: Option<Amount>,
    /// The reference intake (US Daily Value, adults); null for nutrients without one.
    #[schema(value_type = Option<f64>)]
    pub target: Option<Amount>,
    /// `at_least` or `at_most` (a limit such as sodium's); null without a target.
    pub bound: Option<&'static str>,
    /// Logged days that met the target (a day that does not know the nutrient did not).
    pub days_met: Option<u32>,
    /// `days_met` as a percentage of the logged days, 1 place.
    #[schema(value_type = Option<f64>)]
    pub percent_of_days_met: Option<Amount>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NutritionReport {
    pub user_id: Uuid,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Days with diary entries.
    pub logged_days: u32,
    pub calories: CalorieSummary,
    /// Protein, carbohydrates, fat.
    pub macros: Vec<MacroRow>,
    /// Every other nutrient some logged day knows.
    pub nutrients: Vec<NutrientRow>,
    /// One per day, `from` to `to` (at most 366).
    #[schema(max_items = 366)]
    pub days: Vec<NutritionDay>,
}

const NUTRITION_SQL_TAIL: &str = "
     g AS (SELECT type, target_value, weekday_targets FROM goals
           WHERE user_id = (SELECT id FROM who) AND status = 'active'
             AND type IN ('calorie_target', 'protein_target', 'carbs_target', 'fat_target')),
     d AS (SELECT * FROM diary_day_totals
           WHERE user_id = (SELECT id FROM who)
             AND entry_date BETWEEN (SELECT f FROM b) AND (SELECT t FROM b))
     SELECT (SELECT id FROM who) AS uid, b.f, b.t,
            (SELECT target_value FROM g WHERE type = 'calorie_target') AS calorie_target,
            (SELECT weekday_targets FROM g WHERE type = 'calorie_target') AS calorie_weekdays,
            (SELECT isodow FROM ws)::integer AS week_isodow,
            (SELECT target_value FROM g WHERE type = 'protein_target') AS protein_target,
            (SELECT target_value FROM g WHERE type = 'carbs_target') AS carbs_target,
            (SELECT target_value FROM g WHERE type = 'fat_target') AS fat_target,
            d.entry_date, d.entries, d.burned,
            d.calories, d.protein, d.carbohydrates, d.fat, d.fiber, d.sugar, d.sodium,
            d.saturated_fat, d.trans_fat, d.cholesterol, d.potassium, d.calcium, d.iron,
            d.vitamin_a, d.vitamin_c
     FROM b LEFT JOIN d ON true
     ORDER BY d.entry_date";

/// The header of a report's rows: owner and bounds.
fn head(rows: &[Row]) -> AppResult<(Uuid, NaiveDate, NaiveDate)> {
    let r = rows
        .first()
        .ok_or_else(|| AppError::internal("report: no rows"))?;
    Ok((r.get("uid"), r.get("f"), r.get("t")))
}

/// The nutrition report (one statement).
pub async fn nutrition(
    tx: &mut UserTx,
    acting: Acting,
    range: ReportRange,
) -> AppResult<NutritionReport> {
    acting.ensure_visible(tx, Area::Diary).await?;
    let (from, to, days) = range.params();
    let rows = tx
        .query(
            &format!("WITH {HEAD},{NUTRITION_SQL_TAIL}"),
            &[&acting.owner, &from, &to, &days],
        )
        .await?;
    let (user_id, from, to) = head(&rows)?;
    let first = &rows[0];
    let target = |c: &str| first.get::<_, Option<Decimal>>(c);
    let calorie_target = target("calorie_target");
    let calorie_weekdays: Option<Vec<Option<Decimal>>> = first.get("calorie_weekdays");
    let first_day = calc::weekday_from_iso(first.get::<_, i32>("week_isodow").into());
    let calorie_target_on =
        |d: NaiveDate| calc::target_on(calorie_target, calorie_weekdays.as_deref(), d);

    let mut by_day: BTreeMap<NaiveDate, &Row> = BTreeMap::new();
    for r in &rows {
        if let Some(d) = r.get::<_, Option<NaiveDate>>("entry_date") {
            by_day.insert(d, r);
        }
    }
    let mut out_days = Vec::new();
    for date in days_between(from, to) {
        let row = by_day.get(&date);
        let eaten = row.filter(|r| r.get::<_, i32>("entries") > 0).map(|r| {
            let mut n = Nutrients::default();
            for name in Nutrients::NAMES {
                n.set(
                    name,
                    r.get::<_, Option<Decimal>>(name).map(|v| v.normalize()),
                );
            }
            n
        });
        let burned = row
            .and_then(|r| r.get::<_, Option<Decimal>>("burned"))
            .map(|b| amount(b, 2));
        out_days.push(NutritionDay {
            date,
            eaten,
            burned,
            calorie_target: calorie_target_on(date).map(|v| amount(v, 2)),
        });
    }
    let logged: Vec<&Nutrients> = out_days.iter().filter_map(|d| d.eaten.as_ref()).collect();
    let of_logged =
        |name: &str| -> Vec<Option<Decimal>> { logged.iter().map(|n| n.get(name)).collect() };
    let calories_daily: Vec<Option<Decimal>> = out_days
        .iter()
        .map(|d| d.eaten.as_ref().map(|n| n.calories.unwrap_or_default()))
        .collect();
    let weeks = calc::weekly_totals(from, &calories_daily, first_day, calorie_target_on)
        .into_iter()
        .map(|w| CalorieWeek {
            week_start: w.week_start,
            days: w.days,
            logged_days: w.logged_days,
            calories: w.total.map(|v| amount(v, 2)),
            budget: w.budget.map(|v| amount(v, 2)),
        })
        .collect();
    let logged_calories: Vec<Option<Decimal>> =
        calories_daily.iter().flatten().map(|v| Some(*v)).collect();
    // Each logged day against its own target (a weekday may have one of its own).
    let days_within_target = calorie_target.map(|_| {
        days_between(from, to)
            .zip(&calories_daily)
            .filter(|(d, eaten)| {
                eaten
                    .zip(calorie_target_on(*d))
                    .is_some_and(|(e, t)| Bound::AtMost.met(e, t))
            })
            .count() as u32
    });
    let calories = CalorieSummary {
        target: calorie_target.map(|t| amount(t, 2)),
        by_weekday: calorie_weekdays.as_deref().map(|w| {
            let mut days = [None; 7];
            for (day, v) in days.iter_mut().zip(w) {
                *day = v.map(|v| amount(v, 2));
            }
            crate::goals::WeekdayTargets::from_values(days)
        }),
        average: calc::mean_of_known(&logged_calories).map(|v| amount(v, 1)),
        days_within_target,
        weeks,
    };

    let sum = |name: &str| -> Decimal { of_logged(name).into_iter().flatten().sum() };
    let split = calc::macro_energy_split(sum("protein"), sum("carbohydrates"), sum("fat"));
    let macros = [
        ("protein", "protein_target"),
        ("carbohydrates", "carbs_target"),
        ("fat", "fat_target"),
    ]
    .iter()
    .enumerate()
    .map(|(i, &(name, goal))| MacroRow {
        nutrient: name,
        unit: "g",
        average: calc::mean_of_known(&of_logged(name)).map(|v| amount(v, 1)),
        target: target(goal).map(|t| amount(t, 2)),
        energy_percent: split.map(|(p, c, f)| pct([p, c, f][i])),
    })
    .collect();

    let nutrients = Nutrients::NAMES[4..]
        .iter()
        .copied()
        .filter(|name| logged.iter().any(|n| n.get(name).is_some()))
        .map(|name| {
            let values = of_logged(name);
            let reference = calc::reference_intake(name);
            let met = reference.map(|(t, bound)| calc::share_met(&values, t, bound));
            NutrientRow {
                nutrient: name,
                unit: calc::nutrient_unit(name),
                average: calc::mean_of_known(&values).map(|v| amount(v, 2)),
                target: reference.map(|(t, _)| Amount(t)),
                bound: reference.map(|(_, b)| b.as_str()),
                days_met: met.map(|m| m.0),
                percent_of_days_met: met.and_then(|m| m.1).map(pct),
            }
        })
        .collect();
    Ok(NutritionReport {
        user_id,
        from,
        to,
        logged_days: logged.len() as u32,
        calories,
        macros,
        nutrients,
        days: out_days,
    })
}

// ---------------------------------------------------------------------------------------------
// Body
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WeightPoint {
    pub date: NaiveDate,
    /// The day's mean weight, in `unit`, 2 places.
    #[schema(value_type = f64)]
    pub value: Amount,
    /// The smoothed weight (EWMA, alpha 0.1, warmed up on the 60 days before `from`).
    #[schema(value_type = f64)]
    pub trend: Amount,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WeightReport {
    /// kg or lb (the owner's units).
    pub unit: String,
    /// Days with a weight, oldest first.
    #[schema(max_items = 366)]
    pub points: Vec<WeightPoint>,
    /// The trend's rate of change per week (least-squares slope of the trend over the range ×
    /// 7), in `unit`, 2 places; negative is a loss. Null with fewer than two days.
    #[schema(value_type = Option<f64>)]
    pub weekly_rate: Option<Amount>,
    /// Trend at the last point − trend at the first.
    #[schema(value_type = Option<f64>)]
    pub trend_change: Option<Amount>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeasurementPoint {
    pub date: NaiveDate,
    /// The day's value in `unit` (mean of the day's readings; water: their sum), 2 places.
    #[schema(value_type = f64)]
    pub value: Amount,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeasurementSeries {
    /// The type's name (built-in or custom).
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: String,
    /// The owner's display unit for it (lb/in/fl oz for imperial owners).
    pub unit: String,
    #[schema(max_items = 366)]
    pub points: Vec<MeasurementPoint>,
    /// Last − first value.
    #[schema(value_type = Option<f64>)]
    pub change: Option<Amount>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BodyReport {
    pub user_id: Uuid,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// `metric` or `imperial`: the owner's units.
    pub units_system: UnitsSystem,
    pub weight: WeightReport,
    /// Every other type with a reading in the range, by name.
    pub measurements: Vec<MeasurementSeries>,
}

const BODY_SQL_TAIL: &str = "
     ty AS (SELECT DISTINCT ON (name) name, dimension FROM measurement_types
            WHERE user_id IS NULL OR user_id = (SELECT id FROM who)
            ORDER BY name, user_id NULLS FIRST),
     m AS (SELECT x.type, x.entry_date, ty.dimension,
                  round(CASE WHEN ty.dimension = 'volume' THEN sum(x.value) ELSE avg(x.value) END, 6) AS value
           FROM measurements x LEFT JOIN ty ON ty.name = x.type
           WHERE x.user_id = (SELECT id FROM who)
             AND x.entry_date BETWEEN (SELECT f FROM b) - $5::int AND (SELECT t FROM b)
             AND (x.type = 'weight' OR x.entry_date >= (SELECT f FROM b))
           GROUP BY x.type, x.entry_date, ty.dimension)
     SELECT (SELECT id FROM who) AS uid, b.f, b.t, (SELECT units FROM pref) AS units,
            m.type, m.dimension, m.entry_date, m.value
     FROM b LEFT JOIN m ON true
     ORDER BY m.type, m.entry_date";

/// A measurement type's dimension (when known) and its (day, canonical value) points.
type Series = (Option<Dimension>, Vec<(NaiveDate, Decimal)>);

/// The body report (one statement).
pub async fn body(tx: &mut UserTx, acting: Acting, range: ReportRange) -> AppResult<BodyReport> {
    acting.ensure_visible(tx, Area::Measurements).await?;
    let (from, to, days) = range.params();
    let rows = tx
        .query(
            &format!("WITH {HEAD},{BODY_SQL_TAIL}"),
            &[&acting.owner, &from, &to, &days, &TREND_WARMUP_DAYS],
        )
        .await?;
    let (user_id, from, to) = head(&rows)?;
    let system = UnitsSystem::from_preference(rows[0].get::<_, Option<String>>("units").as_deref());
    let mut series: BTreeMap<String, Series> = BTreeMap::new();
    for r in &rows {
        let (Some(kind), Some(date), Some(value)) = (
            r.get::<_, Option<String>>("type"),
            r.get::<_, Option<NaiveDate>>("entry_date"),
            r.get::<_, Option<Decimal>>("value"),
        ) else {
            continue;
        };
        let dimension = r
            .get::<_, Option<String>>("dimension")
            .and_then(|d| Dimension::parse(&d).ok());
        let entry = series.entry(kind).or_insert((dimension, Vec::new()));
        entry.1.push((date, value));
    }
    let show = |v: Decimal, dim: Option<Dimension>| -> (Decimal, String) {
        match dim.and_then(|d| measure::to_display(v, d, system).ok()) {
            Some((v, unit)) => (v, unit.as_str().to_string()),
            None => (round_dp(v, 2).normalize(), String::new()),
        }
    };
    let mass = Dimension::Mass;
    let weight_unit = mass.display_unit(system).as_str().to_string();
    let mut weight = WeightReport {
        unit: weight_unit,
        points: Vec::new(),
        weekly_rate: None,
        trend_change: None,
    };
    if let Some((dim, points)) = series.remove("weight") {
        let dim = dim.unwrap_or(mass);
        let smoothed = trend::ewma(&points, trend::DEFAULT_ALPHA);
        let in_range: Vec<(NaiveDate, Decimal, Decimal)> = points
            .iter()
            .zip(&smoothed)
            .filter(|((d, _), _)| *d >= from)
            .map(|((d, v), (_, t))| (*d, *v, *t))
            .collect();
        let trend_kg: Vec<(NaiveDate, Decimal)> =
            in_range.iter().map(|(d, _, t)| (*d, *t)).collect();
        let to_unit =
            |kg: Decimal| measure::from_canonical(kg, dim.display_unit(system)).unwrap_or(kg);
        weight.weekly_rate = trend::weekly_rate(&trend_kg).map(|r| amount(to_unit(r), 2));
        if let (Some(a), Some(z)) = (trend_kg.first(), trend_kg.last()) {
            weight.trend_change = Some(amount(to_unit(z.1 - a.1), 2));
        }
        weight.points = in_range
            .into_iter()
            .map(|(date, v, t)| WeightPoint {
                date,
                value: Amount(show(v, Some(dim)).0),
                trend: Amount(show(t, Some(dim)).0),
            })
            .collect();
    }
    let measurements = series
        .into_iter()
        .map(|(kind, (dim, points))| {
            let unit = points.first().map(|p| show(p.1, dim).1).unwrap_or_default();
            let change = match (points.first(), points.last()) {
                (Some(a), Some(z)) if points.len() > 1 => {
                    Some(Amount(show(z.1, dim).0 - show(a.1, dim).0))
                }
                _ => None,
            };
            MeasurementSeries {
                kind,
                unit,
                points: points
                    .iter()
                    .map(|(date, v)| MeasurementPoint {
                        date: *date,
                        value: Amount(show(*v, dim).0),
                    })
                    .collect(),
                change,
            }
        })
        .collect();
    Ok(BodyReport {
        user_id,
        from,
        to,
        units_system: system,
        weight,
        measurements,
    })
}

// ---------------------------------------------------------------------------------------------
// Exercise
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExerciseDay {
    pub date: NaiveDate,
    /// Exercise diary entries that day.
    pub sessions: i64,
    /// kcal (entries without an estimate count as 0).
    #[schema(value_type = f64)]
    pub calories_burned: Amount,
    pub duration_minutes: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MuscleVolume {
    /// A muscle group of the exercise (`other` when the exercise names none or is gone).
    pub muscle_group: String,
    /// Σ reps × weight of the sets, in `weight_unit`, 2 places. A set counts fully for each
    /// muscle group its exercise works.
    #[schema(value_type = f64)]
    pub volume: Amount,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExerciseWeek {
    /// The week's first day (Monday unless the owner's `week_start` says otherwise; may be
    /// before `from`).
    pub week_start: NaiveDate,
    pub sessions: i64,
    #[schema(value_type = f64)]
    pub calories_burned: Amount,
    pub duration_minutes: i64,
    /// Largest first.
    pub volume: Vec<MuscleVolume>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordEvent {
    /// The day a record was set (beating every earlier session of the exercise, before the
    /// range too; an exercise's first session sets its first records).
    pub date: NaiveDate,
    /// Null when the exercise was deleted since.
    pub exercise_id: Option<Uuid>,
    pub exercise_name: String,
    /// `one_rep_max` (Epley estimate of the day's best set) or `heaviest_weight`.
    pub kind: &'static str,
    /// The record, in `weight_unit`, 2 places.
    #[schema(value_type = f64)]
    pub value: Amount,
    /// The set's weight and reps.
    #[schema(value_type = f64)]
    pub weight: Amount,
    pub reps: i32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExerciseReport {
    pub user_id: Uuid,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub weight_unit: WeightUnit,
    pub sessions: i64,
    /// Days with at least one session.
    pub active_days: i64,
    #[schema(value_type = f64)]
    pub calories_burned: Amount,
    pub duration_minutes: i64,
    /// Total volume per muscle group over the range, largest first.
    pub volume: Vec<MuscleVolume>,
    /// Days with a session, oldest first.
    #[schema(max_items = 366)]
    pub days: Vec<ExerciseDay>,
    /// Every week of the range, oldest first.
    #[schema(max_items = 54)]
    pub weeks: Vec<ExerciseWeek>,
    /// Records set in the range, oldest first.
    pub records: Vec<RecordEvent>,
}

const EXERCISE_SQL_TAIL: &str = "
     e AS (SELECT d.id, d.entry_date, d.exercise_id, d.calories_burned, d.duration_minutes
           FROM exercise_diary d
           WHERE d.user_id = (SELECT id FROM who)
             AND d.entry_date BETWEEN (SELECT f FROM b) AND (SELECT t FROM b)),
     per_day AS (SELECT entry_date, count(*) AS n, sum(calories_burned) AS kcal,
                        sum(duration_minutes)::numeric AS mins
                 FROM e GROUP BY entry_date),
     hist AS (SELECT d.entry_date, coalesce(d.exercise_id::text, 'name:' || d.exercise_name) AS ex_key,
                     d.exercise_id, d.exercise_name, s.reps, s.weight_kg,
                     round(CASE WHEN s.reps = 1 THEN s.weight_kg
                                ELSE s.weight_kg * (s.reps + 30) / 30 END, 6) AS e1rm
              FROM exercise_diary d JOIN exercise_sets s ON s.exercise_diary_id = d.id
              WHERE d.user_id = (SELECT id FROM who) AND d.entry_date <= (SELECT t FROM b)
                AND s.reps > 0 AND s.weight_kg > 0),
     vol AS (SELECT w.wk, coalesce(mg, 'other') AS mg, sum(w.v) AS v
             FROM (SELECT entry_date - (extract(isodow FROM entry_date)::int - (SELECT isodow FROM ws) + 7) % 7 AS wk,
                          exercise_id, sum(reps * weight_kg) AS v
                   FROM hist WHERE entry_date >= (SELECT f FROM b)
                   GROUP BY 1, 2) w
             LEFT JOIN exercises x ON x.id = w.exercise_id
             LEFT JOIN LATERAL unnest(x.muscle_groups) AS mg ON true
             GROUP BY 1, 2),
     best AS (SELECT DISTINCT ON (ex_key, entry_date) * FROM hist
              ORDER BY ex_key, entry_date, e1rm DESC, weight_kg DESC),
     heavy AS (SELECT DISTINCT ON (ex_key, entry_date) * FROM hist
               ORDER BY ex_key, entry_date, weight_kg DESC, reps DESC),
     pr1 AS (SELECT *, max(e1rm) OVER (PARTITION BY ex_key ORDER BY entry_date
                                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev
             FROM best),
     pr2 AS (SELECT *, max(weight_kg) OVER (PARTITION BY ex_key ORDER BY entry_date
                                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev
             FROM heavy)
     SELECT 'h' AS kind, b.f AS day, b.t AS day2, (SELECT id FROM who) AS uid,
            (SELECT units FROM pref) AS name, NULL::numeric AS a, NULL::numeric AS c,
            NULL::bigint AS n, (SELECT isodow FROM ws)::integer AS reps
     FROM b
     UNION ALL
     SELECT 'd', entry_date, NULL, NULL, NULL, kcal, mins, n, NULL FROM per_day
     UNION ALL
     SELECT 'v', wk, NULL, NULL, mg, v, NULL, NULL, NULL FROM vol
     UNION ALL
     SELECT 'r', entry_date, NULL, exercise_id, exercise_name, e1rm, weight_kg, NULL, reps FROM pr1
     WHERE entry_date >= (SELECT f FROM b) AND (prev IS NULL OR e1rm > prev)
     UNION ALL
     SELECT 'w', entry_date, NULL, exercise_id, exercise_name, weight_kg, weight_kg, NULL, reps FROM pr2
     WHERE entry_date >= (SELECT f FROM b) AND (prev IS NULL OR weight_kg > prev)";

/// The exercise report (one statement).
pub async fn exercise(
    tx: &mut UserTx,
    acting: Acting,
    range: ReportRange,
) -> AppResult<ExerciseReport> {
    acting.ensure_visible(tx, Area::Diary).await?;
    let (from, to, days) = range.params();
    let rows = tx
        .query(
            &format!("WITH {HEAD},{EXERCISE_SQL_TAIL}"),
            &[&acting.owner, &from, &to, &days],
        )
        .await?;
    let header = rows
        .iter()
        .find(|r| r.get::<_, &str>("kind") == "h")
        .ok_or_else(|| AppError::internal("exercise report: no header row"))?;
    let (from, to): (NaiveDate, NaiveDate) = (header.get("day"), header.get("day2"));
    let user_id: Uuid = header.get("uid");
    let system = UnitsSystem::from_preference(header.get::<_, Option<String>>("name").as_deref());
    let wu = WeightUnit::of(system);
    let kg = |v: Decimal| amount(wu.from_kg(v), 2);
    // The header row carries the owner's first day of the week in `reps`.
    let first_day =
        calc::weekday_from_iso(header.get::<_, Option<i32>>("reps").unwrap_or(1).into());

    let mut weeks: Vec<ExerciseWeek> = Vec::new();
    let mut week = calc::week_start_on(from, first_day);
    while week <= to {
        weeks.push(ExerciseWeek {
            week_start: week,
            sessions: 0,
            calories_burned: Amount::ZERO,
            duration_minutes: 0,
            volume: Vec::new(),
        });
        week += Duration::days(7);
    }
    let week_of = |weeks: &[ExerciseWeek], d: NaiveDate| -> Option<usize> {
        let start = calc::week_start_on(d, first_day);
        weeks.iter().position(|w| w.week_start == start)
    };
    let mut out_days = Vec::new();
    let mut totals: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut week_volume: Vec<BTreeMap<String, Decimal>> = vec![BTreeMap::new(); weeks.len()];
    let mut records = Vec::new();
    for r in &rows {
        let day: NaiveDate = r.get("day");
        let a = r.get::<_, Option<Decimal>>("a");
        match r.get::<_, &str>("kind") {
            "d" => {
                let kcal = a.unwrap_or_default();
                let mins = r.get::<_, Option<Decimal>>("c").unwrap_or_default();
                let mins = i64::try_from(mins.trunc()).unwrap_or(0);
                let n: i64 = r.get("n");
                if let Some(i) = week_of(&weeks, day) {
                    let w = &mut weeks[i];
                    w.sessions += n;
                    w.calories_burned = Amount(w.calories_burned.0 + kcal);
                    w.duration_minutes += mins;
                }
                out_days.push(ExerciseDay {
                    date: day,
                    sessions: n,
                    calories_burned: amount(kcal, 2),
                    duration_minutes: mins,
                });
            }
            "v" => {
                let mg: String = r.get("name");
                let v = a.unwrap_or_default();
                *totals.entry(mg.clone()).or_default() += v;
                if let Some(i) = week_of(&weeks, day) {
                    *week_volume[i].entry(mg).or_default() += v;
                }
            }
            kind @ ("r" | "w") => {
                records.push(RecordEvent {
                    date: day,
                    exercise_id: r.get("uid"),
                    exercise_name: r.get("name"),
                    kind: if kind == "r" {
                        "one_rep_max"
                    } else {
                        "heaviest_weight"
                    },
                    value: kg(a.unwrap_or_default()),
                    weight: kg(r.get::<_, Option<Decimal>>("c").unwrap_or_default()),
                    reps: r.get::<_, Option<i32>>("reps").unwrap_or(0),
                });
            }
            _ => {}
        }
    }
    let sorted = |m: &BTreeMap<String, Decimal>| -> Vec<MuscleVolume> {
        let mut v: Vec<MuscleVolume> = m
            .iter()
            .map(|(g, v)| MuscleVolume {
                muscle_group: g.clone(),
                volume: kg(*v),
            })
            .collect();
        v.sort_by(|a, b| {
            b.volume
                .cmp(&a.volume)
                .then(a.muscle_group.cmp(&b.muscle_group))
        });
        v
    };
    for (w, m) in weeks.iter_mut().zip(&week_volume) {
        w.volume = sorted(m);
        w.calories_burned = amount(w.calories_burned.0, 2);
    }
    out_days.sort_by_key(|d| d.date);
    records.sort_by(|a, b| {
        (a.date, &a.exercise_name, a.kind).cmp(&(b.date, &b.exercise_name, b.kind))
    });
    Ok(ExerciseReport {
        user_id,
        from,
        to,
        weight_unit: wu,
        sessions: out_days.iter().map(|d| d.sessions).sum(),
        active_days: out_days.len() as i64,
        calories_burned: amount(out_days.iter().map(|d| d.calories_burned.0).sum(), 2),
        duration_minutes: out_days.iter().map(|d| d.duration_minutes).sum(),
        volume: sorted(&totals),
        days: out_days,
        weeks,
        records,
    })
}

// ---------------------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------------------

/// One CSV field: quoted when it holds a comma, quote or line break; a leading `=`, `+`,
/// `-` or `@` of text (not numbers) is escaped with `'` so a spreadsheet does not run it.
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn opt(v: Option<Amount>) -> String {
    v.map(|a| a.0.normalize().to_string()).unwrap_or_default()
}

fn line(out: &mut String, cells: &[String]) {
    let cells: Vec<String> = cells.iter().map(|c| field(c)).collect();
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

/// A report as CSV (RFC 4180: header row, CRLF line ends), ISO dates, the owner's units in
/// the headers or a `unit` column; a missing value is an empty cell.
pub trait ToCsv {
    fn to_csv(&self) -> String;
    /// `nutrition`, `body` or `exercise`: the file name's stem.
    fn name(&self) -> &'static str;
    fn bounds(&self) -> (NaiveDate, NaiveDate);
}

/// The report as CSV.
pub fn to_csv(r: &impl ToCsv) -> String {
    r.to_csv()
}

impl ToCsv for NutritionReport {
    fn name(&self) -> &'static str {
        "nutrition"
    }
    fn bounds(&self) -> (NaiveDate, NaiveDate) {
        (self.from, self.to)
    }
    /// One row per day: `date`, `logged`, `calorie_target_kcal`, `burned_kcal`, then every
    /// nutrient with its unit (`calories_kcal`, `protein_g`, …, `vitamin_a_µg`).
    fn to_csv(&self) -> String {
        let mut out = String::with_capacity(64 + self.days.len() * 96);
        let mut header: Vec<String> = vec![
            "date".into(),
            "logged".into(),
            "calorie_target_kcal".into(),
            "burned_kcal".into(),
        ];
        header.extend(
            Nutrients::NAMES
                .iter()
                .map(|n| format!("{n}_{}", calc::nutrient_unit(n))),
        );
        line(&mut out, &header);
        for d in &self.days {
            let mut row = vec![
                d.date.to_string(),
                d.eaten.is_some().to_string(),
                opt(d.calorie_target),
                opt(d.burned),
            ];
            row.extend(Nutrients::NAMES.iter().map(|n| {
                d.eaten
                    .as_ref()
                    .and_then(|e| e.get(n))
                    .map(|v| v.normalize().to_string())
                    .unwrap_or_default()
            }));
            line(&mut out, &row);
        }
        out
    }
}

impl ToCsv for BodyReport {
    fn name(&self) -> &'static str {
        "body"
    }
    fn bounds(&self) -> (NaiveDate, NaiveDate) {
        (self.from, self.to)
    }
    /// One row per type and day: `date,type,value,unit,trend` (trend for weight only).
    fn to_csv(&self) -> String {
        let mut out = String::new();
        line(
            &mut out,
            &["date", "type", "value", "unit", "trend"].map(String::from),
        );
        for p in &self.weight.points {
            line(
                &mut out,
                &[
                    p.date.to_string(),
                    "weight".into(),
                    opt(Some(p.value)),
                    self.weight.unit.clone(),
                    opt(Some(p.trend)),
                ],
            );
        }
        for s in &self.measurements {
            for p in &s.points {
                line(
                    &mut out,
                    &[
                        p.date.to_string(),
                        s.kind.clone(),
                        opt(Some(p.value)),
                        s.unit.clone(),
                        String::new(),
                    ],
                );
            }
        }
        out
    }
}

impl ToCsv for ExerciseReport {
    fn name(&self) -> &'static str {
        "exercise"
    }
    fn bounds(&self) -> (NaiveDate, NaiveDate) {
        (self.from, self.to)
    }
    /// Long form, one value a row: `date,metric,subject,value,unit`. Metrics: `sessions`,
    /// `calories_burned`, `duration` (per day), `volume` (per week and muscle group, dated by
    /// the week's first day), `one_rep_max` and `heaviest_weight` records (per exercise).
    fn to_csv(&self) -> String {
        let mut out = String::new();
        let wu = self.weight_unit.as_str().to_string();
        line(
            &mut out,
            &["date", "metric", "subject", "value", "unit"].map(String::from),
        );
        for d in &self.days {
            let date = d.date.to_string();
            line(
                &mut out,
                &[
                    date.clone(),
                    "sessions".into(),
                    String::new(),
                    d.sessions.to_string(),
                    "count".into(),
                ],
            );
            line(
                &mut out,
                &[
                    date.clone(),
                    "calories_burned".into(),
                    String::new(),
                    opt(Some(d.calories_burned)),
                    "kcal".into(),
                ],
            );
            line(
                &mut out,
                &[
                    date,
                    "duration".into(),
                    String::new(),
                    d.duration_minutes.to_string(),
                    "min".into(),
                ],
            );
        }
        for w in &self.weeks {
            for v in &w.volume {
                line(
                    &mut out,
                    &[
                        w.week_start.to_string(),
                        "volume".into(),
                        v.muscle_group.clone(),
                        opt(Some(v.volume)),
                        wu.clone(),
                    ],
                );
            }
        }
        for r in &self.records {
            line(
                &mut out,
                &[
                    r.date.to_string(),
                    r.kind.into(),
                    r.exercise_name.clone(),
                    opt(Some(r.value)),
                    wu.clone(),
                ],
            );
        }
        out
    }
}

/// `sparky-nutrition-2026-01-01-2026-12-31.csv`.
pub fn csv_file_name(r: &impl ToCsv) -> String {
    let (f, t) = r.bounds();
    format!("sparky-{}-{f}-{t}.csv", r.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_presets_or_bounded_spans() {
        assert_eq!(
            ReportRange::parse(None, None, None).unwrap(),
            ReportRange::Last(30)
        );
        assert_eq!(
            ReportRange::parse(Some(365), None, None).unwrap(),
            ReportRange::Last(365)
        );
        assert!(ReportRange::parse(Some(0), None, None).is_err());
        assert!(ReportRange::parse(Some(367), None, None).is_err());
        let d = |s: &str| Date::parse(s).unwrap();
        assert!(ReportRange::parse(None, Some(d("2026-01-01")), Some(d("2027-01-01"))).is_ok());
        assert!(ReportRange::parse(None, Some(d("2026-01-01")), Some(d("2027-01-02"))).is_err());
        assert!(ReportRange::parse(None, Some(d("2026-01-02")), Some(d("2026-01-01"))).is_err());
        assert!(ReportRange::parse(None, Some(d("2026-01-02")), None).is_err());
        assert!(ReportRange::parse(Some(7), Some(d("2026-01-02")), Some(d("2026-01-03"))).is_err());
    }

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(field("Bench, incline"), "\"Bench, incline\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=cmd()"), "'=cmd()");
        assert_eq!(field("-0.7"), "-0.7");
    }
}
