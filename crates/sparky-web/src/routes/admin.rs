//! `/api/v1/admin/accounts`: an administrator lists, creates, disables, enables, promotes and
//! deletes accounts and sets their passwords; `/api/v1/admin/signups` closes and reopens
//! sign-ups (see `sparky_app::accounts::administer`; the
//! database refuses everyone else with 403).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use sparky_app::accounts::administer::{
    self, Account, CreateAccountInput, CreatedAccount, PasswordLink, Signups, SignupsInput,
    UpdateAccountInput,
};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::pages::link_mail::{LinkMail, Maker};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_accounts, create_account))
        .routes(routes!(update_account, delete_account))
        .routes(routes!(make_password_link, cancel_password_link))
        .routes(routes!(get_signups, put_signups))
}

/// Every account on the server, oldest first (at most 1,000). Administrators only.
#[utoipa::path(get, path = "/api/v1/admin/accounts", tag = "administration",
    responses(
        (status = 200, description = "The accounts", body = Vec<Account>),
        (status = 403, description = "You are not an administrator", body = ErrorBody),
    ))]
async fn list_accounts(Auth { mut tx, .. }: Auth) -> ApiResult<ApiJson<Vec<Account>>> {
    let accounts = administer::list(&mut tx).await?;
    tx.commit().await?;
    Ok(ApiJson(accounts))
}

/// Create an account, whether or not sign-ups are open. Without a password the answer carries
/// a password link for the person to choose their own. Administrators only.
#[utoipa::path(post, path = "/api/v1/admin/accounts", tag = "administration",
    request_body = CreateAccountInput,
    responses(
        (status = 201, description = "Created", body = CreatedAccount),
        (status = 403, description = "You are not an administrator, or the API key is read-only", body = ErrorBody),
        (status = 409, description = "An account with that email exists", body = ErrorBody),
    ))]
async fn create_account(
    State(state): State<AppState>,
    headers: HeaderMap,
    Auth { mut tx, .. }: Auth,
    ApiJson(input): ApiJson<CreateAccountInput>,
) -> ApiResult<(StatusCode, ApiJson<CreatedAccount>)> {
    let origin = crate::auth::link_origin(&headers, &state.config);
    let created = administer::create(&mut tx, input, &origin).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(created)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MakeLinkParams {
    /// `true`: also e-mail the link to the account's address (the server needs
    /// `SPARKY_SMTP_URL`, `SPARKY_MAIL_FROM` and `SPARKY_PUBLIC_URL`; 404 `not_configured`
    /// otherwise, and no link is made).
    pub email: Option<bool>,
}

/// A link just made, and whether it is on its way by e-mail.
#[derive(Serialize, ToSchema)]
pub struct MadeLink {
    #[serde(flatten)]
    pub link: PasswordLink,
    /// Sent to the account's e-mail address (`?email=true`).
    pub emailed: bool,
}

/// Make a one-time link for another account to choose its password (a new account, or one
/// whose password was forgotten); it replaces the account's earlier link and works for 7 days.
/// Whoever opens it sets the password and is signed in (the account's sessions end), so send
/// it to the person only, or let the server e-mail it to the account's address
/// (`?email=true`). The address starts with `SPARKY_PUBLIC_URL` when set, else with the
/// address this request was sent to. Administrators only.
#[utoipa::path(post, path = "/api/v1/admin/accounts/{id}/password-link", tag = "administration",
    params(("id" = Uuid, Path, description = "Account id"), MakeLinkParams),
    responses(
        (status = 201, description = "The link (shown only now)", body = MadeLink),
        (status = 403, description = "You are not an administrator, or the API key is read-only", body = ErrorBody),
        (status = 404, description = "No such account, or `not_configured`: `email=true` on a server that sends no e-mail", body = ErrorBody),
        (status = 409, description = "Your own account, or a disabled one", body = ErrorBody),
    ))]
async fn make_password_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(p): ApiQuery<MakeLinkParams>,
) -> ApiResult<(StatusCode, ApiJson<MadeLink>)> {
    let emailed = p.email.unwrap_or(false);
    // Mailing needs the public address, which is then also where the link starts.
    let mail = if emailed {
        Some(
            crate::pages::link_mail::ready(&state)
                .ok_or_else(crate::pages::link_mail::not_configured)?,
        )
    } else {
        None
    };
    let origin = crate::auth::link_origin(&headers, &state.config);
    let link = administer::make_password_link(&mut tx, id, &origin).await?;
    let mail = match mail {
        Some(m) => Some((m, LinkMail::of_token(&mut tx, &link.url).await?)),
        None => None,
    };
    tx.commit().await?;
    if let Some(((mailer, origin), message)) = mail {
        let t = crate::i18n::Messages::default();
        crate::pages::link_mail::send_later(mailer, t, &origin, message, Maker::Administrator);
    }
    Ok((StatusCode::CREATED, ApiJson(MadeLink { link, emailed })))
}

/// Disable or enable an account, give or take the administrator role, or set a new password
/// (the account's sessions end when it is disabled or its password set). Your own account is
/// changed in Settings (409), except handing over the role; one enabled administrator always
/// stays (409). Administrators only.
#[utoipa::path(patch, path = "/api/v1/admin/accounts/{id}", tag = "administration",
    params(("id" = Uuid, Path, description = "Account id")),
    request_body = UpdateAccountInput,
    responses(
        (status = 200, description = "Changed", body = Account),
        (status = 403, description = "You are not an administrator, or the API key is read-only", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 409, description = "Your own account, or the last enabled administrator", body = ErrorBody),
    ))]
async fn update_account(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<UpdateAccountInput>,
) -> ApiResult<ApiJson<Account>> {
    let updated = administer::update(&mut tx, id, input).await?;
    tx.commit().await?;
    Ok(ApiJson(updated.account))
}

/// Delete an account and everything it owns (diaries, foods, measurements, goals, plans,
/// chats, keys, sessions, family grants); other people's diary entries of its foods keep what
/// they recorded. Your own account is deleted in Settings (409). Administrators only.
#[utoipa::path(delete, path = "/api/v1/admin/accounts/{id}", tag = "administration",
    params(("id" = Uuid, Path, description = "Account id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "You are not an administrator, or the API key is read-only", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 409, description = "Your own account, or the last enabled administrator", body = ErrorBody),
    ))]
async fn delete_account(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    administer::delete(&mut tx, id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Withdraw the password link waiting for an account (a newer link replaces it anyway).
/// Administrators only.
#[utoipa::path(delete, path = "/api/v1/admin/accounts/{id}/password-link", tag = "administration",
    params(("id" = Uuid, Path, description = "Account id")),
    responses(
        (status = 204, description = "Withdrawn: the link no longer works"),
        (status = 403, description = "You are not an administrator, or the API key is read-only", body = ErrorBody),
        (status = 404, description = "No link waits for that account", body = ErrorBody),
    ))]
async fn cancel_password_link(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    administer::cancel_password_link(&mut tx, id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether people can create accounts on the sign-up page. Administrators only.
#[utoipa::path(get, path = "/api/v1/admin/signups", tag = "administration",
    responses(
        (status = 200, description = "Sign-ups now", body = Signups),
        (status = 403, description = "You are not an administrator", body = ErrorBody),
    ))]
async fn get_signups(
    State(state): State<AppState>,
    Auth { mut tx, .. }: Auth,
) -> ApiResult<ApiJson<Signups>> {
    let signups = administer::signups(&mut tx, state.config.allow_signup).await?;
    tx.commit().await?;
    Ok(ApiJson(signups))
}

/// Close sign-ups (accounts are then made by administrators) or reopen them, for every
/// instance; with `SPARKY_ALLOW_SIGNUP=false` they stay closed. The first account on an empty
/// server can always register. Administrators only.
#[utoipa::path(put, path = "/api/v1/admin/signups", tag = "administration",
    request_body = SignupsInput,
    responses(
        (status = 200, description = "Sign-ups now", body = Signups),
        (status = 403, description = "You are not an administrator, or the API key is read-only", body = ErrorBody),
    ))]
async fn put_signups(
    State(state): State<AppState>,
    Auth { mut tx, .. }: Auth,
    ApiJson(input): ApiJson<SignupsInput>,
) -> ApiResult<ApiJson<Signups>> {
    let signups = administer::set_signups(&mut tx, input, state.config.allow_signup).await?;
    tx.commit().await?;
    Ok(ApiJson(signups))
}
