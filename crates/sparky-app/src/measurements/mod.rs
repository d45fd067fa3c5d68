//! Body measurements and check-ins: weight, body fat, girths, heart rate, steps, water and
//! custom types. Values are stored in the canonical unit of their type (kg, cm, ml, %, count,
//! bpm) at full precision and shown in the owner's unit system, so 90 lb stays 90 lb. Weight
//! listings carry a smoothed trend (EWMA, alpha [`sparky_core::trend::DEFAULT_ALPHA`] = 0.1).
//! RLS decides who may read (`checkin`, `reports`) and write (`checkin`) someone else's
//! measurements.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sparky_core::measure::{self, Dimension, MeasureError, MeasureUnit};
use sparky_core::units::round_dp;
use sparky_core::{Amount, Date, Timestamp, UnitsSystem};
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::acting::{delete_by_id, Acting, Area, OWNER};
use crate::error::{AppError, AppResult, Validation};
use crate::measurement_types::{self, parse_unit_for, require_type, type_name, units_system};
use crate::paging::LimitBounds;
use crate::profile::TODAY;

mod reads;
pub use reads::{latest, list, ListQuery};

/// Decimal places `measurements.value` keeps (numeric(14,6)).
const VALUE_SCALE: u32 = 6;
/// Days of weights before `from` that warm up the trend, so it does not restart at `from`.
const TREND_WARMUP_DAYS: i64 = 60;
/// Longest note.
pub const MAX_NOTE: usize = 2000;
/// Trend points one listing returns at most (the latest; about ten years of daily weights).
pub const MAX_TREND_POINTS: i64 = 3660;
/// Types "latest" reports at most (built-in and custom types, plus seed-era ones).
const MAX_LATEST: i64 = 500;
/// Page sizes of `GET /measurements`.
pub const LIST_LIMIT: LimitBounds = LimitBounds::new(100, 500);

const DENIED: &str = "you may read these measurements but not change them";

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/// Log a measurement (a check-in).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogMeasurementInput {
    /// A measurement type's name (`GET /api/v1/measurement-types`), any letter case.
    #[serde(rename = "type")]
    #[schema(rename = "type", min_length = 1, max_length = 50)]
    pub kind: String,
    /// The reading, in `unit`.
    pub value: Amount,
    /// A unit of the type's dimension (e.g. kg, lb, g for weight), any letter case. Default:
    /// the owner's display unit (lb / in / fl oz for imperial users, kg / cm / ml for metric).
    #[schema(max_length = 20)]
    pub unit: Option<String>,
    /// When it was measured. Default: now for today, else noon of `date`.
    pub measured_at: Option<Timestamp>,
    /// The day in the owner's timezone. Default: from `measured_at`, else today.
    pub date: Option<Date>,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// A validated [`LogMeasurementInput`].
#[derive(Debug, Clone)]
pub struct LogMeasurement {
    pub kind: String,
    pub value: Decimal,
    pub unit: Option<MeasureUnit>,
    pub measured_at: Option<DateTime<Utc>>,
    pub date: Option<NaiveDate>,
    pub note: Option<String>,
}

/// Correct a measurement: the fields given change, the others stay.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeasurementInput {
    /// The corrected reading, in `unit`.
    pub value: Option<Amount>,
    /// Default: the owner's display unit.
    #[schema(max_length = 20)]
    pub unit: Option<String>,
    pub measured_at: Option<Timestamp>,
    /// Move it to another day (keeps its time of day).
    pub date: Option<Date>,
    /// An empty note clears it.
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

fn clean_note(note: Option<&str>) -> AppResult<Option<String>> {
    match note.map(str::trim) {
        None | Some("") => Ok(None),
        Some(n) if n.chars().count() > MAX_NOTE => Err(AppError::invalid(
            "note",
            format!("must be at most {MAX_NOTE} characters"),
        )),
        Some(n) => Ok(Some(n.to_string())),
    }
}

impl LogMeasurementInput {
    pub fn parse(self) -> AppResult<LogMeasurement> {
        let mut v = Validation::new();
        let kind = type_name(&self.kind);
        v.check(
            !kind.is_empty() && kind.chars().count() <= 50,
            "type",
            "must be a measurement type's name (at most 50 characters)",
        );
        let unit = self
            .unit
            .as_deref()
            .and_then(|u| v.take(parse_unit_for(&kind, "unit", u)));
        let note = v.take(clean_note(self.note.as_deref())).flatten();
        v.finish()?;
        Ok(LogMeasurement {
            kind,
            value: self.value.decimal(),
            unit,
            measured_at: self.measured_at.map(Timestamp::get),
            date: self.date.map(Date::get),
            note,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Measurement {
    pub id: Uuid,
    pub user_id: Uuid,
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: String,
    /// In the owner's units, rounded to 2 places for display.
    pub value: Amount,
    pub unit: String,
    /// As stored: full precision, canonical unit.
    pub canonical_value: Amount,
    pub canonical_unit: String,
    /// The day in the owner's timezone.
    pub date: NaiveDate,
    pub measured_at: DateTime<Utc>,
    pub note: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WeightTrendPoint {
    pub date: NaiveDate,
    /// In the owner's display unit, 2 places.
    pub value: Amount,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeasurementPage {
    /// Newest first.
    pub items: Vec<Measurement>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// For `type=weight`: the smoothed weight (exponentially weighted moving average of each
    /// day's mean weight, alpha 0.1), one point per day with a weight in `from`..`to`, oldest
    /// first, at most the latest 3,660 days, in the owner's display unit. Absent for other
    /// types.
    #[schema(max_items = 3660)]
    pub trend: Option<Vec<WeightTrendPoint>>,
    /// The unit of `trend`.
    pub trend_unit: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LatestMeasurements {
    /// The latest measurement of each type, by type name.
    #[schema(max_items = 500)]
    pub items: Vec<Measurement>,
}

// ---------------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------------

const COLUMNS: &str =
    "m.id, m.user_id, m.type, m.value, m.unit, m.entry_date, m.measured_at, m.note,
     m.created_at, m.updated_at,
     (SELECT t.dimension FROM measurement_types t
      WHERE t.name = m.type AND (t.user_id IS NULL OR t.user_id = m.user_id)
      ORDER BY t.user_id NULLS FIRST LIMIT 1) AS dimension";

fn measurement_from_row(r: &tokio_postgres::Row, system: UnitsSystem) -> Measurement {
    let canonical: Decimal = r.get("value");
    let stored_unit: String = r.get("unit");
    let shown = r
        .get::<_, Option<String>>("dimension")
        .and_then(|d| Dimension::parse(&d).ok())
        .and_then(|d| measure::to_display(canonical, d, system).ok());
    let kind: String = r.get("type");
    let (value, unit) = match shown {
        Some((v, u)) => (
            v,
            sparky_core::health::shown_unit(&kind, u.as_str()).to_string(),
        ),
        // A seed-era row of a type not in the catalog: shown as stored.
        None => (
            round_dp(canonical, measure::DISPLAY_DP),
            stored_unit.clone(),
        ),
    };
    Measurement {
        id: r.get("id"),
        user_id: r.get("user_id"),
        kind,
        value: Amount(value),
        unit,
        canonical_value: Amount(canonical),
        canonical_unit: stored_unit,
        date: r.get("entry_date"),
        measured_at: r.get("measured_at"),
        note: r.get("note"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

fn measure_error(e: MeasureError) -> AppError {
    match e {
        MeasureError::UnknownUnit(_) | MeasureError::WrongUnit { .. } => {
            AppError::invalid("unit", e.to_string())
        }
        MeasureError::UnknownDimension(_) => AppError::invalid("dimension", e.to_string()),
        _ => AppError::invalid("value", e.to_string()),
    }
}

/// A range or bound refusal with its limits in `unit`, the one typed ("between 4.4 and
/// 1433 lb", not "between 2 and 650 kg" to someone who typed pounds).
fn in_typed_unit(e: MeasureError, unit: MeasureUnit) -> AppError {
    if unit == unit.dimension().canonical_unit() {
        return measure_error(e);
    }
    // Inward to a tenth, so the limits said are themselves allowed (2 kg is 4.409 lb: 4.5).
    use rust_decimal::RoundingStrategy::{
        self, ToNegativeInfinity as Down, ToPositiveInfinity as Up,
    };
    let show = |canonical: Decimal, strategy: RoundingStrategy| {
        measure::from_canonical(canonical, unit).map(|v| {
            v.round_dp_with_strategy(1, strategy)
                .normalize()
                .to_string()
        })
    };
    let said = match &e {
        MeasureError::Implausible { min, max, hint, .. } => show(*min, Up).and_then(|lo| {
            show(*max, Down).map(|hi| format!("must be between {lo} and {hi} {unit}{hint}"))
        }),
        MeasureError::TooLarge { max, .. } => {
            show(*max, Down).map(|hi| format!("must be at most {hi} {unit}"))
        }
        _ => return measure_error(e),
    };
    match said {
        Ok(text) => AppError::invalid("value", text),
        Err(_) => measure_error(e),
    }
}

/// The canonical value of `value` typed in `unit` (default: the owner's display unit).
fn canonical_value(
    kind: &str,
    value: Decimal,
    unit: Option<MeasureUnit>,
    dimension: Dimension,
    system: UnitsSystem,
) -> AppResult<Decimal> {
    let unit = unit.unwrap_or(dimension.display_unit(system));
    // A body type's own range is said before its dimension's bound (a waist of 500 in was
    // told "at most 500 cm"), and limits in the unit typed (see `in_typed_unit`).
    let canonical = measure::parse_measurement(value, unit.as_str(), dimension, VALUE_SCALE)
        .map_err(|e| match (&e, measure::plausible_range(kind)) {
            (MeasureError::TooLarge { .. }, Some((_, max))) => {
                match measure::check_plausible(kind, max + Decimal::ONE) {
                    Err(range) => in_typed_unit(range, unit),
                    Ok(()) => in_typed_unit(e, unit),
                }
            }
            _ => in_typed_unit(e, unit),
        })?;
    measure::check_plausible(kind, canonical).map_err(|e| in_typed_unit(e, unit))?;
    // Typed in: a step is a step (phones' day sums come through the health push).
    if kind == "steps" && !canonical.fract().is_zero() {
        return Err(AppError::invalid("value", "steps are a whole number"));
    }
    Ok(canonical)
}

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

/// Logs a measurement, stored in the type's canonical unit at full precision.
pub async fn log(tx: &mut UserTx, acting: Acting, m: &LogMeasurement) -> AppResult<Measurement> {
    crate::days::check_time(tx, acting, "measured_at", m.date, m.measured_at).await?;
    let dimension = require_type(tx, acting, &m.kind).await?;
    let system = units_system(tx, acting).await?;
    let value = canonical_value(&m.kind, m.value, m.unit, dimension, system)?;
    let unit = dimension.canonical_unit().as_str();
    let row = tx
        .query_one(
            &format!(
                "WITH target AS (SELECT {OWNER} AS id),
                 tz AS (SELECT coalesce((SELECT p.timezone FROM user_preferences p, target
                                          WHERE p.user_id = target.id LIMIT 1), 'UTC') AS name),
                 t AS (SELECT CASE
                           WHEN $5::timestamptz IS NOT NULL THEN $5::timestamptz
                           WHEN $6::date IS NULL OR $6::date = (now() AT TIME ZONE tz.name)::date THEN now()
                           ELSE ($6::date + time '12:00') AT TIME ZONE tz.name
                       END AS at FROM tz)
                 INSERT INTO measurements AS m (user_id, type, value, unit, measured_at, entry_date, note)
                 SELECT target.id, $2, $3, $4, t.at, $6::date, $7 FROM target, t
                 RETURNING {COLUMNS}"
            ),
            &[
                &acting.owner,
                &m.kind,
                &value,
                &unit,
                &m.measured_at,
                &m.date,
                &m.note,
            ],
        )
        .await?;
    Ok(measurement_from_row(&row, system))
}

/// Logs several measurements at once (a check-in form): every value is checked first, so
/// either all are stored or none is. A value that does not fit its type is reported under the
/// type's name (e.g. `waist`), so a form can show it next to that field.
pub async fn log_all(
    tx: &mut UserTx,
    acting: Acting,
    all: &[LogMeasurement],
) -> AppResult<Vec<Measurement>> {
    let system = units_system(tx, acting).await?;
    let mut v = Validation::new();
    for m in all {
        let dimension = match require_type(tx, acting, &m.kind).await {
            Ok(d) => d,
            Err(AppError::Invalid(f)) => {
                for problem in f.0.into_values() {
                    v.add(&m.kind, problem);
                }
                continue;
            }
            Err(e) => return Err(e),
        };
        if let Err(AppError::Invalid(f)) =
            canonical_value(&m.kind, m.value, m.unit, dimension, system)
        {
            for problem in f.0.into_values() {
                v.add(&m.kind, problem);
            }
        }
    }
    v.finish()?;
    let mut out = Vec::with_capacity(all.len());
    for m in all {
        out.push(log(tx, acting, m).await?);
    }
    Ok(out)
}

/// One measurement by id, in its owner's units (404 when it does not exist or is not
/// visible).
pub async fn get(tx: &mut UserTx, id: Uuid) -> AppResult<Measurement> {
    let row = tx
        .query_opt(
            &format!(
                "SELECT {COLUMNS},
                        (SELECT p.units_system FROM user_preferences p
                         WHERE p.user_id = m.user_id LIMIT 1) AS units_system
                 FROM measurements m WHERE m.id = $1"
            ),
            &[&id],
        )
        .await?
        .ok_or(AppError::NotFound("measurement"))?;
    let system = UnitsSystem::from_preference(row.get::<_, Option<&str>>("units_system"));
    Ok(measurement_from_row(&row, system))
}

/// Corrects a measurement's value (in `unit`, default the owner's display unit), time, day or
/// note. The correction replaces the stored value.
pub async fn update(
    tx: &mut UserTx,
    id: Uuid,
    req: UpdateMeasurementInput,
) -> AppResult<Measurement> {
    let mut v = Validation::new();
    if req.unit.is_some() && req.value.is_none() {
        v.add("unit", "give the value with its unit");
    }
    let note_given = req.note.is_some();
    let note = v.take(clean_note(req.note.as_deref())).flatten();
    let row = tx
        .query_opt(
            "SELECT user_id, type FROM measurements WHERE id = $1",
            &[&id],
        )
        .await?
        .ok_or(AppError::NotFound("measurement"))?;
    let owner = Acting::new(Some(row.get(0)));
    let kind: String = row.get(1);
    let unit = req
        .unit
        .as_deref()
        .and_then(|u| v.take(parse_unit_for(&kind, "unit", u)));
    v.finish()?;
    let system = units_system(tx, owner).await?;
    let value = match req.value {
        Some(value) => {
            let dimension = require_type(tx, owner, &kind).await?;
            Some(canonical_value(
                &kind,
                value.decimal(),
                unit,
                dimension,
                system,
            )?)
        }
        None => None,
    };
    let measured_at = req.measured_at.map(Timestamp::get);
    let date = req.date.map(Date::get);
    crate::days::check_time(tx, owner, "measured_at", date, measured_at).await?;
    let updated = tx
        .query_opt(
            &format!(
                "UPDATE measurements m SET
                     value = coalesce($2, value),
                     measured_at = CASE WHEN $3::timestamptz IS NOT NULL THEN $3::timestamptz
                                        WHEN $4::date IS NOT NULL THEN {moved}
                                        ELSE measured_at END,
                     entry_date = CASE WHEN $4::date IS NOT NULL THEN $4::date
                                       WHEN $3::timestamptz IS NOT NULL THEN NULL
                                       ELSE entry_date END,
                     note = CASE WHEN $5 THEN $6 ELSE note END
                 WHERE m.id = $1
                 RETURNING {COLUMNS}",
                moved = crate::days::same_clock_time_on(
                    "m.measured_at",
                    "$4::date",
                    "m.user_id",
                    "m.user_id"
                )
            ),
            &[&id, &value, &measured_at, &date, &note_given, &note],
        )
        .await?;
    match updated {
        Some(row) => Ok(measurement_from_row(&row, system)),
        None => Err(AppError::forbidden(DENIED)),
    }
}

/// Deletes (clears) a measurement: 404 if invisible, 403 if only readable.
pub async fn delete(tx: &mut UserTx, id: Uuid) -> AppResult<()> {
    delete_by_id(tx, "measurements", id, "measurement", DENIED).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(kind: &str, value: &str) -> LogMeasurement {
        LogMeasurementInput {
            kind: kind.into(),
            value: Amount(value.parse().unwrap()),
            unit: None,
            measured_at: None,
            date: None,
            note: None,
        }
        .parse()
        .unwrap()
    }

    /// A check-in is all or nothing, and each bad value is named by its type.
    #[tokio::test]
    async fn log_all_stores_every_value_or_none() {
        let db = sparky_testkit::TestDb::new().await;
        let owner = db.owner_client().await;
        let me: Uuid = owner
            .query_one(
                "INSERT INTO users (email, password_hash) VALUES ('ann@example.com', 'x') RETURNING id",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        let database = db.database().await;
        let mut tx = database.as_user(me).await.unwrap();
        let bad = [
            reading("weight", "80"),
            reading("body_fat", "150"),
            reading("no_such_type", "1"),
        ];
        let err = log_all(&mut tx, Acting::ME, &bad).await.unwrap_err();
        let fields = err.fields().expect("422");
        assert!(fields.0.contains_key("body_fat"), "{fields:?}");
        assert!(fields.0.contains_key("no_such_type"), "{fields:?}");
        assert!(!fields.0.contains_key("weight"), "{fields:?}");
        let q = ListQuery::parse(None, None, None, None, None).unwrap();
        assert!(list(&mut tx, Acting::ME, &q)
            .await
            .unwrap()
            .items
            .is_empty());

        let good = [reading("weight", "80.5"), reading("waist", "90")];
        let logged = log_all(&mut tx, Acting::ME, &good).await.unwrap();
        assert_eq!(logged.len(), 2);
        let items = list(&mut tx, Acting::ME, &q).await.unwrap().items;
        let mut kinds: Vec<&str> = items.iter().map(|m| m.kind.as_str()).collect();
        kinds.sort();
        assert_eq!(kinds, ["waist", "weight"]);
        assert_eq!(
            items
                .iter()
                .find(|m| m.kind == "weight")
                .unwrap()
                .canonical_value
                .decimal(),
            "80.5".parse::<Decimal>().unwrap()
        );
    }
}
