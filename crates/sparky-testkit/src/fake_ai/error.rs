//! Provider errors in each format's status and body shape.

use axum::response::Response;
use serde_json::json;

use super::request::Wire;
use super::script::ErrorKind;
use super::server::json_response;

pub(super) fn error_response(wire: Wire, kind: &ErrorKind, model: &str) -> Response {
    let (status, kind_name, message, openai_code) = match kind {
        ErrorKind::Unauthorized => (
            401,
            "authentication_error",
            "Incorrect API key provided: sk-wrong.".to_string(),
            "invalid_api_key",
        ),
        ErrorKind::ModelNotFound(m) => (
            404,
            "not_found_error",
            match wire {
                Wire::OpenAi => format!("The model `{m}` does not exist or you do not have access to it."),
                Wire::Anthropic => format!("model: {m}"),
                Wire::Ollama => format!("model \"{m}\" not found, try pulling it first"),
            },
            "model_not_found",
        ),
        ErrorKind::ContextTooLong => (
            400,
            "invalid_request_error",
            match wire {
                Wire::OpenAi => "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.".to_string(),
                Wire::Anthropic => "prompt is too long: 210000 tokens > 200000 maximum".to_string(),
                Wire::Ollama => "the input length exceeds the context length".to_string(),
            },
            "context_length_exceeded",
        ),
        ErrorKind::RateLimited => (
            429,
            "rate_limit_error",
            "Rate limit reached for requests".to_string(),
            "rate_limit_exceeded",
        ),
        ErrorKind::QuotaExceeded => (
            429,
            "rate_limit_error",
            "You exceeded your current quota, please check your plan and billing details.".to_string(),
            "insufficient_quota",
        ),
        ErrorKind::ServerError => (
            500,
            "api_error",
            "The server had an error while processing your request.".to_string(),
            "server_error",
        ),
        ErrorKind::Overloaded => (
            if wire == Wire::Anthropic { 529 } else { 503 },
            "overloaded_error",
            "Overloaded".to_string(),
            "overloaded",
        ),
    };
    let _ = model;
    let body = match wire {
        Wire::OpenAi => {
            json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": openai_code}})
        }
        Wire::Anthropic => {
            json!({"type": "error", "error": {"type": kind_name, "message": message}})
        }
        Wire::Ollama => json!({"error": message}),
    };
    json_response(status, body)
}
