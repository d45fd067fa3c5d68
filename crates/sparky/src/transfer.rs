//! `sparky export --user EMAIL [--out FILE]` and `sparky import --user EMAIL FILE`: the same
//! archive as `GET /api/v1/export` and `POST /api/v1/import` (sparky_app::transfer), for an
//! administrator. The account is looked up as the owner; everything else runs as that user,
//! under row level security, exactly as the API does. No statement timeout applies.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use sparky_app::transfer::{self, ExportOptions, ImportOptions};
use sparky_db::Database;

use crate::cli::DbArgs;
use crate::commands::with_database;

/// Largest archive `sparky import` reads once decompressed: 4 GiB.
const MAX_UNCOMPRESSED: u64 = 4 << 30;

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Email address of the account to export.
    #[arg(long, value_name = "EMAIL")]
    pub user: String,
    /// Where to write the archive [default: sparky-export-<date>.tar.gz in the current
    /// directory]; `-` writes it to standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace FILE when it exists (without it an existing file is kept and nothing is written).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// Email address of the account to import into (it must not hold data yet).
    #[arg(long, value_name = "EMAIL")]
    pub user: String,
    /// The archive written by `sparky export` or `GET /api/v1/export`.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// The request database as the user with this email.
async fn as_user(
    located: &sparky_db::Located,
    db: &DbArgs,
    email: &str,
) -> anyhow::Result<(sparky_db::UserTx, String)> {
    let client = sparky_db::connect(&located.owner).await?;
    // A data directory without Sparky's database (SPARKY_DATA_DIR not set, or another one)
    // says so, as `sparky user` does, instead of a server's "request id" message.
    crate::users::check_schema(&client).await?;
    let user = sparky_app::accounts::admin::user_id_by_email(&client, email)
        .await
        .map_err(|e| anyhow::anyhow!("{e} ({email})"))?;
    let schema: Option<String> = client
        .query_one("SELECT max(version) FROM migrations", &[])
        .await
        .context("reading the schema version")?
        .get(0);
    drop(client);
    let database = Database::builder(&located.owner, &db.app_role)
        .requests(located.requests.clone())
        .pool_size(1)
        .statement_timeout(std::time::Duration::ZERO)
        .build()?;
    let tx = database.as_user(user).await?;
    Ok((tx, schema.unwrap_or_default()))
}

/// An existing file named by `--out` is kept unless `--force` says otherwise.
fn refuse_to_replace(path: Option<&std::path::Path>, force: bool) -> anyhow::Result<()> {
    match path {
        Some(p) if p.is_dir() => anyhow::bail!(
            "{} is a directory; name the archive's file (e.g. {}/sparky-export.tar.gz). \
             Nothing was written",
            p.display(),
            p.display()
        ),
        Some(p) if p.as_os_str() != "-" && exists_but_not_a_file(p) => anyhow::bail!(
            "{} is not a regular file (a link, device or pipe): Sparky does not replace it, even \
             with --force. Nothing was written",
            p.display()
        ),
        Some(p) if !force && p.as_os_str() != "-" && p.exists() => anyhow::bail!(
            "{} exists; pass --force to replace it, or choose another --out. Nothing was written",
            p.display()
        ),
        _ => Ok(()),
    }
}

/// Something is at `path` that is not a regular file: a symbolic link (even a dangling one),
/// a device such as /dev/null, a pipe or a socket.
fn exists_but_not_a_file(path: &std::path::Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| !m.file_type().is_file())
}

pub async fn export_command(db: &DbArgs, args: ExportArgs) -> anyhow::Result<ExitCode> {
    refuse_to_replace(args.out.as_deref(), args.force)?;
    with_database(db, async |located| {
        let (mut tx, schema_version) = as_user(located, db, &args.user).await?;
        let options = ExportOptions {
            schema_version,
            statement_timeout: None,
        };
        let export = transfer::export(&mut tx, &options)
            .await
            .map_err(anyhow::Error::msg)?;
        tx.commit().await?;
        let rows: u64 = export.manifest.files.iter().map(|f| f.rows).sum();
        match args.out.as_deref() {
            Some(p) if p.as_os_str() == "-" => {
                let mut out = std::io::stdout().lock();
                out.write_all(&export.bytes)?;
                out.flush()?;
            }
            out => {
                let path = out
                    .map(PathBuf::from)
                    .unwrap_or_else(|| PathBuf::from(&export.file_name));
                // Written beside the target and renamed, so a half-written archive never
                // carries the final name.
                // Health data: readable by the owner only (0600).
                let mut tmp = path.clone().into_os_string();
                tmp.push(".partial");
                let tmp = PathBuf::from(tmp);
                let write = || -> std::io::Result<()> {
                    use std::os::unix::fs::OpenOptionsExt;
                    // A leftover of an interrupted export is ours to replace; anything else
                    // there (a link planted beside the target) is not followed.
                    if std::fs::symlink_metadata(&tmp).is_ok_and(|m| m.file_type().is_file()) {
                        std::fs::remove_file(&tmp)?;
                    }
                    let mut f = std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
                        .mode(0o600)
                        .open(&tmp)?;
                    f.write_all(&export.bytes)?;
                    f.sync_all()
                };
                // Checked again: the export took a while.
                refuse_to_replace(Some(&path), args.force)?;
                // Named by the file asked for (the .partial beside it is ours).
                write().with_context(|| format!("cannot write {}", path.display()))?;
                std::fs::rename(&tmp, &path)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                println!("{}", path.display());
            }
        }
        eprintln!(
            "exported {rows} rows in {} files for {}",
            export.manifest.files.len(),
            export.manifest.user.email
        );
        Ok(ExitCode::SUCCESS)
    })
    .await
}

pub async fn import_command(db: &DbArgs, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    // Check the whole archive before touching (or starting) the database.
    let checked = transfer::check_archive(&bytes, MAX_UNCOMPRESSED).map_err(anyhow::Error::msg)?;
    drop(bytes);
    with_database(db, async |located| {
        let (mut tx, _) = as_user(located, db, &args.user).await?;
        let instance =
            sparky_app::assistant::config::InstanceConfig::from_vars(|n| std::env::var(n).ok())
                .map_err(anyhow::Error::msg)?;
        let options = ImportOptions {
            max_uncompressed: MAX_UNCOMPRESSED,
            statement_timeout: None,
            assistant: std::sync::Arc::new(sparky_app::assistant::config::Assistant {
                instance,
                secret: None,
            }),
        };
        let report = transfer::import_checked(&mut tx, checked, &options)
            .await
            .map_err(anyhow::Error::msg)?;
        tx.commit().await?;
        let rows: u64 = report.files.iter().map(|f| f.rows).sum();
        eprintln!(
            "imported {rows} rows (exported {}) into {}",
            report.exported_at, args.user
        );
        Ok(ExitCode::SUCCESS)
    })
    .await
}
