//! The web app in a real browser: `sparky serve` (starter catalog loaded, real PostgreSQL)
//! driven through Debian's chromedriver and headless Chromium.
//!
//! - the daily flow: register → onboarding (skipped) → search "banana" and log it → totals →
//!   edit the amount → delete and undo → weight → a family member logs for the grantor → theme;
//! - the add-food flow with the keyboard alone;
//! - every screen of [`screens::SCREENS`] at phone and desktop sizes, light and dark: a
//!   screenshot under `target/screenshots/` and no serious or critical axe-core violation.
//!
//! Without chromium and chromedriver these tests fail and say how to install them.

mod drawer;
mod harness;
mod screens;
mod transfer;

use std::path::PathBuf;

use chrono::NaiveDate;
use fantoccini::key::Key;
use serde_json::{json, Value};

use harness::{Browser, Driver, Server, DESKTOP, PHONE};
use screens::{Step, Who, SCREENS};

const PASSWORD: &str = "correct horse battery";

/// Registers through the form and lands on Today, skipping onboarding.
async fn register(b: &Browser, name: &str, email: &str) {
    register_only(b, name, email).await;
    skip_onboarding(b).await;
    if b.path().await != "/" {
        b.goto("/").await;
    }
    b.find("#day").await;
}

/// Registers through the form and stays where that leads (onboarding).
async fn register_only(b: &Browser, name: &str, email: &str) {
    b.goto("/register").await;
    b.fill("#full_name", name).await;
    b.fill("#email", email).await;
    b.fill("#password", PASSWORD).await;
    b.click("form[action='/register'] button[type=submit]")
        .await;
    b.until(
        "registration to leave the form",
        "return location.pathname !== '/register';",
    )
    .await;
}

/// Registering leads to onboarding, and it is skippable: its skip control leads on.
async fn skip_onboarding(b: &Browser) {
    let path = b.path().await;
    assert!(
        path.starts_with("/onboarding"),
        "registered, then at {path}"
    );
    let skip = b
        .js(
            "var c = Array.prototype.slice.call(document.querySelectorAll('main a, main button'));
             var s = c.filter(function (e) { return /skip/i.test(e.textContent + ' ' + (e.name || '') + ' ' + (e.value || '')); })[0];
             if (!s) return false; s.click(); return true;",
            vec![],
        )
        .await;
    assert_eq!(
        skip,
        Value::Bool(true),
        "the onboarding page has no way to skip it:\n{}",
        b.body_text().await
    );
    b.until(
        "onboarding to be skipped",
        "return !location.pathname.startsWith('/onboarding');",
    )
    .await;
}

/// The day Today shows, from its links.
async fn shown_date(b: &Browser) -> NaiveDate {
    let href = b
        .find("#day .meal a.button.primary")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let date = href
        .split("date=")
        .nth(1)
        .and_then(|d| d.get(..10))
        .unwrap();
    date.parse().unwrap()
}

/// The "Eaten" figure of the energy card.
async fn eaten(b: &Browser) -> String {
    b.text("#day .energy dd").await
}

async fn until_eaten(b: &Browser, kcal: &str) {
    b.until(
        &format!("eaten to be {kcal}"),
        &format!(
            "var d = document.querySelector('#day .energy dd'); return !!d && d.innerText.trim() === {};",
            json!(kcal)
        ),
    )
    .await;
}

/// Opens the add-food sheet for breakfast, searches and picks the first result.
async fn search_and_pick(b: &Browser, query: &str, expect_first: &str) {
    b.click("#day .meal a.button.primary").await;
    b.find("dialog#sheet[open] #food-q").await;
    b.fill("#food-q", query).await;
    // The search's own results (not the recent foods shown before typing).
    b.until_text("#food-results", "Best matches").await;
    b.until_text("#food-results", expect_first).await;
    let first = b.text("#food-results .results li a").await;
    assert!(
        first.starts_with(expect_first),
        "\"{query}\" should find {expect_first} first, found:\n{}",
        b.text("#food-results").await
    );
    b.click("#food-results .results li a").await;
    b.find("dialog#sheet[open] #pk-q").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_flow_register_log_edit_undo_weight_family_theme() {
    let server = Server::start().await;
    let driver = Driver::start();
    let ann = driver.session(&server.base).await;
    register(&ann, "Ann Example", "ann@example.com").await;
    assert_eq!(eaten(&ann).await, "0 kcal");
    let today = shown_date(&ann).await;

    // Search "banana", take the first hit with its default serving (1 medium) and log it.
    search_and_pick(&ann, "banana", "Bananas, raw").await;
    let serving = ann
        .js(
            "var s = document.getElementById('pk-s'); return s.options[s.selectedIndex].text;",
            vec![],
        )
        .await;
    assert!(
        serving.as_str().unwrap_or("").contains("medium"),
        "default serving: {serving}"
    );
    ann.until_text("#preview", "105").await;
    ann.click("#pick-form button[type=submit]").await;
    ann.until(
        "the day after logging",
        &format!("return location.pathname === '/day/{today}';"),
    )
    .await;
    ann.until_text("#day .entries", "Bananas, raw").await;
    assert_eq!(eaten(&ann).await, "105 kcal", "totals update");
    assert!(ann.text("#day .meal").await.contains("105 kcal"));

    // Edit the amount: 2 bananas.
    ann.click("#day .entries summary").await;
    ann.fill("#day .entries details[open] input[name=quantity]", "2")
        .await;
    ann.click("#day .entries details[open] form.row button[type=submit]")
        .await;
    until_eaten(&ann, "210 kcal").await;
    // An amount the diary refuses changes nothing and says why (htmx swaps nothing for a 422,
    // so the reason comes in the toast).
    ann.click("#day .entries summary").await;
    ann.fill("#day .entries details[open] input[name=quantity]", "-1")
        .await;
    ann.click("#day .entries details[open] form.row button[type=submit]")
        .await;
    ann.until_text("#toast [role=alert]", "greater than 0")
        .await;
    assert_eq!(
        eaten(&ann).await,
        "210 kcal",
        "a refused edit changes nothing"
    );
    ann.goto(&format!("/day/{today}")).await;

    // Delete, then undo from the toast.
    ann.click("#day .entries summary").await;
    ann.click("#day .entries details[open] button.danger").await;
    until_eaten(&ann, "0 kcal").await;
    assert!(!ann.text("#day").await.contains("Bananas, raw"));
    ann.click("#toast .toast button").await;
    until_eaten(&ann, "210 kcal").await;
    ann.until_text("#day .entries", "Bananas, raw").await;

    // Weight from Today's quick entry.
    ann.fill("#weight-value", "72.5").await;
    ann.click("form[action='/weight'] button[type=submit]")
        .await;
    ann.until_text("section[aria-labelledby=weight-h] header", "72.5 kg")
        .await;
    ann.goto("/").await;
    assert!(ann
        .text("section[aria-labelledby=weight-h] header")
        .await
        .contains("72.5 kg"));
    // The check-in page's weight chart shows it.
    ann.goto("/checkin").await;
    ann.find("svg.chart").await;
    assert!(ann.text("main").await.contains("72.5"));

    // A family member with a diary grant logs a banana for Ann, viewing as her.
    let bob = driver.session(&server.base).await;
    register(&bob, "Bob Example", "bob@example.com").await;
    let (status, body) = ann
        .api(
            "POST",
            "/api/v1/family-access",
            Some(json!({"grantee_email": "bob@example.com", "access_type": "calorie"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    bob.goto("/").await;
    bob.find("#viewing-as")
        .await
        .select_by_label("Ann Example")
        .await
        .unwrap();
    bob.until_text(".banner", "Ann Example").await;
    search_and_pick(&bob, "banana", "Bananas, raw").await;
    bob.click("#pick-form button[type=submit]").await;
    bob.until_text("#day .energy", "315 kcal").await;
    assert!(bob.text(".banner").await.contains("Ann Example"));
    ann.goto(&format!("/day/{today}")).await;
    assert_eq!(eaten(&ann).await, "315 kcal", "Ann sees Bob's entry");
    // Bob's own day is untouched.
    bob.find("#viewing-as")
        .await
        .select_by_value("")
        .await
        .unwrap();
    bob.until_gone(".banner").await;
    assert_eq!(eaten(&bob).await, "0 kcal");

    // Theme: the preference decides; "system" follows the browser.
    let background = "return getComputedStyle(document.body).backgroundColor;";
    for (theme, system_dark, expect) in [
        ("dark", false, "rgb(17, 21, 19)"),
        ("light", true, "rgb(246, 247, 244)"),
        ("system", true, "rgb(17, 21, 19)"),
        ("system", false, "rgb(246, 247, 244)"),
    ] {
        let (status, body) = ann
            .api(
                "PUT",
                "/api/v1/preferences",
                Some(json!({ "theme": theme })),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        ann.color_scheme(system_dark).await;
        ann.goto("/").await;
        assert_eq!(
            ann.js("return document.documentElement.dataset.theme;", vec![])
                .await,
            json!(theme)
        );
        assert_eq!(
            ann.js(background, vec![]).await,
            json!(expect),
            "theme {theme}, system dark: {system_dark}"
        );
    }
    bob.close().await;
    ann.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_food_with_the_keyboard_alone() {
    let server = Server::start().await;
    let driver = Driver::start();
    let b = driver.session(&server.base).await;
    b.viewport(PHONE).await;
    register(&b, "Kay Board", "kay@example.com").await;
    let today = shown_date(&b).await;
    b.goto("/").await;

    // Tab to breakfast's Add, Enter opens the sheet with the search field focused.
    b.tab_to("#day .meal a.button.primary", 80).await;
    b.keys(&[Key::Enter]).await;
    b.find("dialog#sheet[open] #food-q").await;
    b.until(
        "the search field to have focus",
        "return document.activeElement && document.activeElement.id === 'food-q';",
    )
    .await;
    b.type_text("banana").await;
    b.until_text("#food-results", "Bananas, raw").await;
    // Down to the first result, Enter picks it; the amount field takes focus.
    b.keys(&[Key::Down]).await;
    assert!(b.focused("#food-results .results a").await);
    b.keys(&[Key::Enter]).await;
    b.find("dialog#sheet[open] #pk-q").await;
    b.until(
        "the amount field to have focus",
        "return document.activeElement && document.activeElement.id === 'pk-q';",
    )
    .await;
    // Enter logs it.
    b.keys(&[Key::Enter]).await;
    b.until(
        "the day after logging",
        &format!("return location.pathname === '/day/{today}';"),
    )
    .await;
    b.until_text("#day .entries", "Bananas, raw").await;
    assert_eq!(eaten(&b).await, "105 kcal");

    // Escape closes the sheet; arrows come back from the results to the field.
    b.goto("/").await;
    b.tab_to("#day .meal a.button.primary", 80).await;
    b.keys(&[Key::Enter]).await;
    b.find("dialog#sheet[open] #food-q").await;
    b.type_text("whole milk").await;
    b.until_text("#food-results", "Milk").await;
    b.keys(&[Key::Down, Key::Down, Key::Up, Key::Up]).await;
    assert!(b.focused("#food-q").await, "Up from the first result");
    // The first Escape clears the search field (the browser's own behaviour), the next closes.
    b.keys(&[Key::Escape, Key::Escape]).await;
    b.until_gone("dialog#sheet[open]").await;

    // The phone's Back closes an open sheet and stays on the day (it went to the page before,
    // losing the amount typed); after that, Back leaves the day as usual.
    b.goto(&format!("/day/{today}")).await;
    b.goto("/").await;
    b.click("#day .meal a.button.primary").await;
    b.find("dialog#sheet[open] #food-q").await;
    b.js("history.back();", vec![]).await;
    b.until_gone("dialog#sheet[open]").await;
    assert_eq!(b.path().await, "/");
    // Closed by its button, the sheet leaves no step behind: one Back leaves the page.
    b.click("#day .meal a.button.primary").await;
    b.find("dialog#sheet[open] #food-q").await;
    b.click("dialog#sheet[open] [data-close-sheet]").await;
    b.until_gone("dialog#sheet[open]").await;
    b.js("history.back();", vec![]).await;
    b.until(
        "Back to leave Today for the day before",
        &format!("return location.pathname === '/day/{today}';"),
    )
    .await;
    b.close().await;
}

/// A double tap saves once: the second tap on a water button while the first is on its way,
/// and a second press of Log in the add sheet, are dropped (SparkyFitness saved queued taps
/// as several meals).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_tap_saves_once() {
    let server = Server::start().await;
    let driver = Driver::start();
    let b = driver.session(&server.base).await;
    register(&b, "Dee Tap", "dee@example.com").await;
    let today = shown_date(&b).await;

    // Water (htmx): two clicks in one go, then a third once the first has come back.
    b.js(
        "var f = document.querySelector(\"#day form[action='/water'] button\"); f.click(); f.click(); return true;",
        vec![],
    )
    .await;
    let water = |ml: u64| {
        format!(
            "return fetch('/api/v1/measurements?type=water&limit=100').then(function (r) {{ return r.json(); }})
               .then(function (j) {{ return j.items.reduce(function (s, m) {{ return s + m.value; }}, 0) === {ml}; }});"
        )
    };
    b.until("one glass of water", &water(250)).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    b.until("still one glass", &water(250)).await;
    b.js(
        "document.querySelector(\"#day form[action='/water'] button\").click(); return true;",
        vec![],
    )
    .await;
    b.until("a second glass, tapped later", &water(500)).await;

    // Log (a plain form): pressed twice, 30 ms apart.
    b.goto("/").await;
    search_and_pick(&b, "banana", "Bananas, raw").await;
    b.js(
        "var f = document.querySelector('#pick-form button[type=submit]'); f.click();
         setTimeout(function () { f.click(); }, 30); return true;",
        vec![],
    )
    .await;
    b.until(
        "the day after logging",
        &format!("return location.pathname === '/day/{today}';"),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let (status, day) = b.api("GET", &format!("/api/v1/diary/{today}"), None).await;
    assert_eq!(status, 200, "{day}");
    let entries: usize = day["meals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["entries"].as_array().unwrap().len())
        .sum();
    assert_eq!(entries, 1, "{day}");
    b.close().await;
}

/// Deleting something without Undo asks first with the browser's own dialog: dismissed, the
/// plan stays; accepted, it is gone and the list is shown.
#[tokio::test]
async fn deleting_a_plan_asks_first() {
    let server = Server::start().await;
    let driver = Driver::start();
    let b = driver.session(&server.base).await;
    register(&b, "Ash Ask", "ash@example.com").await;
    let (status, plan) = b
        .api(
            "POST",
            "/api/v1/meal-plan-templates",
            Some(json!({"name": "Rest week"})),
        )
        .await;
    assert_eq!(status, 201, "{plan}");
    let id = plan["id"].as_str().unwrap().to_string();
    b.goto(&format!("/plans/{id}")).await;
    let delete = format!("form[action='/plans/{id}/delete'] button");
    b.click(&delete).await;
    let asked = b.client.get_alert_text().await.expect("a dialog asks");
    assert!(
        asked.starts_with("Delete the meal plan “Rest week”?"),
        "{asked}"
    );
    b.client.dismiss_alert().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(b.path().await, format!("/plans/{id}"));
    let (status, _) = b
        .api("GET", &format!("/api/v1/meal-plan-templates/{id}"), None)
        .await;
    assert_eq!(status, 200, "dismissed, the plan stays");
    b.click(&delete).await;
    b.client.accept_alert().await.unwrap();
    b.until("the plans list", "return location.pathname === '/plans';")
        .await;
    let (status, _) = b
        .api("GET", &format!("/api/v1/meal-plan-templates/{id}"), None)
        .await;
    assert_eq!(status, 404, "accepted, the plan is gone");
    b.close().await;
}

/// The 95 modules of an EAN-13 code (true = bar) for 12 digits and their check digit.
fn ean13(digits12: &str) -> (String, Vec<bool>) {
    const L: [&str; 10] = [
        "0001101", "0011001", "0010011", "0111101", "0100011", "0110001", "0101111", "0111011",
        "0110111", "0001011",
    ];
    const G: [&str; 10] = [
        "0100111", "0110011", "0011011", "0100001", "0011101", "0111001", "0000101", "0010001",
        "0001001", "0010111",
    ];
    const R: [&str; 10] = [
        "1110010", "1100110", "1101100", "1000010", "1011100", "1001110", "1010000", "1000100",
        "1001000", "1110100",
    ];
    const PARITY: [&str; 10] = [
        "LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG", "LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL",
        "LGGLGL",
    ];
    let d: Vec<usize> = digits12
        .chars()
        .map(|c| c.to_digit(10).unwrap() as usize)
        .collect();
    let sum: usize = d
        .iter()
        .enumerate()
        .map(|(i, x)| if i % 2 == 0 { *x } else { 3 * x })
        .sum();
    let check = (10 - sum % 10) % 10;
    let mut all = d.clone();
    all.push(check);
    let mut bits = String::from("101");
    for (i, x) in all[1..7].iter().enumerate() {
        let table = if PARITY[all[0]].as_bytes()[i] == b'L' {
            L
        } else {
            G
        };
        bits.push_str(table[*x]);
    }
    bits.push_str("01010");
    for x in &all[7..13] {
        bits.push_str(R[*x]);
    }
    bits.push_str("101");
    let code = all.iter().map(|x| x.to_string()).collect();
    (code, bits.chars().map(|c| c == '1').collect())
}

/// A Y4M video (Chromium's fake camera input) showing `modules` as a barcode.
fn barcode_video(modules: &[bool], path: &std::path::Path) {
    let (w, h, module) = (640usize, 480usize, 4usize);
    let left = (w - modules.len() * module) / 2;
    let mut luma = vec![255u8; w * h];
    for y in 100..380 {
        for (i, bar) in modules.iter().enumerate() {
            if *bar {
                let x = left + i * module;
                luma[y * w + x..y * w + x + module].fill(0);
            }
        }
    }
    let mut video = format!("YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n").into_bytes();
    for _ in 0..3 {
        video.extend_from_slice(b"FRAME\n");
        video.extend_from_slice(&luma);
        video.extend(std::iter::repeat_n(128u8, w * h / 2));
    }
    std::fs::write(path, video).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn camera_scan_reads_a_barcode_and_looks_it_up() {
    let server = Server::start().await;
    let driver = Driver::start();
    let (code, modules) = ean13("400638133393");
    assert_eq!(code, "4006381333931");
    let video = std::env::temp_dir().join(format!("sparky-barcode-{}.y4m", std::process::id()));
    barcode_video(&modules, &video);
    let _remove_video = RemoveOnDrop(video.clone());
    let b = driver
        .session_with(
            &server.base,
            &[
                "--use-fake-ui-for-media-stream".into(),
                "--use-fake-device-for-media-stream".into(),
                format!("--use-file-for-fake-video-capture={}", video.display()),
            ],
        )
        .await;
    register(&b, "Cam Era", "cam@example.com").await;
    let (status, food) = b
        .api(
            "POST",
            "/api/v1/foods",
            Some(json!({"name": "Scanned muesli", "barcode": code,
                        "servings": [{"size": 45, "unit": "g", "nutrients": {"calories": 170}}]})),
        )
        .await;
    assert_eq!(status, 201, "{food}");
    // Today loads no scanner code; the barcode tab offers the camera.
    let scripts = b
        .js(
            "return performance.getEntriesByType('resource').map(function (e) { return e.name; }).join(' ');",
            vec![],
        )
        .await;
    assert!(!scripts.as_str().unwrap().contains("zxing"), "{scripts}");
    b.click("#day .meal a.button.primary").await;
    b.find("dialog#sheet[open] #food-q").await;
    b.click("#sheet-body nav a[href*='tab=barcode']").await;
    b.click("dialog#sheet[open] button[data-scan]").await;
    // The code read goes to the lookup, whose answer (the food's serving picker) shows in
    // the sheet.
    b.until_text("dialog#sheet[open] #barcode-result", "Scanned muesli")
        .await;
    assert_eq!(
        b.js("return document.getElementById('bc').value;", vec![])
            .await,
        json!(code)
    );
    b.find("#barcode-result #pick-form").await;
    let native = b.js("return 'BarcodeDetector' in window;", vec![]).await;
    if native == Value::Bool(false) {
        eprintln!("no BarcodeDetector in this Chromium: the ZXing fallback read the code");
    }
    b.close().await;
}

/// Deletes a temporary file however the test ends.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A month of food, weight and water for the signed-in user, and calorie and macro targets.
async fn seed(b: &Browser, today: NaiveDate) {
    let post = |path: &'static str, body: Value| async move {
        let (status, r) = b.api("POST", path, Some(body)).await;
        assert_eq!(status, 201, "POST {path}: {r}");
        r
    };
    for (kind, value) in [
        ("calorie_target", 2100),
        ("protein_target", 120),
        ("carbs_target", 230),
        ("fat_target", 70),
        ("water_target", 2500),
    ] {
        let mut goal = json!({"type": kind, "target_value": value});
        if kind == "calorie_target" {
            // Weekend days with their own target: the goals screen shows them open.
            goal["by_weekday"] = json!({"saturday": 2600, "sunday": 2600});
        }
        let (status, r) = b.api("POST", "/api/v1/goals", Some(goal)).await;
        assert_eq!(status, 201, "goal {kind}: {r}");
    }
    let mut foods = Vec::new();
    for q in [
        "oats",
        "banana",
        "whole milk",
        "egg",
        "bread",
        "chicken breast",
        "rice",
        "apple",
    ] {
        let (status, r) = b
            .api(
                "GET",
                &format!("/api/v1/foods?q={}", q.replace(' ', "+")),
                None,
            )
            .await;
        assert_eq!(status, 200, "{r}");
        foods.push(r["items"][0]["id"].as_str().unwrap().to_string());
    }
    let meals = [
        "breakfast",
        "breakfast",
        "breakfast",
        "lunch",
        "lunch",
        "dinner",
        "dinner",
        "snack",
    ];
    for days_ago in 0..30u64 {
        let date = today - chrono::Days::new(days_ago);
        for (i, food) in foods.iter().enumerate() {
            if (i as u64 + days_ago).is_multiple_of(3) && days_ago > 0 {
                continue;
            }
            post(
                "/api/v1/diary",
                json!({"food_item_id": food, "quantity": 1 + (i as u64 + days_ago) % 2,
                       "meal_type": meals[i], "date": date}),
            )
            .await;
        }
        if days_ago % 2 == 0 {
            post(
                "/api/v1/measurements",
                json!({"type": "weight", "value": 74.0 - days_ago as f64 * 0.05, "unit": "kg", "date": date}),
            )
            .await;
        }
        post(
            "/api/v1/measurements",
            json!({"type": "water", "value": 1500, "unit": "ml", "date": date}),
        )
        .await;
    }
    // A strength workout today with a note, and a run yesterday (the exercise history).
    let mut exercises = Vec::new();
    for q in ["bench+press", "running"] {
        let (status, r) = b
            .api("GET", &format!("/api/v1/exercises?q={q}"), None)
            .await;
        assert_eq!(status, 200, "{r}");
        exercises.push(r["items"][0]["id"].as_str().unwrap().to_string());
    }
    post(
        "/api/v1/workouts",
        json!({"exercise_id": exercises[0], "date": today,
               "duration_minutes": 45, "notes": "Paused reps.\nset 3: RPE 9",
               "sets": [{"reps": 10, "weight": 60}, {"reps": 8, "weight": 65}, {"reps": 6, "weight": 70}]}),
    )
    .await;
    post(
        "/api/v1/workouts",
        json!({"exercise_id": exercises[1], "date": today - chrono::Days::new(1),
               "duration_minutes": 30, "distance": 5}),
    )
    .await;
    // A food of the user's own, with a second serving (My foods).
    post(
        "/api/v1/foods",
        json!({"name": "Grandma's granola", "brand": "Home", "servings": [
            {"size": 100, "unit": "g", "nutrients": {"calories": 471, "protein": 11, "carbohydrates": 64, "fat": 19, "fiber": 7}},
            {"size": 1, "unit": "cup", "weight_g": 122, "nutrients": {"calories": 575, "protein": 13.4, "carbohydrates": 78, "fat": 23.2, "fiber": 8.5}}
        ]}),
    )
    .await;
    // A meal plan with oats at breakfast on weekdays (the plan screens).
    let plan = post(
        "/api/v1/meal-plan-templates",
        json!({"name": "Training week"}),
    )
    .await;
    let plan_id = plan["id"].as_str().unwrap().to_string();
    let items = format!("/api/v1/meal-plan-templates/{plan_id}/items");
    for day in 0..5 {
        let (status, r) = b
            .api(
                "POST",
                &items,
                Some(
                    json!({"food_item_id": foods[0], "quantity": 1, "meal_type": "breakfast",
                            "day_of_week": day}),
                ),
            )
            .await;
        assert_eq!(status, 201, "{r}");
    }
    // A recipe of three of the foods, weighed after cooking.
    post(
        "/api/v1/recipes",
        json!({"name": "Overnight oats", "servings": 2, "cooked_weight_g": 520, "ingredients": [
            {"food_item_id": foods[0], "quantity": 100, "unit": "g"},
            {"food_item_id": foods[2], "quantity": 300, "unit": "g"},
            {"food_item_id": foods[1], "quantity": 1}
        ]}),
    )
    .await;
}

fn screenshot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/screenshots")
        .components()
        .collect()
}

async fn run_steps(b: &Browser, steps: &[Step]) {
    for step in steps {
        match *step {
            Step::Click(css) => b.click(css).await,
            Step::Fill(css, text) => b.fill(css, text).await,
            Step::Wait(css) => drop(b.find(css).await),
            Step::WaitText(css, text) => b.until_text(css, text).await,
            Step::Submit(css) => {
                b.js(
                    "document.querySelector(arguments[0]).submit(); return true;",
                    vec![json!(css)],
                )
                .await;
            }
            Step::Goto(path) => b.goto(path).await,
            Step::OpenValue(css) => {
                drop(b.find(css).await);
                let path = b
                    .js(
                        "var u = new URL(document.querySelector(arguments[0]).value); \
                         return u.pathname + u.search;",
                        vec![json!(css)],
                    )
                    .await;
                b.goto(path.as_str().expect("an address")).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_screen_phone_and_desktop_light_and_dark_with_no_serious_axe_violation() {
    let server = Server::start().await;
    let driver = Driver::start();
    let user = driver.session(&server.base).await;
    register(&user, "Sam Sample", "sam@example.com").await;
    let today = shown_date(&user).await;
    seed(&user, today).await;
    let guest = driver.session(&server.base).await;
    let newcomer = driver.session(&server.base).await;
    register_only(&newcomer, "Nia Newcomer", "nia@example.com").await;
    // Nia shares her reports and diary with Sam: his Family settings list them, to leave,
    // and his plans may go into her diary.
    for access in ["reports", "calorie"] {
        let (status, r) = newcomer
            .api(
                "POST",
                "/api/v1/family-access",
                Some(json!({"grantee_email": "sam@example.com", "access_type": access})),
            )
            .await;
        assert_eq!(status, 201, "{r}");
    }
    let dir = screenshot_dir();
    // This run's pictures replace the last run's (other tests keep theirs in subdirectories).
    if let Ok(files) = std::fs::read_dir(&dir) {
        for f in files.flatten().filter(|f| f.path().is_file()) {
            let _ = std::fs::remove_file(f.path());
        }
    }
    let yesterday = (today - chrono::Days::new(1)).to_string();
    let mut report = String::new();
    let mut serious = Vec::new();
    for screen in SCREENS {
        let b = match screen.who {
            Who::Guest => &guest,
            Who::User => &user,
            Who::Newcomer => &newcomer,
        };
        let path = screen.path.replace("{yesterday}", &yesterday);
        for viewport in [PHONE, DESKTOP] {
            b.viewport(viewport).await;
            for dark in [false, true] {
                b.color_scheme(dark).await;
                b.goto(&path).await;
                run_steps(b, screen.steps).await;
                let name = format!(
                    "{}-{}-{}",
                    screen.name,
                    viewport.name,
                    if dark { "dark" } else { "light" }
                );
                // No horizontal scrolling on any screen.
                let overflow = b
                    .js(
                        "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                        vec![],
                    )
                    .await;
                assert!(
                    overflow.as_i64().unwrap_or(0) <= 0,
                    "{name} scrolls sideways by {overflow} px"
                );
                b.screenshot(viewport, &dir, &name).await;
                for v in b.axe().await {
                    let impact = v["impact"].as_str().unwrap_or("").to_string();
                    let nodes: Vec<String> = v["nodes"]
                        .as_array()
                        .map(|n| n.iter().map(|n| n["target"].to_string()).collect())
                        .unwrap_or_default();
                    let line = format!(
                        "{name}: {impact} {}: {} ({})",
                        v["id"].as_str().unwrap_or(""),
                        v["help"].as_str().unwrap_or(""),
                        nodes.join(", ")
                    );
                    report.push_str(&line);
                    report.push('\n');
                    if impact == "serious" || impact == "critical" {
                        serious.push(line);
                    }
                }
            }
        }
    }
    std::fs::write(dir.join("axe.txt"), &report).unwrap();
    assert!(
        serious.is_empty(),
        "axe-core found serious or critical violations:\n{}",
        serious.join("\n")
    );
    guest.close().await;
    newcomer.close().await;
    user.close().await;
}
