//! `sparky user …`: account administration from the command line.
//!
//! These commands run as the owner role, which the accounts migration gives an "everything"
//! policy on users, user_preferences, sessions and api_keys, so they work under FORCE RLS and
//! with the server stopped. Input is validated with the same rules as the web API
//! (`sparky_core::account`) and passwords are hashed the same way (argon2id, `argon2` defaults),
//! so an account made here signs in on the web.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{bail, Context};
use sparky_core::account::{check_new_password, parse_full_name, Email};

use crate::cli::{DbArgs, UserAction};

/// Environment variable that holds the password for `create` and `set-password`.
pub const PASSWORD_ENV: &str = "SPARKY_PASSWORD";

/// What `sparky user create` needs, validated before the database is touched.
pub struct NewUserInput;

impl NewUserInput {
    /// Validates the input, reads the password (or, with `link_secret`, gives the account a
    /// random one nobody knows and a password link with that secret) and hashes it. Nothing
    /// touches the database.
    pub async fn prepare(
        email: &str,
        name: Option<&str>,
        admin: bool,
        link_secret: Option<&str>,
    ) -> anyhow::Result<NewUser> {
        let email = Email::parse(email).map_err(|e| anyhow::anyhow!("email {e}"))?;
        let full_name = name
            .map(parse_full_name)
            .transpose()
            .map_err(|e| anyhow::anyhow!("name {e}"))?;
        let (password, link) = match link_secret {
            Some(secret) => {
                let hash = sparky_app::accounts::credentials::token_hash(secret);
                let days = sparky_app::accounts::administer::PASSWORD_LINK_DAYS;
                let unknown = sparky_app::accounts::credentials::random_secret();
                (unknown, Some((hash, days)))
            }
            None => (read_new_password()?, None),
        };
        sparky_core::account::check_password_for(&password, email.as_str())
            .map_err(|e| anyhow::anyhow!("password {e}"))?;
        let password_hash = hash_password(password).await?;
        Ok(NewUser {
            email,
            full_name,
            admin,
            password_hash,
            link,
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

/// argon2id exactly as the server hashes (`sparky_app::accounts::credentials`).
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    sparky_app::accounts::credentials::hash_password(password)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

use sparky_app::accounts::admin;
/// The account operations themselves live in the application layer; the CLI adds reading
/// passwords and printing.
pub use sparky_app::accounts::admin::{check_schema, create, list, NewUser, UserRow};
use tokio_postgres::Client;

/// The CLI names the email it did not find.
fn unknown(email: &str) -> impl FnOnce(sparky_app::AppError) -> anyhow::Error + '_ {
    move |e| match e {
        sparky_app::AppError::NotFound(_) => {
            anyhow::anyhow!("no account with email {}", email.trim())
        }
        other => anyhow::Error::new(other),
    }
}

/// Replaces the password and ends the account's sessions; returns how many ended.
pub async fn set_password(client: &mut Client, email: &str, hash: &str) -> anyhow::Result<u64> {
    admin::set_password(client, email, hash)
        .await
        .map_err(unknown(email))
}

/// Disables the account; returns whether it was active and how many sessions ended.
pub async fn disable(client: &mut Client, email: &str) -> anyhow::Result<(bool, u64)> {
    admin::disable(client, email).await.map_err(unknown(email))
}

/// Deletes the account and its data; returns the diary entries, measurements and workouts
/// that went with it.
pub async fn delete(client: &mut Client, email: &str) -> anyhow::Result<(i64, i64, i64)> {
    admin::delete(client, email).await.map_err(unknown(email))
}

/// Makes the account an administrator or, with `admin` false, not; returns whether it changed.
pub async fn set_admin(client: &Client, email: &str, admin: bool) -> anyhow::Result<bool> {
    admin::set_admin(client, email, admin)
        .await
        .map_err(unknown(email))
}

/// Re-enables the account; returns whether it was disabled.
pub async fn enable(client: &Client, email: &str) -> anyhow::Result<bool> {
    admin::enable(client, email).await.map_err(unknown(email))
}

/// Makes the account's password link from its secret's hash; returns when it expires.
pub async fn make_password_link(
    client: &Client,
    email: &str,
    token_hash: &str,
    days: i32,
) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    admin::make_password_link(client, email, token_hash, days)
        .await
        .map_err(unknown(email))
}

/// Whether an administrator closed sign-ups.
pub async fn signups_closed(client: &Client) -> anyhow::Result<bool> {
    Ok(admin::signups_closed(client).await?)
}

/// Closes (true) or reopens sign-ups.
pub async fn set_signups_closed(client: &Client, closed: bool) -> anyhow::Result<()> {
    Ok(admin::set_signups_closed(client, closed).await?)
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
    let utc = |t: Option<chrono::DateTime<chrono::Utc>>, none: &str| {
        t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_else(|| none.to_string())
    };
    println!(
        "{:<36}  {:<email_w$}  {:<name_w$}  {:<5}  {:<8}  {:<20}  LAST SIGN-IN",
        "ID", "EMAIL", "NAME", "ADMIN", "DISABLED", "CREATED AT"
    );
    for u in users {
        println!(
            "{:<36}  {:<email_w$}  {:<name_w$}  {:<5}  {:<8}  {:<20}  {}",
            u.id,
            u.email,
            u.name.as_deref().unwrap_or(""),
            if u.admin { "yes" } else { "no" },
            if u.disabled { "yes" } else { "no" },
            utc(u.created_at, ""),
            utc(u.last_sign_in_at, "never")
        );
    }
    println!(
        "{} account{}",
        users.len(),
        if users.len() == 1 { "" } else { "s" }
    );
}

/// `sparky user …`.
pub(crate) async fn user_command(db: &DbArgs, action: UserAction) -> anyhow::Result<ExitCode> {
    // Validate and hash before touching (or starting) the database: bad input writes nothing.
    let mut link_to_print = None;
    let link_mailer = match &action {
        UserAction::Create {
            send: true,
            url,
            mail,
            ..
        }
        | UserAction::Link {
            send: true,
            url,
            mail,
            ..
        } => Some(send_settings(url.as_deref(), mail)?),
        _ => None,
    };
    let new_user = match &action {
        UserAction::Create {
            email,
            name,
            admin,
            link,
            url,
            ..
        } => {
            let secret = link.then(sparky_app::accounts::credentials::random_secret);
            if let Some(secret) = &secret {
                link_to_print = Some(sparky_app::accounts::password_links::url(
                    &link_origin(url.as_deref())?,
                    secret,
                ));
            }
            let user = NewUserInput::prepare(email, name.as_deref(), *admin, secret.as_deref());
            Some(user.await?)
        }
        _ => None,
    };
    let new_hash = match &action {
        UserAction::SetPassword { email } => {
            let password = read_new_password()?;
            sparky_core::account::check_password_for(&password, email)
                .map_err(|e| anyhow::anyhow!("password {e}"))?;
            Some(hash_password(password).await?)
        }
        _ => None,
    };
    crate::commands::with_database(db, async |located| {
        let mut client = sparky_db::connect(&located.owner).await?;
        check_schema(&client).await?;
        match action {
            UserAction::Create { qr, .. } => {
                let user = new_user.expect("prepared above");
                let id = create(&mut client, &user).await?;
                println!("{id}");
                if let Some(link) = &link_to_print {
                    println!("{link}");
                    if qr {
                        eprint!("{}", terminal_qr(link));
                    }
                    eprintln!(
                        "send them the link: it works once, for {} days, to choose their password",
                        sparky_app::accounts::administer::PASSWORD_LINK_DAYS
                    );
                    if let Some((mailer, origin)) = &link_mailer {
                        let expires: chrono::DateTime<chrono::Utc> = client
                            .query_one(
                                "SELECT expires_at FROM password_links WHERE user_id = $1",
                                &[&id],
                            )
                            .await?
                            .get(0);
                        let to = user.email.as_str();
                        mail_link(&client, mailer, origin, to, link, expires).await?;
                    }
                }
            }
            UserAction::List { json } => {
                let list = list(&client).await?;
                if json {
                    let rows: Vec<_> = list.iter().map(UserRow::to_json).collect();
                    println!("{}", serde_json::to_string_pretty(&rows)?);
                } else {
                    print_table(&list);
                }
            }
            UserAction::SetPassword { email } => {
                let hash = new_hash.expect("hashed above");
                let n = set_password(&mut client, &email, &hash).await?;
                eprintln!("password changed; {n} session(s) signed out");
            }
            UserAction::Disable { email } => {
                let (was_active, n) = disable(&mut client, &email).await?;
                if was_active {
                    eprintln!("disabled; {n} session(s) signed out");
                } else {
                    eprintln!("already disabled; {n} session(s) signed out");
                }
            }
            UserAction::Enable { email } => {
                if enable(&client, &email).await? {
                    eprintln!("enabled");
                } else {
                    eprintln!("already enabled");
                }
            }
            UserAction::Admin { email, remove } => {
                let changed = set_admin(&client, &email, !remove).await?;
                eprintln!(
                    "{}",
                    match (remove, changed) {
                        (false, true) => "now an administrator",
                        (false, false) => "already an administrator",
                        (true, true) => "no longer an administrator",
                        (true, false) => "was not an administrator",
                    }
                );
            }
            UserAction::Link { email, url, qr, .. } => {
                let origin = link_origin(url.as_deref())?;
                let secret = sparky_app::accounts::credentials::random_secret();
                let hash = sparky_app::accounts::credentials::token_hash(&secret);
                let days = sparky_app::accounts::administer::PASSWORD_LINK_DAYS;
                let expires = make_password_link(&client, &email, &hash, days).await?;
                let link = sparky_app::accounts::password_links::url(&origin, &secret);
                println!("{link}");
                if qr {
                    eprint!("{}", terminal_qr(&link));
                }
                eprintln!(
                    "works once, until {} UTC; whoever opens it sets the password, so send \
                     it to them only",
                    expires.format("%Y-%m-%d %H:%M")
                );
                if let Some((mailer, _)) = &link_mailer {
                    mail_link(&client, mailer, &origin, &email, &link, expires).await?;
                }
            }
            UserAction::Signups { set } => {
                if let Some(choice) = set {
                    let closed = matches!(choice, crate::cli::SignupsChoice::Close);
                    set_signups_closed(&client, closed).await?;
                }
                let closed = signups_closed(&client).await?;
                eprintln!(
                    "{}",
                    if closed {
                        "sign-ups: closed (administrators make accounts in Settings: Accounts                          or with `sparky user create`)"
                    } else {
                        "sign-ups: open, unless the server runs with SPARKY_ALLOW_SIGNUP=false"
                    }
                );
            }
            UserAction::Delete { email, yes } => {
                if !yes {
                    anyhow::bail!(
                        "this deletes {} and all their data for good; run it again with --yes \
                         (`sparky export --user {}` keeps a copy first). Nothing was deleted",
                        email.trim(),
                        email.trim()
                    );
                }
                let (diary, measurements, workouts) = delete(&mut client, &email).await?;
                eprintln!(
                    "deleted, with {diary} diary entries, {measurements} measurements and \
                     {workouts} workouts"
                );
            }
        }
        Ok(ExitCode::SUCCESS)
    })
    .await
}

/// The mailer and public address `--send` needs, checked before anything is written.
fn send_settings(
    url: Option<&str>,
    mail: &crate::cli::MailArgs,
) -> anyhow::Result<(sparky_providers::mail::Mailer, String)> {
    if url.is_none_or(|u| u.trim().is_empty()) {
        bail!(
            "--send needs --url or SPARKY_PUBLIC_URL: a mailed link must start with the address \
             people reach the server at"
        );
    }
    let mailer = crate::mail::mailer(mail)?
        .context("--send needs SPARKY_SMTP_URL (and SPARKY_MAIL_FROM): no mail server is set")?;
    Ok((mailer, link_origin(url)?))
}

/// Mails the password link `url` to the account with `email`, as an administrator's.
async fn mail_link(
    client: &Client,
    mailer: &sparky_providers::mail::Mailer,
    origin: &str,
    email: &str,
    url: &str,
    expires_at: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    let to = link_recipient(client, email, url.to_string(), expires_at).await?;
    sparky_web::pages::link_mail::send_now(
        mailer,
        origin,
        &to,
        sparky_web::pages::link_mail::Maker::Administrator,
    )
    .await
    .context("the link was made (above) but could not be mailed")?;
    eprintln!("mailed to {} through {}", to.email, mailer.server());
    Ok(())
}

/// Who a password link for the account with `email` goes to: its address, name and timezone.
async fn link_recipient(
    client: &Client,
    email: &str,
    url: String,
    expires_at: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<sparky_web::pages::link_mail::LinkMail> {
    let row = client
        .query_one(
            "SELECT u.email::text, u.full_name::text,
                    coalesce((SELECT p.timezone FROM user_preferences p
                              WHERE p.user_id = u.id LIMIT 1), 'UTC')
             FROM users u WHERE lower(u.email) = lower(btrim($1))",
            &[&email],
        )
        .await?;
    Ok(sparky_web::pages::link_mail::LinkMail {
        email: row.get(0),
        full_name: row.get(1),
        url,
        expires_at,
        timezone: row.get(2),
    })
}

/// `link` as a QR code of half-block characters, two modules to a line. Drawn light on the
/// terminal's own (usually dark) background: the code's light modules and its quiet zone are
/// the blocks, so a camera sees dark modules on a light square.
fn terminal_qr(link: &str) -> String {
    use qrcode::render::unicode::Dense1x2;
    match qrcode::QrCode::with_error_correction_level(link.as_bytes(), qrcode::EcLevel::M) {
        Ok(code) => {
            let drawn = code
                .render::<Dense1x2>()
                .dark_color(Dense1x2::Light)
                .light_color(Dense1x2::Dark)
                .quiet_zone(true)
                .build();
            format!("{drawn}\n")
        }
        Err(e) => format!("(no QR code: {e})\n"),
    }
}

/// The origin a password link starts with: `--url` / SPARKY_PUBLIC_URL (checked as the server
/// checks it), else http:// and SPARKY_BIND.
fn link_origin(url: Option<&str>) -> anyhow::Result<String> {
    let config = sparky_web::WebConfig::default()
        .with_public_url(url)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(match config.public_origin {
        Some(origin) => origin,
        None => {
            let bind = std::env::var("SPARKY_BIND").unwrap_or_else(|_| "127.0.0.1:8080".into());
            format!("http://{bind}")
        }
    })
}
