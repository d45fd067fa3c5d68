//! Real-PostgreSQL test support (ARCHITECTURE.md, adding an endpoint).
//!
//! One cluster per machine (the embedded one under `target/sparky-test-pg`, or the server in
//! `SPARKY_TEST_DATABASE_URL`), one migrated template database per set of migrations, and one
//! `CREATE DATABASE … TEMPLATE …` copy per test, dropped when the test ends.
//!
//! Requests reach a test database the way production requests reach the embedded cluster:
//! logged in as the request role (see [`TestDb::database`]).
//!
//! [`fake_ai`] is a scripted fake AI provider for testing the assistant without the internet.

pub mod fake_ai;
pub mod fake_smtp;
pub mod hostile;

use std::path::PathBuf;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};
use std::time::Duration;

use sparky_db::{
    Database, DatabaseBuilder, EmbeddedOptions, EmbeddedPostgres, MigrationSource, Migrator,
    RequestLogin,
};
use tokio_postgres::Config;

pub const APP_ROLE: &str = sparky_db::DEFAULT_APP_ROLE;

/// Request limits in tests: generous, so a loaded machine cannot trip them; the tests of the
/// limits themselves set their own.
pub const TEST_STATEMENT_TIMEOUT: Duration = Duration::from_secs(60);
pub const TEST_IDLE_IN_TRANSACTION_TIMEOUT: Duration = Duration::from_secs(120);

struct Shared {
    /// Owner-role settings for the maintenance database (`postgres`).
    admin: Config,
    template: String,
}

static SHARED: OnceLock<Result<Shared, String>> = OnceLock::new();

/// The test cluster's directory (workspace `target/sparky-test-pg`).
pub fn cluster_data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/sparky-test-pg")
        .components()
        .collect()
}

/// Settings for a fast, throwaway test cluster.
pub fn test_cluster_options() -> EmbeddedOptions {
    let fast = [
        ("fsync", "off"),
        ("synchronous_commit", "off"),
        ("full_page_writes", "off"),
        ("max_connections", "300"),
        ("shared_buffers", "128MB"),
    ];
    EmbeddedOptions {
        data_dir: cluster_data_dir(),
        os_user: std::env::var("SPARKY_PG_OS_USER").ok(),
        extra_settings: fast
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

fn shared() -> &'static Shared {
    let result = SHARED.get_or_init(|| {
        // Set-up runs on its own runtime: each #[tokio::test] has a runtime that dies with it,
        // and nothing here may outlive its runtime.
        std::thread::spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?
                .block_on(set_up())
                .map_err(|e| format!("{e:#}"))
        })
        .join()
        .unwrap_or_else(|_| Err("test database set-up panicked".into()))
    });
    match result {
        Ok(s) => s,
        Err(e) => panic!("cannot prepare the test database: {e}"),
    }
}

async fn admin_config() -> anyhow::Result<Config> {
    if let Ok(url) = std::env::var("SPARKY_TEST_DATABASE_URL") {
        return Ok(url.parse()?);
    }
    let pg = EmbeddedPostgres::start(&test_cluster_options()).await?;
    // The cluster stays up for the next test binary; it is a throwaway under target/.
    Ok(pg.owner_config("postgres"))
}

/// A name that changes whenever a migration file (or the request role) changes.
fn template_name(migrator: &Migrator) -> String {
    let mut h = Sha256::new();
    h.update(APP_ROLE.as_bytes());
    for m in migrator.migrations() {
        h.update(m.file_name.as_bytes());
        h.update(m.checksum.as_bytes());
        if let Some(d) = &m.down {
            h.update(d.file_name.as_bytes());
            h.update(d.sql.as_bytes());
        }
    }
    format!("sparky_tpl_{}", &hex::encode(h.finalize())[..16])
}

async fn set_up() -> anyhow::Result<Shared> {
    let admin = admin_config().await?;
    let migrator = Migrator::new(MigrationSource::Embedded, APP_ROLE)?.request_role_login(true);
    let template = template_name(&migrator);
    let client = sparky_db::connect(&admin).await?;
    // Several test binaries start at once: one builds the template, the others wait.
    client
        .execute("SELECT pg_advisory_lock(7236472364)", &[])
        .await?;
    // The role is cluster-wide and may predate the template (or be older than LOGIN).
    sparky_db::roles::ensure_app_role(&client, APP_ROLE, true).await?;
    let ready = client
        .query_opt(
            "SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate",
            &[&template],
        )
        .await?
        .is_some();
    if !ready {
        let stale = client
            .query(
                "SELECT datname FROM pg_database WHERE datname LIKE 'sparky\\_tpl\\_%' OR datname LIKE 'sparky\\_test\\_%'",
                &[],
            )
            .await?;
        for row in stale {
            let name: String = row.get(0);
            // Separate statements: DROP DATABASE refuses to run in a (implicit) transaction.
            client
                .batch_execute(&format!("ALTER DATABASE \"{name}\" IS_TEMPLATE false"))
                .await?;
            client
                .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await?;
        }
        client
            .batch_execute(&format!("CREATE DATABASE \"{template}\""))
            .await?;
        let mut config = admin.clone();
        config.dbname(&template);
        migrator.run(&config).await?;
        client
            .batch_execute(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{template}' AND pid <> pg_backend_pid();
                 ALTER DATABASE \"{template}\" IS_TEMPLATE true"
            ))
            .await?;
    }
    client
        .execute("SELECT pg_advisory_unlock(7236472364)", &[])
        .await?;
    Ok(Shared { admin, template })
}

/// A database of one test's own. Dropped (with its connections) when the value is dropped.
pub struct TestDb {
    name: String,
    config: Config,
    /// Only the first handle drops the database.
    owned: bool,
}

impl TestDb {
    /// A copy of the fully migrated template.
    pub async fn new() -> TestDb {
        let shared = shared();
        Self::create(Some(&shared.template)).await
    }

    /// An empty database: no migrations applied, for migration-runner tests.
    pub async fn empty() -> TestDb {
        Self::create(None).await
    }

    async fn create(template: Option<&str>) -> TestDb {
        let shared = shared();
        let name = format!("sparky_test_{}", uuid::Uuid::new_v4().simple());
        let client = sparky_db::connect(&shared.admin)
            .await
            .expect("connect to the test cluster");
        let sql = match template {
            Some(t) => format!("CREATE DATABASE \"{name}\" TEMPLATE \"{t}\""),
            None => format!("CREATE DATABASE \"{name}\""),
        };
        client
            .batch_execute(&sql)
            .await
            .expect("create test database");
        let mut config = shared.admin.clone();
        config.dbname(&name);
        TestDb {
            name,
            config,
            owned: true,
        }
    }

    /// A second handle on the same database (e.g. for a second server); dropping it leaves
    /// the database to the first.
    pub fn clone_handle(&self) -> TestDb {
        TestDb {
            name: self.name.clone(),
            config: self.config.clone(),
            owned: false,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Owner-role settings for this database.
    pub fn owner_config(&self) -> Config {
        self.config.clone()
    }

    /// A `DATABASE_URL` for this database, for running the `sparky` binary against it.
    pub fn url(&self) -> String {
        url_for(&self.config)
    }

    /// A connection as the owner role (a superuser in the embedded test cluster).
    pub async fn owner_client(&self) -> tokio_postgres::Client {
        sparky_db::connect(&self.config)
            .await
            .expect("connect to the test database")
    }

    /// Settings for logging in to this database as the request role, as production requests
    /// do (`SPARKY_TEST_APP_DATABASE_URL` gives its credentials for an external test server).
    pub fn request_config(&self) -> Config {
        let mut config = match std::env::var("SPARKY_TEST_APP_DATABASE_URL") {
            Ok(url) => url.parse().expect("SPARKY_TEST_APP_DATABASE_URL"),
            Err(_) => {
                let mut c = self.config.clone();
                c.user(APP_ROLE);
                c
            }
        };
        config.dbname(&self.name);
        config
    }

    /// The application's handle on this database: 8 request connections logged in as the
    /// request role, with the test limits.
    pub async fn database(&self) -> Database {
        self.database_builder().build().expect("database handle")
    }

    /// The production request path (login as the request role) with the test limits and 8
    /// connections, to adjust before `build()`.
    pub fn database_builder(&self) -> DatabaseBuilder {
        Database::builder(self.config.clone(), APP_ROLE)
            .requests(RequestLogin::as_request_role(self.request_config()))
            .pool_size(8)
            .statement_timeout(TEST_STATEMENT_TIMEOUT)
            .idle_in_transaction_timeout(TEST_IDLE_IN_TRANSACTION_TIMEOUT)
    }

    pub fn app_role(&self) -> &str {
        APP_ROLE
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if !self.owned {
            return;
        }
        let name = self.name.clone();
        let admin = shared().admin.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let client = sparky_db::connect(&admin).await.ok()?;
                client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await
                    .ok()
            })
        })
        .join();
    }
}

/// Renders connection settings as a URL (Unix-socket hosts go in the `host` parameter).
pub fn url_for(config: &Config) -> String {
    use tokio_postgres::config::Host;
    let user = config.get_user().unwrap_or("postgres");
    let db = config.get_dbname().unwrap_or("postgres");
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let mut url = match config.get_hosts().first() {
        Some(Host::Unix(path)) => format!(
            "postgresql://{user}@/{db}?host={}&port={port}",
            path.display()
        ),
        Some(Host::Tcp(h)) => format!("postgresql://{user}@{h}:{port}/{db}?"),
        None => format!("postgresql://{user}@/{db}?"),
    };
    if let Some(pw) = config.get_password() {
        url.push_str(&format!("&password={}", String::from_utf8_lossy(pw)));
    }
    url
}

/// Runs `body` with the database owned by a plain role (neither superuser nor BYPASSRLS, as on
/// a managed database): its connection settings and the request role's name. The
/// cluster-wide roles are removed either way.
pub async fn with_a_plain_owner<F, Fut>(body: F)
where
    F: FnOnce(Config, String) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let test_db = TestDb::empty().await;
    let admin = test_db.owner_client().await;
    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let owner_role = format!("owner_{suffix}");
    let app_role = format!("app_{suffix}");
    admin
        .batch_execute(&format!(
            "CREATE ROLE {owner_role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB;
             CREATE ROLE {app_role} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
             GRANT {app_role} TO {owner_role};
             ALTER DATABASE \"{}\" OWNER TO {owner_role};
             GRANT ALL ON SCHEMA public TO {owner_role};",
            test_db.name()
        ))
        .await
        .unwrap();
    let mut config = test_db.owner_config();
    config.user(&owner_role);
    let outcome = tokio::spawn(body(config, app_role.clone())).await;
    let mut maint = test_db.owner_config();
    maint.dbname("postgres");
    if let Ok(c) = sparky_db::connect(&maint).await {
        let _ = c
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                test_db.name()
            ))
            .await;
        let _ = c
            .batch_execute(&format!("DROP ROLE IF EXISTS {owner_role}"))
            .await;
        let _ = c
            .batch_execute(&format!("DROP ROLE IF EXISTS {app_role}"))
            .await;
    }
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
