//! The daily summary: eaten, burned, remaining against the active targets, water, weight and
//! the logging streak — for one day, or one row a day for a range, each in one query.

use axum::extract::{Path, Query};
use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::nutrients::{f64_of, NumericF64, NutrientValues};
use crate::auth::{ActingFor, Auth};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::{ApiJson, SizedJson};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(day_summary))
        .routes(routes!(range_summary))
}

/// Days a range may span.
const MAX_RANGE_DAYS: u64 = 366;

#[derive(Debug, Serialize, ToSchema)]
pub struct Targets {
    pub calories: Option<f64>,
    pub protein: Option<f64>,
    pub carbohydrates: Option<f64>,
    pub fat: Option<f64>,
    /// ml
    pub water: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Remaining {
    /// Target − eaten + burned.
    pub calories: Option<f64>,
    pub protein: Option<f64>,
    pub carbohydrates: Option<f64>,
    pub fat: Option<f64>,
    pub water: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DaySummary {
    pub date: NaiveDate,
    pub user_id: Uuid,
    /// Totals of the food diary for the day, every nutrient.
    pub eaten: NutrientValues,
    /// kcal burned by logged exercise (entries with an estimate or a given value).
    pub burned: f64,
    /// eaten − burned.
    pub net_calories: f64,
    pub targets: Targets,
    pub remaining: Remaining,
    /// ml of water logged.
    pub water_ml: f64,
    /// The day's last weight, in kg, if one was logged.
    pub weight_kg: Option<f64>,
    /// Food diary entries that day.
    pub entries: i64,
    /// Consecutive days with at least one diary entry, ending on this day (0 if none today).
    pub streak_days: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryRow {
    pub date: NaiveDate,
    /// The day's nutrient totals (the JSON the day's totals row keeps, see diary_day_totals).
    #[schema(value_type = NutrientValues)]
    pub eaten: Box<RawValue>,
    pub burned: f64,
    pub water_ml: f64,
    pub weight_kg: Option<f64>,
    pub entries: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RangeSummary {
    pub user_id: Uuid,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: Vec<SummaryRow>,
}

/// One statement for any span of days: index range scans of the per-day totals kept by
/// triggers (diary_day_totals: food and exercise; measurement_day_totals: water and the day's
/// last weight; two tables because different family grants may read them), merged on the
/// day, one row per day with data, which `days_of` lays onto the calendar; plus one last row
/// (no day) naming the user.
fn range_sql() -> String {
    "WITH who AS (SELECT coalesce($1::uuid, auth.uid()) AS id),
     d AS (SELECT entry_date, entries, burned, eaten_json FROM diary_day_totals
           WHERE user_id = (SELECT id FROM who) AND entry_date BETWEEN $2 AND $3),
     m AS (SELECT entry_date, water_ml, weight_kg FROM measurement_day_totals
           WHERE user_id = (SELECT id FROM who) AND entry_date BETWEEN $2 AND $3)
     SELECT coalesce(d.entry_date, m.entry_date) AS day, d.entries::bigint AS entries,
            d.burned, m.water_ml, m.weight_kg, d.eaten_json, NULL::uuid AS uid
     FROM d FULL JOIN m ON m.entry_date = d.entry_date
     UNION ALL
     SELECT NULL, NULL, NULL, NULL, NULL, NULL, (SELECT id FROM who)"
        .to_string()
}

/// Lays the tagged rows of `range_sql` onto the days `from..=to`: (user id, one row a day).
fn days_of(
    rows: &[tokio_postgres::Row],
    from: NaiveDate,
    to: NaiveDate,
) -> ApiResult<(Uuid, Vec<SummaryRow>)> {
    let empty = || RawValue::from_string("{}".to_string());
    let mut days: Vec<SummaryRow> = from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|date| {
            Ok(SummaryRow {
                date,
                eaten: empty()?,
                burned: 0.0,
                water_ml: 0.0,
                weight_kg: None,
                entries: 0,
            })
        })
        .collect::<Result<_, serde_json::Error>>()
        .map_err(|_| ApiError::internal())?;
    let mut user_id = None;
    for r in rows {
        let Some(day) = r.get::<_, Option<NaiveDate>>(0) else {
            user_id = r.get::<_, Option<Uuid>>(6);
            continue;
        };
        let Some(row) = usize::try_from((day - from).num_days())
            .ok()
            .and_then(|i| days.get_mut(i))
        else {
            continue;
        };
        let numeric = |i: usize| r.get::<_, Option<NumericF64>>(i).map(|n| n.0);
        row.entries = r.get::<_, Option<i64>>(1).unwrap_or(0);
        row.burned = numeric(2).unwrap_or(0.0);
        row.water_ml = numeric(3).unwrap_or(0.0);
        row.weight_kg = numeric(4);
        if let Some(json) = r.get::<_, Option<String>>(5) {
            // Written by the database from NUMERIC columns; checked as JSON all the same.
            row.eaten = RawValue::from_string(json).map_err(|_| ApiError::internal())?;
        }
    }
    let user_id = user_id.ok_or_else(ApiError::internal)?;
    Ok((user_id, days))
}

fn parse_date(field: &str, s: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| ApiError::invalid(field, "must be a date like 2026-11-25"))
}

/// Refuses to show anything for a user who shared nothing with the caller (404, as RLS would).
async fn check_visible(tx: &mut sparky_db::UserTx, target: Uuid, me: Uuid) -> ApiResult<()> {
    if target == me {
        return Ok(());
    }
    let visible = tx
        .query_opt(
            "SELECT 1 FROM family_access WHERE grantor_user_id = $1 AND grantee_user_id = auth.uid()
             AND access_type IN ('calorie', 'reports')",
            &[&target],
        )
        .await?
        .is_some();
    if visible {
        Ok(())
    } else {
        Err(ApiError::not_found("summary"))
    }
}

/// One day: eaten, burned, remaining against the active targets, water, weight, streak.
#[utoipa::path(get, path = "/api/v1/summary/{date}", tag = "summary",
    security(("session" = []), ("api_key" = [])),
    params(("date" = String, Path, description = "YYYY-MM-DD"), ActingFor),
    responses(
        (status = 200, description = "The day", body = DaySummary),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "Not shared with you", body = ErrorBody),
        (status = 422, description = "Invalid date", body = ErrorBody),
    ))]
async fn day_summary(
    Auth { mut tx, .. }: Auth,
    Path(date): Path<String>,
    acting: ActingFor,
) -> ApiResult<ApiJson<DaySummary>> {
    let date = parse_date("date", &date)?;
    let me = tx.user_id().await?;
    let target = acting.user_id.unwrap_or(me);
    check_visible(&mut tx, target, me).await?;
    let rows = tx
        .query(&range_sql(), &[&acting.user_id, &date, &date])
        .await?;
    let goals = tx
        .query(
            "SELECT type, target_value FROM goals
             WHERE user_id = $1 AND status = 'active'
               AND type IN ('calorie_target', 'protein_target', 'carbs_target', 'fat_target', 'water_target')",
            &[&target],
        )
        .await?;
    // Logged days going back from this one; the first gap ends the streak.
    let logged = tx
        .query(
            "SELECT entry_date FROM diary_day_totals
             WHERE user_id = $1 AND entries > 0 AND entry_date <= $2 AND entry_date > $2 - 3660
             ORDER BY entry_date DESC",
            &[&target, &date],
        )
        .await?;
    tx.commit().await?;
    let (_, mut one) = days_of(&rows, date, date)?;
    let row = one.pop().ok_or_else(ApiError::internal)?;
    let mut streak = 0i64;
    let mut expected = date;
    for r in &logged {
        let d: NaiveDate = r.get(0);
        if d != expected {
            break;
        }
        streak += 1;
        expected = expected.checked_sub_days(Days::new(1)).unwrap_or(expected);
    }
    let target_of = |t: &str| {
        goals
            .iter()
            .find(|g| g.get::<_, String>(0) == t)
            .and_then(|g| g.get::<_, Option<Decimal>>(1))
            .map(f64_of)
    };
    let targets = Targets {
        calories: target_of("calorie_target"),
        protein: target_of("protein_target"),
        carbohydrates: target_of("carbs_target"),
        fat: target_of("fat_target"),
        water: target_of("water_target"),
    };
    let eaten: NutrientValues =
        serde_json::from_str(row.eaten.get()).map_err(|_| ApiError::internal())?;
    let eaten_cal = eaten.calories.unwrap_or(0.0);
    let remaining = Remaining {
        calories: targets.calories.map(|t| round2(t - eaten_cal + row.burned)),
        protein: targets
            .protein
            .map(|t| round2(t - eaten.protein.unwrap_or(0.0))),
        carbohydrates: targets
            .carbohydrates
            .map(|t| round2(t - eaten.carbohydrates.unwrap_or(0.0))),
        fat: targets.fat.map(|t| round2(t - eaten.fat.unwrap_or(0.0))),
        water: targets.water.map(|t| round2(t - row.water_ml)),
    };
    Ok(ApiJson(DaySummary {
        date,
        user_id: target,
        net_calories: round2(eaten_cal - row.burned),
        burned: row.burned,
        water_ml: row.water_ml,
        weight_kg: row.weight_kg,
        entries: row.entries,
        eaten,
        targets,
        remaining,
        streak_days: streak,
    }))
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeParams {
    /// First day, YYYY-MM-DD.
    pub from: String,
    /// Last day, YYYY-MM-DD (at most 366 days after `from`).
    pub to: String,
    pub user_id: Option<Uuid>,
}

/// One row a day for up to 366 days, computed in one query.
#[utoipa::path(get, path = "/api/v1/summary", tag = "summary",
    security(("session" = []), ("api_key" = [])),
    params(RangeParams),
    responses(
        (status = 200, description = "One row per day", body = RangeSummary),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "Not shared with you", body = ErrorBody),
        (status = 422, description = "Invalid range", body = ErrorBody),
    ))]
async fn range_summary(
    Auth { mut tx, .. }: Auth,
    Query(p): Query<RangeParams>,
) -> ApiResult<SizedJson<RangeSummary>> {
    let from = parse_date("from", &p.from)?;
    let to = parse_date("to", &p.to)?;
    if to < from {
        return Err(ApiError::invalid("to", "must not be before from"));
    }
    if (to - from).num_days() as u64 >= MAX_RANGE_DAYS {
        return Err(ApiError::invalid("to", "a range spans at most 366 days"));
    }
    if let Some(target) = p.user_id {
        let me = tx.user_id().await?;
        check_visible(&mut tx, target, me).await?;
    }
    // Your own range is one round trip: authentication, query and commit are pipelined.
    let rows = tx
        .query_and_commit(&range_sql(), &[&p.user_id, &from, &to])
        .await?;
    let (user_id, days) = days_of(&rows, from, to)?;
    let size = 160 + days.len() * 320;
    Ok(SizedJson(
        RangeSummary {
            user_id,
            from,
            to,
            days,
        },
        size,
    ))
}
