//! `/api/v1/family-access` and `/api/v1/accessible-users`: sharing data with another account
//! (see `sparky_app::family`). RLS enforces what each access type allows.

use axum::http::StatusCode;
use sparky_app::family::{self, AccessibleUser, CreateGrantInput, Grant, Grants};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_grant, list_grants))
        .routes(routes!(delete_grant))
        .routes(routes!(accessible_users))
}

/// Share a kind of your data with another account.
#[utoipa::path(post, path = "/api/v1/family-access", tag = "family access",
    request_body = CreateGrantInput,
    responses(
        (status = 201, description = "Granted", body = Grant),
        (status = 404, description = "No account with that email", body = ErrorBody),
        (status = 409, description = "Already granted", body = ErrorBody),
    ))]
async fn create_grant(
    Auth { mut tx, .. }: Auth,
    ApiJson(input): ApiJson<CreateGrantInput>,
) -> ApiResult<(StatusCode, ApiJson<Grant>)> {
    let grant = family::grant(&mut tx, input).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(grant)))
}

/// Grants you gave and grants you received.
#[utoipa::path(get, path = "/api/v1/family-access", tag = "family access",
    responses((status = 200, description = "Grants", body = Grants)))]
async fn list_grants(Auth { mut tx, .. }: Auth) -> ApiResult<ApiJson<Grants>> {
    let grants = family::list(&mut tx).await?;
    tx.commit().await?;
    Ok(ApiJson(grants))
}

/// Remove a grant you gave, or leave one you were given; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/family-access/{id}", tag = "family access",
    params(("id" = Uuid, Path, description = "Grant id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such grant (or not one you gave or were given)", body = ErrorBody),
    ))]
async fn delete_grant(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    family::revoke(&mut tx, id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// People whose data you may see or change (use their id as `?user_id=`).
#[utoipa::path(get, path = "/api/v1/accessible-users", tag = "family access",
    responses((status = 200, description = "People who shared data with you", body = Vec<AccessibleUser>)))]
async fn accessible_users(Auth { mut tx, .. }: Auth) -> ApiResult<ApiJson<Vec<AccessibleUser>>> {
    let users = family::accessible_users(&mut tx).await?;
    tx.commit().await?;
    Ok(ApiJson(users))
}
