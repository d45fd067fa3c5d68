//! The data directory: who runs the server, creating and checking directories and their
//! owners, and saying which command fixes permissions that stand in the way.

use std::ffi::CString;
use std::fs::{self, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::Path;

use anyhow::{anyhow, bail, Context};
use nix::unistd::{Uid, User};

use super::binaries::{find_bin_dir, read_pg_version};
use super::{Layout, RunAs, Runner};

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
pub(super) fn ensure_data_dir(
    layout: &Layout,
    os_user: Option<&str>,
) -> anyhow::Result<Option<RunAs>> {
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
pub(super) fn prepare(layout: &Layout, run_as: Option<RunAs>) -> anyhow::Result<(Runner, bool)> {
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
