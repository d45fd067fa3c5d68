//! Sign-in attempt limits, shared by every instance through the database.

use std::net::IpAddr;

use sparky_db::UserTx;

use crate::error::{AppError, AppResult};

/// Attempts allowed per minute, per client address and per account.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    pub per_ip: u32,
    pub per_account: u32,
}

/// Counts a sign-in attempt for the client address (when known) and the account; 429 with the
/// seconds to wait when either is over its limit in the last minute.
pub async fn note_login_attempt(
    tx: &mut UserTx,
    limits: LoginLimits,
    ip: Option<IpAddr>,
    email: &str,
) -> AppResult<()> {
    let mut keys = vec![format!(
        "account:{}",
        super::credentials::token_hash(&email.trim().to_lowercase())
    )];
    let mut caps = vec![limits.per_account.max(1) as i32];
    if let Some(ip) = ip {
        keys.push(format!("ip:{ip}"));
        caps.push(limits.per_ip.max(1) as i32);
    }
    let wait: i32 = tx
        .query_one("SELECT auth.note_login_attempt($1, $2)", &[&keys, &caps])
        .await?
        .get(0);
    if wait > 0 {
        return Err(AppError::RateLimited {
            retry_after: wait as u64,
        });
    }
    Ok(())
}
