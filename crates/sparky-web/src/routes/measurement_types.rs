//! `/api/v1/measurement-types`: the built-in measurement types and your custom ones (see
//! `sparky_app::measurement_types`).

use axum::http::StatusCode;
use axum::response::Response;
use sparky_app::measurement_types::{self, MeasurementType, MeasurementTypeInput};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{ActingFor, Auth};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::idempotency::IdempotentJson;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_measurement_types, create_measurement_type))
}

/// Measurement types: the built-in ones and the custom types of the user (yourself, or
/// `?user_id=` someone whose measurements are shared with you).
#[utoipa::path(get, path = "/api/v1/measurement-types", tag = "measurements",
    params(ActingFor),
    responses(
        (status = 200, description = "Built-in types first, then custom ones, by name (at most 300)", body = Vec<MeasurementType>),
    ))]
async fn list_measurement_types(
    Auth { mut tx, .. }: Auth,
    acting: ActingFor,
) -> ApiResult<ApiJson<Vec<MeasurementType>>> {
    let types = measurement_types::list(&mut tx, acting.acting()).await?;
    tx.commit().await?;
    Ok(ApiJson(types))
}

/// Create a custom measurement type of your own (at most 200).
#[utoipa::path(post, path = "/api/v1/measurement-types", tag = "measurements",
    params(super::IdempotencyKeyHeader),
    request_body = MeasurementTypeInput,
    responses(
        (status = 201, description = "Created", body = MeasurementType),
        (status = 409, description = "A type of that name exists (built-in or yours)", body = ErrorBody),
    ))]
async fn create_measurement_type(
    Auth { mut tx, .. }: Auth,
    IdempotentJson(idem, input): IdempotentJson<MeasurementTypeInput>,
) -> ApiResult<Response> {
    let new = input.parse()?;
    let response = idem
        .run(&mut tx, StatusCode::CREATED, async |tx| {
            Ok(measurement_types::create(tx, &new).await?)
        })
        .await?;
    tx.commit().await?;
    Ok(response)
}
