//! Non-streamed answers in each format, and the helpers the streamed ones share.

use serde_json::{json, Value};

use super::request::Wire;
use super::script::{Finish, Part};

/// The tool calls of an answer: (id, name, joined arguments), in index order.
pub(super) fn collect_calls(parts: &[Part]) -> Vec<(u32, String, String, String)> {
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

pub(super) fn finish_name(wire: Wire, finish: Finish) -> &'static str {
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

pub(super) fn full_answer(
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

pub(super) fn ollama_calls(calls: &[(u32, String, String, String)]) -> Value {
    calls
        .iter()
        .map(|(index, id, name, args)| {
            json!({"id": id, "function": {"index": index, "name": name, "arguments": args_value(args)}})
        })
        .collect()
}
