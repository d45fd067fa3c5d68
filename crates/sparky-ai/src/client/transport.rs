//! Sending a request with retries, classifying failed statuses, and reading bodies.

use std::time::{Duration, SystemTime};

use reqwest::header::ACCEPT;
use reqwest::{Response, StatusCode};
use serde_json::Value;
use tokio::time::Instant;

use super::retry::{backoff, retry_after, RetryNotice};
use super::{AiClient, MAX_ERROR_BODY};
use crate::error::{classify_status, is_quota, read_error_body, AiError, TimeoutPhase};

enum Attempt {
    Retry {
        error: AiError,
        after: Option<Duration>,
    },
    Fatal(AiError),
}

impl AiClient {
    pub(super) async fn send(
        &self,
        body: &Value,
        model: &str,
        started: Instant,
    ) -> Result<Response, AiError> {
        self.send_to(&self.chat_url(), Some(body), model, started)
            .await
    }

    /// Sends (POST with a body, GET without), retrying per the policy until the provider
    /// answers with a success status.
    pub(super) async fn send_to(
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
    pub(super) async fn read_body(
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
