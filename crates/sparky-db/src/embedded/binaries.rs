//! Finding the installed PostgreSQL server binaries that match the cluster's version.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{anyhow, bail};

use super::{INSTALL_HINT, MIN_MAJOR_VERSION};

pub(super) fn read_pg_version(cluster_dir: &Path) -> anyhow::Result<Option<u32>> {
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
pub(super) fn find_bin_dir(cluster_version: Option<u32>) -> anyhow::Result<PathBuf> {
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

#[cfg(test)]
mod tests {
    use super::parse_major;

    #[test]
    fn parses_versions() {
        assert_eq!(parse_major("15.4"), Some(15));
        assert_eq!(parse_major("16beta1"), Some(16));
        assert_eq!(parse_major("x"), None);
    }
}
