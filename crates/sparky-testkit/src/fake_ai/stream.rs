//! Streamed answers: each format's events, and the scripted cuts, stalls and pieces.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::response::Response;
use serde_json::{json, Value};

use super::answer::{collect_calls, finish_name, ollama_calls};
use super::request::Wire;
use super::script::{Finish, Part, Script};

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

pub(super) fn stream_response(
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
