//! Static assets embedded in the binary (see build.rs): served under content-hashed URLs with
//! `Cache-Control: immutable`, in brotli or gzip when the browser takes them.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// One embedded file.
pub struct Asset {
    /// Path under `assets/`, e.g. `app.css`.
    pub name: &'static str,
    /// Its content-hashed name, e.g. `app.3f2a9b1c0d4e.css`.
    pub hashed: &'static str,
    pub mime: &'static str,
    pub raw: &'static [u8],
    pub br: Option<&'static [u8]>,
    pub gz: Option<&'static [u8]>,
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

fn by_name() -> &'static HashMap<&'static str, &'static Asset> {
    static MAP: OnceLock<HashMap<&'static str, &'static Asset>> = OnceLock::new();
    MAP.get_or_init(|| ASSETS.iter().map(|a| (a.name, a)).collect())
}

fn by_hashed() -> &'static HashMap<&'static str, &'static Asset> {
    static MAP: OnceLock<HashMap<&'static str, &'static Asset>> = OnceLock::new();
    MAP.get_or_init(|| ASSETS.iter().map(|a| (a.hashed, a)).collect())
}

/// The URL of an asset by its source name; a missing asset is a bug caught by the tests.
pub fn url(name: &str) -> String {
    match by_name().get(name) {
        Some(a) => format!("/assets/{}", a.hashed),
        None => {
            debug_assert!(false, "no asset named {name}");
            format!("/assets/{name}")
        }
    }
}

/// Assets fetched only when a feature is used (the camera scanner's fallback): not worth
/// pre-caching for everyone.
const ON_DEMAND: [&str; 1] = ["vendor/zxing.min.js"];

/// Every hashed asset URL but the on-demand ones (for the service worker's cache list).
pub fn all_urls() -> Vec<String> {
    ASSETS
        .iter()
        .filter(|a| !ON_DEMAND.contains(&a.name))
        .map(|a| format!("/assets/{}", a.hashed))
        .collect()
}

/// An asset's raw bytes by source name (for the service worker and offline page).
pub fn raw(name: &str) -> Option<&'static [u8]> {
    by_name().get(name).map(|a| a.raw)
}

/// `GET /assets/{file}`.
pub async fn serve(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let Some(asset) = by_hashed().get(file.as_str()) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let accepts = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (body, encoding) = match (asset.br, asset.gz) {
        (Some(br), _) if accepts.contains("br") => (br, Some("br")),
        (_, Some(gz)) if accepts.contains("gzip") => (gz, Some("gzip")),
        _ => (asset.raw, None),
    };
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.mime));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Some(e) = encoding {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
    }
    response
}
