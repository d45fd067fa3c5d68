//! Command-line interface. Every option that matters in production also has an environment
//! variable, listed in the README.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "sparky",
    version,
    about = "Sparky: a self-hosted, privacy-first fitness tracker"
)]
pub struct Cli {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Where the database is.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// PostgreSQL URL of the owner role. Without it Sparky runs its own PostgreSQL in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Directory for Sparky's own data (the embedded PostgreSQL cluster lives in <dir>/postgres).
    #[arg(
        long,
        env = "SPARKY_DATA_DIR",
        default_value = "./sparky-data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// OS user that runs the embedded PostgreSQL when Sparky runs as root.
    #[arg(long, env = "SPARKY_PG_OS_USER", global = true)]
    pub pg_os_user: Option<String>,
    /// Role that requests run as (must not be able to bypass row level security).
    #[arg(long, env = "SPARKY_APP_ROLE", default_value = sparky_db::DEFAULT_APP_ROLE, global = true)]
    pub app_role: String,
    /// PostgreSQL URL with which requests log in as the request role (with DATABASE_URL).
    /// Without it, requests use owner connections and switch role per transaction.
    #[arg(
        long,
        env = "SPARKY_APP_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    pub app_database_url: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct MigrationArgs {
    /// Read migrations from this directory instead of the ones built into the binary.
    #[arg(long, env = "SPARKY_MIGRATIONS_DIR")]
    pub migrations_dir: Option<PathBuf>,
    /// Apply pending migrations even when they are older than the newest applied one.
    #[arg(long)]
    pub allow_out_of_order: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations, then serve HTTP (the default command).
    Serve(ServeArgs),
    /// Inspect and manage schema migrations.
    Migrate {
        #[command(flatten)]
        migrations: MigrationArgs,
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Check the database for anything unsafe or slow; exits non-zero when something is wrong.
    Doctor {
        /// Print the findings as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        migrations: MigrationArgs,
        /// The mail settings `serve` uses: checked complete, and the server asked to answer.
        #[command(flatten)]
        mail: MailArgs,
        /// The public address `serve` uses (mailed links start with it).
        #[arg(long, env = "SPARKY_PUBLIC_URL")]
        public_url: Option<String>,
    },
    /// Manage accounts: create, list, reset passwords, disable and enable (for administrators;
    /// runs as the database owner and works while the server is stopped).
    #[command(subcommand)]
    User(UserAction),
    /// Manage the shared food catalog: import a public food database for offline search
    /// (for administrators; runs as the database owner).
    #[command(subcommand)]
    Foods(FoodsAction),
    /// Manage the shared exercise catalog: import exercises from a JSON file (for
    /// administrators; runs as the database owner).
    #[command(subcommand)]
    Exercises(ExercisesAction),
    /// Write a backup of the database (pg_dump custom format) with its checksum and schema
    /// version into the backup directory; prints the dump's path.
    Backup(crate::backup::BackupArgs),
    /// Restore a backup into an empty database (or, with --force, replace everything in it)
    /// after checking its checksum; newer migrations are applied by the next `serve`.
    Restore(crate::backup::RestoreArgs),
    /// Write everything one user owns to an export archive (a .tar.gz of CSV files with a
    /// manifest, see docs/export-format.md); runs as that user, under row level security.
    Export(crate::transfer::ExportArgs),
    /// Read an export archive into a user's account, which must not hold data yet; all or
    /// nothing (one transaction), with the file, line and column of the first problem.
    Import(crate::transfer::ImportArgs),
    /// Bring data from another tracker: MyFitnessPal, Cronometer, MacroFactor, Strong, Hevy,
    /// FitNotes or Apple Health exports, any CSV, or a SparkyFitness database. Prints what was (or, with --dry-run, would be)
    /// created and skipped, and why; importing the same file again creates nothing.
    ImportFrom(crate::import_from::ImportFromArgs),
    /// Send a test message through SPARKY_SMTP_URL from SPARKY_MAIL_FROM, to check the mail
    /// settings before anyone forgets a password.
    MailTest {
        /// Where to send it.
        to: String,
        #[command(flatten)]
        mail: MailArgs,
    },
    /// Serve the assistant's tools to an MCP client over stdio (JSON-RPC, one message per
    /// line), as the user whose API key is in SPARKY_API_KEY.
    Mcp,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SPARKY_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Connections in the request pool [default: four per CPU, at least 16]. Writes wait for
    /// the WAL flush (fsync) at commit, and one flush serves all the commits waiting for it, so
    /// with 4 connections logging food reached a third of the rate it reaches with 16.
    #[arg(long, env = "SPARKY_DB_POOL_SIZE")]
    pub pool_size: Option<std::num::NonZeroUsize>,
    /// Public address of this server (e.g. https://fit.example.com): its origin is the only one
    /// allowed to make cookie-authenticated writes, and https makes cookies `Secure`.
    #[arg(long, env = "SPARKY_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Allow new accounts to register (the first account can always register).
    #[arg(long, env = "SPARKY_ALLOW_SIGNUP", default_value_t = true, action = clap::ArgAction::Set)]
    pub allow_signup: bool,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "SPARKY_MAX_BODY", default_value_t = 1_048_576)]
    pub max_body: usize,
    /// Largest file `POST /api/v1/import` (an export archive) and `POST /api/v1/import/{kind}`
    /// (another tracker's export) accept, in bytes (64 MiB; bigger: `sparky import-from` on the
    /// server).
    #[arg(long, env = "SPARKY_MAX_IMPORT_BODY", default_value_t = sparky_web::DEFAULT_MAX_IMPORT_BODY)]
    pub max_import_body: usize,
    /// How many uploaded files are unpacked and parsed at once (each may need several times
    /// its size in memory); more wait up to 30 s, then get 503 with `Retry-After`.
    #[arg(long, env = "SPARKY_MAX_CONCURRENT_IMPORTS", default_value_t = 2,
        value_parser = clap::value_parser!(u16).range(1..=64))]
    pub max_concurrent_imports: u16,
    /// Longest a statement of an export or import may run, in milliseconds (0 = no limit):
    /// these read or write a user's whole history, so they get longer than other requests.
    #[arg(
        long,
        env = "SPARKY_IMPORT_STATEMENT_TIMEOUT_MS",
        default_value_t = 300_000
    )]
    pub import_statement_timeout_ms: u32,
    /// Days a session stays valid without use (sliding).
    #[arg(long, env = "SPARKY_SESSION_DAYS", default_value_t = 30,
        value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub session_days: u32,
    /// Login attempts allowed per minute per client address.
    #[arg(long, env = "SPARKY_LOGIN_PER_MINUTE_IP", default_value_t = 20)]
    pub login_per_minute_ip: u32,
    /// Login attempts allowed per minute per account.
    #[arg(long, env = "SPARKY_LOGIN_PER_MINUTE_ACCOUNT", default_value_t = 5)]
    pub login_per_minute_account: u32,
    /// Accounts that may be registered per minute from one client address (each costs a
    /// password hash; with `SPARKY_TRUST_PROXY` the address is the proxy's `X-Forwarded-For`).
    #[arg(long, env = "SPARKY_SIGNUPS_PER_MINUTE_IP", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub signups_per_minute_ip: u32,
    /// Longest a request's statement may run, in milliseconds (0 = no limit); longer ones
    /// are cancelled and answered 503 `timeout`.
    #[arg(long, env = "SPARKY_STATEMENT_TIMEOUT_MS", default_value_t = 5_000)]
    pub statement_timeout_ms: u32,
    /// Longest a request's transaction may sit idle, in milliseconds (0 = no limit); the
    /// server then ends its connection.
    #[arg(
        long,
        env = "SPARKY_IDLE_IN_TRANSACTION_TIMEOUT_MS",
        default_value_t = 15_000
    )]
    pub idle_in_transaction_timeout_ms: u32,
    /// Load the starter food catalog built into Sparky (USDA SR24, 7,907 generic foods, and
    /// 3,935 FoodData Central foods SR24 lacks) into the shared catalog on the first start and
    /// after an upgrade that changed it.
    #[arg(long, env = "SPARKY_STARTER_CATALOG", default_value_t = true, action = clap::ArgAction::Set)]
    pub starter_catalog: bool,
    #[command(flatten)]
    pub mail: MailArgs,
    /// Trust X-Forwarded-For for the client address (only behind your own reverse proxy).
    #[arg(long, env = "SPARKY_TRUST_PROXY", default_value_t = false, action = clap::ArgAction::Set)]
    pub trust_proxy: bool,
    /// On SIGTERM or Ctrl-C, keep accepting and answering for this many milliseconds with
    /// /readyz failing and `Connection: close` on every response, so a load balancer can move
    /// traffic away before the server stops accepting.
    #[arg(long, env = "SPARKY_SHUTDOWN_DRAIN_MS", default_value_t = 5000)]
    pub shutdown_drain_ms: u64,
    /// After the drain, how many milliseconds in-flight requests may take before their
    /// connections are closed and the server exits.
    #[arg(long, env = "SPARKY_SHUTDOWN_TIMEOUT_MS", default_value_t = 20000)]
    pub shutdown_timeout_ms: u64,
    /// How many milliseconds a client may take to send a request's head, which is also how
    /// long an idle keep-alive connection stays open. Keep it above your reverse proxy's idle
    /// timeout for upstream connections (nginx 60 s, Caddy 2 min).
    #[arg(long, env = "SPARKY_HEADER_TIMEOUT_MS", default_value_t = 180_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout_ms: u64,
    /// How many milliseconds a request body may stop arriving while it is read; then the
    /// request is answered 408 and the connection closed.
    #[arg(long, env = "SPARKY_BODY_TIMEOUT_MS", default_value_t = 60_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout_ms: u64,
    /// Connections one client address may hold at once (0: no cap); over it a connection is
    /// answered 503 and closed, so one host cannot take every socket. Behind a reverse proxy
    /// all clients share the proxy's address: raise it (or 0) if the proxy opens more.
    #[arg(long, env = "SPARKY_MAX_CONNECTIONS_PER_IP", default_value_t = 256)]
    pub max_connections_per_ip: usize,
    #[command(flatten)]
    pub migrations: MigrationArgs,
    #[command(flatten)]
    pub backups: crate::backup::ScheduleArgs,
}

/// `sparky` with no subcommand serves, with the same flags and environment as `sparky serve`.
#[derive(Debug, Parser)]
pub struct ServeOnly {
    #[command(flatten)]
    pub args: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Show applied, pending, modified and unknown migrations.
    Status {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Apply pending migrations.
    Up {
        /// Only list what would be applied.
        #[arg(long)]
        dry_run: bool,
    },
    /// Record a pending migration as applied without running it.
    MarkApplied { version: String },
    /// Accept the changed checksum of an applied migration after reviewing the change.
    Repair { version: String },
    /// Write a new, correctly named migration file.
    New {
        /// What the migration does, e.g. "add water intake".
        description: String,
    },
    /// Roll back the newest migration, or every migration down to and including VERSION, using `.down.sql` files.
    /// Refused while anything else is connected (stop `sparky serve` first); takes a backup first.
    /// Without --yes it only says what it would roll back.
    Down {
        version: Option<String>,
        /// Confirm: without it nothing is rolled back.
        #[arg(long)]
        yes: bool,
        /// Roll back without taking a backup first (a rollback drops what later migrations added).
        #[arg(long)]
        no_backup: bool,
    },
}

/// Passwords for `user create` and `user set-password` come from the environment variable
/// SPARKY_PASSWORD when it is set, or else from one line of standard input (prompted for, without
/// echo, when standard input is a terminal). They follow the same rules as on the web.
#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Create an account and print its id. The password comes from SPARKY_PASSWORD or standard
    /// input, or with --link the person chooses it with a password link.
    #[command(
        after_help = "The password is read from SPARKY_PASSWORD if set, else from one line of standard input.\n\
                            The first account on an instance is always an administrator."
    )]
    Create {
        /// Email address to sign in with (stored trimmed and lowercased).
        email: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// Make the account an instance administrator.
        #[arg(long)]
        admin: bool,
        /// Read no password: print a password link (after the id) for the person to choose
        /// their own, as `sparky user link` does.
        #[arg(long)]
        link: bool,
        /// The server's address the link starts with [default: SPARKY_PUBLIC_URL, else
        /// http:// and SPARKY_BIND].
        #[arg(long, env = "SPARKY_PUBLIC_URL", requires = "link")]
        url: Option<String>,
        /// Also draw the link as a QR code (on standard error, for a phone's camera).
        #[arg(long, requires = "link")]
        qr: bool,
        /// Also e-mail the link to the new account's address (needs SPARKY_SMTP_URL,
        /// SPARKY_MAIL_FROM and --url or SPARKY_PUBLIC_URL).
        #[arg(long, requires = "link")]
        send: bool,
        #[command(flatten)]
        mail: MailArgs,
    },
    /// List every account: id, email, name, admin, disabled, created at.
    List {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Set a new password and sign the account out everywhere (its sessions are deleted).
    #[command(
        after_help = "The password is read from SPARKY_PASSWORD if set, else from one line of standard input."
    )]
    SetPassword {
        /// Email address of the account.
        email: String,
    },
    /// Disable an account: it can no longer sign in, its sessions are deleted and its API keys
    /// stop working. Its data is kept.
    Disable {
        /// Email address of the account.
        email: String,
    },
    /// Enable a disabled account again.
    Enable {
        /// Email address of the account.
        email: String,
    },
    /// Make an account an instance administrator (with --remove, an ordinary account again).
    /// While accounts exist one enabled administrator stays: the last one cannot be removed,
    /// disabled or deleted until another account is made administrator.
    Admin {
        /// Email address of the account.
        email: String,
        /// Take the administrator role away instead.
        #[arg(long)]
        remove: bool,
    },
    /// Print a one-time link for the account to choose its password (a forgotten one, or a new
    /// account made without telling a password): it works once, for 7 days, replaces the
    /// account's earlier link, and signs in whoever opens it, so send it to the person only.
    Link {
        /// Email address of the account.
        email: String,
        /// The server's address the link starts with [default: SPARKY_PUBLIC_URL, else
        /// http:// and SPARKY_BIND].
        #[arg(long, env = "SPARKY_PUBLIC_URL")]
        url: Option<String>,
        /// Also draw the link as a QR code (on standard error, for a phone's camera).
        #[arg(long)]
        qr: bool,
        /// Also e-mail the link to the account's address (needs SPARKY_SMTP_URL and
        /// SPARKY_MAIL_FROM; the link is printed either way).
        #[arg(long)]
        send: bool,
        #[command(flatten)]
        mail: MailArgs,
    },
    /// Show whether people can create accounts on the sign-up page, or open or close sign-ups
    /// for every instance (Settings → Accounts does the same). SPARKY_ALLOW_SIGNUP=false on the
    /// server keeps them closed whatever is set here.
    Signups {
        /// open or close; without it, only show.
        #[arg(value_enum)]
        set: Option<SignupsChoice>,
    },
    /// Delete an account and all its data, for good (backups taken before keep it until they
    /// are pruned). Users can delete their own in Settings.
    Delete {
        /// Email address of the account.
        email: String,
        /// Confirm: without it nothing is deleted.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SignupsChoice {
    Open,
    Close,
}

#[derive(Debug, Subcommand)]
pub enum FoodsAction {
    /// Import a food database into the shared catalog: the built-in USDA starter catalog (again),
    /// an OpenFoodFacts export or the USDA FoodData Central CSV download. Idempotent: foods
    /// already imported (same source and id) are skipped, so an interrupted import is resumed
    /// by running it again.
    #[command(
        after_help = "FILE is, for --format usda-sr24 (alias starter), optional: without it the starter catalog\n\
built into Sparky (USDA SR24, 7,907 foods with household measures, then its supplement of 3,935\n\
FoodData Central foods SR24 lacks) is loaded again; with it, a directory holding sr24_foods.csv.gz and\n\
sr24_portions.csv.gz made by data/fooddata/extract_usda.py (or the foods file with the portions file\n\
beside it). Foods and servings that changed are updated, the rest is left alone; one transaction per\n\
data set.\n\
For --format openfoodfacts, the CSV (tab-separated) or JSONL export, optionally gzip-compressed;\n\
for --format usda-fdc, the unzipped CSV download directory (food.csv, food_nutrient.csv, nutrient.csv,\n\
optionally branded_food.csv). Each batch is one transaction: an interrupted import keeps its finished batches."
    )]
    Import {
        /// Which download FILE is.
        #[arg(long, value_enum)]
        format: FoodFormat,
        /// The export file (openfoodfacts) or directory (usda-fdc, usda-sr24).
        #[arg(value_name = "FILE", required_if_eq_any = [("format", "openfoodfacts"), ("format", "usda-fdc")])]
        path: Option<PathBuf>,
        /// Foods per transaction (openfoodfacts, usda-fdc).
        #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        batch_size: u32,
    },
}

/// A public food database download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FoodFormat {
    /// USDA Standard Reference (SR24) as extracted by extract_usda.py; the starter catalog.
    #[value(name = "usda-sr24", alias = "starter")]
    UsdaSr24,
    /// USDA FoodData Central, the CSV download (a directory).
    UsdaFdc,
    /// OpenFoodFacts, the CSV or JSONL export.
    Openfoodfacts,
}

#[derive(Debug, Subcommand)]
pub enum ExercisesAction {
    /// Import exercises from a JSON file in the free-exercise-db format into the shared
    /// catalog. Idempotent: exercises already imported (same id) are skipped. The whole file
    /// is checked first; if any entry is malformed nothing is written.
    #[command(
        after_help = "FILE is a JSON array in the shape of the public free-exercise-db \
(https://github.com/yuhonas/free-exercise-db, dist/exercises.json):\n\
  [{\"id\": \"Barbell_Squat\", \"name\": \"Barbell Squat\", \"force\": \"push\", \"level\": \"beginner\",\n\
    \"mechanic\": \"compound\", \"equipment\": \"barbell\",\n\
    \"primaryMuscles\": [\"quadriceps\"], \"secondaryMuscles\": [\"glutes\", \"hamstrings\"],\n\
    \"instructions\": [\"First step.\", \"Second step.\"], \"category\": \"strength\"}, ...]\n\
Required: id, name. Optional: everything else (other keys such as images are ignored).\n\
Stored as: source free-exercise-db, source_id = id, muscle groups = primaryMuscles + secondaryMuscles,\n\
instructions = the steps one per line; category stretching -> flexibility, cardio -> cardio,\n\
others -> strength, with the Compendium's general MET value for that kind of training."
    )]
    Import {
        /// The JSON file.
        #[arg(value_name = "FILE")]
        path: PathBuf,
    },
}

/// Where mail goes out (`serve` and `mail-test`).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct MailArgs {
    /// SMTP server for mailing password links people ask for on the sign-in page ("Forgot your
    /// password?"): smtps://user:password@mail.example.com (TLS), smtp://…:587?tls=required
    /// (STARTTLS) or smtp://localhost:25 (a local relay). Needs SPARKY_MAIL_FROM and
    /// SPARKY_PUBLIC_URL. Without it, administrators make password links by hand.
    #[arg(long, env = "SPARKY_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of those messages, e.g. "Sparky <sparky@example.com>".
    #[arg(long, env = "SPARKY_MAIL_FROM")]
    pub mail_from: Option<String>,
}
