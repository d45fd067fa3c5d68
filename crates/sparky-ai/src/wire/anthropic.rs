//! Anthropic Messages: `POST {base}/messages`.

use serde_json::{json, Map, Value};

use super::{arguments_object, as_count};
use crate::error::{classify_stream_error, AiError};
use crate::model::{ChatRequest, ContentPart, FinishReason, Message, StreamEvent};
use crate::sse::SseDecoder;
use crate::stream::{Assembler, WireDecoder};

/// Anthropic requires `max_tokens`; this is sent when the request leaves it unset.
pub const DEFAULT_MAX_TOKENS: u32 = 4096;

pub(crate) fn body(req: &ChatRequest, stream: bool) -> Value {
    // Anthropic wants user and assistant turns to alternate, and all results of one round of
    // tool calls in a single user message: consecutive user-side content is merged.
    let mut messages: Vec<(&str, Vec<Value>)> = Vec::new();
    for m in &req.messages {
        let (role, blocks) = match m {
            Message::User { content } => (
                "user",
                content
                    .iter()
                    .map(|p| match p {
                        ContentPart::Text { text } => json!({"type": "text", "text": text}),
                        ContentPart::Image { image } => json!({
                            "type": "image",
                            "source": {
                                "type": "base64",
                                "media_type": image.media_type,
                                "data": image.data,
                            }
                        }),
                    })
                    .collect::<Vec<_>>(),
            ),
            Message::Assistant { text, tool_calls } => {
                let mut blocks = Vec::new();
                // Empty text blocks are rejected.
                if !text.is_empty() {
                    blocks.push(json!({"type": "text", "text": text}));
                }
                for call in tool_calls {
                    blocks.push(json!({
                        "type": "tool_use",
                        "id": call.id,
                        "name": call.name,
                        "input": arguments_object(call),
                    }));
                }
                ("assistant", blocks)
            }
            Message::Tool(result) => {
                let mut block = json!({
                    "type": "tool_result",
                    "tool_use_id": result.tool_call_id,
                    "content": result.content,
                });
                if result.is_error {
                    block["is_error"] = json!(true);
                }
                ("user", vec![block])
            }
        };
        if blocks.is_empty() {
            continue;
        }
        match messages.last_mut() {
            Some((last_role, last_blocks)) if *last_role == role => last_blocks.extend(blocks),
            _ => messages.push((role, blocks)),
        }
    }
    let messages: Vec<Value> = messages
        .into_iter()
        .map(|(role, content)| json!({"role": role, "content": content}))
        .collect();

    let mut body = Map::new();
    body.insert("model".into(), json!(req.model));
    body.insert(
        "max_tokens".into(),
        json!(req.options.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS)),
    );
    if let Some(system) = req.system.as_deref().filter(|s| !s.is_empty()) {
        body.insert("system".into(), json!(system));
    }
    body.insert("messages".into(), Value::Array(messages));
    if !req.tools.is_empty() {
        let tools: Vec<Value> = req
            .tools
            .iter()
            .map(|t| {
                json!({
                    "name": t.name,
                    "description": t.description,
                    "input_schema": t.parameters,
                })
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
    }
    if let Some(t) = req.options.temperature {
        body.insert("temperature".into(), json!(t));
    }
    body.insert("stream".into(), json!(stream));
    Value::Object(body)
}

fn finish_reason(s: &str) -> FinishReason {
    match s {
        "end_turn" | "stop_sequence" => FinishReason::Stop,
        "max_tokens" | "model_context_window_exceeded" => FinishReason::Length,
        "tool_use" => FinishReason::ToolCalls,
        "refusal" => FinishReason::ContentFilter,
        other => FinishReason::Other(other.to_string()),
    }
}

/// Input tokens include those read from and written to the prompt cache.
fn read_usage(u: &Value, asm: &mut Assembler) {
    let input = [
        "input_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
    ]
    .iter()
    .map(|k| as_count(u.get(*k)))
    .fold(None, |acc: Option<u64>, n| match (acc, n) {
        (Some(a), Some(b)) => Some(a + b),
        (a, b) => a.or(b),
    });
    asm.usage(input, as_count(u.get("output_tokens")));
}

pub(crate) struct Decoder {
    sse: SseDecoder,
    asm: Assembler,
    provider: String,
    model: String,
    done: bool,
}

impl Decoder {
    pub(crate) fn new(provider: String, model: String) -> Decoder {
        Decoder {
            sse: SseDecoder::default(),
            asm: Assembler::default(),
            provider,
            model,
            done: false,
        }
    }

    fn event(&mut self, data: &str, out: &mut Vec<StreamEvent>) -> Result<(), AiError> {
        if self.done || data.trim().is_empty() {
            return Ok(());
        }
        let v: Value = serde_json::from_str(data).map_err(|e| AiError::MalformedResponse {
            provider: self.provider.clone(),
            message: format!(
                "an event is not JSON ({e}): {}",
                crate::error::truncate(data, 200)
            ),
        })?;
        let index = as_count(v.get("index"));
        match v.get("type").and_then(Value::as_str).unwrap_or_default() {
            "message_start" => {
                if let Some(u) = v.pointer("/message/usage") {
                    read_usage(u, &mut self.asm);
                }
            }
            "content_block_start" => {
                let block = v.get("content_block").unwrap_or(&Value::Null);
                match block
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                {
                    "text" => {
                        let text = block.get("text").and_then(Value::as_str).unwrap_or("");
                        self.asm.text(text, out);
                    }
                    "tool_use" => {
                        // `input` is `{}` here; the arguments follow as input_json_delta.
                        let initial = match block.get("input") {
                            Some(Value::Object(m)) if !m.is_empty() => {
                                Value::Object(m.clone()).to_string()
                            }
                            _ => String::new(),
                        };
                        self.asm.tool_start(
                            index,
                            block.get("id").and_then(Value::as_str),
                            block
                                .get("name")
                                .and_then(Value::as_str)
                                .unwrap_or_default(),
                            &initial,
                            out,
                        );
                    }
                    "thinking" => {
                        let t = block.get("thinking").and_then(Value::as_str).unwrap_or("");
                        self.asm.reasoning(t, out);
                    }
                    _ => {} // redacted_thinking, server tools: nothing to show
                }
            }
            "content_block_delta" => {
                let delta = v.get("delta").unwrap_or(&Value::Null);
                match delta
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                {
                    "text_delta" => {
                        let text = delta.get("text").and_then(Value::as_str).unwrap_or("");
                        self.asm.text(text, out);
                    }
                    "input_json_delta" => {
                        let fragment = delta
                            .get("partial_json")
                            .and_then(Value::as_str)
                            .unwrap_or("");
                        let known = index.is_some_and(|ix| self.asm.tool_arguments(ix, fragment));
                        if !known {
                            return Err(AiError::MalformedResponse {
                                provider: self.provider.clone(),
                                message:
                                    "tool arguments arrived for a block that was never started"
                                        .into(),
                            });
                        }
                    }
                    "thinking_delta" => {
                        let t = delta.get("thinking").and_then(Value::as_str).unwrap_or("");
                        self.asm.reasoning(t, out);
                    }
                    _ => {} // signature_delta, citations
                }
            }
            "message_delta" => {
                if let Some(reason) = v.pointer("/delta/stop_reason").and_then(Value::as_str) {
                    self.asm.finish_reason(finish_reason(reason));
                }
                if let Some(u) = v.get("usage") {
                    read_usage(u, &mut self.asm);
                }
            }
            "message_stop" => {
                self.asm.end(out);
                self.done = true;
            }
            "error" => {
                let error = v.get("error").unwrap_or(&v);
                return Err(classify_stream_error(&self.provider, &self.model, error));
            }
            _ => {} // ping, content_block_stop, future event types
        }
        Ok(())
    }
}

impl WireDecoder for Decoder {
    fn feed(&mut self, bytes: &[u8], out: &mut Vec<StreamEvent>) -> Result<(), AiError> {
        for event in self.sse.feed(bytes) {
            self.event(&event.data, out)?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<StreamEvent>) -> Result<(), AiError> {
        for event in self.sse.finish() {
            self.event(&event.data, out)?;
        }
        if self.done {
            return Ok(());
        }
        if self.asm.has_finish_reason() {
            self.asm.end(out);
            self.done = true;
            return Ok(());
        }
        Err(AiError::Interrupted {
            provider: self.provider.clone(),
            message: "the stream ended before message_stop".into(),
        })
    }

    fn is_done(&self) -> bool {
        self.done
    }
}

pub(crate) fn parse_full(
    v: &Value,
    provider: &str,
    model: &str,
) -> Result<Vec<StreamEvent>, AiError> {
    if v.get("type").and_then(Value::as_str) == Some("error") {
        let error = v.get("error").unwrap_or(v);
        return Err(classify_stream_error(provider, model, error));
    }
    let content =
        v.get("content")
            .and_then(Value::as_array)
            .ok_or_else(|| AiError::MalformedResponse {
                provider: provider.to_string(),
                message: "the answer has no content".into(),
            })?;
    let mut asm = Assembler::default();
    let mut out = Vec::new();
    for (i, block) in content.iter().enumerate() {
        match block
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
        {
            "text" => asm.text(
                block.get("text").and_then(Value::as_str).unwrap_or(""),
                &mut out,
            ),
            "thinking" => asm.reasoning(
                block.get("thinking").and_then(Value::as_str).unwrap_or(""),
                &mut out,
            ),
            "tool_use" => {
                let input = block.get("input").cloned().unwrap_or_else(|| json!({}));
                asm.tool_start(
                    Some(i as u64),
                    block.get("id").and_then(Value::as_str),
                    block
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                    &input.to_string(),
                    &mut out,
                );
            }
            _ => {}
        }
    }
    if let Some(u) = v.get("usage") {
        read_usage(u, &mut asm);
    }
    if let Some(reason) = v.get("stop_reason").and_then(Value::as_str) {
        asm.finish_reason(finish_reason(reason));
    }
    asm.end(&mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ImageData, ToolCall};

    #[test]
    fn tool_results_of_one_round_share_a_user_message() {
        let req = ChatRequest {
            model: "claude".into(),
            system: Some("sys".into()),
            messages: vec![
                Message::user_with_images("photo", vec![ImageData::from_bytes("image/png", b"x")]),
                Message::Assistant {
                    text: String::new(),
                    tool_calls: vec![
                        ToolCall::new("t1", "a", &json!({"x": 1})),
                        ToolCall {
                            id: "t2".into(),
                            name: "b".into(),
                            arguments: "{broken".into(),
                        },
                    ],
                },
                Message::tool_result("t1", "ok", false),
                Message::tool_result("t2", "bad args", true),
                Message::user("thanks"),
            ],
            ..ChatRequest::default()
        };
        let b = body(&req, true);
        assert_eq!(b["system"], "sys");
        assert_eq!(b["max_tokens"], DEFAULT_MAX_TOKENS);
        let msgs = b["messages"].as_array().unwrap();
        assert_eq!(msgs.len(), 3, "{msgs:#?}");
        assert_eq!(msgs[0]["content"][1]["source"]["type"], "base64");
        assert_eq!(msgs[0]["content"][1]["source"]["media_type"], "image/png");
        assert_eq!(msgs[1]["content"].as_array().unwrap().len(), 2);
        assert_eq!(msgs[1]["content"][0]["input"], json!({"x": 1}));
        assert_eq!(msgs[1]["content"][1]["input"], json!({}));
        assert_eq!(msgs[2]["role"], "user");
        assert_eq!(msgs[2]["content"][0]["tool_use_id"], "t1");
        assert!(msgs[2]["content"][0].get("is_error").is_none());
        assert_eq!(msgs[2]["content"][1]["is_error"], true);
        assert_eq!(msgs[2]["content"][2]["text"], "thanks");
    }
}
