//! `/api/v1/auth/*` and `/api/v1/me`: registration, sign-in and sign-out, the signed-in user,
//! password changes (see `sparky_app::accounts`).

use std::net::IpAddr;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sparky_app::accounts::password_links::{RequestPasswordLinkInput, UsePasswordLinkInput};
use sparky_app::accounts::{
    self, credentials, ChangePasswordInput, DeleteAccountInput, LoginInput, LoginLimits,
    RegisterInput, SignIn, UpdateMeInput, User,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{self, Auth, AuthVia};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::{AppState, WebConfig};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me, update_me, delete_me))
        .routes(routes!(change_password))
        .routes(routes!(use_password_link))
        .routes(routes!(request_password_link))
}

/// Create an account.
///
/// The first account on a server becomes its administrator. With `SPARKY_ALLOW_SIGNUP=false`
/// only that first account can register. Limited per client address across every instance
/// (`SPARKY_SIGNUPS_PER_MINUTE_IP`; 429 with `Retry-After`).
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "accounts",
    request_body = RegisterInput,
    responses(
        (status = 201, description = "Account created", body = User),
        (status = 403, description = "Sign-up is closed, or the request came from another site (`Origin`)", body = ErrorBody),
        (status = 409, description = "An account with that email exists", body = ErrorBody),
    ))]
async fn register(
    State(state): State<AppState>,
    ctx: LoginContext,
    ApiJson(input): ApiJson<RegisterInput>,
) -> ApiResult<(StatusCode, ApiJson<User>)> {
    let closed = |e| match e {
        sparky_app::AppError::Forbidden(m) => {
            ApiError::new(StatusCode::FORBIDDEN, "signup_closed", m)
        }
        other => other.into(),
    };
    accounts::admit_signup(
        &state.db,
        state.config.allow_signup,
        state.config.signups_per_minute_ip,
        ctx.ip,
    )
    .await
    .map_err(closed)?;
    let account = input.parse().await?;
    let mut tx = state.db.anonymous().await?;
    let id = accounts::register(&mut tx, &account, state.config.allow_signup)
        .await
        .map_err(closed)?;
    tx.commit().await?;
    // The new account reads its own row as itself.
    let mut tx = state.db.as_user(id).await?;
    let user = accounts::me(&mut tx).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, admin = user.is_admin, "account registered");
    Ok((StatusCode::CREATED, ApiJson(user)))
}

/// The request's origin check for sign-in and sign-up (no session yet, but neither form may be
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

/// Sign in; sets the session cookie.
///
/// Limited per client address and per account, across every instance (429 with
/// `Retry-After`).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "accounts",
    request_body = LoginInput,
    responses(
        (status = 200, description = "Signed in; the `sparky_session` cookie is set", body = User),
        (status = 401, description = "Wrong email or password", body = ErrorBody),
        (status = 403, description = "The account is disabled", body = ErrorBody),
    ))]
async fn login(
    State(state): State<AppState>,
    ctx: LoginContext,
    ApiJson(input): ApiJson<LoginInput>,
) -> ApiResult<Response> {
    let limits = LoginLimits {
        per_ip: state.config.login_attempts_per_minute_ip,
        per_account: state.config.login_attempts_per_minute_account,
    };
    let anonymous = state.db.anonymous().await?;
    let user_id = match accounts::check_credentials(anonymous, limits, ctx.ip, input).await? {
        SignIn::Accepted(id) => id,
        SignIn::WrongCredentials => {
            tracing::info!("failed login");
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "wrong email or password",
            ));
        }
        SignIn::Disabled => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "account_disabled",
                "this account is disabled; ask the server's administrator",
            ))
        }
    };
    sign_in(&state, &ctx, user_id).await
}

/// Starts a session for `user_id`: the user, with the session cookie set.
async fn sign_in(state: &AppState, ctx: &LoginContext, user_id: uuid::Uuid) -> ApiResult<Response> {
    let secret = credentials::random_secret();
    let mut tx = state.db.as_user(user_id).await?;
    let user = accounts::start_session(
        &mut tx,
        &credentials::token_hash(&secret),
        state.config.session_ttl_seconds,
        ctx.user_agent.as_deref(),
        ctx.ip,
    )
    .await?;
    tx.commit().await?;
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

/// Choose an account's password with a password link an administrator made
/// (`POST /api/v1/admin/accounts/{id}/password-link`, or the account made without a password);
/// signs in (sets the session cookie). The link works once; the account's other sessions end.
#[utoipa::path(post, path = "/api/v1/auth/password-link", tag = "accounts",
    request_body = UsePasswordLinkInput,
    responses(
        (status = 200, description = "Password set and signed in; the `sparky_session` cookie is set", body = User),
        (status = 403, description = "The request came from another site (`Origin`)", body = ErrorBody),
        (status = 404, description = "No live link with that token: used, replaced by a newer one, expired, or the account is disabled", body = ErrorBody),
    ))]
async fn use_password_link(
    State(state): State<AppState>,
    ctx: LoginContext,
    ApiJson(input): ApiJson<UsePasswordLinkInput>,
) -> ApiResult<Response> {
    let user_id = accounts::password_links::use_link(&state.db, input).await?;
    sign_in(&state, &ctx, user_id).await
}

/// Ask for a password link by e-mail, for a forgotten password: when an enabled account has
/// this address, a link to choose a new password (working once, for an hour) is mailed to it.
/// The answer is the same whether or not an account exists. One request a minute per address
/// and `SPARKY_LOGIN_PER_MINUTE_IP` per client address, across instances (429 with
/// `Retry-After`). Needs `SPARKY_SMTP_URL`, `SPARKY_MAIL_FROM` and `SPARKY_PUBLIC_URL` (404
/// `not_configured` without them: the administrator makes links instead).
#[utoipa::path(post, path = "/api/v1/auth/password-link/request", tag = "accounts",
    request_body = RequestPasswordLinkInput,
    responses(
        (status = 202, description = "Accepted: a link is mailed if an enabled account has that address", body = LinkRequested),
        (status = 403, description = "The request came from another site (`Origin`)", body = ErrorBody),
        (status = 422, description = "`email` is not an e-mail address", body = ErrorBody),
        (status = 404, description = "`not_configured`: this server does not send e-mail", body = ErrorBody),
    ))]
async fn request_password_link(
    State(state): State<AppState>,
    ctx: LoginContext,
    ApiJson(input): ApiJson<RequestPasswordLinkInput>,
) -> ApiResult<(StatusCode, ApiJson<LinkRequested>)> {
    crate::pages::request_password_link(
        &state,
        crate::i18n::Messages::default(),
        ctx.ip,
        &input.email,
    )
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        ApiJson(LinkRequested {
            status: "accepted".into(),
        }),
    ))
}

/// The same answer whether or not the address has an account.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct LinkRequested {
    /// Always `accepted`.
    #[schema(example = "accepted")]
    status: String,
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
    responses((status = 204, description = "Signed out")))]
async fn logout(State(state): State<AppState>, Auth { mut tx, via }: Auth) -> ApiResult<Response> {
    if via == AuthVia::Session {
        accounts::end_current_session(&mut tx).await?;
    }
    tx.commit().await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    set_cookie(response.headers_mut(), &state.config, "", 0);
    Ok(response)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    responses((status = 200, description = "You", body = User)))]
async fn me(Auth { mut tx, .. }: Auth) -> ApiResult<ApiJson<User>> {
    let user = accounts::me(&mut tx).await?;
    tx.commit().await?;
    Ok(ApiJson(user))
}

/// Change your name.
#[utoipa::path(put, path = "/api/v1/me", tag = "accounts",
    request_body = UpdateMeInput,
    responses((status = 200, description = "Updated", body = User)))]
async fn update_me(
    Auth { mut tx, .. }: Auth,
    ApiJson(input): ApiJson<UpdateMeInput>,
) -> ApiResult<ApiJson<User>> {
    let user = accounts::update_me(&mut tx, input).await?;
    tx.commit().await?;
    Ok(ApiJson(user))
}

/// Delete your account and all your data, for good (confirm with your password). Export it
/// first (`GET /api/v1/export`) to keep a copy. A read-only API key cannot.
#[utoipa::path(delete, path = "/api/v1/me", tag = "accounts",
    request_body = DeleteAccountInput,
    responses(
        (status = 204, description = "Deleted; the session cookie is cleared"),
        (status = 409, description = "The only administrator, while other accounts exist", body = ErrorBody),
        (status = 422, description = "Wrong password", body = ErrorBody),
        (status = 429, description = "Too many password checks in the last minute", body = ErrorBody),
    ))]
async fn delete_me(
    State(state): State<AppState>,
    Auth { mut tx, .. }: Auth,
    ApiJson(input): ApiJson<DeleteAccountInput>,
) -> ApiResult<Response> {
    crate::auth::count_own_password_check(&state, &mut tx).await?;
    accounts::delete_me(&mut tx, input).await?;
    tx.commit().await?;
    tracing::info!("account deleted by its owner");
    let mut response = StatusCode::NO_CONTENT.into_response();
    set_cookie(response.headers_mut(), &state.config, "", 0);
    Ok(response)
}

/// Change your password; every other session of yours ends.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "accounts",
    request_body = ChangePasswordInput,
    responses(
        (status = 204, description = "Changed"),
        (status = 422, description = "Wrong current password or an unusable new one", body = ErrorBody),
        (status = 429, description = "Too many password checks in the last minute", body = ErrorBody),
    ))]
async fn change_password(
    State(state): State<AppState>,
    Auth { mut tx, .. }: Auth,
    ApiJson(input): ApiJson<ChangePasswordInput>,
) -> ApiResult<StatusCode> {
    crate::auth::count_own_password_check(&state, &mut tx).await?;
    accounts::change_password(&mut tx, input).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
