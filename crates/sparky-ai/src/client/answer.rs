//! The ways to get an answer (streamed, collected, unstreamed) and the model list.

use serde_json::Value;
use tokio::time::Instant;

use super::{AiClient, MAX_BODY};
use crate::error::AiError;
use crate::kind::WireFormat;
use crate::model::{ChatRequest, ChatResponse, ResponseBuilder};
use crate::stream::{ChatStream, WireDecoder};
use crate::wire;

impl AiClient {
    /// Starts a streamed answer. Returns once the provider accepted the request (after any
    /// retries); errors before that are returned here, errors after it arrive in the stream.
    pub async fn stream(&self, req: &ChatRequest) -> Result<ChatStream, AiError> {
        let started = Instant::now();
        let body = self.request_body(req, true);
        let response = self.send(&body, &req.model, started).await?;
        let provider = self.inner.label.clone();
        // A server that ignores `"stream": true` answers one JSON document: read as such. A
        // web page is a wrong base URL, said so (it was "the connection closed before the
        // answer was complete").
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        if content_type == "application/json" {
            let bytes = self.read_body(response, MAX_BODY, started).await?;
            let events = self.parse_whole_answer(&bytes, &req.model)?;
            return Ok(ChatStream::from_events(
                events.into_iter().map(Ok).collect(),
                provider,
            ));
        }
        if content_type == "text/html" {
            return Err(AiError::MalformedResponse {
                provider,
                message:
                    "it answered a web page (text/html), not a stream of events; check the base URL"
                        .into(),
            });
        }
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
        let events = self.parse_whole_answer(&bytes, &req.model)?;
        let mut builder = ResponseBuilder::default();
        for e in events {
            builder.push(e);
        }
        builder.build().ok_or_else(|| AiError::MalformedResponse {
            provider: provider.clone(),
            message: "the answer has no finish reason".into(),
        })
    }

    /// The events of an answer sent whole, as one JSON document.
    fn parse_whole_answer(
        &self,
        bytes: &[u8],
        model: &str,
    ) -> Result<Vec<crate::model::StreamEvent>, AiError> {
        let provider = &self.inner.label;
        let v: Value = serde_json::from_slice(bytes).map_err(|e| AiError::MalformedResponse {
            provider: provider.clone(),
            message: format!("the answer is not JSON: {e}"),
        })?;
        match self.kind().wire_format() {
            WireFormat::OpenAiChat => wire::openai::parse_full(&v, provider, model),
            WireFormat::AnthropicMessages => wire::anthropic::parse_full(&v, provider, model),
            WireFormat::OllamaChat => wire::ollama::parse_full(&v, provider, model),
        }
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
}
