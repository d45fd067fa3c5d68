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

use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use fs4::fs_std::FileExt;
use nix::unistd::{Gid, Uid, User};

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

/// Who runs the server when Sparky is root (PostgreSQL refuses to run as root).
fn server_os_user(os_user: Option<&str>) -> anyhow::Result<Option<RunAs>> {
    if Uid::effective().is_root() {
        Ok(Some(lookup_user(os_user.unwrap_or("postgres"))?))
    } else {
        Ok(None)
    }
}

/// The name of the OS user Sparky runs as, for commands in messages.
fn current_user_name() -> String {
    User::from_uid(Uid::effective())
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| Uid::effective().to_string())
}

fn owner_name(uid: u32) -> String {
    User::from_uid(Uid::from_raw(uid))
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| uid.to_string())
}

/// Checks the data directory, creating it when missing, before anything is written there.
/// Returns who runs the server.
fn ensure_data_dir(layout: &Layout, os_user: Option<&str>) -> anyhow::Result<Option<RunAs>> {
    let dir = &layout.data_dir;
    let me = current_user_name();
    let run_as = server_os_user(os_user)?;
    match fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => bail!(
            "SPARKY_DATA_DIR {} is not a directory; point SPARKY_DATA_DIR at a directory (it is \
             created if missing)",
            dir.display()
        ),
        Ok(meta) => {
            // Sparky keeps its lock, its log and postgres/ here.
            if nix::unistd::access(
                dir,
                nix::unistd::AccessFlags::W_OK | nix::unistd::AccessFlags::X_OK,
            )
            .is_err()
            {
                let fix = if meta.uid() == Uid::effective().as_raw() {
                    format!("`chmod u+rwx {}`", dir.display())
                } else {
                    format!("`sudo chown {me} {}`", dir.display())
                };
                bail!(
                    "Sparky (running as OS user {me}) cannot write to its data directory {} \
                     (owner {}, mode {:o}), where it keeps its PostgreSQL cluster (postgres/), \
                     log and lock file. Run {fix}, or set SPARKY_DATA_DIR to a directory {me} \
                     can write (e.g. `sudo install -d -o {me} -m 700 {}`). Nothing was changed",
                    dir.display(),
                    owner_name(meta.uid()),
                    meta.mode() & 0o7777,
                    dir.join("sparky").display()
                );
            }
            if let Some(u) = &run_as {
                check_traversable(u, dir)?;
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let existing = dir
                .ancestors()
                .skip(1)
                .find(|a| a.exists())
                .unwrap_or(Path::new("/"));
            if let Some(u) = &run_as {
                check_traversable(u, existing)?;
            }
            let parent = dir.parent().unwrap_or(Path::new("/"));
            // Missing parents are Sparky's too: open enough for the server's user to pass.
            let created = fs::DirBuilder::new()
                .recursive(true)
                .mode(0o755)
                .create(parent)
                .and_then(|()| fs::DirBuilder::new().mode(0o700).create(dir));
            match created {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => bail!(
                    "Sparky (running as OS user {me}) cannot create its data directory {}: \
                     {} is not writable for it. Create it: `sudo install -d -o {me} -m 700 {}`, \
                     or set SPARKY_DATA_DIR to a directory {me} can write",
                    dir.display(),
                    existing.display(),
                    dir.display()
                ),
                Err(e) => {
                    return Err(anyhow::Error::new(e)
                        .context(format!("creating the data directory {}", dir.display())))
                }
            }
            // Sparky made it, so it may hand it to the server's user (who writes the log).
            if let Some(u) = &run_as {
                chown_dir(dir, u)?;
            }
        }
        Err(e) => {
            return Err(anyhow::Error::new(e)
                .context(format!("inspecting the data directory {}", dir.display())))
        }
    }
    Ok(run_as)
}

fn chown_dir(dir: &Path, u: &RunAs) -> anyhow::Result<()> {
    std::os::unix::fs::lchown(dir, Some(u.uid.as_raw()), Some(u.gid.as_raw()))
        .with_context(|| format!("changing the owner of {} to {}", dir.display(), u.name))
}

/// Makes `postgres/` (and, as root, the log file) usable by the server's user, and finds the
/// binaries. Returns whether this call created `postgres/`.
fn prepare(layout: &Layout, run_as: Option<RunAs>) -> anyhow::Result<(Runner, bool)> {
    let cluster = &layout.cluster_dir;
    let server_uid = run_as
        .as_ref()
        .map_or(Uid::effective().as_raw(), |u| u.uid.as_raw());
    let server_user = run_as
        .as_ref()
        .map_or_else(current_user_name, |u| u.name.clone());
    let created = match fs::symlink_metadata(cluster) {
        Ok(meta) if !meta.is_dir() => bail!(
            "{} is not a directory, but Sparky keeps its PostgreSQL cluster there; move it away",
            cluster.display()
        ),
        // A directory someone else made (or owns) is not taken over.
        Ok(meta) if meta.uid() != server_uid => bail!(
            "{} belongs to {}, but PostgreSQL runs as {server_user} and must own its cluster \
             directory. If it is the cluster, run `sudo chown -R {server_user}: {}`; if it is \
             empty, remove it (`rmdir {}`) and Sparky creates it. Nothing was changed",
            cluster.display(),
            owner_name(meta.uid()),
            cluster.display(),
            cluster.display()
        ),
        Ok(_) => false,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::DirBuilder::new()
                .mode(0o700)
                .create(cluster)
                .with_context(|| format!("creating directory {}", cluster.display()))?;
            if let Some(u) = &run_as {
                if let Err(e) = chown_dir(cluster, u) {
                    let _ = fs::remove_dir(cluster);
                    return Err(e);
                }
            }
            true
        }
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!("inspecting {}", cluster.display())))
        }
    };
    let found = (|| {
        if let Some(u) = &run_as {
            prepare_log_file(&layout.log_file, u)?;
        }
        let cluster_version = read_pg_version(cluster)?;
        find_bin_dir(cluster_version)
    })();
    let bin_dir = match found {
        Ok(d) => d,
        Err(e) => {
            if created {
                let _ = fs::remove_dir(cluster);
            }
            return Err(e);
        }
    };
    Ok((
        Runner {
            bin_dir,
            run_as,
            cwd: layout.data_dir.clone(),
        },
        created,
    ))
}

/// pg_ctl opens the log as the server's user, who may not be able to create files in a data
/// directory Sparky did not create; so root creates it and hands it over. Never through a
/// symlink: that would hand over whatever it points at.
fn prepare_log_file(path: &Path, u: &RunAs) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)
        .with_context(|| {
            format!(
                "opening the PostgreSQL log {} (it must be a regular file, not a symlink)",
                path.display()
            )
        })?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        bail!(
            "the PostgreSQL log {} is not a regular file",
            path.display()
        );
    }
    if meta.uid() != u.uid.as_raw() {
        std::os::unix::fs::fchown(&file, Some(u.uid.as_raw()), Some(u.gid.as_raw()))
            .with_context(|| format!("changing the owner of {} to {}", path.display(), u.name))?;
    }
    Ok(())
}

fn lookup_user(name: &str) -> anyhow::Result<RunAs> {
    let user = User::from_name(name)
        .with_context(|| format!("looking up OS user {name:?}"))?
        .ok_or_else(|| {
            anyhow!(
                "Sparky runs as root, and PostgreSQL refuses to run as root, so it runs the embedded \
                 server as OS user {name:?} — but that user does not exist. Install PostgreSQL \
                 (which creates `postgres`) or set SPARKY_PG_OS_USER to an existing user"
            )
        })?;
    if user.uid.is_root() {
        bail!("PostgreSQL cannot run as root; set SPARKY_PG_OS_USER to an unprivileged user, not {name:?}");
    }
    Ok(RunAs {
        name: user.name,
        uid: user.uid,
        gid: user.gid,
        home: user.dir,
    })
}

/// PostgreSQL fails with an obscure "could not change directory" when an ancestor of its data
/// directory is not searchable by its user, so say which directory is the problem up front.
fn check_traversable(user: &RunAs, data_dir: &Path) -> anyhow::Result<()> {
    let groups = CString::new(user.name.as_str())
        .ok()
        .and_then(|n| nix::unistd::getgrouplist(&n, user.gid).ok())
        .unwrap_or_else(|| vec![user.gid]);
    for dir in data_dir.ancestors() {
        let meta = fs::metadata(dir).with_context(|| format!("inspecting {}", dir.display()))?;
        let mode = meta.mode();
        let ok = if meta.uid() == user.uid.as_raw() {
            mode & 0o100 != 0
        } else if groups.iter().any(|g| g.as_raw() == meta.gid()) {
            mode & 0o010 != 0
        } else {
            mode & 0o001 != 0
        };
        if !ok {
            bail!(
                "the PostgreSQL server runs as OS user {:?}, which cannot enter {} (mode {:o}); \
                 make it traversable (e.g. `chmod o+x {}`) or choose a SPARKY_DATA_DIR elsewhere",
                user.name,
                dir.display(),
                mode & 0o7777,
                dir.display()
            );
        }
    }
    Ok(())
}

fn read_pg_version(cluster_dir: &Path) -> anyhow::Result<Option<u32>> {
    let path = cluster_dir.join("PG_VERSION");
    match fs::read_to_string(&path) {
        Ok(s) => Ok(Some(parse_major(s.trim()).ok_or_else(|| {
            anyhow!(
                "{} does not hold a PostgreSQL version: {s:?}",
                path.display()
            )
        })?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::Error::new(e).context(format!("reading {}", path.display()))),
    }
}

/// Finds server binaries: `pg_config --bindir`, then the newest `/usr/lib/postgresql/<N>/bin`,
/// then `initdb` on `PATH`. An existing cluster needs the major version it was created with.
fn find_bin_dir(cluster_version: Option<u32>) -> anyhow::Result<PathBuf> {
    let mut found: Vec<(PathBuf, Option<u32>)> = Vec::new();
    for dir in candidate_bin_dirs() {
        let version = binary_major_version(&dir);
        if found.iter().any(|(d, _)| d == &dir) {
            continue;
        }
        found.push((dir, version));
    }
    let describe = || {
        found
            .iter()
            .map(|(d, v)| match v {
                Some(v) => format!("{} (PostgreSQL {v})", d.display()),
                None => format!("{} (unknown version)", d.display()),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(want) = cluster_version {
        if let Some((dir, _)) = found.iter().find(|(_, v)| *v == Some(want)) {
            return Ok(dir.clone());
        }
        bail!(
            "the embedded cluster was created by PostgreSQL {want}, but its server binaries were \
             not found (found: {}); install them (Debian/Ubuntu: `apt-get install postgresql-{want}`) \
             or upgrade the cluster with pg_upgrade",
            if found.is_empty() { "none".to_string() } else { describe() }
        );
    }
    if let Some((dir, _)) = found
        .iter()
        .find(|(_, v)| v.is_some_and(|v| v >= MIN_MAJOR_VERSION))
    {
        return Ok(dir.clone());
    }
    if found.is_empty() {
        bail!(
            "no PostgreSQL server binaries found (looked at `pg_config --bindir`, \
             /usr/lib/postgresql/<N>/bin and `initdb` on PATH); {INSTALL_HINT}"
        );
    }
    bail!(
        "PostgreSQL {MIN_MAJOR_VERSION} or newer is required, but only found {}; {INSTALL_HINT}",
        describe()
    )
}

fn candidate_bin_dirs() -> Vec<PathBuf> {
    let usable = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    let canon = |d: PathBuf| fs::canonicalize(&d).unwrap_or(d);
    let mut dirs = Vec::new();

    if let Ok(out) = Command::new("pg_config")
        .arg("--bindir")
        .stdin(Stdio::null())
        .output()
    {
        if out.status.success() {
            let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            if usable(&dir) {
                dirs.push(canon(dir));
            }
        }
    }

    if let Ok(entries) = fs::read_dir("/usr/lib/postgresql") {
        let mut versioned: Vec<(u32, PathBuf)> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let v = e.file_name().to_str()?.parse::<u32>().ok()?;
                Some((v, e.path().join("bin")))
            })
            .filter(|(_, d)| usable(d))
            .collect();
        versioned.sort_by_key(|v| std::cmp::Reverse(v.0));
        dirs.extend(versioned.into_iter().map(|(_, d)| canon(d)));
    }

    if let Some(path) = std::env::var_os("PATH") {
        for entry in std::env::split_paths(&path) {
            let initdb = entry.join("initdb");
            if initdb.is_file() {
                // Follow symlinks such as /usr/local/bin/initdb -> /usr/lib/postgresql/15/bin.
                if let Some(dir) = fs::canonicalize(&initdb)
                    .ok()
                    .and_then(|p| p.parent().map(Path::to_path_buf))
                {
                    if usable(&dir) {
                        dirs.push(dir);
                    }
                }
                break;
            }
        }
    }
    dirs
}

fn binary_major_version(bin_dir: &Path) -> Option<u32> {
    ["postgres", "initdb"].iter().find_map(|prog| {
        let out = Command::new(bin_dir.join(prog))
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .ok()?;
        if !out.status.success() {
            return None;
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let after = text
            .split_once("(PostgreSQL)")
            .map(|(_, rest)| rest)
            .unwrap_or(&text);
        after.split_whitespace().find_map(parse_major)
    })
}

/// `"15.4"`, `"16beta1"`, `"15"` → the major version.
fn parse_major(s: &str) -> Option<u32> {
    let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
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

/// Initialises if needed, then adopts a running server or starts it.
fn ensure_running(layout: &Layout, runner: &Runner, settings: &str) -> anyhow::Result<Outcome> {
    let cluster = &layout.cluster_dir;
    if read_pg_version(cluster)?.is_none() {
        initdb(layout, runner)?;
    }

    let pid_file = cluster.join("postmaster.pid");
    let crashed = match pg_ctl_status(runner, cluster)? {
        Status::Running => match classify_lock_file(&pid_file, cluster) {
            LockFile::Live(_) => {
                return Ok(Outcome {
                    adopted: true,
                    log_offset: file_len(&layout.log_file),
                })
            }
            // pg_ctl only checks that *some* process has that pid (even a zombie).
            _ => true,
        },
        Status::NotRunning => pid_file.exists(),
    };
    if crashed {
        tracing::warn!(cluster = %cluster.display(), "PostgreSQL did not shut down cleanly; recovering");
        remove_stale_lock_files(layout);
        wait_for_orphans(cluster, Duration::from_secs(10));
    }

    let log_offset = file_len(&layout.log_file);
    let first = pg_ctl_start(layout, runner, settings);
    let result = match first {
        Ok(()) => Ok(()),
        Err(first_err) => {
            if remove_stale_lock_files(layout) {
                tracing::warn!(error = %first_err, "retrying PostgreSQL start after removing a stale lock file");
                wait_for_orphans(cluster, Duration::from_secs(10));
                pg_ctl_start(layout, runner, settings)
            } else {
                Err(first_err)
            }
        }
    };
    match result {
        Ok(()) => Ok(Outcome {
            adopted: false,
            log_offset,
        }),
        Err(e) => Err(with_log_tail(
            e,
            &format!("could not start PostgreSQL in {}", cluster.display()),
            &layout.log_file,
            log_offset,
        )),
    }
}

fn initdb(layout: &Layout, runner: &Runner) -> anyhow::Result<()> {
    let locale = if c_utf8_available() {
        "--locale=C.UTF-8"
    } else {
        "--no-locale"
    };
    let out = runner
        .command("initdb")
        .arg("-D")
        .arg(&layout.cluster_dir)
        .arg(format!("--username={OWNER_ROLE}"))
        .args([
            "--auth=trust",
            "--encoding=UTF8",
            locale,
            "--no-instructions",
        ])
        .output()
        .context("running initdb")?;
    if !out.status.success() {
        bail!(
            "initdb failed to create the PostgreSQL cluster in {}:\n{}",
            layout.cluster_dir.display(),
            output_text(&out)
        );
    }
    tracing::info!(cluster = %layout.cluster_dir.display(), "initialised PostgreSQL cluster at {}", layout.cluster_dir.display());
    Ok(())
}

/// `C.UTF-8` gives Unicode-aware case mapping without tying sort order to a glibc version.
fn c_utf8_available() -> bool {
    Command::new("locale")
        .arg("-a")
        .stdin(Stdio::null())
        .output()
        .map(|out| {
            String::from_utf8_lossy(&out.stdout).lines().any(|l| {
                let l = l.trim();
                l.eq_ignore_ascii_case("C.utf8") || l.eq_ignore_ascii_case("C.UTF-8")
            })
        })
        .unwrap_or(false)
}

fn pg_ctl_start(layout: &Layout, runner: &Runner, settings: &str) -> anyhow::Result<()> {
    let out = runner
        .command("pg_ctl")
        .arg("start")
        .args(["-w", "-t", "60", "-D"])
        .arg(&layout.cluster_dir)
        .arg("-l")
        .arg(&layout.log_file)
        .arg("-o")
        .arg(settings)
        .output()
        .context("running pg_ctl start")?;
    if out.status.success() {
        Ok(())
    } else {
        Err(anyhow!("pg_ctl start failed:\n{}", output_text(&out)))
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Status {
    Running,
    NotRunning,
}

fn pg_ctl_status(runner: &Runner, cluster: &Path) -> anyhow::Result<Status> {
    let out = runner
        .command("pg_ctl")
        .arg("status")
        .arg("-D")
        .arg(cluster)
        .output()
        .context("running pg_ctl status")?;
    match out.status.code() {
        Some(0) => Ok(Status::Running),
        Some(3) => Ok(Status::NotRunning),
        _ => bail!(
            "pg_ctl status failed for {}:\n{}",
            cluster.display(),
            output_text(&out)
        ),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum LockFile {
    Missing,
    /// The recorded process is a live PostgreSQL (or cannot be proven otherwise).
    Live(i32),
    /// Nothing owns it: the process is gone, a zombie, or something other than PostgreSQL.
    Stale,
}

/// Classifies `postmaster.pid` or a socket lock file. PostgreSQL refuses to start while the
/// recorded pid exists, and after a crash that pid may be a zombie or reused by another program.
fn classify_lock_file(path: &Path, cluster: &Path) -> LockFile {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return LockFile::Missing,
        // Unreadable: do not risk deleting a live server's lock.
        Err(_) => return LockFile::Live(0),
    };
    // A negative pid marks a standalone backend.
    let pid = match text
        .lines()
        .next()
        .and_then(|l| l.trim().parse::<i64>().ok())
    {
        Some(p) => p.unsigned_abs(),
        // Empty or torn: a start that crashed mid-write (we hold the lock, so none is running).
        None => return LockFile::Stale,
    };
    let Ok(pid) = i32::try_from(pid) else {
        return LockFile::Stale;
    };
    if pid <= 0 || !is_live_postgres(pid, Some(cluster)) {
        return LockFile::Stale;
    }
    LockFile::Live(pid)
}

/// Whether `pid` is a running (not zombie) PostgreSQL process, serving `cluster` if given and
/// that can be checked.
fn is_live_postgres(pid: i32, cluster: Option<&Path>) -> bool {
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    let Ok(stat) = fs::read_to_string(proc_dir.join("stat")) else {
        if Path::new("/proc/self/stat").exists() {
            return false; // procfs works, so the process is gone
        }
        // No procfs: fall back to "some process has this pid".
        return nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok_or_eperm();
    };
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next());
    if matches!(state, Some('Z' | 'X' | 'x')) {
        return false;
    }
    let comm = fs::read_to_string(proc_dir.join("comm")).unwrap_or_default();
    if !matches!(comm.trim(), "postgres" | "postmaster") {
        return false;
    }
    match (cluster, fs::read_link(proc_dir.join("cwd"))) {
        (Some(cluster), Ok(cwd)) => same_path(&cwd, cluster),
        _ => true,
    }
}

trait OkOrEperm {
    fn is_ok_or_eperm(&self) -> bool;
}

impl OkOrEperm for nix::Result<()> {
    fn is_ok_or_eperm(&self) -> bool {
        matches!(self, Ok(()) | Err(nix::errno::Errno::EPERM))
    }
}

fn same_path(a: &Path, b: &Path) -> bool {
    let a = fs::canonicalize(a).unwrap_or_else(|_| a.to_path_buf());
    let b = fs::canonicalize(b).unwrap_or_else(|_| b.to_path_buf());
    a == b
}

/// Removes `postmaster.pid` and the socket lock file when they are provably stale.
fn remove_stale_lock_files(layout: &Layout) -> bool {
    let files = [
        layout.cluster_dir.join("postmaster.pid"),
        layout.socket_dir.join(format!(".s.PGSQL.{PORT}.lock")),
    ];
    let mut removed = false;
    for file in files {
        if classify_lock_file(&file, &layout.cluster_dir) == LockFile::Stale {
            match fs::remove_file(&file) {
                Ok(()) => {
                    tracing::warn!(file = %file.display(), "removed stale PostgreSQL lock file");
                    removed = true;
                }
                Err(e) => {
                    tracing::warn!(file = %file.display(), error = %e, "could not remove stale lock file")
                }
            }
        }
    }
    removed
}

/// After the postmaster is killed its children exit on their own, but until they do they keep
/// the old shared memory attached and PostgreSQL refuses to start.
fn wait_for_orphans(cluster: &Path, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let left = cluster_processes(cluster);
        if left.is_empty() {
            return;
        }
        if Instant::now() >= deadline {
            tracing::warn!(pids = ?left, "processes of a crashed PostgreSQL are still running");
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn cluster_processes(cluster: &Path) -> Vec<i32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| is_live_postgres(*pid, None))
        .filter(|pid| {
            fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| same_path(&cwd, cluster))
        })
        .collect()
}

fn file_len(path: &Path) -> u64 {
    fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Wraps `err` in `headline` followed by the server log written since `offset` (or the log's
/// end if nothing new), because PostgreSQL says why it would not start only there.
fn with_log_tail(
    err: anyhow::Error,
    headline: &str,
    log_file: &Path,
    offset: u64,
) -> anyhow::Error {
    match log_tail(log_file, offset, LOG_TAIL_LINES) {
        Some(t) if !t.trim().is_empty() => err.context(format!(
            "{headline}\n--- last lines of the PostgreSQL log {} ---\n{t}\n---",
            log_file.display()
        )),
        _ => err.context(format!(
            "{headline} (the PostgreSQL log {} is empty or missing)",
            log_file.display()
        )),
    }
}

fn log_tail(log_file: &Path, offset: u64, lines: usize) -> Option<String> {
    let mut file = File::open(log_file).ok()?;
    let len = file.metadata().ok()?.len();
    // Bound the read: the log can grow large over months.
    let start = if offset < len { offset } else { 0 }.max(len.saturating_sub(256 * 1024));
    file.seek(SeekFrom::Start(start)).ok()?;
    let mut buf = Vec::new();
    file.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf);
    let all: Vec<&str> = text.lines().collect();
    Some(all[all.len().saturating_sub(lines)..].join("\n"))
}

fn output_text(out: &Output) -> String {
    let mut s = String::from_utf8_lossy(&out.stderr).trim_end().to_string();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !stdout.trim().is_empty() {
        if !s.is_empty() {
            s.push('\n');
        }
        s.push_str(stdout.trim_end());
    }
    if s.is_empty() {
        s = format!("(no output; {})", out.status);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        assert_eq!(parse_major("15.4"), Some(15));
        assert_eq!(parse_major("16beta1"), Some(16));
        assert_eq!(parse_major("x"), None);
    }

    #[test]
    fn quotes_for_shell() {
        assert_eq!(shell_quote("a'b"), "'a'\\''b'");
    }
}
