//! The day page's date picker (`/day?date=` goes to that day; anything else goes to today),
//! its error pages, and copying a meal from the add sheet, also from a family member.

mod common;
mod pages_kit;

use common::TestApp;
use pages_kit::{get, grant, post, token};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_date_picker_goes_to_the_chosen_day() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;

    // The picker is on the page, holding the day shown.
    let page = get(&app, "/day/2026-11-20", &ann, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains(r#"id="day-pick" type="date" name="date" value="2026-11-20""#),
        "{}",
        page.body
    );

    let r = get(&app, "/day?date=2026-03-01", &ann, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location, "/day/2026-03-01");
    // No date: Today.
    for none in ["", "?date="] {
        let r = get(&app, &format!("/day{none}"), &ann, None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{none}");
        assert_eq!(r.location, "/", "{none}");
    }
    // Not a day: said, naming the field (it went to Today without a word).
    for bad in ["?date=2026-02-30", "?date=9999-01-01", "?date=%0d%0aX:1"] {
        let r = get(&app, &format!("/day{bad}"), &ann, None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(r.body.contains("date: "), "{bad}: {}", r.body);
    }
}

/// An address a page cannot read is the app's HTML error page (with its way home), never a
/// framework's plain-text rejection: an unreadable query parameter a 422 naming it, a malformed
/// id in the path a 404.
#[tokio::test]
async fn unreadable_addresses_are_html_error_pages() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    for (path, status) in [
        (
            "/checkin?date=99999-01-01",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/exercise?date=yesterday-ish",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("/day/2200-01-01", StatusCode::UNPROCESSABLE_ENTITY),
        ("/day/1899-12-31", StatusCode::UNPROCESSABLE_ENTITY),
        ("/day/2026-13-01", StatusCode::UNPROCESSABLE_ENTITY),
        // The date picker's address too (it went to Today without a word).
        ("/day?date=abc", StatusCode::UNPROCESSABLE_ENTITY),
        ("/day?date=2300-01-01", StatusCode::UNPROCESSABLE_ENTITY),
        ("/plans/not-a-uuid", StatusCode::NOT_FOUND),
        ("/foods/not-a-uuid", StatusCode::NOT_FOUND),
        // A well-formed day outside the kept range, on every page that takes one.
        ("/add?date=9999-01-01", StatusCode::UNPROCESSABLE_ENTITY),
        (
            "/exercise?date=1800-01-01",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("/checkin?date=2300-01-01", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let page = get(&app, path, &ann, None).await;
        assert_eq!(page.status, status, "{path}: {}", page.body);
        assert!(
            page.body.starts_with("<!doctype html>"),
            "{path}: {}",
            page.body
        );
        assert!(
            page.body.contains("class=\"error-page\""),
            "{path}: {}",
            page.body
        );
        assert!(page.body.contains(status.as_str()), "{path}: {}", page.body);
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            assert!(page.body.contains("date: "), "{path}: {}", page.body);
            assert!(
                page.body.contains(r#"role="alert""#),
                "{path}: {}",
                page.body
            );
        }
    }
}

/// What a browser's typed inputs would never send (text in a number or date field, a day
/// outside the kept range) is a 422 page naming the field, and nothing is written.
#[tokio::test]
async fn unreadable_form_fields_are_named_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let csrf = token(&app, &ann, "/day/2026-11-20").await;
    for (path, fields, field) in [
        (
            "/water",
            vec![("date", "2026-11-20"), ("ml", "lots")],
            "water",
        ),
        ("/water", vec![("date", "yesterday"), ("ml", "250")], "date"),
        (
            "/water",
            vec![("date", "1066-10-14"), ("ml", "250")],
            "date",
        ),
        (
            "/weight",
            vec![("date", "2026-11-20"), ("value", "7O")],
            "weight",
        ),
        (
            "/weight",
            vec![("date", "2026-02-30"), ("value", "70")],
            "date",
        ),
    ] {
        let r = post(&app, path, &ann, None, Some(&csrf), &fields).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} {fields:?}: {}",
            r.body
        );
        assert!(
            r.body.contains(&format!("{field}: ")),
            "{path} {fields:?}: {}",
            r.body
        );
        assert!(r.body.contains(r#"role="alert""#), "{}", r.body);
    }
    let kept = app.get("/api/v1/measurements?limit=100", &ann).await;
    assert_eq!(kept.body["items"], json!([]), "{}", kept.body);
    // The same forms with readable values are kept.
    let r = post(
        &app,
        "/water",
        &ann,
        None,
        Some(&csrf),
        &[("date", "2026-11-20"), ("ml", "250,5")],
    )
    .await;
    r.assert_accepted();
    let kept = app.get("/api/v1/measurements?limit=100", &ann).await;
    assert_eq!(
        kept.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        kept.body
    );
}

/// The add sheet's Copy tab lists the people who share their diary; copying their dinner
/// onto the same day fills your own diary, and a made-up person is a 404 that writes nothing.
#[tokio::test]
async fn copy_a_meal_from_a_family_members_diary() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    lasagne_for_dinner(&app, &ann).await;
    let sheet = get(
        &app,
        "/add?date=2026-07-05&meal=dinner&tab=copy",
        &bob,
        None,
    )
    .await;
    assert!(
        !sheet.body.contains("name=\"from_user\""),
        "nobody shares yet"
    );
    grant(&app, &ann, "bob@example.com", "calorie").await;
    let sheet = get(
        &app,
        "/add?date=2026-07-05&meal=dinner&tab=copy",
        &bob,
        None,
    )
    .await;
    assert!(
        sheet
            .body
            .contains(&format!("<option value=\"{ann_id}\">Test Person</option>")),
        "{}",
        sheet.body
    );
    let csrf = token(&app, &bob, "/").await;
    let made_up = copy_dinner(&app, &bob, &csrf, "00000000-0000-0000-0000-000000000001").await;
    assert_eq!(made_up.status, StatusCode::NOT_FOUND, "{}", made_up.body);
    let copied = copy_dinner(&app, &bob, &csrf, &ann_id).await;
    assert_eq!(copied.status, StatusCode::SEE_OTHER, "{}", copied.body);
    assert!(
        copied.location.starts_with("/day/2026-07-05?copied=1&"),
        "{}",
        copied.location
    );
    let day = app.get("/api/v1/diary/2026-07-05", &bob).await;
    assert_eq!(day.body["totals"]["calories"], 640.0, "{:?}", day.body);
}

/// Quick-adds a 640 kcal lasagne to `who`'s dinner on 5 July 2026.
async fn lasagne_for_dinner(app: &TestApp, who: &common::As) {
    let r = app
        .post(
            "/api/v1/diary/quick-add",
            who,
            json!({"name": "Lasagne", "meal_type": "dinner", "date": "2026-07-05", "nutrients": {"calories": 640}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

/// The add sheet's Copy form: the dinner of `from`'s 5 July onto the same day.
async fn copy_dinner(app: &TestApp, who: &common::As, csrf: &str, from: &str) -> pages_kit::Html {
    let fields = [
        ("to_date", "2026-07-05"),
        ("from_date", "2026-07-05"),
        ("meal", "dinner"),
        ("from_user", from),
    ];
    post(app, "/add/copy", who, None, Some(csrf), &fields).await
}

/// With a calorie target the day shows its week's budget (the seven days' own targets), left
/// or over; without one, nothing.
#[tokio::test]
async fn the_day_shows_its_weeks_calorie_budget() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let page = get(&app, "/day/2026-07-01", &ann, None).await;
    assert!(
        !page.body.contains("Week to Sunday"),
        "no target, no budget"
    );

    let r = app
        .post(
            "/api/v1/goals",
            &ann,
            json!({"type": "calorie_target", "target_value": 2000,
                   "by_weekday": {"saturday": 2500, "sunday": 2500}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    // Wednesday with nothing logged on Monday and Tuesday: the budget is this day and the
    // days after (3 × 2,000 + 2 × 2,500), not the whole week's 15,000.
    let page = get(&app, "/day/2026-07-01", &ann, None).await;
    assert!(
        page.body
            .contains("Week to Sunday: 11,000 kcal left of 11,000."),
        "{}",
        page.body
    );
    let r = app
        .post(
            "/api/v1/diary/quick-add",
            &ann,
            json!({"date": "2026-06-30", "meal_type": "dinner", "name": "Feast", "nutrients": {"calories": 16000}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let page = get(&app, "/day/2026-07-01", &ann, None).await;
    assert!(
        page.body
            .contains("Week to Sunday: 3,000 kcal over the budget of 13,000."),
        "{}",
        page.body
    );
}

/// Amounts are typed as people write them: "1 1/2" cups logs one and a half, "½" changes an
/// entry to a half, "1,5" is one and a half; what is not a number is refused naming the field
/// and changes nothing.
#[tokio::test]
async fn amounts_can_be_typed_as_fractions() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (food, serving) = new_food(
        &app,
        &ann,
        json!({"name": "Rolled oats", "servings": [
            {"size": 1, "unit": "cup", "weight_g": 81, "nutrients": {"calories": 307}}
        ]}),
    )
    .await;
    let csrf = token(&app, &ann, "/day/2026-11-20").await;
    let log = |quantity: &'static str| {
        let (food, serving) = (food.clone(), serving.clone());
        vec![
            ("date", "2026-11-20".to_string()),
            ("meal", "breakfast".to_string()),
            ("food_item_id", food),
            ("serving_id", serving),
            ("quantity", quantity.to_string()),
        ]
    };

    let form = log("1 1/2");
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = post(&app, "/add/log", &ann, None, Some(&csrf), &fields).await;
    r.assert_accepted();
    let day = app.get("/api/v1/diary/2026-11-20", &ann).await;
    let entries = day.body["meals"][0]["entries"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 1, "{}", day.body);
    assert_eq!(entries[0]["quantity"], json!(1.5), "{}", day.body);
    assert_eq!(
        entries[0]["nutrients"]["calories"],
        json!(460.5),
        "{}",
        day.body
    );

    // Changed on the day page to a half.
    let id = entries[0]["id"].as_str().unwrap();
    let r = post(
        &app,
        &format!("/diary/{id}"),
        &ann,
        None,
        Some(&csrf),
        &[("quantity", "½")],
    )
    .await;
    r.assert_accepted();
    let day = app.get("/api/v1/diary/2026-11-20", &ann).await;
    assert_eq!(
        day.body["meals"][0]["entries"][0]["quantity"],
        json!(0.5),
        "{}",
        day.body
    );
    // The edit form offers the meals, the entry's own chosen; moved to dinner.
    let page = get(&app, "/day/2026-11-20", &ann, None).await;
    assert!(
        page.body.contains(&format!(
            "<select id=\"m-{id}\" name=\"meal\"><option value=\"breakfast\" selected>"
        )),
        "{}",
        page.body
    );
    let r = post(
        &app,
        &format!("/diary/{id}"),
        &ann,
        None,
        Some(&csrf),
        &[("quantity", "½"), ("meal", "dinner")],
    )
    .await;
    r.assert_accepted();
    let day = app.get("/api/v1/diary/2026-11-20", &ann).await;
    let meal_of = |body: &serde_json::Value| -> Vec<String> {
        body["meals"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| !m["entries"].as_array().unwrap().is_empty())
            .map(|m| m["meal_type"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(meal_of(&day.body), ["dinner"], "{}", day.body);
    // A meal that is none: the 422 naming it, nothing moved.
    let r = post(
        &app,
        &format!("/diary/{id}"),
        &ann,
        None,
        Some(&csrf),
        &[("quantity", "½"), ("meal", "elevenses")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let day = app.get("/api/v1/diary/2026-11-20", &ann).await;
    assert_eq!(meal_of(&day.body), ["dinner"], "{}", day.body);
    let r = post(
        &app,
        &format!("/diary/{id}"),
        &ann,
        None,
        Some(&csrf),
        &[("quantity", "½"), ("meal", "breakfast")],
    )
    .await;
    r.assert_accepted();

    // Not a number: refused, named, nothing added or changed.
    for bad in ["lots", "1/0", "1 1/2 cups"] {
        let form = log(bad);
        let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = post(&app, "/add/log", &ann, None, Some(&csrf), &fields).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.body
        );
        // The picker again, with the amount as typed and why.
        assert!(r.body.contains("must be a number"), "{bad}: {}", r.body);
        assert!(r.body.contains("Rolled oats"), "{bad}: {}", r.body);
        // The edit form reads a unit after the number ("1 1/2 cups" is one): a unit the
        // serving cannot be measured in is refused instead.
        let bad = if bad.ends_with("cups") {
            "2 parsecs"
        } else {
            bad
        };
        let r = post(
            &app,
            &format!("/diary/{id}"),
            &ann,
            None,
            Some(&csrf),
            &[("quantity", bad)],
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.body
        );
    }
    let day = app.get("/api/v1/diary/2026-11-20", &ann).await;
    assert_eq!(
        day.body["meals"][0]["entries"].as_array().unwrap().len(),
        1,
        "{}",
        day.body
    );
    assert_eq!(
        day.body["meals"][0]["entries"][0]["quantity"],
        json!(0.5),
        "{}",
        day.body
    );
}

/// The add sheet's Log form carries a once-token: the same form sent again (its answer was
/// lost, the page was resubmitted) logs nothing more, even without JavaScript; a new form logs
/// again.
#[tokio::test]
async fn a_log_form_sent_twice_logs_once() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (food, _) = new_food(
        &app,
        &ann,
        json!({"name": "Apple", "servings": [{"size": 1, "unit": "medium", "nutrients": {"calories": 95}}]}),
    )
    .await;
    // The sheet renders its form with a token.
    let sheet = get(
        &app,
        &format!("/add/food/{food}?date=2026-11-20&meal=lunch"),
        &ann,
        None,
    )
    .await;
    let once = sheet.once_of("/add/log");
    let csrf = sheet.csrf();
    let other = uuid::Uuid::new_v4().to_string();
    for token in [once.as_str(), once.as_str(), other.as_str()] {
        let fields = [
            ("date", "2026-11-20"),
            ("meal", "lunch"),
            ("food_item_id", food.as_str()),
            ("quantity", "1"),
            ("_once", token),
        ];
        post(&app, "/add/log", &ann, None, Some(&csrf), &fields)
            .await
            .assert_accepted();
    }
    let day = app.get("/api/v1/diary/2026-11-20", &ann).await;
    assert_eq!(
        day.body["meals"][1]["entries"].as_array().unwrap().len(),
        2,
        "{}",
        day.body
    );

    // The sheet's quick add and a recent food's one-tap form carry theirs too.
    let search = get(&app, "/add?date=2026-11-20&meal=dinner", &ann, None).await;
    let quick_tab = get(
        &app,
        "/add?date=2026-11-20&meal=dinner&tab=quick",
        &ann,
        None,
    )
    .await;
    let both = format!("{}{}", search.body, quick_tab.body);
    let tokens: Vec<String> = both
        .split("name=\"_once\" value=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .collect();
    let quick = tokens
        .iter()
        .find(|t| t.ends_with("-quick"))
        .expect("quick add's token");
    let recent = tokens
        .iter()
        .find(|t| t.ends_with(&format!("-{food}")))
        .expect("the recent apple's token");
    for _ in 0..2 {
        let fields = [
            ("date", "2026-11-20"),
            ("meal", "dinner"),
            ("name", "Soup"),
            ("calories", "200"),
            ("_once", quick.as_str()),
        ];
        post(&app, "/add/quick", &ann, None, Some(&csrf), &fields)
            .await
            .assert_accepted();
        let fields = [
            ("date", "2026-11-20"),
            ("meal", "dinner"),
            ("food_item_id", food.as_str()),
            ("quantity", "1"),
            ("_once", recent.as_str()),
        ];
        post(&app, "/add/log", &ann, None, Some(&csrf), &fields)
            .await
            .assert_accepted();
    }
    let day = app.get("/api/v1/diary/2026-11-20", &ann).await;
    assert_eq!(
        day.body["meals"][2]["entries"].as_array().unwrap().len(),
        2,
        "a soup and an apple: {}",
        day.body
    );
}

/// A food of `who`'s own: its id and its first serving's.
async fn new_food(app: &TestApp, who: &common::As, food: serde_json::Value) -> (String, String) {
    let r = app.post("/api/v1/foods", who, food).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    (
        r.body["id"].as_str().unwrap().to_string(),
        r.body["servings"][0]["id"].as_str().unwrap().to_string(),
    )
}

/// When some of the day's foods do not give a nutrient, Today says which, in words.
#[tokio::test]
async fn today_names_the_nutrients_some_foods_do_not_give() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let full = json!({"name": "Granola", "servings": [{"size": 1, "unit": "cup",
        "nutrients": {"calories": 400, "fiber": 6, "sugar": 12}}]});
    let bare = json!({"name": "Toast", "servings": [{"size": 1, "unit": "slice",
        "nutrients": {"calories": 80}}]});
    for food in [full, bare] {
        let (id, _) = new_food(&app, &ann, food).await;
        let r = app
            .post(
                "/api/v1/diary",
                &ann,
                json!({"food_item_id": id, "quantity": 1, "meal_type": "breakfast", "date": "2026-11-20"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let page = get(&app, "/day/2026-11-20", &ann, None).await;
    assert!(
        page.body
            .contains("Some foods do not say how much fiber and sugar they have"),
        "{}",
        page.body
    );
}

/// Undo puts back what was deleted; the entry it sends back comes from the browser, so an
/// edited one is checked like a logged one (day, amount, nutrients, the day's limit) and
/// refused, naming the field, rather than trusted.
#[tokio::test]
async fn undo_puts_an_entry_back_once_and_refuses_an_edited_one() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let r = app
        .post(
            "/api/v1/diary/quick-add",
            &ann,
            json!({"date": "2026-11-20", "meal_type": "lunch", "name": "Soup", "nutrients": {"calories": 300}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    let csrf = token(&app, &ann, "/day/2026-11-20").await;
    // Deleted from Today (htmx): the answer carries the undo form with the deleted row.
    let common::As::Cookie(session) = &ann else {
        panic!("a session")
    };
    let fragment = app
        .client
        .post(format!("{}/diary/{id}/delete", app.base))
        .header("cookie", format!("sparky_session={session}"))
        .header("origin", app.origin())
        .header("hx-request", "true")
        .header("x-csrf-token", &csrf)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let marker = "name=\"entry\" value=\"";
    let at = fragment.find(marker).expect("an undo form") + marker.len();
    let snapshot = fragment[at..].split('"').next().unwrap();
    let snapshot: serde_json::Value = serde_json::from_str(
        &snapshot
            .replace("&#34;", "\"")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
    .expect("the deleted row as JSON");
    assert_eq!(
        app.get("/api/v1/diary/2026-11-20", &ann).await.body["totals"],
        json!({})
    );
    let undo = |entry: serde_json::Value| {
        let csrf = csrf.clone();
        let app = &app;
        let ann = &ann;
        async move {
            post(
                app,
                "/diary/restore",
                ann,
                None,
                Some(&csrf),
                &[("entry", &entry.to_string())],
            )
            .await
        }
    };
    let base = |date: &str, quantity: serde_json::Value, calories: serde_json::Value| {
        json!({
            "id": uuid::Uuid::new_v4(), "user_id": null, "food_name": "Forged", "meal_type": "lunch",
            "entry_date": date, "consumed_at": "2026-11-20T12:00:00Z", "quantity": quantity,
            "unit": "serving", "calories": calories,
            "created_at": "2026-11-20T12:00:00Z", "updated_at": "2026-11-20T12:00:00Z"
        })
    };
    // The real one goes back once; sent again it is already there.
    undo(snapshot.clone()).await.assert_accepted();
    let day = app.get("/api/v1/diary/2026-11-20", &ann).await;
    assert_eq!(
        day.body["totals"]["calories"].as_f64(),
        Some(300.0),
        "{}",
        day.body
    );
    let again = undo(snapshot.clone()).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);

    let me = app.get("/api/v1/me", &ann).await.body["id"].clone();
    for (entry, field) in [
        (base("9999-12-31", json!(1), json!(100)), "entry"),
        (base("2026-11-20", json!(5e12), json!(100)), "entry"),
        (base("2026-11-20", json!(1), json!(-5)), "entry"),
        (base("2026-11-20", json!(1), json!(1e9)), "entry"),
        {
            let mut e = base("2026-11-20", json!(1), json!(100));
            e["per_serving"] = json!({"calories": 1e9});
            (e, "per serving")
        },
        {
            let mut e = base("2026-11-20", json!(1), json!(100));
            e["servings"] = json!(0);
            (e, "servings")
        },
        {
            let mut e = base("2026-11-20", json!(1), json!(100));
            e["consumed_at"] = json!("9999-12-31T00:00:00Z");
            (e, "consumed_at")
        },
        {
            let mut e = base("2026-11-20", json!(1), json!(100));
            e["created_at"] = json!("yesterday");
            (e, "created_at")
        },
        {
            let mut e = base("2026-11-20", json!(1), json!(100));
            e["brand"] = json!("\u{7}\u{1b}[31m");
            (e, "brand")
        },
        {
            let mut e = base("2026-11-20", json!(1), json!(100));
            e["serving_unit"] = json!("u".repeat(5000));
            (e, "serving_unit")
        },
        {
            let mut e = base("2026-11-20", json!(1), json!(100));
            e["food_item_id"] = json!(uuid::Uuid::new_v4());
            (e, "cannot be restored")
        },
        {
            let mut e = base("2026-11-20", json!(1), json!(100));
            e["nutrition_data_id"] = json!(uuid::Uuid::new_v4());
            (e, "cannot be restored")
        },
    ] {
        let mut entry = entry;
        entry["user_id"] = me.clone();
        let r = undo(entry.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{entry}: {}",
            r.body
        );
        assert!(r.body.contains(field), "{}", r.body);
    }
    let day = app.get("/api/v1/diary/2026-11-20", &ann).await;
    assert_eq!(
        day.body["totals"]["calories"].as_f64(),
        Some(300.0),
        "nothing forged went in: {}",
        day.body
    );

    // A full day takes nothing more back.
    for _ in 0..300 {
        let r = app
            .post(
                "/api/v1/diary/quick-add",
                &ann,
                json!({"date": "2026-11-21", "meal_type": "snack", "name": "Nut", "nutrients": {"calories": 5}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let mut entry = base("2026-11-21", json!(1), json!(100));
    entry["user_id"] = me.clone();
    let r = undo(entry).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("already holds 300 entries"), "{}", r.body);
}

/// Viewing a family member's day: their food, summary and workout (with its sets, in their
/// units) are on it, read together; without a grant the same cookie shows your own day.
#[tokio::test]
async fn a_shared_day_shows_the_owners_food_summary_and_workouts() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let (_, cy) = app.user("cy@example.com").await;
    lasagne_for_dinner(&app, &ann).await;
    let sled = app.sled_push_workout(&ann, "2026-07-05").await;
    // A workout on another day is not on this one.
    let r = app
        .post(
            "/api/v1/workouts",
            &ann,
            json!({"exercise_id": sled, "date": "2026-07-04", "notes": "yesterday's push", "sets": [{"reps": 1, "weight": 99}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    grant(&app, &ann, "bob@example.com", "calorie").await;

    let own = get(&app, "/day/2026-07-05", &ann, None).await;
    let shared = get(&app, "/day/2026-07-05", &bob, Some(&ann_id)).await;
    assert_eq!(shared.status, StatusCode::OK);
    for page in [&own, &shared] {
        assert!(page.body.contains("Lasagne"), "{}", page.body);
        assert!(page.body.contains("640"), "{}", page.body);
        assert!(page.body.contains("Sled push"), "{}", page.body);
        assert!(page.body.contains("2 sets"), "{}", page.body);
        assert_eq!(page.body.matches("Sled push").count(), 1, "{}", page.body);
    }
    // One set is "1 set".
    let yesterday = get(&app, "/day/2026-07-04", &ann, None).await;
    assert!(
        yesterday.body.contains("<span>1 set</span>"),
        "{}",
        yesterday.body
    );
    assert!(!yesterday.body.contains("1 sets"), "{}", yesterday.body);
    // A diary share does not open water and weight: the card says so instead of "0 ml".
    assert!(!own.body.contains("Not shared with you"), "{}", own.body);
    assert_eq!(
        shared.body.matches("Not shared with you").count(),
        2,
        "{}",
        shared.body
    );
    assert!(!shared.body.contains(">0 ml<"), "{}", shared.body);
    // Cy has no grant: the cookie naming Ann is ignored and Cy sees an empty day of their own.
    let unshared = get(&app, "/day/2026-07-05", &cy, Some(&ann_id)).await;
    assert_eq!(unshared.status, StatusCode::OK);
    assert!(!unshared.body.contains("Lasagne"));
    assert!(!unshared.body.contains("Sled push"));
}

/// "Viewing as" follows the grants: only someone who shares can be chosen; once they stop
/// sharing, the next page shows the user's own day and drops the cookie, so its forms write the
/// user's own diary (they used to answer 403 for the revoked person's); signing out or in
/// starts with one's own data.
#[tokio::test]
async fn a_revoked_share_leaves_the_viewer_writing_their_own_day() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let (cy_id, _) = app.user("cy@example.com").await;
    lasagne_for_dinner(&app, &ann).await;
    grant(&app, &ann, "bob@example.com", "calorie").await;
    let csrf = token(&app, &bob, "/").await;

    let view = |id: String| {
        let csrf = csrf.clone();
        let app = &app;
        let bob = &bob;
        async move { post(app, "/viewing", bob, None, Some(&csrf), &[("user_id", &id)]).await }
    };
    assert_eq!(
        view(ann_id.clone()).await.viewing_set(),
        Some(ann_id.clone())
    );
    for nobody_sharing in [cy_id.clone(), "not-an-id".into(), String::new()] {
        let r = view(nobody_sharing.clone()).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{nobody_sharing}");
        assert!(r.forgets_viewing(), "{nobody_sharing}: {:?}", r.set_cookies);
    }

    let shared = get(&app, "/day/2026-07-05", &bob, Some(&ann_id)).await;
    assert!(shared.body.contains("Lasagne"));
    assert!(!shared.forgets_viewing());

    let grants = app.get("/api/v1/family-access", &ann).await;
    let grant_id = grants.body["given"][0]["id"].as_str().unwrap().to_string();
    let r = app
        .delete(&format!("/api/v1/family-access/{grant_id}"), &ann)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);

    let after = get(&app, "/day/2026-07-05", &bob, Some(&ann_id)).await;
    assert_eq!(after.status, StatusCode::OK);
    assert!(!after.body.contains("Lasagne"), "own day shown");
    assert!(after.forgets_viewing(), "{:?}", after.set_cookies);
    // The page's quick add (sent without the dropped cookie) logs Bob's own dinner.
    let fields = [
        ("date", "2026-07-05"),
        ("meal", "dinner"),
        ("name", "Soup"),
        ("calories", "200"),
    ];
    post(&app, "/add/quick", &bob, None, Some(&csrf), &fields)
        .await
        .assert_accepted();
    let own = app.get("/api/v1/diary/2026-07-05", &bob).await;
    assert_eq!(own.body["totals"]["calories"], 200.0, "{:?}", own.body);
    let anns = app.get("/api/v1/diary/2026-07-05", &ann).await;
    assert_eq!(anns.body["totals"]["calories"], 640.0, "{:?}", anns.body);

    let out = post(&app, "/signout", &bob, Some(&ann_id), Some(&csrf), &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(out.forgets_viewing(), "{:?}", out.set_cookies);
    let fields = [("email", "bob@example.com"), ("password", common::PASSWORD)];
    let signed_in = post(
        &app,
        "/signin",
        &common::As::Nobody,
        Some(&ann_id),
        None,
        &fields,
    )
    .await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.body
    );
    assert!(signed_in.forgets_viewing(), "{:?}", signed_in.set_cookies);
}

/// Viewing someone who shares only their foods, the navigation leaves out Goals (it led
/// to a 404, and typed by hand the page now says they are not shared); with a grant that covers
/// goals, and for one's own data, it is there.
#[tokio::test]
async fn the_nav_offers_goals_only_when_they_can_be_read() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    grant(&app, &ann, "bob@example.com", "food_list").await;
    let goals_link = "href=\"/goals\"";
    let viewing = get(&app, "/recipes", &bob, Some(&ann_id)).await;
    assert_eq!(viewing.status, StatusCode::OK);
    assert!(!viewing.body.contains(goals_link), "{}", viewing.body);
    let own = get(&app, "/recipes", &bob, None).await;
    assert!(own.body.contains(goals_link));
    // Typed by hand: the page says they are not shared (it was a 404 page).
    let typed = get(&app, "/goals", &bob, Some(&ann_id)).await;
    assert_eq!(typed.status, StatusCode::OK, "{}", typed.body);
    assert!(
        typed.body.contains("These goals are not shared with you."),
        "{}",
        typed.body
    );
    grant(&app, &ann, "bob@example.com", "reports").await;
    let viewing = get(&app, "/recipes", &bob, Some(&ann_id)).await;
    assert!(viewing.body.contains(goals_link));
    assert_eq!(
        get(&app, "/goals", &bob, Some(&ann_id)).await.status,
        StatusCode::OK
    );
}

/// A write naming a meal that does not exist is the 422 page naming it and writes nothing
/// (quick add filed it under Snacks; a copy with it copied the whole day).
#[tokio::test]
async fn an_unknown_meal_is_refused_not_filed_under_snacks() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    lasagne_for_dinner(&app, &ann).await;
    let csrf = token(&app, &ann, "/").await;
    let quick = [
        ("date", "2026-07-05"),
        ("meal", "brunch"),
        ("name", "Cookie"),
        ("calories", "100"),
    ];
    let r = post(&app, "/add/quick", &ann, None, Some(&csrf), &quick).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("meal: choose breakfast"), "{}", r.body);
    let copy = [
        ("to_date", "2026-07-06"),
        ("from_date", "2026-07-05"),
        ("meal", "brunch"),
    ];
    let r = post(&app, "/add/copy", &ann, None, Some(&csrf), &copy).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for day in ["2026-07-05", "2026-07-06"] {
        let d = app.get(&format!("/api/v1/diary/{day}"), &ann).await;
        let expected = if day == "2026-07-05" {
            json!(640.0)
        } else {
            json!(null)
        };
        assert_eq!(d.body["totals"]["calories"], expected, "{day}: {}", d.body);
    }
}

/// A form over the size limit is a 413 page that says so (it was "not understood", 400).
#[tokio::test]
async fn an_oversized_form_says_it_is_too_large() {
    let app = TestApp::spawn().await;
    let big = format!("email=a%40b.c&password={}", "x".repeat(70 * 1024));
    let r = app
        .client
        .post(format!("{}/signin", app.base))
        .header("origin", app.origin())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let page = r.text().await.unwrap();
    assert!(page.contains("Too much at once"), "{page}");
}

/// A refused new food comes back as the form with everything typed and the reason next to it
/// (it was a separate error page and all of it was lost); nothing is created.
#[tokio::test]
async fn a_refused_new_food_keeps_what_was_typed() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let csrf = token(&app, &ann, "/").await;
    for (size, barcode, why) in [
        ("0", "", "Size: must be greater than 0"),
        ("lots", "", "Size"),
        ("100", "abc", "Barcode: "),
    ] {
        let fields = [
            ("date", "2026-07-05"),
            ("meal", "lunch"),
            ("name", "Grandma's soup"),
            ("brand", "Home"),
            ("barcode", barcode),
            ("size", size),
            ("unit", "bowl"),
            ("calories", "321"),
            ("protein", "12.5"),
            ("sodium", "640"),
        ];
        let r = post(&app, "/add/create", &ann, None, Some(&csrf), &fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("action=\"/add/create\""), "the form again");
        for kept in [
            "value=\"Grandma&#39;s soup\"",
            "value=\"Home\"",
            "value=\"bowl\"",
            "value=\"321\"",
            "value=\"12.5\"",
            "value=\"640\"",
        ] {
            assert!(r.body.contains(kept), "{kept}: {}", r.body);
        }
        assert!(r.body.contains(why), "{why}: {}", r.body);
        assert!(!r.body.contains("servings[0]"), "{}", r.body);
        assert!(r.body.contains("role=\"alert\""));
    }
    let mine = app.get("/api/v1/foods?q=soup", &ann).await;
    assert_eq!(mine.body["items"], json!([]), "nothing created");
}

/// "1,000" typed into a number field is a thousand (it was read as 1.0: a calorie target of
/// 1,800 became 2 kcal), "1,5" is still one and a half, and a number field that is not a
/// number is refused naming it instead of being dropped (quick add stored the entry without
/// its protein; a new food was created without its calories).
#[tokio::test]
async fn thousands_are_read_and_unreadable_numbers_refused() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let csrf = token(&app, &ann, "/").await;
    let quick = |calories: &'static str, protein: &'static str| {
        [
            ("date", "2026-07-05"),
            ("meal", "dinner"),
            ("name", "Feast"),
            ("calories", calories),
            ("protein", protein),
        ]
    };
    let r = post(
        &app,
        "/add/quick",
        &ann,
        None,
        Some(&csrf),
        &quick("1,000", "1,5"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let day = app.get("/api/v1/diary/2026-07-05", &ann).await;
    assert_eq!(
        day.body["totals"]["calories"],
        json!(1000.0),
        "{:?}",
        day.body
    );
    assert_eq!(day.body["totals"]["protein"], json!(1.5), "{:?}", day.body);

    let r = post(
        &app,
        "/add/quick",
        &ann,
        None,
        Some(&csrf),
        &quick("500", "12g"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // The quick-add form again, with what was typed and the reason by its label.
    assert!(r.body.contains("Protein: must be a number"), "{}", r.body);
    assert!(
        r.body.contains("value=\"12g\"") && r.body.contains("value=\"Feast\""),
        "{}",
        r.body
    );
    let r = post(
        &app,
        "/add/quick",
        &ann,
        None,
        Some(&csrf),
        &quick("200000", ""),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Calories: must be at most"), "{}", r.body);
    assert!(r.body.contains("value=\"200000\""), "{}", r.body);
    let day = app.get("/api/v1/diary/2026-07-05", &ann).await;
    assert_eq!(
        day.body["totals"]["calories"],
        json!(1000.0),
        "nothing more was stored"
    );

    let create = [
        ("date", "2026-07-05"),
        ("meal", "lunch"),
        ("name", "Mystery bar"),
        ("size", "1"),
        ("unit", "bar"),
        ("calories", "abc"),
    ];
    let r = post(&app, "/add/create", &ann, None, Some(&csrf), &create).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Calories: must be a number"), "{}", r.body);
    assert!(r.body.contains("value=\"Mystery bar\""), "{}", r.body);
    let mine = app.get("/api/v1/foods?q=mystery", &ann).await;
    assert_eq!(mine.body["items"], json!([]), "{:?}", mine.body);

    let targets = [("calorie_target", "1,800")];
    let r = post(&app, "/goals/targets", &ann, None, Some(&csrf), &targets).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let goals = app.get("/api/v1/goals", &ann).await;
    let calories = goals
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["type"] == "calorie_target");
    assert_eq!(
        calories.unwrap()["target_value"],
        json!(1800.0),
        "{:?}",
        goals.body
    );
}

/// A form says whose data it was shown for (`_for`): sent after another tab switched whose
/// data is shown (or a share ended), it is refused with a page saying so (409) and nothing
/// lands in the wrong diary; sent as shown, it writes. A form of an earlier session's page is
/// refused saying so, not blaming another site.
#[tokio::test]
async fn a_form_writes_only_into_the_diary_it_was_shown_for() {
    let app = TestApp::spawn().await;
    let (carol_id, carol) = app.user("carol@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    grant(&app, &carol, "bob@example.com", "calorie").await;
    let csrf = token(&app, &bob, "/").await;
    let quick = |for_whom: &str| {
        vec![
            ("date", "2026-07-05".to_string()),
            ("meal", "snack".to_string()),
            ("name", "Bob's own snack".to_string()),
            ("calories", "111".to_string()),
            ("_for", for_whom.to_string()),
        ]
    };
    let send = |viewing: Option<String>, fields: Vec<(&'static str, String)>| {
        let (app, bob, csrf) = (&app, &bob, &csrf);
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post(
                app,
                "/add/quick",
                bob,
                viewing.as_deref(),
                Some(csrf),
                &fields,
            )
            .await
        }
    };
    // Shown on Bob's own day, sent while the cookie names Carol.
    let r = send(Some(carol_id.clone()), quick("")).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("Nothing was saved"), "{}", r.body);
    // Shown for Carol, sent after Bob went back to his own data.
    let r = send(None, quick(&carol_id)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    for who in [&bob, &carol] {
        let day = app.get("/api/v1/diary/2026-07-05", who).await;
        assert_eq!(
            day.body["totals"]["calories"],
            json!(null),
            "{:?}",
            day.body
        );
    }
    // As shown: written where it was shown.
    let r = send(Some(carol_id.clone()), quick(&carol_id)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let day = app.get("/api/v1/diary/2026-07-05", &carol).await;
    assert_eq!(
        day.body["totals"]["calories"],
        json!(111.0),
        "{:?}",
        day.body
    );
    let r = send(None, quick("")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let day = app.get("/api/v1/diary/2026-07-05", &bob).await;
    assert_eq!(
        day.body["totals"]["calories"],
        json!(111.0),
        "{:?}",
        day.body
    );

    // A token of another session's page (same site): said as such.
    let fields = [("date", "2026-07-05"), ("meal", "snack"), ("calories", "5")];
    let r = post(
        &app,
        "/add/quick",
        &bob,
        None,
        Some("an-earlier-token"),
        &fields,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(
        r.body.contains("opened before you last signed in"),
        "{}",
        r.body
    );
}

/// Switching whose data is shown stays on the page it was made on (it always went to Today):
/// the switcher carries the page, and only pages of this site are followed.
#[tokio::test]
async fn switching_whose_data_is_shown_stays_on_the_page() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    grant(&app, &ann, "bob@example.com", "reports").await;
    let page = get(&app, "/reports?days=7", &bob, None).await;
    assert!(
        page.body
            .contains("name=\"back\" value=\"/reports?days=7\""),
        "{}",
        page.body
    );
    let csrf = token(&app, &bob, "/").await;
    let r = post(
        &app,
        "/viewing",
        &bob,
        None,
        Some(&csrf),
        &[("user_id", &ann_id), ("back", "/reports?days=7")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location, "/reports?days=7");
    let r = post(
        &app,
        "/viewing",
        &bob,
        None,
        Some(&csrf),
        &[("user_id", ""), ("back", "//evil.example")],
    )
    .await;
    assert_eq!(r.location, "/");
}

/// A page address that only takes forms, opened (a link, or signing in again on the way back
/// to where a form was sent), leads to its page instead of "method not allowed".
#[tokio::test]
async fn opening_a_form_address_leads_to_its_page() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    for (path, to) in [
        ("/settings/profile", "/settings"),
        ("/add/quick", "/add"),
        ("/checkin/water", "/checkin"),
        ("/viewing", "/"),
    ] {
        let r = get(&app, path, &ann, None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}: {}", r.body);
        assert_eq!(r.location, to, "{path}");
    }
    let api = app.get("/api/v1/auth/logout", &ann).await;
    assert_eq!(
        api.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "the API keeps its 405"
    );
}

/// The picker offers grams and ounces of a weighed serving; an amount that cannot be logged
/// shows the picker again with what was typed; entries and recent foods say what was logged
/// ("2 × 1 large (50 g)", and its kcal), which is what one tap logs again.
#[tokio::test]
async fn the_picker_logs_by_weight_and_says_what_was_logged() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (food, serving) = new_food(
        &app,
        &ann,
        json!({"name": "Homemade granola", "servings": [
            {"size": 0.5, "unit": "cup", "weight_g": 60, "nutrients": {"calories": 280}}
        ]}),
    )
    .await;
    let pick = get(
        &app,
        &format!("/add/food/{food}?date=2026-11-20&meal=breakfast"),
        &ann,
        None,
    )
    .await;
    assert!(
        pick.body.contains(&format!("value=\"g:{serving}\"")),
        "{}",
        pick.body
    );
    assert!(pick.body.contains("grams (g)"), "{}", pick.body);
    // A serving that is itself a weight ("100 g", what New food makes) offers them too.
    let (by_100g, per_100g) = new_food(
        &app,
        &ann,
        json!({"name": "Rice cakes", "servings": [
            {"size": 100, "unit": "g", "nutrients": {"calories": 387}}
        ]}),
    )
    .await;
    let pick100 = get(&app, &format!("/add/food/{by_100g}"), &ann, None).await;
    assert!(
        pick100.body.contains(&format!("value=\"oz:{per_100g}\"")),
        "{}",
        pick100.body
    );

    let csrf = token(&app, &ann, "/day/2026-11-20").await;
    let send = |quantity: &'static str, serving_id: String| {
        let food = food.clone();
        let csrf = csrf.clone();
        let app = &app;
        let ann = &ann;
        async move {
            let fields = [
                ("date", "2026-11-20"),
                ("meal", "breakfast"),
                ("food_item_id", food.as_str()),
                ("serving_id", serving_id.as_str()),
                ("quantity", quantity),
            ];
            post(app, "/add/log", ann, None, Some(&csrf), &fields).await
        }
    };
    // 45 g of a 60 g half cup: 210 kcal.
    send("45", format!("g:{serving}")).await.assert_accepted();
    let day = app.get("/api/v1/diary/2026-11-20", &ann).await;
    let entry = &day.body["meals"][0]["entries"][0];
    assert_eq!(entry["nutrients"]["calories"], json!(210.0), "{}", day.body);
    assert_eq!(entry["unit"], "g");

    // "45 g" typed into the amount: the picker again, with it and why; nothing logged.
    let refused = send("45 g", serving.clone()).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("Homemade granola"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("value=\"45 g\""), "{}", refused.body);
    assert!(
        refused.body.contains("must be a number"),
        "{}",
        refused.body
    );
    let day = app.get("/api/v1/diary/2026-11-20", &ann).await;
    assert_eq!(day.body["meals"][0]["entries"].as_array().unwrap().len(), 1);

    // Two servings: the day says which, the recent list what one tap logs.
    send("2", serving.clone()).await.assert_accepted();
    let page = get(&app, "/day/2026-11-20", &ann, None).await;
    assert!(page.body.contains("2 × 0.5 cup (60 g)"), "{}", page.body);
    assert!(page.body.contains("45 g"), "{}", page.body);
    let sheet = get(&app, "/add?date=2026-11-21&meal=lunch", &ann, None).await;
    assert!(
        sheet.body.contains("560 kcal · 2 × 0.5 cup (60 g)"),
        "{}",
        sheet.body
    );
    // The one-tap button in the serving's own word: 2 × ½ cup is "+ 1 cup".
    assert!(sheet.body.contains("+ 1 cup</button>"), "{}", sheet.body);
}

/// Copying says what it did and can be undone; the copy tab takes the sheet's meal.
#[tokio::test]
async fn a_copy_says_what_it_copied_and_can_be_undone() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    lasagne_for_dinner(&app, &ann).await;
    let tab = get(
        &app,
        "/add?date=2026-07-06&meal=dinner&tab=copy",
        &ann,
        None,
    )
    .await;
    assert!(
        tab.body.contains("<option value=\"dinner\" selected>"),
        "{}",
        tab.body
    );
    let whole = get(&app, "/add?date=2026-07-06&tab=copy", &ann, None).await;
    assert!(!whole.body.contains("\" selected>"), "{}", whole.body);

    let csrf = token(&app, &ann, "/day/2026-07-06").await;
    let r = post(
        &app,
        "/add/copy",
        &ann,
        None,
        Some(&csrf),
        &[
            ("from_date", "2026-07-05"),
            ("to_date", "2026-07-06"),
            ("meal", "dinner"),
        ],
    )
    .await;
    r.assert_accepted();
    let shown = get(&app, &r.location, &ann, None).await;
    assert!(
        shown.body.contains("Copied 1 entry from Sun 5 Jul"),
        "{}",
        shown.body
    );
    let day = app.get("/api/v1/diary/2026-07-06", &ann).await;
    assert_eq!(day.body["totals"]["calories"], json!(640.0), "{}", day.body);
    let field = |name: &str| {
        shown
            .body
            .split(&format!("name=\"{name}\" value=\""))
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap()
            .to_string()
    };
    let (ids, from, copied, mark) = (field("ids"), field("from"), field("copied"), field("mark"));
    // An address made up elsewhere shows no notice; an Undo naming other entries (the
    // original dinner) or without this session's mark undoes nothing.
    let original = app.get("/api/v1/diary/2026-07-05", &ann).await.body["meals"][2]["entries"][0]
        ["id"]
        .as_str()
        .unwrap()
        .to_string();
    let forged = get(
        &app,
        &format!("/day/2026-07-06?copied=1&from=2026-07-05&undo={original}&mark=0000"),
        &ann,
        None,
    )
    .await;
    assert!(!forged.body.contains("Copied 1 entry"), "{}", forged.body);
    for (ids, mark) in [(original.as_str(), mark.as_str()), (ids.as_str(), "0000")] {
        let r = post(
            &app,
            "/diary/uncopy",
            &ann,
            None,
            Some(&csrf),
            &[
                ("date", "2026-07-06"),
                ("ids", ids),
                ("from", from.as_str()),
                ("copied", copied.as_str()),
                ("mark", mark),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    }
    let day = app.get("/api/v1/diary/2026-07-05", &ann).await;
    assert_eq!(day.body["totals"]["calories"], json!(640.0));
    let undone = post(
        &app,
        "/diary/uncopy",
        &ann,
        None,
        Some(&csrf),
        &[
            ("date", "2026-07-06"),
            ("ids", ids.as_str()),
            ("from", from.as_str()),
            ("copied", copied.as_str()),
            ("mark", mark.as_str()),
        ],
    )
    .await;
    undone.assert_accepted();
    let day = app.get("/api/v1/diary/2026-07-06", &ann).await;
    assert_eq!(day.body["entries"], json!(null));
    assert_eq!(day.body["totals"]["calories"], json!(null), "{}", day.body);
    // The original stays.
    let before = app.get("/api/v1/diary/2026-07-05", &ann).await;
    assert_eq!(before.body["totals"]["calories"], json!(640.0));
}

/// Near misses are not called best matches: when no food has every word typed, the sheet
/// says so above the close spellings.
#[tokio::test]
async fn near_misses_are_not_best_matches() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    new_food(
        &app,
        &ann,
        json!({"name": "Yogurt, plain", "servings": [
            {"size": 1, "unit": "cup", "weight_g": 245, "nutrients": {"calories": 149}}
        ]}),
    )
    .await;
    let exact = get(
        &app,
        "/add/search?date=2026-11-20&meal=breakfast&q=yogurt",
        &ann,
        None,
    )
    .await;
    assert!(exact.body.contains("Best matches"), "{}", exact.body);
    let near = get(
        &app,
        "/add/search?date=2026-11-20&meal=breakfast&q=greek+yogurt",
        &ann,
        None,
    )
    .await;
    assert!(near.body.contains("Yogurt, plain"), "{}", near.body);
    assert!(!near.body.contains("Best matches"), "{}", near.body);
    assert!(
        near.body.contains("No food has all these words"),
        "{}",
        near.body
    );
}

/// Writing a family member's diary, the copy tab offers one's own diary as a source (the dinner
/// cooked for both), and copying from it fills theirs.
#[tokio::test]
async fn copy_from_ones_own_diary_into_a_family_members() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (bob_id, bob) = app.user("bob@example.com").await;
    lasagne_for_dinner(&app, &bob).await;
    grant(&app, &ann, "bob@example.com", "calorie").await;
    let sheet = get(
        &app,
        "/add?date=2026-07-05&meal=dinner&tab=copy",
        &bob,
        Some(&ann_id),
    )
    .await;
    assert!(
        sheet
            .body
            .contains(&format!("<option value=\"{bob_id}\">My own diary</option>")),
        "{}",
        sheet.body
    );
    let own = get(
        &app,
        "/add?date=2026-07-05&meal=dinner&tab=copy",
        &bob,
        None,
    )
    .await;
    assert!(!own.body.contains("My own diary"), "{}", own.body);
    let csrf = sheet.csrf();
    let r = post(
        &app,
        "/add/copy",
        &bob,
        Some(&ann_id),
        Some(&csrf),
        &[
            ("_for", ann_id.as_str()),
            ("to_date", "2026-07-05"),
            ("from_date", "2026-07-05"),
            ("meal", "dinner"),
            ("from_user", bob_id.as_str()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let day = app.get("/api/v1/diary/2026-07-05", &ann).await;
    assert_eq!(day.body["totals"]["calories"], 640.0, "{:?}", day.body);
}

/// The copy form says what is wrong in its own words: a missing day, an unreadable one, the
/// same day of the same diary. And the addresses other apps use lead to sign-in and sign-up.
#[tokio::test]
async fn the_copy_form_and_usual_addresses_speak_plainly() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let csrf = token(&app, &ann, "/").await;
    for (from, to, said) in [
        (
            "",
            "2026-07-05",
            "From the day: must be a date like 2026-03-01",
        ),
        (
            "5 July",
            "2026-07-05",
            "From the day: must be a date like 2026-03-01",
        ),
        ("2026-07-05", "", "Date: must be a date like 2026-03-01"),
        (
            "2026-07-05",
            "2026-07-05",
            "a day cannot be copied onto itself",
        ),
    ] {
        let fields = [("from_date", from), ("to_date", to), ("meal", "")];
        let r = post(&app, "/add/copy", &ann, None, Some(&csrf), &fields).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{from} {to}: {}",
            r.body
        );
        assert!(r.body.contains(said), "{said}: {}", r.body);
        assert!(
            !r.body.contains("from_date") && !r.body.contains("premature"),
            "{}",
            r.body
        );
    }
    // The copy tab is titled for what it does.
    let sheet = get(&app, "/add?date=2026-07-05&tab=copy", &ann, None).await;
    assert!(sheet.body.contains(">Copy to "), "{}", sheet.body);
    assert!(!sheet.body.contains(">Add to "), "{}", sheet.body);
    assert!(
        sheet.body.contains("data-scroll-into-view"),
        "{}",
        sheet.body
    );
    for (alias, to) in [
        ("/login", "/signin"),
        ("/signup", "/register"),
        ("/logout", "/settings"),
    ] {
        let r = get(&app, alias, &common::As::Nobody, None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{alias}");
        assert_eq!(r.location, to, "{alias}");
    }
}

/// A day whose food lists no calories (a protein shake logged by its grams) shows calories,
/// carbohydrates and fat as not listed, not as 0 eaten with the whole target left.
#[tokio::test]
async fn what_no_food_lists_is_not_shown_as_zero() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let r = app
        .post(
            "/api/v1/goals",
            &ann,
            json!({"type": "calorie_target", "target_value": 2000}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = app
        .post(
            "/api/v1/diary/quick-add",
            &ann,
            json!({"meal_type": "snack", "name": "Whey", "nutrients": {"protein": 30},
                   "date": "2026-11-15"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let page = get(&app, "/day/2026-11-15", &ann, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("kcal not listed"), "{}", page.body);
    assert!(!page.body.contains(">kcal left</text>"), "{}", page.body);
    // The entry's own calories are unknown, not 0.
    assert!(
        page.body.contains("<span class=\"kcal\">?</span>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("No food today says how much calories, carbs and fat it has"),
        "{}",
        page.body
    );
    assert!(page.body.contains("30 g"), "{}", page.body);
    // An empty day is just empty: nothing is "not listed".
    let empty = get(&app, "/day/2026-11-16", &ann, None).await;
    assert!(!empty.body.contains("not listed"), "{}", empty.body);
}

/// Without script, deleting an entry leads to its day with an Undo, once: the deleted row
/// travels in a short-lived cookie, and the Undo puts it back.
#[tokio::test]
async fn a_delete_without_script_offers_undo_on_the_day() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let r = app
        .post(
            "/api/v1/diary/quick-add",
            &ann,
            json!({"date": "2026-11-20", "meal_type": "lunch", "name": "Soup", "nutrients": {"calories": 300}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    let csrf = token(&app, &ann, "/day/2026-11-20").await;
    let r = post(
        &app,
        &format!("/diary/{id}/delete"),
        &ann,
        None,
        Some(&csrf),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location, "/day/2026-11-20");
    let undo_cookie = r
        .set_cookies
        .iter()
        .find(|c| c.starts_with("sparky_undo="))
        .expect("the undo cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let common::As::Cookie(session) = &ann else {
        panic!("a session")
    };
    let page = app
        .client
        .get(format!("{}/day/2026-11-20", app.base))
        .header("cookie", format!("sparky_session={session}; {undo_cookie}"))
        .send()
        .await
        .unwrap();
    let cleared = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap().starts_with("sparky_undo=;"));
    let body = page.text().await.unwrap();
    assert!(cleared, "the notice is said once");
    assert!(body.contains("action=\"/diary/restore\""), "{body}");
    let marker = "name=\"entry\" value=\"";
    let at = body.find(marker).expect("an undo form") + marker.len();
    let entry = body[at..]
        .split('"')
        .next()
        .unwrap()
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    let r = post(
        &app,
        "/diary/restore",
        &ann,
        None,
        Some(&csrf),
        &[("entry", &entry)],
    )
    .await;
    r.assert_accepted();
    let day = app.get("/api/v1/diary/2026-11-20", &ann).await;
    assert_eq!(
        day.body["totals"]["calories"].as_f64(),
        Some(300.0),
        "{:?}",
        day.body
    );
    // Without the cookie, the day has no Undo.
    let plain = get(&app, "/day/2026-11-20", &ann, None).await;
    assert!(!plain.body.contains("action=\"/diary/restore\""));
}

/// The entry's edit form on the day page changes its serving by the unit typed after the
/// amount ("150 g") and moves it to another day: with htmx the day it left says where it went;
/// without, the day it went to is shown. A bad unit or day changes nothing.
#[tokio::test]
async fn an_entry_changes_its_unit_and_day_from_its_edit_form() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (food, serving) = new_food(
        &app,
        &ann,
        json!({"name": "Rolled oats", "servings": [
            {"size": 1, "unit": "cup", "weight_g": 80, "nutrients": {"calories": 300}}
        ]}),
    )
    .await;
    let r = app
        .post(
            "/api/v1/diary",
            &ann,
            json!({"date": "2026-11-20", "meal_type": "breakfast", "food_item_id": food,
                   "nutrition_data_id": serving, "quantity": 1, "unit": "cup"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    let page = get(&app, "/day/2026-11-20", &ann, None).await;
    // The amount is shown with its unit, the day with a date field.
    assert!(
        page.body.contains(&format!(
            "id=\"q-{id}\" name=\"quantity\" class=\"amount\" autocomplete=\"off\" value=\"1 cup\""
        )),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(&format!(
            "id=\"d-{id}\" name=\"date\" type=\"date\" value=\"2026-11-20\""
        )),
        "{}",
        page.body
    );
    let csrf = page.csrf();
    let entry_on = |day: &'static str| {
        let app = &app;
        let ann = &ann;
        async move {
            let d = app.get(&format!("/api/v1/diary/{day}"), ann).await;
            d.body["meals"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|m| m["entries"].as_array().unwrap().clone())
                .collect::<Vec<_>>()
        }
    };

    // In grams: 120 g of 300 kcal per 80 g is 450 kcal.
    let r = post(
        &app,
        &format!("/diary/{id}"),
        &ann,
        None,
        Some(&csrf),
        &[
            ("quantity", "120 g"),
            ("day", "2026-11-20"),
            ("date", "2026-11-20"),
        ],
    )
    .await;
    r.assert_accepted();
    let e = &entry_on("2026-11-20").await[0];
    assert_eq!(e["unit"], "g", "{e}");
    assert_eq!(e["quantity"], json!(120.0), "{e}");
    assert_eq!(e["nutrients"]["calories"], json!(450.0), "{e}");

    // Refused, nothing changed: a unit the serving has no measure for, a day that is none.
    for (field, quantity, date) in [
        ("unit", "2 parsecs", "2026-11-20"),
        ("date", "1 cup", "2026-13-01"),
        ("date", "1 cup", "3000-01-01"),
    ] {
        let r = post(
            &app,
            &format!("/diary/{id}"),
            &ann,
            None,
            Some(&csrf),
            &[
                ("quantity", quantity),
                ("day", "2026-11-20"),
                ("date", date),
            ],
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{quantity} {date}: {}",
            r.body
        );
        assert!(r.body.contains(field), "{field}: {}", r.body);
        let e = &entry_on("2026-11-20").await[0];
        assert_eq!(e["quantity"], json!(120.0), "{e}");
    }

    // Moved with htmx: the day it left, without it, saying where it went.
    let common::As::Cookie(session) = &ann else {
        panic!("a session")
    };
    let fragment = app
        .client
        .post(format!("{}/diary/{id}", app.base))
        .header("cookie", format!("sparky_session={session}"))
        .header("origin", app.origin())
        .header("hx-request", "true")
        .header("x-csrf-token", &csrf)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("quantity=120+g&meal=lunch&day=2026-11-20&date=2026-11-22")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(fragment.contains("Rolled oats moved to "), "{fragment}");
    assert!(fragment.contains("href=\"/day/2026-11-22\""), "{fragment}");
    assert!(!fragment.contains(&format!("q-{id}")), "{fragment}");
    assert!(entry_on("2026-11-20").await.is_empty());
    let moved = entry_on("2026-11-22").await;
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0]["meal_type"], "lunch");
    assert_eq!(moved[0]["quantity"], json!(120.0));

    // Without script: on to the day it went to.
    let r = post(
        &app,
        &format!("/diary/{id}"),
        &ann,
        None,
        Some(&csrf),
        &[
            ("quantity", "1 cup"),
            ("day", "2026-11-22"),
            ("date", "2026-11-21"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location, "/day/2026-11-21");
    let e = &entry_on("2026-11-21").await[0];
    assert_eq!(e["unit"], "cup", "{e}");
    assert_eq!(e["nutrients"]["calories"], json!(300.0), "{e}");
}

/// An entry logged as servings of a serving with its own unit ("½ cup") shows in that unit in
/// its edit form ("0.5 cup", not "1 serving"), and saving it unchanged changes nothing; a
/// number typed alone is in that unit too.
#[tokio::test]
async fn a_serving_shows_in_its_own_unit_when_edited() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (food, serving) = new_food(
        &app,
        &ann,
        json!({"name": "Granola", "servings": [
            {"size": 0.5, "unit": "cup", "weight_g": 60, "nutrients": {"calories": 280}}
        ]}),
    )
    .await;
    let r = app
        .post(
            "/api/v1/diary",
            &ann,
            json!({"date": "2026-11-20", "meal_type": "breakfast", "food_item_id": food,
                   "nutrition_data_id": serving, "quantity": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["unit"], "serving", "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    let page = get(&app, "/day/2026-11-20", &ann, None).await;
    assert!(
        page.body.contains(&format!(
            "id=\"q-{id}\" name=\"quantity\" class=\"amount\" autocomplete=\"off\" value=\"0.5 cup\""
        )),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<input type=\"hidden\" name=\"unit_was\" value=\"cup\">"),
        "{}",
        page.body
    );
    let csrf = page.csrf();
    let calories = || async {
        let d = app.get("/api/v1/diary/2026-11-20", &ann).await;
        d.body["totals"]["calories"].clone()
    };
    for (typed, kcal) in [("0.5 cup", 280.0), ("1 cup", 560.0), ("0.25", 140.0)] {
        post(
            &app,
            &format!("/diary/{id}"),
            &ann,
            None,
            Some(&csrf),
            &[
                ("quantity", typed),
                ("unit_was", "cup"),
                ("day", "2026-11-20"),
                ("date", "2026-11-20"),
            ],
        )
        .await
        .assert_accepted();
        assert_eq!(calories().await, json!(kcal), "{typed}");
    }
}

/// A past day shows the calorie target it had, and the two weeks' chart draws each day's:
/// its dashed line steps where the target was lowered.
#[tokio::test]
async fn a_past_day_shows_the_target_it_had() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let r = app
        .post(
            "/api/v1/goals",
            &ann,
            json!({"type": "calorie_target", "target_value": 2000}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let flat = get(&app, "/day/2026-07-09", &ann, None).await;
    assert_eq!(flat.body.matches("<line class=\"target\"").count(), 1);
    app.db
        .owner_client()
        .await
        .batch_execute(&format!(
            "UPDATE goal_target_history SET valid_from = '2026-07-01' WHERE user_id = '{ann_id}';
             INSERT INTO goal_target_history (user_id, type, valid_from, target_value) VALUES
                 ('{ann_id}', 'calorie_target', '2026-07-08', 1500),
                 ('{ann_id}', 'calorie_target', current_date - 1, 2000);"
        ))
        .await
        .unwrap();
    let page = get(&app, "/day/2026-07-09", &ann, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("1,500 kcal"), "{}", page.body);
    assert_eq!(
        page.body.matches("<line class=\"target\"").count(),
        2,
        "2,000 until 07-07, 1,500 from 07-08"
    );
    let before = get(&app, "/day/2026-07-07", &ann, None).await;
    assert!(before.body.contains("2,000 kcal"), "{}", before.body);
}
