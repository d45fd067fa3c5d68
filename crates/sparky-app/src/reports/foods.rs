//! The foods report: the foods that gave the most of a nutrient (calories by default) over a
//! range, with how often each was logged and its share of the range's total. A food is one
//! food item whatever it was called when logged; a quick add (no food item) is its name in any
//! case. Read from the diary entries themselves (not the day totals), so it is its own report
//! rather than part of the nutrition one, which stays on the trigger-kept totals.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sparky_core::report as calc;
use sparky_core::Amount;
use sparky_db::UserTx;
use tokio_postgres::Row;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::acting::{Acting, Area};
use crate::error::{AppError, AppResult};

use super::{amount, head, line, opt, pct, ReportRange, ToCsv, HEAD};

/// Foods a foods report lists by default, and at most.
pub const DEFAULT_TOP_FOODS: i64 = 10;
pub const MAX_TOP_FOODS: i64 = 50;

/// The nutrient foods are ranked by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RankBy {
    #[default]
    Calories,
    Protein,
    Carbohydrates,
    Fat,
    Fiber,
    Sugar,
    Sodium,
    SaturatedFat,
    TransFat,
    Cholesterol,
    Potassium,
    Calcium,
    Iron,
    VitaminA,
    VitaminC,
}

impl RankBy {
    pub const ALL: [RankBy; 15] = [
        RankBy::Calories,
        RankBy::Protein,
        RankBy::Carbohydrates,
        RankBy::Fat,
        RankBy::Fiber,
        RankBy::Sugar,
        RankBy::Sodium,
        RankBy::SaturatedFat,
        RankBy::TransFat,
        RankBy::Cholesterol,
        RankBy::Potassium,
        RankBy::Calcium,
        RankBy::Iron,
        RankBy::VitaminA,
        RankBy::VitaminC,
    ];

    /// Its column in `food_diary` and `diary_day_totals` (also its name in `Nutrients`).
    pub fn column(self) -> &'static str {
        match self {
            RankBy::Calories => "calories",
            RankBy::Protein => "protein",
            RankBy::Carbohydrates => "carbohydrates",
            RankBy::Fat => "fat",
            RankBy::Fiber => "fiber",
            RankBy::Sugar => "sugar",
            RankBy::Sodium => "sodium",
            RankBy::SaturatedFat => "saturated_fat",
            RankBy::TransFat => "trans_fat",
            RankBy::Cholesterol => "cholesterol",
            RankBy::Potassium => "potassium",
            RankBy::Calcium => "calcium",
            RankBy::Iron => "iron",
            RankBy::VitaminA => "vitamin_a",
            RankBy::VitaminC => "vitamin_c",
        }
    }
}

/// One of the foods that gave the most of the nutrient.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TopFood {
    /// The food's name as last logged in the range (a quick add's own name).
    pub name: String,
    pub brand: Option<String>,
    /// The food (null for quick adds and foods since deleted).
    pub food_item_id: Option<Uuid>,
    /// Times it was logged in the range.
    pub entries: u32,
    /// How much of the nutrient it gave over the range, in `unit`.
    #[schema(value_type = f64)]
    pub amount: Amount,
    /// Its share of all of the nutrient eaten in the range, percent, 1 place.
    #[schema(value_type = Option<f64>)]
    pub percent: Option<Amount>,
    /// kcal and g of protein, carbohydrates and fat from it over the range (null when none of
    /// its entries knows them).
    #[schema(value_type = Option<f64>)]
    pub calories: Option<Amount>,
    #[schema(value_type = Option<f64>)]
    pub protein: Option<Amount>,
    #[schema(value_type = Option<f64>)]
    pub carbohydrates: Option<Amount>,
    #[schema(value_type = Option<f64>)]
    pub fat: Option<Amount>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FoodsReport {
    pub user_id: Uuid,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The nutrient the foods are ranked by.
    pub by: RankBy,
    /// Its unit: kcal, g, mg or µg.
    pub unit: &'static str,
    /// All of it eaten in the range (null when no entry knows it).
    #[schema(value_type = Option<f64>)]
    pub total: Option<Amount>,
    /// Most first; foods that gave none of it are left out.
    #[schema(max_items = 50)]
    pub foods: Vec<TopFood>,
}

/// `{by}` is a column from [`RankBy::column`], never user text.
fn sql(by: &str) -> String {
    format!(
        "WITH {HEAD},
     e AS (SELECT food_item_id, food_name, brand, created_at, consumed_at, id, {by} AS amount,
                  calories, protein, carbohydrates, fat,
                  -- A quick add is its name in any case (byte order: a cheap sort).
                  CASE WHEN food_item_id IS NULL THEN lower(food_name) COLLATE \"C\" END AS quick
           FROM food_diary
           WHERE user_id = (SELECT id FROM who)
             AND entry_date BETWEEN (SELECT f FROM b) AND (SELECT t FROM b)),
     ranked AS (SELECT food_item_id, quick, count(*)::integer AS entries, sum(amount) AS amount,
                       sum(calories) AS calories, sum(protein) AS protein,
                       sum(carbohydrates) AS carbohydrates, sum(fat) AS fat
                FROM e GROUP BY food_item_id, quick
                HAVING sum(amount) > 0
                ORDER BY sum(amount) DESC, count(*) DESC, food_item_id, quick
                LIMIT $5)
     SELECT (SELECT id FROM who) AS uid, b.f, b.t,
            (SELECT sum({by}) FROM diary_day_totals
             WHERE user_id = (SELECT id FROM who)
               AND entry_date BETWEEN (SELECT f FROM b) AND (SELECT t FROM b)) AS total,
            r.entries, r.amount, r.calories, r.protein, r.carbohydrates, r.fat,
            r.food_item_id, last.food_name, last.brand
     FROM b
     LEFT JOIN ranked r ON true
     -- Each food's name as last logged (one sort of the range's entries; entries written
     -- together, as by an import, go by the time eaten, then by name).
     LEFT JOIN (SELECT DISTINCT ON (food_item_id, quick) food_item_id, quick, food_name, brand
                FROM e
                ORDER BY food_item_id, quick, created_at DESC, consumed_at DESC,
                         food_name COLLATE \"C\" DESC, id DESC) last
       ON last.food_item_id IS NOT DISTINCT FROM r.food_item_id
      AND last.quick IS NOT DISTINCT FROM r.quick
     ORDER BY r.amount DESC NULLS LAST, r.entries DESC"
    )
}

/// The foods report (one statement): at most `limit` (1–50) foods.
pub async fn foods(
    tx: &mut UserTx,
    acting: Acting,
    range: ReportRange,
    by: RankBy,
    limit: Option<i64>,
) -> AppResult<FoodsReport> {
    let limit = limit.unwrap_or(DEFAULT_TOP_FOODS);
    if !(1..=MAX_TOP_FOODS).contains(&limit) {
        return Err(AppError::invalid(
            "limit",
            format!("must be between 1 and {MAX_TOP_FOODS}"),
        ));
    }
    acting.ensure_visible(tx, Area::Diary).await?;
    let (from, to, days) = range.params();
    let rows = tx
        .query(
            &sql(by.column()),
            &[&acting.owner, &from, &to, &days, &limit],
        )
        .await?;
    let (user_id, from, to) = head(&rows)?;
    let total: Option<Decimal> = rows[0].get("total");
    let foods = rows.iter().filter_map(|r| top_food(r, total)).collect();
    Ok(FoodsReport {
        user_id,
        from,
        to,
        by,
        unit: calc::nutrient_unit(by.column()),
        total: total.map(|t| amount(t, 2)),
        foods,
    })
}

/// A listed food, or `None` for the row of a range without any.
fn top_food(r: &Row, total: Option<Decimal>) -> Option<TopFood> {
    let given: Decimal = r.get::<_, Option<Decimal>>("amount")?;
    let sum = |c: &str| r.get::<_, Option<Decimal>>(c).map(|v| amount(v, 2));
    Some(TopFood {
        name: r.get::<_, Option<String>>("food_name").unwrap_or_default(),
        brand: r.get("brand"),
        food_item_id: r.get("food_item_id"),
        entries: r.get::<_, i32>("entries").max(0) as u32,
        amount: amount(given, 2),
        percent: total.filter(|t| *t > Decimal::ZERO).map(|t| pct(given / t)),
        calories: sum("calories"),
        protein: sum("protein"),
        carbohydrates: sum("carbohydrates"),
        fat: sum("fat"),
    })
}

impl ToCsv for FoodsReport {
    fn name(&self) -> &'static str {
        "foods"
    }
    fn bounds(&self) -> (NaiveDate, NaiveDate) {
        (self.from, self.to)
    }
    /// One row per food, most first: `rank`, `food`, `brand`, `entries`, the ranked nutrient
    /// with its unit (`protein_g`), `percent`, then those of `calories_kcal`, `protein_g`,
    /// `carbohydrates_g` and `fat_g` that are not the ranked one.
    fn to_csv(&self) -> String {
        const MACROS: [(&str, &str); 4] = [
            ("calories", "kcal"),
            ("protein", "g"),
            ("carbohydrates", "g"),
            ("fat", "g"),
        ];
        let by = self.by.column();
        let others: Vec<(&str, &str)> = MACROS.into_iter().filter(|(n, _)| *n != by).collect();
        let mut out = String::with_capacity(128 + self.foods.len() * 96);
        let mut header: Vec<String> = vec![
            "rank".into(),
            "food".into(),
            "brand".into(),
            "entries".into(),
            format!("{by}_{}", self.unit),
            "percent".into(),
        ];
        header.extend(others.iter().map(|(n, u)| format!("{n}_{u}")));
        line(&mut out, &header);
        for (i, f) in self.foods.iter().enumerate() {
            let mut row = vec![
                (i + 1).to_string(),
                f.name.clone(),
                f.brand.clone().unwrap_or_default(),
                f.entries.to_string(),
                opt(Some(f.amount)),
                opt(f.percent),
            ];
            row.extend(others.iter().map(|(n, _)| {
                opt(match *n {
                    "calories" => f.calories,
                    "protein" => f.protein,
                    "carbohydrates" => f.carbohydrates,
                    _ => f.fat,
                })
            }));
            line(&mut out, &row);
        }
        out
    }
}
