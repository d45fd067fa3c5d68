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

    // On Check-in, a weight logged by the assistant appears in the history underneath.
    b.click("#chat-close").await;
    b.goto("/checkin").await;
    assert!(!b.text("#main").await.contains("81.5 kg"));
    fake.push(Script::answer(
        call(
            "c3",
            "log_measurement",
            json!({"type": "weight", "value": 81.5, "unit": "kg"}),
        ),
        Finish::ToolCalls,
    ));
    fake.push(Script::text(&["Saved."]));
    b.click("#chat-open").await;
    b.find("dialog#chat[open]").await;
    b.click("#chat-input").await;
    b.type_text("I weigh 81.5 kg").await;
    b.keys(&[Key::Enter]).await;
    b.until_text("#chat-log", "weight: 81.5 kg").await;
    b.until_text("#main", "81.5 kg").await;

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

/// A 24-bit BMP of `w`×`h` pixels (a gradient), for the photo input.
fn bmp(w: u32, h: u32) -> Vec<u8> {
    let row = (w * 3).div_ceil(4) * 4;
    let size = 54 + row * h;
    let mut b = Vec::with_capacity(size as usize);
    b.extend_from_slice(b"BM");
    for v in [size, 0, 54, 40] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&(w as i32).to_le_bytes());
    b.extend_from_slice(&(h as i32).to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&24u16.to_le_bytes());
    for v in [0u32, row * h, 2835, 2835, 0, 0] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    for y in 0..h {
        let mut line: Vec<u8> = (0..w)
            .flat_map(|x| [(x * 255 / w) as u8, (y * 255 / h) as u8, 160])
            .collect();
        line.resize(row as usize, 0);
        b.extend_from_slice(&line);
    }
    b
}

/// Width and height of a baseline JPEG (its SOF0 segment).
fn jpeg_size(jpeg: &[u8]) -> Option<(u16, u16)> {
    let mut i = 2;
    while i + 9 < jpeg.len() {
        if jpeg[i] != 0xFF {
            return None;
        }
        let marker = jpeg[i + 1];
        let len = u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]) as usize;
        if marker == 0xC0 || marker == 0xC2 {
            let h = u16::from_be_bytes([jpeg[i + 5], jpeg[i + 6]]);
            let w = u16::from_be_bytes([jpeg[i + 7], jpeg[i + 8]]);
            return Some((w, h));
        }
        i += 2 + len;
    }
    None
}

/// The photo a request to the fake provider carried, decoded.
fn sent_photo(body: &Value) -> Vec<u8> {
    use base64::Engine;
    let text = body.to_string();
    let start = text
        .find("data:image/jpeg;base64,")
        .unwrap_or_else(|| panic!("no JPEG in the request: {}", &text[..text.len().min(400)]))
        + "data:image/jpeg;base64,".len();
    let data = text[start..].split('"').next().unwrap();
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .expect("base64")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assistant_drawer_logs_a_meal_photo_and_creates_a_food_from_a_label() {
    let fake = FakeAi::start().await;
    let base_url = format!("{}/v1/chat/completions", fake.url());
    let server = Server::start_with(&[
        ("SPARKY_AI_PROVIDER", "openai"),
        ("SPARKY_AI_BASE_URL", &base_url),
        ("SPARKY_AI_MODEL", "gpt-test"),
        ("SPARKY_AI_API_KEY", "test-key"),
    ])
    .await;
    let driver = Driver::start();
    let b = driver.session(&server.base).await;
    b.viewport(PHONE).await;
    register(&b, "Photo Tester", "photo@example.com").await;
    let (status, yogurt) = b
        .api(
            "POST",
            "/api/v1/foods",
            Some(
                json!({"name": "Greek yogurt", "servings": [{"size": 100, "unit": "g",
                        "nutrients": {"calories": 59, "protein": 10}}]}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{yogurt}");
    let yogurt_id = yogurt["id"].as_str().unwrap().to_string();
    let picture = std::env::temp_dir().join(format!("sparky-meal-{}.bmp", std::process::id()));
    std::fs::write(&picture, bmp(1600, 1000)).unwrap();
    let _remove = super::RemoveOnDrop(picture.clone());
    let dir = screenshot_dir().join("drawer");

    // (a) A meal photo: the foods seen, each to check and correct, logged in one go.
    fake.push(Script::text(&[
        "{\"items\": [{\"name\": \"Greek yogurt\", \"grams\": 150}, ",
        "{\"name\": \"Qzxv wobble\", \"grams\": 30}]}",
    ]));
    b.goto("/").await;
    b.click("#chat-open").await;
    b.find("dialog#chat[open]").await;
    b.find("#chat-file")
        .await
        .send_keys(&picture.display().to_string())
        .await
        .unwrap();
    b.find("#chat-log .msg.photo img").await;
    b.click("#chat-log .chat-actions button.primary").await;
    b.find("#chat-log form.photo-form select").await;
    // The photo went to the model resized to 1280 px on its long side, as JPEG.
    let jpeg = sent_photo(&fake.requests().last().unwrap().body);
    assert_eq!(jpeg_size(&jpeg), Some((1280, 800)));
    let rows = b
        .js(
            "return Array.prototype.map.call(document.querySelectorAll('#chat-log .photo-items li'), function (li) {
               return [li.querySelector('input[type=checkbox]').checked, li.querySelector('select').value,
                       li.querySelector('input[type=number]').value, li.querySelector('input[type=checkbox]').disabled];
             });",
            vec![],
        )
        .await;
    assert_eq!(rows[0], json!([true, yogurt_id, "150", false]), "{rows}");
    assert_eq!(
        rows[1][0],
        json!(false),
        "an unmatched item starts unticked: {rows}"
    );
    assert_eq!(
        b.text("#chat-log form.photo-form button[type=submit]")
            .await,
        "Log 1 item"
    );
    b.fill("#chat-log .photo-items li input[type=number]", "200")
        .await;
    b.find("#chat-log form.photo-form .field select")
        .await
        .select_by_value("lunch")
        .await
        .unwrap();
    b.screenshot(PHONE, &dir, "drawer-meal-photo-phone-light")
        .await;
    let mut serious = serious_axe(&b, "drawer-meal-photo-phone-light").await;
    b.click("#chat-log form.photo-form button[type=submit]")
        .await;
    b.until_text("#chat-log .chat-card", "Greek yogurt — 200 g: 118 kcal")
        .await;
    assert!(b.text("#chat-log .chat-card").await.contains("Lunch"));
    let (_, day) = b.api("GET", "/api/v1/diary/today", None).await;
    let lunch: Vec<(String, f64)> = day["meals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["meal_type"] == "lunch")
        .flat_map(|m| m["entries"].as_array().cloned().unwrap_or_default())
        .map(|e| {
            (
                e["food_name"].as_str().unwrap().to_string(),
                e["quantity"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(lunch, vec![("Greek yogurt".to_string(), 200.0)]);
    b.until_text("#day", "Greek yogurt").await;
    b.click("#chat-log .chat-card button[data-undo]").await;
    b.until_text("#chat-log .chat-card", "Undone").await;
    assert!(diary_names(&b).await.is_empty());

    // (b) A nutrition label: the proposed food, corrected, becomes a food of one's own.
    fake.push(Script::text(&[
        "{\"name\": \"Crunchy granola\", \"brand\": \"Acme\", \"serving\": \"1 bowl (45 g)\", ",
        "\"per_100g\": {\"energy\": \"442 kcal\", \"protein\": \"10.5 g\", \"carbohydrates\": \"60 g\", \"fat\": \"17 g\"}}",
    ]));
    b.find("#chat-file")
        .await
        .send_keys(&picture.display().to_string())
        .await
        .unwrap();
    b.click("#chat-log .chat-actions button:nth-child(2)").await;
    b.find("#chat-log form.photo-form input[type=text]").await;
    let name = b
        .js(
            "return document.querySelector('#chat-log form.photo-form input[type=text]').value;",
            vec![],
        )
        .await;
    assert_eq!(name, json!("Crunchy granola"));
    b.until_text(
        "#chat-log form.photo-form",
        "Also saved as on the label: 100 g · 442 kcal",
    )
    .await;
    b.fill("#chat-log form.photo-form input[type=text]", "Acme granola")
        .await;
    b.screenshot(PHONE, &dir, "drawer-label-phone-light").await;
    serious.extend(serious_axe(&b, "drawer-label-phone-light").await);
    b.click("#chat-log form.photo-form button[type=submit]")
        .await;
    b.until_text("#chat-log", "Created Acme granola.").await;
    let (status, found) = b.api("GET", "/api/v1/foods?q=acme+granola", None).await;
    assert_eq!(status, 200, "{found}");
    let food = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Acme granola")
        .unwrap_or_else(|| panic!("the new food: {found}"))
        .clone();
    assert_eq!(food["brand"], "Acme");
    let href = b
        .find("#chat-log .chat-card a.button")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(href, format!("/add/food/{}", food["id"].as_str().unwrap()));
    assert!(
        serious.is_empty(),
        "axe-core on the photo forms:\n{}",
        serious.join("\n")
    );
    b.close().await;
}
