//! `/api/v1/preferences`: theme, units, AI provider, timezone (see `sparky_app::preferences`).

use sparky_app::preferences::{self, Preferences, PreferencesUpdate};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{ActingFor, Auth};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_preferences, put_preferences))
}

/// Your preferences, or those of someone who shared data with you (`?user_id=`).
#[utoipa::path(get, path = "/api/v1/preferences", tag = "preferences",
    params(ActingFor),
    responses(
        (status = 200, description = "Preferences", body = Preferences),
        (status = 404, description = "Not visible to you", body = ErrorBody),
    ))]
async fn get_preferences(
    Auth { mut tx, .. }: Auth,
    acting: ActingFor,
) -> ApiResult<ApiJson<Preferences>> {
    let prefs = preferences::get(&mut tx, acting.acting()).await?;
    tx.commit().await?;
    Ok(ApiJson(prefs))
}

/// Change preferences. Unknown fields and invalid values are refused with the field named.
#[utoipa::path(put, path = "/api/v1/preferences", tag = "preferences",
    params(ActingFor),
    request_body = PreferencesUpdate,
    responses(
        (status = 200, description = "Updated preferences", body = Preferences),
        (status = 403, description = "Shared with you to read, not to change", body = ErrorBody),
        (status = 404, description = "Not shared with you", body = ErrorBody),
    ))]
async fn put_preferences(
    Auth { mut tx, .. }: Auth,
    acting: ActingFor,
    ApiJson(update): ApiJson<PreferencesUpdate>,
) -> ApiResult<ApiJson<Preferences>> {
    let prefs = preferences::update(&mut tx, acting.acting(), update).await?;
    tx.commit().await?;
    Ok(ApiJson(prefs))
}
