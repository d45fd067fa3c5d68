//! The cluster itself: initdb, pg_ctl start and status, stale lock files and orphaned
//! server processes, and the log lines an error carries.

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};

use super::binaries::read_pg_version;
use super::{Layout, Outcome, Runner, LOG_TAIL_LINES, OWNER_ROLE, PORT};

/// Initialises if needed, then adopts a running server or starts it.
pub(super) fn ensure_running(
    layout: &Layout,
    runner: &Runner,
    settings: &str,
) -> anyhow::Result<Outcome> {
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
pub(super) enum Status {
    Running,
    NotRunning,
}

pub(super) fn pg_ctl_status(runner: &Runner, cluster: &Path) -> anyhow::Result<Status> {
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
pub(super) enum LockFile {
    Missing,
    /// The recorded process is a live PostgreSQL (or cannot be proven otherwise).
    Live(i32),
    /// Nothing owns it: the process is gone, a zombie, or something other than PostgreSQL.
    Stale,
}

/// Classifies `postmaster.pid` or a socket lock file. PostgreSQL refuses to start while the
/// recorded pid exists, and after a crash that pid may be a zombie or reused by another program.
pub(super) fn classify_lock_file(path: &Path, cluster: &Path) -> LockFile {
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

pub(super) fn file_len(path: &Path) -> u64 {
    fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Wraps `err` in `headline` followed by the server log written since `offset` (or the log's
/// end if nothing new), because PostgreSQL says why it would not start only there.
pub(super) fn with_log_tail(
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

pub(super) fn output_text(out: &Output) -> String {
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
