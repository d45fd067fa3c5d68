//! Reading an entry, a day grouped by meal, and recent foods.

use chrono::NaiveDate;
use sparky_core::nutrition::{partially_known, Nutrients};
use sparky_core::MealType;
use sparky_db::UserTx;
use uuid::Uuid;

use crate::acting::{Acting, Area, OWNER};
use crate::error::{AppError, AppResult};
use crate::reads::{Answers, Param, ReadId, Reads};

use super::*;

/// One entry by id (404 when it does not exist or is not visible).
pub async fn entry(tx: &mut UserTx, id: Uuid) -> AppResult<DiaryEntry> {
    let row = tx
        .query_opt(
            &format!(
                "SELECT {} FROM food_diary d WHERE d.id = $1",
                entry_columns()
            ),
            &[&id],
        )
        .await?
        .ok_or(AppError::NotFound("diary entry"))?;
    Ok(entry_from_row(&row))
}

/// A day of the diary, grouped by meal, with per-meal and day totals of every nutrient.
pub async fn day(tx: &mut UserTx, acting: Acting, date: NaiveDate) -> AppResult<DiaryDay> {
    day_reading(tx, acting, date, false).await
}

/// [`day`], and the end of the transaction: for your own diary the day's read goes out with
/// the commit (and with authentication when it is the first statement), one round trip.
pub async fn day_and_commit(
    mut tx: UserTx,
    acting: Acting,
    date: NaiveDate,
) -> AppResult<DiaryDay> {
    let day = day_reading(&mut tx, acting, date, true).await?;
    tx.commit().await?;
    Ok(day)
}

async fn day_reading(
    tx: &mut UserTx,
    acting: Acting,
    date: NaiveDate,
    commit: bool,
) -> AppResult<DiaryDay> {
    // Someone else's empty day needs one more statement (is it shared at all?), so only
    // your own day's read can be the last.
    if commit && acting.owner.is_none() {
        tx.commit_with_next_statement();
    }
    let rows = tx.query(&day_sql(), &[&acting.owner, &date]).await?;
    if rows.is_empty() {
        acting.ensure_visible(tx, Area::Diary).await?;
    }
    let user_id = acting.owner_id(tx).await?;
    Ok(group_day(date, user_id, rows.iter().map(entry_from_row)))
}

/// The entries of the day in `$2` of the owner in `$1`, in the order they were eaten.
fn day_sql() -> String {
    format!(
        "SELECT {} FROM food_diary d
         WHERE d.user_id = {OWNER} AND d.entry_date = $2
         ORDER BY d.consumed_at, d.created_at, d.id",
        entry_columns()
    )
}

/// [`day`]'s read, planned (see [`crate::reads`]); the caller has checked that the owner's
/// diary is visible.
pub struct DayPlan {
    date: NaiveDate,
    rows: ReadId,
}

pub fn plan_day(reads: &mut Reads, acting: Acting, date: NaiveDate) -> DayPlan {
    let params: Vec<Param> = vec![Box::new(acting.owner), Box::new(date)];
    DayPlan {
        date,
        rows: reads.add(day_sql(), params),
    }
}

impl DayPlan {
    /// The day of `owner` (whose diary it is) from the planned read's rows.
    pub fn finish(self, answers: &mut Answers, owner: Uuid) -> AppResult<DiaryDay> {
        let rows = answers.take(self.rows)?;
        Ok(group_day(self.date, owner, rows.iter().map(entry_from_row)))
    }
}

/// Groups entries into the four meals with totals.
pub fn group_day(
    date: NaiveDate,
    user_id: Uuid,
    entries: impl IntoIterator<Item = DiaryEntry>,
) -> DiaryDay {
    let mut meals: Vec<(MealType, Vec<DiaryEntry>)> =
        MealType::ALL.iter().map(|m| (*m, Vec::new())).collect();
    for entry in entries {
        let slot = meals
            .iter()
            .position(|(m, _)| m.as_str() == entry.meal_type)
            .unwrap_or(meals.len() - 1);
        meals[slot].1.push(entry);
    }
    let all: Vec<&Nutrients> = meals
        .iter()
        .flat_map(|(_, es)| es.iter().map(|e| &e.nutrients))
        .collect();
    let totals = Nutrients::sum(all.iter().copied());
    let partial = partially_known(all.iter().copied());
    let day_custom = custom_totals(meals.iter().flat_map(|(_, es)| es));
    DiaryDay {
        date,
        user_id,
        meals: meals
            .into_iter()
            .map(|(m, entries)| Meal {
                meal_type: m.as_str().to_string(),
                totals: Nutrients::sum(entries.iter().map(|e| &e.nutrients)),
                custom_totals: custom_totals(&entries),
                partial: partially_known(entries.iter().map(|e| &e.nutrients)),
                entries,
            })
            .collect(),
        custom_totals: day_custom,
        totals,
        partial,
    }
}

/// The entries' custom nutrient amounts added up by name.
fn custom_totals<'a>(
    entries: impl IntoIterator<Item = &'a DiaryEntry>,
) -> std::collections::BTreeMap<String, sparky_core::Amount> {
    let mut total = crate::custom_nutrients::Amounts::new();
    for e in entries {
        for (name, amount) in &e.custom_nutrients {
            *total.entry(name.clone()).or_default() += amount.decimal();
        }
    }
    crate::custom_nutrients::shown(&total)
}

/// Foods logged in the last 90 days (whatever day they were for) that the caller may log
/// again, most recent first, with the last amount used.
pub async fn recent(tx: &mut UserTx, acting: Acting, limit: i64) -> AppResult<Vec<RecentFood>> {
    if !(1..=100).contains(&limit) {
        return Err(AppError::invalid("limit", "must be between 1 and 100"));
    }
    let rows = tx
        .query(
            &format!(
                "SELECT * FROM (
                     SELECT DISTINCT ON (food_item_id) food_item_id, nutrition_data_id, food_name, brand,
                            quantity, unit, meal_type, created_at, calories,
                            count(*) OVER (PARTITION BY food_item_id) AS times
                     FROM food_diary
                     WHERE user_id = {OWNER} AND food_item_id IS NOT NULL
                       AND created_at > now() - interval '90 days'
                       -- Only foods the caller may log again (RLS on food_items): not a
                       -- family member's own food that they logged into this diary.
                       AND EXISTS (SELECT 1 FROM food_items f WHERE f.id = food_item_id)
                     ORDER BY food_item_id, created_at DESC
                 ) r ORDER BY created_at DESC LIMIT $2"
            ),
            &[&acting.owner, &limit],
        )
        .await?;
    if rows.is_empty() {
        acting.ensure_visible(tx, Area::Diary).await?;
    }
    Ok(rows
        .iter()
        .map(|r| RecentFood {
            food_item_id: r.get("food_item_id"),
            nutrition_data_id: r.get("nutrition_data_id"),
            food_name: r.get("food_name"),
            brand: r.get("brand"),
            last_quantity: r.get("quantity"),
            last_unit: r.get("unit"),
            last_calories: r.get("calories"),
            last_meal_type: r.get("meal_type"),
            last_logged_at: r.get("created_at"),
            times_logged: r.get("times"),
        })
        .collect())
}
