//! "Forgot your password?": someone gives their account's e-mail address and the server mails
//! a password link to it (only when `SPARKY_SMTP_URL`, `SPARKY_MAIL_FROM` and
//! `SPARKY_PUBLIC_URL` are set). The answer is the same whether or not the address has an
//! account, and the mail goes out after the answer, so neither the page nor its timing tells
//! who has an account here. The page form and `POST /api/v1/auth/password-link/request` both
//! call [`request_link`].

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sparky_app::accounts::password_links;
use sparky_app::accounts::{self};
use sparky_app::AppError;

use super::auth_pages::{messages, PublicForm};
use super::link_mail::{self, LinkMail, Maker};
use super::{html, PageError, Shell};
use crate::i18n::Messages;
use crate::AppState;

/// Where the form is.
pub const PAGE_PATH: &str = "/forgot-password";

/// Whether this server can mail password links.
pub fn mail_ready(state: &AppState) -> bool {
    link_mail::ready(state).is_some()
}

/// Counts the request (per client address and per e-mail address, across instances), makes
/// the link of the enabled account with `email` if there is one, and mails it in the
/// background. Ok whether or not an account exists; 422 for what is not an e-mail address,
/// 429 over the limits, 404 `not_configured` when the server cannot mail.
pub async fn request_link(
    state: &AppState,
    t: Messages,
    ip: Option<std::net::IpAddr>,
    email: &str,
) -> Result<(), AppError> {
    let (mailer, origin) = link_mail::ready(state).ok_or_else(link_mail::not_configured)?;
    let mut tx = state.db.anonymous().await?;
    accounts::note_password_link_request(
        &mut tx,
        state.config.login_attempts_per_minute_ip,
        ip,
        email,
    )
    .await?;
    let link = password_links::request_by_email(&mut tx, email).await?;
    tx.commit().await?;
    if let Some(link) = link {
        let mail = LinkMail {
            url: password_links::url(&origin, &link.secret),
            email: link.email,
            full_name: link.full_name,
            expires_at: link.expires_at,
            timezone: link.timezone,
        };
        link_mail::send_later(mailer, t, &origin, mail, Maker::Asked);
    }
    Ok(())
}

#[derive(Template)]
#[template(path = "pages/forgot_password.html")]
struct ForgotPasswordPage {
    shell: Shell,
    /// The server can mail links; otherwise the page says to ask the administrator.
    ready: bool,
    email: String,
    error: Option<String>,
    /// After sending: the same words whether or not the address has an account.
    sent: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ForgotPasswordForm {
    email: String,
}

pub async fn form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let t = messages(&headers);
    html(&ForgotPasswordPage {
        shell: Shell::public(t, t.get("forgot.title")),
        ready: mail_ready(&state),
        email: String::new(),
        error: None,
        sent: false,
    })
}

pub async fn send(
    State(state): State<AppState>,
    headers: HeaderMap,
    PublicForm { form, ip, .. }: PublicForm<ForgotPasswordForm>,
) -> Response {
    let t = messages(&headers);
    let page = |status: StatusCode, error: Option<String>, sent: bool| {
        (
            status,
            html(&ForgotPasswordPage {
                shell: Shell::public(t, t.get("forgot.title")),
                ready: mail_ready(&state),
                email: if sent {
                    String::new()
                } else {
                    form.email.clone()
                },
                error,
                sent,
            }),
        )
            .into_response()
    };
    match request_link(&state, t, ip, &form.email).await {
        Ok(()) => page(StatusCode::OK, None, true),
        Err(AppError::Invalid(_)) => page(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(t.get("forgot.not_an_email").to_string()),
            false,
        ),
        Err(AppError::RateLimited { retry_after }) => page(
            StatusCode::TOO_MANY_REQUESTS,
            Some(t.fill("signin.limited", &[("seconds", &retry_after.to_string())])),
            false,
        ),
        Err(AppError::NotConfigured(_)) => page(StatusCode::NOT_FOUND, None, false),
        Err(e) => PageError::App(e).into_response(),
    }
}
