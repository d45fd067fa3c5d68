//! API keys for scripts and apps: shown once, stored hashed, revoked at once.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::Page;
use crate::auth::{self, Auth};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_key, list_keys))
        .routes(routes!(delete_key))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyRequest {
    /// What the key is for, e.g. "phone shortcut".
    pub name: String,
    /// When the key stops working (default: never).
    pub expires_at: Option<DateTime<Utc>>,
}

/// A key as listed: never the secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyInfo {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub key_prefix: String,
    pub created_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKey {
    #[serde(flatten)]
    pub info: ApiKeyInfo,
    /// The key itself. Shown only in this response; store it now.
    pub key: String,
}

const COLUMNS: &str = "id, name, key_prefix, created_at, expires_at, last_used_at";

fn info_from(r: &tokio_postgres::Row) -> ApiKeyInfo {
    ApiKeyInfo {
        id: r.get("id"),
        name: r.get("name"),
        key_prefix: r.get("key_prefix"),
        created_at: r.get("created_at"),
        expires_at: r.get("expires_at"),
        last_used_at: r.get("last_used_at"),
    }
}

/// Create an API key. The key is returned once.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api keys",
    security(("session" = []), ("api_key" = [])),
    request_body = CreateKeyRequest,
    responses(
        (status = 201, description = "Created; `key` is shown only now", body = CreatedKey),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody),
    ))]
async fn create_key(
    Auth { tx, .. }: Auth,
    ApiJson(req): ApiJson<CreateKeyRequest>,
) -> ApiResult<(StatusCode, ApiJson<CreatedKey>)> {
    let name = req.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid("name", "must be 1 to 100 characters"));
    }
    if req.expires_at.is_some_and(|t| t <= Utc::now()) {
        return Err(ApiError::invalid("expires_at", "must be in the future"));
    }
    let key = format!("{}{}", auth::API_KEY_PREFIX, auth::random_secret());
    let prefix: String = key.chars().take(12).collect();
    let rows = tx
        .query_and_commit(
            &format!(
                "INSERT INTO api_keys (user_id, name, key_prefix, key_hash, expires_at)
                 VALUES (auth.uid(), $1, $2, $3, $4) RETURNING {COLUMNS}"
            ),
            &[&name, &prefix, &auth::token_hash(&key), &req.expires_at],
        )
        .await?;
    let info = rows.first().map(info_from).ok_or_else(ApiError::internal)?;
    Ok((StatusCode::CREATED, ApiJson(CreatedKey { info, key })))
}

/// Your API keys (without secrets), newest first.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api keys",
    security(("session" = []), ("api_key" = [])),
    params(Page),
    responses(
        (status = 200, description = "Your keys", body = Vec<ApiKeyInfo>),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ))]
async fn list_keys(
    Auth { tx, .. }: Auth,
    Query(page): Query<Page>,
) -> ApiResult<ApiJson<Vec<ApiKeyInfo>>> {
    let (limit, offset) = page.bounds()?;
    let rows = tx
        .query_and_commit(
            &format!(
                "SELECT {COLUMNS} FROM api_keys WHERE user_id = auth.uid()
                 ORDER BY created_at DESC, id LIMIT $1 OFFSET $2"
            ),
            &[&limit, &offset],
        )
        .await?;
    Ok(ApiJson(rows.iter().map(info_from).collect()))
}

/// Revoke a key; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api keys",
    security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path, description = "Key id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such key of yours", body = ErrorBody),
    ))]
async fn delete_key(Auth { mut tx, .. }: Auth, Path(id): Path<Uuid>) -> ApiResult<StatusCode> {
    let n = tx
        .execute("DELETE FROM api_keys WHERE id = $1", &[&id])
        .await?;
    tx.commit().await?;
    if n == 0 {
        return Err(ApiError::not_found("API key"));
    }
    Ok(StatusCode::NO_CONTENT)
}
