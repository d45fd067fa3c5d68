//! A hostile MCP client (or a model gone wrong): every tool `tools/list` names is called with
//! arguments drawn from its own input schema's property names, each given a value of any type
//! (NUL, huge, negative and non-finite-looking numbers, impossible dates, other users' and
//! random ids, arrays and objects where text belongs). Every call must answer a JSON-RPC
//! result, a tool error that says what was wrong (never "the tool failed on the server"), and
//! afterwards the day totals still equal the diaries and nothing of another user changed.

mod common;

use common::{assert_day_totals_match_diary, As, TestApp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn food(app: &TestApp, who: &As, name: &str) -> String {
    let r = app
        .post(
            "/api/v1/foods",
            who,
            json!({"name": name, "servings": [{"size": 1, "unit": "piece", "weight_g": 50,
                                               "nutrients": {"calories": 72, "protein": 6}}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

/// A value of any JSON type, often one that has broken a parser somewhere.
fn hostile(rng: &mut StdRng, ids: &[String], depth: u8) -> Value {
    let texts = [
        "",
        " ",
        "\u{0}",
        "egg\u{0}",
        "today",
        "yesterday",
        "tomorrow",
        "2026-12-06",
        "9999-12-31",
        "0001-01-01",
        "2024-02-30",
        "1899-12-31T23:59:59Z",
        "2200-01-01T00:00:00+14:00",
        "breakfast",
        "lunch",
        "snack",
        "elevenses",
        "g",
        "kg",
        "lb",
        "cup",
        "piece",
        "large",
        "weight",
        "water",
        "steps",
        "calories",
        "running",
        "-1",
        "1e400",
        "NaN",
        "½",
        "٣",
        "🍌",
        "00000000-0000-0000-0000-000000000000",
        "not-a-uuid",
    ];
    match rng.random_range(0..12) {
        0..=3 => json!(texts[rng.random_range(0..texts.len())]),
        4 => json!(ids[rng.random_range(0..ids.len())]),
        5 => json!(
            ["0", "-1", "1", "0.5", "2", "100", "1e6"][rng.random_range(0..7)]
                .parse::<f64>()
                .unwrap()
        ),
        6 => json!(
            [
                -1e308,
                1e308,
                -0.0,
                1e-300,
                9_007_199_254_740_993.0,
                -2_147_483_649.0,
                1439.5,
                1441.0
            ][rng.random_range(0..8)]
        ),
        7 => json!(rng.random_range(-5..100_000_i64)),
        8 => json!(rng.random_bool(0.5)),
        9 => Value::Null,
        10 if depth < 2 => json!((0..rng.random_range(0..4))
            .map(|_| hostile(rng, ids, depth + 1))
            .collect::<Vec<_>>()),
        10 => json!([]),
        _ if depth < 2 => {
            json!({"name": hostile(rng, ids, depth + 1), "quantity": hostile(rng, ids, depth + 1)})
        }
        _ => json!({}),
    }
}

#[tokio::test]
async fn every_tool_survives_hostile_arguments() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let egg = food(&app, &ann, "Egg").await;
    let bobs = food(&app, &bob, "Toast").await;
    let r = app
        .post(
            "/api/v1/diary",
            &bob,
            json!({"food_item_id": bobs, "quantity": 1, "unit": "piece", "meal_type": "lunch"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let bob_entry = r.body["id"].as_str().unwrap().to_string();
    let key = app
        .post("/api/v1/api-keys", &ann, json!({"name": "mcp"}))
        .await
        .body["key"]
        .as_str()
        .unwrap()
        .to_string();
    let key = As::Key(key);
    let bob_before = bob_rows(&app).await;

    let list = app
        .post(
            "/mcp",
            &key,
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
        )
        .await;
    let tools = list.body["result"]["tools"].as_array().unwrap().clone();
    assert!(tools.len() >= 10, "{tools:?}");
    let mut ids = vec![egg.clone(), bobs.clone(), bob_entry.clone()];
    let mut rng = StdRng::seed_from_u64(0x3c9_f022);
    let mut answered_ok = 0;
    let mut refused = 0;
    for round in 0..40 {
        for tool in &tools {
            let name = tool["name"].as_str().unwrap();
            let properties = tool["inputSchema"]["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            let mut args = serde_json::Map::new();
            // Mostly sensible arguments with one or two hostile ones, so that the hostile
            // values reach the writes behind the checks of the others.
            for (property, schema) in &properties {
                if rng.random_bool(0.25) {
                    args.insert(property.clone(), hostile(&mut rng, &ids, 0));
                } else if let Some(v) = plausible(&mut rng, property, schema, &egg) {
                    args.insert(property.clone(), v);
                }
            }
            if rng.random_bool(0.1) {
                args.insert("surprise".into(), json!(1));
            }
            let call = json!({"jsonrpc": "2.0", "id": round, "method": "tools/call",
                              "params": {"name": name, "arguments": args}});
            let r = app.post("/mcp", &key, call.clone()).await;
            assert_eq!(r.status, StatusCode::OK, "{call}: {:?}", r.body);
            let result = &r.body["result"];
            assert!(result.is_object(), "{call}: {:?}", r.body);
            let text = result["content"][0]["text"].as_str().unwrap_or_default();
            assert!(
                !text.contains("failed on the server") && !text.contains("database error"),
                "{call}: {text}"
            );
            if result["isError"] == true {
                refused += 1;
                assert!(!text.is_empty(), "{call}: a refusal says why");
            } else {
                answered_ok += 1;
                // Ids the tools hand out (entries, actions) go into later rounds' arguments.
                let mut found = Vec::new();
                collect_ids(&result["structuredContent"], &mut found);
                for id in found.into_iter().take(3) {
                    if !ids.contains(&id) && ids.len() < 40 {
                        ids.push(id);
                    }
                }
            }
        }
    }
    assert!(
        answered_ok > 100 && refused > 200,
        "{answered_ok} {refused}"
    );
    assert_eq!(
        bob_rows(&app).await,
        bob_before,
        "another user's rows changed"
    );
    assert_day_totals_match_diary(&app).await;
    // The account still reads its day.
    let r = app.get("/api/v1/summary/2026-12-06", &key).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

/// A value a well-behaved client would send for the property, or None to leave it out.
fn plausible(rng: &mut StdRng, property: &str, schema: &Value, food: &str) -> Option<Value> {
    if let Some(choices) = schema["enum"].as_array() {
        return Some(choices[rng.random_range(0..choices.len())].clone());
    }
    let day = format!("2026-12-0{}", rng.random_range(1..7));
    Some(match property {
        "user_id" | "serving_id" | "exercise_id" | "confirm_large" | "by_weekday" => return None,
        "date" | "from" | "to" => json!(day),
        "food_id" => json!(food),
        "unit" | "target_unit" => json!(["piece", "g", "kg", "ml"][rng.random_range(0..4)]),
        "name" => json!("Fuzz"),
        "query" => json!("egg"),
        "exercise" => json!("running"),
        "type" => json!(["weight", "water", "steps", "waist"][rng.random_range(0..4)]),
        "ingredients" => json!([{"food_id": food, "quantity": 1}]),
        "sets" => json!([{"reps": 5, "weight": 20}]),
        _ => match schema["type"].as_str() {
            Some("integer") => json!(rng.random_range(1..60)),
            Some("number") => json!(rng.random_range(1..4)),
            Some("boolean") => json!(false),
            _ => return None,
        },
    })
}

fn collect_ids(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.len() == 36 && uuid::Uuid::parse_str(s).is_ok() => {
            out.push(s.clone())
        }
        Value::Array(items) => items.iter().for_each(|i| collect_ids(i, out)),
        Value::Object(map) => map.values().for_each(|i| collect_ids(i, out)),
        _ => {}
    }
}

/// Bob's diary entries and foods, counted as the owner.
async fn bob_rows(app: &TestApp) -> (i64, i64) {
    let owner = app.db.owner_client().await;
    let r = owner
        .query_one(
            "SELECT (SELECT count(*) FROM food_diary d JOIN users u ON u.id = d.user_id
                     WHERE u.email = 'bob@example.com'),
                    (SELECT count(*) FROM food_items f JOIN users u ON u.id = f.user_id
                     WHERE u.email = 'bob@example.com')",
            &[],
        )
        .await
        .unwrap();
    (r.get(0), r.get(1))
}
