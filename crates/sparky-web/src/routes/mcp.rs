//! `/mcp`: the assistant's tools as a Model Context Protocol server over streamable HTTP
//! (JSON responses; no server-initiated stream), authenticated like the API (Bearer API key).
//! The protocol lives in `sparky_app::assistant::mcp`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(mcp_message))
}

/// Model Context Protocol (streamable HTTP): send one JSON-RPC message (an object; batches are
/// not part of the current MCP transport and are refused with 400); requests are answered with
/// JSON, notifications with 202. Tools: the assistant's (search, log food,
/// exercise, measurements and water, read day/range/goals, update a goal, undo).
#[utoipa::path(post, path = "/mcp", tag = "assistant",
    request_body(content = Object, description = "A JSON-RPC 2.0 message"),
    responses(
        (status = 200, description = "The JSON-RPC answer", body = Object),
        (status = 202, description = "A notification, accepted"),
        (status = 400, description = "Not one JSON-RPC message object", body = ErrorBody),
    ))]
async fn mcp_message(
    State(state): State<AppState>,
    Auth { mut tx, .. }: Auth,
    ApiJson(message): ApiJson<Value>,
) -> ApiResult<Response> {
    let user_id = tx.user_id().await?;
    tx.commit().await?;
    if !message.is_object() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "send one JSON-RPC message object",
        ));
    }
    Ok(
        match sparky_app::assistant::mcp::handle(&state.db, user_id, message).await {
            Some(answer) => ApiJson(answer).into_response(),
            None => StatusCode::ACCEPTED.into_response(),
        },
    )
}
