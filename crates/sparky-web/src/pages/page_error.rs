//! How a page request fails, and the HTML error page it becomes (also for errors that reach a
//! browser in the API's JSON shape).

use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use sparky_app::AppError;

use super::{html, redirect, Shell};
use crate::i18n::Messages;

/// How a page request fails.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in: to the sign-in page, then back to this path.
    SignIn(String),
    Forbidden,
    NotFound,
    BadRequest,
    /// A form body over the size limit: said as such, not as a form that was not understood.
    TooLarge,
    /// A form from a page of an earlier session (signed out and in again since): 403, said
    /// as such rather than blaming another site.
    StaleForm,
    /// A form shown for one person's data sent while another's is shown (another tab switched,
    /// or a share ended): 409, nothing written.
    FormForOther,
    /// Something failed that was logged where it happened (a caught panic, an outage).
    Server(StatusCode),
    App(AppError),
}

impl PageError {
    /// A form field or query parameter that could not be read as its type (text in a number
    /// or date field, an unknown choice): the 422 page naming it, like the API.
    pub(super) fn unreadable((field, problem): (String, String)) -> PageError {
        PageError::App(AppError::invalid(&field, problem))
    }

    /// A form field the handler could not read: the 422 page naming it.
    pub(crate) fn invalid(field: &str, problem: impl Into<String>) -> PageError {
        PageError::App(AppError::invalid(field, problem))
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> PageError {
        match e {
            AppError::Unauthenticated => PageError::SignIn("/".into()),
            AppError::NotFound(_) => PageError::NotFound,
            other => PageError::App(other),
        }
    }
}

impl From<sparky_db::DbError> for PageError {
    fn from(e: sparky_db::DbError) -> PageError {
        AppError::from(e).into()
    }
}

/// A page of someone else's data they do not share with the signed-in user, reached by
/// typing its address (the navigation leaves it out): the frame and why it is empty.
#[derive(Template)]
#[template(path = "pages/not_shared.html")]
pub(crate) struct NotSharedPage {
    pub shell: Shell,
    pub message: &'static str,
}

#[derive(Template)]
#[template(path = "pages/error.html")]
struct ErrorPage {
    shell: Shell,
    status: u16,
    heading: &'static str,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let t = Messages::default();
        let (status, heading, message) = match self {
            PageError::SignIn(next) => {
                let target = format!(
                    "/signin?next={}",
                    form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                return redirect(&target);
            }
            PageError::Forbidden => (
                StatusCode::FORBIDDEN,
                t.get("error.forbidden"),
                t.get("error.forbidden_text").to_string(),
            ),
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                t.get("error.not_found"),
                t.get("error.not_found_text").to_string(),
            ),
            PageError::BadRequest => (
                StatusCode::BAD_REQUEST,
                t.get("error.bad_request"),
                t.get("error.bad_request_text").to_string(),
            ),
            PageError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                t.get("error.too_large"),
                t.get("error.too_large_text").to_string(),
            ),
            PageError::StaleForm => (
                StatusCode::FORBIDDEN,
                t.get("error.stale_form"),
                t.get("error.stale_form_text").to_string(),
            ),
            PageError::FormForOther => (
                StatusCode::CONFLICT,
                t.get("error.form_for_other"),
                t.get("error.form_for_other_text").to_string(),
            ),
            PageError::Server(status) => (
                status,
                t.get("error.server"),
                t.get("error.server_text").to_string(),
            ),
            PageError::App(e) => {
                let api = crate::error::ApiError::from(e);
                if api.status.is_server_error() {
                    (
                        api.status,
                        t.get("error.server"),
                        t.get("error.server_text").to_string(),
                    )
                } else {
                    // The operation's own reason ("quantity: must be greater than 0"), which
                    // the page's form would have shown had it a place for it.
                    let why = if api.message.is_empty() {
                        t.get("error.bad_request_text").to_string()
                    } else {
                        api.message
                    };
                    (api.status, t.get("error.bad_request"), why)
                }
            }
        };
        let page = ErrorPage {
            shell: Shell::public(t, heading),
            status: status.as_u16(),
            heading,
            message,
        };
        (status, html(&page)).into_response()
    }
}

/// An error that reaches a browser in the API's JSON shape (a panic caught by the catch-panic
/// layer, a body over the limit, a failed extractor) becomes the app's HTML error page.
/// Only for requests that ask for HTML: probes and scripts outside /api (`/readyz`) keep JSON.
pub fn html_errors(response: Response) -> Response {
    let status = response.status();
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let mut page = match status {
        StatusCode::NOT_FOUND => PageError::NotFound,
        StatusCode::FORBIDDEN => PageError::Forbidden,
        s if s.is_server_error() => PageError::Server(s),
        _ => PageError::BadRequest,
    }
    .into_response();
    *page.status_mut() = status;
    if let Some(retry) = response.headers().get(header::RETRY_AFTER) {
        page.headers_mut()
            .insert(header::RETRY_AFTER, retry.clone());
    }
    page
}

/// The HTML 404 for paths outside `/api`.
pub async fn not_found_page() -> Response {
    PageError::NotFound.into_response()
}
