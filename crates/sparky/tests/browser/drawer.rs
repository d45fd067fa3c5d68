//! The assistant's drawer against the scripted fake provider: opened by keyboard on Today and
//! by click on Exercise, a logged breakfast streamed with its card (Today refreshes under the
//! drawer), Undo, the conversation kept across pages, a quick reply, recent conversations and
//! a new one. Screenshots of the open drawer with a card at phone and desktop size, and
//! axe-core on it.

use fantoccini::key::Key;
use serde_json::{json, Value};
use sparky_testkit::fake_ai::{FakeAi, Finish, Part, Script};

use super::harness::{Browser, Driver, Server, Viewport, PHONE};
use super::{register, screenshot_dir};

const DESKTOP_800: Viewport = Viewport {
    name: "desktop",
    width: 1280,
    height: 800,
    mobile: false,
};

/// A streamed tool call, its JSON arguments in two pieces.
fn call(id: &str, name: &str, args: Value) -> Vec<Part> {
    let text = args.to_string();
    let (a, b) = text.split_at(text.len() / 2);
    vec![
        Part::tool_start(0, id, name),
        Part::tool_args(0, a),
        Part::tool_args(0, b),
    ]
}

/// Today's diary entries' food names, through the API.
async fn diary_names(b: &Browser) -> Vec<String> {
    let (status, day) = b.api("GET", "/api/v1/diary/today", None).await;
    assert_eq!(status, 200, "{day}");
    day["meals"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["entries"].as_array().cloned().unwrap_or_default())
        .map(|e| e["food_name"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// axe-core's serious and critical findings on the page as it is.
async fn serious_axe(b: &Browser, name: &str) -> Vec<String> {
    b.axe()
        .await
        .into_iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(|v| {
            format!(
                "{name}: {} {}: {}",
                v["impact"].as_str().unwrap_or(""),
                v["id"].as_str().unwrap_or(""),
                v["nodes"]
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assistant_drawer_streams_a_card_undoes_it_and_takes_a_quick_reply_on_two_screens() {
    let fake = FakeAi::start().await;
    let base_url = format!("{}/v1/chat/completions", fake.url());
    let server = Server::start_with(&[
        ("SPARKY_AI_PROVIDER", "openai"),
        ("SPARKY_AI_BASE_URL", &base_url),
        ("SPARKY_AI_MODEL", "gpt-test"),
        ("SPARKY_AI_API_KEY", "test-key"),
        (
            "SPARKY_SECRET_KEY",
            "2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a",
        ),
    ])
    .await;
    let driver = Driver::start();
    let b = driver.session(&server.base).await;
    register(&b, "Chat Tester", "chat@example.com").await;
    let (status, egg) = b
        .api(
            "POST",
            "/api/v1/foods",
            Some(
                json!({"name": "Egg", "servings": [{"size": 1, "unit": "large", "weight_g": 50,
                        "nutrients": {"calories": 72, "protein": 6.3}}]}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{egg}");
    let egg_id = egg["id"].as_str().unwrap();
    fake.push(Script::answer(
        call(
            "c1",
            "log_food",
            json!({"food_id": egg_id, "quantity": 2, "unit": "large", "meal": "breakfast"}),
        ),
        Finish::ToolCalls,
    ));
    fake.push(Script::text(&["Enjoy ", "your ", "eggs!"]));

    // Today: the chat button is reached with the keyboard and opens the drawer, focus in the
    // message box.
    b.goto("/").await;
    b.find("#day").await;
    b.tab_to("#chat-open", 20).await;
    b.keys(&[Key::Enter]).await;
    b.find("dialog#chat[open]").await;
    b.until(
        "the message box to have focus",
        "return document.activeElement && document.activeElement.id === 'chat-input';",
    )
    .await;
    b.type_text("I had 2 eggs for breakfast").await;
    b.keys(&[Key::Enter]).await;

    // The question, the streamed answer and the card of exactly what was written.
    b.until_text("#chat-log .msg.user", "I had 2 eggs for breakfast")
        .await;
    b.until_text("#chat-log .msg.assistant", "Enjoy your eggs!")
        .await;
    let card = b.text("#chat-log .chat-card").await;
    assert!(
        card.contains("Logged to breakfast") && card.contains("Egg") && card.contains("2 large"),
        "card: {card}"
    );
    assert!(card.contains("144 kcal"), "card: {card}");
    // The card's lines are not repeated in the answer's bubble.
    let answer = b.text("#chat-log .msg.assistant").await;
    assert!(!answer.contains("2 large"), "answer: {answer}");
    assert_eq!(
        b.js(
            "return document.getElementById('chat-input').value;",
            vec![]
        )
        .await,
        json!("")
    );
    // The request carried the typed message and the tools.
    let sent = &fake.requests()[0].body;
    assert!(
        sent["messages"]
            .to_string()
            .contains("I had 2 eggs for breakfast"),
        "{sent}"
    );
    assert_eq!(diary_names(&b).await, vec!["Egg".to_string()]);
    // Today under the drawer shows the entry without a reload.
    b.until_text("#day .entries", "Egg").await;

    // Pictures of the open drawer with a card, and the accessibility check on it.
    let dir = screenshot_dir().join("drawer");
    let mut serious = Vec::new();
    for v in [PHONE, DESKTOP_800] {
        b.viewport(v).await;
        for dark in [false, true] {
            b.color_scheme(dark).await;
            let name = format!(
                "drawer-card-{}-{}",
                v.name,
                if dark { "dark" } else { "light" }
            );
            let overflow = b
                .js(
                    "var l = document.getElementById('chat-log'); return l.scrollWidth - l.clientWidth;",
                    vec![],
                )
                .await;
            assert!(
                overflow.as_i64().unwrap_or(0) <= 0,
                "{name}: the conversation scrolls sideways by {overflow} px"
            );
            b.screenshot(v, &dir, &name).await;
            serious.extend(serious_axe(&b, &name).await);
        }
    }
    b.color_scheme(false).await;
    assert!(
        serious.is_empty(),
        "axe-core on the open drawer:\n{}",
        serious.join("\n")
    );

    // Undo: the card says so, the entry is gone (API) and Today follows.
    b.click("#chat-log .chat-card button[data-undo]").await;
    b.until_text("#chat-log .chat-card", "Undone").await;
    assert!(diary_names(&b).await.is_empty(), "the entry is undone");
    b.until(
        "Today to lose the entry",
        "var d = document.querySelector('#day'); return !!d && d.innerText.indexOf('Egg') < 0;",
    )
    .await;
    b.click("#chat-close").await;
    b.until_gone("dialog#chat[open]").await;

    // Another screen: the drawer opens with the same conversation.
    b.viewport(PHONE).await;
    b.goto("/exercise").await;
    b.click("#chat-open").await;
    b.find("dialog#chat[open]").await;
    b.until_text("#chat-log", "Enjoy your eggs!").await;
    assert!(b
        .text("#chat-log")
        .await
        .contains("I had 2 eggs for breakfast"));
    // The card remembers it was undone.
    b.until_text("#chat-log .chat-card", "Undone").await;

    // Shift+Enter is a new line, Enter sends; the assistant asks with quick replies.
    fake.push(Script::answer(
        call(
            "c2",
            "ask_user",
            json!({"question": "Which milk was it?", "options": ["Whole milk", "Skim milk"]}),
        ),
        Finish::ToolCalls,
    ));
    fake.push(Script::text(&["Noted: ", "skim milk."]));
    b.click("#chat-input").await;
    b.type_text("And milk").await;
    b.shift_enter().await;
    b.type_text("in my coffee").await;
    assert_eq!(
        b.js(
            "return document.getElementById('chat-input').value;",
            vec![]
        )
        .await,
        json!("And milk\nin my coffee")
    );
    assert_eq!(
        b.js(
            "return document.querySelectorAll('#chat-log .msg.user').length;",
            vec![]
        )
        .await,
        json!(1),
        "Shift+Enter does not send"
    );
    b.keys(&[Key::Enter]).await;
    b.until_text("#chat-log", "Which milk was it?").await;
    b.find("#chat-log .quick-replies button[data-reply='Skim milk']")
        .await;
    b.screenshot(PHONE, &dir, "drawer-question-phone-light")
        .await;
    serious.extend(serious_axe(&b, "drawer-question-phone-light").await);
    assert!(serious.is_empty(), "axe-core:\n{}", serious.join("\n"));
    b.click("#chat-log .quick-replies button[data-reply='Skim milk']")
        .await;
    b.until_text("#chat-log", "Noted: skim milk.").await;
    b.until_gone("#chat-log .quick-replies").await;
    let users = b
        .js(
            "return Array.prototype.map.call(document.querySelectorAll('#chat-log .msg.user .text'), function (e) { return e.textContent; });",
            vec![],
        )
        .await;
    assert_eq!(
        users,
        json!([
            "I had 2 eggs for breakfast",
            "And milk\nin my coffee",
            "Skim milk"
        ])
    );
    let last = fake.requests().last().unwrap().body.clone();
    assert!(
        last["messages"].to_string().contains("Skim milk"),
        "the option's text went to the model: {last}"
    );
    assert_eq!(fake.scripts_left(), 0);

    // Recent conversations list this one; a new conversation starts empty.
    b.click("#chat-recent summary").await;
    b.until_text("#chat-recent-list", "I had 2 eggs").await;
    b.click("#chat-new").await;
    b.until(
        "an empty conversation",
        "return !document.querySelector('#chat-log .msg') && !document.getElementById('chat-hint').classList.contains('hidden');",
    )
    .await;
    // ...and the old one reopens from the list.
    b.click("#chat-recent summary").await;
    b.click("#chat-recent-list button[data-conversation]").await;
    b.until_text("#chat-log", "Noted: skim milk.").await;
    b.close().await;
}
