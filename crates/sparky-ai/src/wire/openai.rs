//! OpenAI chat-completions: `POST {base}/chat/completions`.

use serde_json::{json, Map, Value};

use super::{arguments_text, as_count, function_tools};
use crate::error::{classify_stream_error, AiError};
use crate::kind::ProviderKind;
use crate::model::{ChatRequest, ContentPart, FinishReason, Message, StreamEvent};
use crate::sse::SseDecoder;
use crate::stream::{Assembler, WireDecoder};

pub(crate) fn body(req: &ChatRequest, kind: ProviderKind, stream: bool) -> Value {
    let mut messages = Vec::new();
    if let Some(system) = req.system.as_deref().filter(|s| !s.is_empty()) {
        messages.push(json!({"role": "system", "content": system}));
    }
    for m in &req.messages {
        messages.push(message(m));
    }
    let mut body = Map::new();
    body.insert("model".into(), json!(req.model));
    body.insert("messages".into(), Value::Array(messages));
    if !req.tools.is_empty() {
        body.insert("tools".into(), Value::Array(function_tools(&req.tools)));
    }
    body.insert("stream".into(), json!(stream));
    // Only api.openai.com gets these: stricter compatible servers (Mistral) reject unknown
    // fields with a 422, and report usage in the last chunk anyway.
    if kind == ProviderKind::OpenAi {
        if stream {
            body.insert("stream_options".into(), json!({"include_usage": true}));
        }
        if let Some(max) = req.options.max_tokens {
            body.insert("max_completion_tokens".into(), json!(max));
        }
    } else if let Some(max) = req.options.max_tokens {
        body.insert("max_tokens".into(), json!(max));
    }
    if let Some(t) = req.options.temperature {
        body.insert("temperature".into(), json!(t));
    }
    Value::Object(body)
}

fn message(m: &Message) -> Value {
    match m {
        Message::User { content } => {
            let has_image = content
                .iter()
                .any(|p| matches!(p, ContentPart::Image { .. }));
            if !has_image {
                // Plain string content: older local servers do not accept part arrays.
                let text: Vec<&str> = content
                    .iter()
                    .filter_map(|p| match p {
                        ContentPart::Text { text } => Some(text.as_str()),
                        ContentPart::Image { .. } => None,
                    })
                    .collect();
                return json!({"role": "user", "content": text.join("\n")});
            }
            let parts: Vec<Value> = content
                .iter()
                .map(|p| match p {
                    ContentPart::Text { text } => json!({"type": "text", "text": text}),
                    ContentPart::Image { image } => {
                        json!({"type": "image_url", "image_url": {"url": image.data_url()}})
                    }
                })
                .collect();
            json!({"role": "user", "content": parts})
        }
        Message::Assistant { text, tool_calls } => {
            let mut msg = Map::new();
            msg.insert("role".into(), json!("assistant"));
            if tool_calls.is_empty() {
                msg.insert("content".into(), json!(text));
            } else {
                msg.insert(
                    "content".into(),
                    if text.is_empty() {
                        Value::Null
                    } else {
                        json!(text)
                    },
                );
                let calls: Vec<Value> = tool_calls
                    .iter()
                    .map(|c| {
                        let arguments = if c.arguments.trim().is_empty() {
                            "{}".to_string()
                        } else {
                            c.arguments.clone()
                        };
                        json!({
                            "id": c.id,
                            "type": "function",
                            "function": {"name": c.name, "arguments": arguments},
                        })
                    })
                    .collect();
                msg.insert("tool_calls".into(), Value::Array(calls));
            }
            Value::Object(msg)
        }
        Message::Tool(result) => {
            let content = if result.is_error && !result.content.starts_with("Error") {
                format!("Error: {}", result.content)
            } else {
                result.content.clone()
            };
            json!({"role": "tool", "tool_call_id": result.tool_call_id, "content": content})
        }
    }
}

fn finish_reason(s: &str) -> FinishReason {
    match s {
        "stop" | "end_turn" | "eos" => FinishReason::Stop,
        "length" | "max_tokens" => FinishReason::Length,
        "tool_calls" | "function_call" | "tool_use" => FinishReason::ToolCalls,
        "content_filter" => FinishReason::ContentFilter,
        other => FinishReason::Other(other.to_string()),
    }
}

/// Usage from `usage` (OpenAI, most servers) or `x_groq.usage` (Groq).
fn read_usage(v: &Value, asm: &mut Assembler) {
    let usage = v
        .get("usage")
        .filter(|u| u.is_object())
        .or_else(|| v.pointer("/x_groq/usage").filter(|u| u.is_object()));
    if let Some(u) = usage {
        asm.usage(
            as_count(u.get("prompt_tokens")),
            as_count(u.get("completion_tokens")),
        );
    }
}

/// Reasoning a server sends beside the content: `reasoning_content` (DeepSeek, llama.cpp,
/// LM Studio), `reasoning` (OpenRouter, Groq, Ollama's /v1).
fn read_reasoning(m: &Value, asm: &mut Assembler, out: &mut Vec<StreamEvent>) {
    for key in ["reasoning_content", "reasoning"] {
        if let Some(r) = m.get(key).and_then(Value::as_str) {
            asm.reasoning(r, out);
        }
    }
}

/// Content is a string, or (a few servers) an array of text parts.
fn content_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect(),
        _ => String::new(),
    }
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

    fn malformed(&self, message: String) -> AiError {
        AiError::MalformedResponse {
            provider: self.provider.clone(),
            message,
        }
    }

    fn data(&mut self, data: &str, out: &mut Vec<StreamEvent>) -> Result<(), AiError> {
        if self.done {
            return Ok(());
        }
        let data = data.trim();
        if data.is_empty() {
            return Ok(());
        }
        if data == "[DONE]" {
            self.asm.end(out);
            self.done = true;
            return Ok(());
        }
        let chunk: Value = serde_json::from_str(data).map_err(|e| {
            self.malformed(format!(
                "a stream chunk is not JSON ({e}): {}",
                crate::error::truncate(data, 200)
            ))
        })?;
        if let Some(error) = chunk.get("error").filter(|e| !e.is_null()) {
            return Err(classify_stream_error(&self.provider, &self.model, error));
        }
        read_usage(&chunk, &mut self.asm);
        let Some(choice) = chunk.get("choices").and_then(|c| c.get(0)) else {
            return Ok(()); // usage-only or keep-alive chunk
        };
        if let Some(delta) = choice.get("delta").or_else(|| choice.get("message")) {
            read_reasoning(delta, &mut self.asm, out);
            let text = content_text(delta.get("content"));
            self.asm.text(&text, out);
            if let Some(calls) = delta.get("tool_calls").and_then(Value::as_array) {
                for call in calls {
                    let function = call.get("function");
                    self.asm.tool_fragment(
                        as_count(call.get("index")),
                        call.get("id").and_then(Value::as_str),
                        function.and_then(|f| f.get("name")).and_then(Value::as_str),
                        arguments_text(function.and_then(|f| f.get("arguments"))).as_deref(),
                        out,
                    );
                }
            }
        }
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            self.asm.finish_reason(finish_reason(reason));
        }
        Ok(())
    }
}

impl WireDecoder for Decoder {
    fn feed(&mut self, bytes: &[u8], out: &mut Vec<StreamEvent>) -> Result<(), AiError> {
        for event in self.sse.feed(bytes) {
            self.data(&event.data, out)?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<StreamEvent>) -> Result<(), AiError> {
        for event in self.sse.finish() {
            self.data(&event.data, out)?;
        }
        if self.done {
            return Ok(());
        }
        // Some servers end without `[DONE]`; an answer with a finish reason is complete.
        if self.asm.has_finish_reason() {
            self.asm.end(out);
            self.done = true;
            return Ok(());
        }
        Err(AiError::Interrupted {
            provider: self.provider.clone(),
            message: "the stream ended without a finish reason".into(),
        })
    }

    fn is_done(&self) -> bool {
        self.done
    }
}

/// A non-streamed answer (`"stream": false`).
pub(crate) fn parse_full(
    v: &Value,
    provider: &str,
    model: &str,
) -> Result<Vec<StreamEvent>, AiError> {
    if let Some(error) = v.get("error").filter(|e| !e.is_null()) {
        return Err(classify_stream_error(provider, model, error));
    }
    let choice =
        v.get("choices")
            .and_then(|c| c.get(0))
            .ok_or_else(|| AiError::MalformedResponse {
                provider: provider.to_string(),
                message: "the answer has no choices".into(),
            })?;
    let message = choice
        .get("message")
        .ok_or_else(|| AiError::MalformedResponse {
            provider: provider.to_string(),
            message: "the answer has no message".into(),
        })?;
    let mut asm = Assembler::default();
    let mut out = Vec::new();
    read_reasoning(message, &mut asm, &mut out);
    asm.text(&content_text(message.get("content")), &mut out);
    if let Some(calls) = message.get("tool_calls").and_then(Value::as_array) {
        for (i, call) in calls.iter().enumerate() {
            let function = call.get("function");
            asm.tool_start(
                Some(i as u64),
                call.get("id")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty()),
                function
                    .and_then(|f| f.get("name"))
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
                &arguments_text(function.and_then(|f| f.get("arguments"))).unwrap_or_default(),
                &mut out,
            );
        }
    }
    read_usage(v, &mut asm);
    if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
        asm.finish_reason(finish_reason(reason));
    }
    asm.end(&mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ChatOptions, ImageData, ToolCall, ToolDefinition};

    #[test]
    fn request_body_has_system_images_tools_and_history() {
        let req = ChatRequest {
            model: "gpt-4o-mini".into(),
            system: Some("You are Sparky.".into()),
            messages: vec![
                Message::user_with_images(
                    "what is this?",
                    vec![ImageData::from_bytes("image/jpeg", b"abc")],
                ),
                Message::Assistant {
                    text: String::new(),
                    tool_calls: vec![ToolCall::new("c1", "search_foods", &json!({"q": "egg"}))],
                },
                Message::tool_result("c1", "no such food", true),
            ],
            tools: vec![ToolDefinition {
                name: "search_foods".into(),
                description: "Search".into(),
                parameters: json!({"type": "object"}),
            }],
            options: ChatOptions {
                max_tokens: Some(100),
                temperature: Some(0.2),
                context_size: Some(8192),
            },
        };
        let b = body(&req, ProviderKind::OpenAi, true);
        assert_eq!(
            b["messages"][0],
            json!({"role": "system", "content": "You are Sparky."})
        );
        assert_eq!(
            b["messages"][1]["content"][1]["image_url"]["url"],
            "data:image/jpeg;base64,YWJj"
        );
        assert_eq!(b["messages"][2]["content"], Value::Null);
        assert_eq!(
            b["messages"][2]["tool_calls"][0]["function"]["arguments"],
            "{\"q\":\"egg\"}"
        );
        assert_eq!(b["messages"][3]["content"], "Error: no such food");
        assert_eq!(b["tools"][0]["function"]["name"], "search_foods");
        assert_eq!(b["max_completion_tokens"], 100);
        assert_eq!(b["stream_options"]["include_usage"], true);
        assert!(b.get("options").is_none() && b.get("num_ctx").is_none());

        let b = body(&req, ProviderKind::OpenAiCompatible, true);
        assert_eq!(b["max_tokens"], 100);
        assert!(b.get("stream_options").is_none() && b.get("max_completion_tokens").is_none());
    }

    #[test]
    fn reasoning_fields_do_not_reach_the_text() {
        let mut d = Decoder::new("X".into(), "m".into());
        let mut out = Vec::new();
        let body = concat!(
            "data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"hmm\"}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"reasoning\":\"more\",\"content\":\"<think>x</think>Hi\"}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
            "data: [DONE]\n\n"
        );
        d.feed(body.as_bytes(), &mut out).unwrap();
        assert!(d.is_done());
        let text: String = out
            .iter()
            .filter_map(|e| match e {
                StreamEvent::TextDelta(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        let reasoning: String = out
            .iter()
            .filter_map(|e| match e {
                StreamEvent::ReasoningDelta(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(text, "Hi");
        assert_eq!(reasoning, "hmmmorex");
    }

    #[test]
    fn an_error_chunk_becomes_an_error() {
        let mut d = Decoder::new("OpenRouter".into(), "m".into());
        let mut out = Vec::new();
        let err = d
            .feed(
                b"data: {\"error\":{\"message\":\"upstream failed\",\"code\":502}}\n\n",
                &mut out,
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "OpenRouter reported an error: upstream failed"
        );
    }
}
