//! The Undo of a delete made without script: the deleted diary entry travels in a short-lived
//! cookie to the day page the delete leads to, which offers it back once.

use axum::http::{HeaderMap, HeaderValue};

/// Set by deleting an entry without script, read once by the day page it leads to: the
/// deleted entry (base64 of its snapshot) for the page's Undo, as the script's toast has one
/// (without script, a delete was one tap with nothing to take it back).
const UNDO_COOKIE: &str = "sparky_undo";

pub(super) fn undo_cookie(snapshot: Option<&str>) -> HeaderValue {
    use base64::Engine;
    let (value, age) = match snapshot {
        Some(s) => (
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s),
            300,
        ),
        None => (String::new(), 0),
    };
    HeaderValue::from_str(&format!(
        "{UNDO_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={age}"
    ))
    .expect("base64 is header text")
}

/// The deleted entry an [`UNDO_COOKIE`] holds, if any.
pub(super) fn undo_of(headers: &HeaderMap) -> Option<String> {
    use base64::Engine;
    let cookie = axum_extra::extract::CookieJar::from_headers(headers)
        .get(UNDO_COOKIE)?
        .value()
        .to_string();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cookie)
        .ok()?;
    String::from_utf8(bytes).ok().filter(|s| !s.is_empty())
}
