//! Provider configuration: the API key, the timeouts and [`ProviderConfig`].

use std::fmt;
use std::time::Duration;

use super::retry::RetryPolicy;
use super::{DEFAULT_ANTHROPIC_VERSION, DEFAULT_CONTEXT_SIZE, USER_AGENT};
#[cfg(doc)]
use crate::kind::normalise_base_url;
use crate::kind::ProviderKind;

/// An API key. Its Debug output is redacted so it cannot end up in logs.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(pub(super) String);

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
