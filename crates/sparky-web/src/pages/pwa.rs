//! Installable app: the web app manifest, a service worker that caches only the hashed assets
//! and an offline page (writes always go to the server), and the offline page itself.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::assets;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/manifest.webmanifest", get(manifest))
        .route("/sw.js", get(service_worker))
        .route("/offline", get(offline))
}

async fn manifest() -> Response {
    let icon = assets::url("icon.svg");
    let icon_png = assets::url("icon-512.png");
    let body = serde_json::json!({
        "name": "Sparky",
        "short_name": "Sparky",
        "description": "Food diary, exercise, body and goals, on your own server",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f6f7f4",
        "theme_color": "#16745a",
        "icons": [
            {"src": icon, "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
            {"src": icon_png, "sizes": "512x512", "type": "image/png", "purpose": "any maskable"}
        ]
    });
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/manifest+json"),
        )],
        body.to_string(),
    )
        .into_response()
}

/// The worker's source names every hashed asset, so a new build is a new worker that drops
/// the old caches.
async fn service_worker() -> Response {
    let urls = serde_json::to_string(&assets::all_urls()).unwrap_or_else(|_| "[]".into());
    let template = std::str::from_utf8(assets::raw("sw.js").unwrap_or_default()).unwrap_or("");
    let body = template.replace("\"__ASSETS__\"", &urls);
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

#[derive(askama::Template)]
#[template(path = "pages/offline.html")]
struct OfflinePage {
    shell: super::Shell,
}

async fn offline() -> Response {
    let t = crate::i18n::Messages::default();
    super::html(&OfflinePage {
        shell: super::Shell::public(t, t.get("offline.title")),
    })
}
