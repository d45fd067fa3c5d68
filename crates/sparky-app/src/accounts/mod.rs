//! Accounts: registration, sign-in and sessions, the signed-in user, passwords. Credentials
//! and the shared sign-in limits live in the submodules; `admin` holds what `sparky user`
//! does as the database owner.

pub mod admin;
pub mod administer;
pub mod credentials;
pub mod limits;
pub mod password_links;
pub mod sessions;

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sparky_core::account::{check_new_password, check_password_for, parse_full_name, Email};
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{AppError, AppResult, Validation};
pub use limits::{
    note_login_attempt, note_own_password_check, note_password_link_request, note_signup_attempt,
    LoginLimits,
};

/// The signed-in user.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub full_name: Option<String>,
    pub is_admin: bool,
    pub created_at: Option<DateTime<Utc>>,
}

const USER_COLUMNS: &str = "id, email, full_name, is_admin, created_at";

fn user_from(row: &tokio_postgres::Row) -> User {
    User {
        id: row.get("id"),
        email: row.get("email"),
        full_name: row.get("full_name"),
        is_admin: row.get("is_admin"),
        created_at: row.get("created_at"),
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterInput {
    #[schema(max_length = 254)]
    pub email: String,
    /// At least 10 characters, not one of the most common passwords.
    #[schema(min_length = 10, max_length = 1024)]
    pub password: String,
    #[schema(max_length = 255)]
    pub full_name: String,
}

/// A validated registration, with the password already hashed.
pub struct NewAccount {
    pub email: Email,
    pub full_name: String,
    pub password_hash: String,
}

impl RegisterInput {
    /// Validates every field (reporting all problems at once), then hashes the password.
    pub async fn parse(self) -> AppResult<NewAccount> {
        let (email, full_name) =
            check_new_account(&self.email, &self.full_name, Some(&self.password))?;
        Ok(NewAccount {
            email,
            full_name,
            password_hash: credentials::hash_password(self.password).await?,
        })
    }
}

/// The sign-up rules for a new account's fields (every problem reported at once): the parsed
/// email and name. No password: the account gets a password link instead.
pub(crate) fn check_new_account(
    email: &str,
    full_name: &str,
    password: Option<&str>,
) -> AppResult<(Email, String)> {
    let mut v = Validation::new();
    let parsed_email = Email::parse(email).map_err(|e| v.add("email", e)).ok();
    let parsed_name = parse_full_name(full_name)
        .map_err(|e| v.add("full_name", e))
        .ok();
    if let Some(Err(e)) = password.map(|p| check_password_for(p, email)) {
        v.add("password", e);
    }
    v.finish()?;
    match (parsed_email, parsed_name) {
        (Some(email), Some(name)) => Ok((email, name)),
        _ => Err(AppError::internal("validated account lost a field")),
    }
}

/// Admits a registration before its password is hashed (the costly part): refuses it when
/// signup is closed (only the first account may register then; [`register`] decides again
/// under its lock, this is the cheap early answer), and counts it against the client address's
/// sign-ups per minute (`signups_per_minute_ip`, 429 with the seconds to wait).
pub async fn admit_signup(
    db: &sparky_db::Database,
    allow_signup: bool,
    signups_per_minute_ip: u32,
    ip: Option<IpAddr>,
) -> AppResult<()> {
    let mut tx = db.anonymous().await?;
    if !signup_state_in(&mut tx, allow_signup).await?.open {
        return Err(signup_closed());
    }
    note_signup_attempt(&mut tx, signups_per_minute_ip, ip).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether an account can be made on the sign-up page now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignupState {
    /// No account exists yet: the first one always can, and becomes the administrator.
    pub first: bool,
    /// The first account, or the server allows sign-ups (`allow_signup`) and no administrator
    /// closed them (Settings → Accounts).
    pub open: bool,
}

/// [`SignupState`] now, read without a user.
pub async fn signup_state(db: &sparky_db::Database, allow_signup: bool) -> AppResult<SignupState> {
    let mut tx = db.anonymous().await?;
    let state = signup_state_in(&mut tx, allow_signup).await?;
    tx.commit().await?;
    Ok(state)
}

async fn signup_state_in(anonymous: &mut UserTx, allow_signup: bool) -> AppResult<SignupState> {
    let row = anonymous
        .query_one(
            "SELECT auth.no_accounts_yet(),
                    coalesce((SELECT signups_closed FROM instance_settings), false)",
            &[],
        )
        .await?;
    let first: bool = row.get(0);
    let closed: bool = row.get(1);
    Ok(SignupState {
        first,
        open: first || (allow_signup && !closed),
    })
}

fn signup_closed() -> AppError {
    AppError::forbidden("this server does not accept new accounts; ask its administrator")
}

/// Creates an account (and its preferences) in `anonymous`, a transaction with no user. The
/// first account on a server becomes the administrator; with `allow_signup` false, or sign-ups
/// closed by an administrator, only that first account may register. Returns the new
/// account's id.
pub async fn register(
    anonymous: &mut UserTx,
    account: &NewAccount,
    allow_signup: bool,
) -> AppResult<Uuid> {
    let row = anonymous
        .query_one(
            // An administrator's closing counts as the server's (decided under the function's
            // lock like the rest: the first account may always register).
            "SELECT user_id FROM auth.register_user($1, $2, $3,
                 $4 AND NOT coalesce((SELECT signups_closed FROM instance_settings), false))",
            &[
                &account.email.as_str(),
                &account.password_hash,
                &account.full_name,
                &allow_signup,
            ],
        )
        .await
        .map_err(|e| match e.code() {
            Some("23505") => AppError::conflict("an account with that email already exists"),
            Some("SPK01") => signup_closed(),
            _ => e.into(),
        })?;
    Ok(row.get(0))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    #[schema(max_length = 254)]
    pub email: String,
    #[schema(max_length = 1024)]
    pub password: String,
}

/// What sign-in found out.
#[derive(Debug)]
pub enum SignIn {
    Accepted(Uuid),
    WrongCredentials,
    Disabled,
}

/// Checks an email and password, after counting the attempt against the shared limits in
/// `anonymous` (a transaction with no user), which this commits (the attempt counts whatever
/// the outcome) before the password is checked: a sign-in waiting for its Argon2 turn holds
/// no database connection. A wrong email takes as long as a wrong password.
pub async fn check_credentials(
    mut anonymous: UserTx,
    limits: LoginLimits,
    ip: Option<IpAddr>,
    input: LoginInput,
) -> AppResult<SignIn> {
    let email = input.email.trim().to_lowercase();
    if email.chars().count() > 254 || input.password.len() > 1024 {
        return Ok(SignIn::WrongCredentials);
    }
    let looked_up = async {
        note_login_attempt(&mut anonymous, limits, ip, &email).await?;
        let found = anonymous
            .query_opt(
                "SELECT user_id, password_hash, disabled FROM auth.login_credentials($1)",
                &[&email],
            )
            .await?
            .map(|r| {
                (
                    r.get::<_, Uuid>(0),
                    r.get::<_, String>(1),
                    r.get::<_, bool>(2),
                )
            });
        AppResult::Ok(found)
    }
    .await;
    anonymous.commit().await?;
    let found = looked_up?;
    let stored = match &found {
        Some(f) => f.1.clone(),
        None => credentials::dummy_hash().await,
    };
    let ok = credentials::verify_password(input.password, stored).await?;
    Ok(match found {
        Some((id, _, disabled)) if ok => {
            if disabled {
                SignIn::Disabled
            } else {
                SignIn::Accepted(id)
            }
        }
        _ => SignIn::WrongCredentials,
    })
}

/// Starts a session for the user `tx` acts as: stores the hash of `token`, which expires after
/// `ttl_seconds` without use. Returns the user.
pub async fn start_session(
    tx: &mut UserTx,
    token_hash: &str,
    ttl_seconds: i32,
    user_agent: Option<&str>,
    ip: Option<IpAddr>,
) -> AppResult<User> {
    let ip = ip.map(|i| i.to_string());
    let user_agent: Option<String> = user_agent.map(|s| s.chars().take(255).collect());
    tx.execute(
        "INSERT INTO sessions (user_id, token_hash, expires_at, user_agent, ip)
         VALUES (auth.uid(), $1, now() + make_interval(secs => $2), $3, $4)",
        &[&token_hash, &f64::from(ttl_seconds), &user_agent, &ip],
    )
    .await?;
    me(tx).await
}

/// Ends the session the request came with (a no-op for API keys).
pub async fn end_current_session(tx: &mut UserTx) -> AppResult<()> {
    tx.execute(
        "DELETE FROM sessions WHERE id = nullif(current_setting('app.session_id', true), '')::uuid",
        &[],
    )
    .await?;
    Ok(())
}

/// The signed-in user.
pub async fn me(tx: &mut UserTx) -> AppResult<User> {
    let row = tx.query_opt(&me_sql(), &[]).await?;
    me_from(row.as_ref())
}

/// The signed-in user's row.
pub(crate) fn me_sql() -> String {
    format!("SELECT {USER_COLUMNS} FROM users WHERE id = auth.uid()")
}

/// The user from [`me_sql`]'s row; none means the session ended meanwhile.
pub(crate) fn me_from(row: Option<&tokio_postgres::Row>) -> AppResult<User> {
    row.map(user_from).ok_or(AppError::Unauthenticated)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeInput {
    #[schema(max_length = 255)]
    pub full_name: String,
}

/// Changes the signed-in user's name.
pub async fn update_me(tx: &mut UserTx, input: UpdateMeInput) -> AppResult<User> {
    let name = parse_full_name(&input.full_name).map_err(|e| AppError::invalid("full_name", e))?;
    tx.query_opt(
        &format!("UPDATE users SET full_name = $1 WHERE id = auth.uid() RETURNING {USER_COLUMNS}"),
        &[&name],
    )
    .await?
    .map(|r| user_from(&r))
    .ok_or(AppError::Unauthenticated)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordInput {
    #[schema(max_length = 1024)]
    pub current_password: String,
    #[schema(min_length = 10, max_length = 1024)]
    pub new_password: String,
}

/// Checks the signed-in user's password typed into `field` (a 422 naming it when wrong);
/// returns their email.
async fn check_own_password(tx: &mut UserTx, field: &str, typed: String) -> AppResult<String> {
    // A read-only key may change nothing, so it may not learn whether a password is right
    // either (a 422 or a 403 told it).
    if tx.identity().await?.read_only {
        return Err(AppError::forbidden(
            "this API key is read-only: it can read but not change anything",
        ));
    }
    // No row: the account went meanwhile (a second delete at the same moment).
    let row = tx
        .query_opt(
            "SELECT c.password_hash, u.email FROM users u, auth.login_credentials(u.email) c
             WHERE u.id = auth.uid()",
            &[],
        )
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if !credentials::verify_password(typed, row.get(0)).await? {
        return Err(AppError::invalid(field, "is wrong"));
    }
    Ok(row.get(1))
}

/// Changes the signed-in user's password; every other session of theirs ends.
pub async fn change_password(tx: &mut UserTx, input: ChangePasswordInput) -> AppResult<()> {
    check_new_password(&input.new_password).map_err(|e| AppError::invalid("new_password", e))?;
    let email = check_own_password(tx, "current_password", input.current_password.clone()).await?;
    check_password_for(&input.new_password, &email)
        .map_err(|e| AppError::invalid("new_password", e))?;
    if input.new_password == input.current_password {
        return Err(AppError::invalid(
            "new_password",
            "must differ from your current password",
        ));
    }
    let hash = credentials::hash_password(input.new_password).await?;
    tx.execute("SELECT auth.set_password($1)", &[&hash]).await?;
    Ok(())
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteAccountInput {
    /// Your password, to confirm.
    #[schema(max_length = 1024)]
    pub password: String,
}

/// Deletes the signed-in user's account and everything it owns (diaries, foods, recipes,
/// measurements, goals, plans, chats, keys, sessions, family grants both ways), in one
/// statement whose foreign keys cascade. Other people's diary entries of one of its foods
/// keep what they recorded. Backups taken before keep it until they are pruned.
pub async fn delete_me(tx: &mut UserTx, input: DeleteAccountInput) -> AppResult<()> {
    check_own_password(tx, "password", input.password).await?;
    // Behind a savepoint: a refusal (the only administrator) leaves the transaction usable
    // for the page that says so.
    tx.execute("SAVEPOINT delete_me", &[]).await?;
    let n = match tx
        .execute("DELETE FROM users WHERE id = auth.uid()", &[])
        .await
    {
        Ok(n) => n,
        Err(e) => {
            tx.execute("ROLLBACK TO SAVEPOINT delete_me", &[]).await?;
            return Err(e.into());
        }
    };
    if n != 1 {
        return Err(AppError::Unauthenticated);
    }
    Ok(())
}

/// Deletes expired sessions and sign-in attempts older than a minute; returns how many
/// sessions went. Runs without a user (housekeeping).
pub async fn purge_expired(anonymous: &mut UserTx) -> AppResult<i32> {
    let row = anonymous
        .query_one(
            "SELECT auth.purge_expired_sessions(), auth.purge_login_attempts()",
            &[],
        )
        .await?;
    Ok(row.get(0))
}

/// Whether no account exists yet (the first to register becomes the administrator).
pub async fn no_accounts_yet(anonymous: &mut UserTx) -> AppResult<bool> {
    let row = anonymous
        .query_one("SELECT auth.no_accounts_yet()", &[])
        .await?;
    Ok(row.get(0))
}
