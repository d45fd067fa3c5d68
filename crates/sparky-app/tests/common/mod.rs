//! What the assistant's tests share: users and their foods, made through the same operations
//! as the API; a fake model's settings and a turn against it.
#![allow(dead_code)] // each test file uses some of these

use serde_json::{json, Value};
use sparky_ai::{AiClient, ProviderConfig, ProviderKind, RetryPolicy};
use sparky_app::assistant::{agent, AgentSettings, ChatEvent, TurnInput};
use sparky_app::foods::FoodInput;
use sparky_db::Database;
use sparky_testkit::fake_ai::{FakeAi, Part, Wire};
use std::time::Duration;
use tokio::sync::mpsc;
use uuid::Uuid;

/// A registered user (the same SQL as registration).
pub async fn user(db: &Database, email: &str) -> Uuid {
    let tx = db.anonymous().await.unwrap();
    let rows = tx
        .query_and_commit(
            "SELECT user_id FROM auth.register_user($1, $2, $3, true)",
            &[&email, &"not-a-real-hash", &"Someone"],
        )
        .await
        .unwrap();
    rows[0].get(0)
}

/// Ann's own foods: an egg (1 large = 50 g, 72 kcal) and toast (1 slice = 28 g, 80 kcal).
pub async fn foods(db: &Database, owner: Uuid) -> (Uuid, Uuid) {
    let mut tx = db.as_user(owner).await.unwrap();
    let mut ids = Vec::new();
    for (name, unit, grams, kcal, protein) in [
        ("Egg", "large", 50, 72, 6.3),
        ("Toast", "slice", 28, 80, 2.6),
    ] {
        let input: FoodInput = serde_json::from_value(json!({
            "name": name,
            "servings": [{"size": 1, "unit": unit, "weight_g": grams,
                          "nutrients": {"calories": kcal, "protein": protein}}]
        }))
        .unwrap();
        let food = sparky_app::foods::create(&mut tx, &input.parse().unwrap())
            .await
            .unwrap();
        ids.push(food.id);
    }
    tx.commit().await.unwrap();
    (ids[0], ids[1])
}

pub fn settings(fake: &FakeAi, wire: Wire) -> AgentSettings {
    let kind = match wire {
        Wire::OpenAi => ProviderKind::OpenAi,
        Wire::Anthropic => ProviderKind::Anthropic,
        Wire::Ollama => ProviderKind::Ollama,
    };
    let mut config = ProviderConfig::new(kind)
        .base_url(format!("{}/v1", fake.url()))
        .api_key("test-key");
    config.retry = RetryPolicy {
        initial_backoff: Duration::from_millis(10),
        ..RetryPolicy::default()
    };
    AgentSettings::new(AiClient::new(config).unwrap(), "test-model")
}

pub async fn turn(
    db: &Database,
    settings: &AgentSettings,
    who: Uuid,
    conversation_id: Option<Uuid>,
    message: &str,
) -> Vec<ChatEvent> {
    let mut tx = db.as_user(who).await.unwrap();
    let prepared = agent::prepare(
        &mut tx,
        settings,
        TurnInput {
            conversation_id,
            message: message.into(),
            images: Vec::new(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (send, mut receive) = mpsc::channel(4096);
    agent::run(db, settings, true, prepared, send).await;
    let mut events = Vec::new();
    while let Some(e) = receive.recv().await {
        events.push(e);
    }
    events
}

pub fn tool_call(index: u32, id: &str, name: &str, args: &Value) -> Vec<Part> {
    // Arguments split across chunks, as providers stream them.
    let text = args.to_string();
    let (a, b) = text.split_at(text.len() / 2);
    vec![
        Part::tool_start(index, id, name),
        Part::tool_args(index, a),
        Part::tool_args(index, b),
    ]
}

pub fn done(events: &[ChatEvent]) -> (String, Vec<sparky_app::assistant::Card>) {
    match events.last() {
        Some(ChatEvent::Done { text, cards, .. }) => (text.clone(), cards.clone()),
        other => panic!("expected done, got {other:?} in {events:#?}"),
    }
}
