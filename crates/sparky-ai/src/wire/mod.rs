//! The three wire formats: request bodies, streamed-body decoders and non-streamed answers.

pub(crate) mod anthropic;
pub(crate) mod ollama;
pub(crate) mod openai;

use serde_json::{json, Map, Value};

use crate::model::{Message, ToolCall, ToolDefinition};

/// `{"type":"function","function":{name, description, parameters}}`, shared by OpenAI and
/// Ollama.
pub(crate) fn function_tools(tools: &[ToolDefinition]) -> Vec<Value> {
    tools
        .iter()
        .map(|t| {
            json!({
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.parameters,
                }
            })
        })
        .collect()
}

/// The name of the tool a call id belongs to, from the assistant messages before it.
pub(crate) fn tool_name_for(messages: &[Message], tool_call_id: &str) -> Option<String> {
    messages.iter().rev().find_map(|m| match m {
        Message::Assistant { tool_calls, .. } => tool_calls
            .iter()
            .find(|c| c.id == tool_call_id)
            .map(|c| c.name.clone()),
        _ => None,
    })
}

/// Arguments as an object for formats that want one (Anthropic `input`, Ollama); a call
/// whose arguments were malformed is replayed as `{}`.
pub(crate) fn arguments_object(call: &ToolCall) -> Value {
    call.parse_arguments()
        .unwrap_or_else(|_| Value::Object(Map::new()))
}

/// Tool-call arguments as text, whether the server sent a JSON string or an object.
pub(crate) fn arguments_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Reads a JSON number as u64 (some servers send floats or strings).
pub(crate) fn as_count(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().map(|f| f.max(0.0) as u64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
