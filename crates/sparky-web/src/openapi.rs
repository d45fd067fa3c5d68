//! The OpenAPI 3.1 document, generated from the handlers' annotations, and a docs page
//! rendered from it on the server (no scripts, no CDN: it works offline).

use std::fmt::Write;
use std::sync::Arc;

use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::OpenApi;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sparky API",
        description = "Self-hosted fitness tracking. Authenticate with the session cookie from \
            `POST /api/v1/auth/login` or with an API key: `Authorization: Bearer <api key>` or \
            `X-API-Key: <api key>`. Errors always have \
            the shape `{\"error\": {\"code\", \"message\", \"fields\"}}`. Per-user endpoints take \
            `?user_id=` to act on data another user shared with you (family access).",
        license(name = "AGPL-3.0-or-later")
    ),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail))
)]
pub struct ApiDoc;

pub fn base() -> OpenApiDoc {
    ApiDoc::openapi()
}

/// Operations anyone may call without signing in.
const PUBLIC: &[(&str, &str)] = &[
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/auth/login"),
];

/// Security schemes, and the parts every operation shares: the two ways to authenticate and
/// the 401 on every operation that needs them; 400/408/413/415 wherever a body is read; 422
/// wherever input is validated; 429 on sign-in; 503 everywhere (database unavailable, or the
/// request took too long and was cancelled).
pub fn finish(doc: &mut OpenApiDoc) {
    use utoipa::openapi::path::HttpMethod;
    use utoipa::openapi::security::SecurityRequirement;
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};

    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
            crate::auth::SESSION_COOKIE,
        ))),
    );
    components.add_security_scheme(
        "api_key",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    // The same API key in the header SparkyFitness's clients use (when there is no
    // Authorization header).
    components.add_security_scheme(
        "api_key_header",
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
    );
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build()
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops = [
            (HttpMethod::Get, "get", &mut item.get),
            (HttpMethod::Put, "put", &mut item.put),
            (HttpMethod::Post, "post", &mut item.post),
            (HttpMethod::Delete, "delete", &mut item.delete),
            (HttpMethod::Patch, "patch", &mut item.patch),
        ];
        for (_, name, op) in ops {
            let Some(op) = op.as_mut() else { continue };
            let public = PUBLIC.contains(&(name, path.as_str()));
            let responses = &mut op.responses.responses;
            let mut add = |code: &str, description: &str| {
                responses
                    .entry(code.to_string())
                    .or_insert_with(|| error(description).into());
            };
            if !public {
                op.security = Some(vec![
                    SecurityRequirement::new("session", Vec::<String>::new()),
                    SecurityRequirement::new("api_key", Vec::<String>::new()),
                    SecurityRequirement::new("api_key_header", Vec::<String>::new()),
                ]);
                add(
                    "401",
                    "Not signed in, or the session or API key is not valid",
                );
            }
            let has_body = op.request_body.is_some();
            let acts_for_others = op.parameters.iter().flatten().any(|p| {
                p.name == "user_id"
                    && matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query)
            });
            if has_body {
                add("400", "Malformed JSON");
                add(
                    "408",
                    "The body stopped arriving for SPARKY_BODY_TIMEOUT_MS (60 s by default); the connection is closed",
                );
                add("413", "The body is larger than the server accepts");
                add("415", "The body is not JSON, or is sent compressed (`Content-Encoding`, with `Accept-Encoding: identity` in the answer)");
            }
            // Every operation refuses query parameters it does not declare (query_names.rs).
            add("422", "Invalid input; `fields` names each problem");
            if acts_for_others {
                add(
                    "404",
                    "No such user, or that user has not shared this with you (`user_id`)",
                );
            }
            if public && (path.ends_with("/login") || path.ends_with("/register")) {
                add("429", "Too many attempts; wait for `Retry-After` seconds");
            }
            add(
                "503",
                "The database is unavailable, or the request took too long and was cancelled",
            );
        }
    }
}

/// The document as served. utoipa writes Sparky's `Date` inline as a plain `format: date`
/// (it takes the name for chrono's), which loses the accepted range; it is put back here on
/// every date that has no description of its own.
pub fn to_json(doc: &OpenApiDoc) -> Value {
    fn describe_dates(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if map.get("format").and_then(Value::as_str) == Some("date")
                    && !map.contains_key("description")
                {
                    map.insert(
                        "description".into(),
                        Value::String("A calendar date, 1900-01-01 to 2199-12-31".into()),
                    );
                }
                map.values_mut().for_each(describe_dates);
            }
            Value::Array(items) => items.iter_mut().for_each(describe_dates),
            _ => {}
        }
    }
    let mut json = serde_json::to_value(doc).unwrap_or(Value::Null);
    describe_dates(&mut json);
    json
}

pub fn router(doc: Arc<OpenApiDoc>) -> Router<AppState> {
    let json: Arc<Value> = Arc::new(to_json(&doc));
    let page = Arc::new(render(&json));
    let j = json.clone();
    Router::new()
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let j = j.clone();
                async move { Json((*j).clone()).into_response() }
            }),
        )
        .route(
            "/api/docs",
            get(move || {
                let page = page.clone();
                async move { Html((*page).clone()) }
            }),
        )
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn schema_name(v: &Value) -> String {
    if let Some(r) = v.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_string();
    }
    if let Some(items) = v.get("items") {
        return format!("[{}]", schema_name(items));
    }
    v.get("type")
        .map(|t| match t {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .unwrap_or_else(|| "object".into())
}

fn render(doc: &Value) -> String {
    let mut out = String::new();
    let title = doc["info"]["title"].as_str().unwrap_or("API");
    let _ = write!(
        out,
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content='width=device-width,initial-scale=1'>\
         <title>{t} reference</title><style>\
         body{{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}}\
         code,pre{{font-family:ui-monospace,monospace;font-size:13px}}pre{{background:#f5f5f5;padding:.6rem;overflow:auto}}\
         .op{{border-top:1px solid #ddd;padding:.6rem 0}}.m{{display:inline-block;min-width:4.5rem;font-weight:700}}\
         .get{{color:#0a6}}.post{{color:#06c}}.put{{color:#a60}}.delete{{color:#c03}}.patch{{color:#85c}}\
         table{{border-collapse:collapse}}td,th{{padding:.15rem .6rem;text-align:left;vertical-align:top}}\
         </style></head><body><h1>{t}</h1><p>{d}</p><p>Machine-readable: <a href='/api/v1/openapi.json'>/api/v1/openapi.json</a> (OpenAPI {v})</p>",
        t = esc(title),
        d = esc(doc["info"]["description"].as_str().unwrap_or("")),
        v = esc(doc["openapi"].as_str().unwrap_or("")),
    );
    out.push_str("<h2>Endpoints</h2>");
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for method in ["get", "post", "put", "patch", "delete"] {
                let Some(op) = item.get(method) else { continue };
                let _ = write!(
                    out,
                    "<div class=op><div><span class='m {method}'>{}</span><code>{}</code></div>",
                    method.to_uppercase(),
                    esc(path)
                );
                if let Some(s) = op["summary"].as_str() {
                    let _ = write!(out, "<div><b>{}</b></div>", esc(s));
                }
                if let Some(d) = op["description"].as_str() {
                    let _ = write!(out, "<div>{}</div>", esc(d));
                }
                if let Some(params) = op["parameters"].as_array() {
                    out.push_str(
                        "<table><tr><th>parameter</th><th>in</th><th>type</th><th></th></tr>",
                    );
                    for p in params {
                        let _ =
                            write!(
                            out,
                            "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                            esc(p["name"].as_str().unwrap_or("")),
                            if p["required"].as_bool() == Some(true) { " *" } else { "" },
                            esc(p["in"].as_str().unwrap_or("")),
                            esc(&schema_name(&p["schema"])),
                            esc(p["description"].as_str().unwrap_or(""))
                        );
                    }
                    out.push_str("</table>");
                }
                if let Some(body) =
                    op["requestBody"]["content"]["application/json"]["schema"].as_object()
                {
                    let _ = write!(
                        out,
                        "<div>body: <code>{}</code></div>",
                        esc(&schema_name(&Value::Object(body.clone())))
                    );
                }
                if let Some(responses) = op["responses"].as_object() {
                    out.push_str("<div>responses: ");
                    let parts: Vec<String> = responses
                        .iter()
                        .map(|(code, r)| {
                            let schema = r["content"]["application/json"]["schema"].clone();
                            let ty = if schema.is_null() {
                                String::new()
                            } else {
                                format!(" <code>{}</code>", esc(&schema_name(&schema)))
                            };
                            format!(
                                "{}{} {}",
                                esc(code),
                                ty,
                                esc(r["description"].as_str().unwrap_or(""))
                            )
                        })
                        .collect();
                    out.push_str(&parts.join("; "));
                    out.push_str("</div>");
                }
                out.push_str("</div>");
            }
        }
    }
    out.push_str("<h2>Schemas</h2>");
    if let Some(schemas) = doc["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            let _ = write!(
                out,
                "<h3 id='{n}'>{n}</h3><pre>{}</pre>",
                esc(&serde_json::to_string_pretty(schema).unwrap_or_default()),
                n = esc(name)
            );
        }
    }
    out.push_str("</body></html>");
    out
}

/// The finished document, as `/api/v1/openapi.json` serves it.
#[cfg(test)]
pub(crate) fn document() -> OpenApiDoc {
    let (_, mut doc) = utoipa_axum::router::OpenApiRouter::<AppState>::with_openapi(base())
        .merge(crate::api())
        .split_for_parts();
    finish(&mut doc);
    doc
}

#[cfg(test)]
mod tests;
