//! The assistant's tool registry as a Model Context Protocol server: JSON-RPC 2.0 messages
//! (`initialize`, `ping`, `tools/list`, `tools/call`), independent of the transport. Sparky
//! serves it over streamable HTTP at `/mcp` (Bearer API key) and over stdio (`sparky mcp`).
//! Each tool call runs in its own RLS transaction as the authenticated user, exactly like the
//! chat assistant's; writes are logged for undo and their card comes back as structured content.

use serde_json::{json, Value};
use sparky_db::{Database, Identity};

use super::tools::{self, ToolContext};
use crate::error::AppError;

/// Protocol revisions this server speaks (newest first). `initialize` answers with the
/// revision the client asked for when it is one of these, else with the newest.
pub const PROTOCOL_VERSIONS: &[&str] = &["2025-06-18", "2025-03-26", "2024-11-05"];

/// Whether `version` is a revision this server speaks (for the HTTP transport's
/// `Mcp-Protocol-Version` header).
pub fn supports(version: &str) -> bool {
    PROTOCOL_VERSIONS.contains(&version)
}

fn error(id: Value, code: i64, message: impl Into<String>) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message.into()}})
}

fn ok(id: Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

/// Most messages one batch may hold (each tool call is a transaction of its own).
pub const MAX_BATCH: usize = 32;

/// Answers one JSON-RPC message (or a batch of them, as revisions up to 2025-03-26 allow);
/// `None` for notifications, which get no answer.
pub async fn handle(db: &Database, who: Identity, message: Value) -> Option<Value> {
    let Value::Array(batch) = message else {
        return handle_one(db, who, message).await;
    };
    if batch.is_empty() {
        return Some(error(Value::Null, -32600, "empty batch"));
    }
    if batch.len() > MAX_BATCH {
        return Some(error(
            Value::Null,
            -32600,
            format!("a batch holds at most {MAX_BATCH} messages"),
        ));
    }
    let mut out = Vec::new();
    for m in batch {
        // A batch holds messages, not further batches.
        let answer = if m.is_object() {
            handle_one(db, who, m).await
        } else {
            Some(error(
                Value::Null,
                -32600,
                "a batch holds JSON-RPC message objects",
            ))
        };
        out.extend(answer);
    }
    (!out.is_empty()).then_some(Value::Array(out))
}

async fn handle_one(db: &Database, who: Identity, message: Value) -> Option<Value> {
    // MCP's ids are strings or integers, never null.
    let id_ok = |v: &Value| v.is_string() || v.is_i64() || v.is_u64();
    let given_id = message.get("id");
    if message.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        let id = given_id
            .filter(|v| id_ok(v))
            .cloned()
            .unwrap_or(Value::Null);
        return Some(error(
            id,
            -32600,
            "not a JSON-RPC 2.0 message: \"jsonrpc\" must be \"2.0\"",
        ));
    }
    if given_id.is_some_and(|v| !id_ok(v)) {
        return Some(error(
            Value::Null,
            -32600,
            "\"id\" must be a string or an integer",
        ));
    }
    let Some(method) = message.get("method").and_then(Value::as_str) else {
        // A response from the client (we never ask it anything) or garbage.
        return message
            .get("id")
            .filter(|_| message.get("result").is_none() && message.get("error").is_none())
            .map(|id| error(id.clone(), -32600, "not a JSON-RPC request"));
    };
    let id = message.get("id").cloned()?; // notifications (no id) need no answer
    let params = message.get("params").cloned().unwrap_or(Value::Null);
    Some(match method {
        "initialize" => {
            let asked = params["protocolVersion"].as_str().unwrap_or_default();
            let version = PROTOCOL_VERSIONS
                .iter()
                .find(|v| **v == asked)
                .unwrap_or(&PROTOCOL_VERSIONS[0]);
            ok(
                id,
                json!({
                    "protocolVersion": version,
                    "capabilities": {"tools": {"listChanged": false}},
                    "serverInfo": {"name": "sparky", "version": env!("CARGO_PKG_VERSION")},
                    "instructions": "Sparky's fitness tracker tools. Foods are logged from the catalog: \
                        search_foods first, then log_food with a food_id. Every write can be undone with undo_last_action."
                }),
            )
        }
        "ping" => ok(id, json!({})),
        "tools/list" => {
            let tools: Vec<Value> = tools::definitions(&ToolContext::default())
                .into_iter()
                .map(|t| json!({"name": t.name, "description": t.description, "inputSchema": t.parameters}))
                .collect();
            ok(id, json!({"tools": tools}))
        }
        "tools/call" => {
            let Some(name) = params["name"].as_str() else {
                return Some(error(id, -32602, "params.name is required"));
            };
            let args = match params.get("arguments") {
                None | Some(Value::Null) => json!({}),
                Some(a @ Value::Object(_)) => a.clone(),
                Some(_) => return Some(error(id, -32602, "params.arguments must be an object")),
            };
            // An unknown tool is a protocol error (MCP's "Error Handling"), not a tool's.
            let known = tools::definitions(&ToolContext::default());
            if !known.iter().any(|t| t.name == name) {
                let names: Vec<&str> = known.iter().map(|t| t.name.as_str()).collect();
                return Some(error(
                    id,
                    -32602,
                    format!("unknown tool {name:?}; the tools are: {}", names.join(", ")),
                ));
            }
            ok(id, call_tool(db, who, name, args).await)
        }
        other => error(id, -32601, format!("method {other:?} is not supported")),
    })
}

async fn call_tool(db: &Database, who: Identity, name: &str, args: Value) -> Value {
    let failed =
        |message: String| json!({"content": [{"type": "text", "text": message}], "isError": true});
    // Read only for a read-only API key: PostgreSQL refuses the tool's writes.
    let mut tx = match db.as_identity(who).await {
        Ok(tx) => tx,
        Err(e) => return failed(AppError::from(e).to_string()),
    };
    match tools::call(&mut tx, &ToolContext::default(), name, args).await {
        Ok(out) => {
            if let Err(e) = tx.commit().await {
                return failed(AppError::from(e).to_string());
            }
            let mut text = out.result.to_string();
            if let Some(card) = &out.card {
                text = format!("{}: {}\n{text}", card.title, card.lines.join("; "));
            }
            json!({
                "content": [{"type": "text", "text": text}],
                "structuredContent": {"result": out.result, "card": out.card},
                "isError": false
            })
        }
        Err(AppError::Internal(_)) => failed("the tool failed on the server".into()),
        Err(e) => failed(e.to_string()),
    }
}
