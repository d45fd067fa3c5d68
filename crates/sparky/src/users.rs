//! `sparky user …`: account administration from the command line.
//!
//! These commands run as the owner role, which the accounts migration gives an "everything"
//! policy on users, user_preferences, sessions and api_keys, so they work under FORCE RLS and
//! with the server stopped. Input is validated with the same rules as the web API
//! (`sparky_core::account`) and passwords are hashed the same way (argon2id, `argon2` defaults),
//! so an account made here signs in on the web.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{bail, Context};
use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use sparky_core::account::{check_new_password, parse_full_name, Email};
use tokio_postgres::error::SqlState;
use tokio_postgres::Client;
use uuid::Uuid;

/// Environment variable that holds the password for `create` and `set-password`.
pub const PASSWORD_ENV: &str = "SPARKY_PASSWORD";

/// What `sparky user create` needs, validated before the database is touched.
pub struct NewUser {
    pub email: Email,
    pub full_name: Option<String>,
    pub admin: bool,
    pub password_hash: String,
}

impl NewUser {
    /// Validates the input, reads the password and hashes it. Nothing touches the database.
    pub async fn prepare(email: &str, name: Option<&str>, admin: bool) -> anyhow::Result<Self> {
        let email = Email::parse(email).map_err(|e| anyhow::anyhow!("email {e}"))?;
        let full_name = name
            .map(parse_full_name)
            .transpose()
            .map_err(|e| anyhow::anyhow!("name {e}"))?;
        let password = read_new_password()?;
        let password_hash = hash_password(password).await?;
        Ok(NewUser {
            email,
            full_name,
            admin,
            password_hash,
        })
    }
}

/// Reads a new password from `SPARKY_PASSWORD`, or else one line of standard input (with a
/// prompt, no echo and a confirmation when standard input is a terminal), and checks it.
pub fn read_new_password() -> anyhow::Result<String> {
    let password = match std::env::var(PASSWORD_ENV) {
        Ok(p) => p,
        Err(std::env::VarError::NotUnicode(_)) => bail!("{PASSWORD_ENV} is not valid UTF-8"),
        Err(std::env::VarError::NotPresent) => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                let first = prompt_hidden("New password: ")?;
                check_new_password(&first).map_err(|e| anyhow::anyhow!("password {e}"))?;
                let again = prompt_hidden("Repeat the password: ")?;
                if first != again {
                    bail!("the passwords do not match");
                }
                first
            } else {
                read_line(&mut stdin.lock())?
            }
        }
    };
    check_new_password(&password).map_err(|e| anyhow::anyhow!("password {e}"))?;
    Ok(password)
}

/// One line without its line ending. An empty input is an error, not an empty password.
fn read_line(input: &mut impl BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    let n = input
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    if n == 0 {
        bail!("no password given: set {PASSWORD_ENV} or write it to standard input");
    }
    let trimmed = line.strip_suffix('\n').unwrap_or(&line);
    let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed);
    Ok(trimmed.to_string())
}

/// Prompts on standard error and reads a line from the terminal with echo off (best effort:
/// `stty` is used when present, so no extra dependency is needed).
fn prompt_hidden(prompt: &str) -> anyhow::Result<String> {
    let mut err = std::io::stderr();
    write!(err, "{prompt}")?;
    err.flush()?;
    let echo_off = stty("-echo");
    let result = read_line(&mut std::io::stdin().lock());
    if echo_off {
        stty("echo");
        writeln!(err)?;
    }
    result
}

fn stty(arg: &str) -> bool {
    std::process::Command::new("stty")
        .arg(arg)
        .stdin(std::process::Stdio::inherit())
        .stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// argon2id with the `argon2` crate's defaults and a random salt, exactly as the server does
/// (`sparky_web::auth::hash_password`), off the async runtime.
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))
    })
    .await
    .context("password hashing failed")?
}

/// Fails with a clear message when the accounts migration has not been applied yet.
pub async fn check_schema(client: &Client) -> anyhow::Result<()> {
    let ready: bool = client
        .query_one(
            "SELECT to_regclass('public.sessions') IS NOT NULL
                AND EXISTS (SELECT 1 FROM information_schema.columns
                            WHERE table_schema = 'public' AND table_name = 'users'
                              AND column_name = 'disabled_at')",
            &[],
        )
        .await?
        .get(0);
    if !ready {
        bail!(
            "the database schema is not up to date: run `sparky migrate up` (or start the server once) first"
        );
    }
    Ok(())
}

/// Creates the account and its preferences in one transaction; returns the new id.
pub async fn create(client: &mut Client, user: &NewUser) -> anyhow::Result<Uuid> {
    let tx = client.transaction().await?;
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
                anyhow::anyhow!("an account with that email already exists")
            } else {
                anyhow::Error::new(e).context("cannot create the account")
            }
        })?;
    let id: Uuid = row.get(0);
    if user.admin {
        tx.execute("UPDATE users SET is_admin = true WHERE id = $1", &[&id])
            .await?;
    }
    tx.commit().await?;
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
        })
    }
}

pub async fn list(client: &Client) -> anyhow::Result<Vec<UserRow>> {
    let rows = client
        .query(
            "SELECT id, email::text, full_name::text, is_admin, disabled_at, created_at
             FROM users ORDER BY created_at, email",
            &[],
        )
        .await?;
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
            }
        })
        .collect())
}

pub fn print_table(users: &[UserRow]) {
    let email_w = users
        .iter()
        .map(|u| u.email.chars().count())
        .max()
        .unwrap_or(0)
        .max(5);
    let name_w = users
        .iter()
        .map(|u| u.name.as_deref().unwrap_or("").chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    println!(
        "{:<36}  {:<email_w$}  {:<name_w$}  {:<5}  {:<8}  CREATED AT",
        "ID", "EMAIL", "NAME", "ADMIN", "DISABLED"
    );
    for u in users {
        println!(
            "{:<36}  {:<email_w$}  {:<name_w$}  {:<5}  {:<8}  {}",
            u.id,
            u.email,
            u.name.as_deref().unwrap_or(""),
            if u.admin { "yes" } else { "no" },
            if u.disabled { "yes" } else { "no" },
            u.created_at
                .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                .unwrap_or_default()
        );
    }
    println!(
        "{} account{}",
        users.len(),
        if users.len() == 1 { "" } else { "s" }
    );
}

fn unknown(email: &str) -> anyhow::Error {
    anyhow::anyhow!("no account with email {}", email.trim())
}

/// Replaces the password hash and signs the user out everywhere (deletes their sessions), in
/// one transaction. Returns how many sessions were deleted.
pub async fn set_password(client: &mut Client, email: &str, hash: &str) -> anyhow::Result<u64> {
    let tx = client.transaction().await?;
    let row = tx
        .query_opt(
            "UPDATE users SET password_hash = $2 WHERE lower(email) = lower(btrim($1)) RETURNING id",
            &[&email, &hash],
        )
        .await?
        .ok_or_else(|| unknown(email))?;
    let id: Uuid = row.get(0);
    let n = tx
        .execute("DELETE FROM sessions WHERE user_id = $1", &[&id])
        .await?;
    tx.commit().await?;
    Ok(n)
}

/// Disables the account (keeping the first disabled time) and deletes its sessions; API keys
/// stop working because the auth functions refuse disabled users. Returns whether the account
/// was active before and how many sessions were deleted.
pub async fn disable(client: &mut Client, email: &str) -> anyhow::Result<(bool, u64)> {
    let tx = client.transaction().await?;
    let row = tx
        .query_opt(
            "UPDATE users u SET disabled_at = coalesce(u.disabled_at, now())
             FROM (SELECT id, disabled_at FROM users WHERE lower(email) = lower(btrim($1))
                   FOR UPDATE) old
             WHERE u.id = old.id
             RETURNING u.id, old.disabled_at IS NULL",
            &[&email],
        )
        .await?
        .ok_or_else(|| unknown(email))?;
    let id: Uuid = row.get(0);
    let was_active: bool = row.get(1);
    let n = tx
        .execute("DELETE FROM sessions WHERE user_id = $1", &[&id])
        .await?;
    tx.commit().await?;
    Ok((was_active, n))
}

/// Re-enables the account. Returns whether it was disabled before.
pub async fn enable(client: &Client, email: &str) -> anyhow::Result<bool> {
    let row = client
        .query_opt(
            "UPDATE users u SET disabled_at = NULL
             FROM (SELECT id, disabled_at FROM users WHERE lower(email) = lower(btrim($1))
                   FOR UPDATE) old
             WHERE u.id = old.id
             RETURNING old.disabled_at IS NOT NULL",
            &[&email],
        )
        .await?
        .ok_or_else(|| unknown(email))?;
    Ok(row.get(0))
}
