//! Errors a person can act on, and the mapping of provider HTTP answers onto them.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

/// Everything that can go wrong talking to a model. `provider` is the label of the provider
/// (`OpenAI`, `Anthropic`, `Ollama`, or the host of a compatible server); the Display text is
/// written for the person who configured it. No variant ever contains the API key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AiError {
    #[error("{message}")]
    InvalidConfig { message: String },
    #[error("no API key is configured for {provider}")]
    MissingApiKey { provider: String },
    #[error("the API key was refused by {provider} ({status}){}", detail(.message))]
    AuthFailed {
        provider: String,
        status: u16,
        message: String,
    },
    #[error("{provider} does not know the model \"{model}\"{}{}", detail(.message), pull_hint(.provider, .model))]
    ModelNotFound {
        provider: String,
        model: String,
        message: String,
    },
    #[error("the conversation is too long for the model's context window at {provider}{}{}", detail(.message), ctx_hint(.provider))]
    ContextTooLong { provider: String, message: String },
    #[error("{provider} is rate limiting requests (429){}{}", after_hint(.retry_after), attempts_hint(.attempts))]
    RateLimited {
        provider: String,
        /// How long the provider asked us to wait, when it said.
        retry_after: Option<Duration>,
        attempts: u32,
    },
    #[error("the account at {provider} has no quota or credit left{}", detail(.message))]
    QuotaExceeded { provider: String, message: String },
    #[error("{provider} is unavailable (HTTP {status}){}{}", attempts_hint(.attempts), detail(.message))]
    Unavailable {
        provider: String,
        status: u16,
        attempts: u32,
        message: String,
    },
    #[error("cannot reach {provider} at {url}: {message}")]
    Unreachable {
        provider: String,
        url: String,
        message: String,
    },
    #[error("{provider} has no endpoint at {url} (HTTP {status}); check the base URL")]
    EndpointNotFound {
        provider: String,
        url: String,
        status: u16,
    },
    #[error("{}", timeout_text(.provider, .phase, .after))]
    Timeout {
        provider: String,
        phase: TimeoutPhase,
        after: Duration,
    },
    #[error("{provider} rejected the request ({status}){}", detail(.message))]
    Rejected {
        provider: String,
        status: u16,
        message: String,
    },
    #[error("{provider} reported an error: {message}")]
    ProviderError { provider: String, message: String },
    #[error("{provider} answered with a redirect (HTTP {status}{}); Sparky does not follow redirects: use the address it points to as the base URL", redirect_target(.location))]
    Redirected {
        provider: String,
        status: u16,
        location: String,
    },
    #[error("{provider} sent a response Sparky cannot read: {message}")]
    MalformedResponse { provider: String, message: String },
    #[error("the connection to {provider} closed before the answer was complete{}", detail(.message))]
    Interrupted { provider: String, message: String },
}

/// Which wait ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// Opening the TCP/TLS connection.
    Connect,
    /// Waiting for the response to start (a local model may be loading).
    Response,
    /// Waiting for the next piece of a streamed answer.
    Idle,
    /// The whole answer.
    Total,
}

fn redirect_target(location: &str) -> String {
    if location.trim().is_empty() {
        String::new()
    } else {
        format!(" to {}", location.trim())
    }
}

fn detail(message: &str) -> String {
    if message.trim().is_empty() {
        String::new()
    } else {
        format!(": {}", message.trim())
    }
}

fn pull_hint(provider: &str, model: &str) -> String {
    if provider == "Ollama" {
        format!(" (download it with `ollama pull {model}`)")
    } else {
        String::new()
    }
}

fn ctx_hint(provider: &str) -> String {
    if provider == "Ollama" {
        " (raise the context size, or start a new conversation)".into()
    } else {
        " (start a new conversation or use a model with a larger context)".into()
    }
}

fn after_hint(after: &Option<Duration>) -> String {
    match after {
        Some(d) => format!("; it asks to wait {} s", d.as_secs().max(1)),
        None => String::new(),
    }
}

fn attempts_hint(attempts: &u32) -> String {
    if *attempts > 1 {
        format!(" after {attempts} attempts")
    } else {
        String::new()
    }
}

fn timeout_text(provider: &str, phase: &TimeoutPhase, after: &Duration) -> String {
    let (phase, after) = (*phase, *after);
    let secs = after.as_secs_f64();
    let secs = if secs >= 1.0 {
        format!("{secs:.0} s")
    } else {
        format!("{} ms", after.as_millis())
    };
    match phase {
        TimeoutPhase::Connect => format!("could not connect to {provider} within {secs}"),
        TimeoutPhase::Response => format!("{provider} did not start answering within {secs}"),
        TimeoutPhase::Idle => {
            format!("{provider} stopped sending for {secs} in the middle of an answer")
        }
        TimeoutPhase::Total => format!("the answer from {provider} took longer than {secs}"),
    }
}

impl AiError {
    /// A stable machine-readable code for API error bodies and logs.
    pub fn code(&self) -> &'static str {
        match self {
            AiError::InvalidConfig { .. } => "ai_invalid_config",
            AiError::MissingApiKey { .. } => "ai_missing_api_key",
            AiError::AuthFailed { .. } => "ai_auth_failed",
            AiError::ModelNotFound { .. } => "ai_model_not_found",
            AiError::ContextTooLong { .. } => "ai_context_too_long",
            AiError::RateLimited { .. } => "ai_rate_limited",
            AiError::QuotaExceeded { .. } => "ai_quota_exceeded",
            AiError::Unavailable { .. } => "ai_unavailable",
            AiError::Unreachable { .. } => "ai_unreachable",
            AiError::EndpointNotFound { .. } => "ai_endpoint_not_found",
            AiError::Redirected { .. } => "ai_redirected",
            AiError::Timeout { .. } => "ai_timeout",
            AiError::Rejected { .. } => "ai_rejected",
            AiError::ProviderError { .. } => "ai_provider_error",
            AiError::MalformedResponse { .. } => "ai_malformed_response",
            AiError::Interrupted { .. } => "ai_interrupted",
        }
    }

    /// Whether the fault is in the configuration (key, model, URL) rather than transient.
    pub fn is_configuration_problem(&self) -> bool {
        matches!(
            self,
            AiError::InvalidConfig { .. }
                | AiError::MissingApiKey { .. }
                | AiError::AuthFailed { .. }
                | AiError::ModelNotFound { .. }
                | AiError::EndpointNotFound { .. }
                | AiError::Redirected { .. }
                | AiError::QuotaExceeded { .. }
        )
    }
}

/// The message a provider put in an error body: OpenAI `{"error":{"message"}}`, Anthropic
/// `{"type":"error","error":{"type","message"}}`, Ollama `{"error":"..."}`, or the raw text.
pub(crate) struct ErrorBody {
    pub message: String,
    /// `code` or `type`, lowercased, when given.
    pub code: String,
}

pub(crate) fn read_error_body(body: &str) -> ErrorBody {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    // Some proxies wrap the error in a one-element array.
    let parsed = match parsed {
        Some(Value::Array(mut items)) if !items.is_empty() => Some(items.swap_remove(0)),
        other => other,
    };
    if let Some(v) = parsed {
        let error = v.get("error").unwrap_or(&v);
        let message = match error {
            Value::String(s) => s.clone(),
            _ => error
                .get("message")
                .and_then(Value::as_str)
                .or_else(|| v.get("message").and_then(Value::as_str))
                .or_else(|| v.get("detail").and_then(Value::as_str))
                .unwrap_or("")
                .to_string(),
        };
        let code = ["code", "type", "status"]
            .iter()
            .filter_map(|k| error.get(*k))
            .find_map(|c| match c {
                Value::String(s) => Some(s.to_ascii_lowercase()),
                _ => None,
            })
            .unwrap_or_default();
        if !message.is_empty() || !code.is_empty() {
            return ErrorBody { message, code };
        }
    }
    ErrorBody {
        message: truncate(body.trim(), 300),
        code: String::new(),
    }
}

pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &s[..cut])
}

fn looks_like_context_overflow(code: &str, message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    code.contains("context_length")
        || code.contains("exceed_context")
        || [
            "context_length_exceeded",
            "context length",
            "context size",
            "context window",
            "maximum context",
            "prompt is too long",
            "too many tokens",
            "input token count",
            "reduce the length of the messages",
        ]
        .iter()
        .any(|needle| m.contains(needle))
}

fn looks_like_unknown_model(code: &str, message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    code.contains("model_not_found")
        // Anthropic: not_found_error "model: claude-x".
        || (code.contains("not_found") && m.contains("model"))
        || (m.contains("model")
            && [
                "not found",
                "does not exist",
                "not a valid model",
                "unknown model",
                "no such model",
                "not available",
                "try pulling",
            ]
            .iter()
            .any(|needle| m.contains(needle)))
}

/// Maps a final (non-retried) error status onto an [`AiError`].
pub(crate) fn classify_status(
    provider: &str,
    url: &str,
    model: &str,
    status: StatusCode,
    body: &str,
) -> AiError {
    let ErrorBody { message, code } = read_error_body(body);
    let provider = provider.to_string();
    let s = status.as_u16();
    if s == 401 || s == 403 || code.contains("authentication") || code == "invalid_api_key" {
        return AiError::AuthFailed {
            provider,
            status: s,
            message,
        };
    }
    if looks_like_context_overflow(&code, &message)
        && (s == 400 || s == 413 || s == 422 || s == 500)
    {
        return AiError::ContextTooLong { provider, message };
    }
    if looks_like_unknown_model(&code, &message) && (s == 400 || s == 404 || s == 422) {
        return AiError::ModelNotFound {
            provider,
            model: model.to_string(),
            message,
        };
    }
    if s == 404 || s == 405 {
        return AiError::EndpointNotFound {
            provider,
            url: url.to_string(),
            status: s,
        };
    }
    if s == 429 && is_quota(&code, &message) {
        return AiError::QuotaExceeded { provider, message };
    }
    if s == 402 {
        return AiError::QuotaExceeded { provider, message };
    }
    AiError::Rejected {
        provider,
        status: s,
        message,
    }
}

pub(crate) fn is_quota(code: &str, message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    code.contains("insufficient_quota")
        || m.contains("exceeded your current quota")
        || m.contains("credit balance")
        || m.contains("insufficient credits")
}

/// Maps an error reported inside a stream (OpenAI-style `{"error":...}` chunk, Anthropic
/// `event: error`, Ollama `{"error":"..."}` line).
pub(crate) fn classify_stream_error(provider: &str, model: &str, error: &Value) -> AiError {
    let ErrorBody { message, code } = read_error_body(&error.to_string());
    let provider = provider.to_string();
    if code.contains("authentication") || code.contains("permission") {
        return AiError::AuthFailed {
            provider,
            status: 401,
            message,
        };
    }
    if looks_like_context_overflow(&code, &message) {
        return AiError::ContextTooLong { provider, message };
    }
    if looks_like_unknown_model(&code, &message) {
        return AiError::ModelNotFound {
            provider,
            model: model.to_string(),
            message,
        };
    }
    if code.contains("rate_limit") {
        return AiError::RateLimited {
            provider,
            retry_after: None,
            attempts: 1,
        };
    }
    if code.contains("overloaded") {
        return AiError::Unavailable {
            provider,
            status: 529,
            attempts: 1,
            message,
        };
    }
    AiError::ProviderError {
        provider,
        message: if message.is_empty() {
            truncate(&error.to_string(), 300)
        } else {
            message
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(status: u16, body: &str) -> AiError {
        classify_status(
            "OpenAI",
            "https://x/v1/chat/completions",
            "gpt-x",
            StatusCode::from_u16(status).unwrap(),
            body,
        )
    }

    #[test]
    fn statuses_and_bodies_map_to_actionable_errors() {
        let e = classify(
            401,
            r#"{"error":{"message":"Incorrect API key provided","code":"invalid_api_key"}}"#,
        );
        assert_eq!(
            e.to_string(),
            "the API key was refused by OpenAI (401): Incorrect API key provided"
        );
        assert!(matches!(
            classify(403, ""),
            AiError::AuthFailed { status: 403, .. }
        ));
        let e = classify(
            404,
            r#"{"error":{"message":"The model `gpt-x` does not exist or you do not have access to it.","code":"model_not_found"}}"#,
        );
        assert!(matches!(e, AiError::ModelNotFound { .. }), "{e:?}");
        assert!(
            e.to_string()
                .starts_with("OpenAI does not know the model \"gpt-x\""),
            "{e}"
        );
        let e = classify(404, "404 page not found");
        assert!(matches!(e, AiError::EndpointNotFound { .. }), "{e:?}");
        assert!(e.to_string().contains("check the base URL"));
        let e = classify(
            400,
            r#"{"error":{"message":"This model's maximum context length is 8192 tokens.","code":"context_length_exceeded"}}"#,
        );
        assert!(matches!(e, AiError::ContextTooLong { .. }), "{e:?}");
        let e = classify(
            400,
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}"#,
        );
        assert!(matches!(e, AiError::ContextTooLong { .. }), "{e:?}");
        let e = classify(
            400,
            r#"{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error"}}"#,
        );
        assert!(matches!(e, AiError::ContextTooLong { .. }), "{e:?}");
        let e = classify(
            429,
            r#"{"error":{"message":"You exceeded your current quota","code":"insufficient_quota"}}"#,
        );
        assert!(matches!(e, AiError::QuotaExceeded { .. }), "{e:?}");
        let e = classify(
            400,
            r#"{"error":{"message":"temperature must be at most 2"}}"#,
        );
        assert_eq!(
            e.to_string(),
            "OpenAI rejected the request (400): temperature must be at most 2"
        );
        let e = classify_status(
            "Ollama",
            "http://h/api/chat",
            "llama3.2",
            StatusCode::NOT_FOUND,
            r#"{"error":"model \"llama3.2\" not found, try pulling it first"}"#,
        );
        assert!(e.to_string().contains("ollama pull llama3.2"), "{e}");
    }

    #[test]
    fn error_codes_are_stable() {
        let e = AiError::Unreachable {
            provider: "Ollama".into(),
            url: "http://127.0.0.1:9".into(),
            message: "connection refused".into(),
        };
        assert_eq!(e.code(), "ai_unreachable");
        assert_eq!(
            e.to_string(),
            "cannot reach Ollama at http://127.0.0.1:9: connection refused"
        );
    }
}
