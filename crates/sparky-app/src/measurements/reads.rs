//! Reading measurements: a listing (newest first, by type and days, paged) with the weight
//! trend over the same days, and the latest value of each type.

use chrono::NaiveDate;
use sparky_core::{trend, Date};
use sparky_db::UserTx;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::*;
use crate::acting::Acting;
use crate::error::{AppError, AppResult, Validation};
use crate::paging::PageRequest;

/// What a listing asks for.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub kind: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub page: PageRequest,
}

impl ListQuery {
    pub fn parse(
        kind: Option<&str>,
        from: Option<Date>,
        to: Option<Date>,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> AppResult<ListQuery> {
        let mut v = Validation::new();
        let kind = kind.map(type_name).filter(|k| !k.is_empty());
        if let Some(k) = &kind {
            v.check(k.chars().count() <= 50, "type", "is not a measurement type");
        }
        if let (Some(f), Some(t)) = (from, to) {
            v.check(f <= t, "to", "must not be before from");
        }
        let page = v.take(PageRequest::parse(limit, cursor, LIST_LIMIT));
        v.finish()?;
        Ok(ListQuery {
            kind,
            from: from.map(Date::get),
            to: to.map(Date::get),
            page: page.ok_or_else(|| AppError::internal("page checked above"))?,
        })
    }
}

/// Measurements, newest first, optionally of one type and between two days; a weight listing
/// also has the smoothed trend over the same days.
pub async fn list(tx: &mut UserTx, acting: Acting, q: &ListQuery) -> AppResult<MeasurementPage> {
    let after: Option<(i64, Uuid)> = q.page.after()?;
    let cursor_at = after
        .map(|(micros, _)| {
            DateTime::<Utc>::from_timestamp_micros(micros)
                .ok_or_else(|| AppError::invalid("cursor", "is not a cursor from this list"))
        })
        .transpose()?;
    let cursor_id = after.map(|(_, id)| id);
    let rows_sql = format!(
        "SELECT {COLUMNS} FROM measurements m
         WHERE m.user_id = {OWNER}
           AND ($2::text IS NULL OR m.type = $2)
           AND ($3::date IS NULL OR m.entry_date >= $3)
           AND ($4::date IS NULL OR m.entry_date <= $4)
           AND ($5::timestamptz IS NULL OR (m.measured_at, m.id) < ($5, $6::uuid))
         ORDER BY m.measured_at DESC, m.id DESC
         LIMIT $7"
    );
    let units_sql = measurement_types::units_system_sql();
    let dimension_sql = measurement_types::dimension_sql();
    let trend_sql = weight_trend_sql();
    let fetch = q.page.fetch();
    let is_weight = q.kind.as_deref() == Some("weight");
    let warmup = q
        .from
        .map(|f| f - chrono::Duration::days(TREND_WARMUP_DAYS));
    let trend_limit = MAX_TREND_POINTS + TREND_WARMUP_DAYS;
    // The page, the owner's units, the type's dimension and a weight list's trend are
    // independent: one round trip.
    let page_params: [&(dyn ToSql + Sync); 7] = [
        &acting.owner,
        &q.kind,
        &q.from,
        &q.to,
        &cursor_at,
        &cursor_id,
        &fetch,
    ];
    let owner_params: [&(dyn ToSql + Sync); 1] = [&acting.owner];
    let dimension_params: [&(dyn ToSql + Sync); 2] = [&acting.owner, &q.kind];
    let trend_params: [&(dyn ToSql + Sync); 4] = [&acting.owner, &warmup, &q.to, &trend_limit];
    let mut queries: Vec<(&str, &[&(dyn ToSql + Sync)])> =
        vec![(&rows_sql, &page_params), (&units_sql, &owner_params)];
    if q.kind.is_some() {
        queries.push((&dimension_sql, &dimension_params));
    }
    if is_weight {
        queries.push((&trend_sql, &trend_params));
    }
    let mut sets = tx.query_many(&queries).await?.into_iter();
    let mut next = || sets.next().unwrap_or_default();
    let (rows, units_rows) = (next(), next());
    let system = measurement_types::units_system_from(units_rows.first());
    let dimension = match &q.kind {
        Some(kind) => match measurement_types::dimension_from(next().first()) {
            Some(d) => Some(d),
            None => return Err(measurement_types::unknown_type(tx, acting, kind).await),
        },
        None => None,
    };
    if rows.is_empty() {
        acting.ensure_visible(tx, Area::Measurements).await?;
    }
    let items: Vec<Measurement> = rows
        .iter()
        .map(|r| measurement_from_row(r, system))
        .collect();
    let page = q
        .page
        .finish_keyset(items, |m| (m.measured_at.timestamp_micros(), m.id));
    let (trend, trend_unit) = if is_weight {
        let dimension = dimension.unwrap_or(Dimension::Mass);
        let points = weight_trend_from(&next(), q.from, dimension, system);
        let unit = dimension.display_unit(system).as_str().to_string();
        (Some(points), Some(unit))
    } else {
        (None, None)
    };
    Ok(MeasurementPage {
        items: page.items,
        next_cursor: page.next_cursor,
        trend,
        trend_unit,
    })
}

/// Daily weight averages of the owner in `$1` from `$2` to `$3` (either open), newest first,
/// at most `$4` days.
fn weight_trend_sql() -> String {
    format!(
        "SELECT entry_date, round(avg(value), 6) AS value FROM measurements
         WHERE user_id = {OWNER} AND type = 'weight'
           AND ($2::date IS NULL OR entry_date >= $2)
           AND ($3::date IS NULL OR entry_date <= $3)
         GROUP BY entry_date ORDER BY entry_date DESC
         LIMIT $4"
    )
}

/// The smoothed trend from [`weight_trend_sql`]'s days (read from a warm-up before `from`),
/// in the owner's units, from `from` on.
fn weight_trend_from(
    days: &[tokio_postgres::Row],
    from: Option<NaiveDate>,
    dimension: Dimension,
    system: UnitsSystem,
) -> Vec<WeightTrendPoint> {
    let points: Vec<(NaiveDate, Decimal)> =
        days.iter().rev().map(|r| (r.get(0), r.get(1))).collect();
    let mut smoothed: Vec<WeightTrendPoint> = trend::ewma(&points, trend::DEFAULT_ALPHA)
        .into_iter()
        .filter(|(d, _)| !matches!(from, Some(f) if *d < f))
        .map(|(date, v)| WeightTrendPoint {
            date,
            value: Amount(
                measure::to_display(v, dimension, system)
                    .map(|(v, _)| v)
                    .unwrap_or_default(),
            ),
        })
        .collect();
    let excess = smoothed.len().saturating_sub(MAX_TREND_POINTS as usize);
    smoothed.drain(..excess);
    smoothed
}

/// The latest measurement of each type up to the owner's today (one dated in the future is
/// not the latest), one query (DISTINCT ON type).
pub async fn latest(tx: &mut UserTx, acting: Acting) -> AppResult<LatestMeasurements> {
    let system = units_system(tx, acting).await?;
    let rows = tx
        .query(
            &format!(
                "SELECT DISTINCT ON (m.type) {COLUMNS} FROM measurements m
                 WHERE m.user_id = {OWNER} AND m.entry_date <= {TODAY}
                 ORDER BY m.type, m.measured_at DESC, m.created_at DESC, m.id DESC
                 LIMIT $2"
            ),
            &[&acting.owner, &MAX_LATEST],
        )
        .await?;
    if rows.is_empty() {
        acting.ensure_visible(tx, Area::Measurements).await?;
    }
    Ok(LatestMeasurements {
        items: rows
            .iter()
            .map(|r| measurement_from_row(r, system))
            .collect(),
    })
}
