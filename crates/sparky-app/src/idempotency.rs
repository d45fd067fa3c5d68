//! Retry-safe writes: a client that sends the same `Idempotency-Key` again (after a timeout or
//! a dropped connection) gets the first answer instead of a second write. The answer is stored
//! in the same transaction as the write, so either both happen or neither does. A key is bound
//! to the request it was first used with (a fingerprint of it); reusing it for a different
//! request is refused. Keys belong to the user who sent them and are kept for 24 hours.

use serde_json::Value;
use sparky_db::UserTx;

use crate::error::{AppError, AppResult};

/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// The stored answer of an earlier attempt with the same key.
#[derive(Debug, Clone)]
pub struct Replay {
    pub status: u16,
    pub body: Value,
}

/// Checks a key as sent: 1 to 255 visible characters.
pub fn parse_key(raw: &str) -> AppResult<String> {
    let key = raw.trim();
    if key.is_empty() || key.len() > MAX_KEY_LEN || key.chars().any(|c| c.is_control()) {
        return Err(AppError::invalid(
            "Idempotency-Key",
            "must be 1 to 255 characters of text",
        ));
    }
    Ok(key.to_string())
}

/// Starts an idempotent write: waits for a concurrent attempt with the same key to finish,
/// then returns its stored answer, if any. The same key used for a different request is a 422.
pub async fn begin(tx: &mut UserTx, key: &str, fingerprint: &str) -> AppResult<Option<Replay>> {
    // Serialise attempts with one key; the second waits and then finds the first answer.
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended(auth.uid()::text || ':' || $1, 42))",
        &[&key],
    )
    .await?;
    let stored = tx
        .query_opt(
            "SELECT response_status, response_body, request_fingerprint FROM idempotency_keys
             WHERE user_id = auth.uid() AND idempotency_key = $1
               AND created_at > now() - interval '24 hours'",
            &[&key],
        )
        .await?;
    let Some(row) = stored else {
        return Ok(None);
    };
    let first: Option<String> = row.get(2);
    if first.as_deref().is_some_and(|f| f != fingerprint) {
        return Err(AppError::invalid(
            "Idempotency-Key",
            "was already used for a different request; use a new key for a new request",
        ));
    }
    Ok(Some(Replay {
        status: row.get::<_, i32>(0) as u16,
        body: row.get(1),
    }))
}

/// Stores the answer of a write made under `key`, replacing an expired earlier use.
pub async fn record(
    tx: &mut UserTx,
    key: &str,
    fingerprint: &str,
    path: &str,
    status: u16,
    body: &Value,
) -> AppResult<()> {
    let status = i32::from(status);
    tx.execute(
        "DELETE FROM idempotency_keys WHERE user_id = auth.uid() AND idempotency_key = $1",
        &[&key],
    )
    .await?;
    tx.execute(
        "INSERT INTO idempotency_keys (user_id, idempotency_key, request_path, request_fingerprint,
                                       response_status, response_body)
         VALUES (auth.uid(), $1, $2, $3, $4, $5)",
        &[&key, &path, &fingerprint, &status, body],
    )
    .await?;
    Ok(())
}
