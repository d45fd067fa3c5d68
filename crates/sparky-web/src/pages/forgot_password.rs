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
use sparky_app::accounts::password_links::{self, RequestedLink};
use sparky_app::accounts::{self};
use sparky_app::AppError;

use super::auth_pages::{messages, PublicForm};
use super::{html, PageError, Shell};
use crate::i18n::Messages;
use crate::AppState;

/// Where the form is.
pub const PAGE_PATH: &str = "/forgot-password";

/// Whether this server can mail password links: an SMTP server and a public address for the
/// link (never the address a request claims in its Host header, which anyone can set).
pub fn mail_ready(state: &AppState) -> bool {
    state.config.mail.is_some() && state.config.public_origin.is_some()
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
    let (Some(mailer), Some(origin)) = (
        state.config.mail.clone(),
        state.config.public_origin.clone(),
    ) else {
        return Err(AppError::NotConfigured(
            "this server does not send e-mail (it needs SPARKY_SMTP_URL, SPARKY_MAIL_FROM and \
             SPARKY_PUBLIC_URL): ask its administrator for a password link",
        ));
    };
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
        let (subject, body) = message(t, &origin, &link);
        let name = link.full_name.clone();
        tokio::spawn(async move {
            match mailer
                .send(&link.email, name.as_deref(), &subject, body)
                .await
            {
                Ok(()) => tracing::info!(server = mailer.server(), "password link mailed"),
                Err(e) => tracing::warn!(
                    server = mailer.server(),
                    "a password link could not be mailed: {e}"
                ),
            }
        });
    }
    Ok(())
}

/// The message that carries `link`: its subject and plain-text body.
fn message(t: Messages, origin: &str, link: &RequestedLink) -> (String, String) {
    let url = password_links::url(origin, &link.secret);
    let until = super::forms::when(&t, link.expires_at, &link.timezone);
    let greeting = match link.full_name.as_deref().filter(|n| !n.trim().is_empty()) {
        Some(name) => t.fill("mail.link_greeting_name", &[("name", name)]),
        None => t.get("mail.link_greeting").to_string(),
    };
    let body = [
        greeting,
        t.fill(
            "mail.link_asked",
            &[("email", link.email.as_str()), ("server", origin)],
        ),
        url,
        t.fill("mail.link_until", &[("when", until.as_str())]),
        t.get("mail.link_not_you").to_string(),
    ]
    .join("\n\n");
    (t.get("mail.link_subject").to_string(), body + "\n")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_carries_the_link_and_says_what_to_do_if_unasked() {
        let link = RequestedLink {
            email: "ann@example.com".into(),
            full_name: Some("Ann".into()),
            secret: "s3cr3t".into(),
            expires_at: chrono::Utc::now(),
            timezone: "Europe/Berlin".into(),
        };
        let (subject, body) = message(Messages::default(), "https://fit.example.com", &link);
        assert_eq!(subject, "Your Sparky password link");
        assert!(body.starts_with("Hello Ann,"), "{body}");
        assert!(body.contains("\n\nhttps://fit.example.com/set-password?token=s3cr3t\n\n"));
        assert!(body.contains("ann@example.com"));
        assert!(body.contains("ignore this message"), "{body}");
        let nameless = RequestedLink {
            full_name: Some(" ".into()),
            ..link
        };
        let (_, body) = message(Messages::default(), "https://fit.example.com", &nameless);
        assert!(body.starts_with("Hello,"), "{body}");
    }
}
