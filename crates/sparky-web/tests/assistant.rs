//! The assistant over HTTP: `POST /api/v1/chat` streams typed server-sent events against the
//! fake provider; cards undo through `/api/v1/chat/actions/{id}/undo`; conversations are
//! listed, read, renamed, deleted and cleared, and only by their owner; settings keep the API
//! key encrypted and never return it; the SSRF guard, the rate limit and the token budget.

mod assistant_kit;
mod common;

use assistant_kit::{call, chat, food, instance};
use common::{As, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sparky_app::assistant::config::Assistant;
use sparky_testkit::fake_ai::{FakeAi, Finish, Script};

async fn spawn(assistant: Assistant) -> TestApp {
    TestApp::spawn_with_assistant(assistant).await
}

#[tokio::test]
async fn breakfast_streams_cards_and_the_cards_undo() {
    let fake = FakeAi::start().await;
    let app = spawn(instance(&fake)).await;
    let (_, ann) = app.user("ann@example.com").await;
    let egg = food(&app, &ann, "Egg", "large", 50, 72).await;
    let toast = food(&app, &ann, "Toast", "slice", 28, 80).await;
    let mut parts = call(
        0,
        "a",
        "log_food",
        json!({"food_id": egg, "quantity": 2, "unit": "large", "meal": "breakfast"}),
    );
    parts.extend(call(
        1,
        "b",
        "log_food",
        json!({"food_id": toast, "quantity": 1, "unit": "slice", "meal": "breakfast"}),
    ));
    fake.push(Script::answer(parts, Finish::ToolCalls));
    fake.push(Script::text(&["All ", "set."]));

    let (status, events) = chat(
        &app,
        &ann,
        json!({"message": "I had 2 eggs and a slice of toast for breakfast"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"conversation"), "{names:?}");
    assert_eq!(names.last(), Some(&"done"), "{names:?}");
    assert_eq!(
        names.iter().filter(|n| **n == "tool_card").count(),
        2,
        "{names:?}"
    );
    assert!(names.contains(&"text_delta"));
    let done = &events.last().unwrap().1;
    let text = done["text"].as_str().unwrap();
    assert!(
        text.contains("Total: 224 kcal") && text.ends_with("All set."),
        "{text}"
    );
    // The key sent is the instance's.
    assert_eq!(
        fake.requests()[0].header("authorization"),
        Some("Bearer instance-key")
    );

    let day = app.get("/api/v1/diary/today", &ann).await;
    assert_eq!(
        day.body["totals"]["calories"],
        json!(224.0),
        "{:?}",
        day.body
    );

    for card in done["cards"].as_array().unwrap() {
        let id = card["action_id"].as_str().unwrap();
        let r = app
            .post(&format!("/api/v1/chat/actions/{id}/undo"), &ann, json!({}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert_eq!(r.body["undone"], true);
    }
    let day = app.get("/api/v1/diary/today", &ann).await;
    assert_eq!(day.body["meals"][0]["entries"], json!([]), "{:?}", day.body);
    let id = done["cards"][0]["action_id"].as_str().unwrap();
    let again = app
        .post(&format!("/api/v1/chat/actions/{id}/undo"), &ann, json!({}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn conversations_belong_to_their_owner() {
    let fake = FakeAi::start().await;
    let app = spawn(instance(&fake)).await;
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    fake.push(Script::text(&["Hi Ann"]));
    let (_, events) = chat(&app, &ann, json!({"message": "Hello there\nsecond line"})).await;
    let conversation = events[0].1["conversation_id"].as_str().unwrap().to_string();
    assert_eq!(events[0].1["title"], "Hello there");

    let list = app.get("/api/v1/chat/conversations", &ann).await;
    assert_eq!(list.body["items"][0]["id"], json!(conversation));
    let one = app
        .get(&format!("/api/v1/chat/conversations/{conversation}"), &ann)
        .await;
    assert_eq!(one.status, StatusCode::OK);
    let roles: Vec<&str> = one.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["user", "assistant"]);
    assert_eq!(one.body["messages"][1]["model"], "gpt-test");

    // Bob: not listed, not readable, not renamable, not deletable, not continuable.
    let list = app.get("/api/v1/chat/conversations", &bob).await;
    assert_eq!(list.body["items"], json!([]));
    let path = format!("/api/v1/chat/conversations/{conversation}");
    assert_eq!(app.get(&path, &bob).await.status, StatusCode::NOT_FOUND);
    let r = app
        .request(
            reqwest::Method::PATCH,
            &path,
            &bob,
            Some(json!({"title": "mine"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&path, &bob).await.status, StatusCode::NOT_FOUND);
    let (status, events) = chat(
        &app,
        &bob,
        json!({"message": "hi", "conversation_id": conversation}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{events:?}");

    // Ann renames, deletes, clears.
    let r = app
        .request(
            reqwest::Method::PATCH,
            &path,
            &ann,
            Some(json!({"title": "Greetings"})),
        )
        .await;
    assert_eq!(r.body["title"], "Greetings");
    let r = app
        .request(
            reqwest::Method::PATCH,
            &path,
            &ann,
            Some(json!({"title": ""})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.delete(&path, &ann).await.status, StatusCode::NO_CONTENT);
    fake.push(Script::text(&["again"]));
    chat(&app, &ann, json!({"message": "again"})).await;
    assert_eq!(
        app.delete("/api/v1/chat/conversations", &ann).await.status,
        StatusCode::NO_CONTENT
    );
    let list = app.get("/api/v1/chat/conversations", &ann).await;
    assert_eq!(list.body["items"], json!([]));
    // Bad input is a 422 before anything starts.
    let (status, _) = chat(&app, &ann, json!({"message": "  "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn not_set_up_rate_limited_and_over_budget_are_clear_errors() {
    let app = spawn(Assistant::default()).await;
    let (_, ann) = app.user("ann@example.com").await;
    let (status, events) = chat(&app, &ann, json!({"message": "hi"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(events[0].1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("SPARKY_AI_PROVIDER"));

    let fake = FakeAi::start().await;
    let mut a = instance(&fake);
    a.instance.rate_per_minute = 2;
    let app = spawn(a).await;
    let (_, ann) = app.user("ann@example.com").await;
    for _ in 0..2 {
        fake.push(Script::text(&["ok"]));
        let (status, _) = chat(&app, &ann, json!({"message": "hi"})).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _) = chat(&app, &ann, json!({"message": "hi"})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);

    // Messages sent at once are counted one after another: three of ten go through (13 of
    // 20 did when each counted before any was stored).
    let mut a = instance(&fake);
    a.instance.rate_per_minute = 3;
    let app = spawn(a).await;
    let (_, bob) = app.user("bob@example.com").await;
    for _ in 0..10 {
        fake.push(Script::text(&["ok"]));
    }
    let sent =
        futures::future::join_all((0..10).map(|_| chat(&app, &bob, json!({"message": "hi"}))))
            .await;
    let accepted = sent.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!(
        accepted,
        3,
        "{:?}",
        sent.iter().map(|(s, _)| *s).collect::<Vec<_>>()
    );

    let mut a = instance(&fake);
    a.instance.daily_tokens = 15; // one answer reports 12 + 7
    let app = spawn(a).await;
    let (_, ann) = app.user("ann@example.com").await;
    fake.push(Script::text(&["ok"]));
    let (status, _) = chat(&app, &ann, json!({"message": "hi"})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = chat(&app, &ann, json!({"message": "hi"})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body:?}");
    // Deleting the conversations does not give the day's tokens back.
    let r = app.delete("/api/v1/chat/conversations", &ann).await;
    assert!(r.status.is_success(), "{:?}", r.body);
    let r = app.get("/api/v1/chat/conversations", &ann).await;
    assert_eq!(r.body["items"], json!([]), "{:?}", r.body);
    let (status, body) = chat(&app, &ann, json!({"message": "hi"})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body:?}");

    // The budget holds within a turn: once an answer's 19 tokens spent the 15 left, its tool
    // call is run and stored, but no further model call is made.
    let fake = FakeAi::start().await;
    let mut a = instance(&fake);
    a.instance.daily_tokens = 15;
    let app = spawn(a).await;
    let (_, cat) = app.user("cat@example.com").await;
    let before = fake.requests().len();
    fake.push(Script::answer(
        call(0, "c1", "read_goals", json!({})),
        Finish::ToolCalls,
    ));
    fake.push(Script::text(&["never asked for"]));
    let (status, events) = chat(&app, &cat, json!({"message": "my goals?"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fake.requests().len(), before + 1, "{events:?}");
    let (name, last) = events.last().unwrap();
    assert_eq!(name, "error", "{events:?}");
    assert_eq!(last["code"], "token_budget", "{last}");
}

#[tokio::test]
async fn settings_keep_the_key_secret_and_private_addresses_for_the_admin() {
    let fake = FakeAi::start().await;
    let app = spawn(instance(&fake)).await;
    let (ann_id, ann) = app.user("ann@example.com").await; // first account: administrator
    let (_, bob) = app.user("bob@example.com").await;

    let own = json!({"provider": "openai", "base_url": format!("{}/v1", fake.url()),
                     "model": "my-model", "api_key": "sk-ann-secret"});
    // Bob may not point the assistant at 127.0.0.1.
    let r = app
        .put("/api/v1/assistant/settings", &bob, own.clone())
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(
        r.body.to_string().contains("private-network"),
        "{:?}",
        r.body
    );
    for url in [
        "http://10.0.0.5:8080/v1",
        "http://169.254.169.254/",
        "http://localhost:11434",
    ] {
        let r = app
            .put(
                "/api/v1/assistant/settings",
                &bob,
                json!({"provider": "ollama", "base_url": url}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}");
    }
    // Ann, the administrator, may.
    let r = app.put("/api/v1/assistant/settings", &ann, own).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["has_api_key"], true);
    assert!(!r.body.to_string().contains("sk-ann-secret"));
    let r = app.get("/api/v1/assistant/settings", &ann).await;
    assert!(!r.body.to_string().contains("sk-ann-secret"));
    assert_eq!(r.body["model"], "my-model");
    assert_eq!(r.body["instance"]["model"], "gpt-test");
    // At rest it is ciphertext.
    let owner = app.db.owner_client().await;
    let row = owner
        .query_one(
            "SELECT api_key_ciphertext FROM assistant_settings WHERE user_id = $1::text::uuid",
            &[&ann_id],
        )
        .await
        .unwrap();
    let sealed: Vec<u8> = row.get(0);
    assert!(!sealed.windows(13).any(|w| w == b"sk-ann-secret"));

    // Her own key and model are what the provider gets.
    fake.push(Script::text(&["hello"]));
    let (status, _) = chat(&app, &ann, json!({"message": "hi"})).await;
    assert_eq!(status, StatusCode::OK);
    let req = fake.requests().pop().unwrap();
    assert_eq!(req.header("authorization"), Some("Bearer sk-ann-secret"));
    assert_eq!(req.body["model"], "my-model");

    // Leaving the key out keeps it; "" removes it.
    let r = app
        .put(
            "/api/v1/assistant/settings",
            &ann,
            json!({"model": "other"}),
        )
        .await;
    assert_eq!(r.body["has_api_key"], true);
    let r = app
        .put("/api/v1/assistant/settings", &ann, json!({"api_key": ""}))
        .await;
    assert_eq!(r.body["has_api_key"], false);
    // Unknown fields are refused.
    let r = app
        .put("/api/v1/assistant/settings", &ann, json!({"key": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_openapi_document_describes_the_assistant() {
    let app = spawn(Assistant::default()).await;
    let doc = app.get("/api/v1/openapi.json", &As::Nobody).await;
    let paths = &doc.body["paths"];
    for p in [
        "/api/v1/chat",
        "/api/v1/chat/conversations",
        "/api/v1/chat/conversations/{id}",
        "/api/v1/chat/actions/{id}/undo",
        "/api/v1/assistant/settings",
    ] {
        assert!(paths.get(p).is_some(), "{p} missing");
    }
    let chat = &paths["/api/v1/chat"]["post"]["responses"]["200"]["content"];
    assert!(chat.get("text/event-stream").is_some(), "{chat}");
}

async fn rpc(app: &TestApp, key: &str, message: Value) -> common::Response {
    app.post("/mcp", &As::Key(key.to_string()), message).await
}

#[tokio::test]
async fn mcp_over_http_lists_tools_logs_a_food_and_reads_the_day() {
    let app = spawn(Assistant::default()).await;
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let egg = food(&app, &ann, "Egg", "large", 50, 72).await;
    let bob_egg = food(&app, &bob, "Egg", "large", 50, 72).await;
    let key = app
        .post("/api/v1/api-keys", &ann, json!({"name": "mcp client"}))
        .await
        .body["key"]
        .as_str()
        .unwrap()
        .to_string();

    let no_key = app
        .post(
            "/mcp",
            &As::Nobody,
            json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
        )
        .await;
    assert_eq!(no_key.status, StatusCode::UNAUTHORIZED);

    let init = rpc(
        &app,
        &key,
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-03-26", "capabilities": {},
                   "clientInfo": {"name": "test", "version": "1"}}}),
    )
    .await;
    assert_eq!(init.body["result"]["protocolVersion"], "2025-03-26");
    assert_eq!(init.body["result"]["serverInfo"]["name"], "sparky");
    let note = rpc(
        &app,
        &key,
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .await;
    assert_eq!(note.status, StatusCode::ACCEPTED);

    let list = rpc(
        &app,
        &key,
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
    )
    .await;
    let names: Vec<&str> = list.body["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"log_food") && names.contains(&"read_day"),
        "{names:?}"
    );
    assert!(!names.contains(&"ask_user"));
    assert_eq!(
        list.body["result"]["tools"][0]["inputSchema"]["type"],
        "object"
    );

    let logged = rpc(&app, &key, json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "log_food", "arguments": {"food_id": egg, "quantity": 2, "unit": "large", "meal": "breakfast"}}})).await;
    let result = &logged.body["result"];
    assert_eq!(result["isError"], false, "{result}");
    assert!(result["structuredContent"]["card"]["action_id"].is_string());
    assert!(result["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("144 kcal"));

    let day = rpc(
        &app,
        &key,
        json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call",
        "params": {"name": "read_day", "arguments": {}}}),
    )
    .await;
    let day = &day.body["result"]["structuredContent"]["result"];
    assert_eq!(day["eaten"]["calories"], json!(144.0), "{day}");
    // The same diary through the API.
    let api_day = app.get("/api/v1/diary/today", &ann).await;
    assert_eq!(api_day.body["totals"]["calories"], json!(144.0));

    // Bob's food is invisible to Ann's key: a tool error, not a write.
    let denied = rpc(&app, &key, json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call",
        "params": {"name": "log_food", "arguments": {"food_id": bob_egg, "quantity": 1, "meal": "snack"}}})).await;
    assert_eq!(denied.body["result"]["isError"], true);
    let unknown = rpc(
        &app,
        &key,
        json!({"jsonrpc": "2.0", "id": 6, "method": "resources/list"}),
    )
    .await;
    assert_eq!(unknown.body["error"]["code"], -32601);
    // An unknown tool (ask_user is the chat's own) is a protocol error naming the tools.
    let no_tool = rpc(
        &app,
        &key,
        json!({"jsonrpc": "2.0", "id": 8, "method": "tools/call",
        "params": {"name": "ask_user", "arguments": {}}}),
    )
    .await;
    assert_eq!(no_tool.body["error"]["code"], -32602, "{:?}", no_tool.body);
    // Text with a control character: answered as JSON-RPC with the call's id (a tool error
    // naming the argument), not as the API's 422.
    let escaped = rpc(
        &app,
        &key,
        json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call",
        "params": {"name": "search_foods", "arguments": {"query": "egg\u{1b}"}}}),
    )
    .await;
    assert_eq!(escaped.status, StatusCode::OK, "{:?}", escaped.body);
    assert_eq!(escaped.body["id"], 9);
    assert_eq!(
        escaped.body["result"]["isError"], true,
        "{:?}",
        escaped.body
    );
    assert!(escaped
        .body
        .to_string()
        .contains("query: must not contain control"));
    assert!(no_tool.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("log_food"));
    let undone = rpc(
        &app,
        &key,
        json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
        "params": {"name": "undo_last_action"}}),
    )
    .await;
    assert_eq!(undone.body["result"]["isError"], false, "{:?}", undone.body);
    let api_day = app.get("/api/v1/diary/today", &ann).await;
    assert_eq!(api_day.body["meals"][0]["entries"], json!([]));
}

/// The streamable HTTP transport's edges: GET and DELETE are 405 with `Allow: POST` (no
/// server-initiated stream, no sessions) after authentication; a client accepting only
/// `text/event-stream` gets its answer as one `message` event; `Mcp-Protocol-Version` is
/// accepted when it names a supported revision and refused with 400 otherwise; `initialize`
/// answers with the asked revision when supported, else the newest.
#[tokio::test]
async fn mcp_over_http_follows_the_streamable_http_transport() {
    let app = spawn(Assistant::default()).await;
    let (_, ann) = app.user("ann@example.com").await;
    let key = app
        .post("/api/v1/api-keys", &ann, json!({"name": "mcp client"}))
        .await
        .body["key"]
        .as_str()
        .unwrap()
        .to_string();
    let url = format!("{}/mcp", app.base);

    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let anonymous = app
            .client
            .request(method.clone(), &url)
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED, "{method}");
        let r = app
            .client
            .request(method.clone(), &url)
            .bearer_auth(&key)
            .header("accept", "text/event-stream")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(r.headers()["allow"], "POST");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "method_not_allowed");
    }

    let post = |accept: &'static str, version: Option<&'static str>, message: Value| {
        let mut req = app
            .client
            .post(&url)
            .bearer_auth(&key)
            .header("accept", accept)
            .json(&message);
        if let Some(v) = version {
            req = req.header("mcp-protocol-version", v);
        }
        req.send()
    };
    let init = |version: &str| {
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": version, "capabilities": {},
                       "clientInfo": {"name": "test", "version": "1"}}})
    };

    // What the Python SDK sends: JSON back.
    let r = post(
        "application/json, text/event-stream",
        None,
        init("2025-11-25"),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    assert!(r.headers().get("mcp-session-id").is_none());
    let body: Value = r.json().await.unwrap();
    // An unknown (newer) revision is answered with the newest this server speaks.
    assert_eq!(body["result"]["protocolVersion"], "2025-06-18");

    // Only the event stream accepted: one `message` event holding the answer.
    let r = post(
        "text/event-stream",
        Some("2025-06-18"),
        json!({"jsonrpc": "2.0", "id": "list", "method": "tools/list"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let text = r.text().await.unwrap();
    let data = text
        .strip_prefix("event: message\ndata: ")
        .and_then(|t| t.strip_suffix("\n\n"))
        .unwrap_or_else(|| panic!("not one message event: {text:?}"));
    let answer: Value = serde_json::from_str(data).unwrap();
    assert_eq!(answer["id"], "list");
    assert!(answer["result"]["tools"].as_array().unwrap().len() > 5);

    // Notifications are acknowledged with 202 and no body, whatever is accepted.
    let r = post(
        "text/event-stream",
        Some("2025-03-26"),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert!(r.text().await.unwrap().is_empty());

    // A supported older revision is negotiated as asked.
    let r = post("application/json", Some("2024-11-05"), init("2024-11-05"))
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["result"]["protocolVersion"], "2024-11-05");

    // An unsupported Mcp-Protocol-Version is refused.
    let r = post(
        "application/json, text/event-stream",
        Some("1999-01-01"),
        json!({"jsonrpc": "2.0", "id": 2, "method": "ping"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["jsonrpc"], "2.0", "{body}");
    assert_eq!(body["id"], Value::Null, "{body}");
    assert_eq!(body["error"]["code"], -32600, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unsupported protocol version"),
        "{body}"
    );

    // Not JSON: a JSON-RPC parse error with a null id (not the API's error shape).
    let r = app
        .client
        .post(&url)
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body("{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        (&body["jsonrpc"], &body["id"], &body["error"]["code"]),
        (&json!("2.0"), &Value::Null, &json!(-32700)),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Parse error: malformed JSON"),
        "{body}"
    );

    // A batch (revisions up to 2025-03-26): the responses as one array, the notification
    // unanswered; as events, one per response.
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "ping"},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": "t", "method": "tools/list"},
    ]);
    let r = post("application/json, text/event-stream", None, batch.clone())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    let answers = body.as_array().unwrap_or_else(|| panic!("{body}"));
    assert_eq!(answers.len(), 2, "{body}");
    assert_eq!(answers[0]["id"], 1);
    assert_eq!(answers[0]["result"], json!({}));
    assert_eq!(answers[1]["id"], "t");
    assert!(answers[1]["result"]["tools"].as_array().unwrap().len() > 5);
    let r = post("text/event-stream", Some("2025-03-26"), batch.clone())
        .await
        .unwrap();
    let text = r.text().await.unwrap();
    assert_eq!(text.matches("event: message\ndata: ").count(), 2, "{text}");
    // Only notifications: 202.
    let r = post(
        "application/json",
        Some("2024-11-05"),
        json!([{"jsonrpc": "2.0", "method": "notifications/initialized"}]),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    // Refused: with 2025-06-18 (no batches), empty, too long, or holding something else.
    let pings: Vec<Value> = (0..33)
        .map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "ping"}))
        .collect();
    for (version, refused) in [
        (Some("2025-06-18"), batch.clone()),
        (None, json!([])),
        (None, Value::Array(pings)),
        (
            None,
            json!([{"jsonrpc": "2.0", "id": 1, "method": "ping"}, 1]),
        ),
        (None, json!(5)),
    ] {
        let r = post("application/json", version, refused.clone())
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{refused}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], -32600, "{refused}: {body}");
        assert_eq!(body["id"], Value::Null, "{refused}: {body}");
    }

    // Not JSON-RPC 2.0, or an id MCP does not allow: an invalid request, not an answer.
    for bad in [
        json!({"jsonrpc": "1.0", "id": 1, "method": "ping"}),
        json!({"id": 1, "method": "ping"}),
        json!({"jsonrpc": "2.0", "id": {"x": 1}, "method": "ping"}),
        json!({"jsonrpc": "2.0", "id": 1.5, "method": "ping"}),
        json!({"jsonrpc": "2.0", "id": null, "method": "ping"}),
    ] {
        let r = post("application/json", None, bad.clone()).await.unwrap();
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], -32600, "{bad}: {body}");
        assert!(body.get("result").is_none(), "{bad}: {body}");
    }

    // The document describes all three methods and the supported revisions.
    let doc = app.get("/api/v1/openapi.json", &As::Nobody).await;
    let mcp = &doc.body["paths"]["/mcp"];
    assert!(mcp["get"]["responses"]["405"]["headers"]["Allow"].is_object());
    assert!(mcp["delete"]["responses"]["405"].is_object());
    let ok = &mcp["post"]["responses"]["200"]["content"];
    assert!(ok.get("application/json").is_some() && ok.get("text/event-stream").is_some());
    let header = mcp["post"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Mcp-Protocol-Version")
        .expect("the Mcp-Protocol-Version header is documented");
    assert_eq!(
        header["schema"]["enum"],
        json!(sparky_app::assistant::mcp::PROTOCOL_VERSIONS),
        "{header}"
    );
    assert_eq!(header["required"], false, "{header}");
}

/// One answer of the model makes at most 12 tool calls: 15 quick adds log 12 entries and the
/// other three are dropped, the last result saying so, for the model to make later; an
/// endless answer is stored cut to 64 KiB.
#[tokio::test]
async fn one_answer_is_bounded_in_tool_calls_and_size() {
    let fake = FakeAi::start().await;
    let app = spawn(instance(&fake)).await;
    let (_, ann) = app.user("ann@example.com").await;
    let mut parts = Vec::new();
    for i in 0..15 {
        parts.extend(call(
            i,
            &format!("c{i}"),
            "quick_add",
            json!({"name": format!("Snack {i}"), "calories": 10, "meal": "snack"}),
        ));
    }
    fake.push(Script::answer(parts, Finish::ToolCalls));
    let long = "word ".repeat(20_000);
    fake.push(Script::text(&[long.as_str()]));
    let (status, events) = chat(&app, &ann, json!({"message": "log my snacks"})).await;
    assert_eq!(status, StatusCode::OK, "{events:?}");
    let day = app.get("/api/v1/diary/today", &ann).await;
    let snacks = day.body["meals"][3]["entries"].as_array().unwrap().len();
    assert_eq!(snacks, 12, "{:?}", day.body);
    // The three extra calls are dropped from the answer, not each answered and stored: the
    // last result tells the model.
    let owner = app.db.owner_client().await;
    let results = owner
        .query(
            "SELECT content FROM chat_messages WHERE role = 'tool' ORDER BY created_at, id",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(results.len(), 12);
    let notes = results
        .iter()
        .filter(|r| r.get::<_, String>(0).contains("Not run: 3 more tool calls"))
        .count();
    assert_eq!(notes, 1);
    let calls: i64 = owner
        .query_one(
            "SELECT max(jsonb_array_length(tool_calls))::bigint FROM chat_messages WHERE tool_calls IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(calls, 12);
    let stored: i64 = app
        .db
        .owner_client()
        .await
        .query_one(
            "SELECT max(octet_length(content))::bigint FROM chat_messages WHERE role = 'assistant'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    // The cut answer, after the summary of what was logged.
    assert!(stored <= 70 * 1024, "{stored}");
}

/// A read-only key reads everything its user may read, over the API and MCP, and PostgreSQL
/// refuses every write made with it (403 over the API, a tool error over MCP): nothing is
/// written. The key's own last-used time still moves.
#[tokio::test]
async fn a_read_only_key_reads_and_writes_nothing() {
    let app = spawn(Assistant::default()).await;
    let (_, ann) = app.user("ann@example.com").await;
    let egg = food(&app, &ann, "Egg", "large", 50, 72).await;
    let made = app
        .post(
            "/api/v1/api-keys",
            &ann,
            json!({"name": "dashboard", "read_only": true}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    assert_eq!(made.body["read_only"], true);
    let key = made.body["key"].as_str().unwrap().to_string();
    let ro = As::Key(key.clone());

    let me = app.get("/api/v1/me", &ro).await;
    assert_eq!(me.status, StatusCode::OK, "{:?}", me.body);
    let day = app.get("/api/v1/diary/today", &ro).await;
    assert_eq!(day.status, StatusCode::OK, "{:?}", day.body);
    let listed = app.get("/api/v1/api-keys", &ann).await;
    assert_eq!(listed.body[0]["read_only"], true, "{:?}", listed.body);
    assert!(listed.body[0]["last_used_at"].is_string());

    let writes = [
        (
            "POST",
            "/api/v1/diary/quick-add".to_string(),
            json!({"date": "2026-07-01", "meal_type": "snack", "name": "Cookie", "nutrients": {"calories": 100}}),
        ),
        (
            "PUT",
            "/api/v1/preferences".into(),
            json!({"theme": "dark"}),
        ),
        (
            "POST",
            "/api/v1/api-keys".into(),
            json!({"name": "a writable one"}),
        ),
        (
            "POST",
            "/api/v1/measurements".into(),
            json!({"type": "weight", "value": 80, "unit": "kg"}),
        ),
    ];
    for (method, path, body) in writes {
        let r = match method {
            "POST" => app.post(&path, &ro, body).await,
            _ => app.put(&path, &ro, body).await,
        };
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {:?}",
            r.body
        );
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("read-only"),
            "{:?}",
            r.body
        );
    }
    let key_id = made.body["id"].as_str().unwrap();
    let r = app.delete(&format!("/api/v1/api-keys/{key_id}"), &ro).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);

    // MCP: reading works, logging is a tool error.
    let read = rpc(
        &app,
        &key,
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "read_day", "arguments": {}}}),
    )
    .await;
    assert_eq!(read.body["result"]["isError"], false, "{:?}", read.body);
    let log = rpc(&app, &key, json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "log_food", "arguments": {"food_id": egg, "quantity": 1, "unit": "large", "meal": "breakfast"}}}))
    .await;
    assert_eq!(log.body["result"]["isError"], true, "{:?}", log.body);

    // Nothing was written: the days are empty, the preferences and keys as they were.
    let other = app.get("/api/v1/diary/2026-07-01", &ann).await;
    assert_eq!(
        other.body["totals"]["calories"],
        json!(null),
        "{:?}",
        other.body
    );
    let day = app.get("/api/v1/diary/today", &ann).await;
    assert_eq!(
        day.body["totals"]["calories"],
        json!(null),
        "{:?}",
        day.body
    );
    assert_ne!(
        app.get("/api/v1/preferences", &ann).await.body["theme"],
        "dark"
    );
    let listed = app.get("/api/v1/api-keys", &ann).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    let m = app.get("/api/v1/measurements?type=weight", &ann).await;
    assert_eq!(m.body["items"], json!([]), "{:?}", m.body);
    // A key made without the flag writes.
    let full = app
        .post("/api/v1/api-keys", &ann, json!({"name": "phone"}))
        .await;
    assert_eq!(full.body["read_only"], false);
    let full = As::Key(full.body["key"].as_str().unwrap().to_string());
    let r = app
        .put("/api/v1/preferences", &full, json!({"theme": "dark"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

/// A tool argument that does not exist (`day` for `date`) is an error naming it and the
/// arguments there are; nothing is written (it was ignored, and the food logged to today).
#[tokio::test]
async fn an_unknown_tool_argument_is_refused() {
    let app = spawn(Assistant::default()).await;
    let (_, ann) = app.user("ann@example.com").await;
    let egg = food(&app, &ann, "Egg", "large", 50, 72).await;
    let key = app
        .post("/api/v1/api-keys", &ann, json!({"name": "mcp"}))
        .await
        .body["key"]
        .as_str()
        .unwrap()
        .to_string();
    let r = rpc(
        &app,
        &key,
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "log_food", "arguments": {"food_id": egg, "quantity": 1, "unit": "large",
        "meal": "breakfast", "day": "2026-01-01"}}}),
    )
    .await;
    let result = &r.body["result"];
    assert_eq!(result["isError"], true, "{result}");
    let text = result["content"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("no argument day") && text.contains("date"),
        "{text}"
    );
    let today = app.get("/api/v1/diary/today", &ann).await;
    assert_eq!(
        today.body["totals"]["calories"],
        json!(null),
        "{:?}",
        today.body
    );
}

/// log_exercise by name: a phone's activity name maps as for pushes ("running" → "Running,
/// general", not the first by name, "Running up stairs" at 15 MET); an exact name is taken;
/// several matches are listed to choose from, and nothing is logged.
#[tokio::test]
async fn log_exercise_takes_the_exercise_a_name_means() {
    let app = spawn(Assistant::default()).await;
    let (_, ann) = app.user("ann@example.com").await;
    let key = app
        .post("/api/v1/api-keys", &ann, json!({"name": "mcp client"}))
        .await
        .body["key"]
        .as_str()
        .unwrap()
        .to_string();
    let call = |args: Value| {
        let (app, key) = (&app, &key);
        async move {
            let r = rpc(
                app,
                key,
                json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                "params": {"name": "log_exercise", "arguments": args}}),
            )
            .await;
            r.body["result"].clone()
        }
    };
    for name in ["running", "Run"] {
        let r = call(json!({"exercise": name, "duration_minutes": 30})).await;
        assert_eq!(r["isError"], false, "{r}");
        assert_eq!(
            r["structuredContent"]["result"]["logged"]["exercise"], "Running, general",
            "{r}"
        );
    }
    let r = call(json!({"exercise": "running up stairs", "duration_minutes": 5})).await;
    assert_eq!(
        r["structuredContent"]["result"]["logged"]["exercise"], "Running up stairs",
        "{r}"
    );
    let r = call(json!({"exercise": "bench press", "duration_minutes": 20})).await;
    assert_eq!(r["isError"], true, "{r}");
    let text = r["content"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("several exercises match") && text.contains("exercise_id"),
        "{text}"
    );
    let logged: i64 = app
        .db
        .owner_client()
        .await
        .query_one("SELECT count(*) FROM exercise_diary", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(logged, 3);
}
