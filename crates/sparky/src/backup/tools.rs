//! The PostgreSQL client programs (pg_dump, pg_restore, psql) and the connection strings
//! they get.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{anyhow, bail};
use tokio_postgres::config::Host;
use tokio_postgres::Config;

#[derive(Debug, Clone)]
pub struct Tool {
    pub path: PathBuf,
    pub major: u32,
    pub version: String,
}

/// Finds `program` (pg_dump, pg_restore, psql) where the embedded cluster looks for server
/// binaries: `pg_config --bindir`, `/usr/lib/postgresql/<N>/bin` (newest first), then `PATH`.
/// The server's major version is preferred; a newer one works too (they read older servers
/// and dumps), an older one does not.
pub fn find_tool(program: &str, server_major: Option<u32>) -> anyhow::Result<Tool> {
    let mut found: Vec<Tool> = Vec::new();
    for path in candidates(program) {
        if let Some((major, version)) = tool_version(&path) {
            found.push(Tool {
                path,
                major,
                version,
            });
        }
    }
    let pick = match server_major {
        Some(want) => found.iter().find(|t| t.major == want).or_else(|| {
            found
                .iter()
                .filter(|t| t.major > want)
                .max_by_key(|t| t.major)
        }),
        None => found.iter().max_by_key(|t| t.major),
    };
    if let Some(t) = pick {
        return Ok(t.clone());
    }
    let seen = if found.is_empty() {
        "none".to_string()
    } else {
        found
            .iter()
            .map(|t| format!("{} ({})", t.path.display(), t.version))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let want = server_major.map_or(String::new(), |m| format!(" for PostgreSQL {m} or newer"));
    let package = server_major.map_or("postgresql-client".to_string(), |m| {
        format!("postgresql-client-{m}")
    });
    bail!(
        "{program}{want} was not found (looked at `pg_config --bindir`, /usr/lib/postgresql/<N>/bin \
         and PATH; found: {seen}); install the PostgreSQL client programs (Debian/Ubuntu: \
         `apt-get install {package}`)"
    )
}

fn candidates(program: &str) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut push = |p: PathBuf| {
        if p.is_file() {
            let canon = fs::canonicalize(&p).unwrap_or_else(|_| p.clone());
            if !paths
                .iter()
                .any(|q| fs::canonicalize(q).unwrap_or_else(|_| q.clone()) == canon)
            {
                paths.push(p);
            }
        }
    };
    if let Ok(out) = Command::new("pg_config")
        .arg("--bindir")
        .stdin(Stdio::null())
        .output()
    {
        if out.status.success() {
            push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join(program));
        }
    }
    if let Ok(entries) = fs::read_dir("/usr/lib/postgresql") {
        let mut versioned: Vec<(u32, PathBuf)> = entries
            .flatten()
            .filter_map(|e| {
                let v = e.file_name().to_str()?.parse::<u32>().ok()?;
                Some((v, e.path().join("bin").join(program)))
            })
            .collect();
        versioned.sort_by_key(|v| std::cmp::Reverse(v.0));
        for (_, p) in versioned {
            push(p);
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            push(dir.join(program));
        }
    }
    paths
}

/// `pg_dump (PostgreSQL) 15.10 (Debian 15.10-0+deb12u1)` → (15, "15.10").
fn tool_version(path: &Path) -> Option<(u32, String)> {
    let out = Command::new(path)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    parse_tool_version(&String::from_utf8_lossy(&out.stdout))
}

pub(super) fn parse_tool_version(text: &str) -> Option<(u32, String)> {
    let rest = text.split_once("(PostgreSQL)")?.1;
    let version = rest.split_whitespace().next()?.to_string();
    let digits: String = version.chars().take_while(|c| c.is_ascii_digit()).collect();
    Some((digits.parse().ok()?, version))
}

/// A libpq connection string for the client programs, and the password (passed in the
/// environment, never on a command line other users can read).
pub(super) fn conninfo(config: &Config) -> anyhow::Result<(String, Option<String>)> {
    let mut parts: Vec<String> = Vec::new();
    let mut add = |k: &str, v: &str| parts.push(format!("{k}={}", conninfo_quote(v)));
    match config.get_hosts().first() {
        Some(Host::Unix(path)) => add(
            "host",
            path.to_str()
                .ok_or_else(|| anyhow!("the socket directory {} is not UTF-8", path.display()))?,
        ),
        Some(Host::Tcp(host)) => add("host", host),
        None => {}
    }
    if let Some(port) = config.get_ports().first() {
        add("port", &port.to_string());
    }
    if let Some(user) = config.get_user() {
        add("user", user);
    }
    if let Some(dbname) = config.get_dbname() {
        add("dbname", dbname);
    }
    if let Some(options) = config.get_options() {
        add("options", options);
    }
    let sslmode = match config.get_ssl_mode() {
        tokio_postgres::config::SslMode::Disable => Some("disable"),
        tokio_postgres::config::SslMode::Require => Some("require"),
        _ => None,
    };
    if let Some(mode) = sslmode {
        add("sslmode", mode);
    }
    add("application_name", "sparky-backup");
    let password = config
        .get_password()
        .map(|p| String::from_utf8_lossy(p).into_owned());
    Ok((parts.join(" "), password))
}

pub(super) fn conninfo_quote(v: &str) -> String {
    format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))
}

pub(super) fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

pub(super) fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
