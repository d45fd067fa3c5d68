//! PostgreSQL for Sparky: where the database is (embedded or `DATABASE_URL`), the pool, the
//! migration runner, and [`Database::as_user`], the one way request code reaches user data.

pub mod doctor;
pub mod embedded;
pub mod migrate;
pub mod roles;
mod user_tx;

use std::path::PathBuf;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::{Client, Config, NoTls};
use uuid::Uuid;

pub use embedded::{EmbeddedOptions, EmbeddedPostgres};
pub use migrate::{MigrateError, MigrationSource, Migrator};
pub use user_tx::{Credential, UserTx};

/// Default name of the request role (`SPARKY_APP_ROLE` overrides it).
pub const DEFAULT_APP_ROLE: &str = "sparky_app";

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
    #[error("database pool: {0}")]
    Pool(String),
    #[error("{0}")]
    Config(String),
    /// The session token or API key is unknown, expired or revoked, or its user is disabled.
    #[error("not signed in, or the session or API key is no longer valid")]
    Unauthenticated,
}

impl From<deadpool_postgres::PoolError> for DbError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => DbError::Postgres(e),
            other => DbError::Pool(other.to_string()),
        }
    }
}

impl DbError {
    /// The SQLSTATE, when PostgreSQL answered with an error.
    pub fn code(&self) -> Option<&str> {
        match self {
            DbError::Postgres(e) => e.code().map(|c| c.code()),
            _ => None,
        }
    }
}

/// Where the database is and who requests act as.
#[derive(Debug, Clone)]
pub struct DbSettings {
    /// `DATABASE_URL`; `None` means the embedded cluster under `data_dir`.
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    pub pg_os_user: Option<String>,
    pub app_role: String,
    pub pool_size: usize,
}

impl DbSettings {
    pub fn new(database_url: Option<String>, data_dir: PathBuf) -> DbSettings {
        DbSettings {
            database_url,
            data_dir,
            pg_os_user: None,
            app_role: DEFAULT_APP_ROLE.to_string(),
            pool_size: 16,
        }
    }
}

/// The owner-role connection settings, starting the embedded cluster when there is no URL.
/// The returned cluster handle (if any) must be stopped by the caller at shutdown.
pub async fn locate(settings: &DbSettings) -> anyhow::Result<(Config, Option<EmbeddedPostgres>)> {
    match &settings.database_url {
        Some(url) => {
            let config: Config = url
                .parse()
                .map_err(|e| anyhow::anyhow!("DATABASE_URL is not a valid PostgreSQL URL: {e}"))?;
            Ok((config, None))
        }
        None => {
            let pg = EmbeddedPostgres::start(&EmbeddedOptions {
                data_dir: settings.data_dir.clone(),
                os_user: settings.pg_os_user.clone(),
                extra_settings: Vec::new(),
            })
            .await?;
            Ok((pg.owner_config(embedded::DATABASE_NAME), Some(pg)))
        }
    }
}

/// Opens one connection and drives it on the runtime.
pub async fn connect(config: &Config) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!("postgres connection closed: {e}");
        }
    });
    Ok(client)
}

/// The application's database handle: a pool of owner-role connections that request code
/// can only use through [`Database::as_user`] (request role + acting user).
#[derive(Clone)]
pub struct Database {
    pool: Pool,
    app_role: String,
    config: Config,
}

impl Database {
    pub fn new(config: Config, app_role: &str, pool_size: usize) -> Result<Database, DbError> {
        roles::validate_role_name(app_role).map_err(DbError::Config)?;
        // Request connections plan each prepared statement once (generic plans). Every request
        // query is written for an index path that holds for any parameter values (see the
        // index-use test under RLS); re-planning per execution (the default for statements
        // whose custom plans look cheaper, such as food search) cost more than the query.
        let mut pool_config = config.clone();
        let options = match config.get_options() {
            Some(o) if !o.trim().is_empty() => format!("{o} -c plan_cache_mode=force_generic_plan"),
            _ => "-c plan_cache_mode=force_generic_plan".to_string(),
        };
        pool_config.options(&options);
        let manager = Manager::from_config(
            pool_config,
            NoTls,
            // Transactions always end in COMMIT or ROLLBACK (see UserTx's Drop), so a
            // returned connection needs no cleanup query.
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            // A database that is down answers 503 quickly instead of hanging requests.
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(std::time::Duration::from_secs(5)))
            .create_timeout(Some(std::time::Duration::from_secs(5)))
            .recycle_timeout(Some(std::time::Duration::from_secs(5)))
            .build()
            .map_err(|e| DbError::Pool(e.to_string()))?;
        Ok(Database {
            pool,
            app_role: app_role.to_string(),
            config,
        })
    }

    pub fn app_role(&self) -> &str {
        &self.app_role
    }

    /// The owner-role connection settings (migrations, doctor, admin CLI).
    pub fn owner_config(&self) -> &Config {
        &self.config
    }

    pub fn pool_status(&self) -> deadpool_postgres::Status {
        self.pool.status()
    }

    /// A transaction as the request role with `auth.uid()` = `user_id`. Nothing is sent until
    /// the first query, which is pipelined with `BEGIN` and the role switch.
    pub async fn as_user(&self, user_id: Uuid) -> Result<UserTx, DbError> {
        let client = self.pool.get().await?;
        Ok(UserTx::new(client, Some(user_id), self.app_role.clone()))
    }

    /// A transaction as the request role acting as whoever `credential` belongs to. The
    /// credential is resolved inside the pipelined setup; an invalid one makes the first
    /// statement fail with [`DbError::Unauthenticated`].
    pub async fn authenticate(&self, credential: Credential) -> Result<UserTx, DbError> {
        let client = self.pool.get().await?;
        Ok(UserTx::with_credential(
            client,
            credential,
            self.app_role.clone(),
        ))
    }

    /// A transaction as the request role with no acting user: it sees only public rows.
    /// For the few requests made before anyone is known (login, health checks).
    pub async fn anonymous(&self) -> Result<UserTx, DbError> {
        let client = self.pool.get().await?;
        Ok(UserTx::new(client, None, self.app_role.clone()))
    }

    /// Readiness: the database answers and its schema matches `migrator` (no pending,
    /// modified or unknown migrations). Runs on a pooled connection outside any request
    /// transaction; it reads only the `migrations` table.
    pub async fn check_schema(&self, migrator: &Migrator) -> Result<(), String> {
        let client = self
            .pool
            .get()
            .await
            .map_err(|e| format!("database unavailable: {e}"))?;
        migrator.verify(&client).await.map_err(|e| e.to_string())
    }

    /// Checks that a connection can be made and answers.
    pub async fn ping(&self) -> Result<(), DbError> {
        let client = self.pool.get().await?;
        client.simple_query("").await?;
        Ok(())
    }
}
