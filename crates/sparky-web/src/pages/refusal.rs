//! The last word on a refused form: a 422 page that does not say why gets a general reason.
//!
//! Pages show a refusal next to its form. A form posted from a page opened before something
//! changed (access was revoked, another tab switched "viewing as" to someone whose data this
//! user may only read) can come back for a page that no longer shows that form, so its reason
//! would have nowhere to go and the user would see the page again with no word. Each page
//! should place its own refusals; this is the net under those that cannot.

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use crate::i18n::Messages;

/// The attribute marking the general reason, so tests can tell it from a page's own.
pub const UNEXPLAINED_MARK: &str = "data-unexplained";
/// A page larger than this is passed on as it is (no page of the app comes near it).
const LARGEST_PAGE: usize = 4 << 20;

pub async fn say_why_refused(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if response.status() != StatusCode::UNPROCESSABLE_ENTITY || !html {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, LARGEST_PAGE).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let page = String::from_utf8_lossy(&bytes);
    if says_why(&page) {
        return Response::from_parts(parts, Body::from(bytes));
    }
    tracing::warn!("a refused form's page showed no reason; the general one was added");
    let alert = format!(
        "<p class=\"form-error\" role=\"alert\" {UNEXPLAINED_MARK}>{}</p>",
        Messages::default().get("form.refused_unshown")
    );
    let marker = "<main id=\"main\">";
    let with_reason = match page.find(marker) {
        Some(at) => {
            let end = at + marker.len();
            format!("{}{alert}{}", &page[..end], &page[end..])
        }
        // An htmx fragment: the reason goes first.
        None => format!("{alert}{page}"),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(with_reason))
}

/// Whether the page already shows an error message (the markup every page uses for one).
fn says_why(page: &str) -> bool {
    ["class=\"error\"", "class=\"form-error\"", "role=\"alert\""]
        .iter()
        .any(|m| page.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_with_its_own_reason_is_left_alone() {
        assert!(says_why("<p class=\"error\">Enter a number</p>"));
        assert!(says_why("<div role=\"alert\">x</div>"));
        assert!(!says_why("<main id=\"main\"><h1>Goals</h1></main>"));
    }
}
