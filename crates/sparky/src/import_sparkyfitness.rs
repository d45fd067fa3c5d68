//! `sparky import-from sparkyfitness --source-database-url URL`: every user of a SparkyFitness
//! database, matched to a Sparky account by email (created when missing, with a random
//! password to reset with `sparky user set-password`), with their diary, foods, exercise
//! entries, measurements and goals (`sparky_app::imports::sparkyfitness`). Each user's import is
//! one transaction in that user's own RLS transaction; the source database is only read.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use sparky_app::imports::{self, sparkyfitness, ImportPreview};
use sparky_db::Database;

use crate::cli::DbArgs;
use crate::commands::with_database;
use crate::import_from::{print_preview, ImportFromArgs};

pub async fn run(db: &DbArgs, args: &ImportFromArgs) -> anyhow::Result<ExitCode> {
    let url = args
        .source_database_url
        .as_deref()
        .context("name the SparkyFitness database with --source-database-url URL")?;
    if !args.files.is_empty() {
        anyhow::bail!("sparkyfitness reads a database, not files: leave the file names out");
    }
    let config: tokio_postgres::Config = url
        .parse()
        .context("--source-database-url is not a PostgreSQL URL")?;
    let source = sparky_db::connect(&config)
        .await
        .context("cannot connect to the SparkyFitness database")?;
    let users = sparkyfitness::read(&source)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let only = args.user.as_deref().map(str::to_lowercase);
    with_database(db, async |located| {
        let database = Database::builder(&located.owner, &db.app_role)
            .requests(located.requests.clone())
            .pool_size(2)
            .build()?;
        let mut owner = sparky_db::connect(located.owner.clone()).await?;
        let mut total = ImportPreview::new("sparkyfitness", args.dry_run);
        for user in users {
            if only.as_ref().is_some_and(|o| *o != user.email.to_lowercase()) {
                continue;
            }
            let email = user.email.clone();
            let user_id = match imports::find_user(&owner, Some(&email)).await {
                Ok(id) => id,
                Err(_) if args.dry_run => {
                    eprintln!("{email}: a new account would be created");
                    continue;
                }
                Err(_) => {
                    let new = new_account(&email, user.full_name.as_deref())
                        .await
                        .with_context(|| format!("{email}: cannot create the account"))?;
                    let id = sparky_app::accounts::admin::create(&mut owner, &new)
                        .await
                        .map_err(|e| anyhow::anyhow!("{email}: {e}"))?;
                    eprintln!("{email}: account created (set its password with `sparky user set-password {email}`)");
                    id
                }
            };
            let mut tx = database.as_user(user_id).await?;
            tx.set_statement_timeout(Duration::from_secs(args.statement_timeout_secs));
            let preview = sparkyfitness::import_user(&mut tx, user, args.dry_run)
                .await
                .map_err(|e| anyhow::anyhow!("{email}: {e}; nothing of this user was imported"))?;
            if args.dry_run {
                tx.rollback().await?;
            } else {
                tx.commit().await?;
            }
            if !args.json {
                print!("{email}: ");
                print_preview(&preview, false);
            }
            total.merge(preview);
        }
        if args.json {
            print_preview(&total, true);
        }
        Ok(ExitCode::SUCCESS)
    })
    .await
}

/// A Sparky account for a SparkyFitness user: their email and name, and a random password
/// (SparkyFitness's password hashes are of another kind; the administrator sets a new one).
async fn new_account(
    email: &str,
    name: Option<&str>,
) -> anyhow::Result<sparky_app::accounts::admin::NewUser> {
    use sparky_core::account::{parse_full_name, Email};
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("email {e}"))?;
    let full_name = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .and_then(|n| parse_full_name(n).ok());
    let secret = sparky_app::accounts::credentials::random_secret();
    let password_hash = sparky_app::accounts::credentials::hash_password(secret)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(sparky_app::accounts::admin::NewUser {
        email,
        full_name,
        admin: false,
        password_hash,
        link: None,
    })
}
