//! Who is asking: session cookies for browsers, API keys for scripts and phones
//! (`Authorization: Bearer <key>`, or `X-API-Key: <key>`), and the per-request transaction
//! that acts as that user under RLS.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use sparky_db::{Credential, UserTx};
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::ApiError;
use crate::AppState;

pub const SESSION_COOKIE: &str = "sparky_session";

/// How the request authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthVia {
    Session,
    ApiKey,
}

/// An authenticated request: its transaction acts as the caller. Commit it when the handler
/// succeeds; dropping it rolls back.
pub struct Auth {
    pub tx: UserTx,
    pub via: AuthVia,
}

/// `?user_id=`: act on a grantor's data; RLS decides whether that is allowed.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActingFor {
    /// Whose data to act on (default: your own). Needs a family access grant from that user.
    pub user_id: Option<Uuid>,
}

pub use sparky_app::accounts::credentials::{random_secret, token_hash, API_KEY_PREFIX};

impl<S> FromRequestParts<S> for Auth
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = AppState::from_ref(state);
        let (credential, via) = credential_from(parts, &app)?;
        if via == AuthVia::Session && !is_safe(&parts.method) {
            check_origin(parts, &app)?;
        }
        // The credential is checked with the request's first statement, in the same round
        // trip, and the transaction takes a pooled connection only then: none is held while
        // the body arrives. A request answered without any statement has its credential
        // checked afterwards by `unauthenticated_first`, which this tells that it was.
        let mut tx = app.db.authenticate(credential).await?;
        if let Some(CredentialChecked(flag)) = parts.extensions.get::<CredentialChecked>() {
            tx.report_verification_to(flag.clone());
        }
        Ok(Auth { tx, via })
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The session cookie's secret, if the request carries one.
pub fn session_secret(parts: &Parts) -> Option<String> {
    CookieJar::from_headers(&parts.headers)
        .get(SESSION_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty())
}

/// The header an API key may also come in (as SparkyFitness's clients send it), when there is
/// no `Authorization` header.
pub const API_KEY_HEADER: &str = "x-api-key";

fn credential_from(parts: &Parts, app: &AppState) -> Result<(Credential, AuthVia), ApiError> {
    let api_key = |key: &str| {
        (
            Credential {
                kind: "api_key",
                token_hash: token_hash(key),
                session_ttl_seconds: app.config.session_ttl_seconds,
            },
            AuthVia::ApiKey,
        )
    };
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let value = value.to_str().map_err(|_| ApiError::unauthenticated())?;
        let key = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(ApiError::unauthenticated)?;
        return Ok(api_key(key));
    }
    if let Some(value) = parts.headers.get(API_KEY_HEADER) {
        let key = value
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(ApiError::unauthenticated)?;
        return Ok(api_key(key));
    }
    let secret = session_secret(parts).ok_or_else(ApiError::unauthenticated)?;
    Ok((
        Credential {
            kind: "session",
            token_hash: token_hash(&secret),
            session_ttl_seconds: app.config.session_ttl_seconds,
        },
        AuthVia::Session,
    ))
}

/// CSRF defence for cookie-authenticated writes (on top of SameSite=Lax): the browser's
/// `Origin` (or `Referer`) must be this server.
pub fn check_origin(parts: &Parts, app: &AppState) -> Result<(), ApiError> {
    let presented = parts
        .headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| {
            parts
                .headers
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .and_then(origin_of)
        });
    let Some(origin) = presented else {
        return Err(csrf_error(
            "a cookie-authenticated write needs an Origin header",
        ));
    };
    let origin = origin.trim_end_matches('/').to_ascii_lowercase();
    let allowed = match &app.config.public_origin {
        Some(public) => origin == *public,
        None => {
            let host = parts
                .headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_ascii_lowercase();
            origin == format!("http://{host}") || origin == format!("https://{host}")
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(csrf_error("the request's Origin is not this server"))
    }
}

/// The origin a link to this server starts with (a password link): `SPARKY_PUBLIC_URL`'s when
/// set, else the browser's `Origin` (checked for cookie writes), else `http://` and the `Host`
/// the request was sent to.
pub fn link_origin(headers: &HeaderMap, config: &crate::WebConfig) -> String {
    if let Some(public) = &config.public_origin {
        return public.clone();
    }
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    match header(header::ORIGIN).filter(|o| o.starts_with("http")) {
        Some(origin) => origin.trim_end_matches('/').to_string(),
        None => format!("http://{}", header(header::HOST).unwrap_or("localhost")),
    }
}

fn csrf_error(message: &str) -> ApiError {
    ApiError::new(axum::http::StatusCode::FORBIDDEN, "csrf_failed", message)
}

/// `scheme://host[:port]` of a URL.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| {
        format!(
            "{}://{}",
            scheme.to_ascii_lowercase(),
            host.to_ascii_lowercase()
        )
    })
}

/// The client address, honouring `X-Forwarded-For` only when configured to trust a proxy.
pub fn client_ip(parts: &Parts, trust_proxy: bool) -> Option<IpAddr> {
    if trust_proxy {
        if let Some(ip) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok())
        {
            return Some(ip);
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// Operations anyone may call; every other API route needs a credential.
fn is_public(method: &Method, path: &str) -> bool {
    *method == Method::POST && matches!(path, "/api/v1/auth/register" | "/api/v1/auth/login")
}

/// Whether input checks may answer before the handler: the route is public, or the request
/// carries a credential (an invalid one is turned into 401 by [`unauthenticated_first`]).
/// Without any credential the handler's 401 comes first.
pub fn may_look_at_input(req: &axum::extract::Request) -> bool {
    is_public(req.method(), req.uri().path())
        || req.headers().contains_key(header::AUTHORIZATION)
        || req.headers().contains_key(API_KEY_HEADER)
        || CookieJar::from_headers(req.headers())
            .get(SESSION_COOKIE)
            .is_some()
}

/// Set by the request's transaction once it has checked the credential.
#[derive(Clone)]
struct CredentialChecked(std::sync::Arc<std::sync::atomic::AtomicBool>);

/// Authenticated routes answer 401 before anything else. Checking a credential costs a
/// database round trip, which requests pipeline with their first statement; so when a request
/// that carries a credential is answered without its credential having been checked (refused
/// for its input: 400, 403, 404, 413, 415, 422, or answered without a statement), the
/// credential is checked then, and an invalid one turns the answer into 401. Server errors
/// (5xx) are left as they are.
pub async fn unauthenticated_first(
    axum::extract::State(app): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::StatusCode;
    if is_public(req.method(), req.uri().path()) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let credential = credential_from(&parts, &app).ok();
    let checked = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // A large body is taken in only from a known caller: its credential is checked first, at
    // the cost of a round trip that small bodies (nearly every write) do not pay.
    if credential.is_some() && large_body(&parts) {
        if let Err(refused) = check_credential(&app, credential.clone()).await {
            return refused;
        }
        checked.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    parts.extensions.insert(CredentialChecked(checked.clone()));
    let response = next
        .run(axum::extract::Request::from_parts(parts, body))
        .await;
    let status = response.status();
    let unchecked = status != StatusCode::UNAUTHORIZED
        && !status.is_server_error()
        && !checked.load(std::sync::atomic::Ordering::Relaxed);
    if !unchecked {
        return response;
    }
    // A credential that cannot be checked (database unavailable) gets that answer, not the
    // handler's: nothing is said about the input of a caller who is not known.
    match check_credential(&app, credential).await {
        Ok(()) => response,
        Err(refused) => refused,
    }
}

/// Bodies above this (or of unknown length) wait for the credential check (API and pages).
const EARLY_CHECK_BODY: u64 = 16 * 1024;

pub(crate) fn large_body(parts: &Parts) -> bool {
    match parts.headers.get(header::CONTENT_LENGTH) {
        Some(len) => len
            .to_str()
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .is_none_or(|n| n > EARLY_CHECK_BODY),
        None => parts.headers.contains_key(header::TRANSFER_ENCODING),
    }
}

/// 401 for a credential that is not valid, the database's error when it cannot be checked.
async fn check_credential(
    app: &AppState,
    credential: Option<(Credential, AuthVia)>,
) -> Result<(), axum::response::Response> {
    use axum::response::IntoResponse;
    let Some((credential, _)) = credential else {
        return Ok(());
    };
    let checked = match app.db.authenticate(credential).await {
        Ok(mut tx) => tx.user_id().await.map(|_| ()),
        Err(e) => Err(e),
    };
    match checked {
        Ok(()) => Ok(()),
        Err(sparky_db::DbError::Unauthenticated) => {
            Err(ApiError::unauthenticated().into_response())
        }
        Err(e) => Err(ApiError::from(e).into_response()),
    }
}

/// Query-string `?user_id=` with errors in the API's shape (other parameters are left to the
/// handler's own query extractor).
impl<S: Send + Sync> FromRequestParts<S> for ActingFor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let raw: ActingForRaw = crate::extract::parse_query(parts.uri.query().unwrap_or(""))?;
        match raw.user_id {
            None => Ok(ActingFor { user_id: None }),
            Some(s) if s.is_empty() => Ok(ActingFor { user_id: None }),
            Some(s) => s
                .parse()
                .map(|u| ActingFor { user_id: Some(u) })
                .map_err(|_| ApiError::invalid("user_id", "must be a UUID")),
        }
    }
}

impl ActingFor {
    /// Whose data the operation is about.
    pub fn acting(&self) -> sparky_app::Acting {
        sparky_app::Acting::new(self.user_id)
    }
}

#[derive(Deserialize)]
struct ActingForRaw {
    user_id: Option<String>,
}

/// Counts a check of the caller's own password (changing it, deleting the account) against
/// the per-account sign-in limit: 429 with the seconds to wait when over. Before the check
/// runs, on a connection of its own, so a wrong password's rollback keeps the count.
pub(crate) async fn count_own_password_check(
    state: &AppState,
    tx: &mut UserTx,
) -> Result<(), sparky_app::AppError> {
    let user_id = tx.user_id().await?;
    let anonymous = state.db.anonymous().await?;
    sparky_app::accounts::note_own_password_check(
        anonymous,
        state.config.login_attempts_per_minute_account,
        user_id,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        assert_eq!(
            origin_of("https://Fit.Example.com/path?x"),
            Some("https://fit.example.com".into())
        );
        assert_eq!(
            origin_of("http://localhost:8080"),
            Some("http://localhost:8080".into())
        );
        assert_eq!(origin_of("nonsense"), None);
    }
}
