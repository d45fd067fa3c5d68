//! `/mcp`: the assistant's tools as a Model Context Protocol server over streamable HTTP
//! (revisions 2024-11-05 to 2025-06-18), authenticated like the API (Bearer API key). The
//! protocol lives in `sparky_app::assistant::mcp`; this module is the transport:
//!
//! - `POST` carries one JSON-RPC message (or, up to revision 2025-03-26, a batch of them). A
//!   request is answered with JSON, or with a `text/event-stream` of `message` events when the
//!   client accepts only that; a notification or a response is acknowledged with 202 and no
//!   body.
//! - Sparky sends no server-initiated messages and keeps no sessions (no `Mcp-Session-Id`), so
//!   `GET` (the stream for such messages) and `DELETE` (ending a session) are 405 with
//!   `Allow: POST`, as the transport specification provides.
//! - `Mcp-Protocol-Version`, when sent, must name a revision this server speaks (400 if not).
//! - A body that is not JSON, or not a JSON-RPC message or batch, is answered 400 with a
//!   JSON-RPC error whose `id` is null (-32700 parse error, -32600 invalid request), as
//!   JSON-RPC clients expect; authentication, size and media type errors keep the API's
//!   error shape.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{json, Value};
use sparky_app::assistant::mcp;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{IntoParams, PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(mcp_message, mcp_stream, mcp_end_session))
}

/// A protocol revision this server speaks (`sparky_app::assistant::mcp::PROTOCOL_VERSIONS`).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub enum McpProtocolVersion {
    #[serde(rename = "2025-06-18")]
    V2025_06_18,
    #[serde(rename = "2025-03-26")]
    V2025_03_26,
    #[serde(rename = "2024-11-05")]
    V2024_11_05,
}

/// What `POST /mcp` takes: one JSON-RPC message, or a batch (revisions up to 2025-03-26).
pub struct McpBody;

impl PartialSchema for McpBody {
    fn schema() -> RefOr<Schema> {
        let message = || ObjectBuilder::new().schema_type(Type::Object);
        OneOfBuilder::new()
            .item(message().description(Some("One JSON-RPC 2.0 message")))
            .item(
                ArrayBuilder::new()
                    .items(message())
                    .min_items(Some(1))
                    .max_items(Some(mcp::MAX_BATCH))
                    .description(Some(
                        "A batch of JSON-RPC 2.0 messages (not with revision 2025-06-18)",
                    )),
            )
            .into()
    }
}

impl ToSchema for McpBody {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("McpBody")
    }
}

/// A JSON-RPC error answering no particular request (`id` null), sent with 400.
#[derive(Serialize, ToSchema)]
pub struct McpErrorBody {
    /// Always `2.0`.
    #[schema(pattern = "^2\\.0$")]
    jsonrpc: String,
    /// Always null: the message could not be read, so it has no id to answer.
    id: Option<i64>,
    error: McpError,
}

/// The error of an [`McpErrorBody`].
#[derive(Serialize, ToSchema)]
pub struct McpError {
    /// -32700 (parse error: not JSON) or -32600 (invalid request).
    #[schema(minimum = -32700, maximum = -32600)]
    code: i64,
    message: String,
}

/// JSON-RPC's code for a body that is not JSON.
const PARSE_ERROR: i64 = -32700;
/// JSON-RPC's code for JSON that is not a valid request.
const INVALID_REQUEST: i64 = -32600;

/// A 400 whose body is a JSON-RPC error with a null id.
fn rpc_error(code: i64, message: impl Into<String>) -> Response {
    let body = json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": {"code": code, "message": message.into()},
    });
    (StatusCode::BAD_REQUEST, ApiJson(body)).into_response()
}

/// The MCP request headers Sparky reads.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct McpHeaders {
    /// The revision negotiated by `initialize`; clients send it on every later request.
    /// Optional (without it the message is answered as usual).
    #[param(rename = "Mcp-Protocol-Version", value_type = McpProtocolVersion, inline, required = false)]
    mcp_protocol_version: Option<String>,
}

/// Model Context Protocol (streamable HTTP): send one JSON-RPC message, an object, or (up to
/// revision 2025-03-26) a batch: an array of at most 32 messages, answered with the array of
/// their responses (refused with 400 when `Mcp-Protocol-Version` is 2025-06-18, which has no
/// batches). A request is answered with its JSON-RPC response: as `application/json`, or as a
/// `text/event-stream` of `message` events (one per response) when `Accept` lists
/// `text/event-stream` but not JSON (clients usually send
/// `Accept: application/json, text/event-stream` and get JSON). Notifications and responses
/// are accepted with 202. Methods: `initialize` (answers with the revision the client asked for
/// when supported, else the newest), `ping`, `tools/list`, `tools/call`. Tools: the
/// assistant's (search foods, log food, save a recipe, exercise, measurements and water, read
/// day, range, top foods and goals, update a goal, undo); each call runs as the key's user.
/// A JSON-RPC body: JSON like the API's, except that text with control characters is let
/// through, so that the tool it is for answers with the message's id (the tools refuse it).
struct RpcJson(Value);

impl<S: Send + Sync> axum::extract::FromRequest<S> for RpcJson {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let bytes = crate::extract::json_bytes(req, state).await?;
        crate::extract::parse_json_any_text(&bytes).map(RpcJson)
    }
}

#[utoipa::path(post, path = "/mcp", tag = "assistant",
    params(McpHeaders),
    request_body(content = McpBody, description = "A JSON-RPC 2.0 message, or a batch of them"),
    responses(
        (status = 200, description = "The JSON-RPC response, or for a batch the array of its \
            responses (an invalid message in a batch is answered there with its error)",
            content((McpBody = "application/json"), (String = "text/event-stream"))),
        (status = 202, description = "A notification or response, accepted"),
        (status = 400, description = "Not JSON (-32700), not a JSON-RPC message object or batch \
            (no batches with revision 2025-06-18), or an unsupported `Mcp-Protocol-Version` \
            (-32600): a JSON-RPC error with a null id", body = McpErrorBody),
    ))]
async fn mcp_message(
    State(state): State<AppState>,
    Auth { mut tx, .. }: Auth,
    headers: HeaderMap,
    body: Result<RpcJson, ApiError>,
) -> ApiResult<Response> {
    let who = tx.identity().await?;
    tx.commit().await?;
    let message = match body {
        Ok(RpcJson(message)) => message,
        // Malformed JSON; too large, not JSON by media type, a NUL: the API's errors.
        Err(e) if e.status == StatusCode::BAD_REQUEST => {
            return Ok(rpc_error(
                PARSE_ERROR,
                format!("Parse error: {}", e.message),
            ))
        }
        Err(e) => return Err(e),
    };
    if let Some(version) = headers.get("mcp-protocol-version") {
        let version = version.to_str().unwrap_or_default();
        if !mcp::supports(version) {
            return Ok(rpc_error(
                INVALID_REQUEST,
                format!(
                    "Bad Request: unsupported protocol version: Mcp-Protocol-Version must be \
                     one of {}",
                    mcp::PROTOCOL_VERSIONS.join(", ")
                ),
            ));
        }
    }
    match &message {
        Value::Object(_) => {}
        // Revision 2025-06-18 dropped JSON-RPC batching; the earlier ones have it.
        Value::Array(_) if negotiated(&headers) == Some(NO_BATCHES) => {
            return Ok(rpc_error(
                INVALID_REQUEST,
                format!("MCP {NO_BATCHES} has no batches: send one JSON-RPC message object"),
            ));
        }
        Value::Array(batch) if batch.is_empty() || batch.len() > mcp::MAX_BATCH => {
            return Ok(rpc_error(
                INVALID_REQUEST,
                format!("a batch holds 1 to {} messages", mcp::MAX_BATCH),
            ));
        }
        Value::Array(batch) if !batch.iter().all(Value::is_object) => {
            return Ok(rpc_error(
                INVALID_REQUEST,
                "a batch holds JSON-RPC message objects",
            ));
        }
        Value::Array(_) => {}
        _ => {
            return Ok(rpc_error(
                INVALID_REQUEST,
                "send one JSON-RPC message object (or, up to MCP 2025-03-26, an array of them)",
            ))
        }
    }
    Ok(match mcp::handle(&state.db, who, message).await {
        Some(answer) if event_stream_only(&headers) => event_stream(&answer),
        Some(answer) => ApiJson(answer).into_response(),
        None => StatusCode::ACCEPTED.into_response(),
    })
}

/// The first revision without JSON-RPC batches.
const NO_BATCHES: &str = "2025-06-18";

/// The revision the client said it negotiated (`Mcp-Protocol-Version`), if any.
fn negotiated(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("mcp-protocol-version")
        .and_then(|v| v.to_str().ok())
}

/// The stream for server-initiated messages. Sparky sends none, so this is always 405 (after
/// authentication): clients then use POST alone.
#[utoipa::path(get, path = "/mcp", tag = "assistant",
    responses(
        (status = 405, description = "No server-initiated stream; POST messages instead",
            body = ErrorBody, headers(("Allow" = String, description = "`POST`"))),
    ))]
async fn mcp_stream(Auth { mut tx, .. }: Auth) -> ApiResult<Response> {
    tx.user_id().await?;
    tx.commit().await?;
    Ok(method_not_allowed(
        "this MCP server sends no server-initiated messages: POST JSON-RPC messages to /mcp",
    ))
}

/// Ending a session. Sparky's MCP server keeps no sessions, so this is always 405 (after
/// authentication).
#[utoipa::path(delete, path = "/mcp", tag = "assistant",
    responses(
        (status = 405, description = "No sessions to end", body = ErrorBody,
            headers(("Allow" = String, description = "`POST`"))),
    ))]
async fn mcp_end_session(Auth { mut tx, .. }: Auth) -> ApiResult<Response> {
    tx.user_id().await?;
    tx.commit().await?;
    Ok(method_not_allowed(
        "this MCP server keeps no sessions, so there is none to end",
    ))
}

fn method_not_allowed(message: &str) -> Response {
    let mut response = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        message,
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    response
}

/// Whether the client accepts `text/event-stream` and not JSON (`Accept`, with `q=0` meaning
/// "not acceptable"). No `Accept`, `*/*` or `application/*` all mean JSON.
fn event_stream_only(headers: &HeaderMap) -> bool {
    let (mut json, mut sse) = (false, false);
    let mut any = false;
    for value in headers.get_all(header::ACCEPT) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let essence = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            if essence.is_empty() {
                continue;
            }
            any = true;
            let refused = parts.any(|p| {
                let p = p.trim();
                p.strip_prefix("q=")
                    .or_else(|| p.strip_prefix("Q="))
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            if refused {
                continue;
            }
            match essence.as_str() {
                "application/json" | "application/*" | "*/*" => json = true,
                "text/event-stream" => sse = true,
                _ => {}
            }
        }
    }
    any && sse && !json
}

/// The answer as a complete server-sent event stream: one `message` event per JSON-RPC
/// response (a batch's answers one by one).
fn event_stream(answer: &Value) -> Response {
    let messages = match answer {
        Value::Array(all) => all.as_slice(),
        one => std::slice::from_ref(one),
    };
    let body: String = messages
        .iter()
        .map(|m| format!("event: message\ndata: {m}\n\n"))
        .collect();
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn json_unless_only_the_event_stream_is_accepted() {
        assert!(!event_stream_only(&accept(&[])));
        assert!(!event_stream_only(&accept(&[
            "application/json, text/event-stream"
        ])));
        assert!(!event_stream_only(&accept(&["*/*"])));
        assert!(!event_stream_only(&accept(&["text/event-stream", "*/*"])));
        assert!(event_stream_only(&accept(&["text/event-stream"])));
        assert!(event_stream_only(&accept(&[
            "Text/Event-Stream; charset=utf-8"
        ])));
        assert!(event_stream_only(&accept(&[
            "text/event-stream, application/json;q=0"
        ])));
        assert!(!event_stream_only(&accept(&[
            "text/event-stream;q=0, application/json"
        ])));
    }

    #[test]
    fn the_documented_versions_are_the_supported_ones() {
        let documented: Vec<String> = [
            McpProtocolVersion::V2025_06_18,
            McpProtocolVersion::V2025_03_26,
            McpProtocolVersion::V2024_11_05,
        ]
        .iter()
        .map(|v| {
            serde_json::to_value(v)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
        assert_eq!(documented, mcp::PROTOCOL_VERSIONS);
    }
}
