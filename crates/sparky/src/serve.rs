//! `sparky serve` (and `sparky` alone): migrations, the request role, the web server with its
//! graceful shutdown, and the starter catalog loaded beside serving.

use std::process::ExitCode;

use anyhow::Context;
use sparky_db::{roles, Database, Located, Migrator, RequestLogin};

use crate::cli::{DbArgs, ServeArgs};
use crate::commands::{assistant_config, migrator, settings};
use crate::starter_catalog;

pub(crate) async fn serve(db: &DbArgs, args: ServeArgs) -> anyhow::Result<ExitCode> {
    crate::open_files::raise_limit();
    // Settings that can be wrong are checked before a database is made or migrated for a
    // server that would then refuse to start.
    sparky_web::WebConfig::default()
        .with_public_url(args.public_url.as_deref())
        .map_err(anyhow::Error::msg)?;
    mailer(&args)?;
    {
        use std::net::ToSocketAddrs;
        args.bind.to_socket_addrs().with_context(|| {
            format!(
                "SPARKY_BIND {:?} is not an address to listen on, like 127.0.0.1:8080",
                args.bind
            )
        })?;
    }
    // Installed before anything starts: a signal while the cluster starts, a backup runs or
    // migrations apply ends the start-up cleanly (rolled back, pg_dump stopped, PostgreSQL
    // stopped) instead of killing the process with its database left running.
    let stopping = stop_requests();
    let started = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let migrator = migrator(db, &args.migrations)?;
    let mut located = sparky_db::locate(&settings(db)).await?;
    // Held until this process exits. Refused, it leaves the cluster as it found it.
    let _claim = match located.embedded {
        Some(_) => Some(claim_data_dir(&db.data_dir)?),
        None => None,
    };
    let supervisor = located
        .embedded
        .as_ref()
        .map(|pg| pg.supervise(std::time::Duration::from_secs(1)));
    let abort_start_up = {
        let mut stopping = stopping.clone();
        let started = started.clone();
        async move {
            let _ = stopping.wait_for(|stop| *stop).await;
            if started.load(std::sync::atomic::Ordering::SeqCst) {
                // Serving: the server drains on the same signal.
                std::future::pending::<()>().await;
            }
        }
    };
    let result = tokio::select! {
        r = serve_with(&located, db, &args, &migrator, stopping, started) => r,
        _ = abort_start_up => {
            tracing::info!("stopped while starting");
            Ok(())
        }
    };
    if let Some(s) = supervisor {
        s.abort();
    }
    if let Some(pg) = located.embedded.take() {
        // We serve from it, so we stop it, adopted after a crash or not.
        if let Err(e) = pg.stop().await {
            tracing::warn!("stopping the embedded PostgreSQL failed: {e:#}");
        }
    }
    result.map(|_| ExitCode::SUCCESS)
}

/// Claims the data directory for this serving process: an exclusive lock on
/// `<dir>/.serve.lock` (with this process's id in it), held until the process exits. A second
/// `serve` on the same directory is refused before it does anything; it used to adopt the
/// running cluster and stop it under the first on its way out.
fn claim_data_dir(dir: &std::path::Path) -> anyhow::Result<std::fs::File> {
    use std::io::{Read, Seek, Write};
    let path = dir.join(".serve.lock");
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {
            file.set_len(0)?;
            file.rewind()?;
            writeln!(file, "{}", std::process::id())?;
            Ok(file)
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            anyhow::bail!(
                "another `sparky serve` (pid {}) is using {}; stop it first",
                pid.trim(),
                dir.display()
            )
        }
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("locking {}", path.display()))
        }
    }
}

async fn serve_with(
    located: &Located,
    db: &DbArgs,
    args: &ServeArgs,
    migrator: &Migrator,
    mut stopping: tokio::sync::watch::Receiver<bool>,
    started: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> anyhow::Result<()> {
    let config = &located.owner;
    crate::backup::before_migrations(config.config(), db, &args.backups, migrator).await?;
    let report = migrator.run(config).await?;
    if !report.applied.is_empty() {
        tracing::info!(count = report.applied.len(), "schema is up to date");
    }
    let client = sparky_db::connect(config).await?;
    let risks = roles::bypass_risks(&client, &db.app_role).await?;
    if !risks.is_empty() {
        anyhow::bail!(
            "refusing to serve: the request role could bypass row level security: {}",
            risks.join("; ")
        );
    }
    drop(client);
    let pool_size = args.pool_size.map(|n| n.get()).unwrap_or_else(|| {
        // Commits wait for the WAL flush without using a core, and one flush serves every
        // commit waiting for it: logging food needs more connections than there are cores.
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        (4 * cpus).max(16)
    });
    let ms = |v: u32| std::time::Duration::from_millis(u64::from(v));
    let database = Database::builder(config, &db.app_role)
        .requests(located.requests.clone())
        .pool_size(pool_size)
        .statement_timeout(ms(args.statement_timeout_ms))
        .idle_in_transaction_timeout(ms(args.idle_in_transaction_timeout_ms))
        .build()?;
    match &located.requests {
        // Fail now rather than answer every request 503.
        RequestLogin::AsRequestRole(_) => database.ping().await.with_context(|| {
            format!(
                "requests cannot log in as the request role {}; on an external server it \
                 needs LOGIN and a password (ALTER ROLE {} LOGIN PASSWORD '...') that \
                 SPARKY_APP_DATABASE_URL carries",
                db.app_role, db.app_role
            )
        })?,
        RequestLogin::OwnerSwitchesRole => tracing::warn!(
            "requests use owner connections and switch to {} per transaction; set \
             SPARKY_APP_DATABASE_URL so they log in as it (see `sparky doctor`)",
            db.app_role
        ),
    }
    let mail = mailer(args)?;
    let web_config = sparky_web::WebConfig {
        allow_signup: args.allow_signup,
        max_body_bytes: args.max_body,
        max_import_body_bytes: args.max_import_body,
        max_concurrent_imports: usize::from(args.max_concurrent_imports),
        import_statement_timeout: ms(args.import_statement_timeout_ms),
        session_ttl_seconds: i32::try_from(u64::from(args.session_days) * 86_400)
            .context("SPARKY_SESSION_DAYS is too large")?,
        login_attempts_per_minute_ip: args.login_per_minute_ip,
        login_attempts_per_minute_account: args.login_per_minute_account,
        signups_per_minute_ip: args.signups_per_minute_ip,
        trust_proxy: args.trust_proxy,
        mail: mail.clone().inspect(|m| {
            tracing::info!(server = m.server(), "password links can be mailed");
            if let Some(warning) = m.warning() {
                tracing::warn!("{warning}");
            }
        }),
        ..Default::default()
    }
    .with_public_url(args.public_url.as_deref())
    .map_err(anyhow::Error::msg)?;
    let purger = sparky_web::spawn_session_purger(database.clone());
    let _scheduled_backups = crate::backup::schedule(config.config(), db, &args.backups);
    // The built-in food catalog loads beside serving (first start, or an upgrade that changed
    // it: a few seconds), so readiness does not wait for it.
    let starter = args
        .starter_catalog
        .then(|| tokio::spawn(load_starter_catalog(config.clone())));
    let app = sparky_web::router(
        sparky_web::AppState::new(database, web_config, migrator.clone())
            .with_providers(sparky_providers::Providers::from_env())
            .with_assistant(assistant_config(&db.data_dir, located.embedded.is_none())?),
    );
    started.store(true, std::sync::atomic::Ordering::SeqCst);
    let stop = async move {
        let _ = stopping.wait_for(|stop| *stop).await;
    };
    let listener = tokio::net::TcpListener::bind(&args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, "listening");
    // Beside serving: it asks the database whether anyone has an account yet.
    tokio::spawn(announce(config.clone(), address, args.public_url.clone()));
    let options = sparky_web::server::ServeOptions {
        drain: std::time::Duration::from_millis(args.shutdown_drain_ms),
        finish: std::time::Duration::from_millis(args.shutdown_timeout_ms),
        body_stall: std::time::Duration::from_millis(args.body_timeout_ms),
        header_read: std::time::Duration::from_millis(args.header_timeout_ms),
        max_connections_per_address: args.max_connections_per_ip,
    };
    sparky_web::server::serve(listener, app, stop, options).await?;
    if let Some(mail) = &mail {
        // A password link someone asked for is mailed after the answer: let it go out.
        let left = mail.finish(MAIL_FINISH).await;
        if left > 0 {
            tracing::warn!(
                "{left} password link message(s) still going out after {} s were cut off; \
                 whoever asked can ask again",
                MAIL_FINISH.as_secs()
            );
        }
    }
    purger.abort();
    if let Some(task) = starter {
        // An unfinished load rolls back with its connection; the next start does it again.
        task.abort();
    }
    tracing::info!("stopped serving");
    Ok(())
}

/// Tells the person who started Sparky where to go, and on an empty server who becomes the
/// administrator. On standard output: it is for people, not for the log.
async fn announce(
    owner: sparky_db::PgTarget,
    address: std::net::SocketAddr,
    public: Option<String>,
) {
    let url = match public.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => p.trim_end_matches('/').to_string(),
        None if address.ip().is_unspecified() => format!("http://127.0.0.1:{}", address.port()),
        None => format!("http://{address}"),
    };
    say(format_args!("Sparky is ready: open {url}/"));
    let empty = async {
        let client = sparky_db::connect(&owner).await.ok()?;
        sparky_app::accounts::admin::no_accounts_yet(&client)
            .await
            .ok()
    }
    .await;
    if empty == Some(true) {
        say(format_args!(
            "No accounts yet: the first account to register becomes the administrator."
        ));
    }
}

/// Like println!, but a closed standard output (its reader gone) is not a panic: what the
/// server tells a person must never be able to stop it.
fn say(message: std::fmt::Arguments) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{message}");
}

/// Loads the built-in starter food catalog unless this copy is loaded already. A failure
/// leaves the catalog as it was (one transaction) and is no reason to stop serving.
async fn load_starter_catalog(config: sparky_db::PgTarget) {
    let result = async {
        let mut client = sparky_db::connect(&config).await?;
        starter_catalog::ensure_loaded(&mut client).await
    }
    .await;
    match result {
        Ok(loads) if loads.is_empty() => tracing::debug!("the starter food catalog is loaded"),
        Ok(loads) => {
            for load in loads {
                match load {
                    Ok((summary, seconds)) => tracing::info!("{}", summary.line(seconds)),
                    Err(e) => tracing::warn!(
                        "could not load {e:#}; `sparky foods import --format usda-sr24` retries"
                    ),
                }
            }
        }
        Err(e) => tracing::warn!(
            "could not load the starter food catalog ({e:#}); \
             `sparky foods import --format usda-sr24` retries"
        ),
    }
}

/// Turns true on SIGTERM, SIGINT or SIGHUP (the terminal went away). The handlers are
/// installed when this is called, so a signal at any later moment is seen, not fatal.
fn stop_requests() -> tokio::sync::watch::Receiver<bool> {
    use tokio::signal::unix::{signal, SignalKind};
    let (tx, rx) = tokio::sync::watch::channel(false);
    let kinds = [
        SignalKind::terminate(),
        SignalKind::interrupt(),
        SignalKind::hangup(),
    ];
    let mut streams: Vec<_> = kinds.into_iter().filter_map(|k| signal(k).ok()).collect();
    tokio::spawn(async move {
        if streams.is_empty() {
            let _ = tokio::signal::ctrl_c().await;
        } else {
            let waits = streams.iter_mut().map(|s| Box::pin(s.recv()));
            futures::future::select_all(waits).await;
        }
        let _ = tx.send(true);
    });
    rx
}

/// How long a stopping server waits for password links still being mailed (a send has 30 s).
const MAIL_FINISH: std::time::Duration = std::time::Duration::from_secs(30);

/// The mailer of `SPARKY_SMTP_URL` and `SPARKY_MAIL_FROM`, checked before anything starts.
fn mailer(args: &ServeArgs) -> anyhow::Result<Option<sparky_providers::mail::Mailer>> {
    crate::mail::link_mailer(&args.mail, args.public_url.as_deref())
}
