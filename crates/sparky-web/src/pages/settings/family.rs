//! Settings → Family: share parts of your data with another account (by email and access
//! type), see what you gave and received, revoke what you gave and leave what you were given.
//! RLS decides what each grant allows; this page only makes and removes them.

use crate::pages::confirm::{ask, ConfirmForm, Loss};
use crate::pages::{PagePath, PageQuery};
use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use sparky_app::family::{self, CreateGrantInput, Grant};
use sparky_app::AppError;
use sparky_core::AccessType;
use uuid::Uuid;

use super::super::forms::{options, when, Errors, Opt};
use super::super::{html, redirect, Page, PageError, PageForm, Shell};
use super::settings_shell;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/family", get(show).post(grant))
        .route("/settings/family/{id}/revoke", post(revoke))
        .route("/settings/family/{id}/leave", post(leave))
}

pub struct GrantView {
    pub id: Uuid,
    pub person: String,
    pub access: String,
    /// The access's short name ("Check-ins"), for asking before it is stopped.
    pub short: String,
    /// For leaving a grant received: "Ann’s “Check-ins”".
    pub whose: String,
    pub since: String,
}

/// An access type's label: it speaks to the one who shares ("your foods"); a grant received
/// is about theirs.
fn access_label(t: &crate::i18n::Messages, kind: &str, received: bool) -> &'static str {
    match (received, kind) {
        (true, "food_list") => t.get("access.food_list_received"),
        (_, kind) => t.get(&format!("access.{kind}")),
    }
}

/// What leaving a grant received loses: "Ann’s “Check-ins”".
fn leave_what(grantor: &family::Person, access: &str) -> String {
    let person = grantor
        .full_name
        .clone()
        .or(grantor.email.clone())
        .unwrap_or_default();
    format!("{person}’s “{}”", short_name(access))
}

/// "Check-ins" of "Check-ins: see and log weight, water and measurements".
fn short_name(label: &str) -> String {
    label.split(':').next().unwrap_or(label).trim().to_string()
}

#[derive(Template)]
#[template(path = "pages/settings_family.html")]
struct FamilyPage {
    shell: Shell,
    tab: &'static str,
    errors: Errors,
    notice: Option<&'static str>,
    email: String,
    access_types: Vec<Opt>,
    given: Vec<GrantView>,
    received: Vec<GrantView>,
}

async fn render(
    mut page: Page,
    errors: Errors,
    notice: Option<&'static str>,
    email: String,
    access: &str,
) -> Result<FamilyPage, PageError> {
    let t = page.t;
    let shell = settings_shell(&mut page, t.get("settings.family")).await?;
    let tz = shell.units.timezone.clone();
    let grants = family::list(&mut page.tx).await?;
    page.tx.commit().await?;
    let view = |g: &Grant, p: &family::Person, received: bool| {
        let access = access_label(&t, &g.access_type, received);
        GrantView {
            id: g.id,
            person: match (&p.full_name, &p.email) {
                (Some(n), Some(e)) => format!("{n} ({e})"),
                (Some(n), None) => n.clone(),
                (None, Some(e)) => e.clone(),
                (None, None) => String::new(),
            },
            access: access.to_string(),
            short: short_name(access),
            whose: leave_what(p, access),
            since: g.granted_at.map(|d| when(&t, d, &tz)).unwrap_or_default(),
        }
    };
    Ok(FamilyPage {
        access_types: options(&t, "access", AccessType::NAMES, access),
        given: grants
            .given
            .iter()
            .map(|g| view(g, &g.grantee, false))
            .collect(),
        received: grants
            .received
            .iter()
            .map(|g| view(g, &g.grantor, true))
            .collect(),
        shell,
        tab: "family",
        errors,
        notice,
        email,
    })
}

#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

async fn show(page: Page, PageQuery(q): PageQuery<Done>) -> Result<Response, PageError> {
    let notice = match q.done.as_deref() {
        Some("granted") => Some("settings.granted"),
        Some("revoked") => Some("settings.grant_revoked"),
        Some("left") => Some("settings.grant_left"),
        _ => None,
    };
    Ok(html(
        &render(page, Errors::default(), notice, String::new(), "calorie").await?,
    ))
}

#[derive(Deserialize)]
pub struct GrantForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    access_type: String,
    /// The form's once-token ([`crate::pages::Shell::once`]): a grant sent twice is one grant,
    /// not an "already shared" refusal.
    #[serde(default, rename = "_once")]
    once: Option<String>,
}

async fn grant(mut page: Page, PageForm(form): PageForm<GrantForm>) -> Result<Response, PageError> {
    let t = page.t;
    let Ok(access_type) = AccessType::parse(&form.access_type) else {
        let errors = Errors::one("access_type", t.get("settings.err.access_type"));
        return invalid(page, errors, form).await;
    };
    let input = CreateGrantInput {
        grantee_email: form.email.clone(),
        access_type,
    };
    let once = form.once.as_deref();
    if !super::super::once::first_send(&mut page.tx, "grant", once).await? {
        return Ok(redirect("/settings/family?done=granted"));
    }
    let errors = match family::grant(&mut page.tx, input).await {
        Ok(_) => {
            page.tx.commit().await?;
            return Ok(redirect("/settings/family?done=granted"));
        }
        // No such account: said next to the email field, not as a 404 page.
        Err(AppError::NotFound(_)) => Errors::one("email", t.get("settings.err.no_account")),
        Err(AppError::Conflict(_)) => Errors::one("email", t.get("settings.err.already_granted")),
        Err(e @ AppError::Invalid(_)) => {
            let mut errors = Errors::from_app(&t, "settings.err", &e).unwrap_or_default();
            if let Some(m) = errors.0.remove("grantee_email") {
                errors.0.insert("email".into(), m);
            }
            errors
        }
        Err(e) => return Err(e.into()),
    };
    invalid(page, errors, form).await
}

async fn invalid(page: Page, errors: Errors, form: GrantForm) -> Result<Response, PageError> {
    let body = html(&render(page, errors, None, form.email, &form.access_type).await?);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
}

async fn revoke(
    page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<ConfirmForm>,
) -> Result<Response, PageError> {
    remove(page, id, form, false).await
}

/// Leaving a grant someone gave you: you stop seeing (or logging into) that part of their
/// data, after asking; they see it gone from what they share.
async fn leave(
    page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<ConfirmForm>,
) -> Result<Response, PageError> {
    remove(page, id, form, true).await
}

/// Revokes a grant the user gave, or leaves one they `received`, once asked.
async fn remove(
    mut page: Page,
    id: Uuid,
    form: ConfirmForm,
    received: bool,
) -> Result<Response, PageError> {
    let (verb, done) = if received {
        ("leave", "left")
    } else {
        ("revoke", "revoked")
    };
    if !form.confirmed() {
        let grants = family::list(&mut page.tx).await?;
        let grant = if received {
            grants.received
        } else {
            grants.given
        }
        .into_iter()
        .find(|g| g.id == id)
        .ok_or(PageError::NotFound)?;
        let label = access_label(&page.t, &grant.access_type, received);
        let (what, loss) = if received {
            (leave_what(&grant.grantor, label), Loss::ReceivedGrant)
        } else {
            let person = grant
                .grantee
                .full_name
                .or(grant.grantee.email)
                .unwrap_or_default();
            (
                format!("“{}” with {person}", short_name(label)),
                Loss::FamilyGrant,
            )
        };
        let action = format!("/settings/family/{id}/{verb}");
        return ask(page, loss, &what, action, "/settings/family".into()).await;
    }
    if received {
        family::leave(&mut page.tx, id).await?;
    } else {
        family::revoke(&mut page.tx, id).await?;
    }
    page.tx.commit().await?;
    Ok(redirect(&format!("/settings/family?done={done}")))
}
