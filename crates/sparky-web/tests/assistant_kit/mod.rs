//! What the assistant's HTTP tests share: an instance on the fake provider, a chat message
//! read as its event stream, a streamed tool call, a food.
#![allow(dead_code)] // each test file uses some of these

use crate::common::{As, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sparky_app::assistant::config::{Assistant, InstanceConfig, SecretKey};
use sparky_testkit::fake_ai::{FakeAi, Part};
use std::time::Duration;

pub fn instance(fake: &FakeAi) -> Assistant {
    Assistant {
        instance: InstanceConfig {
            provider: Some(sparky_app::assistant::config::ProviderKind::OpenAi),
            base_url: Some(format!("{}/v1/chat/completions", fake.url())),
            model: Some("gpt-test".into()),
            api_key: Some("instance-key".into()),
            initial_backoff: Duration::from_millis(10),
            ..InstanceConfig::default()
        },
        secret: Some(SecretKey::from_bytes([42; 32])),
    }
}

/// Posts a message and reads the whole event stream: (event name, data) pairs.
pub async fn chat(app: &TestApp, who: &As, body: Value) -> (StatusCode, Vec<(String, Value)>) {
    let As::Cookie(cookie) = who else {
        panic!("cookie users only")
    };
    let resp = app
        .client
        .post(format!("{}/api/v1/chat", app.base))
        .header("cookie", format!("sparky_session={cookie}"))
        .header("origin", app.origin())
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let is_sse = resp
        .headers()
        .get("content-type")
        .is_some_and(|v| v.to_str().unwrap().starts_with("text/event-stream"));
    let text = resp.text().await.unwrap();
    if !is_sse {
        return (
            status,
            vec![("json".into(), serde_json::from_str(&text).unwrap())],
        );
    }
    (status, sse_events(&text))
}

pub fn call(index: u32, id: &str, name: &str, args: Value) -> Vec<Part> {
    let text = args.to_string();
    let (a, b) = text.split_at(text.len() / 3);
    vec![
        Part::tool_start(index, id, name),
        Part::tool_args(index, a),
        Part::tool_args(index, b),
    ]
}

pub async fn food(
    app: &TestApp,
    who: &As,
    name: &str,
    unit: &str,
    grams: i64,
    kcal: i64,
) -> String {
    let r = app
        .post(
            "/api/v1/foods",
            who,
            json!({"name": name, "servings": [{"size": 1, "unit": unit, "weight_g": grams,
                                               "nutrients": {"calories": kcal}}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

/// Reads a server-sent event stream into (event, data) pairs.
pub fn sse_events(text: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for block in text.split("\n\n") {
        let mut name = String::new();
        let mut data = String::new();
        for line in block.lines() {
            if let Some(n) = line.strip_prefix("event:") {
                name = n.trim().to_string();
            } else if let Some(d) = line.strip_prefix("data:") {
                data.push_str(d.trim_start());
            }
        }
        if !name.is_empty() {
            out.push((name, serde_json::from_str(&data).unwrap()));
        }
    }
    out
}
