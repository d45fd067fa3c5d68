//! API keys for scripts and apps: shown once, stored hashed, revoked at once.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sparky_core::Timestamp;
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::accounts::credentials::{random_secret, token_hash, API_KEY_PREFIX};
use crate::error::{AppError, AppResult};
use crate::paging::{LimitBounds, Page, PageRequest};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyInput {
    /// What the key is for, e.g. "phone shortcut".
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// When the key stops working (default: never).
    pub expires_at: Option<Timestamp>,
    /// true: the key reads but cannot change anything (a dashboard, a backup script): every
    /// write with it is a 403. Default false.
    #[serde(default)]
    pub read_only: bool,
}

/// A key as listed: never the secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKeyInfo {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub key_prefix: String,
    pub created_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// Reads only: every write with it is refused (403).
    pub read_only: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedKey {
    #[serde(flatten)]
    pub info: ApiKeyInfo,
    /// The key itself. Shown only in this response; store it now.
    pub key: String,
}

const COLUMNS: &str = "id, name, key_prefix, created_at, expires_at, last_used_at, read_only";

fn info_from(r: &tokio_postgres::Row) -> ApiKeyInfo {
    ApiKeyInfo {
        id: r.get("id"),
        name: r.get("name"),
        key_prefix: r.get("key_prefix"),
        created_at: r.get("created_at"),
        expires_at: r.get("expires_at"),
        last_used_at: r.get("last_used_at"),
        read_only: r.get("read_only"),
    }
}

/// Bounds of a key list page.
pub const LIST_LIMIT: LimitBounds = LimitBounds::new(50, 200);

/// Creates a key for the signed-in user; the secret is in the answer only.
pub async fn create(tx: &mut UserTx, input: CreateKeyInput) -> AppResult<CreatedKey> {
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid("name", "must be 1 to 100 characters"));
    }
    let expires_at = input.expires_at.map(Timestamp::get);
    if expires_at.is_some_and(|t| t <= Utc::now()) {
        return Err(AppError::invalid("expires_at", "must be in the future"));
    }
    let key = format!("{API_KEY_PREFIX}{}", random_secret());
    let prefix: String = key.chars().take(12).collect();
    let row = tx
        .query_one(
            // Made with an API key (`app.api_key_id`, set by auth.resolve_credential): it
            // expires no later than that key, so an expiring key cannot mint a lasting one.
            &format!(
                "WITH creator AS (
                     SELECT expires_at FROM api_keys
                     WHERE id = nullif(current_setting('app.api_key_id', true), '')::uuid)
                 INSERT INTO api_keys (user_id, name, key_prefix, key_hash, expires_at, read_only)
                 VALUES (auth.uid(), $1, $2, $3,
                         CASE WHEN (SELECT expires_at FROM creator) IS NULL THEN $4
                              ELSE least(coalesce($4, 'infinity'::timestamptz),
                                         (SELECT expires_at FROM creator)) END,
                         $5)
                 RETURNING {COLUMNS}"
            ),
            &[
                &name,
                &prefix,
                &token_hash(&key),
                &expires_at,
                &input.read_only,
            ],
        )
        .await?;
    Ok(CreatedKey {
        info: info_from(&row),
        key,
    })
}

/// The signed-in user's keys (without secrets), newest first.
pub async fn list(tx: &mut UserTx, page: &PageRequest, offset: i64) -> AppResult<Page<ApiKeyInfo>> {
    let after: Option<(DateTime<Utc>, Uuid)> = page.after()?;
    let (after_at, after_id) = after.unzip();
    let rows = tx
        .query(
            &format!(
                "SELECT {COLUMNS} FROM api_keys WHERE user_id = auth.uid()
                   AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))
                 ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $4"
            ),
            &[&page.fetch(), &after_at, &after_id, &offset],
        )
        .await?;
    let keys: Vec<ApiKeyInfo> = rows.iter().map(info_from).collect();
    Ok(page.finish_keyset(keys, |k| (k.created_at, k.id)))
}

/// Revokes a key of the signed-in user; it stops working at once.
pub async fn revoke(tx: &mut UserTx, id: Uuid) -> AppResult<()> {
    let n = tx
        .execute("DELETE FROM api_keys WHERE id = $1", &[&id])
        .await?;
    if n == 0 {
        return Err(AppError::NotFound("API key"));
    }
    Ok(())
}
