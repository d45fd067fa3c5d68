//! `/api/v1/assistant/meal-photo`, `/meal-photo/log` and `/nutrition-label`: photos and labels
//! through the user's vision model (see `sparky_app::assistant::photos`). The two photo routes
//! take bodies up to [`PHOTO_MAX_BODY`] (every other route keeps `SPARKY_MAX_BODY`); the body
//! is read only after the credential was accepted (`auth::unauthenticated_first` checks it
//! before any large body), with no database connection held meanwhile.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::Response;
use sparky_app::assistant::photos::{
    self, LabelPhotoInput, LabelProposal, MealEstimate, MealLogInput, MealLogged, MealPhotoInput,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Auth;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::idempotency::IdempotentJson;
use crate::AppState;

/// Largest body of the two photo routes: 8 MiB (a resized photo in base64 with room to spare).
pub const PHOTO_MAX_BODY: usize = 8 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(estimate_meal_photo))
        .routes(routes!(read_nutrition_label))
        .layer(DefaultBodyLimit::max(PHOTO_MAX_BODY))
        .merge(OpenApiRouter::new().routes(routes!(log_meal_photo)))
}

/// What a meal photo shows: the foods your vision model sees, with estimated grams, each
/// matched to a food you can log (`food`, null when the search is not confident) with its
/// calories and up to three `alternatives`. Nothing is written to the diary: confirm with
/// `POST /api/v1/assistant/meal-photo/log`. Items the model gave no usable weight for, more
/// than 3000 g, or past 20 are left out and named in `warnings`. Uses your assistant settings
/// (the vision model when set) and counts against the assistant's rate limit and daily token
/// budget. Bodies up to 8 MiB.
#[utoipa::path(post, path = "/api/v1/assistant/meal-photo", tag = "assistant",
    request_body = MealPhotoInput,
    responses(
        (status = 200, description = "The estimate (nothing written)", body = MealEstimate),
        (status = 409, description = "The assistant is not set up", body = ErrorBody),
        (status = 429, description = "The assistant's rate limit or daily token budget is used up; wait `Retry-After` seconds", body = ErrorBody),
        (status = 502, description = "The AI provider failed or its answer could not be read", body = ErrorBody),
        (status = 504, description = "The AI provider did not answer in time", body = ErrorBody),
    ))]
async fn estimate_meal_photo(
    State(state): State<AppState>,
    Auth { tx, .. }: Auth,
    ApiJson(input): ApiJson<MealPhotoInput>,
) -> ApiResult<ApiJson<MealEstimate>> {
    let input = input.parse()?;
    let estimate = photos::estimate_meal(&state.db, &state.assistant, tx, input).await?;
    Ok(ApiJson(estimate))
}

/// Log the confirmed items of a meal photo, in grams, all in one go: every item is written or
/// none (a food you cannot see, or one without a weight in grams, is a 422 naming the item).
/// One assistant action: `POST /api/v1/chat/actions/{action_id}/undo` removes them all. Send an
/// `Idempotency-Key` header to make retries safe.
#[utoipa::path(post, path = "/api/v1/assistant/meal-photo/log", tag = "assistant",
    params(super::IdempotencyKeyHeader),
    request_body = MealLogInput,
    responses(
        (status = 201, description = "Logged", body = MealLogged),
    ))]
async fn log_meal_photo(
    Auth { mut tx, .. }: Auth,
    IdempotentJson(idem, input): IdempotentJson<MealLogInput>,
) -> ApiResult<Response> {
    let input = input.parse()?;
    let response = idem
        .run(&mut tx, StatusCode::CREATED, async |tx| {
            Ok(photos::log_meal(tx, &input).await?)
        })
        .await?;
    tx.commit().await?;
    Ok(response)
}

/// Read a nutrition-label photo into a food: `food` is exactly a `POST /api/v1/foods` body
/// (check it, then post it there). A label with per-100 g values and a serving size gives both
/// servings; energy printed only in kJ is converted; energy that does not match the macros is a
/// warning. Impossible values (negative, over 900 kcal per 100 g) are a 422 on `image`. Uses
/// your assistant settings and counts against the assistant's limits. Bodies up to 8 MiB.
#[utoipa::path(post, path = "/api/v1/assistant/nutrition-label", tag = "assistant",
    request_body = LabelPhotoInput,
    responses(
        (status = 200, description = "The proposed food (nothing stored)", body = LabelProposal),
        (status = 409, description = "The assistant is not set up", body = ErrorBody),
        (status = 429, description = "The assistant's rate limit or daily token budget is used up; wait `Retry-After` seconds", body = ErrorBody),
        (status = 502, description = "The AI provider failed or its answer could not be read", body = ErrorBody),
        (status = 504, description = "The AI provider did not answer in time", body = ErrorBody),
    ))]
async fn read_nutrition_label(
    State(state): State<AppState>,
    Auth { tx, .. }: Auth,
    ApiJson(input): ApiJson<LabelPhotoInput>,
) -> ApiResult<ApiJson<LabelProposal>> {
    let proposal = photos::read_label(&state.db, &state.assistant, tx, input).await?;
    Ok(ApiJson(proposal))
}
