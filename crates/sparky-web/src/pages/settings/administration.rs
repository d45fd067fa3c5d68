//! Settings → Accounts, for administrators: the server's accounts, a form to create one
//! (whether or not sign-ups are open; without a password it gets a password link), and per
//! account disable/enable, the administrator role, a new password or a password link, and
//! delete; and whether sign-ups are open. The database decides who may
//! (`sparky_app::accounts::administer`); anyone else gets the 403 page.

use crate::pages::confirm::{ask, ConfirmForm, Loss};
use crate::pages::{PagePath, PageQuery};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use sparky_app::accounts::administer::{
    self, CreateAccountInput, PasswordLink, Signups, SignupsInput, UpdateAccountInput,
};
use sparky_app::AppError;
use uuid::Uuid;

use super::super::forms::{when, Errors};
use super::super::{html, redirect, Page, PageError, PageForm, Shell};
use super::settings_shell;
use crate::pages::link_mail::{self, LinkMail, Maker};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/accounts", get(show).post(create))
        .route("/settings/accounts/signups", post(set_signups))
        .route("/settings/accounts/{id}/password", post(set_password))
        .route("/settings/accounts/{id}/link", post(make_link))
        .route("/settings/accounts/{id}/email-link", post(email_link))
        .route("/settings/accounts/{id}/cancel-link", post(cancel_link))
        .route("/settings/accounts/{id}/delete", post(delete))
        .route("/settings/accounts/{id}/{switch}", post(switch))
}

pub struct AccountView {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub admin: bool,
    pub disabled: bool,
    pub you: bool,
    pub since: String,
    /// When it last signed in; None: never (since this was recorded).
    pub last_sign_in: Option<String>,
    /// Why this account's change was refused, shown on its row (its password form opened).
    pub error: Option<String>,
    /// A password link just made for it, shown this once on its row.
    pub link: Option<LinkView>,
    /// Until when a password link made earlier waits to be used.
    pub link_waiting: Option<String>,
}

pub struct LinkView {
    pub url: String,
    pub until: String,
    /// The link as a QR code (inline SVG), for the phone next to the screen.
    pub qr_svg: Option<String>,
}

/// What one account's row says after a change: why it was refused, or the link just made.
pub enum RowNote {
    Refused(String),
    Link(PasswordLink),
}

/// What the server's settings allow here.
#[derive(Clone, Copy)]
struct ServerSide {
    /// `SPARKY_ALLOW_SIGNUP`.
    allow_signup: bool,
    /// Password links can be mailed (`SPARKY_SMTP_URL` and the rest).
    mail_ready: bool,
}

impl ServerSide {
    fn of(state: &AppState) -> ServerSide {
        ServerSide {
            allow_signup: state.config.allow_signup,
            mail_ready: link_mail::ready(state).is_some(),
        }
    }
}

#[derive(Template)]
#[template(path = "pages/settings_accounts.html")]
struct AccountsPage {
    /// Offer to e-mail password links.
    mail_ready: bool,
    shell: Shell,
    tab: &'static str,
    errors: Errors,
    notice: Option<&'static str>,
    typed: NewAccountForm,
    accounts: Vec<AccountView>,
    signups: Signups,
}

/// The new-account form as typed (the password is never sent back).
#[derive(Deserialize, Default)]
pub struct NewAccountForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    password: String,
    /// The "administrator" box: sent (any value) when ticked.
    is_admin: Option<String>,
    /// "Email them the link" (any value) when ticked; only offered when mail is set up.
    email_link: Option<String>,
    #[serde(default, rename = "_once")]
    once: Option<String>,
}

async fn render(
    server: ServerSide,
    mut page: Page,
    errors: Errors,
    notice: Option<&'static str>,
    typed: NewAccountForm,
    row_note: Option<(Uuid, RowNote)>,
) -> Result<AccountsPage, PageError> {
    let t = page.t;
    let shell = settings_shell(&mut page, t.get("settings.accounts")).await?;
    let tz = shell.units.timezone.clone();
    let accounts = administer::list(&mut page.tx).await?;
    let signups = administer::signups(&mut page.tx, server.allow_signup).await?;
    page.tx.commit().await?;
    Ok(AccountsPage {
        mail_ready: server.mail_ready,
        signups,
        accounts: accounts
            .into_iter()
            .map(|a| {
                let note = row_note
                    .as_ref()
                    .filter(|(id, _)| *id == a.id)
                    .map(|n| &n.1);
                AccountView {
                    error: match note {
                        Some(RowNote::Refused(e)) => Some(e.clone()),
                        _ => None,
                    },
                    link: match note {
                        Some(RowNote::Link(l)) => Some(LinkView {
                            url: l.url.clone(),
                            until: when(&t, l.expires_at, &tz),
                            qr_svg: crate::pages::qr::svg(&l.url, t.get("accounts.link_qr")),
                        }),
                        _ => None,
                    },
                    id: a.id,
                    name: a.full_name.unwrap_or_default(),
                    email: a.email,
                    admin: a.is_admin,
                    disabled: a.disabled,
                    you: a.is_you,
                    since: a.created_at.map(|c| when(&t, c, &tz)).unwrap_or_default(),
                    last_sign_in: a.last_sign_in_at.map(|at| when(&t, at, &tz)),
                    link_waiting: a.password_link_expires_at.map(|at| when(&t, at, &tz)),
                }
            })
            .collect(),
        shell,
        tab: "accounts",
        errors,
        notice,
        typed: NewAccountForm {
            password: String::new(),
            ..typed
        },
    })
}

#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    page: Page,
    PageQuery(q): PageQuery<Done>,
) -> Result<Response, PageError> {
    let notice = match q.done.as_deref() {
        Some("created") => Some("accounts.created"),
        Some("disabled") => Some("accounts.disabled_done"),
        Some("enabled") => Some("accounts.enabled_done"),
        Some("promoted") => Some("accounts.promoted"),
        Some("demoted") => Some("accounts.demoted"),
        Some("password") => Some("accounts.password_done"),
        Some("deleted") => Some("accounts.deleted"),
        Some("signups") => Some("accounts.signups_saved"),
        Some("link-cancelled") => Some("accounts.link_cancelled"),
        Some("link-emailed") => Some("accounts.link_emailed"),
        _ => None,
    };
    let page = render(
        ServerSide::of(&state),
        page,
        Errors::default(),
        notice,
        NewAccountForm::default(),
        None,
    )
    .await?;
    Ok(html(&page))
}

async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    mut page: Page,
    PageForm(form): PageForm<NewAccountForm>,
) -> Result<Response, PageError> {
    let t = page.t;
    // Sent twice (a double tap): the account exists once.
    if !super::super::once::first_send(&mut page.tx, "account", form.once.as_deref()).await? {
        return Ok(redirect("/settings/accounts?done=created"));
    }
    let input = CreateAccountInput {
        email: form.email.clone(),
        // Left empty: they choose their own with a password link.
        password: Some(form.password.clone()).filter(|p| !p.is_empty()),
        full_name: form.full_name.clone(),
        is_admin: form.is_admin.is_some(),
    };
    let origin = crate::auth::link_origin(&headers, &state.config);
    let errors = match administer::create(&mut page.tx, input, &origin).await {
        Ok(created) => {
            let Some(link) = created.password_link else {
                page.tx.commit().await?;
                return Ok(redirect("/settings/accounts?done=created"));
            };
            let mut notice = Some("accounts.created_link");
            let mut mail = None;
            if let (Some((mailer, origin)), Some(_)) = (link_mail::ready(&state), &form.email_link)
            {
                let link = LinkMail::of_token(&mut page.tx, &link.url).await?;
                mail = Some((mailer, origin, link));
                notice = Some("accounts.created_link_emailed");
            }
            // The link is shown this once, so this answer is the page itself.
            let note = Some((created.account.id, RowNote::Link(link)));
            let (errors, typed) = (Errors::default(), NewAccountForm::default());
            let server = ServerSide::of(&state);
            let page = render(server, page, errors, notice, typed, note).await?;
            // Committed by now: the link in the message works.
            if let Some((mailer, origin, link)) = mail {
                link_mail::send_later(mailer, t, &origin, link, Maker::Administrator);
            }
            return Ok(html(&page));
        }
        Err(e @ AppError::Invalid(_)) => {
            Errors::from_app(&t, "accounts.err", &e).unwrap_or_default()
        }
        Err(AppError::Conflict(_)) => Errors::one("email", t.get("accounts.err.taken")),
        Err(e) => return Err(e.into()),
    };
    let body = html(&render(ServerSide::of(&state), page, errors, None, form, None).await?);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
}

/// Applies `change` to account `id`; a refusal (the last administrator, one's own account, a
/// weak password) is shown on the account's row.
async fn change(
    server: ServerSide,
    mut page: Page,
    id: Uuid,
    change: UpdateAccountInput,
    done: &str,
) -> Result<Response, PageError> {
    match administer::update(&mut page.tx, id, change).await {
        // Handing over the role: this page is no longer theirs to see.
        Ok(updated) if updated.account.is_you && !updated.account.is_admin => {
            page.tx.commit().await?;
            Ok(redirect("/settings"))
        }
        Ok(_) => {
            page.tx.commit().await?;
            Ok(redirect(&format!("/settings/accounts?done={done}")))
        }
        Err(AppError::Conflict(message)) => {
            refused(server, page, id, message, StatusCode::CONFLICT).await
        }
        Err(AppError::Invalid(fields)) => {
            let message = fields
                .0
                .into_iter()
                .map(|(field, problem)| match field.as_str() {
                    "password" => format!("{}: {problem}", page.t.get("accounts.password")),
                    _ => problem,
                })
                .collect::<Vec<_>>()
                .join("; ");
            refused(server, page, id, message, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn refused(
    server: ServerSide,
    page: Page,
    id: Uuid,
    message: String,
    status: StatusCode,
) -> Result<Response, PageError> {
    let body = html(
        &render(
            server,
            page,
            Errors::default(),
            None,
            NewAccountForm::default(),
            Some((id, RowNote::Refused(message))),
        )
        .await?,
    );
    Ok((status, body).into_response())
}

/// Makes a password link for account `id` and shows it on its row (this once).
async fn make_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(_): PageForm<Empty>,
) -> Result<Response, PageError> {
    let server = ServerSide::of(&state);
    let origin = crate::auth::link_origin(&headers, &state.config);
    match administer::make_password_link(&mut page.tx, id, &origin).await {
        Ok(link) => {
            let note = Some((id, RowNote::Link(link)));
            let (errors, typed) = (Errors::default(), NewAccountForm::default());
            let notice = Some("accounts.link_made");
            Ok(html(
                &render(server, page, errors, notice, typed, note).await?,
            ))
        }
        Err(AppError::Conflict(message)) => {
            refused(server, page, id, message, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Makes a password link for account `id` and e-mails it to the account's address (the
/// administrator does not see it); 404 when this server does not send e-mail.
async fn email_link(
    State(state): State<AppState>,
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(_): PageForm<Empty>,
) -> Result<Response, PageError> {
    let server = ServerSide::of(&state);
    let (mailer, origin) = link_mail::ready(&state).ok_or(PageError::NotFound)?;
    match administer::make_password_link(&mut page.tx, id, &origin).await {
        Ok(link) => {
            let mail = LinkMail::of_token(&mut page.tx, &link.url).await?;
            page.tx.commit().await?;
            link_mail::send_later(mailer, page.t, &origin, mail, Maker::Administrator);
            Ok(redirect("/settings/accounts?done=link-emailed"))
        }
        Err(AppError::Conflict(message)) => {
            refused(server, page, id, message, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct Empty {}

/// Disables, enables, promotes or demotes account `id` (`/settings/accounts/{id}/{switch}`).
async fn switch(
    State(state): State<AppState>,
    page: Page,
    PagePath((id, switch)): PagePath<(Uuid, String)>,
    PageForm(_): PageForm<Empty>,
) -> Result<Response, PageError> {
    let (input, done) = match switch.as_str() {
        "disable" => (
            UpdateAccountInput {
                disabled: Some(true),
                ..Default::default()
            },
            "disabled",
        ),
        "enable" => (
            UpdateAccountInput {
                disabled: Some(false),
                ..Default::default()
            },
            "enabled",
        ),
        "promote" => (
            UpdateAccountInput {
                is_admin: Some(true),
                ..Default::default()
            },
            "promoted",
        ),
        "demote" => (
            UpdateAccountInput {
                is_admin: Some(false),
                ..Default::default()
            },
            "demoted",
        ),
        _ => return Err(PageError::NotFound),
    };
    change(ServerSide::of(&state), page, id, input, done).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
}

async fn set_password(
    State(state): State<AppState>,
    page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<PasswordForm>,
) -> Result<Response, PageError> {
    let input = UpdateAccountInput {
        password: Some(form.password),
        ..Default::default()
    };
    change(ServerSide::of(&state), page, id, input, "password").await
}

/// Deletes an account and everything it owns, once asked.
async fn delete(
    State(state): State<AppState>,
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<ConfirmForm>,
) -> Result<Response, PageError> {
    if !form.confirmed() {
        let account = administer::list(&mut page.tx)
            .await?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or(PageError::NotFound)?;
        let what = match account.full_name {
            Some(name) => format!("{name} ({})", account.email),
            None => account.email,
        };
        let action = format!("/settings/accounts/{id}/delete");
        return ask(
            page,
            Loss::Account,
            &what,
            action,
            "/settings/accounts".into(),
        )
        .await;
    }
    match administer::delete(&mut page.tx, id).await {
        Ok(()) => {
            page.tx.commit().await?;
            Ok(redirect("/settings/accounts?done=deleted"))
        }
        Err(AppError::Conflict(message)) => {
            let server = ServerSide::of(&state);
            refused(server, page, id, message, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Withdraws the password link waiting for account `id`.
async fn cancel_link(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(_): PageForm<Empty>,
) -> Result<Response, PageError> {
    match administer::cancel_password_link(&mut page.tx, id).await {
        // Already used or withdrawn (a second tab): the page shows how things are.
        Ok(()) | Err(AppError::NotFound(_)) => {
            page.tx.commit().await?;
            Ok(redirect("/settings/accounts?done=link-cancelled"))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct SignupsForm {
    /// "yes" opens sign-ups, anything else closes them.
    #[serde(default)]
    open: String,
}

/// Closes or reopens sign-ups.
async fn set_signups(
    State(state): State<AppState>,
    mut page: Page,
    PageForm(form): PageForm<SignupsForm>,
) -> Result<Response, PageError> {
    let input = SignupsInput {
        open: form.open == "yes",
    };
    administer::set_signups(&mut page.tx, input, state.config.allow_signup).await?;
    page.tx.commit().await?;
    Ok(redirect("/settings/accounts?done=signups"))
}
