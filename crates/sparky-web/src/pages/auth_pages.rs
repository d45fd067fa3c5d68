//! Sign in, register, sign out, and choosing whose data the pages show (a password link's page
//! is in `set_password`).

use crate::pages::PageQuery;
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sparky_app::accounts::{self, credentials, LoginInput, LoginLimits, RegisterInput, SignIn};
use sparky_app::AppError;

use super::{
    forget_viewing_cookie, html, redirect, Page, PageError, PageForm, Shell, VIEWING_COOKIE,
};
use crate::auth::{client_ip, SESSION_COOKIE};
use crate::i18n::Messages;
use crate::AppState;

#[derive(Template)]
#[template(path = "pages/signin.html")]
struct SignInPage {
    shell: Shell,
    next: String,
    email: String,
    error: Option<String>,
    /// Offer "Create an account" (not when the server takes no new accounts).
    signup_open: bool,
    /// Said once, after an account was deleted.
    notice: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "pages/register.html")]
struct RegisterPage {
    shell: Shell,
    first: bool,
    /// New accounts are refused (SPARKY_ALLOW_SIGNUP=false and accounts exist): the page says
    /// so instead of taking a form it will refuse.
    closed: bool,
    full_name: String,
    email: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct NextParam {
    next: Option<String>,
}

/// Set by deleting an account, read once by the sign-in page: the notice that the account and
/// its data were deleted is said only to the browser that deleted it (a link with
/// `?deleted=1` said it to anyone).
pub const DELETED_NOTICE_COOKIE: &str = "sparky_deleted";

/// The `Set-Cookie` value of [`DELETED_NOTICE_COOKIE`]: set for a minute, or cleared.
pub fn deleted_notice_cookie(set: bool) -> HeaderValue {
    let (value, age) = if set { ("1", 60) } else { ("", 0) };
    HeaderValue::from_str(&format!(
        "{DELETED_NOTICE_COOKIE}={value}; Path=/signin; HttpOnly; SameSite=Lax; Max-Age={age}"
    ))
    .expect("a cookie name and attributes are header text")
}

/// Where to go after signing in: a path on this server only. Browsers drop tabs and line
/// breaks from a URL and read a backslash as `/`, so `/<tab>/evil.example` would be `//evil.example`,
/// another site: only visible ASCII is taken.
fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
    })
    .unwrap_or("/")
    .to_string()
}

pub(super) fn messages(headers: &HeaderMap) -> Messages {
    Messages::for_accept_language(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

pub async fn signin_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageQuery(p): PageQuery<NextParam>,
) -> Response {
    let t = messages(&headers);
    let deleted = axum_extra::extract::CookieJar::from_headers(&headers)
        .get(DELETED_NOTICE_COOKIE)
        .is_some_and(|c| c.value() == "1");
    let mut response = html(&SignInPage {
        shell: Shell::public(t, t.get("signin.title")),
        next: safe_next(p.next.as_deref()),
        email: String::new(),
        error: None,
        signup_open: signup_open(&state).await,
        notice: deleted.then_some("signin.account_deleted"),
    });
    if deleted {
        response
            .headers_mut()
            .append(header::SET_COOKIE, deleted_notice_cookie(false));
    }
    response
}

/// Whether someone may create an account here now.
async fn signup_open(state: &AppState) -> bool {
    signup_state(state).await.open
}

/// Fields left out of the form read as empty: the page then says what is missing.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SignInForm {
    email: String,
    password: String,
    next: Option<String>,
}

/// A sign-in or register form's body (at most 64 KiB), read like every other form: a field of
/// the wrong shape is the 422 page naming it.
async fn read_form<T: serde::de::DeserializeOwned>(body: axum::body::Body) -> Result<T, PageError> {
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map_err(|_| PageError::TooLarge)?;
    crate::extract::parse_urlencoded(&String::from_utf8_lossy(&bytes))
        .map_err(PageError::unreadable)
}

/// A form posted without a session (sign-in, a password link): from this server's origin when
/// the browser says one, with the client's address and user agent.
pub struct PublicForm<T> {
    pub(super) form: T,
    pub(super) ip: Option<std::net::IpAddr>,
    pub(super) user_agent: Option<String>,
}

impl<T: serde::de::DeserializeOwned + Send> axum::extract::FromRequest<AppState> for PublicForm<T> {
    type Rejection = Response;

    async fn from_request(
        request: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, Response> {
        let (parts, body) = request.into_parts();
        if parts.headers.contains_key(header::ORIGIN)
            && crate::auth::check_origin(&parts, state).is_err()
        {
            return Err(PageError::Forbidden.into_response());
        }
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok(PublicForm {
            form: read_form::<T>(body)
                .await
                .map_err(IntoResponse::into_response)?,
            ip: client_ip(&parts, state.config.trust_proxy),
            user_agent,
        })
    }
}

pub(crate) fn session_cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    let cookie = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        if state.config.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    );
    HeaderValue::from_str(&cookie).unwrap_or(HeaderValue::from_static(""))
}

pub async fn signin(
    State(state): State<AppState>,
    headers: HeaderMap,
    PublicForm {
        form,
        ip,
        user_agent,
    }: PublicForm<SignInForm>,
) -> Response {
    let t = messages(&headers);
    let next = safe_next(form.next.as_deref());
    let signup_open = signup_open(&state).await;
    let again = |error: String| {
        html(&SignInPage {
            shell: Shell::public(t, t.get("signin.title")),
            next: next.clone(),
            email: form.email.clone(),
            error: Some(error),
            signup_open,
            notice: None,
        })
    };
    if form.email.trim().is_empty() || form.password.is_empty() {
        return again(t.get("signin.missing").into());
    }
    if form.email.contains('\0') || form.password.contains('\0') {
        return again(t.get("signin.wrong").into());
    }
    let limits = LoginLimits {
        per_ip: state.config.login_attempts_per_minute_ip,
        per_account: state.config.login_attempts_per_minute_account,
    };
    let result = async {
        let anonymous = state.db.anonymous().await?;
        accounts::check_credentials(
            anonymous,
            limits,
            ip,
            LoginInput {
                email: form.email.clone(),
                password: form.password.clone(),
            },
        )
        .await
    }
    .await;
    let user_id = match result {
        Ok(SignIn::Accepted(id)) => id,
        Ok(SignIn::WrongCredentials) => return again(t.get("signin.wrong").into()),
        Ok(SignIn::Disabled) => return again(t.get("signin.disabled").into()),
        Err(AppError::RateLimited { retry_after }) => {
            return again(t.fill("signin.limited", &[("seconds", &retry_after.to_string())]))
        }
        Err(e) => return PageError::App(e).into_response(),
    };
    start_session(&state, user_id, user_agent.as_deref(), ip, next).await
}

/// Signs `user_id` in on this browser and goes to `next`, or to onboarding when the account
/// has not finished or skipped it and `next` is the start page.
pub(super) async fn start_session(
    state: &AppState,
    user_id: uuid::Uuid,
    user_agent: Option<&str>,
    ip: Option<std::net::IpAddr>,
    next: String,
) -> Response {
    let secret = credentials::random_secret();
    let started = async {
        let mut tx = state.db.as_user(user_id).await?;
        accounts::start_session(
            &mut tx,
            &credentials::token_hash(&secret),
            state.config.session_ttl_seconds,
            user_agent,
            ip,
        )
        .await?;
        let onboarded = sparky_app::onboarding::is_done(&mut tx).await?;
        tx.commit().await?;
        Ok::<_, AppError>(onboarded)
    }
    .await;
    let onboarded = match started {
        Ok(done) => done,
        Err(e) => return PageError::App(e).into_response(),
    };
    let next = if !onboarded && next == "/" {
        "/onboarding".to_string()
    } else {
        next
    };
    let mut response = redirect(&next);
    response.headers_mut().append(
        header::SET_COOKIE,
        session_cookie(state, &secret, 400 * 24 * 3600),
    );
    // Someone else's "viewing as" choice on this browser is not carried into this session.
    response
        .headers_mut()
        .append(header::SET_COOKIE, forget_viewing_cookie());
    response
}

pub async fn register_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let t = messages(&headers);
    let signups = signup_state(&state).await;
    html(&RegisterPage {
        shell: Shell::public(t, t.get("register.title")),
        first: signups.first,
        closed: !signups.open,
        full_name: String::new(),
        email: String::new(),
        error: None,
    })
}

/// Whether an account can be made now; while the database cannot say, as the server's
/// setting has it (sending the form then says what is wrong).
async fn signup_state(state: &AppState) -> accounts::SignupState {
    accounts::signup_state(&state.db, state.config.allow_signup)
        .await
        .unwrap_or(accounts::SignupState {
            first: false,
            open: state.config.allow_signup,
        })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RegisterForm {
    full_name: String,
    email: String,
    password: String,
}

pub async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    PublicForm {
        form,
        ip,
        user_agent,
    }: PublicForm<RegisterForm>,
) -> Response {
    let t = messages(&headers);
    let signups = signup_state(&state).await;
    let (first, closed) = (signups.first, !signups.open);
    // The form again with what was wrong, under the status that says it (not a 200).
    let again = |status: StatusCode, error: String| {
        let page = html(&RegisterPage {
            shell: Shell::public(t, t.get("register.title")),
            first,
            closed,
            full_name: form.full_name.clone(),
            email: form.email.clone(),
            // Closed sign-ups are said once, by the page's own notice.
            error: (!closed).then_some(error),
        });
        (status, page).into_response()
    };
    let input = RegisterInput {
        email: form.email.clone(),
        full_name: form.full_name.clone(),
        password: form.password.clone(),
    };
    let created = async {
        accounts::admit_signup(
            &state.db,
            state.config.allow_signup,
            state.config.signups_per_minute_ip,
            ip,
        )
        .await?;
        let account = input.parse().await?;
        let mut tx = state.db.anonymous().await?;
        let id = accounts::register(&mut tx, &account, state.config.allow_signup).await?;
        tx.commit().await?;
        Ok::<_, AppError>(id)
    }
    .await;
    let user_id = match created {
        Ok(id) => id,
        // Named as the form labels them ("Name: is required"), not by their keys.
        Err(AppError::Invalid(fields)) => {
            let said: Vec<String> = fields
                .0
                .iter()
                .map(|(k, v)| {
                    let label = match k.as_str() {
                        "full_name" => t.get("field.name"),
                        "email" => t.get("field.email"),
                        "password" => t.get("field.password"),
                        other => other,
                    };
                    format!("{label}: {v}")
                })
                .collect();
            return again(StatusCode::UNPROCESSABLE_ENTITY, said.join("; "));
        }
        Err(e @ AppError::Conflict(_)) => return again(StatusCode::CONFLICT, e.to_string()),
        Err(e @ AppError::Forbidden(_)) => return again(StatusCode::FORBIDDEN, e.to_string()),
        Err(AppError::RateLimited { retry_after }) => {
            return again(
                StatusCode::TOO_MANY_REQUESTS,
                t.fill("register.limited", &[("seconds", &retry_after.to_string())]),
            )
        }
        Err(e) => return PageError::App(e).into_response(),
    };
    // Signed in at once, then onboarding.
    let secret = credentials::random_secret();
    let started = async {
        let mut tx = state.db.as_user(user_id).await?;
        accounts::start_session(
            &mut tx,
            &credentials::token_hash(&secret),
            state.config.session_ttl_seconds,
            user_agent.as_deref(),
            ip,
        )
        .await?;
        tx.commit().await?;
        Ok::<_, AppError>(())
    }
    .await;
    if let Err(e) = started {
        return PageError::App(e).into_response();
    }
    let mut response = redirect("/onboarding");
    response.headers_mut().append(
        header::SET_COOKIE,
        session_cookie(&state, &secret, 400 * 24 * 3600),
    );
    // Someone else's "viewing as" choice on this browser is not carried into this session.
    response
        .headers_mut()
        .append(header::SET_COOKIE, forget_viewing_cookie());
    response
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn signout(
    State(state): State<AppState>,
    mut page: Page,
    PageForm(_): PageForm<Empty>,
) -> Result<Response, PageError> {
    accounts::end_current_session(&mut page.tx).await?;
    page.tx.commit().await?;
    let mut response = redirect("/signin");
    response
        .headers_mut()
        .append(header::SET_COOKIE, session_cookie(&state, "", 0));
    // The next person on this browser starts with their own data.
    response
        .headers_mut()
        .append(header::SET_COOKIE, forget_viewing_cookie());
    Ok(response)
}

#[derive(Deserialize)]
pub struct ViewingForm {
    user_id: Option<String>,
    /// The page to show afterwards (the one the switch was made on; see `Shell::back`).
    back: Option<String>,
}

/// Chooses whose data the pages show (an empty value: the user's own).
/// Only someone who shares with the user is remembered; anything else shows their own data.
pub async fn set_viewing(
    mut page: Page,
    PageForm(form): PageForm<ViewingForm>,
) -> Result<Response, PageError> {
    let value = form
        .user_id
        .filter(|v| !v.is_empty())
        .and_then(|v| v.parse::<uuid::Uuid>().ok());
    let shared = match value {
        Some(id) => {
            let frame = sparky_app::frame::read(&mut page.tx).await?;
            frame.others.iter().any(|o| o.user_id == id).then_some(id)
        }
        None => None,
    };
    let mut response = redirect(&safe_next(form.back.as_deref()));
    let cookie = match shared {
        Some(id) => HeaderValue::from_str(&format!(
            "{VIEWING_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax"
        ))
        .unwrap_or_else(|_| forget_viewing_cookie()),
        None => forget_viewing_cookie(),
    };
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_paths_on_this_site_are_followed_after_sign_in() {
        assert_eq!(
            safe_next(Some("/day/2026-12-05?x=1")),
            "/day/2026-12-05?x=1"
        );
        for other_site in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "https://evil.example",
            "evil.example",
        ] {
            assert_eq!(safe_next(Some(other_site)), "/", "{other_site:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
