//! The body report.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use sparky_core::health::SUMMED_TYPES;
use sparky_core::measure::{self, Dimension};
use sparky_core::units::round_dp;
use sparky_core::{trend, Amount, UnitsSystem};
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::acting::{Acting, Area};
use crate::error::AppResult;

use super::{amount, head, line, opt, ReportRange, ToCsv, HEAD, TREND_WARMUP_DAYS};

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
                  round(CASE WHEN ty.dimension = 'volume' OR x.type = ANY($6::text[])
                             THEN sum(x.value) ELSE avg(x.value) END, 6) AS value
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
            &[
                &acting.owner,
                &from,
                &to,
                &days,
                &TREND_WARMUP_DAYS,
                &SUMMED_TYPES.as_slice(),
            ],
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
            let unit = sparky_core::health::shown_unit(&kind, &unit).to_string();
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
