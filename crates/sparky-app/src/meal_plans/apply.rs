//! Applying a template: its foods become ordinary diary entries on some dates.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sparky_core::nutrition::Nutrients;
use sparky_core::{Amount, Date, MealType};
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

use super::items::{self, PlanItem, Planned, MAX_ITEMS_PER_TEMPLATE};
use crate::acting::{Acting, OWNER};
use crate::diary::{insert_entry_of_plan, NewEntry, MAX_ENTRIES_PER_DAY};
use crate::error::{AppError, AppResult};

/// Dates one request may apply a template to.
pub const MAX_APPLY_DAYS: usize = 31;

/// The dates to apply a template to: `from` and `to` (a range of at most 31 days, both ends
/// included), or a list of `dates` (at most 31).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyInput {
    /// First day (in the diary owner's timezone); with `to`.
    pub from: Option<Date>,
    /// Last day, inclusive; at most 30 days after `from` (31 days in all).
    pub to: Option<Date>,
    /// Instead of `from`/`to`: these days, in any order (at most 31).
    #[schema(min_items = 1, max_items = 31)]
    pub dates: Option<Vec<Date>>,
}

/// Validated dates to apply: 1 to [`MAX_APPLY_DAYS`] distinct dates, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyDates(Vec<NaiveDate>);

impl ApplyDates {
    pub fn dates(&self) -> &[NaiveDate] {
        &self.0
    }
}

impl ApplyInput {
    pub fn parse(&self) -> AppResult<ApplyDates> {
        let dates: Vec<NaiveDate> = match (self.from, self.to, &self.dates) {
            (None, None, Some(list)) => {
                if list.is_empty() || list.len() > MAX_APPLY_DAYS {
                    return Err(AppError::invalid(
                        "dates",
                        format!("give 1 to {MAX_APPLY_DAYS} dates"),
                    ));
                }
                let mut d: Vec<NaiveDate> = list.iter().map(|d| d.get()).collect();
                d.sort();
                d.dedup();
                d
            }
            (Some(from), Some(to), None) => {
                let (from, to) = (from.get(), to.get());
                if from > to {
                    return Err(AppError::invalid("to", "must not be before the first day"));
                }
                let days = (to - from).num_days() + 1;
                if days > MAX_APPLY_DAYS as i64 {
                    return Err(AppError::invalid(
                        "to",
                        format!(
                            "the range is {days} days; at most {MAX_APPLY_DAYS} can be applied at once"
                        ),
                    ));
                }
                from.iter_days().take(days as usize).collect()
            }
            (Some(_), None, None) => return Err(AppError::invalid("to", "give `to` with `from`")),
            (None, Some(_), None) => {
                return Err(AppError::invalid("from", "give `from` with `to`"))
            }
            _ => {
                return Err(AppError::invalid(
                    "dates",
                    "give either `from` and `to`, or `dates`",
                ))
            }
        };
        Ok(ApplyDates(dates))
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppliedDay {
    pub date: NaiveDate,
    pub meal_plan_id: Uuid,
    /// Diary entries written for the day.
    pub entries: usize,
    /// Sum of those entries' calories.
    pub total_calories: Option<Amount>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApplyResult {
    pub meal_plan_template_id: Uuid,
    pub user_id: Uuid,
    /// Dates written now.
    pub applied: Vec<AppliedDay>,
    /// Dates this template had already been applied to; left unchanged.
    pub skipped: Vec<NaiveDate>,
}

/// Planned eating times, so a day's entries sort by meal.
fn meal_time(meal: &str) -> NaiveTime {
    let (h, m) = match meal {
        "breakfast" => (8, 0),
        "lunch" => (12, 30),
        "dinner" => (18, 30),
        _ => (15, 0),
    };
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default()
}

fn weekday(date: NaiveDate) -> i16 {
    date.weekday().num_days_from_monday() as i16
}

/// Writes a template's foods into the owner's diary on every date: on each date the items for
/// that weekday and the every-day items, as ordinary diary entries (through the diary's one
/// insert path), plus a `meal_plans` row with the day's calories. Dates this template was
/// already applied to are skipped, so applying twice never doubles the diary. Refused as a
/// whole (nothing written) when an item cannot be logged or a day would exceed the diary's
/// per-day limit; the caller's transaction makes it all or nothing.
pub async fn apply(
    tx: &mut UserTx,
    acting: Acting,
    template_id: Uuid,
    dates: &ApplyDates,
) -> AppResult<ApplyResult> {
    let name: String = tx
        .query_opt(
            "SELECT name FROM meal_plan_templates WHERE id = $1",
            &[&template_id],
        )
        .await?
        .ok_or(AppError::NotFound("meal plan template"))?
        .get(0);
    let items = items::load(tx, items::Of::Template(template_id)).await?;
    // Templates made before items were bounded may hold more.
    if items.len() as i64 > MAX_ITEMS_PER_TEMPLATE {
        return Err(AppError::invalid(
            "meal_plan_template_id",
            format!(
                "this template has {} items; at most {MAX_ITEMS_PER_TEMPLATE} can be applied (remove some)",
                items.len()
            ),
        ));
    }
    let dates = dates.dates();
    let on_day = |date: NaiveDate| {
        let wd = weekday(date);
        items
            .iter()
            .filter(move |(i, _)| i.day_of_week.is_none_or(|d| d == wd))
    };
    // Every item that would be written must be loggable.
    for (item, planned) in dates.iter().flat_map(|d| on_day(*d)) {
        if planned.is_none() {
            return Err(unloggable(item));
        }
    }
    let day_calories = |date: NaiveDate| {
        let planned = on_day(date).filter_map(|(_, p)| p.as_ref().map(|p| &p.nutrients));
        Nutrients::sum(planned).calories.unwrap_or(Decimal::ZERO)
    };
    // A date the template has nothing for (an item only on Mondays) is not applied: marked
    // as applied, a later apply after a Tuesday item was added skipped it for good.
    let dates: Vec<NaiveDate> = dates
        .iter()
        .copied()
        .filter(|d| on_day(*d).next().is_some())
        .collect();
    let totals: Vec<Decimal> = dates.iter().map(|d| day_calories(*d)).collect();
    // One row per date; a date already planned with this template conflicts and is skipped
    // (a concurrent apply of the same dates waits here for the first to finish).
    let plan_rows = tx
        .query(
            &format!(
                "INSERT INTO meal_plans (user_id, name, planned_date, total_calories, meal_plan_template_id)
                 SELECT {OWNER}, left($2, 255), d.day, d.total, $3
                 FROM unnest($4::date[], $5::numeric[]) AS d(day, total)
                 ON CONFLICT (user_id, planned_date, meal_plan_template_id) DO NOTHING
                 RETURNING id, planned_date"
            ),
            &[&acting.owner, &name, &template_id, &dates, &totals],
        )
        .await?;
    let mut plans: Vec<(NaiveDate, Uuid)> = plan_rows
        .iter()
        .map(|r| (r.get("planned_date"), r.get("id")))
        .collect();
    plans.sort();
    let new_dates: Vec<NaiveDate> = plans.iter().map(|(d, _)| *d).collect();
    check_room(tx, acting, &new_dates, |d| on_day(d).count()).await?;

    // Local eating times in the owner's timezone, one statement for all entries.
    let mut writes: Vec<(NaiveDate, Uuid, &PlanItem, &Planned)> = Vec::new();
    let mut local: Vec<NaiveDateTime> = Vec::new();
    for (date, plan_id) in &plans {
        for (seq, (item, planned)) in on_day(*date).enumerate() {
            let Some(p) = planned else { continue };
            // The seconds keep the template's order within a meal (the diary sorts by time).
            local.push(
                date.and_time(meal_time(&item.meal_type))
                    + chrono::Duration::seconds(seq as i64 + 1),
            );
            writes.push((*date, *plan_id, item, p));
        }
    }
    let at = local_times(tx, acting, &local).await?;
    let mut counts: HashMap<NaiveDate, usize> = HashMap::new();
    for ((date, plan_id, item, p), consumed_at) in writes.into_iter().zip(at) {
        let entry = NewEntry {
            food_item_id: item.food_item_id,
            serving_id: Some(p.serving_id),
            name: &item.food_name,
            brand: p.brand.as_deref(),
            quantity: p.quantity,
            unit: p.unit.clone(),
            meal: MealType::parse(&item.meal_type)?,
            date: Some(date),
            consumed_at: Some(consumed_at),
            serving: Some(&p.serving),
            custom_per_serving: Some(&p.custom),
            servings: Some(p.servings),
            nutrients: p.nutrients.clone(),
        };
        insert_entry_of_plan(tx, acting, &entry, Some(plan_id))
            .await
            .map_err(|e| match e {
                // The one insert path refused a full day (a concurrent write filled it).
                AppError::Invalid(_) => day_full(date, None),
                other => other,
            })?;
        *counts.entry(date).or_default() += 1;
    }
    let applied = plans
        .iter()
        .map(|(date, plan_id)| AppliedDay {
            date: *date,
            meal_plan_id: *plan_id,
            entries: counts.get(date).copied().unwrap_or(0),
            total_calories: Some(Amount(day_calories(*date))),
        })
        .collect();
    let skipped = dates
        .iter()
        .filter(|d| !new_dates.contains(d))
        .copied()
        .collect();
    Ok(ApplyResult {
        meal_plan_template_id: template_id,
        user_id: acting.owner_id(tx).await?,
        applied,
        skipped,
    })
}

fn unloggable(item: &PlanItem) -> AppError {
    AppError::invalid(
        &format!("items.{}", item.id),
        format!(
            "{} cannot be logged: {}",
            item.food_name,
            item.problem.as_deref().unwrap_or("unknown problem")
        ),
    )
}

fn day_full(date: NaiveDate, counts: Option<(i64, usize)>) -> AppError {
    let detail = match counts {
        Some((has, adds)) => format!("{date} has {has} entries and the plan adds {adds}; "),
        None => format!("{date} is full; "),
    };
    AppError::invalid(
        "date",
        format!("{detail}a diary day holds at most {MAX_ENTRIES_PER_DAY} entries"),
    )
}

/// Refuses (422 naming the first such date) when writing the planned entries would take a
/// day past the diary's per-day limit.
async fn check_room(
    tx: &mut UserTx,
    acting: Acting,
    dates: &[NaiveDate],
    adds: impl Fn(NaiveDate) -> usize,
) -> AppResult<()> {
    if dates.is_empty() {
        return Ok(());
    }
    let rows = tx
        .query(
            &format!(
                "SELECT x.entry_date, x.entries::bigint FROM diary_day_totals x
                 WHERE x.user_id = {OWNER} AND x.entry_date = ANY($2)"
            ),
            &[&acting.owner, &dates],
        )
        .await?;
    let has: HashMap<NaiveDate, i64> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    for date in dates {
        let existing = has.get(date).copied().unwrap_or(0);
        let added = adds(*date);
        if existing + added as i64 > MAX_ENTRIES_PER_DAY {
            return Err(day_full(*date, Some((existing, added))));
        }
    }
    Ok(())
}

/// The instants of local times in the owner's timezone (preferences, else UTC), in order.
async fn local_times(
    tx: &mut UserTx,
    acting: Acting,
    local: &[NaiveDateTime],
) -> AppResult<Vec<DateTime<Utc>>> {
    if local.is_empty() {
        return Ok(Vec::new());
    }
    let row = tx
        .query_one(
            &format!(
                "WITH tz AS (SELECT coalesce(
                     (SELECT p.timezone FROM user_preferences p WHERE p.user_id = {OWNER} LIMIT 1),
                     'UTC') AS name)
                 SELECT array(SELECT x.at AT TIME ZONE tz.name
                              FROM unnest($2::timestamp[]) WITH ORDINALITY AS x(at, n)
                              ORDER BY x.n)
                 FROM tz"
            ),
            &[&acting.owner, &local],
        )
        .await?;
    let at: Vec<DateTime<Utc>> = row.get(0);
    if at.len() != local.len() {
        return Err(AppError::internal("local_times: lengths differ"));
    }
    Ok(at)
}
