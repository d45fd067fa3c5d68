//! Settings → Security: change the password, see and end sessions, create (shown once), list
//! and revoke API keys.

use crate::pages::confirm::{ask, ConfirmForm, Loss};
use crate::pages::{PagePath, PageQuery};
use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use sparky_app::accounts::{self, sessions, ChangePasswordInput};
use sparky_app::api_keys::{self, CreateKeyInput};
use sparky_app::paging::PageRequest;
use sparky_app::AppError;
use uuid::Uuid;

use super::super::forms::{when, Errors};
use super::super::{html, redirect, Page, PageError, PageForm, Shell};
use super::settings_shell;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/security", get(show))
        .route("/settings/password", post(change_password))
        .route("/settings/sessions/others/end", post(end_others))
        .route("/settings/sessions/{id}/end", post(end_session))
        .route("/settings/keys", post(create_key))
        .route("/settings/keys/{id}/revoke", post(revoke_key))
        .route("/settings/delete-account", post(delete_account))
}

pub struct SessionView {
    pub id: Uuid,
    pub device: String,
    pub ip: String,
    pub last_used: String,
    pub current: bool,
}

pub struct KeyView {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    pub created: String,
    pub last_used: String,
    pub read_only: bool,
    /// "expires 2 Jan 2027" or "expired 1 Dec 2026"; empty when it does not expire.
    pub expiry: String,
    pub expired: bool,
}

#[derive(Template)]
#[template(path = "pages/settings_security.html")]
struct SecurityPage {
    shell: Shell,
    tab: &'static str,
    errors: Errors,
    notice: Option<&'static str>,
    sessions: Vec<SessionView>,
    keys: Vec<KeyView>,
    /// A key just created: shown this once.
    new_key: Option<String>,
    key_name: String,
    /// The new key's "read only" box as it was sent (a refused form shows it again).
    key_read_only: bool,
}

/// A browser's user agent, shortened to what tells devices apart.
fn device(user_agent: Option<&str>, unknown: &str) -> String {
    let Some(ua) = user_agent.filter(|u| !u.is_empty()) else {
        return unknown.to_string();
    };
    let browser = ["Edg", "Firefox", "Chrome", "Safari"]
        .into_iter()
        .find(|b| ua.contains(b))
        .map(|b| if b == "Edg" { "Edge" } else { b });
    let system = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Mac OS", "macOS"),
        ("Windows", "Windows"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(k, _)| ua.contains(k))
    .map(|(_, v)| v);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} · {s}"),
        (Some(x), None) | (None, Some(x)) => x.to_string(),
        (None, None) => ua.chars().take(40).collect(),
    }
}

async fn render(
    mut page: Page,
    errors: Errors,
    notice: Option<&'static str>,
    new_key: Option<String>,
    key_typed: KeyForm,
) -> Result<SecurityPage, PageError> {
    let t = page.t;
    let shell = settings_shell(&mut page, t.get("settings.security")).await?;
    let tz = shell.units.timezone.clone();
    let never = t.get("settings.never");
    let sessions = sessions::list(&mut page.tx)
        .await?
        .into_iter()
        .map(|s| SessionView {
            id: s.id,
            device: device(s.user_agent.as_deref(), t.get("settings.unknown_device")),
            ip: s.ip.unwrap_or_default(),
            last_used: when(&t, s.last_seen_at, &tz),
            current: s.current,
        })
        .collect();
    let request = PageRequest::parse(None, None, api_keys::LIST_LIMIT)?;
    let keys = api_keys::list(&mut page.tx, &request, 0)
        .await?
        .items
        .into_iter()
        .map(|k| KeyView {
            id: k.id,
            name: k.name,
            prefix: k.key_prefix,
            created: k.created_at.map(|c| when(&t, c, &tz)).unwrap_or_default(),
            last_used: k
                .last_used_at
                .map(|c| when(&t, c, &tz))
                .unwrap_or_else(|| never.to_string()),
            read_only: k.read_only,
            expired: k.expires_at.is_some_and(|at| at <= chrono::Utc::now()),
            expiry: match k.expires_at {
                Some(at) if at <= chrono::Utc::now() => {
                    t.fill("settings.key_expired", &[("when", &when(&t, at, &tz))])
                }
                Some(at) => t.fill("settings.key_expires", &[("when", &when(&t, at, &tz))]),
                None => String::new(),
            },
        })
        .collect();
    page.tx.commit().await?;
    Ok(SecurityPage {
        shell,
        tab: "security",
        errors,
        notice,
        sessions,
        keys,
        new_key,
        key_name: key_typed.name,
        key_read_only: key_typed.read_only.is_some(),
    })
}

#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

async fn show(page: Page, PageQuery(q): PageQuery<Done>) -> Result<Response, PageError> {
    let notice = match q.done.as_deref() {
        Some("password") => Some("settings.password_changed"),
        Some("sessions") => Some("settings.sessions_ended"),
        Some("revoked") => Some("settings.key_revoked"),
        _ => None,
    };
    Ok(html(
        &render(page, Errors::default(), notice, None, KeyForm::default()).await?,
    ))
}

async fn invalid(page: Page, errors: Errors, typed: KeyForm) -> Result<Response, PageError> {
    let body = html(&render(page, errors, None, None, typed).await?);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

async fn change_password(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut page: Page,
    PageForm(form): PageForm<PasswordForm>,
) -> Result<Response, PageError> {
    let t = page.t;
    let input = ChangePasswordInput {
        current_password: form.current_password,
        new_password: form.new_password,
    };
    let checked = match crate::auth::count_own_password_check(&state, &mut page.tx).await {
        Ok(()) => accounts::change_password(&mut page.tx, input).await,
        Err(e) => Err(e),
    };
    match checked {
        Ok(()) => {
            page.tx.commit().await?;
            Ok(redirect("/settings/security?done=password"))
        }
        Err(e @ AppError::Invalid(_)) => {
            let errors = Errors::from_app(&t, "settings.err", &e).unwrap_or_default();
            invalid(page, errors, KeyForm::default()).await
        }
        Err(AppError::RateLimited { retry_after }) => {
            let text = t.fill("signin.limited", &[("seconds", &retry_after.to_string())]);
            invalid(
                page,
                Errors::one("current_password", text),
                KeyForm::default(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct DeleteAccountForm {
    #[serde(default)]
    password: String,
}

/// Deletes the account and all its data (with the password), signs this browser out and
/// says so on the sign-in page.
async fn delete_account(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut page: Page,
    PageForm(form): PageForm<DeleteAccountForm>,
) -> Result<Response, PageError> {
    let t = page.t;
    let input = accounts::DeleteAccountInput {
        password: form.password,
    };
    let checked = match crate::auth::count_own_password_check(&state, &mut page.tx).await {
        Ok(()) => accounts::delete_me(&mut page.tx, input).await,
        Err(e) => Err(e),
    };
    match checked {
        Ok(()) => {
            page.tx.commit().await?;
            tracing::info!("account deleted by its owner");
            let mut response = redirect("/signin");
            let headers = response.headers_mut();
            headers.append(
                axum::http::header::SET_COOKIE,
                super::super::auth_pages::deleted_notice_cookie(true),
            );
            headers.append(
                axum::http::header::SET_COOKIE,
                super::super::auth_pages::session_cookie(&state, "", 0),
            );
            headers.append(
                axum::http::header::SET_COOKIE,
                super::super::forget_viewing_cookie(),
            );
            Ok(response)
        }
        Err(e @ AppError::Invalid(_)) => {
            let errors = Errors::from_app(&t, "settings.err.delete", &e).unwrap_or_default();
            invalid(page, errors, KeyForm::default()).await
        }
        Err(AppError::RateLimited { retry_after }) => {
            let text = t.fill("signin.limited", &[("seconds", &retry_after.to_string())]);
            invalid(page, Errors::one("password", text), KeyForm::default()).await
        }
        // The only administrator, with other accounts on the instance.
        Err(AppError::Conflict(message)) => {
            invalid(page, Errors::one("password", message), KeyForm::default()).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct Empty {}

async fn end_session(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(_): PageForm<Empty>,
) -> Result<Response, PageError> {
    sessions::end(&mut page.tx, id).await?;
    page.tx.commit().await?;
    Ok(redirect("/settings/security?done=sessions"))
}

async fn end_others(mut page: Page, PageForm(_): PageForm<Empty>) -> Result<Response, PageError> {
    sessions::end_others(&mut page.tx).await?;
    page.tx.commit().await?;
    Ok(redirect("/settings/security?done=sessions"))
}

#[derive(Deserialize, Default)]
pub struct KeyForm {
    #[serde(default)]
    name: String,
    /// The "read only" box: sent (any value) when ticked.
    read_only: Option<String>,
    /// The form's once-token ([`crate::pages::Shell::once`]).
    #[serde(default, rename = "_once")]
    once: Option<String>,
}

/// Creates a key and shows it in the answer itself (never in a URL): it is not shown again.
async fn create_key(
    mut page: Page,
    PageForm(form): PageForm<KeyForm>,
) -> Result<Response, PageError> {
    let t = page.t;
    let input = CreateKeyInput {
        name: form.name.clone(),
        expires_at: None,
        read_only: form.read_only.is_some(),
    };
    // Sent again (a double tap, a resubmitted page): the key exists and its secret went out
    // with the first answer only, so the page says so instead of making a second key.
    let once = form.once.as_deref();
    if !super::super::once::first_send(&mut page.tx, "api-key", once).await? {
        let page = render(
            page,
            Errors::default(),
            Some("settings.key_sent_twice"),
            None,
            KeyForm::default(),
        )
        .await?;
        return Ok(html(&page));
    }
    match api_keys::create(&mut page.tx, input).await {
        Ok(created) => {
            let mut r = html(
                &render(
                    page,
                    Errors::default(),
                    Some("settings.key_created"),
                    Some(created.key),
                    KeyForm::default(),
                )
                .await?,
            );
            r.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            Ok(r)
        }
        Err(e @ AppError::Invalid(_)) => {
            let errors = Errors::from_app(&t, "settings.err.key", &e).unwrap_or_default();
            invalid(page, errors, form).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn revoke_key(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<ConfirmForm>,
) -> Result<Response, PageError> {
    if !form.confirmed() {
        let request = PageRequest::parse(None, None, api_keys::LIST_LIMIT)?;
        let name = api_keys::list(&mut page.tx, &request, 0)
            .await?
            .items
            .into_iter()
            .find(|k| k.id == id)
            .ok_or(PageError::NotFound)?
            .name;
        let action = format!("/settings/keys/{id}/revoke");
        return ask(
            page,
            Loss::ApiKey,
            &name,
            action,
            "/settings/security".into(),
        )
        .await;
    }
    api_keys::revoke(&mut page.tx, id).await?;
    page.tx.commit().await?;
    Ok(redirect("/settings/security?done=revoked"))
}

#[cfg(test)]
mod tests {
    use super::device;

    #[test]
    fn devices_are_named_by_browser_and_system() {
        let chrome_android = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36";
        assert_eq!(device(Some(chrome_android), "?"), "Chrome · Android");
        assert_eq!(device(None, "Unknown"), "Unknown");
        assert_eq!(device(Some("curl/8.0"), "?"), "curl/8.0");
    }
}
