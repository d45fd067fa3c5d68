//! The signed-in user's browser sessions: list them (with where and when each was last used)
//! and end one or all the others. RLS shows and deletes only one's own sessions.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// A session as listed: never its token.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionInfo {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// The session this request came with.
    pub current: bool,
}

/// Sessions listed at most (a browser each; far more means something else is wrong).
const MAX_LISTED: i64 = 200;

/// The signed-in user's unexpired sessions, most recently used first.
pub async fn list(tx: &mut UserTx) -> AppResult<Vec<SessionInfo>> {
    let rows = tx
        .query(
            "SELECT id, created_at, last_seen_at, expires_at, user_agent, ip,
                    id::text = coalesce(current_setting('app.session_id', true), '') AS current
             FROM sessions WHERE user_id = auth.uid() AND expires_at > now()
             ORDER BY last_seen_at DESC, id LIMIT $1",
            &[&MAX_LISTED],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| SessionInfo {
            id: r.get("id"),
            created_at: r.get("created_at"),
            last_seen_at: r.get("last_seen_at"),
            expires_at: r.get("expires_at"),
            user_agent: r.get("user_agent"),
            ip: r.get("ip"),
            current: r.get("current"),
        })
        .collect())
}

/// Ends one of the signed-in user's sessions (404 when there is no such session of theirs).
pub async fn end(tx: &mut UserTx, id: Uuid) -> AppResult<()> {
    let n = tx
        .execute(
            "DELETE FROM sessions WHERE id = $1 AND user_id = auth.uid()",
            &[&id],
        )
        .await?;
    if n == 0 {
        return Err(AppError::NotFound("session"));
    }
    Ok(())
}

/// Ends every session of the signed-in user but the one this request came with; returns how
/// many ended.
pub async fn end_others(tx: &mut UserTx) -> AppResult<u64> {
    Ok(tx
        .execute(
            "DELETE FROM sessions WHERE user_id = auth.uid()
               AND id::text <> coalesce(current_setting('app.session_id', true), '')",
            &[],
        )
        .await?)
}
