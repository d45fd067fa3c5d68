//! Photos and labels against the fake AI provider and a real PostgreSQL: a meal photo is
//! estimated by the vision model and matched to foods (nothing written); the confirmed items
//! are logged together, as one action that undoes them all, or not at all; a nutrition label
//! becomes a food that `POST /api/v1/foods` takes; impossible labels are refused; the photo
//! routes take larger bodies than the rest; the calls count against the assistant's limits;
//! and a chat message with a photo cannot log before the user confirmed.

mod assistant_kit;
mod common;

use assistant_kit::sse_events as events;
use base64::Engine;
use common::{As, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sparky_app::assistant::config::{Assistant, InstanceConfig, ProviderKind, SecretKey};
use sparky_testkit::fake_ai::{ErrorKind, FakeAi, Finish, Part, Script};
use std::time::Duration;

async fn spawn(assistant: Assistant) -> TestApp {
    TestApp::spawn_with_assistant(assistant).await
}

fn instance(fake: &FakeAi, kind: ProviderKind) -> Assistant {
    Assistant {
        instance: InstanceConfig {
            provider: Some(kind),
            base_url: Some(fake.url().to_string()),
            model: Some("chat-model".into()),
            vision_model: Some("vision-model".into()),
            api_key: Some("instance-key".into()),
            initial_backoff: Duration::from_millis(10),
            ..InstanceConfig::default()
        },
        secret: Some(SecretKey::from_bytes([42; 32])),
    }
}

/// A small "JPEG": the magic bytes and some filler, in base64.
fn jpeg(len: usize) -> String {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.resize(len.max(4), 7);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn photo(data: &str) -> Value {
    json!({"media_type": "image/jpeg", "data": data})
}

/// A catalog food (as the owner: the catalog is read-only to users) with one serving.
async fn catalog_food(
    app: &TestApp,
    name: &str,
    size: i32,
    unit: &str,
    weight_g: Option<i32>,
    kcal: i32,
) -> String {
    let owner = app.db.owner_client().await;
    let id: uuid::Uuid = owner
        .query_one(
            "INSERT INTO food_items (name, source, source_id) VALUES ($1, 'test', $1) RETURNING id",
            &[&name],
        )
        .await
        .unwrap()
        .get(0);
    owner
        .execute(
            "INSERT INTO nutrition_data (food_item_id, serving_size, serving_unit, serving_weight_g,
                                         is_default, calories)
             VALUES ($1, $2::integer::numeric, $3, $4::integer::numeric, true, $5::integer::numeric)",
            &[&id, &size, &unit, &weight_g, &kcal],
        )
        .await
        .unwrap();
    id.to_string()
}

/// A food of `who`'s own.
async fn own_food(app: &TestApp, who: &As, name: &str, serving: Value) -> String {
    let r = app
        .post(
            "/api/v1/foods",
            who,
            json!({"name": name, "servings": [serving]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

async fn diary_today(app: &TestApp, who: &As) -> Value {
    let r = app.get("/api/v1/diary/today", who).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

fn entry_count(day: &Value) -> usize {
    day["meals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["entries"].as_array().unwrap().len())
        .sum()
}

/// Scrambled eggs (catalog, 149 kcal per 100 g), white toast (catalog, 85 kcal a 29 g slice)
/// and a food of Ann's own (Greek yogurt, 100 kcal a 170 g cup).
struct Foods {
    egg: String,
    toast: String,
    yogurt: String,
}

async fn seed(app: &TestApp, ann: &As) -> Foods {
    Foods {
        egg: catalog_food(
            app,
            "Egg, whole, cooked, scrambled",
            100,
            "g",
            Some(100),
            149,
        )
        .await,
        toast: catalog_food(app, "Bread, white, toasted", 1, "slice", Some(29), 85).await,
        yogurt: own_food(
            app,
            ann,
            "Greek yogurt",
            json!({"size": 1, "unit": "cup", "weight_g": 170, "nutrients": {"calories": 100}}),
        )
        .await,
    }
}

#[tokio::test]
async fn a_meal_photo_is_matched_to_foods_and_writes_nothing() {
    let fake = FakeAi::start().await;
    let app = spawn(instance(&fake, ProviderKind::OpenAi)).await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let foods = seed(&app, &ann).await;
    // A local model's answer: prose, a code fence, single quotes, weights as text.
    fake.push(Script::text(&[
        "Sure! I can see a breakfast plate.\n```json\n{\"items\": [",
        "{\"name\": \"scrambled eggs\", \"grams\": \"120 g\"}, {'name': 'toast', 'grams': '58g'},",
        "{\"name\": \"Greek yogurt\", \"grams\": 150}, {\"name\": \"dragon fruit\", \"grams\": \"~80\"},",
        "{\"name\": \"whole cake\", \"grams\": 4500},]}\n```\nLet me know if you need more!",
    ]));
    let image = jpeg(2000);
    let r = app
        .post(
            "/api/v1/assistant/meal-photo",
            &ann,
            json!({"image": photo(&image), "hint": "the yogurt is full fat"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 4, "{:?}", r.body);

    let eggs = &items[0];
    assert_eq!(eggs["name"], "scrambled eggs");
    assert_eq!(eggs["grams"], json!(120.0));
    assert_eq!(eggs["food"]["id"], json!(foods.egg));
    assert_eq!(eggs["food"]["name"], "Egg, whole, cooked, scrambled");
    assert_eq!(eggs["food"]["brand"], Value::Null);
    assert_eq!(eggs["calories"], json!(178.8));

    // "toast" only starts a word of the catalog's name: not confident, offered instead.
    let toast = &items[1];
    assert_eq!(toast["grams"], json!(58.0));
    assert_eq!(toast["food"], Value::Null);
    assert_eq!(toast["calories"], Value::Null);
    assert_eq!(toast["alternatives"][0]["id"], json!(foods.toast));
    assert_eq!(toast["alternatives"][0]["calories"], json!(170.0));

    // Ann's own food matches for Ann.
    let yogurt = &items[2];
    assert_eq!(yogurt["food"]["id"], json!(foods.yogurt));
    assert_eq!(yogurt["calories"], json!(88.2353));

    let unknown = &items[3];
    assert_eq!(unknown["name"], "dragon fruit");
    assert_eq!(unknown["food"], Value::Null);
    assert_eq!(unknown["alternatives"], json!([]));

    assert_eq!(r.body["provider"], "OpenAI");
    assert_eq!(r.body["model"], "vision-model");
    let warnings = r.body["warnings"].as_array().unwrap();
    assert!(
        warnings.len() == 1 && warnings[0].as_str().unwrap().contains("whole cake"),
        "{warnings:?}"
    );

    // The vision model got the photo and the hint, with no tools and no response_format.
    let sent = &fake.requests()[0];
    assert_eq!(sent.body["model"], "vision-model");
    assert!(sent.body.get("response_format").is_none());
    assert!(sent.body.get("tools").is_none_or(|t| t == &json!([])));
    let body = sent.body.to_string();
    assert!(body.contains(&format!("data:image/jpeg;base64,{image}")));
    assert!(body.contains("the yogurt is full fat"));

    // Nothing was written; the call counts against the budget.
    assert_eq!(entry_count(&diary_today(&app, &ann).await), 0);
    let owner = app.db.owner_client().await;
    let row = owner
        .query_one(
            "SELECT kind, model, tokens_in, tokens_out, error FROM assistant_requests
             WHERE user_id = $1::text::uuid",
            &[&ann_id],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "meal_photo");
    assert_eq!(row.get::<_, String>(1), "vision-model");
    assert_eq!(
        (row.get::<_, Option<i32>>(2), row.get::<_, Option<i32>>(3)),
        (Some(12), Some(7))
    );
    assert_eq!(row.get::<_, Option<String>>(4), None);

    // Bob does not see Ann's yogurt: no match for him.
    let (_, bob) = app.user("bob@example.com").await;
    fake.push(Script::text(&[
        "{\"items\": [{\"name\": \"Greek yogurt\", \"grams\": 150}]}",
    ]));
    let r = app
        .post(
            "/api/v1/assistant/meal-photo",
            &bob,
            json!({"image": photo(&image)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["items"][0]["food"], Value::Null, "{:?}", r.body);
    assert_eq!(r.body["items"][0]["alternatives"], json!([]));
}

#[tokio::test]
async fn the_anthropic_wire_and_an_answer_without_food() {
    let fake = FakeAi::start().await;
    let app = spawn(instance(&fake, ProviderKind::Anthropic)).await;
    let (_, ann) = app.user("ann@example.com").await;
    let foods = seed(&app, &ann).await;
    fake.push(Script::text(&[
        "[{\"food\": \"Scrambled eggs\", \"weight_g\": 0.2, \"unit\": \"kg\"}]",
    ]));
    let image = jpeg(500);
    let r = app
        .post(
            "/api/v1/assistant/meal-photo",
            &ann,
            json!({"image": photo(&image)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["items"][0]["grams"], json!(200.0));
    assert_eq!(r.body["items"][0]["food"]["id"], json!(foods.egg));
    assert_eq!(r.body["provider"], "Anthropic");
    let sent = &fake.requests()[0];
    assert!(sent.path.ends_with("/messages"), "{}", sent.path);
    assert!(sent.body.to_string().contains(&image));

    fake.push(Script::text(&["I cannot see any food in this picture."]));
    let r = app
        .post(
            "/api/v1/assistant/meal-photo",
            &ann,
            json!({"image": photo(&image)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["items"], json!([]));
    assert!(r.body["warnings"][0]
        .as_str()
        .unwrap()
        .contains("cannot see any food"));
}

#[tokio::test]
async fn confirmed_items_are_logged_together_and_undone_together() {
    let app = spawn(Assistant::default()).await;
    let (_, ann) = app.user("ann@example.com").await;
    let foods = seed(&app, &ann).await;
    let r = app
        .post(
            "/api/v1/assistant/meal-photo/log",
            &ann,
            json!({"meal_type": "snacks", "items": [
                {"food_id": foods.egg, "grams": 120},
                {"food_id": foods.toast, "grams": 58},
                {"food_id": foods.yogurt, "grams": 150}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let entries = r.body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    let kcal: Vec<f64> = entries
        .iter()
        .map(|e| e["nutrients"]["calories"].as_f64().unwrap())
        .collect();
    assert_eq!(kcal, [178.8, 170.0, 88.2353]);
    assert_eq!(entries[0]["meal_type"], "snack");
    assert_eq!(entries[1]["unit"], "g");
    assert_eq!(entries[1]["servings"], json!(2.0));
    assert_eq!(r.body["totals"]["calories"], json!(437.0353));

    // The entries are the diary's, as GET /api/v1/diary shows them.
    let day = diary_today(&app, &ann).await;
    assert_eq!(entry_count(&day), 3);
    assert_eq!(day["totals"]["calories"], json!(437.0353));
    let snacks = &day["meals"][3];
    assert_eq!(snacks["meal_type"], "snack");
    for e in entries {
        assert!(
            snacks["entries"].as_array().unwrap().contains(e),
            "{e} is not in {snacks}"
        );
    }
    common::assert_day_totals_match_diary(&app).await;

    // One undo removes them all.
    let action = r.body["action_id"].as_str().unwrap();
    let undo = app
        .post(
            &format!("/api/v1/chat/actions/{action}/undo"),
            &ann,
            json!({}),
        )
        .await;
    assert_eq!(undo.status, StatusCode::OK, "{:?}", undo.body);
    assert_eq!(undo.body["card"]["lines"].as_array().unwrap().len(), 3);
    assert_eq!(entry_count(&diary_today(&app, &ann).await), 0);
    let again = app
        .post(
            &format!("/api/v1/chat/actions/{action}/undo"),
            &ann,
            json!({}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    common::assert_day_totals_match_diary(&app).await;

    // A date of its own; an entry deleted by hand does not stop the undo of the others.
    let r = app
        .post(
            "/api/v1/assistant/meal-photo/log",
            &ann,
            json!({"meal_type": "dinner", "date": "2026-01-15", "items": [
                {"food_id": foods.egg, "grams": 100}, {"food_id": foods.egg, "grams": 50}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["entries"][1]["date"], "2026-01-15");
    let first = r.body["entries"][0]["id"].as_str().unwrap();
    let del = app.delete(&format!("/api/v1/diary/{first}"), &ann).await;
    assert_eq!(del.status, StatusCode::NO_CONTENT, "{:?}", del.body);
    let action = r.body["action_id"].as_str().unwrap();
    let undo = app
        .post(
            &format!("/api/v1/chat/actions/{action}/undo"),
            &ann,
            json!({}),
        )
        .await;
    assert_eq!(undo.status, StatusCode::OK, "{:?}", undo.body);
    let day = app.get("/api/v1/diary/2026-01-15", &ann).await;
    assert_eq!(entry_count(&day.body), 0);
}

#[tokio::test]
async fn one_bad_item_writes_nothing() {
    let app = spawn(Assistant::default()).await;
    let (_, ann) = app.user("ann@example.com").await;
    let foods = seed(&app, &ann).await;
    let pizza = own_food(
        &app,
        &ann,
        "Pizza",
        json!({"size": 1, "unit": "slice", "nutrients": {"calories": 280}}),
    )
    .await;
    let log = |items: Value| {
        let app = &app;
        let ann = &ann;
        async move {
            app.post(
                "/api/v1/assistant/meal-photo/log",
                ann,
                json!({"meal_type": "lunch", "items": items}),
            )
            .await
        }
    };
    let unknown = uuid::Uuid::new_v4().to_string();
    let r =
        log(json!([{"food_id": foods.egg, "grams": 100}, {"food_id": unknown, "grams": 50}])).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(
        r.body["error"]["fields"]["items[1].food_id"].is_string(),
        "{:?}",
        r.body
    );

    // A food without a weight in grams cannot be logged in grams.
    let r =
        log(json!([{"food_id": foods.egg, "grams": 100}, {"food_id": pizza, "grams": 120}])).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let problem = r.body["error"]["fields"]["items[1].grams"]
        .as_str()
        .unwrap();
    assert!(problem.contains("Pizza"), "{problem}");

    for bad in [
        json!([{"food_id": foods.egg, "grams": 0}]),
        json!([{"food_id": foods.egg, "grams": 3001}]),
        json!([{"food_id": foods.egg, "grams": -5}]),
        json!([]),
        json!((0..21)
            .map(|_| json!({"food_id": foods.egg, "grams": 10}))
            .collect::<Vec<_>>()),
    ] {
        let r = log(bad.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {:?}",
            r.body
        );
    }
    let r = app
        .post(
            "/api/v1/assistant/meal-photo/log",
            &ann,
            json!({"meal_type": "brunch", "items": [{"food_id": foods.egg, "grams": 10}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);

    assert_eq!(entry_count(&diary_today(&app, &ann).await), 0);
    let owner = app.db.owner_client().await;
    let actions: i64 = owner
        .query_one("SELECT count(*) FROM assistant_actions", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(actions, 0);
}

#[tokio::test]
async fn another_users_private_food_cannot_be_logged() {
    let app = spawn(Assistant::default()).await;
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let foods = seed(&app, &ann).await;
    let r = app
        .post(
            "/api/v1/assistant/meal-photo/log",
            &bob,
            json!({"meal_type": "lunch", "items": [
                {"food_id": foods.egg, "grams": 100}, {"food_id": foods.yogurt, "grams": 100}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(r.body["error"]["fields"]["items[1].food_id"].is_string());
    assert_eq!(entry_count(&diary_today(&app, &bob).await), 0);
    assert_eq!(entry_count(&diary_today(&app, &ann).await), 0);
    // Nor can Bob undo Ann's action.
    let r = app
        .post(
            "/api/v1/assistant/meal-photo/log",
            &ann,
            json!({"meal_type": "lunch", "items": [{"food_id": foods.yogurt, "grams": 100}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let action = r.body["action_id"].as_str().unwrap();
    let undo = app
        .post(
            &format!("/api/v1/chat/actions/{action}/undo"),
            &bob,
            json!({}),
        )
        .await;
    assert_eq!(undo.status, StatusCode::NOT_FOUND);
    assert_eq!(entry_count(&diary_today(&app, &ann).await), 1);
}

#[tokio::test]
async fn a_label_becomes_a_food_the_foods_api_takes() {
    let fake = FakeAi::start().await;
    let app = spawn(instance(&fake, ProviderKind::Anthropic)).await;
    let (_, ann) = app.user("ann@example.com").await;
    fake.push(Script::text(&[
        "Here is the label:\n```json\n{\"name\": \"Crunchy granola\", \"brand\": \"Acme\", ",
        "\"serving\": \"1 bowl (45 g)\", \"per_100g\": {\"energy\": \"1850 kJ / 442 kcal\", ",
        "\"protein\": \"10,5 g\", \"carbohydrates\": \"60 g\", \"fat\": \"17 g\", \"salt\": \"0.25 g\"}}\n```",
    ]));
    let r = app
        .post(
            "/api/v1/assistant/nutrition-label",
            &ann,
            json!({"image": photo(&jpeg(300))}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let food = &r.body["food"];
    assert_eq!(food["name"], "Crunchy granola");
    assert_eq!(food["brand"], "Acme");
    assert_eq!(food["barcode"], Value::Null);
    let servings = food["servings"].as_array().unwrap();
    assert_eq!(servings.len(), 2, "{food}");
    assert_eq!(servings[0]["unit"], "bowl");
    assert_eq!(servings[0]["weight_g"], json!(45.0));
    assert_eq!(servings[0]["nutrients"]["calories"], json!(198.9));
    assert_eq!(servings[1]["size"], json!(100.0));
    assert_eq!(servings[1]["unit"], "g");
    assert_eq!(servings[1]["nutrients"]["calories"], json!(442.0));
    assert_eq!(servings[1]["nutrients"]["protein"], json!(10.5));
    assert_eq!(servings[1]["nutrients"]["sodium"], json!(100.0));
    assert_eq!(r.body["warnings"], json!([]), "{:?}", r.body);

    // Confirming is posting it as it is.
    let created = app.post("/api/v1/foods", &ann, food.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["servings"].as_array().unwrap().len(), 2);
    let owner = app.db.owner_client().await;
    let kinds: Vec<String> = owner
        .query("SELECT kind FROM assistant_requests", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(kinds, ["nutrition_label"]);
}

#[tokio::test]
async fn a_kilojoule_label_is_converted_and_impossible_labels_are_refused() {
    let fake = FakeAi::start().await;
    let mut assistant = instance(&fake, ProviderKind::Ollama);
    assistant.instance.vision_model = None;
    let app = spawn(assistant).await;
    let (_, ann) = app.user("ann@example.com").await;
    fake.push(Script::text(&[
        "{\"name\": \"Apple juice\", \"serving\": {\"size\": 250, \"unit\": \"ml\"}, ",
        "\"per_100ml\": {\"energy\": \"180 kJ\", \"carbohydrates\": \"10.2 g\", \"sugar\": 10}}",
    ]));
    let r = app
        .post(
            "/api/v1/assistant/nutrition-label",
            &ann,
            json!({"image": photo(&jpeg(300))}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let servings = r.body["food"]["servings"].as_array().unwrap();
    assert_eq!(servings[0]["unit"], "ml");
    assert_eq!(servings[0]["size"], json!(250.0));
    assert_eq!(servings[0]["nutrients"]["calories"], json!(107.5));
    assert_eq!(servings[1]["nutrients"]["calories"], json!(43.0));
    assert!(
        r.body["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("kJ")),
        "{:?}",
        r.body
    );
    assert_eq!(r.body["model"], "chat-model");
    let sent = &fake.requests()[0];
    assert!(sent.path.ends_with("/api/chat"), "{}", sent.path);
    assert_eq!(sent.body["model"], "chat-model");
    let created = app
        .post("/api/v1/foods", &ann, r.body["food"].clone())
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);

    for answer in [
        "{\"name\": \"Butter?\", \"per_100g\": {\"calories\": 1200, \"fat\": 99}}",
        "{\"name\": \"Odd\", \"per_100g\": {\"calories\": 100, \"protein\": \"-3 g\"}}",
        "{\"name\": \"Dense\", \"serving\": \"1 bar (20 g)\", \"per_serving\": {\"calories\": 400}}",
    ] {
        fake.push(Script::text(&[answer]));
        let r = app
            .post(
                "/api/v1/assistant/nutrition-label",
                &ann,
                json!({"image": photo(&jpeg(300))}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}: {:?}", r.body);
        let problem = r.body["error"]["fields"]["image"].as_str().unwrap();
        assert!(problem.contains("cannot be right"), "{problem}");
    }
    fake.push(Script::text(&["This is a photo of a cat."]));
    let r = app
        .post(
            "/api/v1/assistant/nutrition-label",
            &ann,
            json!({"image": photo(&jpeg(300))}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let owner = app.db.owner_client().await;
    let own: i64 = owner
        .query_one(
            "SELECT count(*) FROM food_items WHERE user_id IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(own, 1, "only the confirmed juice was stored");
}

#[tokio::test]
async fn photo_bodies_may_be_up_to_8_mib() {
    let fake = FakeAi::start().await;
    let app = spawn(instance(&fake, ProviderKind::OpenAi)).await;
    let (_, ann) = app.user("ann@example.com").await;
    // About 4 MiB of base64: over the 1 MiB of every other route.
    let big = jpeg(3 * 1024 * 1024);
    fake.push(Script::text(&["{\"items\": []}"]));
    let r = app
        .post(
            "/api/v1/assistant/meal-photo",
            &ann,
            json!({"image": photo(&big)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(fake.requests()[0].body.to_string().contains(&big));
    let r = app
        .post(
            "/api/v1/chat",
            &ann,
            json!({"message": "what is this?", "images": [photo(&big)]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{:?}", r.body);
    let r = app
        .post(
            "/api/v1/assistant/meal-photo/log",
            &ann,
            json!({"meal_type": "lunch", "items": [], "pad": big}),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{:?}", r.body);
    // Over 8 MiB.
    let huge = jpeg(6 * 1024 * 1024 + 512 * 1024);
    let r = app
        .post(
            "/api/v1/assistant/nutrition-label",
            &ann,
            json!({"image": photo(&huge)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{:?}", r.body);
    assert_eq!(r.code(), "payload_too_large");
    // Without a credential the body is not even read.
    let r = app
        .post(
            "/api/v1/assistant/meal-photo",
            &As::Nobody,
            json!({"image": photo(&big)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(fake.requests().len(), 1);
    // Nor with a credential that is not valid: the 401 comes while the announced 8 MB are
    // still to be sent (a server reading first would wait for them).
    for path in [
        "/api/v1/assistant/meal-photo",
        "/api/v1/assistant/nutrition-label",
    ] {
        let status = app
            .status_before_body(
                path,
                "Authorization: Bearer not-a-key",
                "application/json",
                8_000_000,
            )
            .await;
        assert_eq!(status, 401, "{path}");
    }
}

#[tokio::test]
async fn bad_images_no_provider_and_provider_errors() {
    let app = spawn(Assistant::default()).await;
    let (_, ann) = app.user("ann@example.com").await;
    for (image, field) in [
        (
            json!({"media_type": "image/jpeg", "data": "not base64!"}),
            "image.data",
        ),
        (
            json!({"media_type": "image/png", "data": jpeg(100)}),
            "image.data",
        ),
        (
            json!({"media_type": "image/tiff", "data": jpeg(100)}),
            "image.media_type",
        ),
    ] {
        let r = app
            .post(
                "/api/v1/assistant/meal-photo",
                &ann,
                json!({"image": image}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
        assert!(r.body["error"]["fields"][field].is_string(), "{:?}", r.body);
    }
    let r = app
        .post(
            "/api/v1/assistant/meal-photo",
            &ann,
            json!({"image": photo(&jpeg(100)), "hint": "x".repeat(501)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);

    // No provider: the chat endpoint's error.
    let chat = app
        .post("/api/v1/chat", &ann, json!({"message": "hi"}))
        .await;
    assert_eq!(chat.status, StatusCode::CONFLICT);
    for path in [
        "/api/v1/assistant/meal-photo",
        "/api/v1/assistant/nutrition-label",
    ] {
        let r = app
            .post(path, &ann, json!({"image": photo(&jpeg(100))}))
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{path}: {:?}", r.body);
        assert_eq!(r.body["error"]["message"], chat.body["error"]["message"]);
    }

    // Provider errors.
    let fake = FakeAi::start().await;
    let app = spawn(instance(&fake, ProviderKind::OpenAi)).await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    fake.push(Script::error(ErrorKind::Unauthorized));
    let r = app
        .post(
            "/api/v1/assistant/meal-photo",
            &ann,
            json!({"image": photo(&jpeg(100))}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{:?}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("API key was refused"),
        "{:?}",
        r.body
    );
    let owner = app.db.owner_client().await;
    let error: Option<String> = owner
        .query_one(
            "SELECT error FROM assistant_requests WHERE user_id = $1::text::uuid",
            &[&ann_id],
        )
        .await
        .unwrap()
        .get(0);
    assert!(error.unwrap().contains("API key"));
    fake.push(Script::text(&["{\"items\": [}}}{{ :: ]"]));
    let r = app
        .post(
            "/api/v1/assistant/meal-photo",
            &ann,
            json!({"image": photo(&jpeg(100))}),
        )
        .await;
    assert!(
        r.status == StatusCode::OK || r.status == StatusCode::BAD_GATEWAY,
        "{:?}",
        r.body
    );
}

#[tokio::test]
async fn photo_calls_count_against_the_assistants_limits() {
    let fake = FakeAi::start().await;
    let mut a = instance(&fake, ProviderKind::OpenAi);
    a.instance.rate_per_minute = 2;
    let app = spawn(a).await;
    let (_, ann) = app.user("ann@example.com").await;
    for _ in 0..2 {
        fake.push(Script::text(&["{\"items\": []}"]));
        let r = app
            .post(
                "/api/v1/assistant/meal-photo",
                &ann,
                json!({"image": photo(&jpeg(100))}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    let r = app
        .post(
            "/api/v1/assistant/nutrition-label",
            &ann,
            json!({"image": photo(&jpeg(100))}),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{:?}", r.body);
    assert!(r.headers.get("retry-after").is_some());
    let chat = app
        .post("/api/v1/chat", &ann, json!({"message": "hi"}))
        .await;
    assert_eq!(chat.status, StatusCode::TOO_MANY_REQUESTS);

    let mut a = instance(&fake, ProviderKind::OpenAi);
    a.instance.daily_tokens = 15; // one answer reports 12 + 7
    let app = spawn(a).await;
    let (_, ann) = app.user("ann@example.com").await;
    fake.push(Script::text(&["{\"items\": []}"]));
    let r = app
        .post(
            "/api/v1/assistant/meal-photo",
            &ann,
            json!({"image": photo(&jpeg(100))}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .post(
            "/api/v1/assistant/meal-photo",
            &ann,
            json!({"image": photo(&jpeg(100))}),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{:?}", r.body);
}

#[tokio::test]
async fn a_chat_photo_is_not_logged_before_the_user_confirms() {
    let fake = FakeAi::start().await;
    let app = spawn(instance(&fake, ProviderKind::OpenAi)).await;
    let (_, ann) = app.user("ann@example.com").await;
    let foods = seed(&app, &ann).await;
    let args = json!({"food_id": foods.egg, "quantity": 120, "unit": "g", "meal": "breakfast"})
        .to_string();
    fake.push(Script::answer(
        vec![
            Part::tool_start(0, "a", "log_food"),
            Part::tool_args(0, &args),
        ],
        Finish::ToolCalls,
    ));
    let question = json!({"question": "I see about 120 g of scrambled eggs. Log it?",
                          "options": ["Log all", "Let me correct"]})
    .to_string();
    fake.push(Script::answer(
        vec![
            Part::tool_start(0, "b", "ask_user"),
            Part::tool_args(0, &question),
        ],
        Finish::ToolCalls,
    ));
    let As::Cookie(cookie) = &ann else {
        unreachable!()
    };
    let resp = app
        .client
        .post(format!("{}/api/v1/chat", app.base))
        .header("cookie", format!("sparky_session={cookie}"))
        .header("origin", app.origin())
        .json(&json!({"message": "my breakfast", "images": [photo(&jpeg(200))]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let evs = events(&resp.text().await.unwrap());
    let error = evs
        .iter()
        .find(|(n, _)| n == "tool_error")
        .expect("the log was refused");
    assert!(
        error.1["message"].as_str().unwrap().contains("photo"),
        "{evs:?}"
    );
    assert!(evs.iter().any(|(n, _)| n == "question"), "{evs:?}");
    assert!(!evs.iter().any(|(n, _)| n == "tool_card"), "{evs:?}");
    assert_eq!(entry_count(&diary_today(&app, &ann).await), 0);
    // The photo turn went to the vision model with the photo rules.
    let sent = &fake.requests()[0];
    assert_eq!(sent.body["model"], "vision-model");
    assert!(sent.body.to_string().contains("This message has a photo"));

    // The confirmation (no photo) may log.
    fake.push(Script::answer(
        vec![
            Part::tool_start(0, "c", "log_food"),
            Part::tool_args(0, &args),
        ],
        Finish::ToolCalls,
    ));
    fake.push(Script::text(&["Done."]));
    let conversation = evs[0].1["conversation_id"].as_str().unwrap();
    let resp = app
        .client
        .post(format!("{}/api/v1/chat", app.base))
        .header("cookie", format!("sparky_session={cookie}"))
        .header("origin", app.origin())
        .json(&json!({"message": "1", "conversation_id": conversation}))
        .send()
        .await
        .unwrap();
    let evs = events(&resp.text().await.unwrap());
    assert!(evs.iter().any(|(n, _)| n == "tool_card"), "{evs:?}");
    assert_eq!(entry_count(&diary_today(&app, &ann).await), 1);
}

#[tokio::test]
async fn the_photo_routes_are_in_the_openapi_document() {
    let app = spawn(Assistant::default()).await;
    let doc = app.get("/api/v1/openapi.json", &As::Nobody).await.body;
    let paths = &doc["paths"];
    for p in [
        "/api/v1/assistant/meal-photo",
        "/api/v1/assistant/meal-photo/log",
        "/api/v1/assistant/nutrition-label",
    ] {
        assert!(paths[p]["post"].is_object(), "{p} missing");
    }
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["MealLogInput"]["properties"]["items"]["maxItems"],
        json!(20)
    );
    assert_eq!(
        schemas["PhotoImage"]["properties"]["data"]["maxLength"],
        json!(8388608)
    );
    // The label's proposal is the foods API's own input.
    assert_eq!(
        schemas["LabelProposal"]["properties"]["food"]["$ref"],
        "#/components/schemas/FoodInput"
    );
}
