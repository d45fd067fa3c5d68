//! Using a password link (the page `/set-password?token=…` and `POST
//! /api/v1/auth/password-link`): whoever holds a live link an administrator made
//! ([`super::administer::make_password_link`]) chooses the account's password. The database
//! keeps only the secret's hash and decides whether the link is live (migration
//! `2026_12_17_09_00_password_links`).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use sparky_core::account::{check_new_password, check_password_for};
use sparky_db::{Database, UserTx};
use utoipa::ToSchema;
use uuid::Uuid;

use super::credentials;
use crate::error::{AppError, AppResult};

/// Where a password link's page is; the secret goes in the query, which the request log
/// leaves out (it records paths only).
pub const PAGE_PATH: &str = "/set-password";

/// The address of the link with `secret`, on the server at `origin`.
pub fn url(origin: &str, secret: &str) -> String {
    format!("{}{PAGE_PATH}?token={secret}", origin.trim_end_matches('/'))
}

/// The account a live link sets the password of.
#[derive(Debug, Clone)]
pub struct LinkedAccount {
    pub user_id: Uuid,
    pub email: String,
    pub full_name: Option<String>,
    pub expires_at: DateTime<Utc>,
    /// The account's timezone (IANA name), to say until when the link works.
    pub timezone: String,
}

/// A link's secret is 43 URL-safe characters; anything much longer is not one.
const MAX_TOKEN_LEN: usize = 128;

fn gone() -> AppError {
    AppError::NotFound("password link")
}

/// The account of the live link with `token`, or 404 (used, replaced, expired, a disabled
/// account, or never made).
pub async fn find(anonymous: &mut UserTx, token: &str) -> AppResult<LinkedAccount> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(gone());
    }
    let row = anonymous
        .query_opt(
            "SELECT user_id, email, full_name, expires_at, timezone FROM auth.password_link($1)",
            &[&credentials::token_hash(token)],
        )
        .await?
        .ok_or_else(gone)?;
    Ok(LinkedAccount {
        user_id: row.get(0),
        email: row.get(1),
        full_name: row.get(2),
        expires_at: row.get(3),
        timezone: row.get(4),
    })
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsePasswordLinkInput {
    /// The `token` of the link's address.
    #[schema(max_length = 128)]
    pub token: String,
    /// The account's new password: at least 10 characters, not one of the most common ones.
    #[schema(min_length = 10, max_length = 1024)]
    pub password: String,
}

/// Sets the password of the link's account (its sessions end) and uses the link up; returns
/// the account. 404 when the link is not live, 422 naming `password` when it breaks the
/// rules (the link still works then).
pub async fn use_link(db: &Database, input: UsePasswordLinkInput) -> AppResult<Uuid> {
    check_new_password(&input.password).map_err(|e| AppError::invalid("password", e))?;
    let account = {
        let mut tx = db.anonymous().await?;
        let account = find(&mut tx, &input.token).await?;
        tx.commit().await?;
        account
    };
    check_password_for(&input.password, &account.email)
        .map_err(|e| AppError::invalid("password", e))?;
    // Hashed without a connection held; the link is used (and checked live again) after.
    let hash = credentials::hash_password(input.password).await?;
    let mut tx = db.anonymous().await?;
    let used: Option<Uuid> = tx
        .query_one(
            "SELECT auth.use_password_link($1, $2)",
            &[&credentials::token_hash(&input.token), &hash],
        )
        .await?
        .get(0);
    tx.commit().await?;
    let user_id = used.ok_or_else(gone)?;
    tracing::info!(user_id = %user_id, "password set with a password link");
    Ok(user_id)
}

/// `POST /api/v1/auth/password-link/request`: the e-mail address of the account whose
/// password was forgotten.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestPasswordLinkInput {
    #[schema(max_length = 255, example = "ann@example.com")]
    pub email: String,
}

/// How long a link asked for by e-mail works: shorter than an administrator's, as it travels
/// through a mailbox rather than by hand.
pub const REQUESTED_LINK_MINUTES: i32 = 60;

/// A password link made because someone asked for it with the account's e-mail address; it
/// goes to that address, never to whoever asked.
#[derive(Debug, Clone)]
pub struct RequestedLink {
    pub email: String,
    pub full_name: Option<String>,
    /// The link's secret, for its address ([`url`]).
    pub secret: String,
    pub expires_at: DateTime<Utc>,
    /// The account's timezone (IANA name), to say until when the link works.
    pub timezone: String,
}

/// Makes (or replaces) the password link of the enabled account with `email`, to be mailed to
/// it. None when no enabled account has that address; the caller must answer the same either
/// way, so that asking tells nobody which addresses have accounts.
pub async fn request_by_email(
    anonymous: &mut UserTx,
    email: &str,
) -> AppResult<Option<RequestedLink>> {
    let email =
        sparky_core::account::Email::parse(email).map_err(|e| AppError::invalid("email", e))?;
    let secret = credentials::random_secret();
    let row = anonymous
        .query_opt(
            "SELECT email, full_name, expires_at, timezone
             FROM auth.request_password_link($1, $2, make_interval(mins => $3))",
            &[
                &email.as_str(),
                &credentials::token_hash(&secret),
                &REQUESTED_LINK_MINUTES,
            ],
        )
        .await?;
    Ok(row.map(|row| RequestedLink {
        email: row.get(0),
        full_name: row.get(1),
        secret,
        expires_at: row.get(2),
        timezone: row.get(3),
    }))
}
