//! The client: configuration, sending with retries, and the three ways to get an answer.

mod answer;
mod config;
mod retry;
mod transport;

use std::sync::Arc;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION};
use serde_json::Value;

use crate::error::AiError;
use crate::kind::{normalise_base_url, ProviderKind, WireFormat};
use crate::model::ChatRequest;
use crate::wire;

pub use config::{ApiKey, ProviderConfig, Timeouts};
pub use retry::{retry_after, RetryNotice, RetryObserver, RetryPolicy};
pub(crate) use transport::root_cause;

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
}

#[cfg(test)]
mod tests {
    use super::*;

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
