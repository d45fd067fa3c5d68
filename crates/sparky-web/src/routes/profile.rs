//! `/api/v1/profile`: sex, birth date, height and activity level for the energy equations
//! (see `sparky_app::profile`). Yours to change; readable by anyone you share data with.

use sparky_app::profile::{self, Profile, ProfileInput};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{ActingFor, Auth};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_profile, put_profile))
}

/// Your profile, or that of someone who shared data with you (`?user_id=`). Fields never set
/// are null.
#[utoipa::path(get, path = "/api/v1/profile", tag = "profile",
    params(ActingFor),
    responses(
        (status = 200, description = "The profile", body = Profile),
        (status = 404, description = "Not shared with you", body = ErrorBody),
    ))]
async fn get_profile(Auth { mut tx, .. }: Auth, acting: ActingFor) -> ApiResult<ApiJson<Profile>> {
    let p = profile::get(&mut tx, acting.acting()).await?;
    tx.commit().await?;
    Ok(ApiJson(p))
}

/// Change your profile: fields left out keep their value, `null` clears one.
/// `GET /api/v1/goals/suggest` and goals set `with_calorie_target` use it.
#[utoipa::path(put, path = "/api/v1/profile", tag = "profile",
    request_body = ProfileInput,
    responses(
        (status = 200, description = "The updated profile", body = Profile),
    ))]
async fn put_profile(
    Auth { mut tx, .. }: Auth,
    ApiJson(input): ApiJson<ProfileInput>,
) -> ApiResult<ApiJson<Profile>> {
    let change = input.parse()?;
    let p = profile::update(&mut tx, &change).await?;
    tx.commit().await?;
    Ok(ApiJson(p))
}
