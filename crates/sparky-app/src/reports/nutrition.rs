//! The nutrition report.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use sparky_core::nutrition::Nutrients;
use sparky_core::report::{self as calc, Bound};
use sparky_core::Amount;
use sparky_db::UserTx;
use tokio_postgres::Row;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::acting::{Acting, Area};
use crate::error::AppResult;
use crate::goals::history::{history_json_sql, TargetHistory};

use super::{amount, days_between, head, line, opt, pct, ReportRange, ToCsv, HEAD};

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
    /// The sum of the calorie targets of the days with food logged (as Today's week budget
    /// counts them); null without a target or without a logged day.
    #[schema(value_type = Option<f64>)]
    pub budget: Option<Amount>,
    /// The share of the logged days' exercise kcal that counts (`exercise_eat_back_percent`),
    /// which widens the budget as on Today: what is left is budget − calories + this.
    #[schema(value_type = f64)]
    pub burned_counted: Amount,
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
    /// Logged days at or under their day's target plus the share of that day's exercise
    /// that counts (`exercise_eat_back_percent`): the days Today showed calories left.
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
    /// Logged days that know the nutrient (the others are left out of the average and the
    /// share below).
    pub days_known: u32,
    /// Of `days_known`, those that say whether the target was met: a day some of whose
    /// entries do not give the nutrient knows only a lower bound, which says so when it
    /// reaches a floor or passes a limit, and is left out otherwise. Null without a target.
    pub days_decided: Option<u32>,
    /// Days that met the target (of `days_decided`).
    pub days_met: Option<u32>,
    /// `days_met` as a percentage of `days_decided`, 1 place; null when no day decides it.
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
    /// The owner's custom nutrients, by name.
    pub custom_nutrients: Vec<crate::custom_nutrients::CustomNutrientRow>,
    /// One per day, `from` to `to` (at most 366).
    #[schema(max_items = 366)]
    pub days: Vec<NutritionDay>,
}

const NUTRITION_SQL_TAIL: &str = "
     g AS (SELECT type, target_value, weekday_targets FROM goals
           WHERE user_id = (SELECT id FROM who) AND status = 'active'
             AND type IN ('calorie_target', 'protein_target', 'carbs_target', 'fat_target')),
     -- The calorie target as it changed, oldest first (see goal_target_history).
     d AS (SELECT * FROM diary_day_totals
           WHERE user_id = (SELECT id FROM who)
             AND entry_date BETWEEN (SELECT f FROM b) AND (SELECT t FROM b)),
     -- Per day, the entries that do not give a nutrient with a reference intake: the day's
     -- total of it is then a lower bound.
     u AS (SELECT entry_date,
                  count(*) FILTER (WHERE fiber IS NULL)::integer AS fiber_unknown,
                  count(*) FILTER (WHERE sodium IS NULL)::integer AS sodium_unknown,
                  count(*) FILTER (WHERE saturated_fat IS NULL)::integer AS saturated_fat_unknown,
                  count(*) FILTER (WHERE cholesterol IS NULL)::integer AS cholesterol_unknown,
                  count(*) FILTER (WHERE potassium IS NULL)::integer AS potassium_unknown,
                  count(*) FILTER (WHERE calcium IS NULL)::integer AS calcium_unknown,
                  count(*) FILTER (WHERE iron IS NULL)::integer AS iron_unknown,
                  count(*) FILTER (WHERE vitamin_a IS NULL)::integer AS vitamin_a_unknown,
                  count(*) FILTER (WHERE vitamin_c IS NULL)::integer AS vitamin_c_unknown
           FROM food_diary
           WHERE user_id = (SELECT id FROM who)
             AND entry_date BETWEEN (SELECT f FROM b) AND (SELECT t FROM b)
             AND (fiber IS NULL OR sodium IS NULL OR saturated_fat IS NULL OR cholesterol IS NULL
                  OR potassium IS NULL OR calcium IS NULL OR iron IS NULL OR vitamin_a IS NULL
                  OR vitamin_c IS NULL)
           GROUP BY entry_date)
     SELECT (SELECT id FROM who) AS uid, b.f, b.t,
            (SELECT target_value FROM g WHERE type = 'calorie_target') AS calorie_target,
            (SELECT weekday_targets FROM g WHERE type = 'calorie_target') AS calorie_weekdays,
            -- The calorie target as it changed (see goal_target_history).
            ({history}) AS calorie_history,
            (SELECT isodow FROM ws)::integer AS week_isodow,
            (SELECT p.exercise_eat_back_percent FROM user_preferences p
             WHERE p.user_id = (SELECT id FROM who) LIMIT 1)::numeric AS eat_back,
            (SELECT target_value FROM g WHERE type = 'protein_target') AS protein_target,
            (SELECT target_value FROM g WHERE type = 'carbs_target') AS carbs_target,
            (SELECT target_value FROM g WHERE type = 'fat_target') AS fat_target,
            d.entry_date, d.entries, d.burned,
            d.calories, d.protein, d.carbohydrates, d.fat, d.fiber, d.sugar, d.sodium,
            d.saturated_fat, d.trans_fat, d.cholesterol, d.potassium, d.calcium, d.iron,
            d.vitamin_a, d.vitamin_c,
            u.fiber_unknown, u.sodium_unknown, u.saturated_fat_unknown, u.cholesterol_unknown,
            u.potassium_unknown, u.calcium_unknown, u.iron_unknown, u.vitamin_a_unknown,
            u.vitamin_c_unknown
     FROM b LEFT JOIN d ON true LEFT JOIN u ON u.entry_date = d.entry_date
     ORDER BY d.entry_date";

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
            &format!(
                "WITH {HEAD},{}",
                NUTRITION_SQL_TAIL.replace(
                    "{history}",
                    &history_json_sql("(SELECT id FROM who)", "'calorie_target'")
                )
            ),
            &[&acting.owner, &from, &to, &days],
        )
        .await?;
    let (user_id, from, to) = head(&rows)?;
    let first = &rows[0];
    let target = |c: &str| first.get::<_, Option<Decimal>>(c);
    let calorie_target = target("calorie_target");
    let calorie_weekdays: Option<Vec<Option<Decimal>>> = first.get("calorie_weekdays");
    let first_day = calc::weekday_from_iso(first.get::<_, i32>("week_isodow").into());
    // Each day by the target it had (today's without any recorded change).
    let history = TargetHistory::new(
        first.get("calorie_history"),
        calorie_target,
        calorie_weekdays.clone(),
    );
    let calorie_target_on = |d: NaiveDate| history.on(d);

    let mut by_day: BTreeMap<NaiveDate, &Row> = BTreeMap::new();
    for r in &rows {
        if let Some(d) = r.get::<_, Option<NaiveDate>>("entry_date") {
            by_day.insert(d, r);
        }
    }
    let mut out_days = Vec::new();
    // Per logged day, the reference-intake nutrients some of its entries do not give.
    let mut partial_logged: Vec<Vec<&'static str>> = Vec::new();
    for date in days_between(from, to) {
        let row = by_day.get(&date);
        if let Some(r) = row.filter(|r| r.get::<_, i32>("entries") > 0) {
            partial_logged.push(
                Nutrients::NAMES
                    .iter()
                    .copied()
                    .filter(|name| calc::reference_intake(name).is_some())
                    .filter(|name| {
                        r.get::<_, Option<i32>>(format!("{name}_unknown").as_str())
                            .is_some_and(|n| n > 0)
                    })
                    .collect(),
            );
        }
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
    // A day whose entries know no calories (a supplement with fat only) is not a 0 kcal day:
    // it stays out of the calorie average, the days within target and the week's budget.
    let calories_daily: Vec<Option<Decimal>> = out_days
        .iter()
        .map(|d| d.eaten.as_ref().and_then(|n| n.calories))
        .collect();
    // The share of each day's exercise that counts against its target, as Today counts it.
    let eat_back = first
        .get::<_, Option<Decimal>>("eat_back")
        .unwrap_or(Decimal::ONE_HUNDRED)
        / Decimal::ONE_HUNDRED;
    let counted_daily: Vec<Decimal> = out_days
        .iter()
        .map(|d| d.burned.map(|b| b.decimal() * eat_back).unwrap_or_default())
        .collect();
    let weeks = calc::weekly_totals(from, &calories_daily, first_day, calorie_target_on)
        .into_iter()
        .map(|w| {
            let counted: Decimal = days_between(from, to)
                .zip(calories_daily.iter().zip(&counted_daily))
                .filter(|(d, (eaten, _))| {
                    eaten.is_some() && calc::week_start_on(*d, first_day) == w.week_start
                })
                .map(|(_, (_, c))| *c)
                .sum();
            CalorieWeek {
                week_start: w.week_start,
                days: w.days,
                logged_days: w.logged_days,
                calories: w.total.map(|v| amount(v, 2)),
                budget: w.budget.map(|v| amount(v, 2)),
                burned_counted: amount(counted, 2),
            }
        })
        .collect();
    let logged_calories: Vec<Option<Decimal>> =
        calories_daily.iter().flatten().map(|v| Some(*v)).collect();
    // Each logged day against its own target (a weekday may have one of its own).
    let days_within_target = calorie_target.map(|_| {
        days_between(from, to)
            .zip(calories_daily.iter().zip(&counted_daily))
            .filter(|(d, (eaten, counted))| {
                eaten
                    .zip(calorie_target_on(*d))
                    .is_some_and(|(e, t)| Bound::AtMost.met(e, t + *counted))
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
            // A lower bound decides only when it already reaches a floor or passes a limit.
            let decided: Vec<Option<Decimal>> = values
                .iter()
                .zip(&partial_logged)
                .map(|(v, partial)| match (v, reference) {
                    (Some(v), Some((t, bound))) if partial.contains(&name) => {
                        calc::lower_bound_decides(*v, t, bound).then_some(*v)
                    }
                    _ => *v,
                })
                .collect();
            let met = reference.map(|(t, bound)| calc::share_met(&decided, t, bound));
            NutrientRow {
                nutrient: name,
                unit: calc::nutrient_unit(name),
                average: calc::mean_of_known(&values).map(|v| amount(v, 2)),
                target: reference.map(|(t, _)| Amount(t)),
                bound: reference.map(|(_, b)| b.as_str()),
                days_known: values.iter().flatten().count() as u32,
                days_decided: reference.map(|_| decided.iter().flatten().count() as u32),
                days_met: met.map(|m| m.0),
                percent_of_days_met: met.and_then(|m| m.1).map(pct),
            }
        })
        .collect();
    let logged_dates: Vec<NaiveDate> = out_days
        .iter()
        .filter(|d| d.eaten.is_some())
        .map(|d| d.date)
        .collect();
    let custom_nutrients =
        crate::custom_nutrients::report_rows(tx, acting, from, to, &logged_dates).await?;
    Ok(NutritionReport {
        user_id,
        from,
        to,
        logged_days: logged.len() as u32,
        custom_nutrients,
        calories,
        macros,
        nutrients,
        days: out_days,
    })
}

impl ToCsv for NutritionReport {
    fn name(&self) -> &'static str {
        "nutrition"
    }
    fn bounds(&self) -> (NaiveDate, NaiveDate) {
        (self.from, self.to)
    }
    /// One row per day: `date`, `logged`, `calorie_target_kcal`, `burned_kcal`, then every
    /// nutrient with its unit (`calories_kcal`, `protein_g`, …, `vitamin_a_µg`), then each
    /// custom nutrient the owner defines the same way (`Caffeine_mg`: 0 on a logged day whose
    /// entries hold none, empty on a day not logged).
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
        header.extend(
            self.custom_nutrients
                .iter()
                .map(|c| format!("{}_{}", c.name, c.unit)),
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
            row.extend(self.custom_nutrients.iter().map(|c| {
                c.by_day
                    .get(&d.date)
                    .map(|v| v.normalize().to_string())
                    .unwrap_or_default()
            }));
            line(&mut out, &row);
        }
        out
    }
}
