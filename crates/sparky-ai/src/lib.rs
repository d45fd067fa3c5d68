//! AI providers for Sparky's assistant.
//!
//! A thin client over the workspace's `reqwest` for three wire formats, behind one
//! provider-neutral model:
//!
//! | [`ProviderKind`] | wire format | default base URL |
//! |---|---|---|
//! | `openai` | chat-completions, `POST {base}/chat/completions` | `https://api.openai.com/v1` |
//! | `anthropic` | Messages, `POST {base}/messages` (`x-api-key`, `anthropic-version`) | `https://api.anthropic.com/v1` |
//! | `ollama` | native chat, `POST {root}/api/chat` (NDJSON) | `http://localhost:11434` |
//! | `openai_compatible` | chat-completions | none: llama.cpp, LM Studio, OpenRouter, Groq, Mistral, Gemini... see [`OPENAI_COMPATIBLE_SERVICES`] |
//!
//! Ollama is spoken to natively because its OpenAI-compatible `/v1` ignores a per-request
//! context size, and its small default (4096 tokens) silently truncates the tool
//! definitions: every Ollama request carries `options.num_ctx`
//! ([`ChatOptions::context_size`], else [`ProviderConfig::context_size`], default
//! [`DEFAULT_CONTEXT_SIZE`]).
//!
//! # Using it
//!
//! ```no_run
//! # async fn demo() -> Result<(), sparky_ai::AiError> {
//! use futures::StreamExt;
//! use sparky_ai::*;
//!
//! let client = AiClient::new(
//!     ProviderConfig::new(ProviderKind::Ollama).base_url("http://gpu-box:11434/v1/"),
//! )?; // base URL normalised to http://gpu-box:11434
//! let request = ChatRequest::new("llama3.2")
//!     .system("You are Sparky, a fitness assistant.")
//!     .message(Message::user("I had two eggs and toast"))
//!     .tool(ToolDefinition {
//!         name: "search_foods".into(),
//!         description: "Search the food catalog".into(),
//!         parameters: serde_json::json!({"type": "object",
//!             "properties": {"query": {"type": "string"}}, "required": ["query"]}),
//!     });
//! let mut stream = client.stream(&request).await?;
//! while let Some(event) = stream.next().await {
//!     match event? {
//!         StreamEvent::TextDelta(text) => print!("{text}"),
//!         StreamEvent::ToolCall(call) => match call.parse_arguments() {
//!             Ok(args) => { /* run the tool, then push Message::tool_result(call.id, ..) */ }
//!             Err(bad) => { /* answer with Message::tool_result(call.id, bad.to_string(), true) */ }
//!         },
//!         StreamEvent::Finish(reason) => println!(" ({reason:?})"),
//!         _ => {}
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! - [`AiClient::stream`] returns once the provider accepted the request; its
//!   [`ChatStream`] yields `Result<StreamEvent, AiError>` and ends after
//!   [`StreamEvent::Finish`] or the first error. [`ChatStream::collect_response`] folds it
//!   into a [`ChatResponse`]; [`AiClient::complete`] does both.
//! - [`AiClient::complete_unstreamed`] sends `"stream": false` and parses the single JSON
//!   answer the same way (for servers whose streaming misbehaves).
//! - [`AiClient::list_models`] lists the provider's models (a cheap configuration test).
//!
//! # What the stream guarantees
//!
//! - Text deltas never contain reasoning: `reasoning_content`/`reasoning` fields,
//!   Anthropic thinking blocks, Ollama `thinking`, and inline `<think>…</think>` or
//!   `<thinking>…</thinking>` blocks (even split across chunks) arrive as
//!   [`StreamEvent::ReasoningDelta`]. Leading whitespace of the answer is dropped.
//! - Tool calls are assembled from their fragments (by index, and by id for servers that
//!   number every call 0), parallel calls included; each is announced with
//!   [`StreamEvent::ToolCallStarted`] and delivered whole as [`StreamEvent::ToolCall`] at the
//!   end of the answer. A call without an id gets a generated `call_…` id. The arguments are
//!   kept as the model wrote them; [`ToolCall::parse_arguments`] reads them leniently and
//!   returns [`MalformedArguments`] (whose Display can be given back to the model) when it
//!   cannot.
//! - [`FinishReason::ToolCalls`] whenever the answer has tool calls.
//! - [`StreamEvent::Usage`] (input and output tokens) when the provider reports it; OpenAI is
//!   asked to (`stream_options.include_usage`), other compatible servers are not, because
//!   some reject the field.
//! - A body that ends before the provider's end marker (`[DONE]`/a finish reason,
//!   `message_stop`, `"done": true`) is [`AiError::Interrupted`], never a silent partial
//!   answer.
//!
//! # Conversations
//!
//! [`ChatRequest`] holds the system prompt, [`Message`]s (`User` with text and
//! [`ImageData`] parts, `Assistant` with text and [`ToolCall`]s, `Tool` with a
//! [`ToolResult`]), [`ToolDefinition`]s and [`ChatOptions`]. All of it is serde-serialisable
//! for storage. Per format: OpenAI gets images as `image_url` data URLs and tool errors
//! prefixed `Error: `; Anthropic gets base64 image sources, `tool_result` blocks with
//! `is_error`, and consecutive user-side messages merged; Ollama gets `images` and
//! `tool_name`.
//!
//! # Failures
//!
//! Requests are retried ([`RetryPolicy`]) on 429, 408, 5xx and connection failures before any
//! of the answer arrived, waiting as `Retry-After`/`retry-after-ms` says (seconds or HTTP
//! date) or with capped exponential backoff. Waits are bounded by [`Timeouts`]: connect,
//! response start, idle between chunks, and total. Every failure is an [`AiError`] whose
//! Display is written for the person who configured the provider ("the API key was refused
//! by OpenAI (401)", "cannot reach Ollama at http://localhost:11434: Connection refused",
//! "Ollama does not know the model \"x\" (download it with `ollama pull x`)") and whose
//! [`AiError::code`] is stable. API keys are never in errors or Debug output.
//!
//! # Model output as data
//!
//! [`extract_json`] finds and leniently parses the JSON object or array in a model's answer
//! (fences, prose, single quotes, trailing commas, truncation); validate the values after.

mod client;
mod error;
mod json;
mod kind;
mod model;
mod net;
mod sse;
mod stream;
mod think;
mod wire;

pub use client::{
    retry_after, AiClient, ApiKey, ProviderConfig, RetryNotice, RetryObserver, RetryPolicy,
    Timeouts, DEFAULT_ANTHROPIC_VERSION, DEFAULT_CONTEXT_SIZE, USER_AGENT,
};
pub use error::{AiError, TimeoutPhase};
pub use json::{extract_json, parse_lenient, LenientJsonError};
pub use kind::{
    normalise_base_url, KnownService, ProviderKind, WireFormat, OPENAI_COMPATIBLE_SERVICES,
};
pub use model::{
    ChatOptions, ChatRequest, ChatResponse, ContentPart, FinishReason, ImageData,
    MalformedArguments, Message, Role, StreamEvent, ToolCall, ToolDefinition, ToolResult, Usage,
};
pub use net::{is_private, PublicOnlyResolver};
pub use stream::{ChatStream, MAX_STREAM_BYTES};
pub use think::strip_think_blocks;
pub use wire::anthropic::DEFAULT_MAX_TOKENS as ANTHROPIC_DEFAULT_MAX_TOKENS;
