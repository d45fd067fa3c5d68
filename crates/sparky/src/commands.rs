//! What each subcommand does (`serve` lives in serve.rs). Every command that needs the
//! database starts the embedded cluster on demand and stops it again if it started it.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use sparky_db::migrate::{self, State};
use sparky_db::{
    doctor, Database, DbSettings, EmbeddedPostgres, Located, MigrationSource, Migrator,
};

use crate::cli::{
    Cli, Command, DbArgs, ExercisesAction, FoodFormat, FoodsAction, MigrateAction, MigrationArgs,
    ServeOnly,
};
use crate::exercise_import;
use crate::food_import;
use crate::starter_catalog;

// `sparky user …` lives in src/users.rs.
use crate::users;

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        None => crate::serve::serve(&cli.db, ServeOnly::parse_from(["sparky"]).args).await,
        Some(Command::Serve(args)) => crate::serve::serve(&cli.db, args).await,
        Some(Command::Migrate { migrations, action }) => {
            migrate_command(&cli.db, &migrations, action).await
        }
        Some(Command::Doctor {
            json,
            migrations,
            mail,
            public_url,
        }) => doctor_command(&cli.db, &migrations, json, &mail, public_url.as_deref()).await,
        Some(Command::User(action)) => users::user_command(&cli.db, action).await,
        Some(Command::Foods(action)) => foods_command(&cli.db, action).await,
        Some(Command::Exercises(action)) => exercises_command(&cli.db, action).await,
        Some(Command::Backup(args)) => crate::backup::backup_command(&cli.db, args).await,
        Some(Command::Restore(args)) => crate::backup::restore_command(&cli.db, args).await,
        Some(Command::Export(args)) => crate::transfer::export_command(&cli.db, args).await,
        Some(Command::Import(args)) => crate::transfer::import_command(&cli.db, args).await,
        Some(Command::ImportFrom(args)) => crate::import_from::run(&cli.db, args).await,
        Some(Command::MailTest { to, mail }) => crate::mail::mail_test(&to, &mail).await,
        Some(Command::Mcp) => mcp_stdio(&cli.db).await,
    }
}

pub(crate) fn settings(db: &DbArgs) -> DbSettings {
    let mut s = DbSettings::new(db.database_url.clone(), db.data_dir.clone());
    s.pg_os_user = db.pg_os_user.clone();
    s.app_role = db.app_role.clone();
    s.app_database_url = db.app_database_url.clone();
    s
}

pub(crate) fn migrator(db: &DbArgs, args: &MigrationArgs) -> anyhow::Result<Migrator> {
    let source = match &args.migrations_dir {
        Some(dir) => MigrationSource::Directory(dir.clone()),
        None => MigrationSource::Embedded,
    };
    Ok(Migrator::new(source, &db.app_role)?
        .allow_out_of_order(args.allow_out_of_order)
        // Sparky manages the embedded cluster's roles, so requests log in as the request role.
        .request_role_login(db.database_url.is_none()))
}

/// Runs `f` with the located database (`located.owner`: the owner-role connection settings),
/// stopping an embedded cluster that was started only for this command.
/// Runs `f` against an existing database: with the embedded cluster, it must be there already
/// (a mistyped SPARKY_DATA_DIR made an empty cluster there, then said the schema was missing).
pub(crate) async fn with_database<T>(
    db: &DbArgs,
    f: impl AsyncFnOnce(&Located) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    if db.database_url.is_none() && !db.data_dir.join("postgres").join("PG_VERSION").exists() {
        anyhow::bail!(
            "no Sparky database in {}: `sparky migrate up` creates it without serving (then \
             `sparky user create --admin` makes the first account before anyone can register), \
             or point SPARKY_DATA_DIR (--data-dir) at the directory your server uses",
            db.data_dir.display()
        );
    }
    with_database_creating(db, f).await
}

/// Runs `f` against the database, creating the embedded cluster when there is none (`migrate
/// up` and `restore` set one up).
pub(crate) async fn with_database_creating<T>(
    db: &DbArgs,
    f: impl AsyncFnOnce(&Located) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let mut located = sparky_db::locate(&settings(db)).await?;
    let result = f(&located).await;
    if let Some(pg) = located.embedded.take() {
        stop_if_ours(pg).await;
    }
    result
}

async fn stop_if_ours(pg: EmbeddedPostgres) {
    if pg.was_adopted() {
        return; // someone else (a running server) uses it
    }
    if let Err(e) = pg.stop().await {
        tracing::warn!("stopping the embedded PostgreSQL failed: {e:#}");
    }
}

/// Whether a migrate action may create the embedded cluster.
enum ActionKind {
    SetsUp,
    NeedsOne,
}

async fn migrate_command(
    db: &DbArgs,
    args: &MigrationArgs,
    action: MigrateAction,
) -> anyhow::Result<ExitCode> {
    if let MigrateAction::New { description } = &action {
        let dir = args
            .migrations_dir
            .clone()
            .unwrap_or_else(|| "db/migrations".into());
        let path = migrate::new_migration_file(&dir, description, chrono::Utc::now())?;
        println!("{}", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    let action_kind = match action {
        MigrateAction::Up { dry_run: false } => ActionKind::SetsUp,
        _ => ActionKind::NeedsOne,
    };
    let migrator = migrator(db, args)?;
    // Only `migrate up` sets a database up: looking at or rolling back one in a mistyped
    // SPARKY_DATA_DIR made an empty cluster there.
    let body = async |located: &Located| {
        let config = &located.owner;
        let client = sparky_db::connect(config).await?;
        match action {
            MigrateAction::Status { json } => {
                let status = migrator.status(&client).await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&status)?);
                } else {
                    print_status(&status);
                }
                Ok(if status.is_current() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                })
            }
            MigrateAction::Up { dry_run: true } => {
                let pending = migrator.pending(&client).await?;
                if pending.is_empty() {
                    println!("nothing to apply");
                }
                for m in pending {
                    println!(
                        "would apply {}{}",
                        m.file_name,
                        if m.no_transaction {
                            " (no transaction)"
                        } else {
                            ""
                        }
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            MigrateAction::Up { dry_run: false } => {
                let config = &located.owner;
                let report = migrator.run(config).await?;
                if report.applied.is_empty() {
                    println!("nothing to apply");
                }
                for v in report.applied {
                    println!("applied {v}");
                }
                Ok(ExitCode::SUCCESS)
            }
            MigrateAction::MarkApplied { version } => {
                migrator.mark_applied(&client, &version).await?;
                println!("marked {version} as applied");
                Ok(ExitCode::SUCCESS)
            }
            MigrateAction::Repair { version } => {
                let checksum = migrator.repair(&client, &version).await?;
                println!("recorded new checksum {checksum} for {version}");
                Ok(ExitCode::SUCCESS)
            }
            MigrateAction::Down {
                version,
                no_backup,
                yes,
            } => {
                // A rollback drops what later migrations added (columns, tables, the rows in
                // them): never under a running server, and never without a copy to go back to.
                let others = crate::backup::other_sessions(&client).await?;
                if others > 0 {
                    anyhow::bail!(
                        "{others} other session(s) are connected to the database (is `sparky serve` \
                         running?); stop them before rolling back. Nothing was rolled back"
                    );
                }
                // A mistyped or unapplied version is refused before the backup, not after.
                let versions = migrator.down_versions(&client, version.as_deref()).await?;
                drop(client);
                if !yes {
                    anyhow::bail!(
                        "this rolls back {} (dropping what {} added, with the rows in it); run it \
                         again with --yes. Nothing was rolled back",
                        versions.join(", "),
                        if versions.len() == 1 { "it" } else { "they" }
                    );
                }
                if !no_backup {
                    let dir = crate::backup::backup_dir(db, None);
                    let (path, _) = crate::backup::take(
                        config.config(),
                        &db.app_role,
                        &dir,
                        crate::backup::Kind::PreMigrate,
                    )
                    .await
                    .context(
                        "backing up before the rollback failed, so nothing was rolled back \
                         (--no-backup rolls back without one)",
                    )?;
                    println!("backed up to {}", path.display());
                }
                for v in migrator.down(config, version.as_deref()).await? {
                    println!("rolled back {v}");
                }
                Ok(ExitCode::SUCCESS)
            }
            MigrateAction::New { .. } => unreachable!("handled above"),
        }
    };
    if matches!(action_kind, ActionKind::SetsUp) {
        with_database_creating(db, body).await
    } else {
        with_database(db, body).await
    }
}

fn print_status(status: &migrate::Status) {
    println!(
        "{:<18} {:<10} {:<25} DESCRIPTION",
        "VERSION", "STATE", "APPLIED AT"
    );
    for e in &status.entries {
        let state = match (e.state, e.out_of_order) {
            (State::Pending, true) => "pending*",
            (State::Pending, false) => "pending",
            (State::Applied, _) => "applied",
            (State::Modified, _) => "MODIFIED",
            (State::Unknown, _) => "UNKNOWN",
        };
        let at = e
            .applied_at
            .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_default();
        println!(
            "{:<18} {:<10} {:<25} {}",
            e.version, state, at, e.description
        );
    }
    println!(
        "{} applied, {} pending, {} modified, {} unknown",
        status.count(State::Applied),
        status.count(State::Pending),
        status.count(State::Modified),
        status.count(State::Unknown)
    );
    if status.entries.iter().any(|e| e.out_of_order) {
        println!("* older than the newest applied migration (needs --allow-out-of-order)");
    }
}

async fn doctor_command(
    db: &DbArgs,
    args: &MigrationArgs,
    json: bool,
    mail: &crate::cli::MailArgs,
    public_url: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let migrator = migrator(db, args)?;
    with_database(db, async |located| {
        let client = sparky_db::connect(&located.owner).await?;
        let mut report = doctor::examine(&client, &db.app_role, &migrator).await?;
        report
            .findings
            .extend(doctor::request_login_findings(&located.requests, &db.app_role).await);
        report
            .findings
            .push(crate::backup::doctor_finding(db, &client).await);
        report
            .findings
            .push(crate::mail::doctor_finding(mail, public_url).await);
        if json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            print!("{}", report.render());
        }
        Ok(if report.healthy() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    })
    .await
}

async fn foods_command(db: &DbArgs, action: FoodsAction) -> anyhow::Result<ExitCode> {
    match action {
        FoodsAction::Import {
            format: FoodFormat::UsdaSr24,
            path,
            ..
        } => {
            // Read and check the data before touching (or starting) the database.
            let (data, stamp) = match &path {
                None => {
                    let sr24 = starter_catalog::Dataset::built_in()?;
                    let supplement = starter_catalog::Dataset::built_in_supplement(&sr24)?;
                    (vec![sr24, supplement], starter_catalog::Stamp::Always)
                }
                Some(path) => {
                    let (foods, portions) = starter_catalog::files_at(path)?;
                    (
                        vec![starter_catalog::read_files(&foods, &portions)?],
                        starter_catalog::Stamp::Never,
                    )
                }
            };
            with_database(db, async |located| {
                let mut client = sparky_db::connect(&located.owner).await?;
                food_import::check_schema(&client).await?;
                // Each data set is its own transaction: say what each did as it is done, so a
                // failing second one does not hide that the first was loaded.
                for data in &data {
                    let started = std::time::Instant::now();
                    let summary = starter_catalog::load(&mut client, data, stamp)
                        .await
                        .with_context(|| format!("loading the {}", data.kind.label()))?
                        .expect("loads unless IfChanged");
                    println!("{}", summary.line(started.elapsed().as_secs_f64()));
                }
                anyhow::Ok(())
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        FoodsAction::Import {
            format,
            path,
            batch_size,
        } => {
            let path = path.context("FILE is required for this format")?;
            // Check the input before touching (or starting) the database.
            let source = food_import::open(format, &path)?;
            let (summary, seconds) = with_database(db, async |located| {
                let mut client = sparky_db::connect(&located.owner).await?;
                food_import::check_schema(&client).await?;
                food_import::run(&mut client, source, batch_size as usize).await
            })
            .await?;
            println!("{}", summary.line(seconds));
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn exercises_command(db: &DbArgs, action: ExercisesAction) -> anyhow::Result<ExitCode> {
    match action {
        ExercisesAction::Import { path } => {
            // Check the whole file before touching (or starting) the database.
            let exercises = exercise_import::read(&path)?;
            let summary = with_database(db, async |located| {
                let mut client = sparky_db::connect(&located.owner).await?;
                exercise_import::check_schema(&client).await?;
                exercise_import::run(&mut client, &exercises).await
            })
            .await?;
            println!("{}", summary.line());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The assistant's settings from `SPARKY_AI_*`, and the secret key for users' AI keys
/// (`SPARKY_SECRET_KEY`, else `secret.key` in the data directory, created on first start).
pub(crate) fn assistant_config(
    data_dir: &std::path::Path,
    external_database: bool,
) -> anyhow::Result<sparky_app::assistant::config::Assistant> {
    use sparky_app::assistant::config::{Assistant, InstanceConfig, SecretKey};
    let instance =
        InstanceConfig::from_vars(|n| std::env::var(n).ok()).map_err(anyhow::Error::msg)?;
    let given = std::env::var("SPARKY_SECRET_KEY")
        .ok()
        .filter(|k| !k.trim().is_empty());
    if external_database && given.is_none() {
        // Another instance on the same database would make its own key file and could not
        // read the AI keys this one saved (nor this one theirs).
        tracing::warn!(
            "SPARKY_SECRET_KEY is not set: users' saved AI keys are encrypted with {}, which \
             other instances on this database do not have; set the same SPARKY_SECRET_KEY on \
             every instance",
            data_dir
                .join(sparky_app::assistant::config::SECRET_KEY_FILE)
                .display()
        );
    }
    let secret = SecretKey::load(given.as_deref(), data_dir).map_err(anyhow::Error::msg)?;
    Ok(Assistant {
        instance,
        secret: Some(secret),
    })
}

/// `sparky mcp`: the MCP server over stdin/stdout for the user of `SPARKY_API_KEY`. Only
/// protocol messages go to stdout; logs go to stderr.
async fn mcp_stdio(db: &DbArgs) -> anyhow::Result<ExitCode> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let key = std::env::var("SPARKY_API_KEY")
        .ok()
        .filter(|k| !k.trim().is_empty())
        .context("set SPARKY_API_KEY to an API key of the user the tools act for")?;
    with_database(db, async |located| {
        let database = Database::builder(&located.owner, &db.app_role)
            .requests(located.requests.clone())
            .pool_size(2)
            .build()?;
        // The key is checked for every message, as over HTTP: revoking it (or its expiry)
        // stops a running client at once. A read-only key's tools run read only (see
        // sparky_db::Identity).
        let token_hash = sparky_app::accounts::credentials::token_hash(key.trim());
        let identity = async || -> anyhow::Result<sparky_db::Identity> {
            let mut tx = database
                .authenticate(sparky_db::Credential {
                    kind: "api_key",
                    token_hash: token_hash.clone(),
                    session_ttl_seconds: 30 * 86_400,
                })
                .await?;
            let who = tx.identity().await.map_err(|_| {
                anyhow::anyhow!("SPARKY_API_KEY is not a valid API key (revoked or expired?)")
            })?;
            tx.commit().await?;
            Ok(who)
        };
        identity().await?;
        let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
        let mut out = tokio::io::stdout();
        while let Some(line) = lines.next_line().await? {
            if line.trim().is_empty() {
                continue;
            }
            let answer = match serde_json::from_str::<serde_json::Value>(&line) {
                Ok(message) => match identity().await {
                    Ok(who) => sparky_app::assistant::mcp::handle(&database, who, message).await,
                    Err(e) => Some(serde_json::json!({"jsonrpc": "2.0",
                        "id": message.get("id").cloned().unwrap_or(serde_json::Value::Null),
                        "error": {"code": -32001, "message": e.to_string()}})),
                },
                Err(e) => Some(serde_json::json!({"jsonrpc": "2.0", "id": null,
                    "error": {"code": -32700, "message": format!("not JSON: {e}")}})),
            };
            if let Some(a) = answer {
                out.write_all(format!("{a}\n").as_bytes()).await?;
                out.flush().await?;
            }
        }
        Ok(ExitCode::SUCCESS)
    })
    .await
}
