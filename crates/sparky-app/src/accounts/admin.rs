//! Account administration as the database owner (`sparky user …`): works with the server
//! stopped and under FORCE RLS (the accounts migration gives the owner an "everything" policy
//! on users, user_preferences, sessions and api_keys). Input is validated with the same rules
//! as sign-up and passwords are hashed the same way ([`super::credentials`]), so an account
//! made here signs in on the web.

use chrono::{DateTime, Utc};
use sparky_core::account::Email;
use tokio_postgres::error::SqlState;
use tokio_postgres::Client;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// A validated account for [`create`].
pub struct NewUser {
    pub email: Email,
    pub full_name: Option<String>,
    pub admin: bool,
    pub password_hash: String,
    /// The hash of a password link's secret and its days, made with the account (`sparky user
    /// create --link`).
    pub link: Option<(String, i32)>,
}

/// Fails with a clear message when the accounts migration has not been applied yet.
pub async fn check_schema(client: &Client) -> AppResult<()> {
    let ready: bool = client
        .query_one(
            "SELECT to_regclass('public.sessions') IS NOT NULL
                AND EXISTS (SELECT 1 FROM information_schema.columns
                            WHERE table_schema = 'public' AND table_name = 'users'
                              AND column_name = 'disabled_at')",
            &[],
        )
        .await
        .map_err(owner_error)?
        .get(0);
    if !ready {
        return Err(AppError::Unavailable(
            "the database schema is not up to date: run `sparky migrate up` (or start the server once) first"
                .into(),
        ));
    }
    Ok(())
}

/// True when no account exists yet: the first one to register becomes the administrator.
pub async fn no_accounts_yet(client: &Client) -> AppResult<bool> {
    let row = client
        .query_one("SELECT NOT EXISTS (SELECT 1 FROM users)", &[])
        .await
        .map_err(owner_error)?;
    Ok(row.get(0))
}

/// Creates the account and its preferences in one transaction; returns the new id.
pub async fn create(client: &mut Client, user: &NewUser) -> AppResult<Uuid> {
    let tx = client.transaction().await.map_err(owner_error)?;
    // register_user takes the registration lock, normalises the email and inserts the users and
    // user_preferences rows. Signup is "open" here: the administrator is the one deciding.
    let row = tx
        .query_one(
            "SELECT user_id FROM auth.register_user($1, $2, $3, true)",
            &[&user.email.as_str(), &user.password_hash, &user.full_name],
        )
        .await
        .map_err(|e| {
            if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
                AppError::conflict("an account with that email already exists")
            } else {
                AppError::internal(format!("cannot create the account: {e}"))
            }
        })?;
    let id: Uuid = row.get(0);
    if user.admin {
        tx.execute("UPDATE users SET is_admin = true WHERE id = $1", &[&id])
            .await
            .map_err(owner_error)?;
    }
    if let Some((token_hash, days)) = &user.link {
        tx.execute(
            "INSERT INTO password_links (user_id, token_hash, expires_at)
             VALUES ($1, $2, now() + make_interval(days => $3))",
            &[&id, token_hash, days],
        )
        .await
        .map_err(owner_error)?;
    }
    tx.commit().await.map_err(owner_error)?;
    Ok(id)
}

/// One row of `sparky user list`.
#[derive(Debug)]
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub admin: bool,
    pub disabled: bool,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: Option<DateTime<Utc>>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

impl UserRow {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "admin": self.admin,
            "disabled": self.disabled,
            "disabled_at": self.disabled_at,
            "created_at": self.created_at,
            "last_sign_in_at": self.last_sign_in_at,
        })
    }
}

pub async fn list(client: &Client) -> AppResult<Vec<UserRow>> {
    let rows = client
        .query(
            "SELECT id, email::text, full_name::text, is_admin, disabled_at, created_at,
                    last_sign_in_at
             FROM users ORDER BY created_at, email",
            &[],
        )
        .await
        .map_err(owner_error)?;
    Ok(rows
        .iter()
        .map(|r| {
            let disabled_at: Option<DateTime<Utc>> = r.get(4);
            UserRow {
                id: r.get(0),
                email: r.get(1),
                name: r.get(2),
                admin: r.get(3),
                disabled: disabled_at.is_some(),
                disabled_at,
                created_at: r.get(5),
                last_sign_in_at: r.get(6),
            }
        })
        .collect())
}

/// The id of the account with this email (case-insensitive), for commands that then act as
/// that user (`sparky export --user`, `sparky import --user`).
pub async fn user_id_by_email(client: &Client, email: &str) -> AppResult<Uuid> {
    client
        .query_opt(
            "SELECT id FROM users WHERE lower(email) = lower(btrim($1))",
            &[&email],
        )
        .await
        .map_err(owner_error)?
        .map(|r| r.get(0))
        .ok_or_else(|| unknown(email))
}

fn unknown(email: &str) -> AppError {
    let _ = email;
    AppError::NotFound("account with that email")
}

/// Replaces the password hash and signs the user out everywhere (deletes their sessions), in
/// one transaction. Returns how many sessions were deleted.
pub async fn set_password(client: &mut Client, email: &str, hash: &str) -> AppResult<u64> {
    let tx = client.transaction().await.map_err(owner_error)?;
    let row = tx
        .query_opt(
            "UPDATE users SET password_hash = $2 WHERE lower(email) = lower(btrim($1)) RETURNING id",
            &[&email, &hash],
        )
        .await.map_err(owner_error)?
        .ok_or_else(|| unknown(email))?;
    let id: Uuid = row.get(0);
    let n = tx
        .execute("DELETE FROM sessions WHERE user_id = $1", &[&id])
        .await
        .map_err(owner_error)?;
    tx.commit().await.map_err(owner_error)?;
    Ok(n)
}

/// Disables the account (keeping the first disabled time) and deletes its sessions; API keys
/// stop working because the auth functions refuse disabled users. Returns whether the account
/// was active before and how many sessions were deleted.
pub async fn disable(client: &mut Client, email: &str) -> AppResult<(bool, u64)> {
    let tx = client.transaction().await.map_err(owner_error)?;
    let row = tx
        .query_opt(
            "UPDATE users u SET disabled_at = coalesce(u.disabled_at, now())
             FROM (SELECT id, disabled_at FROM users WHERE lower(email) = lower(btrim($1))
                   FOR UPDATE) old
             WHERE u.id = old.id
             RETURNING u.id, old.disabled_at IS NULL",
            &[&email],
        )
        .await
        .map_err(owner_error)?
        .ok_or_else(|| unknown(email))?;
    let id: Uuid = row.get(0);
    let was_active: bool = row.get(1);
    let n = tx
        .execute("DELETE FROM sessions WHERE user_id = $1", &[&id])
        .await
        .map_err(owner_error)?;
    tx.commit().await.map_err(owner_error)?;
    Ok((was_active, n))
}

/// Deletes the account and everything it owns (foreign keys cascade; other people's entries
/// of its foods keep what they recorded). Returns how many diary entries, measurements and
/// workouts went with it.
pub async fn delete(client: &mut Client, email: &str) -> AppResult<(i64, i64, i64)> {
    let tx = client.transaction().await.map_err(owner_error)?;
    let row = tx
        .query_opt(
            "SELECT u.id,
                    (SELECT count(*) FROM food_diary WHERE user_id = u.id),
                    (SELECT count(*) FROM measurements WHERE user_id = u.id),
                    (SELECT count(*) FROM exercise_diary WHERE user_id = u.id)
             FROM users u WHERE lower(u.email) = lower(btrim($1)) FOR UPDATE",
            &[&email],
        )
        .await
        .map_err(owner_error)?
        .ok_or_else(|| unknown(email))?;
    let id: Uuid = row.get(0);
    tx.execute("DELETE FROM users WHERE id = $1", &[&id])
        .await
        .map_err(owner_error)?;
    tx.commit().await.map_err(owner_error)?;
    Ok((row.get(1), row.get(2), row.get(3)))
}

/// Makes the account an administrator, or with `admin` false an ordinary account again (the
/// last enabled administrator stays one while other accounts exist). Returns whether it
/// changed.
pub async fn set_admin(client: &Client, email: &str, admin: bool) -> AppResult<bool> {
    let row = client
        .query_opt(
            "UPDATE users u SET is_admin = $2
             FROM (SELECT id, is_admin FROM users WHERE lower(email) = lower(btrim($1))
                   FOR UPDATE) old
             WHERE u.id = old.id
             RETURNING old.is_admin <> $2",
            &[&email, &admin],
        )
        .await
        .map_err(owner_error)?
        .ok_or_else(|| unknown(email))?;
    Ok(row.get(0))
}

/// Re-enables the account. Returns whether it was disabled before.
pub async fn enable(client: &Client, email: &str) -> AppResult<bool> {
    let row = client
        .query_opt(
            "UPDATE users u SET disabled_at = NULL
             FROM (SELECT id, disabled_at FROM users WHERE lower(email) = lower(btrim($1))
                   FOR UPDATE) old
             WHERE u.id = old.id
             RETURNING old.disabled_at IS NOT NULL",
            &[&email],
        )
        .await
        .map_err(owner_error)?
        .ok_or_else(|| unknown(email))?;
    Ok(row.get(0))
}

/// Makes the one live password link of the enabled account with this email (replacing an
/// earlier one), valid for `days`, from the hash of its secret. Returns when it expires.
pub async fn make_password_link(
    client: &Client,
    email: &str,
    token_hash: &str,
    days: i32,
) -> AppResult<DateTime<Utc>> {
    let row = client
        .query_opt(
            "SELECT u.id, u.disabled_at IS NOT NULL FROM users u
             WHERE lower(u.email) = lower(btrim($1))",
            &[&email],
        )
        .await
        .map_err(owner_error)?
        .ok_or_else(|| unknown(email))?;
    let (id, disabled): (Uuid, bool) = (row.get(0), row.get(1));
    if disabled {
        return Err(AppError::conflict(
            "the account is disabled: enable it first (sparky user enable)",
        ));
    }
    let row = client
        .query_one(
            "INSERT INTO password_links (user_id, token_hash, expires_at)
             VALUES ($1, $2, now() + make_interval(days => $3))
             ON CONFLICT (user_id) DO UPDATE
                 SET token_hash = EXCLUDED.token_hash, created_by = NULL,
                     created_at = now(), expires_at = EXCLUDED.expires_at
             RETURNING expires_at",
            &[&id, &token_hash, &days],
        )
        .await
        .map_err(owner_error)?;
    Ok(row.get(0))
}

/// Whether an administrator closed sign-ups (the server's SPARKY_ALLOW_SIGNUP is not known
/// here).
pub async fn signups_closed(client: &Client) -> AppResult<bool> {
    let row = client
        .query_one(
            "SELECT coalesce((SELECT signups_closed FROM instance_settings), false)",
            &[],
        )
        .await
        .map_err(owner_error)?;
    Ok(row.get(0))
}

/// Closes (true) or reopens sign-ups, making the settings row again if it went.
pub async fn set_signups_closed(client: &Client, closed: bool) -> AppResult<()> {
    let n = client
        .execute(
            "UPDATE instance_settings SET signups_closed = $1",
            &[&closed],
        )
        .await
        .map_err(owner_error)?;
    if n == 0 {
        client
            .execute(
                "INSERT INTO instance_settings (signups_closed) VALUES ($1)",
                &[&closed],
            )
            .await
            .map_err(owner_error)?;
    }
    Ok(())
}

fn owner_error(e: tokio_postgres::Error) -> AppError {
    AppError::from(sparky_db::DbError::Postgres(e))
}
