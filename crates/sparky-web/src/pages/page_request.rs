//! What a page request is made of: the signed-in [`Page`] (session, CSRF token, whose data),
//! its form body ([`PageForm`]: the token and the `_for` of whose data the form was shown for
//! are checked), query string and path segments, each failing as the page it should show.

use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode, Uri};
use axum_extra::extract::CookieJar;
use serde::de::DeserializeOwned;
use sparky_app::{Acting, AppError};
use sparky_db::Credential;
use uuid::Uuid;

use super::{Page, PageError, StaleViewing, VIEWING_COOKIE};
use crate::auth::{check_origin, session_secret, token_hash};
use crate::i18n::Messages;
use crate::AppState;

/// The CSRF token of a session: derived from its secret, which only the browser holding the
/// (HttpOnly) cookie knows, so another site cannot produce it.
pub fn csrf_token(session_secret: &str) -> String {
    token_hash(&format!("csrf:{session_secret}"))
}

impl<S> FromRequestParts<S> for Page
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = AppState::from_ref(state);
        let t = Messages::for_accept_language(
            parts
                .headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        );
        let Some(secret) = session_secret(parts) else {
            return Err(PageError::SignIn(next_of(&parts.uri)));
        };
        let csrf = csrf_token(&secret);
        if parts.method != Method::GET && parts.method != Method::HEAD {
            check_origin(parts, &app).map_err(|_| PageError::Forbidden)?;
            // htmx sends the token as a header; plain forms send `_csrf` (checked by PageForm).
            // The origin was checked: a wrong token is a page from an earlier session.
            if let Some(sent) = parts.headers.get("x-csrf-token") {
                if sent.as_bytes() != csrf.as_bytes() {
                    return Err(PageError::StaleForm);
                }
            } else {
                parts.extensions.insert(CsrfPending(csrf.clone()));
            }
        }
        let credential = || Credential {
            kind: "session",
            token_hash: token_hash(&secret),
            session_ttl_seconds: app.config.session_ttl_seconds,
        };
        // As for the API: a large form is taken in only from a known session.
        if crate::auth::large_body(parts) {
            let mut check = app
                .db
                .authenticate(credential())
                .await
                .map_err(AppError::from)?;
            check.user_id().await.map_err(AppError::from)?;
        }
        let tx = app
            .db
            .authenticate(credential())
            .await
            .map_err(AppError::from)?;
        let viewing = CookieJar::from_headers(&parts.headers)
            .get(VIEWING_COOKIE)
            .and_then(|c| c.value().parse().ok());
        parts.extensions.insert(ViewingNow(viewing));
        Ok(Page {
            tx,
            csrf,
            t,
            viewing,
            acting: Acting::new(viewing),
            uri: parts.uri.clone(),
            htmx: parts.headers.contains_key("hx-request"),
            stale_viewing: parts.extensions.get::<StaleViewing>().cloned(),
        })
    }
}

/// A write whose token has not been seen in a header: the form body must carry it.
#[derive(Clone)]
struct CsrfPending(String);

/// For a form body a page reads itself (a multipart upload): the `_csrf` it sent, checked as
/// [`PageForm`] checks it (a header already checked leaves nothing to check).
pub fn check_form_token(
    extensions: &axum::http::Extensions,
    sent: Option<&str>,
) -> Result<(), PageError> {
    match (extensions.get::<CsrfPending>(), sent) {
        (None, _) => Ok(()),
        (Some(_), None) => Err(PageError::Forbidden),
        // The origin was checked (Page): a token of an earlier session's page.
        (Some(CsrfPending(expected)), Some(sent)) if sent != expected => Err(PageError::StaleForm),
        (Some(_), Some(_)) => Ok(()),
    }
}

/// Whose data the request acts on (the "viewing as" cookie as it came), for PageForm to hold a
/// form's `_for` against.
#[derive(Clone, Copy)]
struct ViewingNow(Option<Uuid>);

/// A form body (`application/x-www-form-urlencoded`) of a page write, with its CSRF token
/// checked when the request did not send it as a header.
pub struct PageForm<T>(pub T);

impl<T, S> FromRequest<S> for PageForm<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let pending = req.extensions().get::<CsrfPending>().cloned();
        let viewing_now = req.extensions().get::<ViewingNow>().copied();
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    PageError::TooLarge
                } else {
                    PageError::BadRequest
                }
            })?;
        if let Some(CsrfPending(expected)) = pending {
            let sent = form_urlencoded::parse(&bytes)
                .find(|(k, _)| k == "_csrf")
                .map(|(_, v)| v.into_owned());
            match sent {
                None => return Err(PageError::Forbidden),
                // The origin was checked (Page): a token of an earlier session's page.
                Some(sent) if sent != expected => return Err(PageError::StaleForm),
                Some(_) => {}
            }
        }
        // A data page's form says whose data it was shown for (`_for`, empty: one's own).
        // Another tab may have switched whose data is shown since, or a share ended: the
        // write would land in someone else's diary, so it is refused instead.
        if let Some(ViewingNow(now)) = viewing_now {
            if let Some((_, sent)) = form_urlencoded::parse(&bytes).find(|(k, _)| k == "_for") {
                let shown_for: Option<Uuid> = match sent.trim() {
                    "" => None,
                    id => Some(id.parse().map_err(|_| PageError::BadRequest)?),
                };
                if shown_for != now {
                    return Err(PageError::FormForOther);
                }
            }
        }
        let text = std::str::from_utf8(&bytes).map_err(|_| PageError::BadRequest)?;
        crate::extract::parse_urlencoded(text)
            .map(PageForm)
            .map_err(PageError::unreadable)
    }
}

pub(super) fn next_of(uri: &Uri) -> String {
    uri.path_and_query()
        .map(|p| p.as_str().to_string())
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/".into())
}

/// A page's query string. Unreadable parameters (`?date=99999-01-01`) are the 422 page naming
/// the parameter, not axum's plain-text rejection.
pub struct PageQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for PageQuery<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        crate::extract::parse_urlencoded(parts.uri.query().unwrap_or(""))
            .map(PageQuery)
            .map_err(PageError::unreadable)
    }
}

/// A page's path segments. A malformed id (`/plans/not-a-uuid`) names no page: the 404 page.
pub struct PagePath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PagePath<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| PagePath(v))
            .map_err(|_| PageError::NotFound)
    }
}
