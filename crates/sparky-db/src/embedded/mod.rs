//! A PostgreSQL cluster that Sparky runs itself, in a data directory it owns.
//!
//! With no `DATABASE_URL` Sparky should work out of the box, so it initialises and starts a
//! private cluster from the installed server binaries under `$SPARKY_DATA_DIR/postgres`.
//!
//! Layout of the data directory:
//!
//! - `postgres/` — the cluster (mode 0700, owned by the OS user that runs PostgreSQL). It is also
//!   the socket directory: the server listens only on `postgres/.s.PGSQL.5432`, never on TCP, so
//!   `trust` authentication is safe — only that OS user (and root) can reach the socket.
//! - `postgres.log` — the server log. It lives outside the cluster so that it survives a
//!   re-initialisation and can be read without entering the private cluster directory.
//! - `.embedded.lock` — an exclusive lock held while starting or stopping, so that concurrent
//!   Sparky processes (e.g. parallel test binaries) never run `initdb` or `pg_ctl start` twice;
//!   the second one finds the server running and adopts it.
//!
//! Sparky never changes the owner or mode of a directory it did not create: it creates (and,
//! as root, hands to the PostgreSQL OS user) only `postgres/`, the log file, and the data
//! directory itself when it had to create it. When permissions stand in the way it says which
//! command fixes them, before creating anything.

use std::fs::{self, File, OpenOptions};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use fs4::fs_std::FileExt;
use nix::unistd::{Gid, Uid};

mod binaries;
mod cluster;
mod data_dir;

use binaries::read_pg_version;
use cluster::{
    classify_lock_file, ensure_running, file_len, output_text, pg_ctl_status, with_log_tail,
    LockFile, Status,
};
use data_dir::{ensure_data_dir, prepare};

/// Where and how to run the embedded cluster.
#[derive(Debug, Clone)]
pub struct EmbeddedOptions {
    /// `$SPARKY_DATA_DIR`; the cluster lives in `<data_dir>/postgres`.
    pub data_dir: PathBuf,
    /// OS user that runs PostgreSQL when Sparky runs as root (`SPARKY_PG_OS_USER`, default `postgres`).
    pub os_user: Option<String>,
    /// Extra `-c name=value` server settings (tests use `fsync=off`).
    pub extra_settings: Vec<(String, String)>,
}

/// A running (started or adopted) embedded cluster.
///
/// Dropping it leaves the server running on purpose: stopping needs blocking process calls that
/// cannot run in `Drop`, and the next `start` adopts a running server anyway. Call
/// [`EmbeddedPostgres::stop`] for an orderly shutdown.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    cluster_dir: PathBuf,
    socket_dir: PathBuf,
    log_file: PathBuf,
    lock_file: PathBuf,
    runner: Runner,
    adopted: bool,
    /// What [`EmbeddedPostgres::supervise`] needs to start the server again.
    layout: Layout,
    settings: String,
}

/// The owner role and database of the embedded cluster.
pub const OWNER_ROLE: &str = "sparky";
pub const DATABASE_NAME: &str = "sparky";

/// The port number only names the socket file (`.s.PGSQL.<port>`); it is set explicitly so a
/// `PGPORT` in the environment cannot move the socket away from where clients look for it.
pub const PORT: u16 = 5432;

/// Oldest PostgreSQL major version Sparky supports.
pub const MIN_MAJOR_VERSION: u32 = 15;

/// `sizeof(sockaddr_un.sun_path)` minus the terminating NUL on Linux.
const MAX_SOCKET_PATH: usize = 107;

/// How many log lines an error carries: enough for PostgreSQL's FATAL plus its context.
const LOG_TAIL_LINES: usize = 30;

/// Settings Sparky owns; letting `extra_settings` override them would expose the server.
const MANAGED_SETTINGS: &[&str] = &[
    "port",
    "listen_addresses",
    "unix_socket_directories",
    "unix_socket_permissions",
];

const INSTALL_HINT: &str = "install the PostgreSQL server binaries, version 15 or newer \
     (Debian/Ubuntu: `apt-get install postgresql`, or `postgresql-15` or newer), \
     or set DATABASE_URL to use an existing server";

impl EmbeddedPostgres {
    /// Initialises the cluster on first use, then starts it, or adopts it when it already runs.
    pub async fn start(opts: &EmbeddedOptions) -> anyhow::Result<EmbeddedPostgres> {
        let layout = Layout::new(opts)?;
        let settings = server_settings(&layout, &opts.extra_settings)?;
        let (l, os_user) = (layout.clone(), opts.os_user.clone());
        let run_as = blocking(move || ensure_data_dir(&l, os_user.as_deref())).await?;
        let _lock = lock(layout.lock_file.clone()).await?;

        let (l, r) = (layout.clone(), run_as.clone());
        let (runner, created_cluster_dir) = blocking(move || prepare(&l, r)).await?;

        let (l, r, s) = (layout.clone(), runner.clone(), settings.clone());
        let outcome = match blocking(move || ensure_running(&l, &r, &s)).await {
            Ok(o) => o,
            Err(e) => {
                // Leave nothing half-made: a cluster directory made by this attempt and never
                // initialised goes (initdb already removed whatever it wrote).
                if created_cluster_dir && matches!(read_pg_version(&layout.cluster_dir), Ok(None)) {
                    let _ = fs::remove_dir_all(&layout.cluster_dir);
                }
                return Err(e);
            }
        };

        let pg = EmbeddedPostgres {
            cluster_dir: layout.cluster_dir.clone(),
            socket_dir: layout.socket_dir.clone(),
            log_file: layout.log_file.clone(),
            lock_file: layout.lock_file.clone(),
            runner,
            adopted: outcome.adopted,
            layout: layout.clone(),
            settings,
        };
        // An adopted server may still be in crash recovery; give it time to accept connections.
        let wait = if outcome.adopted { 60 } else { 10 };
        if let Err(e) = pg.ensure_database(Duration::from_secs(wait)).await {
            return Err(with_log_tail(
                e,
                "PostgreSQL is running but Sparky could not set up its database",
                &layout.log_file,
                outcome.log_offset,
            ));
        }
        if outcome.adopted {
            tracing::info!(cluster = %layout.cluster_dir.display(), "adopted running PostgreSQL");
        } else {
            tracing::info!(
                cluster = %layout.cluster_dir.display(),
                socket_dir = %layout.socket_dir.display(),
                log = %layout.log_file.display(),
                "started PostgreSQL"
            );
        }
        Ok(pg)
    }

    pub fn cluster_dir(&self) -> &Path {
        &self.cluster_dir
    }

    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// The server log, `<data_dir>/postgres.log`.
    pub fn log_file(&self) -> &Path {
        &self.log_file
    }

    /// Whether `start` found the server already running (e.g. left over by a crashed process).
    pub fn was_adopted(&self) -> bool {
        self.adopted
    }

    pub fn owner_config(&self, dbname: &str) -> tokio_postgres::Config {
        let mut c = tokio_postgres::Config::new();
        c.host_path(self.socket_dir())
            .port(PORT)
            .user(OWNER_ROLE)
            .dbname(dbname);
        c
    }

    /// Stops the server, even when it was adopted rather than started by this process.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _lock = lock(self.lock_file.clone()).await?;
        let cluster = self.cluster_dir.clone();
        let runner = self.runner.clone();
        let log_file = self.log_file.clone();
        blocking(move || {
            let offset = file_len(&log_file);
            let out = runner
                .command("pg_ctl")
                .arg("stop")
                .args(["-m", "fast", "-w", "-t", "60", "-D"])
                .arg(&cluster)
                .output()
                .context("running pg_ctl stop")?;
            if out.status.success() {
                tracing::info!(cluster = %cluster.display(), "stopped PostgreSQL");
                return Ok(());
            }
            // Stopping a server that is already gone (e.g. it crashed) is not a failure: the
            // caller wanted it down, and it is.
            if pg_ctl_status(&runner, &cluster)? == Status::NotRunning {
                tracing::warn!(cluster = %cluster.display(), "PostgreSQL was not running at stop");
                return Ok(());
            }
            Err(with_log_tail(
                anyhow!("pg_ctl stop failed:\n{}", output_text(&out)),
                &format!("could not stop PostgreSQL in {}", cluster.display()),
                &log_file,
                offset,
            ))
        })
        .await
    }

    /// Watches the server and starts it again (with crash recovery) when it is gone — killed,
    /// out of memory, crashed — so a server that Sparky runs comes back without an operator.
    /// Requests answer 503 meanwhile; the pool reconnects by itself. Abort the task before
    /// [`EmbeddedPostgres::stop`].
    pub fn supervise(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let (layout, runner, settings) = (
            self.layout.clone(),
            self.runner.clone(),
            self.settings.clone(),
        );
        tokio::spawn(async move {
            let pid_file = layout.cluster_dir.join("postmaster.pid");
            let mut wait = every;
            loop {
                tokio::time::sleep(wait).await;
                let (f, c) = (pid_file.clone(), layout.cluster_dir.clone());
                if let Ok(LockFile::Live(_)) =
                    blocking(move || Ok(classify_lock_file(&f, &c))).await
                {
                    wait = every;
                    continue;
                }
                let started = Instant::now();
                tracing::warn!(cluster = %layout.cluster_dir.display(), "PostgreSQL is not running (killed or crashed); starting it again");
                let (l, r, s) = (layout.clone(), runner.clone(), settings.clone());
                // The same lock as start and stop, held on the blocking thread: if this task
                // is aborted mid-restart (Sparky stopping), `stop` still waits for the start.
                let restarted = blocking(move || {
                    let _lock = lock_blocking(&l.lock_file)?;
                    ensure_running(&l, &r, &s)
                })
                .await;
                match restarted {
                    Ok(_) => {
                        tracing::info!(
                            after_ms = started.elapsed().as_millis() as u64,
                            "PostgreSQL is running again"
                        );
                        wait = every;
                    }
                    Err(e) => {
                        // Back off so a server that cannot start does not fill the log.
                        wait = (wait * 2).min(Duration::from_secs(60));
                        tracing::error!(
                            retry_in_s = wait.as_secs(),
                            "restarting PostgreSQL failed: {e:#}"
                        );
                    }
                }
            }
        })
    }

    /// Creates [`DATABASE_NAME`] if missing; connecting also proves the server is usable.
    async fn ensure_database(&self, wait: Duration) -> anyhow::Result<()> {
        let config = self.owner_config("postgres");
        let deadline = Instant::now() + wait;
        let client = loop {
            match config.connect(tokio_postgres::NoTls).await {
                Ok((client, conn)) => {
                    tokio::spawn(async move {
                        if let Err(e) = conn.await {
                            tracing::debug!(error = %e, "embedded setup connection closed");
                        }
                    });
                    break client;
                }
                Err(e) if Instant::now() < deadline => {
                    tracing::debug!(error = %e, "waiting for PostgreSQL to accept connections");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => {
                    return Err(anyhow::Error::new(e).context(format!(
                        "connecting to PostgreSQL over {}",
                        self.socket_dir.join(format!(".s.PGSQL.{PORT}")).display()
                    )))
                }
            }
        };
        let exists = client
            .query_opt(
                "select 1 from pg_database where datname = $1",
                &[&DATABASE_NAME],
            )
            .await
            .context("looking up the sparky database")?
            .is_some();
        if !exists {
            let sql = format!("create database {}", quote_ident(DATABASE_NAME));
            match client.batch_execute(&sql).await {
                Ok(()) => tracing::info!(database = DATABASE_NAME, "created database"),
                Err(e)
                    if e.code() == Some(&tokio_postgres::error::SqlState::DUPLICATE_DATABASE) => {}
                Err(e) => return Err(anyhow::Error::new(e).context("creating the sparky database")),
            }
        }
        Ok(())
    }
}

/// Paths derived from the options, all absolute because the server `chdir`s into the cluster.
#[derive(Debug, Clone)]
struct Layout {
    data_dir: PathBuf,
    cluster_dir: PathBuf,
    socket_dir: PathBuf,
    log_file: PathBuf,
    lock_file: PathBuf,
}

impl Layout {
    fn new(opts: &EmbeddedOptions) -> anyhow::Result<Layout> {
        let data_dir = std::path::absolute(&opts.data_dir)
            .with_context(|| format!("resolving data directory {}", opts.data_dir.display()))?;
        // pg_ctl pastes -D and -l into a /bin/sh command line inside double quotes.
        let text = data_dir.to_str().ok_or_else(|| {
            anyhow!(
                "the data directory {} is not valid UTF-8",
                data_dir.display()
            )
        })?;
        if let Some(c) = text
            .chars()
            .find(|c| matches!(c, '"' | '$' | '`' | '\\' | '\n'))
        {
            bail!(
                "the data directory {text:?} contains {c:?}, which pg_ctl cannot handle; \
                 choose a SPARKY_DATA_DIR without it"
            );
        }
        let cluster_dir = data_dir.join("postgres");
        let socket_dir = cluster_dir.clone();
        let socket = socket_dir.join(format!(".s.PGSQL.{PORT}"));
        let len = socket.as_os_str().len();
        if len > MAX_SOCKET_PATH {
            bail!(
                "the PostgreSQL socket path {} is {len} bytes long, but Unix sockets allow at most \
                 {MAX_SOCKET_PATH}; choose a shorter SPARKY_DATA_DIR (at most {} bytes)",
                socket.display(),
                text.len() - (len - MAX_SOCKET_PATH)
            );
        }
        Ok(Layout {
            log_file: data_dir.join("postgres.log"),
            lock_file: data_dir.join(".embedded.lock"),
            data_dir,
            cluster_dir,
            socket_dir,
        })
    }
}

/// Runs the server binaries, as another OS user when Sparky is root (PostgreSQL refuses root).
#[derive(Debug, Clone)]
struct Runner {
    bin_dir: PathBuf,
    run_as: Option<RunAs>,
    cwd: PathBuf,
}

#[derive(Debug, Clone)]
struct RunAs {
    name: String,
    uid: Uid,
    gid: Gid,
    home: PathBuf,
}

impl Runner {
    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(self.bin_dir.join(program));
        // The server's cwd must be accessible to its user; root's cwd often is not.
        c.current_dir(&self.cwd).stdin(Stdio::null());
        if let Some(u) = &self.run_as {
            c.uid(u.uid.as_raw())
                .gid(u.gid.as_raw())
                .env("HOME", &u.home)
                .env("USER", &u.name)
                .env("LOGNAME", &u.name);
        }
        c
    }
}

struct Outcome {
    adopted: bool,
    /// Length of the log before this start attempt, so errors show only the new lines.
    log_offset: u64,
}

/// Takes the exclusive start/stop lock; it is released when the returned file is dropped.
/// The data directory must exist.
async fn lock(path: PathBuf) -> anyhow::Result<File> {
    blocking(move || lock_blocking(&path)).await
}

fn lock_blocking(path: &Path) -> anyhow::Result<File> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("opening lock file {}", path.display()))?;
    FileExt::lock_exclusive(&file).with_context(|| format!("locking {}", path.display()))?;
    Ok(file)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .context("embedded PostgreSQL worker thread failed")?
}

/// `-c name=value` arguments for the server, quoted for the shell pg_ctl runs them through.
fn server_settings(layout: &Layout, extra: &[(String, String)]) -> anyhow::Result<String> {
    let socket_dir = layout.socket_dir.to_str().ok_or_else(|| {
        anyhow!(
            "socket directory {} is not valid UTF-8",
            layout.socket_dir.display()
        )
    })?;
    let mut settings: Vec<(String, String)> = Vec::new();
    for (name, value) in extra {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        if !valid {
            bail!("invalid PostgreSQL setting name {name:?}");
        }
        if MANAGED_SETTINGS.contains(&name.to_ascii_lowercase().as_str()) {
            bail!("the PostgreSQL setting {name} is managed by Sparky and cannot be overridden");
        }
        settings.push((name.clone(), value.clone()));
    }
    settings.push(("port".into(), PORT.to_string()));
    settings.push(("listen_addresses".into(), String::new()));
    // The directory list is comma-separated; double quotes keep commas/spaces in the path.
    settings.push((
        "unix_socket_directories".into(),
        format!("\"{}\"", socket_dir.replace('"', "\"\"")),
    ));
    settings.push(("unix_socket_permissions".into(), "0700".into()));
    Ok(settings
        .iter()
        .map(|(n, v)| format!("-c {}", shell_quote(&format!("{n}={v}"))))
        .collect::<Vec<_>>()
        .join(" "))
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_for_shell() {
        assert_eq!(shell_quote("a'b"), "'a'\\''b'");
    }
}
