//! Operations: health, readiness, Prometheus metrics, and the middleware that observes every
//! request and keeps every error in the API's shape.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use serde_json::json;

use crate::error::ApiError;
use crate::AppState;

/// The process-wide Prometheus recorder (the `metrics` facade has one global recorder).
#[derive(Clone)]
pub struct Metrics {
    handle: PrometheusHandle,
}

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

impl Metrics {
    pub fn install() -> Metrics {
        let handle = HANDLE
            .get_or_init(|| {
                let recorder = PrometheusBuilder::new()
                    .set_buckets_for_metric(
                        Matcher::Full("http_request_duration_seconds".into()),
                        &[
                            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                            2.5,
                        ],
                    )
                    .expect("static buckets are valid")
                    .build_recorder();
                let handle = recorder.handle();
                // Another recorder may already be installed (tests run several servers in one
                // process); then ours still renders what it records.
                let _ = metrics::set_global_recorder(recorder);
                handle
            })
            .clone();
        Metrics { handle }
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
}

/// Liveness: the process serves HTTP. It does not touch the database, so a database outage
/// does not get the process restarted.
async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers and the schema is current, and the server is not shutting
/// down (a draining server tells load balancers to send new requests elsewhere).
async fn readyz(
    State(state): State<AppState>,
    draining: Option<axum::Extension<crate::server::Draining>>,
) -> Response {
    if draining.is_some_and(|d| d.is_draining()) {
        return ApiError::unavailable("not ready: shutting down").into_response();
    }
    match state.db.check_schema(&state.migrator).await {
        Ok(()) => Json(json!({ "status": "ready" })).into_response(),
        Err(reason) => ApiError::unavailable(format!("not ready: {reason}")).into_response(),
    }
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    let pool = state.db.pool_status();
    metrics::gauge!("db_pool_max_size").set(pool.max_size as f64);
    metrics::gauge!("db_pool_size").set(pool.size as f64);
    metrics::gauge!("db_pool_available").set(pool.available as f64);
    metrics::gauge!("db_pool_in_use").set(pool.size.saturating_sub(pool.available) as f64);
    metrics::gauge!("db_pool_waiting").set(pool.waiting as f64);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.handle.render(),
    )
        .into_response()
}

/// An unknown path: JSON under `/api`, the HTML 404 page elsewhere.
pub async fn not_found(uri: axum::http::Uri) -> Response {
    if is_api(uri.path()) {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route").into_response()
    } else {
        crate::pages::not_found_page().await
    }
}

/// The JSON API (and its document); everything else is the web app.
pub fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Security headers on every response; the strict Content-Security-Policy on the web app's
/// (the API answers JSON, and its reference page at /api/docs styles itself).
pub async fn security_headers(req: Request, next: Next) -> Response {
    let api = is_api(req.uri().path());
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    // Pages and answers hold someone's health data: a shared family device's Back button or
    // a proxy must not show them to the next person. Assets say otherwise themselves.
    h.entry(axum::http::header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    if api {
        h.entry("x-content-type-options")
            .or_insert(HeaderValue::from_static("nosniff"));
        h.entry("referrer-policy")
            .or_insert(HeaderValue::from_static("same-origin"));
    } else {
        crate::pages::security_headers(h);
    }
    response
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not accept that method",
    )
}

/// Counts and times every request by route and status, and turns any error response that
/// is not already in the API's JSON shape (from a layer, a rejection, a panic) into it.
pub async fn observe(State(_state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let api = is_api(req.uri().path());
    // A page address that only takes forms, opened (a link, sign-in's way back to where a
    // form was sent from): its page instead of "method not allowed".
    let section = (!api && req.method() == axum::http::Method::GET)
        .then(|| crate::pages::section_of(req.uri().path()))
        .flatten();
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let response = next.run(req).await;
    let response = match section {
        Some(to) if response.status() == StatusCode::METHOD_NOT_ALLOWED => {
            crate::pages::redirect(&to)
        }
        _ => response,
    };
    // The API always answers in its JSON shape, pages with the app's HTML error page.
    let response = if api {
        normalise_error(response)
    } else if wants_html {
        crate::pages::html_errors(response)
    } else {
        response
    };
    let status = response.status().as_u16().to_string();
    let elapsed = started.elapsed().as_secs_f64();
    metrics::counter!("http_requests_total", "route" => route.clone(), "method" => method.clone(), "status" => status).increment(1);
    metrics::histogram!("http_request_duration_seconds", "route" => route, "method" => method)
        .record(elapsed);
    response
}

fn normalise_error(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return response;
    }
    let retry_after: Option<HeaderValue> = response.headers().get(header::RETRY_AFTER).cloned();
    let mut err = match status {
        StatusCode::PAYLOAD_TOO_LARGE => crate::json::payload_too_large(),
        StatusCode::NOT_FOUND => ApiError::new(status, "not_found", "no such route"),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            status,
            "method_not_allowed",
            "this route does not accept that method",
        ),
        s if s.is_server_error() => ApiError::internal(),
        s => ApiError::new(
            s,
            "bad_request",
            s.canonical_reason().unwrap_or("bad request"),
        ),
    };
    err.status = status;
    let mut out = err.into_response();
    if let Some(v) = retry_after {
        out.headers_mut().insert(header::RETRY_AFTER, v);
    }
    out
}
