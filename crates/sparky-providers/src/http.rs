//! The one place that talks HTTP: timeouts, retries with backoff, size limits, JSON parsing and
//! the mapping of every failure onto [`ProviderError`].

use std::time::Duration;

use reqwest::{header::RETRY_AFTER, RequestBuilder, Response, StatusCode};
use serde_json::Value;

use crate::{ProviderError, ProviderSettings};

/// Longest wait between attempts, whether from `Retry-After` or from the doubling backoff.
const MAX_DELAY: Duration = Duration::from_secs(5);
/// Largest response body accepted.
const MAX_BODY: usize = 16 * 1024 * 1024;

#[derive(Debug)]
pub(crate) struct Http {
    provider: &'static str,
    client: Result<reqwest::Client, String>,
    settings: ProviderSettings,
}

enum Attempt {
    Done(Result<Value, ProviderError>),
    Retry {
        message: String,
        after: Option<Duration>,
    },
}

impl Http {
    pub(crate) fn new(provider: &'static str, settings: ProviderSettings) -> Http {
        let client = reqwest::Client::builder()
            .user_agent(settings.user_agent.clone())
            .connect_timeout(settings.timeout)
            .build()
            .map_err(|e| e.without_url().to_string());
        Http {
            provider,
            client,
            settings,
        }
    }

    /// `{base_url}{path}` with any trailing slash of the base removed.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.settings.base_url.trim_end_matches('/'), path)
    }

    /// Sends the request `make` builds (again for each attempt) and parses the JSON answer.
    pub(crate) async fn json(
        &self,
        make: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Value, ProviderError> {
        let client = self.client.as_ref().map_err(|e| self.unavailable(e))?;
        let mut attempt: u32 = 0;
        loop {
            let request = make(client).timeout(self.settings.timeout);
            let outcome = match request.send().await {
                Ok(response) => self.handle(response).await,
                Err(e) => self.on_error(e),
            };
            match outcome {
                Attempt::Done(result) => return result,
                Attempt::Retry { message, after } => {
                    if attempt >= self.settings.retries {
                        tracing::warn!(provider = self.provider, attempts = attempt + 1, %message, "provider unavailable");
                        return Err(self.unavailable(message));
                    }
                    let delay = after
                        .unwrap_or_else(|| self.backoff(attempt))
                        .min(MAX_DELAY);
                    tracing::info!(provider = self.provider, attempt = attempt + 1, ?delay, %message, "retrying provider request");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
            }
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.checked_pow(attempt).unwrap_or(u32::MAX);
        self.settings
            .backoff
            .checked_mul(factor)
            .unwrap_or(MAX_DELAY)
    }

    async fn handle(&self, mut response: Response) -> Attempt {
        let status = response.status();
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            let after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|secs| Duration::from_secs(secs).min(MAX_DELAY));
            return Attempt::Retry {
                message: format!("HTTP {status}"),
                after,
            };
        }
        if status == StatusCode::NOT_FOUND {
            return Attempt::Done(Err(ProviderError::NotFound {
                provider: self.provider,
            }));
        }
        if !status.is_success() {
            return Attempt::Done(Err(self.unavailable(format!("HTTP {status}"))));
        }
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > MAX_BODY {
                        return Attempt::Done(Err(self.bad("response body too large")));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return self.on_error(e),
            }
        }
        Attempt::Done(serde_json::from_slice::<Value>(&body).map_err(|e| {
            tracing::warn!(provider = self.provider, error = %e, "provider sent malformed JSON");
            self.bad(format!("malformed JSON: {e}"))
        }))
    }

    fn on_error(&self, e: reqwest::Error) -> Attempt {
        if e.is_timeout() {
            tracing::warn!(provider = self.provider, "provider request timed out");
            return Attempt::Done(Err(ProviderError::Timeout {
                provider: self.provider,
            }));
        }
        let is_builder = e.is_builder();
        // Never echo the URL: it can carry an API key.
        let message = e.without_url().to_string();
        if is_builder {
            return Attempt::Done(Err(self.unavailable(format!("bad request: {message}"))));
        }
        Attempt::Retry {
            message,
            after: None,
        }
    }

    pub(crate) fn unavailable(&self, message: impl Into<String>) -> ProviderError {
        ProviderError::Unavailable {
            provider: self.provider,
            message: message.into(),
        }
    }

    pub(crate) fn bad(&self, message: impl Into<String>) -> ProviderError {
        ProviderError::BadResponse {
            provider: self.provider,
            message: message.into(),
        }
    }

    pub(crate) fn not_found(&self) -> ProviderError {
        ProviderError::NotFound {
            provider: self.provider,
        }
    }
}
