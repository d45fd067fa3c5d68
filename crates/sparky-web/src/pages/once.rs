//! A write form's once-token: a random value rendered into the form ([`super::Shell::once`])
//! and kept (in the idempotency store, `sparky_app::idempotency`) in the transaction of what
//! the form wrote. The same form sent again (its answer lost on a bad connection, a
//! resubmitted page, a double tap without JavaScript) finds the token and writes nothing more.
//!
//! The token is kept in the write's transaction: a write that fails or is rolled back forgets
//! it, so the form can be corrected and sent again. A form that sent no token always writes.

use sparky_app::idempotency;
use sparky_db::UserTx;

use super::PageError;

/// The longest token a form sends (a UUID and a suffix such as a food's id); with the form's
/// kind in front it stays within the store's 255 characters.
const MAX_TOKEN_LEN: usize = 100;

fn key(kind: &str, token: Option<&str>) -> Result<Option<String>, PageError> {
    let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if token.len() > MAX_TOKEN_LEN || token.chars().any(char::is_control) {
        return Err(PageError::invalid(
            "_once",
            format!("must be 1 to {MAX_TOKEN_LEN} characters of text"),
        ));
    }
    Ok(Some(format!("page-{kind}:{token}")))
}

/// Whether this is the first time the form of `kind` with `token` is sent, so its write should
/// run (the token is then kept). Waits for a send of the same form still running.
pub(super) async fn first_send(
    tx: &mut UserTx,
    kind: &str,
    token: Option<&str>,
) -> Result<bool, PageError> {
    Ok(match earlier_answer(tx, kind, token).await? {
        Some(_) => false,
        None => {
            keep(tx, kind, token, "").await?;
            true
        }
    })
}

/// Where the earlier send of this form led (its redirect; empty when it kept none), or `None`
/// when this is the first send. Waits for a send of the same form still running.
pub(super) async fn earlier_answer(
    tx: &mut UserTx,
    kind: &str,
    token: Option<&str>,
) -> Result<Option<String>, PageError> {
    let Some(key) = key(kind, token)? else {
        return Ok(None);
    };
    Ok(idempotency::begin(tx, &key, &key).await?.map(|replay| {
        replay.body["location"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }))
}

/// Keeps the token with where the write led (`location`, for a send again to go there too).
pub(super) async fn keep(
    tx: &mut UserTx,
    kind: &str,
    token: Option<&str>,
    location: &str,
) -> Result<(), PageError> {
    if let Some(key) = key(kind, token)? {
        let body = serde_json::json!({ "location": location });
        idempotency::record(tx, &key, &key, &format!("page-{kind}"), 303, &body).await?;
    }
    Ok(())
}

/// The body of a write form that sends nothing but its tokens.
#[derive(serde::Deserialize)]
pub struct OnceOnly {
    #[serde(rename = "_once")]
    pub once: Option<String>,
}
