//! The assistant end to end against the fake provider (both wire formats): from "I had 2 eggs
//! and a slice of toast for breakfast" to diary entries, cards, totals and undo; another
//! user's data out of reach; a 429 then success; a stream cut off; malformed tool arguments;
//! quick replies.

use serde_json::{json, Value};
use sparky_app::assistant::{actions, agent, ChatEvent, TurnInput};
use sparky_app::{chat, diary, Acting};
use sparky_testkit::fake_ai::{ErrorKind, FakeAi, Finish, Part, Script, Wire};
use sparky_testkit::TestDb;
use tokio::sync::mpsc;
use uuid::Uuid;

mod common;
use common::{done, foods, settings, tool_call, turn, user};

fn conversation_of(events: &[ChatEvent]) -> Uuid {
    match &events[0] {
        ChatEvent::Conversation {
            conversation_id, ..
        } => *conversation_id,
        other => panic!("{other:?}"),
    }
}

async fn breakfast_is_logged_and_undone(wire: Wire) {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let (egg, toast) = foods(&db, ann).await;
    let fake = FakeAi::start().await;
    let mut parts = tool_call(0, "call_s1", "search_foods", &json!({"query": "egg"}));
    parts.extend(tool_call(
        1,
        "call_s2",
        "search_foods",
        &json!({"query": "toast"}),
    ));
    fake.push(Script::answer(parts, Finish::ToolCalls));
    let mut parts = tool_call(
        0,
        "call_l1",
        "log_food",
        &json!({"food_id": egg, "quantity": 2, "unit": "large", "meal": "breakfast"}),
    );
    parts.extend(tool_call(
        1,
        "call_l2",
        "log_food",
        &json!({"food_id": toast, "quantity": 1, "unit": "slice", "meal": "breakfast"}),
    ));
    fake.push(Script::answer(parts, Finish::ToolCalls));
    // The model's own words claim more than was written: they must not be the confirmation.
    fake.push(Script::text(&["Logged 3 eggs, toast ", "and a pizza!"]));
    let s = settings(&fake, wire);

    let events = turn(
        &db,
        &s,
        ann,
        None,
        "I had 2 eggs and a slice of toast for breakfast",
    )
    .await;
    let (text, cards) = done(&events);
    assert_eq!(cards.len(), 2, "{events:#?}");
    assert!(text.contains("Egg — 2 large:"), "{text}");
    assert!(
        text.contains("144 kcal") && text.contains("80 kcal"),
        "{text}"
    );
    assert!(text.contains("Total: 224 kcal"), "{text}");
    assert!(!text.contains("pizza"), "{text}");
    let streamed: String = events
        .iter()
        .filter_map(|e| match e {
            ChatEvent::TextDelta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(streamed, "Logged 3 eggs, toast and a pizza!");

    // The diary holds exactly what the cards show.
    let mut tx = db.as_user(ann).await.unwrap();
    let today = sparky_app::days::today(&mut tx, Acting::ME).await.unwrap();
    let day = diary::day(&mut tx, Acting::ME, today).await.unwrap();
    let breakfast = &day.meals[0];
    assert_eq!(breakfast.meal_type, "breakfast");
    let names: Vec<&str> = breakfast
        .entries
        .iter()
        .map(|e| e.food_name.as_str())
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"Egg") && names.contains(&"Toast"));
    assert_eq!(day.totals.calories.unwrap().normalize().to_string(), "224");
    assert_eq!(day.totals.protein.unwrap().normalize().to_string(), "15.2");

    // What the provider was sent: the tools, then the search results and the log results.
    let requests = fake.requests();
    assert_eq!(requests.len(), 3);
    let body = requests[0].body.to_string();
    assert!(body.contains("log_food") && body.contains("ask_user"));
    assert!(requests[1].body.to_string().contains(&egg.to_string()));
    assert!(requests[2].body.to_string().contains("entry_id"));

    // History: the user message, three answers, four tool results; tokens and model kept.
    let conversation = conversation_of(&events);
    let stored = chat::with_messages(&mut tx, conversation).await.unwrap();
    assert_eq!(stored.messages.len(), 1 + 3 + 4);
    let last = stored.messages.last().unwrap();
    assert_eq!(last.content, text);
    assert_eq!(last.model.as_deref(), Some("test-model"));
    assert!(last.tokens_in.is_some());
    tx.commit().await.unwrap();

    // Undo (the cards' buttons) removes both entries; a second undo is refused.
    for card in &cards {
        let mut tx = db.as_user(ann).await.unwrap();
        actions::undo(&mut tx, card.action_id.unwrap())
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let mut tx = db.as_user(ann).await.unwrap();
    let day = diary::day(&mut tx, Acting::ME, today).await.unwrap();
    assert!(day.meals.iter().all(|m| m.entries.is_empty()));
    assert!(matches!(
        actions::undo(&mut tx, cards[0].action_id.unwrap()).await,
        Err(sparky_app::AppError::Conflict(_))
    ));
}

#[tokio::test]
async fn breakfast_over_openai_wire() {
    breakfast_is_logged_and_undone(Wire::OpenAi).await;
}

#[tokio::test]
async fn breakfast_over_anthropic_wire() {
    breakfast_is_logged_and_undone(Wire::Anthropic).await;
}

#[tokio::test]
async fn undo_last_action_by_asking() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let (egg, _) = foods(&db, ann).await;
    let fake = FakeAi::start().await;
    let s = settings(&fake, Wire::OpenAi);
    fake.push(Script::answer(
        tool_call(
            0,
            "c1",
            "log_food",
            &json!({"food_id": egg, "quantity": 100, "unit": "g", "meal": "lunch"}),
        ),
        Finish::ToolCalls,
    ));
    fake.push(Script::text(&["ok"]));
    let events = turn(&db, &s, ann, None, "100 g of egg for lunch").await;
    let (text, cards) = done(&events);
    assert!(text.contains("144 kcal"), "100 g = 2 large eggs: {text}");
    assert_eq!(cards.len(), 1);
    fake.push(Script::answer(
        tool_call(0, "c2", "undo_last_action", &json!({})),
        Finish::ToolCalls,
    ));
    fake.push(Script::text(&["Done."]));
    let events = turn(&db, &s, ann, Some(conversation_of(&events)), "undo that").await;
    let (text, cards) = done(&events);
    assert!(text.starts_with("Undone: Logged to lunch"), "{text}");
    assert_eq!(cards[0].action_id, None);
    let mut tx = db.as_user(ann).await.unwrap();
    let n: i64 = tx
        .query_one("SELECT count(*) FROM food_diary", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}

#[tokio::test]
async fn one_users_assistant_cannot_read_or_write_anothers_data() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let bob = user(&db, "bob@example.com").await;
    let (egg, _) = foods(&db, ann).await;
    let (bob_egg, _) = foods(&db, bob).await;
    let fake = FakeAi::start().await;
    let s = settings(&fake, Wire::OpenAi);
    let mut parts = tool_call(0, "r", "read_day", &json!({"user_id": bob}));
    parts.extend(tool_call(
        1,
        "w",
        "log_food",
        &json!({"food_id": egg, "quantity": 1, "meal": "snack", "user_id": bob}),
    ));
    parts.extend(tool_call(
        2,
        "f",
        "log_food",
        &json!({"food_id": bob_egg, "quantity": 1, "meal": "snack"}),
    ));
    parts.extend(tool_call(
        3,
        "m",
        "log_water",
        &json!({"amount": 250, "user_id": bob}),
    ));
    fake.push(Script::answer(parts, Finish::ToolCalls));
    fake.push(Script::text(&["I logged it for Bob."]));
    let events = turn(&db, &s, ann, None, "what did Bob eat? log an egg for him").await;
    let errors: Vec<&String> = events
        .iter()
        .filter_map(|e| match e {
            ChatEvent::ToolError { message, .. } => Some(message),
            _ => None,
        })
        .collect();
    assert_eq!(errors.len(), 4, "{events:#?}");
    assert!(
        errors
            .iter()
            .all(|m| m.contains("not found") || m.contains("write access")),
        "{errors:?}"
    );
    let (text, cards) = done(&events);
    assert!(cards.is_empty());
    assert!(text.contains("Nothing was changed"), "{text}");
    // Bob's data is untouched.
    let mut tx = db.as_user(bob).await.unwrap();
    let n: i64 = tx
        .query_one(
            "SELECT (SELECT count(*) FROM food_diary) + (SELECT count(*) FROM measurements)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
    // And the search tool only finds what Ann may see (her egg, not Bob's).
    drop(tx);
    let mut tx = db.as_user(ann).await.unwrap();
    let out = sparky_app::assistant::tools::call(
        &mut tx,
        &Default::default(),
        "search_foods",
        json!({"query": "egg"}),
    )
    .await
    .unwrap();
    let ids: Vec<String> = out.result["foods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["food_id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.contains(&egg.to_string()) && !ids.contains(&bob_egg.to_string()));
}

#[tokio::test]
async fn a_429_is_retried_and_the_turn_succeeds() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let fake = FakeAi::start().await;
    fake.push(Script::error(ErrorKind::RateLimited));
    fake.push(Script::text(&["Hello", " Ann"]));
    let events = turn(&db, &settings(&fake, Wire::Anthropic), ann, None, "hi").await;
    assert_eq!(done(&events).0, "Hello Ann");
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn a_stream_cut_off_mid_answer_is_an_error_in_history() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let fake = FakeAi::start().await;
    fake.push(Script::text(&["Hel", "lo", " there"]).disconnect_after(1));
    let events = turn(&db, &settings(&fake, Wire::OpenAi), ann, None, "hi").await;
    match events.last() {
        Some(ChatEvent::Error { code, message }) => {
            assert_eq!(code, "ai_interrupted", "{message}");
        }
        other => panic!("{other:?}"),
    }
    let mut tx = db.as_user(ann).await.unwrap();
    let stored = chat::with_messages(&mut tx, conversation_of(&events))
        .await
        .unwrap();
    let last = stored.messages.last().unwrap();
    assert!(last.error.is_some(), "{last:?}");
    // The failed answer is not sent to the model next time.
    let ctx = chat::context(&mut tx, stored.conversation.id, 10_000)
        .await
        .unwrap();
    assert_eq!(ctx.len(), 1);
}

#[tokio::test]
async fn malformed_tool_arguments_are_told_to_the_model_and_nothing_is_written() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let (egg, _) = foods(&db, ann).await;
    let fake = FakeAi::start().await;
    fake.push(Script::answer(
        vec![
            Part::tool_start(0, "bad", "log_food"),
            Part::tool_args(0, &format!("{{\"food_id\": \"{egg}\", \"quantity\": ")),
        ],
        Finish::ToolCalls,
    ));
    fake.push(Script::text(&["Sorry, something went wrong."]));
    let events = turn(&db, &settings(&fake, Wire::OpenAi), ann, None, "an egg").await;
    assert!(events
        .iter()
        .any(|e| matches!(e, ChatEvent::ToolError { name, .. } if name == "log_food")));
    assert!(done(&events).1.is_empty());
    // The model got the error as the call's result.
    let second = fake.requests()[1].body.to_string();
    assert!(second.contains("not a JSON object"), "{second}");
    let mut tx = db.as_user(ann).await.unwrap();
    let n: i64 = tx
        .query_one("SELECT count(*) FROM food_diary", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}

#[tokio::test]
async fn a_typed_number_picks_a_quick_reply() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let fake = FakeAi::start().await;
    let s = settings(&fake, Wire::OpenAi);
    fake.push(Script::answer(
        tool_call(
            0,
            "q",
            "ask_user",
            &json!({"question": "Which egg?", "options": ["Egg, boiled", "Egg white"]}),
        ),
        Finish::ToolCalls,
    ));
    let events = turn(&db, &s, ann, None, "an egg").await;
    let (text, _) = done(&events);
    assert!(
        text.contains("Which egg?\n1. Egg, boiled\n2. Egg white"),
        "{text}"
    );
    assert!(events
        .iter()
        .any(|e| matches!(e, ChatEvent::Question { question } if question.options.len() == 2)));
    fake.push(Script::text(&["Egg white it is."]));
    let events = turn(&db, &s, ann, Some(conversation_of(&events)), "2").await;
    match &events[0] {
        ChatEvent::Conversation { message, .. } => assert_eq!(message, "Egg white"),
        other => panic!("{other:?}"),
    }
    let last = fake.requests().last().unwrap().body.to_string();
    assert!(last.contains("\"Egg white\""), "{last}");

    // The question need not be the answer's last call.
    let mut parts = tool_call(
        0,
        "q2",
        "ask_user",
        &json!({"question": "Which bread?", "options": ["Rye", "Sourdough"]}),
    );
    parts.extend(tool_call(1, "g", "read_goals", &json!({})));
    fake.push(Script::answer(parts, Finish::ToolCalls));
    let events = turn(&db, &s, ann, None, "toast").await;
    fake.push(Script::text(&["Sourdough it is."]));
    let events = turn(&db, &s, ann, Some(conversation_of(&events)), "2").await;
    match &events[0] {
        ChatEvent::Conversation { message, .. } => assert_eq!(message, "Sourdough"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_huge_entry_from_a_unit_mix_up_is_refused() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let (egg, _) = foods(&db, ann).await;
    let mut tx = db.as_user(ann).await.unwrap();
    // 365 "servings" meant as grams: 26,280 kcal.
    let err = sparky_app::assistant::tools::call(
        &mut tx,
        &Default::default(),
        "log_food",
        json!({"food_id": egg, "quantity": 365, "meal": "dinner"}),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("more than 5000 kcal"), "{err}");
    drop(tx);
    // In a chat the model cannot confirm it itself: confirm_large counts only in a turn where
    // the user answered a question with yes.
    let chat = |said_yes: bool| sparky_app::assistant::tools::ToolContext {
        conversation_id: None,
        interactive: true,
        user_said_yes: said_yes,
        review: false,
    };
    let huge = json!({"food_id": egg, "quantity": 365, "meal": "dinner", "confirm_large": true});
    let mut tx = db.as_user(ann).await.unwrap();
    let err = sparky_app::assistant::tools::call(&mut tx, &chat(false), "log_food", huge.clone())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("answered yes"), "{err}");
    drop(tx);
    let mut tx = db.as_user(ann).await.unwrap();
    let n: i64 = tx
        .query_one("SELECT count(*) FROM food_diary", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0, "the model's own confirmation logged nothing");
    sparky_app::assistant::tools::call(&mut tx, &chat(true), "log_food", huge)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    for (reply, yes) in [
        ("Yes, log it", true),
        ("yes", true),
        ("OK", true),
        ("log it anyway", true),
        ("yesterday", false),
        ("No", false),
        ("not sure", false),
        ("Sure, go ahead", true),
        ("ok no wait, I meant 20 g, do NOT log 20 lb", false),
        ("yes but only 200 g", false),
    ] {
        assert_eq!(
            sparky_app::assistant::tools::says_yes(reply),
            yes,
            "{reply}"
        );
    }
    let mut tx = db.as_user(ann).await.unwrap();
    let n: i64 = tx
        .query_one("SELECT count(*) FROM food_diary", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
    // A quick add of a number typed wrong is held to the same rule.
    let burrito = json!({"name": "burrito", "calories": 26325, "meal": "dinner"});
    let err =
        sparky_app::assistant::tools::call(&mut tx, &chat(false), "quick_add", burrito.clone())
            .await
            .unwrap_err();
    assert!(err.to_string().contains("more than 5000 kcal"), "{err}");
    drop(tx);
    let mut tx = db.as_user(ann).await.unwrap();
    let mut confirmed = burrito.clone();
    confirmed["confirm_large"] = json!(true);
    sparky_app::assistant::tools::call(&mut tx, &chat(true), "quick_add", confirmed)
        .await
        .unwrap();
    let n: i64 = tx
        .query_one("SELECT count(*) FROM food_diary", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}

#[tokio::test]
async fn updating_one_goal_leaves_the_others_and_undo_restores_it() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let mut tx = db.as_user(ann).await.unwrap();
    let ctx = Default::default();
    for (t, v) in [("calorie_target", 2000), ("protein_target", 120)] {
        sparky_app::assistant::tools::call(
            &mut tx,
            &ctx,
            "update_goal",
            json!({"type": t, "target_value": v}),
        )
        .await
        .unwrap();
    }
    let out = sparky_app::assistant::tools::call(
        &mut tx,
        &ctx,
        "update_goal",
        json!({"type": "calorie_target", "target_value": 1800}),
    )
    .await
    .unwrap();
    let card = out.card.unwrap();
    assert!(
        card.lines[0].contains("1800 kcal (was 2000 kcal)"),
        "{:?}",
        card.lines
    );
    let goals = sparky_app::assistant::tools::call(&mut tx, &ctx, "read_goals", json!({}))
        .await
        .unwrap()
        .result;
    let targets: Vec<(String, f64)> = goals["goals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["type"].as_str().unwrap().to_string(),
                g["target"].as_f64().unwrap(),
            )
        })
        .collect();
    assert!(
        targets.contains(&("calorie_target".into(), 1800.0)),
        "{targets:?}"
    );
    assert!(
        targets.contains(&("protein_target".into(), 120.0)),
        "{targets:?}"
    );
    actions::undo(&mut tx, card.action_id.unwrap())
        .await
        .unwrap();
    let goals = sparky_app::assistant::tools::call(&mut tx, &ctx, "read_goals", json!({}))
        .await
        .unwrap()
        .result;
    assert!(goals.to_string().contains("2000"), "{goals}");
}

/// "Give me 2600 on weekends": the assistant sets days of the week with their own target,
/// says so on its card, reads them back, and undo puts the days back as they were.
#[tokio::test]
async fn the_assistant_sets_weekday_targets_and_undo_restores_the_days() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let mut tx = db.as_user(ann).await.unwrap();
    let ctx = Default::default();
    sparky_app::assistant::tools::call(
        &mut tx,
        &ctx,
        "update_goal",
        json!({"type": "calorie_target", "target_value": 2000}),
    )
    .await
    .unwrap();
    let out = sparky_app::assistant::tools::call(
        &mut tx,
        &ctx,
        "update_goal",
        json!({"type": "calorie_target", "target_value": 2000,
               "by_weekday": {"saturday": 2600, "sunday": 2600}}),
    )
    .await
    .unwrap();
    let card = out.card.unwrap();
    assert_eq!(
        card.lines.get(1).map(String::as_str),
        Some("on saturday 2600 kcal, sunday 2600 kcal"),
        "{:?}",
        card.lines
    );
    let goals = sparky_app::assistant::tools::call(&mut tx, &ctx, "read_goals", json!({}))
        .await
        .unwrap()
        .result;
    assert_eq!(
        goals["goals"][0]["by_weekday"],
        json!({"saturday": 2600.0, "sunday": 2600.0}),
        "{goals}"
    );
    // Reading a day gives the week's budget: Wednesday (nothing logged on Monday and Tuesday,
    // which do not count) to Friday at 2000 and the weekend at 2600.
    let day = sparky_app::assistant::tools::call(
        &mut tx,
        &ctx,
        "read_day",
        json!({"date": "2026-07-01"}),
    )
    .await
    .unwrap()
    .result;
    assert_eq!(day["week"]["budget"], 11200.0, "{day}");
    assert_eq!(day["week"]["from"], "2026-06-29", "{day}");
    assert!(day.get("partial").is_none(), "{day}");
    // A quick add without macros leaves the day's protein a lower bound, and the model is
    // told so.
    for entry in [
        json!({"name": "Chicken", "meal": "lunch", "calories": 200, "protein": 30, "date": "2026-07-01"}),
        json!({"name": "Cake", "meal": "snacks", "calories": 300, "date": "2026-07-01"}),
    ] {
        sparky_app::assistant::tools::call(&mut tx, &ctx, "quick_add", entry)
            .await
            .unwrap();
    }
    let day = sparky_app::assistant::tools::call(
        &mut tx,
        &ctx,
        "read_day",
        json!({"date": "2026-07-01"}),
    )
    .await
    .unwrap()
    .result;
    let partial = day["partial"].as_array().expect("partial nutrients");
    assert!(partial.contains(&json!("protein")), "{day}");
    assert!(day["partial_note"].as_str().unwrap().contains("at least"));
    // A bad day is refused with the day named, and writes nothing.
    let err = sparky_app::assistant::tools::call(
        &mut tx,
        &ctx,
        "update_goal",
        json!({"type": "calorie_target", "target_value": 2000, "by_weekday": {"friday": -1}}),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("by_weekday.friday"), "{err}");

    actions::undo(&mut tx, card.action_id.unwrap())
        .await
        .unwrap();
    let goals = sparky_app::assistant::tools::call(&mut tx, &ctx, "read_goals", json!({}))
        .await
        .unwrap()
        .result;
    assert_eq!(goals["goals"][0]["by_weekday"], Value::Null, "{goals}");
}

#[tokio::test]
async fn a_photo_goes_to_the_vision_model_and_stays_only_while_newest() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let fake = FakeAi::start().await;
    let mut s = settings(&fake, Wire::OpenAi);
    s.vision_model = Some("vision-model".into());
    fake.push(Script::text(&["A banana."]));
    let mut tx = db.as_user(ann).await.unwrap();
    let prepared = agent::prepare(
        &mut tx,
        &s,
        TurnInput {
            conversation_id: None,
            message: "what is this?".into(),
            images: vec![sparky_ai::ImageData::from_bytes(
                "image/jpeg",
                b"jpeg bytes",
            )],
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (send, mut receive) = mpsc::channel(4096);
    agent::run(&db, &s, true, prepared, send).await;
    let mut events = Vec::new();
    while let Some(e) = receive.recv().await {
        events.push(e);
    }
    assert_eq!(done(&events).0, "A banana.");
    let first = &fake.requests()[0].body;
    assert_eq!(first["model"], "vision-model");
    assert!(first.to_string().contains("data:image/jpeg;base64,"));
    // The next message is text: the chat model answers, and the old photo is not re-sent.
    fake.push(Script::text(&["Yes."]));
    let events = turn(&db, &s, ann, Some(conversation_of(&events)), "is it ripe?").await;
    done(&events);
    let second = &fake.requests()[1].body;
    assert_eq!(second["model"], "test-model");
    assert!(!second.to_string().contains("base64,"), "{second}");
}

/// "Where do my calories (or my protein) come from?": the foods report as a tool, over the 30
/// days up to today by default; its bounds come back as errors the model is told.
#[tokio::test]
async fn read_top_foods_ranks_what_was_logged() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let mut tx = db.as_user(ann).await.unwrap();
    let ctx = Default::default();
    let call = |name: &'static str, args: Value| (name, args);
    for (name, args) in [
        call(
            "quick_add",
            json!({"name": "Cake", "meal": "snack", "calories": 450, "protein": 5}),
        ),
        call(
            "quick_add",
            json!({"name": "Salad", "meal": "lunch", "calories": 150, "protein": 4}),
        ),
        call(
            "quick_add",
            json!({"name": "cake", "meal": "snack", "calories": 150}),
        ),
        call(
            "quick_add",
            json!({"name": "Shake", "meal": "snack", "calories": 250, "protein": 30,
                                 "date": "yesterday"}),
        ),
    ] {
        sparky_app::assistant::tools::call(&mut tx, &ctx, name, args)
            .await
            .unwrap();
    }
    let top = sparky_app::assistant::tools::call(&mut tx, &ctx, "read_top_foods", json!({}))
        .await
        .unwrap()
        .result;
    let ranked: Vec<(String, f64, f64)> = top["foods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                f["amount"].as_f64().unwrap(),
                f["percent"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ranked,
        vec![
            ("cake".into(), 600.0, 60.0),
            ("Shake".into(), 250.0, 25.0),
            ("Salad".into(), 150.0, 15.0),
        ]
    );
    let protein = sparky_app::assistant::tools::call(
        &mut tx,
        &ctx,
        "read_top_foods",
        json!({"by": "protein", "limit": 1, "from": "yesterday", "to": "today"}),
    )
    .await
    .unwrap()
    .result;
    assert_eq!(protein["unit"], "g");
    assert_eq!(protein["foods"].as_array().unwrap().len(), 1);
    assert_eq!(protein["foods"][0]["name"], "Shake");
    assert_eq!(protein["foods"][0]["percent"], json!(76.9));

    for (args, problem) in [
        (json!({"limit": 0}), "limit"),
        (json!({"by": "vitamins"}), "by: unknown variant"),
        (json!({"from": "2020-01-01"}), "366 days"),
    ] {
        let err = sparky_app::assistant::tools::call(&mut tx, &ctx, "read_top_foods", args.clone())
            .await
            .unwrap_err();
        assert!(err.to_string().contains(problem), "{args}: {err}");
    }
}

#[tokio::test]
async fn a_recipe_is_saved_from_found_foods_logged_and_undone() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let (egg, toast) = foods(&db, ann).await;
    let mut tx = db.as_user(ann).await.unwrap();
    let ctx = Default::default();
    let call = |name: &'static str, args: Value| (name, args);
    let saved = sparky_app::assistant::tools::call(
        &mut tx,
        &ctx,
        "create_recipe",
        json!({"name": "Egg toast", "servings": 2, "ingredients": [
            {"food_id": egg, "quantity": 3, "unit": "large"},
            {"food_id": toast, "quantity": 56, "unit": "g"}]}),
    )
    .await
    .unwrap();
    // 3 × 72 + 2 × 80 = 376 kcal, 188 a serving of 103 g.
    assert_eq!(saved.result["per_serving"]["calories"], json!(188.0));
    assert_eq!(saved.result["serving_weight_g"], json!(103.0));
    let card = saved.card.unwrap();
    assert_eq!(card.title, "Recipe saved: Egg toast");
    assert_eq!(card.lines.last().unwrap(), "One of 2 servings: 188 kcal");
    let recipe_id = saved.result["recipe_id"].as_str().unwrap().to_string();

    // It is found and logged like a food.
    let found = sparky_app::assistant::tools::call(
        &mut tx,
        &ctx,
        "search_foods",
        json!({"query": "egg toast"}),
    )
    .await
    .unwrap()
    .result;
    assert_eq!(found["foods"][0]["food_id"], json!(recipe_id));
    let (name, args) = call(
        "log_food",
        json!({"food_id": recipe_id, "quantity": 1, "unit": "serving", "meal": "breakfast"}),
    );
    let logged = sparky_app::assistant::tools::call(&mut tx, &ctx, name, args)
        .await
        .unwrap();
    assert_eq!(
        logged.result["logged"]["nutrients"]["calories"],
        json!(188.0)
    );

    // Bad ingredients are refused naming the field; nothing is written.
    for (args, problem) in [
        (
            json!({"name": "x", "servings": 1, "ingredients": [{"food_id": Uuid::nil(), "quantity": 1}]}),
            "ingredients[0].food_id",
        ),
        (
            json!({"name": "x", "servings": 0, "ingredients": [{"food_id": egg, "quantity": 1}]}),
            "servings",
        ),
        (
            json!({"name": "x", "servings": 1, "ingredients": [{"food_id": egg, "quantity": 2, "unit": "furlong"}]}),
            "ingredients[0].unit",
        ),
        // A misspelled field is refused, not dropped (150 "units" of g became 150 eggs).
        (
            json!({"name": "x", "servings": 1, "ingredients": [{"food_id": egg, "quantity": 150, "units": "g"}]}),
            "ingredients[0].units: unknown field",
        ),
        (
            json!({"name": "x", "servings": 1, "ingredients": []}),
            "ingredients: give at least 1 item",
        ),
    ] {
        let err = sparky_app::assistant::tools::call(&mut tx, &ctx, "create_recipe", args.clone())
            .await
            .unwrap_err();
        assert!(err.to_string().contains(problem), "{args}: {err}");
    }
    tx.commit().await.unwrap();

    // Undo takes back the newest write (the entry), then the recipe; the entry logged from it
    // was taken back first.
    let mut tx = db.as_user(ann).await.unwrap();
    let first = actions::undo_last(&mut tx).await.unwrap();
    assert!(
        first.card.title.starts_with("Logged to breakfast"),
        "{}",
        first.card.title
    );
    let second = actions::undo_last(&mut tx).await.unwrap();
    assert_eq!(second.card.title, "Recipe saved: Egg toast");
    let left: i64 = tx
        .query_one(
            "SELECT (SELECT count(*) FROM food_items WHERE recipe_servings IS NOT NULL)
                  + (SELECT count(*) FROM recipe_ingredients) + (SELECT count(*) FROM food_diary)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
}

#[tokio::test]
async fn a_logged_meal_is_saved_as_a_recipe_and_undone() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let (egg, toast) = foods(&db, ann).await;
    let mut tx = db.as_user(ann).await.unwrap();
    let ctx = Default::default();
    for args in [
        json!({"food_id": egg, "quantity": 3, "unit": "large", "meal": "breakfast"}),
        json!({"food_id": toast, "quantity": 56, "unit": "g", "meal": "breakfast"}),
    ] {
        sparky_app::assistant::tools::call(&mut tx, &ctx, "log_food", args)
            .await
            .unwrap();
    }
    let saved = sparky_app::assistant::tools::call(
        &mut tx,
        &ctx,
        "save_meal_as_recipe",
        json!({"meal": "breakfast", "date": "today", "name": "My usual breakfast"}),
    )
    .await
    .unwrap();
    // The whole meal is one serving: 3 × 72 + 2 × 80 kcal.
    assert_eq!(saved.result["per_serving"]["calories"], json!(376.0));
    let card = saved.card.unwrap();
    assert_eq!(card.title, "Recipe saved: My usual breakfast");
    assert_eq!(card.tool, "save_meal_as_recipe");
    assert_eq!(card.lines.len(), 3, "{:?}", card.lines);

    let err = sparky_app::assistant::tools::call(
        &mut tx,
        &ctx,
        "save_meal_as_recipe",
        json!({"meal": "dinner", "name": "Nothing"}),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("nothing is logged for dinner"),
        "{err}"
    );
    tx.commit().await.unwrap();

    let mut tx = db.as_user(ann).await.unwrap();
    let undone = actions::undo_last(&mut tx).await.unwrap();
    assert_eq!(undone.card.title, "Recipe saved: My usual breakfast");
    let left: i64 = tx
        .query_one(
            "SELECT (SELECT count(*) FROM food_items WHERE recipe_servings IS NOT NULL)
                  + (SELECT count(*) FROM recipe_ingredients)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
    // The meal itself stays logged.
    let entries: i64 = tx
        .query_one("SELECT count(*) FROM food_diary", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(entries, 2);
}

/// Bob logged into Ann's diary while she shared it; after she ended the share, undoing says the
/// entry is no longer shared with him (not that it was deleted), and it stays in her diary.
#[tokio::test]
async fn undo_after_a_share_ended_says_so_and_keeps_the_entry() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let bob = user(&db, "bob@example.com").await;
    db.as_user(ann)
        .await
        .unwrap()
        .query_and_commit(
            "INSERT INTO family_access (grantor_user_id, grantee_user_id, access_type)
             VALUES ($1, $2, 'calorie')",
            &[&ann, &bob],
        )
        .await
        .unwrap();
    let ctx = Default::default();
    let mut tx = db.as_user(bob).await.unwrap();
    sparky_app::assistant::tools::call(
        &mut tx,
        &ctx,
        "quick_add",
        json!({"name": "Lunch", "meal": "lunch", "calories": 500, "user_id": ann}),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    db.as_user(ann)
        .await
        .unwrap()
        .query_and_commit(
            "DELETE FROM family_access WHERE grantor_user_id = $1",
            &[&ann],
        )
        .await
        .unwrap();
    let mut tx = db.as_user(bob).await.unwrap();
    let undone = sparky_app::assistant::tools::call(&mut tx, &ctx, "undo_last_action", json!({}))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(undone.result["no_longer_shared"], true, "{}", undone.result);
    assert_eq!(undone.result["already_removed"], false, "{}", undone.result);
    let title = undone.card.unwrap().title;
    assert!(title.contains("is no longer shared with you"), "{title}");
    let kept: i64 = db
        .as_user(ann)
        .await
        .unwrap()
        .query_and_commit("SELECT count(*) FROM food_diary", &[])
        .await
        .unwrap()[0]
        .get(0);
    assert_eq!(kept, 1);
}

/// An action whose rows were deleted since (on a page) counts as undone, saying so, instead of
/// blocking every older action for good; the next undo takes back the one before.
#[tokio::test]
async fn undo_passes_an_action_whose_rows_are_gone() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let mut tx = db.as_user(ann).await.unwrap();
    let ctx = Default::default();
    sparky_app::assistant::tools::call(&mut tx, &ctx, "log_water", json!({"amount": 250}))
        .await
        .unwrap();
    let logged = sparky_app::assistant::tools::call(
        &mut tx,
        &ctx,
        "quick_add",
        json!({"name": "Lunch", "meal": "lunch", "calories": 500}),
    )
    .await
    .unwrap();
    let entry: Uuid = tx
        .query_one("SELECT id FROM food_diary", &[])
        .await
        .unwrap()
        .get(0);
    assert!(logged.card.is_some());
    diary::delete(&mut tx, entry).await.unwrap();

    let first = sparky_app::assistant::tools::call(&mut tx, &ctx, "undo_last_action", json!({}))
        .await
        .unwrap();
    assert_eq!(first.result["already_removed"], true, "{}", first.result);
    assert!(first
        .card
        .unwrap()
        .title
        .starts_with("Nothing left to undo"));
    let second = sparky_app::assistant::tools::call(&mut tx, &ctx, "undo_last_action", json!({}))
        .await
        .unwrap();
    assert_eq!(second.result["already_removed"], false, "{}", second.result);
    let water: i64 = tx
        .query_one("SELECT count(*) FROM measurements", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(water, 0);
    let err = sparky_app::assistant::tools::call(&mut tx, &ctx, "undo_last_action", json!({}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not found"), "{err}");
}

/// Body tools take what people say: "Body Fat", "8 oz" of water; they refuse a glass of
/// nothing, and an unknown type is refused with the types to choose from.
#[tokio::test]
async fn body_tools_read_what_people_say_and_refuse_nothing() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let mut tx = db.as_user(ann).await.unwrap();
    let ctx = Default::default();
    let call = async |tx: &mut sparky_db::UserTx, name: &str, args: Value| {
        sparky_app::assistant::tools::call(tx, &ctx, name, args).await
    };
    call(
        &mut tx,
        "log_measurement",
        json!({"type": "Body Fat", "value": 21.5}),
    )
    .await
    .unwrap();
    call(&mut tx, "log_water", json!({"amount": 8, "unit": "oz"}))
        .await
        .unwrap();
    for amount in [json!(0), json!(0.001)] {
        let err = call(&mut tx, "log_water", json!({"amount": amount}))
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("amount: must be more than 0"),
            "{err}"
        );
    }
    // A unit that is no volume is named with water's units only.
    for unit in ["glasses", "kg"] {
        let err = call(&mut tx, "log_water", json!({"amount": 2, "unit": unit}))
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!(
                "unknown unit \"{unit}\" for water; use ml, l, fl oz"
            )) && !err.contains(" lb"),
            "{err}"
        );
    }
    call(&mut tx, "log_water", json!({"amount": 2, "unit": "cups"}))
        .await
        .unwrap();
    let err = call(
        &mut tx,
        "log_measurement",
        json!({"type": "heart_rate", "value": 60}),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("resting_heart_rate") && err.to_string().contains("body_fat"),
        "{err}"
    );
    let rows: Vec<String> = tx
        .query(
            "SELECT type || '=' || round(value, 2)::text FROM measurements ORDER BY type, value",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    // 8 fl oz = 236.59 ml, 2 cups = 473.18 ml.
    assert_eq!(rows, ["body_fat=21.50", "water=236.59", "water=473.18"]);
}

/// Undo leaves a row the user changed since (water corrected by hand): it is theirs now.
#[tokio::test]
async fn undo_keeps_a_row_changed_since() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let mut tx = db.as_user(ann).await.unwrap();
    let ctx = Default::default();
    sparky_app::assistant::tools::call(&mut tx, &ctx, "log_water", json!({"amount": 333}))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // Corrected by hand right after (no pause: any later change counts).
    let mut tx = db.as_user(ann).await.unwrap();
    tx.execute("UPDATE measurements SET value = 500", &[])
        .await
        .unwrap();
    let undone = sparky_app::assistant::tools::call(&mut tx, &ctx, "undo_last_action", json!({}))
        .await
        .unwrap();
    assert_eq!(undone.result["changed_since"], true, "{}", undone.result);
    assert!(undone.card.unwrap().title.starts_with("Nothing undone"));
    let kept: f64 = tx
        .query_one("SELECT value::float8 FROM measurements", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(kept, 500.0);
}

/// The assistant reads measurements and workouts back over a period, in the user's units,
/// and another user's only as far as RLS lets it (not at all without a grant).
#[tokio::test]
async fn measurements_and_workouts_are_read_back_over_a_period() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let bob = user(&db, "bob@example.com").await;
    let ctx = Default::default();
    let call = async |tx: &mut sparky_db::UserTx, name: &str, args: Value| {
        sparky_app::assistant::tools::call(tx, &ctx, name, args).await
    };
    let mut tx = db.as_user(ann).await.unwrap();
    for (date, kg) in [("2026-03-01", 80.0), ("2026-03-08", 79.2)] {
        call(
            &mut tx,
            "log_measurement",
            json!({"type": "weight", "value": kg, "unit": "kg", "date": date}),
        )
        .await
        .unwrap();
    }
    call(
        &mut tx,
        "log_measurement",
        json!({"type": "waist", "value": 84, "unit": "cm", "date": "2026-03-08"}),
    )
    .await
    .unwrap();
    call(
        &mut tx,
        "log_exercise",
        json!({"exercise": "running", "duration_minutes": 30, "distance": 5,
               "distance_unit": "km", "date": "2026-03-07"}),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let mut tx = db.as_user(ann).await.unwrap();
    let read = call(
        &mut tx,
        "read_measurements",
        json!({"type": "weight", "from": "2026-03-01", "to": "2026-03-31"}),
    )
    .await
    .unwrap()
    .result;
    let values: Vec<f64> = read["readings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["value"].as_f64().unwrap())
        .collect();
    assert_eq!(values, [79.2, 80.0], "{read}");
    assert_eq!(read["readings"][0]["unit"], "kg");
    assert_eq!(read["more"], false);
    assert!(
        read["smoothed_weight"]["value"].as_f64().is_some(),
        "{read}"
    );
    let every = call(
        &mut tx,
        "read_measurements",
        json!({"from": "2026-03-01", "to": "2026-03-31"}),
    )
    .await
    .unwrap()
    .result;
    assert_eq!(every["readings"].as_array().unwrap().len(), 3, "{every}");
    let workouts = call(
        &mut tx,
        "read_workouts",
        json!({"from": "2026-03-01", "to": "2026-03-31"}),
    )
    .await
    .unwrap()
    .result;
    let listed = workouts["workouts"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{workouts}");
    assert_eq!(listed[0]["duration_minutes"], 30);
    assert_eq!(listed[0]["distance"]["value"], 5.0, "{workouts}");
    // Periods are bounded, and said so.
    let err = call(
        &mut tx,
        "read_workouts",
        json!({"from": "2025-01-01", "to": "2026-03-31"}),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("at most 92 days"), "{err}");
    let err = call(
        &mut tx,
        "read_measurements",
        json!({"from": "2026-04-01", "to": "2026-03-31"}),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("before from"), "{err}");
    let err = call(&mut tx, "read_workouts", json!({"to": "2026-13-01"}))
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("to:"), "{err}");
    let early = call(&mut tx, "read_measurements", json!({"to": "1900-01-02"}))
        .await
        .unwrap();
    assert_eq!(early.result["from"], "1900-01-01", "{}", early.result);
    drop(tx);

    // Bob has no grant from Ann: nothing of hers, whatever he asks.
    let mut tx = db.as_user(bob).await.unwrap();
    for tool in ["read_measurements", "read_workouts"] {
        let answer = call(
            &mut tx,
            tool,
            json!({"from": "2026-03-01", "to": "2026-03-31", "user_id": ann}),
        )
        .await;
        match answer {
            Ok(out) => {
                let text = out.result.to_string();
                assert!(
                    !text.contains("79.2") && !text.contains("running"),
                    "{tool}: {text}"
                );
            }
            Err(e) => assert!(
                matches!(
                    e,
                    sparky_app::AppError::Forbidden(_) | sparky_app::AppError::NotFound(_)
                ),
                "{tool}: {e:?}"
            ),
        }
    }
}

/// A tool's refusal names the tool's own argument, in plain words: not the API's field
/// (`food_item_id`, `meal_type`) or serde's words ("UUID parsing failed").
#[tokio::test]
async fn tool_refusals_name_the_tools_arguments() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let (egg, _) = foods(&db, ann).await;
    for (tool, args, said) in [
        (
            "log_food",
            json!({"food_id": "nope", "quantity": 1, "meal": "lunch"}),
            "food_id: must be an id",
        ),
        (
            "log_food",
            json!({"food_id": egg, "quantity": "lots", "meal": "lunch"}),
            "quantity: must be a number",
        ),
        (
            "log_food",
            json!({"food_id": egg, "meal": "lunch"}),
            "quantity: is required",
        ),
        (
            "create_recipe",
            json!({"name": "Stew", "servings": 2, "ingredients": [
                {"food_id": Uuid::new_v4(), "quantity": 100, "unit": "g"}]}),
            "ingredients[0].food_id",
        ),
        (
            "save_meal_as_recipe",
            json!({"meal": "lunch", "date": "2026-01-01", "name": "Empty"}),
            "meal: nothing is logged",
        ),
    ] {
        let mut tx = db.as_user(ann).await.unwrap();
        let err = sparky_app::assistant::tools::call(&mut tx, &Default::default(), tool, args)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(said), "{tool}: {err}");
        assert!(
            !err.contains("food_item_id")
                && !err.contains("meal_type")
                && !err.contains("UUID parsing"),
            "{tool}: {err}"
        );
    }
}

/// A period with more workouts than a read returns gives the newest ones, and says how many
/// were left out and from which day (the oldest 200 of a strength log were returned).
#[tokio::test]
async fn read_workouts_gives_the_newest_when_there_are_more() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let mut tx = db.as_user(ann).await.unwrap();
    // 1,104 workouts over 92 days, 12 a day: more than one page of the range read.
    tx.execute(
        "INSERT INTO exercise_diary (user_id, exercise_name, entry_date, performed_at,
                                     duration_minutes)
         SELECT auth.uid(), 'Row ' || g, date '2026-01-01' + (g / 12),
                (date '2026-01-01' + (g / 12)) + time '12:00' + g * interval '1 second', 10
         FROM generate_series(0, 1103) g",
        &[],
    )
    .await
    .unwrap();
    let ctx = Default::default();
    let read = sparky_app::assistant::tools::call(
        &mut tx,
        &ctx,
        "read_workouts",
        json!({"from": "2026-01-01", "to": "2026-04-02"}),
    )
    .await
    .unwrap()
    .result;
    let listed = read["workouts"].as_array().unwrap();
    assert_eq!(listed.len(), 200);
    assert_eq!(read["more"], true);
    // The last day, 2026-04-02, is in; 1104 - 200 = 904 before are not.
    assert_eq!(listed.last().unwrap()["date"], "2026-04-02", "{read}");
    assert!(
        read["note"]
            .as_str()
            .unwrap()
            .contains("the newest 200 of 1104 workouts")
            && read["note"].as_str().unwrap().contains("904 before"),
        "{read}"
    );
}

/// The assistant reads a meal plan's shopping list: the only active plan by default, one named
/// (or by part of its name), several that fit listed to choose from; another user's plans
/// only with a `food_list` grant.
#[tokio::test]
async fn the_shopping_list_of_a_plan_is_read() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let bob = user(&db, "bob@example.com").await;
    let (egg, toast) = foods(&db, ann).await;
    let ctx = Default::default();
    let call = async |tx: &mut sparky_db::UserTx, name: &str, args: Value| {
        sparky_app::assistant::tools::call(tx, &ctx, name, args).await
    };
    let mut tx = db.as_user(ann).await.unwrap();
    for (name, active, food, quantity) in
        [("Egg week", true, egg, 2), ("Toast week", false, toast, 3)]
    {
        let t: sparky_app::meal_plans::TemplateInput =
            serde_json::from_value(json!({"name": name, "is_active": active})).unwrap();
        let t = sparky_app::meal_plans::create_template(&mut tx, &t.parse().unwrap())
            .await
            .unwrap();
        let item: sparky_app::meal_plans::ItemInput = serde_json::from_value(
            json!({"food_item_id": food, "quantity": quantity, "meal_type": "breakfast"}),
        )
        .unwrap();
        sparky_app::meal_plans::add_item(&mut tx, t.id, &item.parse().unwrap())
            .await
            .unwrap();
    }
    // The only active plan, a week: 14 eggs of 50 g.
    let read = call(&mut tx, "read_shopping_list", json!({"from": "2026-07-06"}))
        .await
        .unwrap()
        .result;
    assert_eq!(read["plan"], "Egg week", "{read}");
    assert_eq!(read["to"], "2026-07-12", "{read}");
    assert_eq!(read["items"][0]["food"], "Egg", "{read}");
    assert_eq!(read["items"][0]["amount"].as_f64(), Some(700.0), "{read}");
    assert_eq!(read["items"][0]["unit"], "g", "{read}");
    // By part of its name, two days: 6 slices of 28 g.
    let read = call(
        &mut tx,
        "read_shopping_list",
        json!({"plan": "toast", "from": "2026-07-06", "to": "2026-07-07"}),
    )
    .await
    .unwrap()
    .result;
    assert_eq!(read["items"][0]["amount"].as_f64(), Some(168.0), "{read}");
    // Several fit, or none: the refusal names them.
    let err = call(&mut tx, "read_shopping_list", json!({"plan": "week"}))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("\"Egg week\"") && err.to_string().contains("\"Toast week\""),
        "{err}"
    );
    let err = call(&mut tx, "read_shopping_list", json!({"plan": "soup"}))
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("plan:"), "{err}");
    let err = call(
        &mut tx,
        "read_shopping_list",
        json!({"from": "2026-07-06", "to": "2026-09-01"}),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().starts_with("to:"), "{err}");
    let err = call(&mut tx, "read_shopping_list", json!({"from": "soon"}))
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("from:"), "{err}");
    tx.commit().await.unwrap();

    // Bob sees no plan of Ann's without a grant.
    let mut tx = db.as_user(bob).await.unwrap();
    let answer = call(&mut tx, "read_shopping_list", json!({"user_id": ann})).await;
    assert!(answer.is_err(), "{:?}", answer.map(|o| o.result));
}
