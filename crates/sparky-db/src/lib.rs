//! PostgreSQL for Sparky: where the database is (embedded or `DATABASE_URL`), the pool, the
//! migration runner, and [`Database::as_user`], the one way request code reaches user data.

pub mod doctor;
pub mod embedded;
pub mod migrate;
pub mod roles;
pub mod tls;
mod user_tx;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::{Client, Config};
use uuid::Uuid;

pub use embedded::{EmbeddedOptions, EmbeddedPostgres};
pub use migrate::{MigrateError, MigrationSource, Migrator};
pub use tls::{PgTarget, SslMode};
pub use user_tx::{Credential, Identity, UserTx};

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
    /// `DATABASE_URL` (the owner role); `None` means the embedded cluster under `data_dir`.
    pub database_url: Option<String>,
    /// `SPARKY_APP_DATABASE_URL`: how requests log in as the request role on an external server.
    pub app_database_url: Option<String>,
    pub data_dir: PathBuf,
    pub pg_os_user: Option<String>,
    pub app_role: String,
    pub pool_size: usize,
}

impl DbSettings {
    pub fn new(database_url: Option<String>, data_dir: PathBuf) -> DbSettings {
        DbSettings {
            database_url,
            app_database_url: None,
            data_dir,
            pg_os_user: None,
            app_role: DEFAULT_APP_ROLE.to_string(),
            pool_size: 16,
        }
    }
}

/// How request connections reach the request role.
#[derive(Debug, Clone)]
pub enum RequestLogin {
    /// Request connections log in as the request role itself, which is not a member of the
    /// owner: a `RESET ROLE` or `SET ROLE <owner>` smuggled into a request cannot make it the
    /// owner. The embedded cluster (trust over its private socket) and
    /// `SPARKY_APP_DATABASE_URL`.
    AsRequestRole(Box<PgTarget>),
    /// Request connections log in as the owner and switch to the request role in each
    /// transaction (an external `DATABASE_URL` without `SPARKY_APP_DATABASE_URL`). RLS still
    /// applies, but a statement that resets the role would act as the owner; `doctor` warns.
    OwnerSwitchesRole,
}

impl RequestLogin {
    /// Requests log in with `target`, whose user is the request role.
    pub fn as_request_role(target: impl Into<PgTarget>) -> RequestLogin {
        RequestLogin::AsRequestRole(Box::new(target.into()))
    }
}

/// What [`locate`] found.
pub struct Located {
    /// The owner role: migrations, doctor, administration.
    pub owner: PgTarget,
    pub requests: RequestLogin,
    /// The embedded cluster, when there is no `DATABASE_URL`. The caller stops it at shutdown.
    pub embedded: Option<EmbeddedPostgres>,
}

/// Where the database is, starting the embedded cluster when there is no URL.
pub async fn locate(settings: &DbSettings) -> anyhow::Result<Located> {
    roles::validate_role_name(&settings.app_role).map_err(anyhow::Error::msg)?;
    match &settings.database_url {
        Some(url) => {
            let owner = PgTarget::parse(url, "DATABASE_URL").map_err(anyhow::Error::msg)?;
            let requests = match &settings.app_database_url {
                Some(app_url) => {
                    RequestLogin::as_request_role(request_target(app_url, &settings.app_role)?)
                }
                None => RequestLogin::OwnerSwitchesRole,
            };
            Ok(Located {
                owner,
                requests,
                embedded: None,
            })
        }
        None => {
            if settings.app_database_url.is_some() {
                anyhow::bail!(
                    "SPARKY_APP_DATABASE_URL is set without DATABASE_URL; the embedded PostgreSQL \
                     needs neither (requests log in as {} over its private socket)",
                    settings.app_role
                );
            }
            let pg = EmbeddedPostgres::start(&EmbeddedOptions {
                data_dir: settings.data_dir.clone(),
                os_user: settings.pg_os_user.clone(),
                extra_settings: Vec::new(),
            })
            .await?;
            let owner = PgTarget::from(pg.owner_config(embedded::DATABASE_NAME));
            // The cluster trusts every role over its socket, which only Sparky's OS user can
            // reach, so the request role logs in without a password.
            let requests = RequestLogin::AsRequestRole(Box::new(owner.with_config(|c| {
                c.user(&settings.app_role);
            })));
            Ok(Located {
                owner,
                requests,
                embedded: Some(pg),
            })
        }
    }
}

/// `SPARKY_APP_DATABASE_URL`, which must log in as the request role the checks are run for.
fn request_target(url: &str, app_role: &str) -> anyhow::Result<PgTarget> {
    let target = PgTarget::parse(url, "SPARKY_APP_DATABASE_URL").map_err(anyhow::Error::msg)?;
    match target.user() {
        None => Ok(target.with_config(|c| {
            c.user(app_role);
        })),
        Some(user) if user == app_role => Ok(target),
        Some(user) => anyhow::bail!(
            "SPARKY_APP_DATABASE_URL logs in as {user}, but the request role is {app_role}; \
             set SPARKY_APP_ROLE={user} (or use {app_role} in the URL)"
        ),
    }
}

/// Opens one connection and drives it on the runtime. Takes a [`PgTarget`] (TLS as its URL
/// asked) or a plain [`Config`].
pub async fn connect(target: impl Into<PgTarget>) -> Result<Client, tokio_postgres::Error> {
    tls::connect(target).await
}

/// How long one statement of a request may run unless raised with
/// [`UserTx::set_statement_timeout`] (`SPARKY_STATEMENT_TIMEOUT_MS`).
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_millis(5_000);

/// How long a request transaction may sit idle before the server ends its session
/// (`SPARKY_IDLE_IN_TRANSACTION_TIMEOUT_MS`).
pub const DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT: Duration = Duration::from_millis(15_000);

/// Builds a [`Database`]: where requests connect, how many connections, and their limits.
#[derive(Debug, Clone)]
pub struct DatabaseBuilder {
    owner: PgTarget,
    requests: RequestLogin,
    app_role: String,
    pool_size: usize,
    statement_timeout: Duration,
    idle_in_transaction_timeout: Duration,
}

impl DatabaseBuilder {
    /// How request connections log in (default: [`RequestLogin::OwnerSwitchesRole`]).
    pub fn requests(mut self, requests: RequestLogin) -> Self {
        self.requests = requests;
        self
    }

    pub fn pool_size(mut self, size: usize) -> Self {
        self.pool_size = size;
        self
    }

    /// `statement_timeout` of request connections; zero means none.
    pub fn statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = timeout;
        self
    }

    /// `idle_in_transaction_session_timeout` of request connections; zero means none.
    pub fn idle_in_transaction_timeout(mut self, timeout: Duration) -> Self {
        self.idle_in_transaction_timeout = timeout;
        self
    }

    pub fn build(self) -> Result<Database, DbError> {
        roles::validate_role_name(&self.app_role).map_err(DbError::Config)?;
        let (request_target, login) = match &self.requests {
            RequestLogin::AsRequestRole(t) => (PgTarget::clone(t), true),
            RequestLogin::OwnerSwitchesRole => (self.owner.clone(), false),
        };
        let base = request_target.config();
        // Startup options cost no round trip. Request connections plan each prepared
        // statement once (generic plans): every request query is written for an index path
        // that holds for any parameter values (see the index-use test under RLS), and
        // re-planning per execution (the default for statements whose custom plans look
        // cheaper, such as food search) cost more than the query. The timeouts bound what
        // one request can cost the server (a runaway statement, a forgotten transaction).
        let ours = format!(
            "-c plan_cache_mode=force_generic_plan -c statement_timeout={} \
             -c idle_in_transaction_session_timeout={}",
            self.statement_timeout.as_millis(),
            self.idle_in_transaction_timeout.as_millis()
        );
        let options = match base.get_options() {
            Some(o) if !o.trim().is_empty() => format!("{o} {ours}"),
            _ => ours,
        };
        let mut pool_config = base.clone();
        pool_config.options(&options);
        // Transactions always end in COMMIT or ROLLBACK (see UserTx's Drop), so a returned
        // connection needs no cleanup query.
        let manager_config = || ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let pool = build_pool(
            request_target.pool_manager(pool_config, manager_config()),
            self.pool_size.max(1),
        )?;
        // The readiness check reads `migrations`, which the request role may not; it gets
        // one owner connection of its own, made on first use.
        let admin = if login {
            Some(build_pool(
                self.owner
                    .pool_manager(self.owner.config().clone(), manager_config()),
                1,
            )?)
        } else {
            None
        };
        Ok(Database {
            pool,
            admin,
            owner: Arc::new(self.owner),
            requests: Arc::new(self.requests),
            shared: Arc::new(user_tx::Shared {
                role: self.app_role,
                tls: request_target.tls().clone(),
            }),
        })
    }
}

fn build_pool(manager: Manager, size: usize) -> Result<Pool, DbError> {
    Pool::builder(manager)
        .max_size(size)
        // A database that is down answers 503 quickly instead of hanging requests.
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .wait_timeout(Some(Duration::from_secs(5)))
        .create_timeout(Some(Duration::from_secs(5)))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .build()
        .map_err(|e| DbError::Pool(e.to_string()))
}

/// The application's database handle: a pool of request connections that request code can
/// only use through [`Database::as_user`] (request role + acting user).
#[derive(Clone)]
pub struct Database {
    pool: Pool,
    /// Owner connection for the readiness check, when requests do not log in as the owner.
    admin: Option<Pool>,
    // Behind Arcs: the handle is cloned with the web state for every request.
    owner: Arc<PgTarget>,
    requests: Arc<RequestLogin>,
    shared: Arc<user_tx::Shared>,
}

impl Database {
    /// Requests on owner connections that switch role per transaction, with the default
    /// timeouts. See [`Database::builder`] for requests that log in as the request role.
    pub fn new(config: Config, app_role: &str, pool_size: usize) -> Result<Database, DbError> {
        Database::builder(config, app_role)
            .pool_size(pool_size)
            .build()
    }

    pub fn builder(owner: impl Into<PgTarget>, app_role: &str) -> DatabaseBuilder {
        DatabaseBuilder {
            owner: owner.into(),
            requests: RequestLogin::OwnerSwitchesRole,
            app_role: app_role.to_string(),
            pool_size: 16,
            statement_timeout: DEFAULT_STATEMENT_TIMEOUT,
            idle_in_transaction_timeout: DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT,
        }
    }

    /// How request connections log in.
    pub fn request_login(&self) -> &RequestLogin {
        &self.requests
    }

    pub fn app_role(&self) -> &str {
        &self.shared.role
    }

    /// The owner-role connection settings (migrations, doctor, admin CLI).
    pub fn owner_config(&self) -> &Config {
        self.owner.config()
    }

    /// The owner-role connection settings with their TLS policy.
    pub fn owner_target(&self) -> &PgTarget {
        &self.owner
    }

    pub fn pool_status(&self) -> deadpool_postgres::Status {
        self.pool.status()
    }

    /// A transaction as the request role with `auth.uid()` = `user_id`. Nothing is sent until
    /// the first query, which is pipelined with `BEGIN` and the role switch.
    pub async fn as_user(&self, user_id: Uuid) -> Result<UserTx, DbError> {
        let client = self.pool.get().await?;
        Ok(UserTx::new(
            client,
            Some(user_id),
            false,
            self.shared.clone(),
        ))
    }

    /// A transaction as `who`: read only when `who` came from a read-only API key (see
    /// [`Identity`]).
    pub async fn as_identity(&self, who: Identity) -> Result<UserTx, DbError> {
        let client = self.pool.get().await?;
        Ok(UserTx::new(
            client,
            Some(who.user_id),
            who.read_only,
            self.shared.clone(),
        ))
    }

    /// A transaction as the request role acting as whoever `credential` belongs to. The
    /// credential is resolved inside the pipelined setup; an invalid one makes the first
    /// statement fail with [`DbError::Unauthenticated`]. It takes a pooled connection only with
    /// its first statement, so a request holds none while its body arrives.
    pub async fn authenticate(&self, credential: Credential) -> Result<UserTx, DbError> {
        Ok(UserTx::with_credential(
            self.pool.clone(),
            credential,
            self.shared.clone(),
        ))
    }

    /// A transaction as the request role with no acting user: it sees only public rows.
    /// For the few requests made before anyone is known (login, health checks).
    pub async fn anonymous(&self) -> Result<UserTx, DbError> {
        let client = self.pool.get().await?;
        Ok(UserTx::new(client, None, false, self.shared.clone()))
    }

    /// Readiness: the database answers and its schema matches `migrator` (no pending,
    /// modified or unknown migrations). Runs on a pooled connection outside any request
    /// transaction; it reads only the `migrations` table.
    pub async fn check_schema(&self, migrator: &Migrator) -> Result<(), String> {
        let client = self
            .admin
            .as_ref()
            .unwrap_or(&self.pool)
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
