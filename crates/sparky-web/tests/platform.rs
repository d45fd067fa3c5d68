//! The platform around the handlers: the error shape, request ids, CSRF, health, metrics,
//! the OpenAPI document and docs page, preferences and cross-user isolation. Black-box over
//! HTTP against a real database (ARCHITECTURE.md, the request path).

mod common;

use std::collections::BTreeSet;

use common::{As, Response, TestApp};
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};
use sparky_db::Database;
use sparky_testkit::TestDb;
use sparky_web::WebConfig;

/// Sends a hand-built request and reads the answer the way the harness does.
async fn send(req: reqwest::RequestBuilder) -> Response {
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Response {
        status,
        headers,
        body,
    }
}

fn cookie_of(who: &As) -> String {
    match who {
        As::Cookie(c) => format!("sparky_session={c}"),
        other => panic!("not a cookie: {other:?}"),
    }
}

/// `{"error": {"code", "message", "fields"?}}` with nothing else, and the expected code.
#[track_caller]
fn assert_error(r: &Response, status: StatusCode, code: &str) {
    assert_eq!(r.status, status, "{:?}", r.body);
    let obj = r
        .body
        .as_object()
        .unwrap_or_else(|| panic!("not JSON: {:?}", r.body));
    assert_eq!(obj.len(), 1, "only `error` at the top: {:?}", r.body);
    let err = r.body["error"]
        .as_object()
        .unwrap_or_else(|| panic!("no error object: {:?}", r.body));
    assert_eq!(err["code"], code, "{:?}", r.body);
    assert!(
        err["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{:?}",
        r.body
    );
    for key in err.keys() {
        assert!(
            ["code", "message", "fields"].contains(&key.as_str()),
            "unexpected key {key}: {:?}",
            r.body
        );
    }
    if let Some(fields) = err.get("fields") {
        assert!(fields.is_object(), "{:?}", r.body);
    }
    let ct = r
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(ct.starts_with("application/json"), "content type {ct}");
}

#[track_caller]
fn assert_field(r: &Response, field: &str) {
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(
        r.body["error"]["fields"][field]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "fields.{field} missing: {:?}",
        r.body
    );
}

#[track_caller]
fn assert_no_internals(r: &Response) {
    let text = r.body.to_string();
    for leak in [
        "tokio_postgres",
        "tokio-postgres",
        "deadpool",
        "Error {",
        "SQLSTATE",
        "os error",
        "/src/",
        ".rs:",
        "panicked",
        "Connection refused",
    ] {
        assert!(!text.contains(leak), "leaks {leak:?}: {text}");
    }
}

#[tokio::test]
async fn errors_have_one_shape_and_the_right_status() {
    let app = TestApp::spawn().await;
    let (_, me) = app.user("ann@example.com").await;

    // Malformed JSON.
    let r = send(
        app.client
            .post(format!("{}/api/v1/auth/register", app.base))
            .header(header::CONTENT_TYPE, "application/json")
            .body("{\"email\": \"x@example.com\", "),
    )
    .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "bad_request");

    // Validation, naming the field.
    let r = app
        .put("/api/v1/preferences", &me, json!({"theme": "blue"}))
        .await;
    assert_field(&r, "theme");
    let r = app
        .put("/api/v1/preferences", &me, json!({"colour": "x"}))
        .await;
    assert_field(&r, "colour");
    let r = app
        .put(
            "/api/v1/preferences",
            &me,
            json!({"timezone": "Mars/Olympus"}),
        )
        .await;
    assert_field(&r, "timezone");

    // Unknown route, wrong method.
    let r = app.get("/api/v1/nope", &me).await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    let r = app.get("/api/v1/nope", &As::Nobody).await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    let r = app.delete("/api/v1/auth/login", &me).await;
    assert_error(&r, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");

    // Missing or bad credentials.
    let r = app.get("/api/v1/me", &As::Nobody).await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
    let r = app.get("/api/v1/me", &As::Key("spk_garbage".into())).await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
    let r = app
        .put(
            "/api/v1/preferences",
            &As::Key("not-a-key".into()),
            json!({"theme": "dark"}),
        )
        .await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
    let r = app
        .get("/api/v1/me", &As::Cookie("no-such-session".into()))
        .await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = TestApp::spawn_with(WebConfig {
        max_body_bytes: 1024,
        ..Default::default()
    })
    .await;
    let big = "x".repeat(4096);
    let r = app
        .post(
            "/api/v1/auth/register",
            &As::Nobody,
            json!({"email": "a@example.com", "password": big, "full_name": "A"}),
        )
        .await;
    assert_error(&r, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    // A body under the limit still works.
    let r = app.register("a@example.com", common::PASSWORD).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

#[tokio::test]
async fn a_database_that_is_down_is_503_without_details() {
    // A port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut config = tokio_postgres::Config::new();
    config
        .host("127.0.0.1")
        .port(port)
        .user("sparky")
        .dbname("sparky")
        .connect_timeout(std::time::Duration::from_secs(2));
    let database = Database::new(config, "sparky_app", 2).unwrap();
    let app = TestApp::serve(TestDb::new().await, database, WebConfig::default()).await;

    let r = app.get("/healthz", &As::Nobody).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "liveness does not need the database"
    );

    let r = app.get("/readyz", &As::Nobody).await;
    assert_error(&r, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert_no_internals(&r);

    let r = app.login("ann@example.com", common::PASSWORD).await;
    assert_error(&r, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert_no_internals(&r);

    let r = app
        .get("/api/v1/me", &As::Cookie("some-session".into()))
        .await;
    assert_error(&r, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert_no_internals(&r);
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let (_, me) = app.user("ann@example.com").await;
    let responses = [
        app.get("/healthz", &As::Nobody).await,
        app.get("/api/v1/me", &me).await,
        app.get("/api/v1/me", &As::Nobody).await,
        app.get("/api/v1/nope", &As::Nobody).await,
        app.delete("/api/v1/me", &me).await,
        app.put("/api/v1/preferences", &me, json!({"theme": "blue"}))
            .await,
    ];
    let mut ids = BTreeSet::new();
    for r in &responses {
        let id = r
            .headers
            .get("x-request-id")
            .unwrap_or_else(|| panic!("no x-request-id on {} {:?}", r.status, r.body))
            .to_str()
            .unwrap()
            .to_string();
        assert!(!id.is_empty());
        ids.insert(id);
    }
    assert_eq!(ids.len(), responses.len(), "ids are unique: {ids:?}");

    let r = send(
        app.client
            .get(format!("{}/api/v1/me", app.base))
            .header("x-request-id", "abc-123"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers["x-request-id"], "abc-123");
}

#[tokio::test]
async fn cookie_writes_need_this_servers_origin() {
    let app = TestApp::spawn().await;
    let (_, me) = app.user("ann@example.com").await;
    let cookie = cookie_of(&me);
    let url = format!("{}/api/v1/preferences", app.base);
    let put = |origin: Option<(&'static str, String)>| {
        let mut req = app
            .client
            .put(&url)
            .header(header::COOKIE, cookie.clone())
            .json(&json!({"theme": "dark"}));
        if let Some((name, value)) = origin {
            req = req.header(name, value);
        }
        send(req)
    };

    let r = put(None).await;
    assert_error(&r, StatusCode::FORBIDDEN, "csrf_failed");
    let r = put(Some(("origin", "https://evil.example".into()))).await;
    assert_error(&r, StatusCode::FORBIDDEN, "csrf_failed");
    let r = put(Some(("origin", "null".into()))).await;
    assert_error(&r, StatusCode::FORBIDDEN, "csrf_failed");
    let r = put(Some(("referer", "https://evil.example/page".into()))).await;
    assert_error(&r, StatusCode::FORBIDDEN, "csrf_failed");
    // Nothing was changed by the refused writes.
    assert_eq!(
        app.get("/api/v1/preferences", &me).await.body["theme"],
        "system"
    );

    let r = put(Some(("origin", app.origin()))).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["theme"], "dark");
    let r = put(Some(("referer", format!("{}/settings?x=1", app.base)))).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    // Reads need no Origin.
    let r = send(app.client.get(&url).header(header::COOKIE, cookie.clone())).await;
    assert_eq!(r.status, StatusCode::OK);

    // Bearer keys are not sent by browsers on their own: no Origin needed.
    let key = app
        .post("/api/v1/api-keys", &me, json!({"name": "script"}))
        .await;
    assert_eq!(key.status, StatusCode::CREATED, "{:?}", key.body);
    let key = key.body["key"].as_str().unwrap().to_string();
    let r = send(
        app.client
            .put(&url)
            .bearer_auth(&key)
            .json(&json!({"theme": "light"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["theme"], "light");

    // A login form posted from another site.
    let r = send(
        app.client
            .post(format!("{}/api/v1/auth/login", app.base))
            .header(header::ORIGIN, "https://evil.example")
            .json(&json!({"email": "ann@example.com", "password": common::PASSWORD})),
    )
    .await;
    assert_error(&r, StatusCode::FORBIDDEN, "csrf_failed");
    assert!(r.session_cookie().is_none());
}

#[tokio::test]
async fn the_public_url_is_the_only_allowed_origin() {
    let config = WebConfig::default()
        .with_public_url(Some("https://fit.example.com"))
        .unwrap();
    let app = TestApp::spawn_with(config).await;
    let (_, me) = app.user("ann@example.com").await;
    let cookie = cookie_of(&me);
    let url = format!("{}/api/v1/preferences", app.base);
    let put = |origin: String| {
        send(
            app.client
                .put(&url)
                .header(header::COOKIE, cookie.clone())
                .header(header::ORIGIN, origin)
                .json(&json!({"theme": "dark"})),
        )
    };
    let r = put(app.origin()).await;
    assert_error(&r, StatusCode::FORBIDDEN, "csrf_failed");
    let r = put("http://fit.example.com".into()).await;
    assert_error(&r, StatusCode::FORBIDDEN, "csrf_failed");
    let r = put("https://fit.example.com.evil.example".into()).await;
    assert_error(&r, StatusCode::FORBIDDEN, "csrf_failed");
    let r = put("https://fit.example.com".into()).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = TestApp::spawn().await;
    let r = app.get("/healthz", &As::Nobody).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!({"status": "ok"}));
    let r = app.get("/readyz", &As::Nobody).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    let (_, me) = app.user("ann@example.com").await;
    // The recorder is process-wide (other tests count too), so compare before and after.
    let before = counter(
        app.get("/metrics", &As::Nobody)
            .await
            .body
            .as_str()
            .unwrap(),
        "/api/v1/me",
    );
    for _ in 0..3 {
        assert_eq!(app.get("/api/v1/me", &me).await.status, StatusCode::OK);
    }

    let r = app.get("/metrics", &As::Nobody).await;
    assert_eq!(r.status, StatusCode::OK);
    let ct = r.headers[header::CONTENT_TYPE].to_str().unwrap();
    assert!(ct.starts_with("text/plain"), "{ct}");
    let text = r.body.as_str().expect("metrics are text, not JSON");
    let has = |pred: &dyn Fn(&str) -> bool| text.lines().any(pred);
    let after = counter(text, "/api/v1/me");
    assert!(
        after >= before + 3.0,
        "GET /api/v1/me counted {before} -> {after}:\n{text}"
    );
    assert!(
        has(&|l| l.starts_with("http_request_duration_seconds_bucket{")
            && l.contains("route=\"/api/v1/me\"")
            && l.contains("le=\"")),
        "no histogram buckets:\n{text}"
    );
    assert!(
        text.contains("# TYPE http_request_duration_seconds histogram"),
        "{text}"
    );
    for gauge in [
        "db_pool_size",
        "db_pool_available",
        "db_pool_in_use",
        "db_pool_waiting",
    ] {
        assert!(
            has(&|l| l
                .strip_prefix(gauge)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))),
            "no {gauge}:\n{text}"
        );
    }
    // The label is the route template, never the raw path (unbounded cardinality).
    let id = uuid::Uuid::new_v4().to_string();
    let r = app.delete(&format!("/api/v1/api-keys/{id}"), &me).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    app.get("/api/v1/no-such-thing-12345", &As::Nobody).await;
    let text = app.get("/metrics", &As::Nobody).await.body;
    let text = text.as_str().unwrap();
    assert!(!text.contains("no-such-thing-12345"), "{text}");
    assert!(!text.contains(&id), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("http_requests_total{")
            && l.contains("route=\"/api/v1/api-keys/{id}\"")
            && l.contains("method=\"DELETE\"")
            && l.contains("status=\"404\"")),
        "{text}"
    );
}

/// `http_requests_total{route=<route>, method="GET", status="200"}`, 0 when absent.
fn counter(text: &str, route: &str) -> f64 {
    text.lines()
        .filter(|l| {
            l.starts_with("http_requests_total{")
                && l.contains(&format!("route=\"{route}\""))
                && l.contains("method=\"GET\"")
                && l.contains("status=\"200\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// The routes the API is known to serve (method, path).
const KNOWN_ROUTES: &[(&str, &str)] = &[
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/me"),
    ("put", "/api/v1/me"),
    ("post", "/api/v1/me/password"),
    ("get", "/api/v1/api-keys"),
    ("post", "/api/v1/api-keys"),
    ("delete", "/api/v1/api-keys/{id}"),
    ("get", "/api/v1/preferences"),
    ("put", "/api/v1/preferences"),
    ("get", "/api/v1/family-access"),
    ("post", "/api/v1/family-access"),
    ("delete", "/api/v1/family-access/{id}"),
    ("get", "/api/v1/accessible-users"),
];

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            if let Some(op) = item.get(method) {
                ops.push((method.to_string(), path.clone(), op.clone()));
            }
        }
    }
    ops
}

/// `/a/{id}/b` with each `{param}` replaced by a random UUID.
fn fill_params(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if seg.starts_with('{') && seg.ends_with('}') {
                uuid::Uuid::new_v4().to_string()
            } else {
                seg.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn the_openapi_document_matches_the_router() {
    let app = TestApp::spawn().await;
    let (_, me) = app.user("ann@example.com").await;
    let r = app.get("/api/v1/openapi.json", &As::Nobody).await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.body;
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    let mut ops = operations(&doc);
    assert!(!ops.is_empty());

    // Everything the router is known to serve is documented.
    let documented: BTreeSet<(String, String)> =
        ops.iter().map(|(m, p, _)| (m.clone(), p.clone())).collect();
    for (m, p) in KNOWN_ROUTES {
        assert!(
            documented.contains(&(m.to_string(), p.to_string())),
            "{m} {p} is not in the document"
        );
    }

    // The check below can tell a router miss from a handler's 404.
    let miss = app.get("/api/v1/not-documented", &me).await;
    assert_eq!(miss.body["error"]["message"], "no such route");
    let handler_404 = app.delete(&fill_params("/api/v1/api-keys/{id}"), &me).await;
    assert_eq!(handler_404.status, StatusCode::NOT_FOUND);
    assert_ne!(handler_404.body["error"]["message"], "no such route");

    // Everything documented is served (signing out last, it ends the session).
    ops.sort_by_key(|(_, p, _)| p == "/api/v1/auth/logout");
    let global_security = doc
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| !s.is_empty());
    let mut needs_auth = 0;
    for (method, path, op) in &ops {
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let url = fill_params(path);
        let body = matches!(m, Method::POST | Method::PUT | Method::PATCH).then(|| json!({}));

        // Does it need credentials? Then it must say so.
        let anon = app
            .request(m.clone(), &url, &As::Nobody, body.clone())
            .await;
        if anon.status == StatusCode::UNAUTHORIZED && anon.code() == "unauthenticated" {
            needs_auth += 1;
            let declared = op
                .get("security")
                .and_then(Value::as_array)
                .map(|s| !s.is_empty())
                .unwrap_or(global_security);
            assert!(
                declared,
                "{method} {path} needs auth but declares no security"
            );
        }

        let r = app.request(m, &url, &me, body).await;
        let message = r.body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            !(r.status == StatusCode::NOT_FOUND && message == "no such route"),
            "{method} {path} is documented but not routed"
        );
        // An operation documented only as 405 (GET and DELETE /mcp: the MCP transport says
        // to answer them so) is routed exactly when it answers 405.
        let only_405 = op["responses"]
            .as_object()
            .is_some_and(|r| r.contains_key("405") && !r.keys().any(|code| code.starts_with('2')));
        if !only_405 {
            assert_ne!(
                r.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} is documented but not routed for {method}"
            );
        }
        assert!(
            !r.status.is_server_error(),
            "{method} {path} answered {} {:?}",
            r.status,
            r.body
        );
    }

    assert!(
        needs_auth >= KNOWN_ROUTES.len() - 2,
        "only {needs_auth} operations refused an anonymous caller"
    );

    // The human-readable page: server-rendered, complete, offline.
    let page = send(app.client.get(format!("{}/api/docs", app.base))).await;
    assert_eq!(page.status, StatusCode::OK);
    let ct = page.headers[header::CONTENT_TYPE].to_str().unwrap();
    assert!(ct.starts_with("text/html"), "{ct}");
    let html = page.body.as_str().expect("HTML");
    for path in doc["paths"].as_object().unwrap().keys() {
        assert!(html.contains(path.as_str()), "the page misses {path}");
    }
    let lower = html.to_ascii_lowercase();
    for tag in ["<script", "<link", "<img", "<iframe"] {
        for (i, _) in lower.match_indices(tag) {
            let end = lower[i..].find('>').map_or(lower.len(), |e| i + e);
            let element = &lower[i..end];
            for attr in ["src=", "href="] {
                if let Some(pos) = element.find(attr) {
                    let value = element[pos + attr.len()..].trim_start_matches(['"', '\'']);
                    assert!(
                        !(value.starts_with("http:")
                            || value.starts_with("https:")
                            || value.starts_with("//")),
                        "off-site resource: {element}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn preferences_defaults_and_partial_updates() {
    let app = TestApp::spawn().await;
    let (_, me) = app.user("ann@example.com").await;
    let r = app.get("/api/v1/preferences", &me).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["theme"], "system");
    assert_eq!(r.body["units_system"], "metric");
    assert_eq!(r.body["timezone"], "UTC");

    let r = app
        .put("/api/v1/preferences", &me, json!({"theme": "dark"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["theme"], "dark");
    assert_eq!(r.body["units_system"], "metric");

    let r = app
        .put(
            "/api/v1/preferences",
            &me,
            json!({"units_system": "imperial", "timezone": "Pacific/Auckland"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app.get("/api/v1/preferences", &me).await;
    assert_eq!(r.body["theme"], "dark", "kept");
    assert_eq!(r.body["units_system"], "imperial");
    assert_eq!(r.body["timezone"], "Pacific/Auckland");

    // A refused update changes nothing.
    let r = app
        .put(
            "/api/v1/preferences",
            &me,
            json!({"theme": "light", "timezone": "Europe/Nowhere"}),
        )
        .await;
    assert_field(&r, "timezone");
    let r = app.get("/api/v1/preferences", &me).await;
    assert_eq!(r.body["theme"], "dark");
    assert_eq!(r.body["timezone"], "Pacific/Auckland");

    for tz in ["Europe/Berlin", "America/Argentina/Buenos_Aires", "UTC"] {
        let r = app
            .put("/api/v1/preferences", &me, json!({"timezone": tz}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{tz}: {:?}", r.body);
        assert_eq!(r.body["timezone"], tz);
    }
}

#[tokio::test]
async fn another_user_cannot_reach_my_keys_or_preferences() {
    let app = TestApp::spawn().await;
    let (a_id, a) = app.user("ann@example.com").await;
    let (_, b) = app.user("bob@example.com").await;
    let key = app
        .post("/api/v1/api-keys", &a, json!({"name": "mine"}))
        .await;
    assert_eq!(key.status, StatusCode::CREATED, "{:?}", key.body);
    let key_id = key.body["id"].as_str().unwrap().to_string();

    let listed = app.get("/api/v1/api-keys", &b).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert!(
        !listed.body.to_string().contains(&key_id),
        "B sees A's key: {:?}",
        listed.body
    );
    let r = app.delete(&format!("/api/v1/api-keys/{key_id}"), &b).await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    // Still there for A.
    let listed = app.get("/api/v1/api-keys", &a).await;
    assert!(listed.body.to_string().contains(&key_id));

    let r = app
        .get(&format!("/api/v1/preferences?user_id={a_id}"), &b)
        .await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    let r = app
        .put(
            &format!("/api/v1/preferences?user_id={a_id}"),
            &b,
            json!({"theme": "dark"}),
        )
        .await;
    // Not shared at all: as if there were nothing.
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        app.get("/api/v1/preferences", &a).await.body["theme"],
        "system"
    );

    let r = app.get("/api/v1/preferences?user_id=abc", &b).await;
    assert_field(&r, "user_id");
}

/// Pages and API answers are never stored by a browser or proxy (a shared family device's
/// Back showed the last person's diary); assets keep their long cache.
#[tokio::test]
async fn personal_answers_are_not_cached_and_assets_are() {
    let app = TestApp::spawn().await;
    let (_, me) = app.user("ann@example.com").await;
    let api = app.get("/api/v1/me", &me).await;
    assert_eq!(api.headers["cache-control"], "no-store");
    let page = app
        .client
        .get(format!("{}/signin", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.headers()["cache-control"], "no-store");
    let css = sparky_web::assets::url("app.css");
    let asset = app
        .client
        .get(format!("{}{css}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(asset.status(), StatusCode::OK);
    assert!(asset.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
}
