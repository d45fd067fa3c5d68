//! Tools that read: a day, a range, the top foods, the goals.

use chrono::Duration;
use serde::Deserialize;
use serde_json::{json, Value};
use sparky_core::GoalStatus;
use sparky_db::UserTx;
use uuid::Uuid;

use crate::diary::{self};
use crate::error::{AppError, AppResult};

use super::{acting, compact_entry, date_value, day_arg, to_value, ToolOutput};

#[derive(Deserialize)]
pub(super) struct DayArgs {
    date: Option<String>,
    user_id: Option<Uuid>,
}

pub(super) async fn read_day(tx: &mut UserTx, a: DayArgs) -> AppResult<ToolOutput> {
    let who = acting(a.user_id);
    let date = day_arg(tx, who, a.date.as_deref()).await?;
    let day = diary::day(tx, who, date).await?;
    let summary = crate::summary::day(tx, who, date).await?;
    let meals: Vec<Value> = day
        .meals
        .iter()
        .filter(|m| !m.entries.is_empty())
        .map(|m| {
            json!({"meal": m.meal_type,
                   "entries": m.entries.iter().map(compact_entry).collect::<Vec<_>>(),
                   "totals": m.totals})
        })
        .collect();
    let mut out = json!({
        "date": date, "meals": meals, "eaten": summary.eaten, "burned_kcal": summary.burned,
        "net_kcal": summary.net_calories, "water_ml": summary.water_ml, "weight_kg": summary.weight_kg,
        "targets": summary.targets, "remaining": summary.remaining, "week": summary.week});
    // Custom nutrients the owner defined, with their units ("how much caffeine today?").
    if !day.custom_totals.is_empty() {
        let defined = crate::custom_nutrients::list(tx, who).await?;
        let custom: Vec<Value> = defined
            .iter()
            .filter_map(|d| {
                day.custom_totals.get(&d.name).map(|amount| {
                    let mut n = json!({"name": d.name, "amount": amount, "unit": d.unit});
                    // The day's range, so "too much caffeine?" is answered by the user's own.
                    if let Some(low) = d.daily_min {
                        n["daily_min"] = json!(low);
                    }
                    if let Some(high) = d.daily_max {
                        n["daily_max"] = json!(high);
                    }
                    n
                })
            })
            .collect();
        if !custom.is_empty() {
            out["custom_nutrients"] = json!(custom);
        }
    }
    // Nutrients some entries do not know: their totals are lower bounds (the model said
    // "you had 20 g of protein" of a day of quick adds without macros).
    if !summary.partial.is_empty() {
        out["partial"] = json!(summary.partial);
        out["partial_note"] = json!(
            "some entries do not know these nutrients: their totals are at least what is shown"
        );
    }
    Ok(ToolOutput::read(out))
}

#[derive(Deserialize)]
pub(super) struct RangeArgs {
    from: String,
    to: String,
    user_id: Option<Uuid>,
}

pub(super) async fn read_range(tx: &mut UserTx, a: RangeArgs) -> AppResult<ToolOutput> {
    let who = acting(a.user_id);
    let from = day_arg(tx, who, Some(&a.from)).await?;
    let to = day_arg(tx, who, Some(&a.to)).await?;
    if (to - from).num_days() > 91 {
        return Err(AppError::invalid("to", "a range is at most 92 days"));
    }
    let range = crate::summary::Range::parse(date_value(from)?, date_value(to)?)?;
    let r = crate::summary::range(tx, who, range).await?;
    Ok(ToolOutput::read(to_value(&r)))
}

#[derive(Deserialize)]
pub(super) struct TopFoodsArgs {
    from: Option<String>,
    to: Option<String>,
    by: Option<crate::reports::RankBy>,
    limit: Option<i64>,
    user_id: Option<Uuid>,
}

pub(super) async fn read_top_foods(tx: &mut UserTx, a: TopFoodsArgs) -> AppResult<ToolOutput> {
    let who = acting(a.user_id);
    let to = day_arg(tx, who, a.to.as_deref()).await?;
    let from = match a.from.as_deref() {
        Some(text) => day_arg(tx, who, Some(text)).await?,
        None => to - Duration::days(29),
    };
    let range =
        crate::reports::ReportRange::parse(None, Some(date_value(from)?), Some(date_value(to)?))?;
    let r = crate::reports::foods(tx, who, range, a.by.unwrap_or_default(), a.limit).await?;
    Ok(ToolOutput::read(to_value(&r)))
}

#[derive(Deserialize)]
pub(super) struct WhoArgs {
    user_id: Option<Uuid>,
}

pub(super) async fn read_goals(tx: &mut UserTx, a: WhoArgs) -> AppResult<ToolOutput> {
    let goals = crate::goals::list(
        tx,
        acting(a.user_id),
        crate::goals::ListFilter {
            status: Some(GoalStatus::Active),
            ..Default::default()
        },
    )
    .await?;
    let goals: Vec<Value> = goals
        .iter()
        .map(|g| {
            json!({"type": g.goal_type, "target": g.target_value, "unit": g.target_unit,
                   "by_weekday": g.by_weekday, "target_today": g.target_today,
                   "target_date": g.target_date, "current": g.current_value,
                   "progress_percent": g.progress_percent})
        })
        .collect();
    Ok(ToolOutput::read(json!({"goals": goals})))
}

/// A refused day names the argument it came from, not `date` (what [`day_arg`] calls it).
pub(super) fn named(field: &'static str) -> impl Fn(AppError) -> AppError {
    move |e: AppError| match e {
        AppError::Invalid(mut f) => match f.0.remove("date") {
            Some(problem) => AppError::invalid(field, problem),
            None => AppError::Invalid(f),
        },
        other => other,
    }
}

/// A period of days the read tools take: `to` (default today) and `from` (default
/// `default_days` before it), at most `max_days` long.
async fn period(
    tx: &mut UserTx,
    who: crate::acting::Acting,
    from: Option<&str>,
    to: Option<&str>,
    default_days: i64,
    max_days: i64,
) -> AppResult<(chrono::NaiveDate, chrono::NaiveDate)> {
    let to = day_arg(tx, who, to).await.map_err(named("to"))?;
    let from = match from {
        Some(text) => day_arg(tx, who, Some(text)).await.map_err(named("from"))?,
        // Not before the first day a date may be.
        None => (to - Duration::days(default_days - 1))
            .max(chrono::NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(to)),
    };
    if from > to {
        return Err(AppError::invalid("to", "must not be before from"));
    }
    if (to - from).num_days() >= max_days {
        return Err(AppError::invalid(
            "from",
            format!("a period is at most {max_days} days"),
        ));
    }
    Ok((from, to))
}

/// Readings a read tool returns at most; `more` says there were others.
const MAX_READ_ROWS: i64 = 200;

#[derive(Deserialize)]
pub(super) struct MeasurementsArgs {
    #[serde(rename = "type")]
    kind: Option<String>,
    from: Option<String>,
    to: Option<String>,
    user_id: Option<Uuid>,
}

pub(super) async fn read_measurements(
    tx: &mut UserTx,
    a: MeasurementsArgs,
) -> AppResult<ToolOutput> {
    let who = acting(a.user_id);
    let (from, to) = period(tx, who, a.from.as_deref(), a.to.as_deref(), 90, 366).await?;
    let query = crate::measurements::ListQuery::parse(
        a.kind.as_deref(),
        Some(date_value(from)?),
        Some(date_value(to)?),
        Some(MAX_READ_ROWS),
        None,
    )?;
    let page = crate::measurements::list(tx, who, &query).await?;
    let readings: Vec<Value> = page
        .items
        .iter()
        .map(|m| {
            json!({"type": m.kind, "value": m.value, "unit": m.unit, "date": m.date,
                   "measured_at": m.measured_at, "note": m.note})
        })
        .collect();
    let smoothed = page
        .trend
        .as_ref()
        .and_then(|t| t.last())
        .map(|p| json!({"date": p.date, "value": p.value, "unit": page.trend_unit}));
    Ok(ToolOutput::read(json!({
        "from": from, "to": to, "readings": readings,
        "more": page.next_cursor.is_some(), "smoothed_weight": smoothed})))
}

#[derive(Deserialize)]
pub(super) struct WorkoutsArgs {
    from: Option<String>,
    to: Option<String>,
    user_id: Option<Uuid>,
}

pub(super) async fn read_workouts(tx: &mut UserTx, a: WorkoutsArgs) -> AppResult<ToolOutput> {
    let who = acting(a.user_id);
    let (from, to) = period(tx, who, a.from.as_deref(), a.to.as_deref(), 30, 92).await?;
    // The newest ones when there are more (a strength log of six exercises a day holds 550
    // in 92 days; the oldest 200 were returned). Bounded: 92 days of at most 100 a day.
    let limit = crate::workouts::RANGE_LIMIT.max;
    let mut entries: Vec<crate::workouts::Workout> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = crate::paging::PageRequest::parse(
            Some(limit),
            cursor.as_deref(),
            crate::workouts::RANGE_LIMIT,
        )?;
        let request = crate::workouts::RangeRequest::new(from, to, page)?;
        let range = crate::workouts::range(tx, who, &request).await?;
        entries.extend(range.entries);
        match range.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let left_out = entries.len().saturating_sub(MAX_READ_ROWS as usize);
    let kept = &entries[left_out..];
    let workouts: Vec<Value> = kept
        .iter()
        .map(|w| {
            let sets: Vec<Value> = w
                .sets
                .iter()
                .map(|s| {
                    json!({"reps": s.reps, "weight": s.weight, "unit": s.unit,
                           "duration_seconds": s.duration_seconds})
                })
                .collect();
            json!({"date": w.date, "exercise": w.exercise_name,
                   "duration_minutes": w.duration_minutes,
                   "duration_seconds": w.duration_seconds,
                   "distance": w.distance.map(|d| json!({"value": d, "unit": w.distance_unit})),
                   "sets": sets, "calories_burned": w.calories_burned, "notes": w.notes})
        })
        .collect();
    let mut out = json!({"from": from, "to": to, "workouts": workouts, "more": left_out > 0});
    if left_out > 0 {
        out["note"] = json!(format!(
            "the newest {MAX_READ_ROWS} of {} workouts, from {}; ask for an earlier period for the {left_out} before",
            entries.len(),
            kept.first().map(|w| w.date.to_string()).unwrap_or_default()
        ));
    }
    Ok(ToolOutput::read(out))
}

#[derive(Deserialize)]
pub(super) struct ShoppingArgs {
    plan: Option<String>,
    from: Option<String>,
    to: Option<String>,
    user_id: Option<Uuid>,
}

/// What a meal plan needs over some days (default the week from today), per food: the plan
/// named (letter case aside; a part of the name when only one plan has it), or the only
/// active one. Several that fit are listed for the caller to choose.
pub(super) async fn read_shopping_list(tx: &mut UserTx, a: ShoppingArgs) -> AppResult<ToolOutput> {
    use crate::meal_plans::{self, ShoppingQuery};
    let who = acting(a.user_id);
    let plan = super::plans::plan_named(tx, who, a.plan.as_deref()).await?;
    let from = match a.from.as_deref() {
        Some(text) => Some(day_arg(tx, who, Some(text)).await.map_err(named("from"))?),
        None => None,
    };
    let to = match a.to.as_deref() {
        Some(text) => Some(day_arg(tx, who, Some(text)).await.map_err(named("to"))?),
        None => None,
    };
    let wrap = |d: Option<chrono::NaiveDate>, field: &'static str| {
        d.map(sparky_core::Date::new)
            .transpose()
            .map_err(|e| AppError::invalid(field, e.to_string()))
    };
    let query = ShoppingQuery {
        from: wrap(from, "from")?,
        to: wrap(to, "to")?,
    };
    let list = meal_plans::shopping(tx, who, plan.id, &query).await?;
    let items: Vec<Value> = list
        .items
        .iter()
        .map(|i| {
            json!({"food": i.name, "brand": i.brand, "amount": i.amount, "unit": i.unit,
                   "weight_g": i.weight_g, "for_recipes": i.recipes})
        })
        .collect();
    Ok(ToolOutput::read(json!({
        "plan": list.name, "from": list.from, "to": list.to, "items": items
    })))
}
