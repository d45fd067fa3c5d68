//! A fake AI provider for tests: axum on 127.0.0.1:0 speaking OpenAI chat-completions
//! (`…/chat/completions`), Anthropic Messages (`…/messages`) and Ollama's native chat
//! (`/api/chat`), plus model lists (`…/models`, `/api/tags`).
//!
//! Each chat request takes the next [`Script`] from a queue and gets it rendered in the wire
//! format of the path it was sent to, as a stream or as one JSON answer depending on the
//! request's `"stream"`. Every request is recorded so tests can assert what was sent
//! (tools, images, `num_ctx`, headers). An empty queue answers 500 with a message saying so.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use axum::Router;
use serde_json::{json, Value};

/// The wire format a request was sent in (from its path).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wire {
    OpenAi,
    Anthropic,
    Ollama,
}

/// One request as the fake received it.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Chat requests only.
    pub wire: Option<Wire>,
    /// Names lowercased.
    pub headers: Vec<(String, String)>,
    /// The JSON body (`Value::Null` when there was none or it was not JSON).
    pub body: Value,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One piece of a scripted answer.
#[derive(Clone, Debug)]
pub enum Part {
    Text(String),
    /// Reasoning: OpenAI `reasoning_content`, an Anthropic thinking block, Ollama `thinking`.
    Reasoning(String),
    /// A tool call begins (`index` is the call's position among the answer's calls).
    ToolStart {
        index: u32,
        id: String,
        name: String,
    },
    /// A fragment of that call's JSON arguments.
    ToolArgs {
        index: u32,
        fragment: String,
    },
}

impl Part {
    pub fn text(t: &str) -> Part {
        Part::Text(t.into())
    }
    pub fn reasoning(t: &str) -> Part {
        Part::Reasoning(t.into())
    }
    pub fn tool_start(index: u32, id: &str, name: &str) -> Part {
        Part::ToolStart {
            index,
            id: id.into(),
            name: name.into(),
        }
    }
    pub fn tool_args(index: u32, fragment: &str) -> Part {
        Part::ToolArgs {
            index,
            fragment: fragment.into(),
        }
    }
}

/// How a scripted answer ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finish {
    Stop,
    Length,
    ToolCalls,
}

/// Provider errors, rendered with each format's real status and body shape.
#[derive(Clone, Debug)]
pub enum ErrorKind {
    /// 401.
    Unauthorized,
    /// 404 naming the model.
    ModelNotFound(String),
    /// 400 "context length exceeded" / "prompt is too long".
    ContextTooLong,
    /// 429.
    RateLimited,
    /// 429 "insufficient quota".
    QuotaExceeded,
    /// 500.
    ServerError,
    /// Anthropic 529 `overloaded_error` (503 elsewhere).
    Overloaded,
}

#[derive(Clone, Debug)]
enum Reply {
    Answer {
        parts: Vec<Part>,
        finish: Finish,
        usage: Option<(u32, u32)>,
    },
    Error(ErrorKind),
    Raw {
        status: u16,
        content_type: String,
        body: String,
    },
}

/// What the fake does with one request.
#[derive(Clone, Debug)]
pub struct Script {
    reply: Reply,
    headers: Vec<(String, String)>,
    /// Stream only this many parts, then drop the connection.
    disconnect_after: Option<usize>,
    /// Stream only this many parts, then send nothing more (keep the connection open).
    stall_after: Option<usize>,
    /// Send the body in pieces of this many bytes.
    piece_size: Option<usize>,
    /// Wait this long before answering.
    delay: Duration,
}

impl Script {
    fn new(reply: Reply) -> Script {
        Script {
            reply,
            headers: Vec::new(),
            disconnect_after: None,
            stall_after: None,
            piece_size: None,
            delay: Duration::ZERO,
        }
    }

    /// An answer made of `parts`, ending with `finish`, reporting 12 input and 7 output tokens.
    pub fn answer(parts: Vec<Part>, finish: Finish) -> Script {
        Script::new(Reply::Answer {
            parts,
            finish,
            usage: Some((12, 7)),
        })
    }

    /// A text answer streamed in the given pieces.
    pub fn text(pieces: &[&str]) -> Script {
        Script::answer(pieces.iter().map(|p| Part::text(p)).collect(), Finish::Stop)
    }

    pub fn error(kind: ErrorKind) -> Script {
        Script::new(Reply::Error(kind))
    }

    /// Any status with a literal body.
    pub fn raw(status: u16, content_type: &str, body: &str) -> Script {
        Script::new(Reply::Raw {
            status,
            content_type: content_type.into(),
            body: body.into(),
        })
    }

    pub fn usage(mut self, input: u32, output: u32) -> Script {
        if let Reply::Answer { usage, .. } = &mut self.reply {
            *usage = Some((input, output));
        }
        self
    }

    pub fn without_usage(mut self) -> Script {
        if let Reply::Answer { usage, .. } = &mut self.reply {
            *usage = None;
        }
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Script {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn disconnect_after(mut self, parts: usize) -> Script {
        self.disconnect_after = Some(parts);
        self
    }

    pub fn stall_after(mut self, parts: usize) -> Script {
        self.stall_after = Some(parts);
        self
    }

    pub fn in_pieces_of(mut self, bytes: usize) -> Script {
        self.piece_size = Some(bytes.max(1));
        self
    }

    pub fn delay(mut self, delay: Duration) -> Script {
        self.delay = delay;
        self
    }
}

#[derive(Default)]
struct Shared {
    scripts: VecDeque<Script>,
    requests: Vec<RecordedRequest>,
}

/// The running fake. Dropping it stops the server.
pub struct FakeAi {
    url: String,
    shared: Arc<Mutex<Shared>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeAi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeAi {
    pub async fn start() -> FakeAi {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake AI server");
        let addr = listener.local_addr().expect("fake AI address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeAi {
            url: format!("http://{addr}"),
            shared,
            task,
        }
    }

    /// `http://127.0.0.1:PORT`, without a path.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Queues the answer to the next chat request.
    pub fn push(&self, script: Script) -> &FakeAi {
        self.lock().scripts.push_back(script);
        self
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// Scripts not yet used.
    pub fn scripts_left(&self) -> usize {
        self.lock().scripts.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn wire_of(path: &str) -> Option<Wire> {
    if path.ends_with("/chat/completions") {
        Some(Wire::OpenAi)
    } else if path.ends_with("/messages") {
        Some(Wire::Anthropic)
    } else if path.ends_with("/api/chat") {
        Some(Wire::Ollama)
    } else {
        None
    }
}

async fn handle(State(shared): State<Arc<Mutex<Shared>>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    let headers = parts
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_ascii_lowercase(),
                v.to_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let bytes = axum::body::to_bytes(body, 64 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let wire = wire_of(&path);
    let script = {
        let mut shared = shared.lock().unwrap_or_else(|p| p.into_inner());
        shared.requests.push(RecordedRequest {
            method: parts.method.to_string(),
            path: path.clone(),
            wire,
            headers,
            body: body.clone(),
        });
        if wire.is_some() {
            shared.scripts.pop_front()
        } else {
            None
        }
    };
    let Some(wire) = wire else {
        if path.ends_with("/models") {
            return json_response(
                200,
                json!({"object": "list", "data": [{"id": "fake-model", "object": "model"}, {"id": "fake-vision", "object": "model"}]}),
            );
        }
        if path.ends_with("/api/tags") {
            return json_response(
                200,
                json!({"models": [{"name": "fake-model:latest", "model": "fake-model:latest"}]}),
            );
        }
        return plain(404, "text/plain", "404 page not found".into());
    };
    let Some(script) = script else {
        return plain(
            500,
            "text/plain",
            "fake AI server: no script left for this request".into(),
        );
    };
    if !script.delay.is_zero() {
        tokio::time::sleep(script.delay).await;
    }
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("fake-model")
        .to_string();
    let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(
        // Ollama streams unless told not to.
        wire == Wire::Ollama,
    );
    let mut response = match &script.reply {
        Reply::Raw {
            status,
            content_type,
            body,
        } => plain(*status, content_type, body.clone()),
        Reply::Error(kind) => error_response(wire, kind, &model),
        Reply::Answer {
            parts,
            finish,
            usage,
        } => {
            if stream {
                stream_response(wire, &script, parts, *finish, *usage, &model)
            } else {
                json_response(200, full_answer(wire, parts, *finish, *usage, &model))
            }
        }
    };
    for (name, value) in &script.headers {
        if let (Ok(n), Ok(v)) = (
            axum::http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().insert(n, v);
        }
    }
    response
}

fn plain(status: u16, content_type: &str, body: String) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", content_type)
        .body(Body::from(body))
        .expect("response")
}

fn json_response(status: u16, v: Value) -> Response {
    plain(status, "application/json", v.to_string())
}

fn error_response(wire: Wire, kind: &ErrorKind, model: &str) -> Response {
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

/// The tool calls of an answer: (id, name, joined arguments), in index order.
fn collect_calls(parts: &[Part]) -> Vec<(u32, String, String, String)> {
    let mut calls: Vec<(u32, String, String, String)> = Vec::new();
    for p in parts {
        match p {
            Part::ToolStart { index, id, name } => {
                calls.push((*index, id.clone(), name.clone(), String::new()))
            }
            Part::ToolArgs { index, fragment } => {
                if let Some(c) = calls.iter_mut().find(|c| c.0 == *index) {
                    c.3.push_str(fragment);
                }
            }
            _ => {}
        }
    }
    calls.sort_by_key(|c| c.0);
    calls
}

fn joined(parts: &[Part], reasoning: bool) -> String {
    parts
        .iter()
        .filter_map(|p| match (p, reasoning) {
            (Part::Text(t), false) | (Part::Reasoning(t), true) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

fn finish_name(wire: Wire, finish: Finish) -> &'static str {
    match (wire, finish) {
        (Wire::OpenAi, Finish::Stop) => "stop",
        (Wire::OpenAi, Finish::Length) => "length",
        (Wire::OpenAi, Finish::ToolCalls) => "tool_calls",
        (Wire::Anthropic, Finish::Stop) => "end_turn",
        (Wire::Anthropic, Finish::Length) => "max_tokens",
        (Wire::Anthropic, Finish::ToolCalls) => "tool_use",
        // Ollama says "stop" even when it made tool calls.
        (Wire::Ollama, Finish::Length) => "length",
        (Wire::Ollama, _) => "stop",
    }
}

fn args_value(args: &str) -> Value {
    if args.trim().is_empty() {
        return json!({});
    }
    serde_json::from_str(args).unwrap_or_else(|_| Value::String(args.to_string()))
}

fn full_answer(
    wire: Wire,
    parts: &[Part],
    finish: Finish,
    usage: Option<(u32, u32)>,
    model: &str,
) -> Value {
    let text = joined(parts, false);
    let reasoning = joined(parts, true);
    let calls = collect_calls(parts);
    let (input, output) = usage.unwrap_or((0, 0));
    match wire {
        Wire::OpenAi => {
            let mut message = json!({"role": "assistant", "content": if text.is_empty() && !calls.is_empty() { Value::Null } else { json!(text) }});
            if !reasoning.is_empty() {
                message["reasoning_content"] = json!(reasoning);
            }
            if !calls.is_empty() {
                message["tool_calls"] = calls
                    .iter()
                    .map(|(_, id, name, args)| json!({"id": id, "type": "function", "function": {"name": name, "arguments": args}}))
                    .collect();
            }
            let mut v = json!({
                "id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": finish_name(wire, finish)}],
            });
            if usage.is_some() {
                v["usage"] = json!({"prompt_tokens": input, "completion_tokens": output, "total_tokens": input + output});
            }
            v
        }
        Wire::Anthropic => {
            let mut content = Vec::new();
            if !reasoning.is_empty() {
                content
                    .push(json!({"type": "thinking", "thinking": reasoning, "signature": "sig"}));
            }
            if !text.is_empty() {
                content.push(json!({"type": "text", "text": text}));
            }
            for (_, id, name, args) in &calls {
                content.push(
                    json!({"type": "tool_use", "id": id, "name": name, "input": args_value(args)}),
                );
            }
            json!({
                "id": "msg_fake", "type": "message", "role": "assistant", "model": model,
                "content": content, "stop_reason": finish_name(wire, finish), "stop_sequence": null,
                "usage": {"input_tokens": input, "output_tokens": output},
            })
        }
        Wire::Ollama => {
            let mut message = json!({"role": "assistant", "content": text});
            if !reasoning.is_empty() {
                message["thinking"] = json!(reasoning);
            }
            if !calls.is_empty() {
                message["tool_calls"] = ollama_calls(&calls);
            }
            let mut v = json!({
                "model": model, "created_at": "2024-01-01T00:00:00Z", "message": message,
                "done": true, "done_reason": finish_name(wire, finish),
            });
            if usage.is_some() {
                v["prompt_eval_count"] = json!(input);
                v["eval_count"] = json!(output);
            }
            v
        }
    }
}

fn ollama_calls(calls: &[(u32, String, String, String)]) -> Value {
    calls
        .iter()
        .map(|(index, id, name, args)| {
            json!({"id": id, "function": {"index": index, "name": name, "arguments": args_value(args)}})
        })
        .collect()
}

fn sse(event: Option<&str>, data: &Value) -> String {
    match event {
        Some(e) => format!("event: {e}\ndata: {data}\n\n"),
        None => format!("data: {data}\n\n"),
    }
}

/// The streamed body as a list of wire events; `cut` is how many parts to render.
fn stream_events(
    wire: Wire,
    parts: &[Part],
    finish: Finish,
    usage: Option<(u32, u32)>,
    model: &str,
    cut: Option<usize>,
) -> Vec<String> {
    let shown = &parts[..cut.unwrap_or(parts.len()).min(parts.len())];
    let complete = cut.is_none();
    let (input, output) = usage.unwrap_or((0, 0));
    let mut events = Vec::new();
    match wire {
        Wire::OpenAi => {
            let chunk = |delta: Value, finish: Value| {
                sse(
                    None,
                    &json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}),
                )
            };
            events.push(chunk(
                json!({"role": "assistant", "content": ""}),
                Value::Null,
            ));
            for p in shown {
                events.push(match p {
                    Part::Text(t) => chunk(json!({"content": t}), Value::Null),
                    Part::Reasoning(t) => chunk(json!({"reasoning_content": t}), Value::Null),
                    Part::ToolStart { index, id, name } => chunk(
                        json!({"tool_calls": [{"index": index, "id": id, "type": "function", "function": {"name": name, "arguments": ""}}]}),
                        Value::Null,
                    ),
                    Part::ToolArgs { index, fragment } => chunk(
                        json!({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]}),
                        Value::Null,
                    ),
                });
            }
            if complete {
                events.push(chunk(json!({}), json!(finish_name(wire, finish))));
                if usage.is_some() {
                    events.push(sse(None, &json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": model, "choices": [],
                        "usage": {"prompt_tokens": input, "completion_tokens": output, "total_tokens": input + output}})));
                }
                events.push("data: [DONE]\n\n".into());
            }
        }
        Wire::Anthropic => {
            events.push(sse(Some("message_start"), &json!({"type": "message_start", "message": {
                "id": "msg_fake", "type": "message", "role": "assistant", "model": model, "content": [],
                "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": input, "output_tokens": 1}}})));
            events.push(sse(Some("ping"), &json!({"type": "ping"})));
            // The open block: (block index, kind, tool index).
            let mut open: Option<(usize, &str, Option<u32>)> = None;
            let mut next_block = 0usize;
            let mut tool_blocks: Vec<(u32, usize)> = Vec::new();
            let mut start = |events: &mut Vec<String>,
                             open: &mut Option<(usize, &str, Option<u32>)>,
                             kind: &'static str,
                             block: Value,
                             tool: Option<u32>| {
                if let Some((ix, _, _)) = open.take() {
                    events.push(sse(
                        Some("content_block_stop"),
                        &json!({"type": "content_block_stop", "index": ix}),
                    ));
                }
                let ix = next_block;
                next_block += 1;
                events.push(sse(
                    Some("content_block_start"),
                    &json!({"type": "content_block_start", "index": ix, "content_block": block}),
                ));
                *open = Some((ix, kind, tool));
                ix
            };
            for p in shown {
                match p {
                    Part::Text(t) => {
                        let ix = match open {
                            Some((ix, "text", _)) => ix,
                            _ => start(
                                &mut events,
                                &mut open,
                                "text",
                                json!({"type": "text", "text": ""}),
                                None,
                            ),
                        };
                        events.push(sse(Some("content_block_delta"), &json!({"type": "content_block_delta", "index": ix, "delta": {"type": "text_delta", "text": t}})));
                    }
                    Part::Reasoning(t) => {
                        let ix = match open {
                            Some((ix, "thinking", _)) => ix,
                            _ => start(
                                &mut events,
                                &mut open,
                                "thinking",
                                json!({"type": "thinking", "thinking": ""}),
                                None,
                            ),
                        };
                        events.push(sse(Some("content_block_delta"), &json!({"type": "content_block_delta", "index": ix, "delta": {"type": "thinking_delta", "thinking": t}})));
                    }
                    Part::ToolStart { index, id, name } => {
                        let ix = start(
                            &mut events,
                            &mut open,
                            "tool_use",
                            json!({"type": "tool_use", "id": id, "name": name, "input": {}}),
                            Some(*index),
                        );
                        tool_blocks.push((*index, ix));
                    }
                    Part::ToolArgs { index, fragment } => {
                        let ix = tool_blocks
                            .iter()
                            .find(|(t, _)| t == index)
                            .map(|(_, b)| *b)
                            .unwrap_or(0);
                        events.push(sse(Some("content_block_delta"), &json!({"type": "content_block_delta", "index": ix, "delta": {"type": "input_json_delta", "partial_json": fragment}})));
                    }
                }
            }
            if complete {
                if let Some((ix, _, _)) = open.take() {
                    events.push(sse(
                        Some("content_block_stop"),
                        &json!({"type": "content_block_stop", "index": ix}),
                    ));
                }
                events.push(sse(
                    Some("message_delta"),
                    &json!({"type": "message_delta",
                    "delta": {"stop_reason": finish_name(wire, finish), "stop_sequence": null},
                    "usage": {"output_tokens": output}}),
                ));
                events.push(sse(Some("message_stop"), &json!({"type": "message_stop"})));
            }
        }
        Wire::Ollama => {
            let line = |message: Value| {
                format!(
                    "{}\n",
                    json!({"model": model, "created_at": "2024-01-01T00:00:00Z", "message": message, "done": false})
                )
            };
            for p in shown {
                match p {
                    Part::Text(t) => events.push(line(json!({"role": "assistant", "content": t}))),
                    Part::Reasoning(t) => events.push(line(
                        json!({"role": "assistant", "content": "", "thinking": t}),
                    )),
                    // Ollama sends tool calls whole, once they are complete.
                    Part::ToolStart { .. } | Part::ToolArgs { .. } => {}
                }
            }
            if complete {
                let calls = collect_calls(parts);
                if !calls.is_empty() {
                    events.push(line(json!({"role": "assistant", "content": "", "tool_calls": ollama_calls(&calls)})));
                }
                let mut last = json!({"model": model, "created_at": "2024-01-01T00:00:00Z",
                    "message": {"role": "assistant", "content": ""}, "done": true, "done_reason": finish_name(wire, finish)});
                if usage.is_some() {
                    last["prompt_eval_count"] = json!(input);
                    last["eval_count"] = json!(output);
                }
                events.push(format!("{last}\n"));
            }
        }
    }
    events
}

fn stream_response(
    wire: Wire,
    script: &Script,
    parts: &[Part],
    finish: Finish,
    usage: Option<(u32, u32)>,
    model: &str,
) -> Response {
    let cut = script.disconnect_after.or(script.stall_after);
    let events = stream_events(wire, parts, finish, usage, model, cut);
    let pieces: Vec<Bytes> = match script.piece_size {
        Some(n) => {
            let all: Vec<u8> = events.concat().into_bytes();
            all.chunks(n).map(Bytes::copy_from_slice).collect()
        }
        None => events.into_iter().map(Bytes::from).collect(),
    };
    let head = futures::stream::iter(pieces.into_iter().map(Ok::<Bytes, std::io::Error>));
    use futures::StreamExt;
    let body = if script.disconnect_after.is_some() {
        Body::from_stream(head.chain(futures::stream::once(async {
            // Give the server time to send what came before, so the cut is mid-body.
            tokio::time::sleep(Duration::from_millis(100)).await;
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "scripted disconnect",
            ))
        })))
    } else if script.stall_after.is_some() {
        Body::from_stream(head.chain(futures::stream::pending()))
    } else {
        Body::from_stream(head)
    };
    let content_type = match wire {
        Wire::Ollama => "application/x-ndjson",
        _ => "text/event-stream",
    };
    Response::builder()
        .status(200)
        .header("content-type", content_type)
        .header("cache-control", "no-cache")
        .body(body)
        .expect("response")
}
