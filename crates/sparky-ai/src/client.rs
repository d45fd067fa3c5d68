//! The client: configuration, sending with retries, and the three ways to get an answer.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, RETRY_AFTER};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use tokio::time::Instant;

use crate::error::{classify_status, is_quota, read_error_body, AiError, TimeoutPhase};
use crate::kind::{normalise_base_url, ProviderKind, WireFormat};
use crate::model::{ChatRequest, ChatResponse, ResponseBuilder};
use crate::stream::{ChatStream, WireDecoder};
use crate::wire;

/// The User-Agent every request carries.
pub const USER_AGENT: &str = concat!("Sparky/", env!("CARGO_PKG_VERSION"), " (assistant)");
/// Default context size asked of Ollama (its own default of 4096 truncates the tools).
pub const DEFAULT_CONTEXT_SIZE: u32 = 16384;
/// The `anthropic-version` header sent by default.
pub const DEFAULT_ANTHROPIC_VERSION: &str = "2023-06-01";
/// Largest error body read (the rest is ignored).
const MAX_ERROR_BODY: usize = 64 * 1024;
/// Largest non-streamed answer accepted.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// An API key. Its Debug output is redacted so it cannot end up in logs.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into().trim().to_string())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

/// How long to wait for what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Opening the connection (default 10 s).
    pub connect: Duration,
    /// From sending the request to the response headers (default 300 s: a local server may
    /// load the model and read a long prompt first).
    pub response: Duration,
    /// Between two pieces of a streamed answer, or while reading a non-streamed one
    /// (default 120 s).
    pub idle: Duration,
    /// The whole call (default 900 s).
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(10),
            response: Duration::from_secs(300),
            idle: Duration::from_secs(120),
            total: Duration::from_secs(900),
        }
    }
}

/// A retry about to happen, for logs or a "retrying…" note in the UI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryNotice {
    /// The attempt that failed (1 for the first request).
    pub attempt: u32,
    /// How long we wait before the next one.
    pub delay: Duration,
    /// Whether the delay came from the provider's `Retry-After`.
    pub from_retry_after: bool,
    pub reason: String,
}

pub type RetryObserver = Arc<dyn Fn(&RetryNotice) + Send + Sync>;

/// When to try again. Retried: 429 (except "no quota left"), 408, 5xx (including
/// Anthropic's 529), and connection failures, all before any part of an answer arrived.
#[derive(Clone)]
pub struct RetryPolicy {
    /// Further attempts after the first (default 3).
    pub max_retries: u32,
    /// The wait before the first retry; doubled for each further one (default 500 ms).
    pub initial_backoff: Duration,
    /// Cap on any wait (default 20 s). A provider asking, via `Retry-After`, for a longer
    /// wait gets no retry: the error says how long it asked for instead.
    pub max_backoff: Duration,
    pub on_retry: Option<RetryObserver>,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(20),
            on_retry: None,
        }
    }
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("max_retries", &self.max_retries)
            .field("initial_backoff", &self.initial_backoff)
            .field("max_backoff", &self.max_backoff)
            .field("on_retry", &self.on_retry.is_some())
            .finish()
    }
}

/// Everything needed to talk to one provider.
#[derive(Clone, Debug)]
pub struct ProviderConfig {
    pub kind: ProviderKind,
    /// As pasted; normalised by [`normalise_base_url`]. `None` = the kind's default.
    pub base_url: Option<String>,
    pub api_key: Option<ApiKey>,
    /// The name used in error messages; default: the kind's name, or the host of a generic
    /// compatible server (`api.groq.com`).
    pub label: Option<String>,
    /// Context size for Ollama when the request does not set one.
    pub context_size: u32,
    pub timeouts: Timeouts,
    pub retry: RetryPolicy,
    pub anthropic_version: String,
    pub user_agent: String,
    /// Sent with every request (e.g. OpenRouter's `HTTP-Referer`, `X-Title`).
    pub extra_headers: Vec<(String, String)>,
    /// Connect only to public addresses: a literal private address is refused here and a
    /// name is checked at every connection ([`crate::PublicOnlyResolver`]), so a provider a
    /// user chose cannot reach the server's own network. Redirects are never followed.
    pub public_only: bool,
}

impl ProviderConfig {
    pub fn new(kind: ProviderKind) -> ProviderConfig {
        ProviderConfig {
            kind,
            base_url: None,
            api_key: None,
            label: None,
            context_size: DEFAULT_CONTEXT_SIZE,
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            anthropic_version: DEFAULT_ANTHROPIC_VERSION.to_string(),
            user_agent: USER_AGENT.to_string(),
            extra_headers: Vec::new(),
            public_only: false,
        }
    }

    pub fn base_url(mut self, url: impl Into<String>) -> ProviderConfig {
        self.base_url = Some(url.into());
        self
    }

    /// Sets the key; an empty one counts as none.
    pub fn api_key(mut self, key: impl Into<String>) -> ProviderConfig {
        let key = ApiKey::new(key);
        self.api_key = (!key.0.is_empty()).then_some(key);
        self
    }
}

/// A client for one provider. Cheap to clone; share one per configuration.
#[derive(Clone, Debug)]
pub struct AiClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: ProviderConfig,
    base_url: String,
    label: String,
    http: reqwest::Client,
}

enum Attempt {
    Retry {
        error: AiError,
        after: Option<Duration>,
    },
    Fatal(AiError),
}

impl AiClient {
    /// Checks the configuration (base URL, key where required) and builds the client.
    pub fn new(config: ProviderConfig) -> Result<AiClient, AiError> {
        let kind = config.kind;
        let raw = match config.base_url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => url.to_string(),
            _ => kind
                .default_base_url()
                .ok_or_else(|| AiError::InvalidConfig {
                    message: "an OpenAI-compatible provider needs a base URL (for example \
                              http://localhost:8080/v1 for llama.cpp)"
                        .into(),
                })?
                .to_string(),
        };
        let base_url = normalise_base_url(kind, &raw)?;
        let label = match config.label.as_deref().map(str::trim) {
            Some(l) if !l.is_empty() => l.to_string(),
            _ if kind == ProviderKind::OpenAiCompatible => reqwest::Url::parse(&base_url)
                .ok()
                .and_then(|u| {
                    u.host_str().map(|h| match u.port() {
                        Some(p) => format!("{h}:{p}"),
                        None => h.to_string(),
                    })
                })
                .unwrap_or_else(|| kind.display_name().to_string()),
            _ => kind.display_name().to_string(),
        };
        if kind.requires_api_key() && config.api_key.is_none() {
            return Err(AiError::MissingApiKey { provider: label });
        }
        if config.public_only {
            // A literal address is not resolved, so the resolver cannot refuse it.
            let host = reqwest::Url::parse(&base_url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default();
            let literal = host.trim_start_matches('[').trim_end_matches(']');
            if literal
                .parse::<std::net::IpAddr>()
                .is_ok_and(crate::net::is_private)
            {
                return Err(AiError::InvalidConfig {
                    message: format!(
                        "{host} is a private-network address, which only the administrator may use"
                    ),
                });
            }
        }
        let mut headers = HeaderMap::new();
        for (name, value) in &config.extra_headers {
            let parsed = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            );
            let (Ok(n), Ok(v)) = parsed else {
                return Err(AiError::InvalidConfig {
                    message: format!("the extra header \"{name}\" is not a valid header"),
                });
            };
            headers.insert(n, v);
        }
        if let Some(key) = &config.api_key {
            let mut add = |name: HeaderName, value: String| -> Result<(), AiError> {
                let mut v = HeaderValue::from_str(&value).map_err(|_| AiError::InvalidConfig {
                    message: format!(
                        "the API key for {label} contains characters that cannot be sent"
                    ),
                })?;
                v.set_sensitive(true);
                headers.insert(name, v);
                Ok(())
            };
            match kind.wire_format() {
                WireFormat::AnthropicMessages => {
                    add(HeaderName::from_static("x-api-key"), key.0.clone())?
                }
                WireFormat::OpenAiChat | WireFormat::OllamaChat => {
                    add(AUTHORIZATION, format!("Bearer {}", key.0))?
                }
            }
        }
        if kind.wire_format() == WireFormat::AnthropicMessages {
            let version = HeaderValue::from_str(&config.anthropic_version).map_err(|_| {
                AiError::InvalidConfig {
                    message: "the anthropic-version is not a valid header value".into(),
                }
            })?;
            headers.insert(HeaderName::from_static("anthropic-version"), version);
        }
        let mut http = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .connect_timeout(config.timeouts.connect)
            .default_headers(headers)
            // An API has no reason to redirect, and a redirect could lead anywhere.
            .redirect(reqwest::redirect::Policy::none());
        if config.public_only {
            http = http.dns_resolver(Arc::new(crate::net::PublicOnlyResolver));
        }
        let http = http.build().map_err(|e| AiError::InvalidConfig {
            message: format!("cannot set up the HTTP client: {}", root_cause(&e)),
        })?;
        Ok(AiClient {
            inner: Arc::new(Inner {
                config,
                base_url,
                label,
                http,
            }),
        })
    }

    pub fn kind(&self) -> ProviderKind {
        self.inner.config.kind
    }

    /// The normalised base URL.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The name errors use for this provider.
    pub fn label(&self) -> &str {
        &self.inner.label
    }

    /// The URL chat requests go to.
    pub fn chat_url(&self) -> String {
        let base = &self.inner.base_url;
        match self.kind().wire_format() {
            WireFormat::OpenAiChat => format!("{base}/chat/completions"),
            WireFormat::AnthropicMessages => format!("{base}/messages"),
            WireFormat::OllamaChat => format!("{base}/api/chat"),
        }
    }

    /// The request body that would be sent (for logs and tests).
    pub fn request_body(&self, req: &ChatRequest, stream: bool) -> Value {
        match self.kind().wire_format() {
            WireFormat::OpenAiChat => wire::openai::body(req, self.kind(), stream),
            WireFormat::AnthropicMessages => wire::anthropic::body(req, stream),
            WireFormat::OllamaChat => {
                wire::ollama::body(req, self.inner.config.context_size, stream)
            }
        }
    }

    /// Starts a streamed answer. Returns once the provider accepted the request (after any
    /// retries); errors before that are returned here, errors after it arrive in the stream.
    pub async fn stream(&self, req: &ChatRequest) -> Result<ChatStream, AiError> {
        let started = Instant::now();
        let body = self.request_body(req, true);
        let response = self.send(&body, &req.model, started).await?;
        let provider = self.inner.label.clone();
        let decoder: Box<dyn WireDecoder> = match self.kind().wire_format() {
            WireFormat::OpenAiChat => Box::new(wire::openai::Decoder::new(
                provider.clone(),
                req.model.clone(),
            )),
            WireFormat::AnthropicMessages => Box::new(wire::anthropic::Decoder::new(
                provider.clone(),
                req.model.clone(),
            )),
            WireFormat::OllamaChat => Box::new(wire::ollama::Decoder::new(
                provider.clone(),
                req.model.clone(),
            )),
        };
        let t = self.inner.config.timeouts;
        Ok(ChatStream::from_body(
            response,
            decoder,
            provider,
            t.idle,
            started + t.total,
            t.total,
        ))
    }

    /// Streams the answer and collects it.
    pub async fn complete(&self, req: &ChatRequest) -> Result<ChatResponse, AiError> {
        self.stream(req).await?.collect_response().await
    }

    /// Asks for the whole answer in one JSON response (`"stream": false`), for servers whose
    /// streaming misbehaves. Reasoning is separated and tool calls parsed exactly as when
    /// streaming.
    pub async fn complete_unstreamed(&self, req: &ChatRequest) -> Result<ChatResponse, AiError> {
        let started = Instant::now();
        let body = self.request_body(req, false);
        let response = self.send(&body, &req.model, started).await?;
        let bytes = self.read_body(response, MAX_BODY, started).await?;
        let provider = &self.inner.label;
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| AiError::MalformedResponse {
            provider: provider.clone(),
            message: format!("the answer is not JSON: {e}"),
        })?;
        let events = match self.kind().wire_format() {
            WireFormat::OpenAiChat => wire::openai::parse_full(&v, provider, &req.model),
            WireFormat::AnthropicMessages => wire::anthropic::parse_full(&v, provider, &req.model),
            WireFormat::OllamaChat => wire::ollama::parse_full(&v, provider, &req.model),
        }?;
        let mut builder = ResponseBuilder::default();
        for e in events {
            builder.push(e);
        }
        builder.build().ok_or_else(|| AiError::MalformedResponse {
            provider: provider.clone(),
            message: "the answer has no finish reason".into(),
        })
    }

    /// The same answer as [`AiClient::complete_unstreamed`], as a stream (for callers that
    /// handle only streams).
    pub async fn stream_unstreamed(&self, req: &ChatRequest) -> Result<ChatStream, AiError> {
        let response = self.complete_unstreamed(req).await?;
        let mut events = Vec::new();
        if !response.reasoning.is_empty() {
            events.push(Ok(crate::StreamEvent::ReasoningDelta(response.reasoning)));
        }
        if !response.text.is_empty() {
            events.push(Ok(crate::StreamEvent::TextDelta(response.text)));
        }
        for call in response.tool_calls {
            events.push(Ok(crate::StreamEvent::ToolCallStarted {
                id: call.id.clone(),
                name: call.name.clone(),
            }));
            events.push(Ok(crate::StreamEvent::ToolCall(call)));
        }
        if let Some(u) = response.usage {
            events.push(Ok(crate::StreamEvent::Usage(u)));
        }
        events.push(Ok(crate::StreamEvent::Finish(response.finish_reason)));
        Ok(ChatStream::from_events(events, self.inner.label.clone()))
    }

    /// The model names the provider offers (`GET {base}/models`, Ollama `GET /api/tags`): a
    /// cheap way to test a configuration.
    pub async fn list_models(&self) -> Result<Vec<String>, AiError> {
        let started = Instant::now();
        let url = match self.kind().wire_format() {
            WireFormat::OllamaChat => format!("{}/api/tags", self.inner.base_url),
            _ => format!("{}/models", self.inner.base_url),
        };
        let response = self.send_to(&url, None, "", started).await?;
        let bytes = self.read_body(response, MAX_BODY, started).await?;
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| AiError::MalformedResponse {
            provider: self.inner.label.clone(),
            message: format!("the model list is not JSON: {e}"),
        })?;
        let list = v
            .get("data")
            .or_else(|| v.get("models"))
            .and_then(Value::as_array)
            .ok_or_else(|| AiError::MalformedResponse {
                provider: self.inner.label.clone(),
                message: "the model list has no data".into(),
            })?;
        Ok(list
            .iter()
            .filter_map(|m| {
                m.get("id")
                    .or_else(|| m.get("name"))
                    .or_else(|| m.get("model"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .collect())
    }

    async fn send(&self, body: &Value, model: &str, started: Instant) -> Result<Response, AiError> {
        self.send_to(&self.chat_url(), Some(body), model, started)
            .await
    }

    /// Sends (POST with a body, GET without), retrying per the policy until the provider
    /// answers with a success status.
    async fn send_to(
        &self,
        url: &str,
        body: Option<&Value>,
        model: &str,
        started: Instant,
    ) -> Result<Response, AiError> {
        let policy = &self.inner.config.retry;
        let timeouts = self.inner.config.timeouts;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let request = match body {
                Some(b) => self
                    .inner
                    .http
                    .post(url)
                    .header(
                        ACCEPT,
                        if b.get("stream").and_then(Value::as_bool) == Some(true) {
                            "text/event-stream, application/x-ndjson, application/json"
                        } else {
                            "application/json"
                        },
                    )
                    .json(b),
                None => self.inner.http.get(url).header(ACCEPT, "application/json"),
            };
            let outcome = match tokio::time::timeout(timeouts.response, request.send()).await {
                Err(_) => Attempt::Fatal(AiError::Timeout {
                    provider: self.inner.label.clone(),
                    phase: TimeoutPhase::Response,
                    after: timeouts.response,
                }),
                Ok(Err(e)) => self.on_send_error(&e),
                Ok(Ok(response)) if response.status().is_success() => return Ok(response),
                Ok(Ok(response)) => self.on_status(response, url, model, attempt, started).await,
            };
            let (error, after) = match outcome {
                Attempt::Fatal(e) => return Err(e),
                Attempt::Retry { error, after } => (error, after),
            };
            if attempt > policy.max_retries {
                return Err(error);
            }
            let delay = match after {
                Some(after) if after > policy.max_backoff => return Err(error),
                Some(after) => after,
                None => backoff(policy, attempt),
            };
            if started.elapsed() + delay > timeouts.total {
                return Err(error);
            }
            let notice = RetryNotice {
                attempt,
                delay,
                from_retry_after: after.is_some(),
                reason: error.to_string(),
            };
            tracing::info!(provider = %self.inner.label, attempt, ?delay, reason = %notice.reason, "retrying AI request");
            if let Some(observer) = &policy.on_retry {
                observer(&notice);
            }
            tokio::time::sleep(delay).await;
        }
    }

    fn on_send_error(&self, e: &reqwest::Error) -> Attempt {
        let provider = self.inner.label.clone();
        if e.is_timeout() {
            // Only the connect timeout is set on the client; the others are ours.
            return Attempt::Fatal(AiError::Timeout {
                provider,
                phase: TimeoutPhase::Connect,
                after: self.inner.config.timeouts.connect,
            });
        }
        if e.is_builder() {
            return Attempt::Fatal(AiError::InvalidConfig {
                message: format!("cannot build a request to {provider}: {}", root_cause(e)),
            });
        }
        Attempt::Retry {
            error: AiError::Unreachable {
                provider,
                url: self.inner.base_url.clone(),
                message: root_cause(e),
            },
            after: None,
        }
    }

    async fn on_status(
        &self,
        response: Response,
        url: &str,
        model: &str,
        attempt: u32,
        started: Instant,
    ) -> Attempt {
        let status = response.status();
        let after = retry_after(response.headers(), SystemTime::now());
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(|l| l.chars().take(200).collect::<String>())
            .unwrap_or_default();
        let body = match self.read_body(response, MAX_ERROR_BODY, started).await {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(_) => String::new(), // the status alone still says what happened
        };
        let provider = self.inner.label.clone();
        let s = status.as_u16();
        if status.is_redirection() {
            return Attempt::Fatal(AiError::Redirected {
                provider,
                status: s,
                location,
            });
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            let eb = read_error_body(&body);
            if is_quota(&eb.code, &eb.message) {
                return Attempt::Fatal(AiError::QuotaExceeded {
                    provider,
                    message: eb.message,
                });
            }
            return Attempt::Retry {
                error: AiError::RateLimited {
                    provider,
                    retry_after: after,
                    attempts: attempt,
                },
                after,
            };
        }
        if status.is_server_error() || s == 408 {
            let classified = classify_status(&provider, url, model, status, &body);
            if matches!(classified, AiError::ContextTooLong { .. }) {
                return Attempt::Fatal(classified);
            }
            return Attempt::Retry {
                error: AiError::Unavailable {
                    provider,
                    status: s,
                    attempts: attempt,
                    message: read_error_body(&body).message,
                },
                after,
            };
        }
        Attempt::Fatal(classify_status(&provider, url, model, status, &body))
    }

    /// Reads a whole body, bounded in size, within the idle and total timeouts.
    async fn read_body(
        &self,
        mut response: Response,
        limit: usize,
        started: Instant,
    ) -> Result<Vec<u8>, AiError> {
        let t = self.inner.config.timeouts;
        let deadline = started + t.total;
        let mut body = Vec::new();
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let (wait, phase, after) = if remaining <= t.idle {
                (remaining, TimeoutPhase::Total, t.total)
            } else {
                (t.idle, TimeoutPhase::Idle, t.idle)
            };
            match tokio::time::timeout(wait, response.chunk()).await {
                Err(_) => {
                    return Err(AiError::Timeout {
                        provider: self.inner.label.clone(),
                        phase,
                        after,
                    })
                }
                Ok(Err(e)) => {
                    return Err(AiError::Interrupted {
                        provider: self.inner.label.clone(),
                        message: root_cause(&e),
                    })
                }
                Ok(Ok(Some(chunk))) => {
                    let room = limit.saturating_sub(body.len());
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    if body.len() >= limit {
                        return Ok(body);
                    }
                }
                Ok(Ok(None)) => return Ok(body),
            }
        }
    }
}

fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
    policy
        .initial_backoff
        .checked_mul(factor)
        .unwrap_or(policy.max_backoff)
        .min(policy.max_backoff)
}

/// The wait a provider asked for: `retry-after-ms` (OpenAI), or `Retry-After` in seconds
/// (possibly fractional) or as an HTTP date.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = get("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        if ms.is_finite() && ms >= 0.0 {
            return Some(Duration::from_secs_f64(ms / 1000.0));
        }
    }
    let value = get(RETRY_AFTER.as_str())?;
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(date.timestamp()).ok()?);
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The innermost cause of a transport error ("Connection refused (os error 111)"), without
/// the URL.
pub(crate) fn root_cause(e: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = e;
    while let Some(next) = source.source() {
        source = next;
    }
    let text = source.to_string();
    if text.is_empty() {
        e.to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_dates_and_milliseconds() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_470); // 07:27:50 GMT
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("1.5"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_millis(1500)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(10)));
        // A date in the past means "now".
        let later = now + Duration::from_secs(60);
        assert_eq!(retry_after(&h, later), Some(Duration::ZERO));
        h.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_millis(250)));
        let mut bad = HeaderMap::new();
        bad.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&bad, now), None);
        bad.insert(RETRY_AFTER, HeaderValue::from_static("-3"));
        assert_eq!(retry_after(&bad, now), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
            ..RetryPolicy::default()
        };
        assert_eq!(backoff(&p, 1), Duration::from_millis(100));
        assert_eq!(backoff(&p, 2), Duration::from_millis(200));
        assert_eq!(backoff(&p, 3), Duration::from_millis(350));
        assert_eq!(backoff(&p, 40), Duration::from_millis(350));
    }

    #[test]
    fn configuration_is_checked() {
        let err = AiClient::new(ProviderConfig::new(ProviderKind::OpenAi)).unwrap_err();
        assert_eq!(err.to_string(), "no API key is configured for OpenAI");
        let err = AiClient::new(ProviderConfig::new(ProviderKind::OpenAiCompatible)).unwrap_err();
        assert!(err.to_string().contains("needs a base URL"), "{err}");
        let c = AiClient::new(
            ProviderConfig::new(ProviderKind::OpenAiCompatible)
                .base_url("https://api.groq.com/openai/v1/chat/completions"),
        )
        .unwrap();
        assert_eq!(c.label(), "api.groq.com");
        assert_eq!(
            c.chat_url(),
            "https://api.groq.com/openai/v1/chat/completions"
        );
        let c = AiClient::new(ProviderConfig::new(ProviderKind::Ollama)).unwrap();
        assert_eq!(c.chat_url(), "http://localhost:11434/api/chat");
        let c =
            AiClient::new(ProviderConfig::new(ProviderKind::Anthropic).api_key("sk-ant-hidden"))
                .unwrap();
        assert_eq!(c.chat_url(), "https://api.anthropic.com/v1/messages");
        let debug = format!("{c:?}");
        assert!(
            debug.contains("api.anthropic.com") && !debug.contains("sk-ant-hidden"),
            "{debug}"
        );
        let debug = format!(
            "{:?}",
            ProviderConfig::new(ProviderKind::Anthropic).api_key("sk-secret")
        );
        assert!(!debug.contains("sk-secret"), "{debug}");
    }
}
