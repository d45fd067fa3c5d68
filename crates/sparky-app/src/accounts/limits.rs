//! Sign-in and sign-up attempt limits, shared by every instance through the database.

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
    let mut caps = vec![cap(limits.per_account)];
    if let Some(ip) = ip {
        keys.push(format!("ip:{ip}"));
        caps.push(cap(limits.per_ip));
    }
    note_attempt(tx, &keys, &caps).await
}

/// Counts a registration from the client address (when known); 429 with the seconds to wait
/// when the address has used `per_ip` in the last minute. A separate count from sign-ins, so
/// signing in does not use up sign-ups or the other way round.
pub async fn note_signup_attempt(
    tx: &mut UserTx,
    per_ip: u32,
    ip: Option<IpAddr>,
) -> AppResult<()> {
    let Some(ip) = ip else { return Ok(()) };
    note_attempt(tx, &[format!("signup-ip:{ip}")], &[cap(per_ip)]).await
}

/// Counts a request for a mailed password link: per client address (when known, `per_ip` a
/// minute) and one a minute per e-mail address, whether or not it has an account, so neither
/// a mailbox nor the mail server can be flooded through the form.
pub async fn note_password_link_request(
    tx: &mut UserTx,
    per_ip: u32,
    ip: Option<IpAddr>,
    email: &str,
) -> AppResult<()> {
    let mut keys = vec![format!(
        "link-mail:{}",
        super::credentials::token_hash(&email.trim().to_lowercase())
    )];
    let mut caps = vec![1];
    if let Some(ip) = ip {
        keys.push(format!("link-ip:{ip}"));
        caps.push(cap(per_ip));
    }
    note_attempt(tx, &keys, &caps).await
}

/// Counts a check of a signed-in user's own password (changing it, deleting the account)
/// against `per_account` a minute, in `anonymous`, which this commits: the request's own
/// transaction rolls back on a wrong password and would take the count with it. Without it,
/// someone holding a stolen session could guess the password at full speed.
pub async fn note_own_password_check(
    mut anonymous: UserTx,
    per_account: u32,
    user_id: uuid::Uuid,
) -> AppResult<()> {
    let counted = note_attempt(
        &mut anonymous,
        &[format!("password-check:{user_id}")],
        &[cap(per_account)],
    )
    .await;
    anonymous.commit().await?;
    counted
}

/// One attempt against each key (`auth.note_login_attempt`: a sliding minute per key).
async fn note_attempt(tx: &mut UserTx, keys: &[String], caps: &[i32]) -> AppResult<()> {
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

/// A configured limit as the database counts it: at least 1, and a huge one (beyond i32)
/// stays huge instead of wrapping to a negative limit that refused every attempt.
fn cap(limit: u32) -> i32 {
    i32::try_from(limit.max(1)).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    #[test]
    fn limits_do_not_wrap() {
        assert_eq!(super::cap(0), 1);
        assert_eq!(super::cap(5), 5);
        assert_eq!(super::cap(u32::MAX), i32::MAX);
    }
}
