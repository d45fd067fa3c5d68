//! The page a password link opens (`/set-password?token=…`): whose password it sets, and the
//! form that sets it and signs in (see `sparky_app::accounts::password_links`).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sparky_app::accounts::password_links::{self, UsePasswordLinkInput};
use sparky_app::AppError;

use super::auth_pages::{messages, start_session, PublicForm};
use super::{html, PageError, PageQuery, Shell};
use crate::i18n::Messages;
use crate::AppState;

#[derive(Template)]
#[template(path = "pages/set_password.html")]
struct SetPasswordPage {
    shell: Shell,
    token: String,
    /// None: the link is not live (the page says to ask for a new one).
    account: Option<LinkedView>,
    error: Option<String>,
}

struct LinkedView {
    who: String,
    email: String,
    until: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SetPasswordForm {
    token: String,
    password: String,
    /// Sent for password managers (the account's email); not used.
    #[allow(dead_code)]
    email: String,
}

/// The page of a password link, with its account, or 404 saying the link is not live.
async fn set_password_page(
    state: &AppState,
    t: Messages,
    token: &str,
    error: Option<String>,
) -> Response {
    let found = async {
        let mut tx = state.db.anonymous().await?;
        let account = password_links::find(&mut tx, token).await;
        tx.commit().await?;
        account
    }
    .await;
    let (status, account) = match found {
        Ok(a) => {
            let who = match &a.full_name {
                Some(name) if !name.is_empty() => format!("{name} ({})", a.email),
                _ => a.email.clone(),
            };
            let until = super::forms::when(&t, a.expires_at, &a.timezone);
            let status = match error {
                Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
                None => StatusCode::OK,
            };
            let view = LinkedView {
                who,
                email: a.email,
                until,
            };
            (status, Some(view))
        }
        Err(AppError::NotFound(_)) => (StatusCode::NOT_FOUND, None),
        Err(e) => return PageError::App(e).into_response(),
    };
    let page = SetPasswordPage {
        shell: Shell::public(t, t.get("setpw.title")),
        token: token.to_string(),
        account,
        error,
    };
    (status, html(&page)).into_response()
}

/// `/set-password?token=…`: the page a password link opens.
pub async fn set_password_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageQuery(form): PageQuery<SetPasswordForm>,
) -> Response {
    set_password_page(&state, messages(&headers), &form.token, None).await
}

/// Sets the password of a password link's account and signs in on this browser.
pub async fn set_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    PublicForm {
        form,
        ip,
        user_agent,
    }: PublicForm<SetPasswordForm>,
) -> Response {
    let t = messages(&headers);
    let input = UsePasswordLinkInput {
        token: form.token.clone(),
        password: form.password,
    };
    let user_id = match password_links::use_link(&state.db, input).await {
        Ok(id) => id,
        Err(AppError::Invalid(fields)) => {
            // Only the password is checked here.
            let said: Vec<String> = fields
                .0
                .values()
                .map(|problem| format!("{}: {problem}", t.get("field.password")))
                .collect();
            return set_password_page(&state, t, &form.token, Some(said.join("; "))).await;
        }
        Err(AppError::NotFound(_)) => {
            return set_password_page(&state, t, &form.token, None).await;
        }
        Err(e) => return PageError::App(e).into_response(),
    };
    start_session(&state, user_id, user_agent.as_deref(), ip, "/".into()).await
}
