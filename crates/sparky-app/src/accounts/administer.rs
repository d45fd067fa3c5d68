//! Account administration by a signed-in administrator (Settings → Accounts and
//! `/api/v1/admin/accounts`): what `sparky user` does on the server, through the request role.
//! The database decides who may: reading every account is a policy for enabled
//! administrators, and each change is an `auth.admin_*` function that refuses anyone else
//! (migration `2026_12_16_10_00_administer_accounts`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sparky_core::account::check_password_for;
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

use super::credentials;
use crate::error::{AppError, AppResult};

/// More accounts than a household has; the list is one page.
pub const LIST_LIMIT: i64 = 1000;

/// One account as an administrator sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Account {
    pub id: Uuid,
    pub email: String,
    pub full_name: Option<String>,
    pub is_admin: bool,
    /// Disabled accounts cannot sign in and their API keys stop working; their data is kept.
    pub disabled: bool,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: Option<DateTime<Utc>>,
    /// When it last signed in (a new session: sign-in, sign-up or password link); null when
    /// never since this was recorded (2026-12-17).
    pub last_sign_in_at: Option<DateTime<Utc>>,
    /// Until when the password link made for it waits to be used; null: none waits (or the
    /// account is disabled, which stops its link until it is enabled again).
    pub password_link_expires_at: Option<DateTime<Utc>>,
    /// The administrator's own account (changed in Settings, not here).
    pub is_you: bool,
}

const ACCOUNT_COLUMNS: &str = "id, email::text, full_name::text, is_admin, disabled_at, \
     created_at, id = auth.uid(), last_sign_in_at, \
     (SELECT l.expires_at FROM password_links l WHERE l.user_id = users.id \
       AND l.expires_at > now() AND users.disabled_at IS NULL)";

fn account_from(row: &tokio_postgres::Row) -> Account {
    let disabled_at: Option<DateTime<Utc>> = row.get(4);
    Account {
        id: row.get(0),
        email: row.get(1),
        full_name: row.get(2),
        is_admin: row.get(3),
        disabled: disabled_at.is_some(),
        disabled_at,
        created_at: row.get(5),
        is_you: row.get(6),
        last_sign_in_at: row.get(7),
        password_link_expires_at: row.get(8),
    }
}

/// Runs one `auth.admin_*` call behind a savepoint, so that a refusal (the last
/// administrator, one's own account) leaves the transaction usable for the page saying so.
async fn admin_call(
    tx: &mut UserTx,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<tokio_postgres::Row, sparky_db::DbError> {
    tx.execute("SAVEPOINT admin_call", &[]).await?;
    match tx.query_one(sql, params).await {
        Ok(row) => Ok(row),
        Err(e) => {
            tx.execute("ROLLBACK TO SAVEPOINT admin_call", &[]).await?;
            Err(e)
        }
    }
}

fn not_admin() -> AppError {
    AppError::forbidden("only an administrator can manage accounts")
}

/// Every account, oldest first (at most [`LIST_LIMIT`]); 403 for anyone but an enabled
/// administrator.
pub async fn list(tx: &mut UserTx) -> AppResult<Vec<Account>> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} FROM users ORDER BY created_at, email LIMIT {LIST_LIMIT}"
    );
    if !is_admin(tx).await? {
        return Err(not_admin());
    }
    let rows = tx.query(sql.as_str(), &[]).await?;
    Ok(rows.iter().map(account_from).collect())
}

/// Whether the signed-in user is an enabled administrator (the Accounts tab shows then).
pub async fn is_admin(tx: &mut UserTx) -> AppResult<bool> {
    Ok(tx.query_one("SELECT auth.is_admin()", &[]).await?.get(0))
}

async fn get(tx: &mut UserTx, id: Uuid) -> AppResult<Account> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM users WHERE id = $1");
    tx.query_opt(sql.as_str(), &[&id])
        .await?
        .map(|r| account_from(&r))
        .ok_or(AppError::NotFound("account"))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccountInput {
    #[schema(max_length = 254)]
    pub email: String,
    /// At least 10 characters, not one of the most common passwords; tell it to the person,
    /// who can change it in Settings → Security. Left out: the answer carries a password link
    /// for the person to choose their own.
    #[schema(min_length = 10, max_length = 1024)]
    pub password: Option<String>,
    #[schema(max_length = 255)]
    pub full_name: String,
    /// Make the account an administrator too (default false).
    #[serde(default)]
    pub is_admin: bool,
}

/// A new account, with its password link when it was made without a password.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedAccount {
    #[serde(flatten)]
    pub account: Account,
    /// Made when no password was given: send it to the person (shown only now).
    pub password_link: Option<PasswordLink>,
}

/// Creates an account (sign-up rules for the fields, whether or not sign-ups are open). Without
/// a password it gets a random one nobody knows and a password link, whose address starts
/// with `origin` (e.g. `https://fit.example.com`).
pub async fn create(
    tx: &mut UserTx,
    input: CreateAccountInput,
    origin: &str,
) -> AppResult<CreatedAccount> {
    let (email, full_name) =
        super::check_new_account(&input.email, &input.full_name, input.password.as_deref())?;
    // Refuse a non-administrator before the costly hash.
    if !is_admin(tx).await? {
        return Err(not_admin());
    }
    let with_link = input.password.is_none();
    let password = input.password.unwrap_or_else(credentials::random_secret);
    let hash = credentials::hash_password(password).await?;
    let row = admin_call(
        tx,
        "SELECT auth.admin_create_account($1, $2, $3, $4)",
        &[&email.as_str(), &hash, &full_name, &input.is_admin],
    )
    .await
    .map_err(|e| match e.code() {
        Some("23505") => AppError::conflict("an account with that email already exists"),
        _ => e.into(),
    })?;
    let id: Uuid = row.get(0);
    // Logged before the request commits; a failed commit is logged as the request's error.
    tracing::info!(user_id = %id, admin = input.is_admin, "account created by an administrator");
    let password_link = match with_link {
        true => Some(make_password_link(tx, id, origin).await?),
        false => None,
    };
    Ok(CreatedAccount {
        account: get(tx, id).await?,
        password_link,
    })
}

/// How long a password link works.
pub const PASSWORD_LINK_DAYS: i32 = 7;

/// A one-time link to choose an account's password.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PasswordLink {
    /// Whoever opens it chooses the account's password and is signed in; it works once, until
    /// `expires_at`. Only its hash is stored: it is shown this once.
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// Makes a password link for another, enabled account (replacing one made before), whose
/// address starts with `origin`. 409 for one's own account or a disabled one.
pub async fn make_password_link(
    tx: &mut UserTx,
    id: Uuid,
    origin: &str,
) -> AppResult<PasswordLink> {
    let secret = credentials::random_secret();
    let row = admin_call(
        tx,
        "SELECT auth.admin_make_password_link($1, $2, make_interval(days => $3))",
        &[&id, &credentials::token_hash(&secret), &PASSWORD_LINK_DAYS],
    )
    .await?;
    let expires_at: Option<DateTime<Utc>> = row.get(0);
    let expires_at = expires_at.ok_or(AppError::NotFound("account"))?;
    tracing::info!(user_id = %id, "password link made by an administrator");
    Ok(PasswordLink {
        url: super::password_links::url(origin, &secret),
        expires_at,
    })
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccountInput {
    /// true: the account cannot sign in, its sessions end and its API keys stop working (its
    /// data is kept); false: it can again.
    pub disabled: Option<bool>,
    /// Give or take the administrator role (one enabled administrator always stays).
    pub is_admin: Option<bool>,
    /// A new password (sign-up rules); the account's sessions end.
    #[schema(min_length = 10, max_length = 1024)]
    pub password: Option<String>,
}

/// What [`update`] did.
pub struct Updated {
    pub account: Account,
    /// Sessions ended by disabling or a new password.
    pub sessions_ended: i32,
}

/// Changes another account (or hands over the administrator role of one's own).
pub async fn update(tx: &mut UserTx, id: Uuid, input: UpdateAccountInput) -> AppResult<Updated> {
    if input.disabled.is_none() && input.is_admin.is_none() && input.password.is_none() {
        return Err(AppError::invalid(
            "body",
            "name at least one of disabled, is_admin and password",
        ));
    }
    if !is_admin(tx).await? {
        return Err(not_admin());
    }
    let hash = match input.password {
        Some(password) => {
            let target = get(tx, id).await?;
            check_password_for(&password, &target.email)
                .map_err(|e| AppError::invalid("password", e))?;
            Some(credentials::hash_password(password).await?)
        }
        None => None,
    };
    let row = admin_call(
        tx,
        "SELECT auth.admin_update_account($1, $2, $3, $4)",
        &[&id, &input.disabled, &input.is_admin, &hash],
    )
    .await?;
    let ended: Option<i32> = row.get(0);
    let Some(sessions_ended) = ended else {
        return Err(AppError::NotFound("account"));
    };
    tracing::info!(user_id = %id, disabled = ?input.disabled, admin = ?input.is_admin,
        new_password = hash.is_some(), sessions_ended, "account changed by an administrator");
    Ok(Updated {
        account: get(tx, id).await?,
        sessions_ended,
    })
}

/// Deletes another account and everything it owns.
pub async fn delete(tx: &mut UserTx, id: Uuid) -> AppResult<()> {
    let row = admin_call(tx, "SELECT auth.admin_delete_account($1)", &[&id]).await?;
    if row.get::<_, bool>(0) {
        tracing::info!(user_id = %id, "account deleted by an administrator");
        Ok(())
    } else {
        Err(AppError::NotFound("account"))
    }
}

/// Withdraws the password link of account `id`; 404 when none waits.
pub async fn cancel_password_link(tx: &mut UserTx, id: Uuid) -> AppResult<()> {
    let row = admin_call(tx, "SELECT auth.admin_cancel_password_link($1)", &[&id]).await?;
    if row.get::<_, bool>(0) {
        tracing::info!(user_id = %id, "password link withdrawn by an administrator");
        Ok(())
    } else {
        Err(AppError::NotFound("password link"))
    }
}

/// Sign-ups as administrators see them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Signups {
    /// Whether people can create accounts on the sign-up page now.
    pub open: bool,
    /// An administrator closed them (Settings → Accounts).
    pub closed_by_administrator: bool,
    /// The server allows them (`SPARKY_ALLOW_SIGNUP`, default true); when false they stay
    /// closed whatever administrators choose.
    pub allowed_by_server: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupsInput {
    /// false closes sign-ups (accounts are then made by administrators); true reopens them
    /// where the server allows them.
    pub open: bool,
}

/// Sign-ups now; 403 for anyone but an enabled administrator.
pub async fn signups(tx: &mut UserTx, allow_signup: bool) -> AppResult<Signups> {
    if !is_admin(tx).await? {
        return Err(not_admin());
    }
    let closed: bool = tx
        .query_one(
            "SELECT coalesce((SELECT signups_closed FROM instance_settings), false)",
            &[],
        )
        .await?
        .get(0);
    Ok(Signups {
        open: allow_signup && !closed,
        closed_by_administrator: closed,
        allowed_by_server: allow_signup,
    })
}

/// Closes or reopens sign-ups for every instance.
pub async fn set_signups(
    tx: &mut UserTx,
    input: SignupsInput,
    allow_signup: bool,
) -> AppResult<Signups> {
    admin_call(
        tx,
        "SELECT auth.admin_set_signups_closed($1)",
        &[&!input.open],
    )
    .await?;
    tracing::info!(open = input.open, "sign-ups changed by an administrator");
    signups(tx, allow_signup).await
}
