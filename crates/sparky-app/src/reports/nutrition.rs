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

/// One of the foods that gave the most calories over the range.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TopFood {
    /// The food's name as last logged (quick adds by their name).
    pub name: String,
    pub brand: Option<String>,
    /// The food (null for quick adds and foods since deleted).
    pub food_item_id: Option<Uuid>,
    /// Times it was logged in the range.
    pub entries: u32,
    /// kcal from it over the range (null when none of its entries knows them).
    #[schema(value_type = Option<f64>)]
    pub calories: Option<Amount>,
    /// Its share of all kcal eaten in the range, percent, 1 place.
    #[schema(value_type = Option<f64>)]
    pub percent_of_calories: Option<Amount>,
    /// g of protein, carbohydrates and fat from it over the range.
    #[schema(value_type = Option<f64>)]
    pub protein: Option<Amount>,
    #[schema(value_type = Option<f64>)]
    pub carbohydrates: Option<Amount>,
    #[schema(value_type = Option<f64>)]
    pub fat: Option<Amount>,
}

/// How many foods `top_foods` lists.
pub const TOP_FOODS: usize = 10;

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
    /// The foods that gave the most calories, most first (at most 10; a food is the same
    /// food item, a quick add its name).
    #[schema(max_items = 10)]
    pub top_foods: Vec<TopFood>,
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
             AND entry_date BETWEEN (SELECT f FROM b) AND (SELECT t FROM b)),
     foods AS (SELECT (array_agg(e.food_name ORDER BY e.created_at DESC, e.id))[1] AS name,
                      (array_agg(e.brand ORDER BY e.created_at DESC, e.id))[1] AS brand,
                      e.food_item_id, count(*)::integer AS entries,
                      sum(e.calories) AS calories, sum(e.protein) AS protein,
                      sum(e.carbohydrates) AS carbohydrates, sum(e.fat) AS fat
               FROM food_diary e
               WHERE e.user_id = (SELECT id FROM who)
                 AND e.entry_date BETWEEN (SELECT f FROM b) AND (SELECT t FROM b)
               GROUP BY e.food_item_id, CASE WHEN e.food_item_id IS NULL THEN lower(e.food_name) END
               ORDER BY sum(e.calories) DESC NULLS LAST, count(*) DESC, 1
               LIMIT 10),
     top AS (SELECT array_agg(name ORDER BY n) AS name, array_agg(brand ORDER BY n) AS brand,
                    array_agg(food_item_id ORDER BY n) AS food_item_id,
                    array_agg(entries ORDER BY n) AS entries, array_agg(calories ORDER BY n) AS calories,
                    array_agg(protein ORDER BY n) AS protein,
                    array_agg(carbohydrates ORDER BY n) AS carbohydrates, array_agg(fat ORDER BY n) AS fat
             FROM (SELECT f.*, row_number() OVER (ORDER BY f.calories DESC NULLS LAST, f.entries DESC, f.name) AS n
                   FROM foods f) x)
     SELECT (SELECT id FROM who) AS uid, b.f, b.t,
            -- The top foods go out with the first row only.
            CASE WHEN row_number() OVER w = 1 THEN top.name END AS top_name,
            CASE WHEN row_number() OVER w = 1 THEN top.brand END AS top_brand,
            CASE WHEN row_number() OVER w = 1 THEN top.food_item_id END AS top_food_item_id,
            CASE WHEN row_number() OVER w = 1 THEN top.entries END AS top_entries,
            CASE WHEN row_number() OVER w = 1 THEN top.calories END AS top_calories,
            CASE WHEN row_number() OVER w = 1 THEN top.protein END AS top_protein,
            CASE WHEN row_number() OVER w = 1 THEN top.carbohydrates END AS top_carbohydrates,
            CASE WHEN row_number() OVER w = 1 THEN top.fat END AS top_fat,
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
     FROM b LEFT JOIN d ON true CROSS JOIN top
     WINDOW w AS (ORDER BY d.entry_date)
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
    let eaten_total: Decimal = logged_calories.iter().flatten().sum();
    let top_foods = top_foods(first, eaten_total);
    Ok(NutritionReport {
        user_id,
        from,
        to,
        logged_days: logged.len() as u32,
        calories,
        macros,
        nutrients,
        top_foods,
        days: out_days,
    })
}

/// The statement's `top_*` arrays (one element per food, most calories first).
fn top_foods(row: &Row, eaten_total: Decimal) -> Vec<TopFood> {
    let names: Vec<String> = row.get::<_, Option<_>>("top_name").unwrap_or_default();
    let brands: Vec<Option<String>> = row.get::<_, Option<_>>("top_brand").unwrap_or_default();
    let ids: Vec<Option<Uuid>> = row
        .get::<_, Option<_>>("top_food_item_id")
        .unwrap_or_default();
    let entries: Vec<i32> = row.get::<_, Option<_>>("top_entries").unwrap_or_default();
    let sums = |c: &str| -> Vec<Option<Decimal>> { row.get::<_, Option<_>>(c).unwrap_or_default() };
    let (calories, protein, carbs, fat) = (
        sums("top_calories"),
        sums("top_protein"),
        sums("top_carbohydrates"),
        sums("top_fat"),
    );
    let at = |v: &[Option<Decimal>], i: usize| v.get(i).copied().flatten();
    names
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let kcal = at(&calories, i);
            TopFood {
                name,
                brand: brands.get(i).cloned().flatten(),
                food_item_id: ids.get(i).copied().flatten(),
                entries: entries.get(i).copied().unwrap_or(0).max(0) as u32,
                calories: kcal.map(|v| amount(v, 2)),
                percent_of_calories: kcal
                    .filter(|_| eaten_total > Decimal::ZERO)
                    .map(|v| pct(v / eaten_total)),
                protein: at(&protein, i).map(|v| amount(v, 2)),
                carbohydrates: at(&carbs, i).map(|v| amount(v, 2)),
                fat: at(&fat, i).map(|v| amount(v, 2)),
            }
        })
        .collect()
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
