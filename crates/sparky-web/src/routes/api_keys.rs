//! `/api/v1/api-keys`: keys for scripts and apps (see `sparky_app::api_keys`).

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sparky_app::api_keys::{self, ApiKeyInfo, CreateKeyInput, CreatedKey};
use sparky_app::PageRequest;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_key, list_keys))
        .routes(routes!(delete_key))
}

/// Create an API key. The key is returned once.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api keys",
    request_body = CreateKeyInput,
    responses((status = 201, description = "Created; `key` is shown only now", body = CreatedKey)))]
async fn create_key(
    Auth { mut tx, .. }: Auth,
    ApiJson(input): ApiJson<CreateKeyInput>,
) -> ApiResult<(StatusCode, ApiJson<CreatedKey>)> {
    let created = api_keys::create(&mut tx, input).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(created)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeyListParams {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// From the previous page's `X-Next-Cursor` header.
    #[param(max_length = 512)]
    pub cursor: Option<String>,
    /// Deprecated: skip this many keys (use `cursor`).
    #[param(minimum = 0, maximum = 10000)]
    pub offset: Option<i64>,
}

/// Your API keys (without secrets), newest first. When more follow, the `X-Next-Cursor`
/// response header holds the `cursor` for the next page.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api keys",
    params(KeyListParams),
    responses((status = 200, description = "Your keys", body = Vec<ApiKeyInfo>,
        headers(("x-next-cursor" = String, description = "Cursor of the next page, when there is one")))))]
async fn list_keys(
    Auth { mut tx, .. }: Auth,
    ApiQuery(p): ApiQuery<KeyListParams>,
) -> ApiResult<Response> {
    let page = PageRequest::parse(p.limit, p.cursor.as_deref(), api_keys::LIST_LIMIT)?;
    let offset = p.offset.unwrap_or(0);
    if !(0..=10_000).contains(&offset) {
        return Err(ApiError::invalid("offset", "must be between 0 and 10000"));
    }
    let keys = api_keys::list(&mut tx, &page, offset).await?;
    tx.commit().await?;
    let mut response = ApiJson(keys.items).into_response();
    if let Some(next) = keys
        .next_cursor
        .and_then(|c| HeaderValue::from_str(&c).ok())
    {
        response.headers_mut().insert("x-next-cursor", next);
    }
    Ok(response)
}

/// Revoke a key; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api keys",
    params(("id" = Uuid, Path, description = "Key id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such key of yours", body = ErrorBody),
    ))]
async fn delete_key(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    api_keys::revoke(&mut tx, id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
