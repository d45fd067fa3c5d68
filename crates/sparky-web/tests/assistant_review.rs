//! Natural-language logging with a review step, over HTTP: a user who turned on
//! `review_writes` gets the chat's writes as proposals (nothing written), saves one (written,
//! with its Undo) and discards another (nothing written); proposals are their owner's only, and
//! a proposal whose food is gone by then is refused and stays to be discarded.

mod assistant_kit;
mod common;

use assistant_kit::{call, chat, food, instance};
use common::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sparky_testkit::fake_ai::{FakeAi, Finish, Script};

fn cards(events: &[(String, Value)]) -> Vec<Value> {
    let done = &events.last().expect("events").1;
    done["cards"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn proposed_writes_wait_for_save_or_discard() {
    let fake = FakeAi::start().await;
    let app = TestApp::spawn_with_assistant(instance(&fake)).await;
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let egg = food(&app, &ann, "Egg", "large", 50, 72).await;
    let toast = food(&app, &ann, "Toast", "slice", 28, 80).await;

    // Off by default; turned on alone, the other settings kept.
    let s = app.get("/api/v1/assistant/settings", &ann).await;
    assert_eq!(s.body["review_writes"], false, "{:?}", s.body);
    let r = app
        .put(
            "/api/v1/assistant/settings",
            &ann,
            json!({"review_writes": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["review_writes"], true);
    let r = app
        .put(
            "/api/v1/assistant/settings",
            &ann,
            json!({"model": "gpt-test"}),
        )
        .await;
    assert_eq!(
        r.body["review_writes"], true,
        "left out keeps it: {:?}",
        r.body
    );
    let r = app
        .put(
            "/api/v1/assistant/settings",
            &ann,
            json!({"review_writes": "yes"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);

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
    fake.push(Script::text(&["Logged both."]));
    let (status, events) = chat(
        &app,
        &ann,
        json!({"message": "2 eggs and a slice of toast for breakfast"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let proposed = cards(&events);
    assert_eq!(proposed.len(), 2, "{events:?}");
    for c in &proposed {
        assert!(c["proposal_id"].is_string(), "{c}");
        assert!(c["action_id"].is_null(), "{c}");
        assert!(
            c["title"].as_str().unwrap().starts_with("Not saved yet: "),
            "{c}"
        );
    }
    assert!(proposed[0]["lines"][0]
        .as_str()
        .unwrap()
        .contains("144 kcal"));
    // The model was told nothing was saved.
    assert!(fake.requests()[1]
        .body
        .to_string()
        .contains("Not saved yet"));
    // Nothing written, and the model's claim is not the confirmation.
    let day = app.get("/api/v1/diary/today", &ann).await;
    assert_eq!(day.body["meals"][0]["entries"], json!([]), "{:?}", day.body);
    let text = events.last().unwrap().1["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!text.contains("Logged both"), "{text}");

    let egg_proposal = proposed[0]["proposal_id"].as_str().unwrap().to_string();
    let toast_proposal = proposed[1]["proposal_id"].as_str().unwrap().to_string();
    // Bob cannot see, save or discard Ann's proposals.
    for action in ["save", "discard"] {
        let r = app
            .post(
                &format!("/api/v1/chat/proposals/{egg_proposal}/{action}"),
                &bob,
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{action}: {:?}", r.body);
    }

    // Save: written now, and the card has an Undo.
    let saved = app
        .post(
            &format!("/api/v1/chat/proposals/{egg_proposal}/save"),
            &ann,
            json!({}),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{:?}", saved.body);
    assert!(saved.body["action_id"].is_string(), "{:?}", saved.body);
    assert!(saved.body.get("proposal_id").is_none(), "{:?}", saved.body);
    assert_eq!(
        saved.body["title"].as_str().unwrap().find("Not saved"),
        None
    );
    let day = app.get("/api/v1/diary/today", &ann).await;
    assert_eq!(
        day.body["totals"]["calories"],
        json!(144.0),
        "{:?}",
        day.body
    );
    // Saved once only.
    for action in ["save", "discard"] {
        let r = app
            .post(
                &format!("/api/v1/chat/proposals/{egg_proposal}/{action}"),
                &ann,
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{action}: {:?}", r.body);
    }
    // Discard: nothing written, and it cannot be saved after.
    let r = app
        .post(
            &format!("/api/v1/chat/proposals/{toast_proposal}/discard"),
            &ann,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let r = app
        .post(
            &format!("/api/v1/chat/proposals/{toast_proposal}/save"),
            &ann,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    let day = app.get("/api/v1/diary/today", &ann).await;
    assert_eq!(
        day.body["totals"]["calories"],
        json!(144.0),
        "{:?}",
        day.body
    );
    // The saved write undoes like any other.
    let id = saved.body["action_id"].as_str().unwrap();
    let r = app
        .post(&format!("/api/v1/chat/actions/{id}/undo"), &ann, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let day = app.get("/api/v1/diary/today", &ann).await;
    assert_eq!(day.body["meals"][0]["entries"], json!([]), "{:?}", day.body);

    // A proposal whose food is deleted before saving is refused and waits to be discarded.
    fake.push(Script::answer(
        call(
            0,
            "c",
            "log_food",
            json!({"food_id": toast, "quantity": 2, "unit": "slice", "meal": "lunch"}),
        ),
        Finish::ToolCalls,
    ));
    fake.push(Script::text(&["Ready to review."]));
    let (_, events) = chat(&app, &ann, json!({"message": "two toast for lunch"})).await;
    let pending = cards(&events)[0]["proposal_id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app.delete(&format!("/api/v1/foods/{toast}"), &ann).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let r = app
        .post(
            &format!("/api/v1/chat/proposals/{pending}/save"),
            &ann,
            json!({}),
        )
        .await;
    assert!(r.status.is_client_error(), "{:?}", r.body);
    let day = app.get("/api/v1/diary/today", &ann).await;
    assert_eq!(day.body["meals"][1]["entries"], json!([]), "{:?}", day.body);
    let r = app
        .post(
            &format!("/api/v1/chat/proposals/{pending}/discard"),
            &ann,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    // A garbage id is a 4xx, never a 500.
    let r = app
        .post("/api/v1/chat/proposals/not-a-uuid/save", &ann, json!({}))
        .await;
    assert!(r.status.is_client_error(), "{:?}", r.body);

    // Turned off, the chat writes at once again.
    let r = app
        .put(
            "/api/v1/assistant/settings",
            &ann,
            json!({"review_writes": false}),
        )
        .await;
    assert_eq!(r.body["review_writes"], false);
    fake.push(Script::answer(
        call(
            0,
            "d",
            "log_food",
            json!({"food_id": egg, "quantity": 1, "unit": "large", "meal": "snack"}),
        ),
        Finish::ToolCalls,
    ));
    fake.push(Script::text(&["Done."]));
    let (_, events) = chat(&app, &ann, json!({"message": "an egg as a snack"})).await;
    let written = cards(&events);
    assert!(written[0]["action_id"].is_string(), "{written:?}");
    let day = app.get("/api/v1/diary/today", &ann).await;
    assert_eq!(
        day.body["totals"]["calories"],
        json!(72.0),
        "{:?}",
        day.body
    );
}
