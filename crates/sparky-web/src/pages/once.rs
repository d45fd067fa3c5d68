//! A write form's once-token: a random value rendered into the form and kept (in the
//! idempotency store, `sparky_app::idempotency`) with what the form wrote, in the same
//! transaction. The same form sent again (its answer lost on a bad connection, a resubmitted
//! page, a double tap without JavaScript) finds the token and writes nothing more.

use sparky_app::idempotency;
use sparky_db::UserTx;

use super::PageError;

/// The store's key for `token` sent by a form of `kind` (none when the form sent none).
pub(super) fn key(kind: &str, token: Option<&str>) -> Result<Option<String>, PageError> {
    token
        .filter(|t| !t.is_empty())
        .map(|t| idempotency::parse_key(t).map(|t| format!("page-{kind}:{t}")))
        .transpose()
        .map_err(PageError::from)
}

/// Whether the form was sent before (its write is done). Waits for a send still running.
pub(super) async fn seen(tx: &mut UserTx, key: &Option<String>) -> Result<bool, PageError> {
    match key {
        Some(k) => Ok(idempotency::begin(tx, k, k).await?.is_some()),
        None => Ok(false),
    }
}

/// Keeps the token with the write, in its transaction.
pub(super) async fn keep(
    tx: &mut UserTx,
    key: &Option<String>,
    path: &str,
) -> Result<(), PageError> {
    if let Some(k) = key {
        idempotency::record(tx, k, k, path, 303, &serde_json::json!({})).await?;
    }
    Ok(())
}
