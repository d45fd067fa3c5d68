//! `/api/v1/measurements`: body measurements and check-ins (see `sparky_app::measurements`).
//! `?user_id=` acts on a family member's measurements; RLS alone decides (`checkin` reads and
//! writes, `reports` reads).

use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use sparky_app::measurements::{
    self, LatestMeasurements, ListQuery, LogMeasurementInput, Measurement, MeasurementPage,
    UpdateMeasurementInput,
};
use sparky_core::Date;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{ActingFor, Auth};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::idempotency::IdempotentJson;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_measurements, log_measurement))
        .routes(routes!(latest_measurements))
        .routes(routes!(
            get_measurement,
            update_measurement,
            delete_measurement
        ))
}

/// A measurement id; anything that is not a UUID names no measurement (404).
fn measurement_id(key: &str) -> Result<Uuid, ApiError> {
    key.parse()
        .map_err(|_| sparky_app::AppError::NotFound("measurement").into())
}

/// Log a measurement (a check-in). Stored in the type's canonical unit at full precision;
/// returned in the owner's units and as stored. Send an `Idempotency-Key` header to make
/// retries safe.
#[utoipa::path(post, path = "/api/v1/measurements", tag = "measurements",
    params(ActingFor, super::IdempotencyKeyHeader),
    request_body = LogMeasurementInput,
    responses(
        (status = 201, description = "Logged", body = Measurement),
        (status = 403, description = "No write access to that user's measurements", body = ErrorBody),
        (status = 404, description = "Those measurements are not shared with you", body = ErrorBody),
    ))]
async fn log_measurement(
    Auth { mut tx, .. }: Auth,
    acting: ActingFor,
    IdempotentJson(idem, input): IdempotentJson<LogMeasurementInput>,
) -> ApiResult<Response> {
    let m = input.parse()?;
    let response = idem
        .run(&mut tx, StatusCode::CREATED, async |tx| {
            Ok(measurements::log(tx, acting.acting(), &m).await?)
        })
        .await?;
    tx.commit().await?;
    Ok(response)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only this type (e.g. `weight`, any letter case; weight listings include the trend).
    #[serde(rename = "type")]
    #[param(rename = "type", max_length = 50)]
    pub kind: Option<String>,
    /// First day (the owner's local day, 1900-01-01 to 2199-12-31), inclusive.
    pub from: Option<Date>,
    /// Last day, inclusive.
    pub to: Option<Date>,
    /// 1–500, default 100.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// From the previous page's `next_cursor`.
    #[param(max_length = 512)]
    pub cursor: Option<String>,
    /// Whose measurements (default: yours).
    pub user_id: Option<Uuid>,
}

/// Measurements, newest first, optionally of one type and between two days. A weight listing
/// also returns the smoothed trend over the same days.
#[utoipa::path(get, path = "/api/v1/measurements", tag = "measurements",
    params(ListParams),
    responses(
        (status = 200, description = "A page of measurements", body = MeasurementPage),
        (status = 404, description = "Those measurements are not shared with you", body = ErrorBody),
    ))]
async fn list_measurements(
    Auth { mut tx, .. }: Auth,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<ApiJson<MeasurementPage>> {
    let q = ListQuery::parse(
        p.kind.as_deref(),
        p.from,
        p.to,
        p.limit,
        p.cursor.as_deref(),
    )?;
    let page = measurements::list(&mut tx, sparky_app::Acting::new(p.user_id), &q).await?;
    tx.commit().await?;
    Ok(ApiJson(page))
}

/// The latest measurement of each type.
#[utoipa::path(get, path = "/api/v1/measurements/latest", tag = "measurements",
    params(ActingFor),
    responses(
        (status = 200, description = "Latest per type", body = LatestMeasurements),
        (status = 404, description = "Those measurements are not shared with you", body = ErrorBody),
    ))]
async fn latest_measurements(
    Auth { mut tx, .. }: Auth,
    acting: ActingFor,
) -> ApiResult<ApiJson<LatestMeasurements>> {
    let latest = measurements::latest(&mut tx, acting.acting()).await?;
    tx.commit().await?;
    Ok(ApiJson(latest))
}

/// One measurement, in its owner's units.
#[utoipa::path(get, path = "/api/v1/measurements/{id}", tag = "measurements",
    params(("id" = Uuid, Path, description = "Measurement id")),
    responses(
        (status = 200, description = "The measurement", body = Measurement),
        (status = 404, description = "No such measurement visible to you", body = ErrorBody),
    ))]
async fn get_measurement(
    Auth { mut tx, .. }: Auth,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<ApiJson<Measurement>> {
    let m = measurements::get(&mut tx, measurement_id(&key)?).await?;
    tx.commit().await?;
    Ok(ApiJson(m))
}

/// Correct a measurement: its value (in `unit`, default the owner's display unit), time, day
/// or note. The correction replaces the stored value.
#[utoipa::path(put, path = "/api/v1/measurements/{id}", tag = "measurements",
    params(("id" = Uuid, Path, description = "Measurement id")),
    request_body = UpdateMeasurementInput,
    responses(
        (status = 200, description = "Updated", body = Measurement),
        (status = 403, description = "You may read these measurements but not change them", body = ErrorBody),
        (status = 404, description = "No such measurement", body = ErrorBody),
    ))]
async fn update_measurement(
    Auth { mut tx, .. }: Auth,
    ApiPath(key): ApiPath<String>,
    ApiJson(input): ApiJson<UpdateMeasurementInput>,
) -> ApiResult<ApiJson<Measurement>> {
    let m = measurements::update(&mut tx, measurement_id(&key)?, input).await?;
    tx.commit().await?;
    Ok(ApiJson(m))
}

/// Delete (clear) a measurement.
#[utoipa::path(delete, path = "/api/v1/measurements/{id}", tag = "measurements",
    params(("id" = Uuid, Path, description = "Measurement id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "You may read these measurements but not change them", body = ErrorBody),
        (status = 404, description = "No such measurement", body = ErrorBody),
    ))]
async fn delete_measurement(
    Auth { mut tx, .. }: Auth,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<StatusCode> {
    measurements::delete(&mut tx, measurement_id(&key)?).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
