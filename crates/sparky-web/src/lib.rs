//! Sparky's HTTP layer. Handlers stay thin: they parse input, run queries through the
//! caller's RLS transaction, and shape the answer.

pub mod assets;
pub mod auth;
pub mod error;
pub mod extract;
pub mod i18n;
pub mod idempotency;
pub mod json;
mod openapi;
mod ops;
pub mod pages;
mod query_names;
mod routes;
pub mod server;
mod strict_json;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRef};
use axum::http::{HeaderName, Request};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;

use sparky_db::{Database, Migrator};

pub use openapi::ApiDoc;

/// Default `SPARKY_MAX_IMPORT_BODY`: 64 MiB.
pub const DEFAULT_MAX_IMPORT_BODY: usize = 64 * 1024 * 1024;
/// Default `SPARKY_MAX_CONCURRENT_IMPORTS`: imports unpacked and parsed at once.
pub const DEFAULT_MAX_CONCURRENT_IMPORTS: usize = 2;
/// Default `SPARKY_IMPORT_STATEMENT_TIMEOUT_MS`: five minutes (a large Apple Health export).
pub const DEFAULT_IMPORT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(300);

/// Settings of the HTTP layer (from flags and environment, see the README).
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// `SPARKY_PUBLIC_URL`'s origin, e.g. `https://fit.example.com`.
    pub public_origin: Option<String>,
    /// Cookies get `Secure` when the public URL is https.
    pub secure_cookies: bool,
    /// `SPARKY_ALLOW_SIGNUP`: when false, only the first account can register.
    pub allow_signup: bool,
    /// `SPARKY_MAX_BODY` in bytes.
    pub max_body_bytes: usize,
    /// `SPARKY_MAX_IMPORT_BODY`: the largest archive `POST /api/v1/import` accepts, in bytes.
    pub max_import_body_bytes: usize,
    /// `SPARKY_MAX_CONCURRENT_IMPORTS`: how many uploaded files (archives, other trackers'
    /// exports) are unpacked and parsed at once; each may need several times its size in
    /// memory, so more wait (up to `import_queue_wait`, then 503 with `Retry-After`).
    pub max_concurrent_imports: usize,
    /// How long an import waits for its turn before it is refused.
    pub import_queue_wait: Duration,
    /// `SPARKY_IMPORT_STATEMENT_TIMEOUT_MS`: `statement_timeout` of an export or import, which
    /// may take longer than other requests (zero: no limit).
    pub import_statement_timeout: Duration,
    /// Sliding session lifetime.
    pub session_ttl_seconds: i32,
    /// Login attempts per minute per client address, and per account.
    pub login_attempts_per_minute_ip: u32,
    pub login_attempts_per_minute_account: u32,
    /// Registrations per minute per client address.
    pub signups_per_minute_ip: u32,
    /// Take the client address from `X-Forwarded-For` (behind a reverse proxy).
    pub trust_proxy: bool,
    /// `SPARKY_SMTP_URL` and `SPARKY_MAIL_FROM`: mails password links people ask for on the
    /// sign-in page (with `public_origin` for the link's address).
    pub mail: Option<sparky_providers::mail::Mailer>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            public_origin: None,
            secure_cookies: false,
            allow_signup: true,
            max_body_bytes: 1024 * 1024,
            max_import_body_bytes: DEFAULT_MAX_IMPORT_BODY,
            max_concurrent_imports: DEFAULT_MAX_CONCURRENT_IMPORTS,
            import_queue_wait: Duration::from_secs(30),
            import_statement_timeout: DEFAULT_IMPORT_STATEMENT_TIMEOUT,
            session_ttl_seconds: 30 * 24 * 3600,
            login_attempts_per_minute_ip: 20,
            login_attempts_per_minute_account: 5,
            signups_per_minute_ip: 10,
            trust_proxy: false,
            mail: None,
        }
    }
}

impl WebConfig {
    /// Applies `SPARKY_PUBLIC_URL`: its origin for CSRF checks and `Secure` cookies for https.
    pub fn with_public_url(mut self, url: Option<&str>) -> Result<WebConfig, String> {
        if let Some(url) = url.filter(|u| !u.is_empty()) {
            let not_a_url =
                || "SPARKY_PUBLIC_URL is not an address like https://fit.example.com".to_string();
            let (scheme, rest) = url.split_once("://").ok_or_else(not_a_url)?;
            let scheme = scheme.to_ascii_lowercase();
            let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
            // Credentials in it would be printed at start; a browser never sends them as an
            // origin anyway.
            if !matches!(scheme.as_str(), "http" | "https") || host.is_empty() || host.contains('@')
            {
                return Err(not_a_url());
            }
            // Pages link from the root: Sparky cannot run under a path of another site.
            let tail = &rest[host.len()..];
            if !matches!(tail, "" | "/") {
                return Err(format!(
                    "SPARKY_PUBLIC_URL {url:?} has more than a host name: Sparky runs at the \
                     root of its own host name (e.g. https://fit.example.com), without a path, \
                     query or fragment"
                ));
            }
            // A browser leaves the scheme's default port out of its Origin header.
            let host = host.to_ascii_lowercase();
            let default_port = if scheme == "https" { ":443" } else { ":80" };
            let host = host.strip_suffix(default_port).unwrap_or(&host);
            let origin = format!("{scheme}://{host}");
            self.secure_cookies = origin.starts_with("https://");
            self.public_origin = Some(origin);
        }
        Ok(self)
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub config: Arc<WebConfig>,
    pub(crate) migrator: Arc<Migrator>,
    pub(crate) metrics: ops::Metrics,
    pub(crate) providers: Arc<sparky_providers::Providers>,
    /// The assistant's provider default, limits and secret key.
    pub(crate) assistant: Arc<sparky_app::assistant::config::Assistant>,
    /// Turns for unpacking and parsing an uploaded file (`WebConfig::max_concurrent_imports`).
    pub(crate) import_slots: Arc<tokio::sync::Semaphore>,
    /// Room, in KiB, for uploaded files being received or waiting for a turn
    /// ([`upload_budget_kib`]).
    pub(crate) upload_budget: Arc<tokio::sync::Semaphore>,
}

/// How many KiB of uploaded files may be held at once: twice as many largest files as there
/// are import turns, so the next ones can arrive while the current ones are parsed, but a
/// crowd of uploads cannot fill the memory.
pub fn upload_budget_kib(config: &WebConfig) -> u32 {
    let per_file = config.max_import_body_bytes.div_ceil(1024).max(1);
    let files = 2 * config.max_concurrent_imports.max(1);
    u32::try_from(per_file.saturating_mul(files)).unwrap_or(u32::MAX)
}

impl AppState {
    /// A state with no food providers (nothing leaves the machine); see [`AppState::with_providers`].
    pub fn new(db: Database, config: WebConfig, migrator: Migrator) -> AppState {
        AppState {
            providers: Arc::new(sparky_providers::Providers::from_vars(|name| {
                (name == "SPARKY_OPENFOODFACTS").then(|| "false".to_string())
            })),
            assistant: Arc::default(),
            import_slots: Arc::new(tokio::sync::Semaphore::new(
                config.max_concurrent_imports.max(1),
            )),
            upload_budget: Arc::new(tokio::sync::Semaphore::new(
                upload_budget_kib(&config) as usize
            )),
            config: Arc::new(config),
            migrator: Arc::new(migrator),
            metrics: ops::Metrics::install(),
            db,
        }
    }
}

impl AppState {
    /// The turns imports take; shared, so a test can hold them all.
    pub fn import_slots(&self) -> Arc<tokio::sync::Semaphore> {
        self.import_slots.clone()
    }

    pub fn with_providers(mut self, providers: sparky_providers::Providers) -> AppState {
        self.providers = Arc::new(providers);
        self
    }

    /// The assistant's configuration (default: none set up, no secret key).
    pub fn with_assistant(
        mut self,
        assistant: sparky_app::assistant::config::Assistant,
    ) -> AppState {
        self.assistant = Arc::new(assistant);
        self
    }
}

/// The API routes with their OpenAPI description, built from the same registrations so
/// the document cannot miss a route.
pub fn api() -> OpenApiRouter<AppState> {
    routes::api_router()
}

pub fn router(state: AppState) -> Router {
    router_with(state, Router::new())
}

/// [`router`] with `extra` routes merged in under the same layers (request id, tracing,
/// metrics, error shape, panic handling). For tests that need a route production does not
/// have, such as one that panics.
pub fn router_with(state: AppState, extra: Router<AppState>) -> Router {
    let (api_router, mut doc) = OpenApiRouter::with_openapi(openapi::base())
        .merge(api())
        .split_for_parts();
    openapi::finish(&mut doc);
    let doc = Arc::new(doc);
    let request_id = HeaderName::from_static("x-request-id");
    let max_body = state.config.max_body_bytes;
    let declared = query_names::DeclaredQueries::from_doc(&doc);
    let api_router = api_router
        .route_layer(axum::middleware::from_fn(move |req, next| {
            query_names::refuse_undeclared(declared.clone(), req, next)
        }))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::unauthenticated_first,
        ));
    Router::new()
        .merge(api_router)
        .merge(ops::router())
        .merge(openapi::router(doc))
        .merge(pages::router())
        .route("/assets/{*file}", axum::routing::get(assets::serve))
        .merge(extra)
        .fallback(ops::not_found)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        // Inside `observe` and the request-id layers, so a panic's 500 is counted, carries the
        // request id, and has the API's error shape; the panic hook logs it (server::log_panics).
        .layer(CatchPanicLayer::custom(|_: Box<dyn std::any::Any + Send>| {
            axum::response::IntoResponse::into_response(error::ApiError::internal())
        }))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::observe,
        ))
        .layer(axum::middleware::from_fn(ops::security_headers))
        .layer(
            // No "response failed" line per 5xx: a database outage would log one per request.
            // What failed is logged where it is known (error.rs, outage.rs, the panic hook).
            TraceLayer::new_for_http().on_failure(()).make_span_with(|req: &Request<_>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %req.method(), uri = %req.uri().path(), request_id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// Deletes expired sessions and old sign-in attempts now and then; the tables would
/// otherwise only grow.
pub fn spawn_session_purger(db: Database) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            let Ok(mut tx) = db.anonymous().await else {
                continue;
            };
            match sparky_app::accounts::purge_expired(&mut tx).await {
                Ok(n) => {
                    if tx.commit().await.is_ok() && n > 0 {
                        tracing::info!(count = n, "purged expired sessions");
                    }
                }
                Err(e) => tracing::warn!("purging expired sessions failed: {e}"),
            }
        }
    })
}

impl FromRef<AppState> for Database {
    fn from_ref(state: &AppState) -> Database {
        state.db.clone()
    }
}
