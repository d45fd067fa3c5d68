//! Body measurements and check-ins: weight, body fat, girths, heart rate, steps, water and
//! user-defined types. Values are stored in the canonical unit of their type (kg, cm, ml, %,
//! count, bpm) at full precision and shown in the owner's unit system, so 90 lb stays 90 lb.
//! Weight listings carry a smoothed trend (EWMA, alpha [`trend::DEFAULT_ALPHA`] = 0.1).
//! `?user_id=` acts on a family member's measurements; RLS alone decides (`checkin` reads
//! and writes, `reports` reads).

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sparky_core::measure::{self, Dimension, MeasureError, MeasureUnit, UnitsSystem};
use sparky_core::trend;
use sparky_core::units::round_dp;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::nutrients::{decimal_from_f64, f64_of};
use crate::auth::{ActingFor, Auth};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::AppState;
use sparky_db::UserTx;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_types, create_type))
        .routes(routes!(list_measurements, log_measurement))
        .routes(routes!(latest_measurements))
        .routes(routes!(update_measurement, delete_measurement))
}

/// Decimal places `measurements.value` keeps (numeric(14,6)).
const VALUE_SCALE: u32 = 6;
/// Days of weights before `from` that warm up the trend, so it does not restart at `from`.
const TREND_WARMUP_DAYS: i64 = 60;
const MAX_NOTE: usize = 2000;

// ---------------------------------------------------------------------------------------------
// Measurement types
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct MeasurementType {
    pub id: Uuid,
    /// snake_case, e.g. `weight`, `body_fat`, `bicep_left`.
    pub name: String,
    /// The canonical unit values are stored in: kg, cm, %, count, ml or bpm.
    pub unit: String,
    /// mass, length, percent, count, volume or rate.
    pub dimension: String,
    /// The unit values are shown in for this user (their unit system).
    pub display_unit: String,
    /// Units a value may be entered in.
    pub accepted_units: Vec<String>,
    /// Owner of a custom type; null for a built-in one.
    pub user_id: Option<Uuid>,
    pub built_in: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMeasurementType {
    /// snake_case: a lowercase letter, then lowercase letters, digits or `_`; at most 50.
    pub name: String,
    /// mass, length, percent, count, volume or rate. May be left out when `unit` is given.
    pub dimension: Option<String>,
    /// Any unit of the dimension (e.g. `in` for a length); values are stored in the
    /// dimension's canonical unit whatever is given here.
    pub unit: Option<String>,
}

fn type_from_row(r: &tokio_postgres::Row, system: UnitsSystem) -> MeasurementType {
    let dimension: String = r.get("dimension");
    let dim = Dimension::parse(&dimension).ok();
    let user_id: Option<Uuid> = r.get("user_id");
    MeasurementType {
        id: r.get("id"),
        name: r.get("name"),
        unit: r.get("unit"),
        display_unit: dim
            .map(|d| d.display_unit(system).as_str().to_string())
            .unwrap_or_else(|| r.get("unit")),
        accepted_units: dim
            .map(|d| d.units().iter().map(|u| u.as_str().to_string()).collect())
            .unwrap_or_default(),
        dimension,
        built_in: user_id.is_none(),
        user_id,
    }
}

fn valid_type_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && name.len() <= 50
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

/// The owner's unit system (their preference, read through RLS: any family grant shows it).
async fn units_of(tx: &mut UserTx, owner: Option<Uuid>) -> ApiResult<UnitsSystem> {
    let row = tx
        .query_opt(
            "SELECT units_system FROM user_preferences WHERE user_id = (SELECT coalesce($1::uuid, auth.uid())) LIMIT 1",
            &[&owner],
        )
        .await?;
    Ok(UnitsSystem::from_preference(
        row.and_then(|r| r.get::<_, Option<String>>(0)).as_deref(),
    ))
}

/// Measurement types: the built-in ones and the custom types of the user (yourself, or
/// `?user_id=` someone whose measurements are shared with you).
#[utoipa::path(get, path = "/api/v1/measurement-types", tag = "measurements",
    security(("session" = []), ("api_key" = [])),
    params(ActingFor),
    responses(
        (status = 200, description = "Built-in types first, then custom ones, by name", body = Vec<MeasurementType>),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ))]
async fn list_types(
    Auth { mut tx, .. }: Auth,
    acting: ActingFor,
) -> ApiResult<ApiJson<Vec<MeasurementType>>> {
    let system = units_of(&mut tx, acting.user_id).await?;
    let rows = tx
        .query_and_commit(
            "SELECT id, user_id, name, unit, dimension FROM measurement_types
             WHERE user_id IS NULL OR user_id = (SELECT coalesce($1::uuid, auth.uid()))
             ORDER BY user_id NULLS FIRST, name",
            &[&acting.user_id],
        )
        .await?;
    Ok(ApiJson(
        rows.iter().map(|r| type_from_row(r, system)).collect(),
    ))
}

/// Create a custom measurement type of your own.
#[utoipa::path(post, path = "/api/v1/measurement-types", tag = "measurements",
    security(("session" = []), ("api_key" = [])),
    request_body = NewMeasurementType,
    responses(
        (status = 201, description = "Created", body = MeasurementType),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 409, description = "A type of that name exists (built-in or yours)", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody),
    ))]
async fn create_type(
    Auth { mut tx, .. }: Auth,
    ApiJson(req): ApiJson<NewMeasurementType>,
) -> ApiResult<(StatusCode, ApiJson<MeasurementType>)> {
    let name = req.name.trim().to_string();
    if !valid_type_name(&name) {
        return Err(ApiError::invalid(
            "name",
            "must be snake_case: a lowercase letter, then lowercase letters, digits or _ (at most 50)",
        ));
    }
    let unit = req
        .unit
        .as_deref()
        .map(MeasureUnit::parse)
        .transpose()
        .map_err(|e| ApiError::invalid("unit", e.to_string()))?;
    let dimension = match (req.dimension.as_deref(), unit) {
        (Some(d), unit) => {
            let d =
                Dimension::parse(d).map_err(|e| ApiError::invalid("dimension", e.to_string()))?;
            if let Some(u) = unit {
                if u.dimension() != d {
                    return Err(ApiError::invalid(
                        "unit",
                        measure::to_canonical(Decimal::ONE, u, d)
                            .err()
                            .map(|e| e.to_string())
                            .unwrap_or_default(),
                    ));
                }
            }
            d
        }
        (None, Some(u)) => u.dimension(),
        (None, None) => {
            return Err(ApiError::invalid(
                "dimension",
                "give a dimension (mass, length, percent, count, volume, rate) or a unit",
            ))
        }
    };
    let clash = tx
        .query_opt(
            "SELECT 1 FROM measurement_types WHERE name = $1 AND (user_id IS NULL OR user_id = auth.uid())",
            &[&name],
        )
        .await?;
    if clash.is_some() {
        return Err(ApiError::conflict(format!(
            "a measurement type named {name} already exists"
        )));
    }
    let system = units_of(&mut tx, None).await?;
    let row = tx
        .query_one(
            "INSERT INTO measurement_types (user_id, name, unit, dimension)
             VALUES (auth.uid(), $1, $2, $3)
             RETURNING id, user_id, name, unit, dimension",
            &[
                &name,
                &dimension.canonical_unit().as_str(),
                &dimension.as_str(),
            ],
        )
        .await?;
    let out = type_from_row(&row, system);
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(out)))
}

// ---------------------------------------------------------------------------------------------
// Measurements
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogMeasurement {
    /// A measurement type's name (`GET /api/v1/measurement-types`).
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: String,
    /// The reading, in `unit`.
    pub value: f64,
    /// A unit of the type's dimension (e.g. kg, lb, g for weight). Default: the owner's
    /// display unit (lb / in / fl oz for imperial users, kg / cm / ml for metric).
    pub unit: Option<String>,
    /// When it was measured (RFC 3339). Default: now for today, else noon of `date`.
    pub measured_at: Option<DateTime<Utc>>,
    /// The day (YYYY-MM-DD) in the owner's timezone. Default: from `measured_at`, else today.
    pub date: Option<NaiveDate>,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeasurement {
    /// The corrected reading, in `unit`.
    pub value: Option<f64>,
    /// Default: the owner's display unit.
    pub unit: Option<String>,
    pub measured_at: Option<DateTime<Utc>>,
    /// Move it to another day (keeps its time of day).
    pub date: Option<NaiveDate>,
    /// An empty note clears it.
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Measurement {
    pub id: Uuid,
    pub user_id: Uuid,
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: String,
    /// In the owner's units, rounded to 2 places for display.
    pub value: f64,
    pub unit: String,
    /// As stored: full precision, canonical unit.
    pub canonical_value: f64,
    pub canonical_unit: String,
    /// The day in the owner's timezone.
    pub date: NaiveDate,
    pub measured_at: DateTime<Utc>,
    pub note: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WeightTrendPoint {
    pub date: NaiveDate,
    /// In the owner's display unit, 2 places.
    pub value: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeasurementPage {
    /// Newest first.
    pub items: Vec<Measurement>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// For `type=weight`: the smoothed weight (exponentially weighted moving average of each
    /// day's mean weight, alpha 0.1), one point per day with a weight in `from`..`to`, oldest
    /// first, in the owner's display unit. Absent for other types.
    pub trend: Option<Vec<WeightTrendPoint>>,
    /// The unit of `trend`.
    pub trend_unit: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LatestMeasurements {
    /// The latest measurement of each type, by type name.
    pub items: Vec<Measurement>,
}

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
    let (value, unit) = match shown {
        Some((v, u)) => (v, u.as_str().to_string()),
        // A seed-era row of a type not in the catalog: shown as stored.
        None => (
            round_dp(canonical, measure::DISPLAY_DP),
            stored_unit.clone(),
        ),
    };
    Measurement {
        id: r.get("id"),
        user_id: r.get("user_id"),
        kind: r.get("type"),
        value: f64_of(value),
        unit,
        canonical_value: f64_of(canonical),
        canonical_unit: stored_unit,
        date: r.get("entry_date"),
        measured_at: r.get("measured_at"),
        note: r.get("note"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

/// The dimension of a type known for the owner (built-in or the owner's custom type).
async fn dimension_of(tx: &mut UserTx, kind: &str, owner: Option<Uuid>) -> ApiResult<Dimension> {
    let row = tx
        .query_opt(
            "SELECT dimension FROM measurement_types
             WHERE name = $1 AND (user_id IS NULL OR user_id = (SELECT coalesce($2::uuid, auth.uid())))
             ORDER BY user_id NULLS FIRST LIMIT 1",
            &[&kind, &owner],
        )
        .await?;
    row.and_then(|r| Dimension::parse(r.get::<_, &str>(0)).ok())
        .ok_or_else(|| {
            ApiError::invalid(
                "type",
                format!("unknown measurement type {kind:?}; see GET /api/v1/measurement-types"),
            )
        })
}

fn measure_error(e: MeasureError) -> ApiError {
    match e {
        MeasureError::UnknownUnit(_) | MeasureError::WrongUnit { .. } => {
            ApiError::invalid("unit", e.to_string())
        }
        MeasureError::UnknownDimension(_) => ApiError::invalid("dimension", e.to_string()),
        _ => ApiError::invalid("value", e.to_string()),
    }
}

/// The canonical value of `value` typed in `unit` (default: the owner's display unit).
fn canonical_value(
    value: f64,
    unit: Option<&str>,
    dimension: Dimension,
    system: UnitsSystem,
) -> ApiResult<Decimal> {
    let v = decimal_from_f64("value", value)?;
    let unit = unit.unwrap_or(dimension.display_unit(system).as_str());
    measure::parse_measurement(v, unit, dimension, VALUE_SCALE).map_err(measure_error)
}

fn clean_note(note: Option<&str>) -> ApiResult<Option<String>> {
    match note.map(str::trim) {
        None | Some("") => Ok(None),
        Some(n) if n.chars().count() > MAX_NOTE => Err(ApiError::invalid(
            "note",
            format!("must be at most {MAX_NOTE} characters"),
        )),
        Some(n) => Ok(Some(n.to_string())),
    }
}

/// Log a measurement (a check-in). Stored in the type's canonical unit at full precision;
/// returned in the owner's units and as stored.
#[utoipa::path(post, path = "/api/v1/measurements", tag = "measurements",
    security(("session" = []), ("api_key" = [])),
    params(ActingFor),
    request_body = LogMeasurement,
    responses(
        (status = 201, description = "Logged", body = Measurement),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "No write access to that user's measurements", body = ErrorBody),
        (status = 422, description = "Invalid input (unknown type, unit not of the type, implausible value, bad date)", body = ErrorBody),
    ))]
async fn log_measurement(
    Auth { mut tx, .. }: Auth,
    acting: ActingFor,
    ApiJson(req): ApiJson<LogMeasurement>,
) -> ApiResult<(StatusCode, ApiJson<Measurement>)> {
    let kind = req.kind.trim().to_string();
    let note = clean_note(req.note.as_deref())?;
    let dimension = dimension_of(&mut tx, &kind, acting.user_id).await?;
    let system = units_of(&mut tx, acting.user_id).await?;
    let value = canonical_value(req.value, req.unit.as_deref(), dimension, system)?;
    let unit = dimension.canonical_unit().as_str();
    let row = tx
        .query_one(
            &format!(
                "WITH target AS (SELECT coalesce($1::uuid, auth.uid()) AS id),
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
                &acting.user_id,
                &kind,
                &value,
                &unit,
                &req.measured_at,
                &req.date,
                &note,
            ],
        )
        .await?;
    let out = measurement_from_row(&row, system);
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(out)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only this type (e.g. `weight`; weight listings include the trend).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    /// First day (YYYY-MM-DD, the owner's local day), inclusive.
    pub from: Option<String>,
    /// Last day, inclusive.
    pub to: Option<String>,
    /// 1–500, default 100.
    pub limit: Option<i64>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Whose measurements (default: yours).
    pub user_id: Option<Uuid>,
}

fn parse_date(field: &str, s: Option<&str>) -> ApiResult<Option<NaiveDate>> {
    s.filter(|s| !s.is_empty())
        .map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| ApiError::invalid(field, "must be a date like 2026-11-25"))
        })
        .transpose()
}

fn encode_cursor(at: DateTime<Utc>, id: Uuid) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("m:{}:{id}", at.timestamp_micros()))
}

fn decode_cursor(c: &str) -> ApiResult<(DateTime<Utc>, Uuid)> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            let rest = s.strip_prefix("m:")?;
            let (micros, id) = rest.split_once(':')?;
            let at = DateTime::<Utc>::from_timestamp_micros(micros.parse().ok()?)?;
            Some((at, id.parse().ok()?))
        })
        .ok_or_else(|| ApiError::invalid("cursor", "is not a cursor from a previous page"))
}

/// Is `owner` someone whose measurements the caller may read (themselves or by a grant)?
async fn may_read(tx: &mut UserTx, owner: Option<Uuid>) -> ApiResult<bool> {
    let me = tx.user_id().await?;
    match owner {
        None => Ok(true),
        Some(o) if o == me => Ok(true),
        Some(o) => Ok(tx
            .query_opt(
                "SELECT 1 FROM family_access WHERE grantor_user_id = $1 AND grantee_user_id = auth.uid()
                 AND access_type IN ('checkin', 'reports')",
                &[&o],
            )
            .await?
            .is_some()),
    }
}

/// Measurements, newest first, optionally of one type and between two days. A weight listing
/// also returns the smoothed trend over the same days.
#[utoipa::path(get, path = "/api/v1/measurements", tag = "measurements",
    security(("session" = []), ("api_key" = [])),
    params(ListParams),
    responses(
        (status = 200, description = "A page of measurements", body = MeasurementPage),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "Those measurements are not shared with you", body = ErrorBody),
        (status = 422, description = "Invalid parameter", body = ErrorBody),
    ))]
async fn list_measurements(
    Auth { mut tx, .. }: Auth,
    Query(p): Query<ListParams>,
) -> ApiResult<ApiJson<MeasurementPage>> {
    let from = parse_date("from", p.from.as_deref())?;
    let to = parse_date("to", p.to.as_deref())?;
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(ApiError::invalid("to", "must not be before from"));
        }
    }
    let limit = p.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 500"));
    }
    let cursor = p.cursor.as_deref().map(decode_cursor).transpose()?;
    if !may_read(&mut tx, p.user_id).await? {
        return Err(ApiError::not_found("measurements"));
    }
    let kind = p.kind.as_deref().map(str::trim).filter(|k| !k.is_empty());
    let dimension = match kind {
        Some(k) => Some(dimension_of(&mut tx, k, p.user_id).await?),
        None => None,
    };
    let system = units_of(&mut tx, p.user_id).await?;
    let (cursor_at, cursor_id) = (cursor.map(|c| c.0), cursor.map(|c| c.1));
    let fetch = limit + 1;
    let rows = tx
        .query(
            &format!(
                "SELECT {COLUMNS} FROM measurements m
                 WHERE m.user_id = (SELECT coalesce($1::uuid, auth.uid()))
                   AND ($2::text IS NULL OR m.type = $2)
                   AND ($3::date IS NULL OR m.entry_date >= $3)
                   AND ($4::date IS NULL OR m.entry_date <= $4)
                   AND ($5::timestamptz IS NULL OR (m.measured_at, m.id) < ($5, $6::uuid))
                 ORDER BY m.measured_at DESC, m.id DESC
                 LIMIT $7"
            ),
            &[
                &p.user_id, &kind, &from, &to, &cursor_at, &cursor_id, &fetch,
            ],
        )
        .await?;
    let more = rows.len() as i64 > limit;
    let items: Vec<Measurement> = rows
        .iter()
        .take(limit as usize)
        .map(|r| measurement_from_row(r, system))
        .collect();
    let next_cursor = more
        .then(|| rows.get(limit as usize - 1))
        .flatten()
        .map(|r| encode_cursor(r.get("measured_at"), r.get("id")));
    let (trend, trend_unit) = if kind == Some("weight") {
        let dimension = dimension.unwrap_or(Dimension::Mass);
        let warmup = from.map(|f| f - chrono::Duration::days(TREND_WARMUP_DAYS));
        let days = tx
            .query(
                "SELECT entry_date, round(avg(value), 6) AS value FROM measurements
                 WHERE user_id = (SELECT coalesce($1::uuid, auth.uid())) AND type = 'weight'
                   AND ($2::date IS NULL OR entry_date >= $2)
                   AND ($3::date IS NULL OR entry_date <= $3)
                 GROUP BY entry_date ORDER BY entry_date",
                &[&p.user_id, &warmup, &to],
            )
            .await?;
        let points: Vec<(NaiveDate, Decimal)> = days.iter().map(|r| (r.get(0), r.get(1))).collect();
        let unit = dimension.display_unit(system);
        let smoothed = trend::ewma(&points, trend::DEFAULT_ALPHA)
            .into_iter()
            .filter(|(d, _)| !matches!(from, Some(f) if *d < f))
            .map(|(date, v)| WeightTrendPoint {
                date,
                value: measure::to_display(v, dimension, system)
                    .map(|(v, _)| f64_of(v))
                    .unwrap_or_default(),
            })
            .collect();
        (Some(smoothed), Some(unit.as_str().to_string()))
    } else {
        (None, None)
    };
    tx.commit().await?;
    Ok(ApiJson(MeasurementPage {
        items,
        next_cursor,
        trend,
        trend_unit,
    }))
}

/// The latest measurement of each type (one query, DISTINCT ON type).
#[utoipa::path(get, path = "/api/v1/measurements/latest", tag = "measurements",
    security(("session" = []), ("api_key" = [])),
    params(ActingFor),
    responses(
        (status = 200, description = "Latest per type", body = LatestMeasurements),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "Those measurements are not shared with you", body = ErrorBody),
    ))]
async fn latest_measurements(
    Auth { mut tx, .. }: Auth,
    acting: ActingFor,
) -> ApiResult<ApiJson<LatestMeasurements>> {
    if !may_read(&mut tx, acting.user_id).await? {
        return Err(ApiError::not_found("measurements"));
    }
    let system = units_of(&mut tx, acting.user_id).await?;
    let rows = tx
        .query_and_commit(
            &format!(
                "SELECT DISTINCT ON (m.type) {COLUMNS} FROM measurements m
                 WHERE m.user_id = (SELECT coalesce($1::uuid, auth.uid()))
                 ORDER BY m.type, m.measured_at DESC, m.created_at DESC, m.id DESC"
            ),
            &[&acting.user_id],
        )
        .await?;
    Ok(ApiJson(LatestMeasurements {
        items: rows
            .iter()
            .map(|r| measurement_from_row(r, system))
            .collect(),
    }))
}

fn parse_id(key: &str) -> ApiResult<Uuid> {
    key.parse().map_err(|_| ApiError::not_found("measurement"))
}

/// Correct a measurement: its value (in `unit`, default the owner's display unit), time, day
/// or note. The correction replaces the stored value.
#[utoipa::path(put, path = "/api/v1/measurements/{id}", tag = "measurements",
    security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path, description = "Measurement id")),
    request_body = UpdateMeasurement,
    responses(
        (status = 200, description = "Updated", body = Measurement),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "You may read these measurements but not change them", body = ErrorBody),
        (status = 404, description = "No such measurement", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody),
    ))]
async fn update_measurement(
    Auth { mut tx, .. }: Auth,
    Path(key): Path<String>,
    ApiJson(req): ApiJson<UpdateMeasurement>,
) -> ApiResult<ApiJson<Measurement>> {
    let id = parse_id(&key)?;
    let row = tx
        .query_opt(
            "SELECT user_id, type FROM measurements WHERE id = $1",
            &[&id],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("measurement"))?;
    let owner: Uuid = row.get(0);
    let kind: String = row.get(1);
    let system = units_of(&mut tx, Some(owner)).await?;
    let value = match req.value {
        Some(v) => {
            let dimension = dimension_of(&mut tx, &kind, Some(owner)).await?;
            Some(canonical_value(v, req.unit.as_deref(), dimension, system)?)
        }
        None if req.unit.is_some() => {
            return Err(ApiError::invalid("unit", "give the value with its unit"))
        }
        None => None,
    };
    let note_given = req.note.is_some();
    let note = clean_note(req.note.as_deref())?;
    let updated = tx
        .query_opt(
            &format!(
                "UPDATE measurements m SET
                     value = coalesce($2, value),
                     measured_at = CASE WHEN $3::timestamptz IS NOT NULL THEN $3::timestamptz
                                        WHEN $4::date IS NOT NULL THEN measured_at + ($4::date - entry_date) * interval '1 day'
                                        ELSE measured_at END,
                     entry_date = CASE WHEN $4::date IS NOT NULL THEN $4::date
                                       WHEN $3::timestamptz IS NOT NULL THEN NULL
                                       ELSE entry_date END,
                     note = CASE WHEN $5 THEN $6 ELSE note END
                 WHERE m.id = $1
                 RETURNING {COLUMNS}"
            ),
            &[&id, &value, &req.measured_at, &req.date, &note_given, &note],
        )
        .await?;
    let Some(row) = updated else {
        return Err(ApiError::forbidden(
            "you may read these measurements but not change them",
        ));
    };
    let out = measurement_from_row(&row, system);
    tx.commit().await?;
    Ok(ApiJson(out))
}

/// Delete (clear) a measurement.
#[utoipa::path(delete, path = "/api/v1/measurements/{id}", tag = "measurements",
    security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path, description = "Measurement id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "You may read these measurements but not change them", body = ErrorBody),
        (status = 404, description = "No such measurement", body = ErrorBody),
    ))]
async fn delete_measurement(
    Auth { tx, .. }: Auth,
    Path(key): Path<String>,
) -> ApiResult<StatusCode> {
    let id = parse_id(&key)?;
    let rows = tx
        .query_and_commit(
            "WITH d AS (DELETE FROM measurements WHERE id = $1 RETURNING 1)
             SELECT (SELECT count(*) FROM d), EXISTS (SELECT 1 FROM measurements WHERE id = $1)",
            &[&id],
        )
        .await?;
    let (deleted, visible): (i64, bool) = rows
        .first()
        .map(|r| (r.get(0), r.get(1)))
        .unwrap_or((0, false));
    match (deleted, visible) {
        (n, _) if n > 0 => Ok(StatusCode::NO_CONTENT),
        (_, true) => Err(ApiError::forbidden(
            "you may read these measurements but not change them",
        )),
        _ => Err(ApiError::not_found("measurement")),
    }
}
