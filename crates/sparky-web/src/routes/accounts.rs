//! Accounts: registration, login and logout, the signed-in user, password changes.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::OnceLock;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};
use sparky_core::account::{check_new_password, parse_full_name, Email};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{self, Auth, AuthVia};
use crate::error::{ApiError, ApiResult, ErrorBody, Validation};
use crate::json::ApiJson;
use crate::{AppState, WebConfig};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me, update_me))
        .routes(routes!(change_password))
}

/// Per-address and per-account login limits. In memory: several instances behind a load
/// balancer each apply them.
pub struct LoginLimits {
    by_ip: DefaultKeyedRateLimiter<IpAddr>,
    by_account: DefaultKeyedRateLimiter<String>,
}

impl LoginLimits {
    pub fn new(config: &WebConfig) -> LoginLimits {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).expect("at least 1"));
        LoginLimits {
            by_ip: RateLimiter::keyed(quota(config.login_attempts_per_minute_ip)),
            by_account: RateLimiter::keyed(quota(config.login_attempts_per_minute_account)),
        }
    }

    /// Counts an attempt; the error says how long to wait.
    fn check(&self, ip: Option<IpAddr>, account: &str) -> ApiResult<()> {
        let now = DefaultClock::default().now();
        if let Some(ip) = ip {
            if let Err(wait) = self.by_ip.check_key(&ip) {
                return Err(ApiError::too_many_requests(
                    wait.wait_time_from(now).as_secs() + 1,
                ));
            }
        }
        if let Err(wait) = self.by_account.check_key(&account.to_string()) {
            return Err(ApiError::too_many_requests(
                wait.wait_time_from(now).as_secs() + 1,
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub email: String,
    /// At least 10 characters, not one of the most common passwords.
    pub password: String,
    pub full_name: String,
}

/// The signed-in user.
#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub full_name: Option<String>,
    pub is_admin: bool,
    pub created_at: Option<DateTime<Utc>>,
}

const USER_COLUMNS: &str = "id, email, full_name, is_admin, created_at";

fn user_from(row: &tokio_postgres::Row) -> User {
    User {
        id: row.get("id"),
        email: row.get("email"),
        full_name: row.get("full_name"),
        is_admin: row.get("is_admin"),
        created_at: row.get("created_at"),
    }
}

/// Create an account.
///
/// The first account on a server becomes its administrator. With `SPARKY_ALLOW_SIGNUP=false`
/// only that first account can register.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "accounts",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created", body = User),
        (status = 403, description = "Sign-up is closed", body = ErrorBody),
        (status = 409, description = "An account with that email exists", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody),
    ))]
async fn register(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, ApiJson<User>)> {
    let mut v = Validation::new();
    let email = Email::parse(&req.email).map_err(|e| v.add("email", e)).ok();
    let full_name = parse_full_name(&req.full_name)
        .map_err(|e| v.add("full_name", e))
        .ok();
    if let Err(e) = check_new_password(&req.password) {
        v.add("password", e);
    }
    v.finish()?;
    let (email, full_name) = (email.expect("validated"), full_name.expect("validated"));
    let hash = auth::hash_password(req.password).await?;
    let mut tx = state.db.anonymous().await?;
    let row = tx
        .query_one(
            "SELECT user_id FROM auth.register_user($1, $2, $3, $4)",
            &[
                &email.as_str(),
                &hash,
                &full_name,
                &state.config.allow_signup,
            ],
        )
        .await
        .map_err(|e| match e.code() {
            Some("23505") => ApiError::conflict("an account with that email already exists"),
            Some("SPK01") => ApiError::new(
                StatusCode::FORBIDDEN,
                "signup_closed",
                "this server does not accept new accounts; ask its administrator",
            ),
            _ => e.into(),
        })?;
    let id: Uuid = row.get(0);
    tx.commit().await?;
    // The new account reads its own row as itself.
    let rows = state
        .db
        .as_user(id)
        .await?
        .query_and_commit(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"),
            &[&id],
        )
        .await?;
    let user = rows.first().map(user_from).ok_or_else(ApiError::internal)?;
    tracing::info!(user_id = %user.id, admin = user.is_admin, "account registered");
    Ok((StatusCode::CREATED, ApiJson(user)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// The request's origin check for login (no session yet, but a login form must not be
/// postable from another site), plus the client address and user agent.
struct LoginContext {
    ip: Option<IpAddr>,
    user_agent: Option<String>,
}

impl FromRequestParts<AppState> for LoginContext {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if parts.headers.contains_key(header::ORIGIN) {
            auth::check_origin(parts, state)?;
        }
        Ok(LoginContext {
            ip: auth::client_ip(parts, state.config.trust_proxy),
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(255).collect()),
        })
    }
}

/// A hash of a random password, verified when the email is unknown so that a wrong email
/// costs the same time as a wrong password.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
        argon2::Argon2::default()
            .hash_password(
                auth::random_secret().as_bytes(),
                &SaltString::generate(&mut OsRng),
            )
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

fn invalid_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "wrong email or password",
    )
}

/// Sign in; sets the session cookie.
///
/// Limited per client address and per account (429 with `Retry-After`).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "accounts",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; the `sparky_session` cookie is set", body = User),
        (status = 401, description = "Wrong email or password", body = ErrorBody),
        (status = 403, description = "The account is disabled", body = ErrorBody),
        (status = 429, description = "Too many attempts", body = ErrorBody),
    ))]
async fn login(
    State(state): State<AppState>,
    ctx: LoginContext,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let email = req.email.trim().to_lowercase();
    state.limits.check(ctx.ip, &email)?;
    // Make sure the dummy hash exists before timing matters.
    let dummy = tokio::task::spawn_blocking(dummy_hash)
        .await
        .map_err(|_| ApiError::internal())?;
    let rows = state
        .db
        .anonymous()
        .await?
        .query_and_commit(
            "SELECT user_id, password_hash, disabled FROM auth.login_credentials($1)",
            &[&email],
        )
        .await?;
    let found = rows.first().map(|r| {
        (
            r.get::<_, Uuid>(0),
            r.get::<_, String>(1),
            r.get::<_, bool>(2),
        )
    });
    let stored = found
        .as_ref()
        .map(|f| f.1.clone())
        .unwrap_or_else(|| dummy.to_string());
    let ok = auth::verify_password(req.password, stored).await;
    let Some((user_id, _, disabled)) = found.filter(|_| ok) else {
        tracing::info!("failed login");
        return Err(invalid_credentials());
    };
    if disabled {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "account_disabled",
            "this account is disabled; ask the server's administrator",
        ));
    }
    let secret = auth::random_secret();
    let hash = auth::token_hash(&secret);
    let ip = ctx.ip.map(|i| i.to_string());
    let ttl = state.config.session_ttl_seconds;
    let mut tx = state.db.as_user(user_id).await?;
    tx.execute(
        "INSERT INTO sessions (user_id, token_hash, expires_at, user_agent, ip)
         VALUES (auth.uid(), $1, now() + make_interval(secs => $2), $3, $4)",
        &[&hash, &(ttl as f64), &ctx.user_agent, &ip],
    )
    .await?;
    let rows = tx
        .query_and_commit(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE id = auth.uid()"),
            &[],
        )
        .await?;
    let user = rows.first().map(user_from).ok_or_else(ApiError::internal)?;
    tracing::info!(user_id = %user.id, "signed in");
    let mut response = ApiJson(user).into_response();
    set_cookie(
        response.headers_mut(),
        &state.config,
        &secret,
        400 * 24 * 3600,
    );
    Ok(response)
}

/// The browser keeps the cookie long; the server's sliding expiry decides whether it works.
fn set_cookie(headers: &mut HeaderMap, config: &WebConfig, value: &str, max_age: i64) {
    let cookie = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        auth::SESSION_COOKIE,
        if config.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    );
    if let Ok(v) = cookie.parse() {
        headers.append(header::SET_COOKIE, v);
    }
}

/// Sign out: ends this session and clears the cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "accounts",
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ))]
async fn logout(State(state): State<AppState>, Auth { mut tx, via }: Auth) -> ApiResult<Response> {
    if via == AuthVia::Session {
        tx.execute(
            "DELETE FROM sessions WHERE id = nullif(current_setting('app.session_id', true), '')::uuid",
            &[],
        )
        .await?;
    }
    tx.commit().await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    set_cookie(response.headers_mut(), &state.config, "", 0);
    Ok(response)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "You", body = User),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ))]
async fn me(Auth { tx, .. }: Auth) -> ApiResult<ApiJson<User>> {
    let rows = tx
        .query_and_commit(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE id = auth.uid()"),
            &[],
        )
        .await?;
    rows.first()
        .map(|r| ApiJson(user_from(r)))
        .ok_or_else(ApiError::unauthenticated)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeRequest {
    pub full_name: String,
}

/// Change your name.
#[utoipa::path(put, path = "/api/v1/me", tag = "accounts",
    security(("session" = []), ("api_key" = [])),
    request_body = UpdateMeRequest,
    responses(
        (status = 200, description = "Updated", body = User),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody),
    ))]
async fn update_me(
    Auth { tx, .. }: Auth,
    ApiJson(req): ApiJson<UpdateMeRequest>,
) -> ApiResult<ApiJson<User>> {
    let name = parse_full_name(&req.full_name).map_err(|e| ApiError::invalid("full_name", e))?;
    let rows = tx
        .query_and_commit(
            &format!(
                "UPDATE users SET full_name = $1 WHERE id = auth.uid() RETURNING {USER_COLUMNS}"
            ),
            &[&name],
        )
        .await?;
    rows.first()
        .map(|r| ApiJson(user_from(r)))
        .ok_or_else(ApiError::unauthenticated)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// Change your password; every other session of yours ends.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "accounts",
    security(("session" = []), ("api_key" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "Wrong current password or unacceptable new one", body = ErrorBody),
    ))]
async fn change_password(
    Auth { mut tx, .. }: Auth,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> ApiResult<StatusCode> {
    check_new_password(&req.new_password).map_err(|e| ApiError::invalid("new_password", e))?;
    let row = tx
        .query_one(
            "SELECT c.password_hash FROM users u, auth.login_credentials(u.email) c
             WHERE u.id = auth.uid()",
            &[],
        )
        .await?;
    let stored: String = row.get(0);
    if !auth::verify_password(req.current_password, stored).await {
        return Err(ApiError::invalid("current_password", "is wrong"));
    }
    let hash = auth::hash_password(req.new_password).await?;
    tx.execute("SELECT auth.set_password($1)", &[&hash]).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
