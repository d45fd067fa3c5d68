//! `sparky mcp`: the assistant's tools over stdio for the user of SPARKY_API_KEY, driven the
//! way an MCP client does: initialize, list tools, log a food, read the day.

use std::process::Stdio;

use serde_json::{json, Value};
use sparky_testkit::{TestDb, APP_ROLE};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

#[tokio::test]
async fn mcp_over_stdio_logs_a_food_and_reads_the_day() {
    let db = TestDb::new().await;
    let database = db.database().await;
    let tx = database.anonymous().await.unwrap();
    let user: uuid::Uuid = tx
        .query_and_commit(
            "SELECT user_id FROM auth.register_user('ann@example.com', 'x', 'Ann', true)",
            &[],
        )
        .await
        .unwrap()[0]
        .get(0);
    let mut tx = database.as_user(user).await.unwrap();
    let key = sparky_app::api_keys::create(
        &mut tx,
        serde_json::from_value(json!({"name": "mcp"})).unwrap(),
    )
    .await
    .unwrap()
    .key;
    let food: sparky_app::foods::FoodInput = serde_json::from_value(json!({"name": "Egg",
        "servings": [{"size": 1, "unit": "large", "weight_g": 50, "nutrients": {"calories": 72}}]}))
    .unwrap();
    let egg = sparky_app::foods::create(&mut tx, &food.parse().unwrap())
        .await
        .unwrap()
        .id;
    tx.commit().await.unwrap();

    let data = std::env::temp_dir().join(format!("sparky-mcp-{}", uuid::Uuid::new_v4()));
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_sparky"))
        .arg("mcp")
        .env("SPARKY_DATA_DIR", &data)
        .env_remove("SPARKY_APP_DATABASE_URL")
        .env("DATABASE_URL", db.url())
        .env("SPARKY_APP_ROLE", APP_ROLE)
        .env("SPARKY_API_KEY", &key)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start sparky mcp");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    async fn send(stdin: &mut tokio::process::ChildStdin, message: Value) {
        stdin
            .write_all(format!("{message}\n").as_bytes())
            .await
            .unwrap();
    }
    send(&mut stdin, json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}))
    .await;
    // A notification gets no answer: the next line answers the next request.
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .await;
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
    )
    .await;
    send(&mut stdin, json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "log_food", "arguments": {"food_id": egg, "quantity": 2, "unit": "large", "meal": "lunch"}}}))
    .await;
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call",
        "params": {"name": "read_day", "arguments": {"date": "today"}}}),
    )
    .await;
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call",
        "params": {"name": "read_day", "arguments": {"date": "not a date"}}}),
    )
    .await;
    // A batch (as revisions up to 2025-03-26 allow): answered as one array, without the
    // notification; an array inside it is not a message.
    send(
        &mut stdin,
        json!([{"jsonrpc": "2.0", "id": 6, "method": "ping"},
               [{"jsonrpc": "2.0", "id": 7, "method": "ping"}],
               {"jsonrpc": "2.0", "method": "notifications/initialized"}]),
    )
    .await;
    drop(stdin); // end of input: the server exits
    let mut answers = Vec::new();
    while let Some(line) = stdout.next_line().await.unwrap() {
        answers.push(serde_json::from_str::<Value>(&line).unwrap());
    }
    assert!(child.wait().await.unwrap().success());
    let _ = std::fs::remove_dir_all(&data);
    let batch = answers.pop().unwrap();
    assert_eq!(
        batch,
        json!([{"jsonrpc": "2.0", "id": 6, "result": {}},
               {"jsonrpc": "2.0", "id": null,
                "error": {"code": -32600, "message": "a batch holds JSON-RPC message objects"}}])
    );
    let ids: Vec<i64> = answers.iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [1, 2, 3, 4, 5]);
    assert_eq!(answers[0]["result"]["protocolVersion"], "2025-06-18");
    assert!(answers[1]["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["name"] == "log_food"));
    assert_eq!(answers[2]["result"]["isError"], false, "{}", answers[2]);
    let day = &answers[3]["result"]["structuredContent"]["result"];
    assert_eq!(day["eaten"]["calories"], json!(144.0), "{day}");
    assert_eq!(day["meals"][0]["meal"], "lunch");
    assert_eq!(answers[4]["result"]["isError"], true);
}

/// Over stdio as over HTTP: text with control characters is refused naming the argument, and
/// a key revoked while the client runs stops it at the next message.
#[tokio::test]
async fn stdio_refuses_control_characters_and_a_revoked_key() {
    let db = TestDb::new().await;
    let database = db.database().await;
    let tx = database.anonymous().await.unwrap();
    let user: uuid::Uuid = tx
        .query_and_commit(
            "SELECT user_id FROM auth.register_user('ann@example.com', 'x', 'Ann', true)",
            &[],
        )
        .await
        .unwrap()[0]
        .get(0);
    let mut tx = database.as_user(user).await.unwrap();
    let key = sparky_app::api_keys::create(
        &mut tx,
        serde_json::from_value(json!({"name": "mcp"})).unwrap(),
    )
    .await
    .unwrap()
    .key;
    tx.commit().await.unwrap();

    let data = std::env::temp_dir().join(format!("sparky-mcp-{}", uuid::Uuid::new_v4()));
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_sparky"))
        .arg("mcp")
        .env("SPARKY_DATA_DIR", &data)
        .env_remove("SPARKY_APP_DATABASE_URL")
        .env("DATABASE_URL", db.url())
        .env("SPARKY_APP_ROLE", APP_ROLE)
        .env("SPARKY_API_KEY", &key)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start sparky mcp");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut ask = async |message: Value| -> Value {
        stdin
            .write_all(format!("{message}\n").as_bytes())
            .await
            .unwrap();
        let line = stdout.next_line().await.unwrap().unwrap();
        serde_json::from_str(&line).unwrap()
    };
    let escaped = ask(json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "quick_add",
                   "arguments": {"meal": "snack", "calories": 42, "name": "evil\u{1b}[31mred"}}}))
    .await;
    assert_eq!(escaped["result"]["isError"], true, "{escaped}");
    assert!(escaped
        .to_string()
        .contains("name: must not contain control characters"));

    let owner = db.owner_client().await;
    owner.execute("DELETE FROM api_keys", &[]).await.unwrap();
    let after = ask(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "log_water", "arguments": {"amount": 250}}}))
    .await;
    assert_eq!(after["error"]["code"], -32001, "{after}");
    assert_eq!(after["id"], 2);
    let written: i64 = owner
        .query_one(
            "SELECT (SELECT count(*) FROM food_diary) + (SELECT count(*) FROM measurements)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(written, 0);
    drop(stdin);
    let _ = child.wait().await;
    let _ = std::fs::remove_dir_all(&data);
}
