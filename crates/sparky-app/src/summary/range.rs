//! One row a day for a span of days, from the per-day totals the database keeps.

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::value::RawValue;
use sparky_core::nutrition::Nutrients;
use sparky_core::Date;
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

use super::MAX_RANGE_DAYS;
use crate::acting::{Acting, Area};
use crate::error::{AppError, AppResult};
use crate::nutrients::NumericF64;
use crate::reads::{Answers, Param, ReadId, Reads};

/// One day of a range.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SummaryRow {
    pub date: NaiveDate,
    /// The day's nutrient totals (the JSON the day's totals row keeps, see diary_day_totals).
    #[schema(value_type = Nutrients)]
    pub eaten: Box<RawValue>,
    /// kcal
    pub burned: f64,
    /// Null for someone the owner does not share measurements with (unknown, not 0).
    pub water_ml: Option<f64>,
    pub weight_kg: Option<f64>,
    pub entries: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RangeSummary {
    pub user_id: Uuid,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// One row per day, `from` to `to`: at most 366.
    #[schema(max_items = 366)]
    pub days: Vec<SummaryRow>,
}

impl RangeSummary {
    /// A close guess of the JSON's length, so it is written into one buffer.
    pub fn json_size_hint(&self) -> usize {
        160 + self.days.len() * 320
    }
}

/// A validated range.
#[derive(Debug, Clone, Copy)]
pub struct Range {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Range {
    pub fn parse(from: Date, to: Date) -> AppResult<Range> {
        let (from, to) = (from.get(), to.get());
        if to < from {
            return Err(AppError::invalid("to", "must not be before from"));
        }
        if (to - from).num_days() >= MAX_RANGE_DAYS {
            return Err(AppError::invalid("to", "a range spans at most 366 days"));
        }
        Ok(Range { from, to })
    }
}

/// One statement for any span of days: index range scans of the per-day totals kept by
/// triggers (two tables because different family grants may read them), merged on the day,
/// one row per day with data, which `days_of` lays onto the calendar; plus one last row (no
/// day) naming the user.
pub(super) static RANGE_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "WITH who AS (SELECT coalesce($1::uuid, auth.uid()) AS id),
     d AS (SELECT entry_date, entries, burned, eaten_json FROM diary_day_totals
           WHERE user_id = (SELECT id FROM who) AND entry_date BETWEEN $2 AND $3),
     m AS (SELECT entry_date, water_ml, weight_kg FROM measurement_day_totals
           WHERE user_id = (SELECT id FROM who) AND entry_date BETWEEN $2 AND $3)
     SELECT coalesce(d.entry_date, m.entry_date) AS day, d.entries::bigint AS entries,
            d.burned, m.water_ml, m.weight_kg, d.eaten_json, NULL::uuid AS uid,
            NULL::boolean AS measurements_visible
     FROM d FULL JOIN m ON m.entry_date = d.entry_date
     UNION ALL
     SELECT NULL, NULL, NULL, NULL, NULL, NULL, (SELECT id FROM who), {}",
        Area::Measurements.visible_sql("(SELECT id FROM who)")
    )
});

/// Lays the tagged rows of [`RANGE_SQL`] onto the days `from..=to`: (user id, one row a day).
pub(super) fn days_of(
    rows: &[tokio_postgres::Row],
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<(Uuid, Vec<SummaryRow>)> {
    let bad_json = |_| AppError::internal("day totals: eaten_json is not JSON");
    let mut days: Vec<SummaryRow> = from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|date| {
            Ok(SummaryRow {
                date,
                eaten: RawValue::from_string("{}".to_string()).map_err(bad_json)?,
                burned: 0.0,
                water_ml: Some(0.0),
                weight_kg: None,
                entries: 0,
            })
        })
        .collect::<AppResult<_>>()?;
    let mut user_id = None;
    let mut water_visible = true;
    for r in rows {
        let Some(day) = r.get::<_, Option<NaiveDate>>(0) else {
            user_id = r.get::<_, Option<Uuid>>(6);
            water_visible = r.get::<_, Option<bool>>(7) == Some(true);
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
        row.water_ml = Some(numeric(3).unwrap_or(0.0));
        row.weight_kg = numeric(4);
        if let Some(json) = r.get::<_, Option<String>>(5) {
            // Written by the database from NUMERIC columns; checked as JSON all the same.
            row.eaten = RawValue::from_string(json).map_err(bad_json)?;
        }
    }
    let user_id = user_id.ok_or_else(|| AppError::internal("range summary: no user row"))?;
    if !water_visible {
        for day in &mut days {
            day.water_ml = None;
        }
    }
    Ok((user_id, days))
}

/// One row a day for `range`, as part of a larger transaction.
pub async fn range(tx: &mut UserTx, acting: Acting, range: Range) -> AppResult<RangeSummary> {
    acting.ensure_visible(tx, Area::Diary).await?;
    let rows = tx
        .query(RANGE_SQL.as_str(), &[&acting.owner, &range.from, &range.to])
        .await?;
    range_from_rows(&rows, range)
}

/// [`range`]'s read, planned (see [`crate::reads`]); the caller has checked that the owner's
/// diary is visible.
pub struct RangePlan {
    range: Range,
    rows: ReadId,
}

pub fn plan_range(reads: &mut Reads, acting: Acting, range: Range) -> RangePlan {
    let params: Vec<Param> = vec![
        Box::new(acting.owner),
        Box::new(range.from),
        Box::new(range.to),
    ];
    RangePlan {
        rows: reads.add(RANGE_SQL.as_str(), params),
        range,
    }
}

impl RangePlan {
    pub fn finish(self, answers: &mut Answers) -> AppResult<RangeSummary> {
        range_from_rows(&answers.take(self.rows)?, self.range)
    }
}

/// One row a day for `range`, and the end of the transaction: for your own data the query and
/// its commit are one round trip (with authentication too when it is the first statement).
pub async fn range_and_commit(
    mut tx: UserTx,
    acting: Acting,
    range: Range,
) -> AppResult<RangeSummary> {
    acting.ensure_visible(&mut tx, Area::Diary).await?;
    let rows = tx
        .query_and_commit(RANGE_SQL.as_str(), &[&acting.owner, &range.from, &range.to])
        .await?;
    range_from_rows(&rows, range)
}

fn range_from_rows(rows: &[tokio_postgres::Row], range: Range) -> AppResult<RangeSummary> {
    let (user_id, days) = days_of(rows, range.from, range.to)?;
    Ok(RangeSummary {
        user_id,
        from: range.from,
        to: range.to,
        days,
    })
}
