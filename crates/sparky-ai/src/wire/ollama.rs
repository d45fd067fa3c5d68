//! Ollama's native chat: `POST {root}/api/chat`, newline-delimited JSON. Used instead of its
//! OpenAI-compatible `/v1` because only this endpoint takes the context size per request
//! (`options.num_ctx`); `/v1` ignores it and Ollama's small default silently truncates the
//! tool definitions.

use serde_json::{json, Map, Value};

use super::{arguments_object, arguments_text, as_count, function_tools, tool_name_for};
use crate::error::{classify_stream_error, AiError};
use crate::model::{ChatRequest, ContentPart, FinishReason, Message, StreamEvent};
use crate::sse::NdjsonDecoder;
use crate::stream::{Assembler, WireDecoder};

pub(crate) fn body(req: &ChatRequest, context_size: u32, stream: bool) -> Value {
    let mut messages = Vec::new();
    if let Some(system) = req.system.as_deref().filter(|s| !s.is_empty()) {
        messages.push(json!({"role": "system", "content": system}));
    }
    for m in &req.messages {
        messages.push(match m {
            Message::User { content } => {
                let mut text = Vec::new();
                let mut images = Vec::new();
                for part in content {
                    match part {
                        ContentPart::Text { text: t } => text.push(t.as_str()),
                        ContentPart::Image { image } => images.push(json!(image.data)),
                    }
                }
                let mut msg = json!({"role": "user", "content": text.join("\n")});
                if !images.is_empty() {
                    msg["images"] = Value::Array(images);
                }
                msg
            }
            Message::Assistant { text, tool_calls } => {
                let mut msg = json!({"role": "assistant", "content": text});
                if !tool_calls.is_empty() {
                    msg["tool_calls"] = tool_calls
                        .iter()
                        .map(|c| {
                            json!({
                                "id": c.id,
                                "function": {"name": c.name, "arguments": arguments_object(c)},
                            })
                        })
                        .collect();
                }
                msg
            }
            Message::Tool(result) => {
                let content = if result.is_error && !result.content.starts_with("Error") {
                    format!("Error: {}", result.content)
                } else {
                    result.content.clone()
                };
                let mut msg = json!({
                    "role": "tool",
                    "content": content,
                    "tool_call_id": result.tool_call_id,
                });
                if let Some(name) = tool_name_for(&req.messages, &result.tool_call_id) {
                    msg["tool_name"] = json!(name);
                }
                msg
            }
        });
    }
    let mut options = Map::new();
    options.insert(
        "num_ctx".into(),
        json!(req.options.context_size.unwrap_or(context_size)),
    );
    if let Some(t) = req.options.temperature {
        options.insert("temperature".into(), json!(t));
    }
    if let Some(max) = req.options.max_tokens {
        options.insert("num_predict".into(), json!(max));
    }
    let mut body = Map::new();
    body.insert("model".into(), json!(req.model));
    body.insert("messages".into(), Value::Array(messages));
    if !req.tools.is_empty() {
        body.insert("tools".into(), Value::Array(function_tools(&req.tools)));
    }
    body.insert("stream".into(), json!(stream));
    body.insert("options".into(), Value::Object(options));
    Value::Object(body)
}

fn finish_reason(s: &str) -> FinishReason {
    match s {
        "stop" | "" => FinishReason::Stop,
        "length" => FinishReason::Length,
        other => FinishReason::Other(other.to_string()),
    }
}

pub(crate) struct Decoder {
    lines: NdjsonDecoder,
    asm: Assembler,
    provider: String,
    model: String,
    done: bool,
}

impl Decoder {
    pub(crate) fn new(provider: String, model: String) -> Decoder {
        Decoder {
            lines: NdjsonDecoder::default(),
            asm: Assembler::default(),
            provider,
            model,
            done: false,
        }
    }

    fn line(&mut self, line: &str, out: &mut Vec<StreamEvent>) -> Result<(), AiError> {
        if self.done {
            return Ok(());
        }
        let v: Value = serde_json::from_str(line).map_err(|e| AiError::MalformedResponse {
            provider: self.provider.clone(),
            message: format!(
                "a line is not JSON ({e}): {}",
                crate::error::truncate(line, 200)
            ),
        })?;
        chunk(&v, &mut self.asm, &self.provider, &self.model, out)?;
        if v.get("done").and_then(Value::as_bool) == Some(true) {
            self.asm.end(out);
            self.done = true;
        }
        Ok(())
    }
}

fn chunk(
    v: &Value,
    asm: &mut Assembler,
    provider: &str,
    model: &str,
    out: &mut Vec<StreamEvent>,
) -> Result<(), AiError> {
    if let Some(error) = v.get("error").filter(|e| !e.is_null()) {
        return Err(classify_stream_error(
            provider,
            model,
            &json!({"message": error}),
        ));
    }
    if let Some(message) = v.get("message") {
        if let Some(t) = message.get("thinking").and_then(Value::as_str) {
            asm.reasoning(t, out);
        }
        if let Some(t) = message.get("content").and_then(Value::as_str) {
            asm.text(t, out);
        }
        // Ollama sends each tool call whole, arguments as an object.
        if let Some(calls) = message.get("tool_calls").and_then(Value::as_array) {
            for call in calls {
                let function = call.get("function");
                asm.tool_start(
                    None,
                    call.get("id")
                        .and_then(Value::as_str)
                        .filter(|s| !s.is_empty()),
                    function
                        .and_then(|f| f.get("name"))
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                    &arguments_text(function.and_then(|f| f.get("arguments"))).unwrap_or_default(),
                    out,
                );
            }
        }
    }
    if v.get("done").and_then(Value::as_bool) == Some(true) {
        asm.usage(
            as_count(v.get("prompt_eval_count")),
            as_count(v.get("eval_count")),
        );
        let reason = v
            .get("done_reason")
            .and_then(Value::as_str)
            .unwrap_or("stop");
        asm.finish_reason(finish_reason(reason));
    }
    Ok(())
}

impl WireDecoder for Decoder {
    fn feed(&mut self, bytes: &[u8], out: &mut Vec<StreamEvent>) -> Result<(), AiError> {
        for line in self.lines.feed(bytes) {
            self.line(&line, out)?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<StreamEvent>) -> Result<(), AiError> {
        for line in self.lines.finish() {
            self.line(&line, out)?;
        }
        if self.done {
            return Ok(());
        }
        Err(AiError::Interrupted {
            provider: self.provider.clone(),
            message: "the stream ended before \"done\": true".into(),
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
    let mut asm = Assembler::default();
    let mut out = Vec::new();
    if v.get("message").is_none() && v.get("error").is_none() {
        return Err(AiError::MalformedResponse {
            provider: provider.to_string(),
            message: "the answer has no message".into(),
        });
    }
    chunk(v, &mut asm, provider, model, &mut out)?;
    asm.end(&mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ChatOptions, ImageData, ToolCall};

    #[test]
    fn body_sets_num_ctx_images_and_tool_names() {
        let req = ChatRequest {
            model: "llama3.2".into(),
            system: None,
            messages: vec![
                Message::user_with_images(
                    "what",
                    vec![ImageData::from_bytes("image/jpeg", b"abc")],
                ),
                Message::Assistant {
                    text: String::new(),
                    tool_calls: vec![ToolCall::new(
                        "c9",
                        "read_day",
                        &json!({"date": "2024-05-01"}),
                    )],
                },
                Message::tool_result("c9", "{}", false),
            ],
            options: ChatOptions {
                max_tokens: Some(50),
                temperature: None,
                context_size: None,
            },
            ..ChatRequest::default()
        };
        let b = body(&req, 16384, true);
        assert_eq!(b["options"]["num_ctx"], 16384);
        assert_eq!(b["options"]["num_predict"], 50);
        assert_eq!(b["messages"][0]["images"][0], "YWJj");
        assert_eq!(
            b["messages"][1]["tool_calls"][0]["function"]["arguments"]["date"],
            "2024-05-01"
        );
        assert_eq!(b["messages"][2]["tool_name"], "read_day");
        let mut req = req;
        req.options.context_size = Some(32768);
        assert_eq!(body(&req, 16384, false)["options"]["num_ctx"], 32768);
    }
}
