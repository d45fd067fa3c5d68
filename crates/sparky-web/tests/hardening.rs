//! Defects found by fuzzing and by trying the API as a hostile client: unbounded copies, NUL
//! characters, wrong JSON types, credentials checked after input, idempotency keys reused for
//! other requests, several grants of one person, limits shared by several servers.

mod common;

use common::{As, TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sparky_db::Database;
use sparky_web::WebConfig;

fn bread() -> Value {
    json!({
        "name": "Sourdough bread",
        "servings": [
            {"size": 100, "unit": "g", "nutrients": {"calories": 250, "protein": 9, "fiber": 3}},
            {"size": 1, "unit": "slice", "weight_g": 40, "nutrients": {"calories": 100, "protein": 3.6, "fiber": 1.2}}
        ]
    })
}

async fn food(app: &TestApp, who: &As) -> String {
    let r = app.post("/api/v1/foods", who, bread()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

async fn log(app: &TestApp, who: &As, food: &str, date: &str) -> Value {
    let r = app
        .post(
            "/api/v1/diary",
            who,
            json!({"food_item_id": food, "quantity": 1, "unit": "slice", "meal_type": "lunch", "date": date}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.db
        .owner_client()
        .await
        .query_one(sql, &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_day_cannot_be_copied_onto_itself_and_copies_are_bounded() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let f = food(&app, &ann).await;
    log(&app, &ann, &f, "2026-03-01").await;
    for body in [
        json!({"from_date": "2026-03-01", "to_date": "2026-03-01"}),
        json!({"from_date": "2026-03-01", "to_date": "2026-03-01", "meal_type": "lunch"}),
    ] {
        let r = app.post("/api/v1/diary/copy", &ann, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
        assert!(r.body["error"]["fields"].get("to_date").is_some());
    }
    assert_eq!(count(&app, "SELECT count(*) FROM food_diary").await, 1);

    // A full target day takes nothing more, from a copy or a log.
    let owner = app.db.owner_client().await;
    owner
        .execute(
            "INSERT INTO food_diary (user_id, food_item_id, quantity, unit, meal_type, consumed_at, entry_date)
             SELECT d.user_id, d.food_item_id, 1, 'serving', 'snack', d.consumed_at + interval '1 day', date '2026-03-02'
             FROM food_diary d, generate_series(1, 300)",
            &[],
        )
        .await
        .unwrap();
    let r = app
        .post(
            "/api/v1/diary/copy",
            &ann,
            json!({"from_date": "2026-03-01", "to_date": "2026-03-02"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let r = app
        .post(
            "/api/v1/diary",
            &ann,
            json!({"food_item_id": f, "quantity": 1, "meal_type": "lunch", "date": "2026-03-02"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM food_diary WHERE entry_date = '2026-03-02'"
        )
        .await,
        300
    );
    // Copying a whole day of 300 entries elsewhere works: the limit is one day's worth.
    let r = app
        .post(
            "/api/v1/diary/copy",
            &ann,
            json!({"from_date": "2026-03-02", "to_date": "2026-03-09"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["copied"], 300);
}

#[tokio::test]
async fn nul_characters_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let cases = [
        (
            Method::POST,
            "/api/v1/foods",
            json!({"name": "Bread\u{0}", "servings": [{"size": 1, "unit": "g"}]}),
            "name",
        ),
        (
            Method::POST,
            "/api/v1/foods",
            json!({"name": "Bread", "brand": "\u{0}", "servings": [{"size": 1, "unit": "g"}]}),
            "brand",
        ),
        (
            Method::POST,
            "/api/v1/foods",
            json!({"name": "Bread", "servings": [{"size": 1, "unit": "sl\u{0}ice"}]}),
            "servings[0].unit",
        ),
        (
            Method::POST,
            "/api/v1/api-keys",
            json!({"name": "phone\u{0}"}),
            "name",
        ),
        (
            Method::POST,
            "/api/v1/family-access",
            json!({"grantee_email": "bob@example.com\u{0}", "access_type": "reports"}),
            "grantee_email",
        ),
        (
            Method::PUT,
            "/api/v1/me",
            json!({"full_name": "Ann\u{0}"}),
            "full_name",
        ),
    ];
    for (method, path, body, field) in cases {
        let r = app.request(method, path, &ann, Some(body.clone())).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            r.body
        );
        assert!(
            r.body["error"]["fields"].get(field).is_some(),
            "{body}: {:?}",
            r.body
        );
    }
    let r = app.login("ann\u{0}@example.com", PASSWORD).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(r.body["error"]["fields"].get("email").is_some());
    let r = app.get("/api/v1/foods?q=br%00ead", &ann).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(r.body["error"]["fields"].get("q").is_some(), "{:?}", r.body);
    // The other control characters too (C0 but tab and line breaks, DEL, C1): invisible, they
    // break names, CSV files and terminals. A tab or a line break in a note is fine.
    for name in [
        "Bread\u{1}",
        "Bre\u{7f}ad",
        "Bread\u{85}",
        "\u{1b}[31mBread",
    ] {
        let body = json!({"name": name, "servings": [{"size": 1, "unit": "g"}]});
        let r = app.post("/api/v1/foods", &ann, body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name:?}: {:?}",
            r.body
        );
        assert!(
            r.body["error"]["fields"]["name"]
                .as_str()
                .unwrap()
                .contains("control characters"),
            "{:?}",
            r.body
        );
    }
    let r = app.get("/api/v1/foods?q=br%01ead", &ann).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let r = app
        .post(
            "/api/v1/measurements",
            &ann,
            json!({"type": "weight", "value": 70, "unit": "kg", "note": "after\trun\r\nfelt good"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM food_items WHERE user_id IS NOT NULL"
        )
        .await,
        0
    );
    assert_eq!(count(&app, "SELECT count(*) FROM api_keys").await, 0);
}

#[tokio::test]
async fn wrong_types_are_422_naming_the_field_once() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let r = app
        .put("/api/v1/preferences", &ann, json!({"theme": 5}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(r.body["error"]["fields"].get("theme").is_some());
    let f = food(&app, &ann).await;
    let r = app
        .post(
            "/api/v1/diary",
            &ann,
            json!({"food_item_id": f, "quantity": "lots", "meal_type": "lunch"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let message = r.body["error"]["message"].as_str().unwrap();
    assert_eq!(message.matches("quantity").count(), 1, "{message}");
    assert!(!message.contains("line 1"), "{message}");
    // Malformed JSON is still a 400.
    let r = app
        .client
        .post(format!("{}/api/v1/diary", app.base))
        .bearer_auth(key(&app, &ann).await)
        .header("content-type", "application/json")
        .body("{\"food_item_id\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

async fn key(app: &TestApp, who: &As) -> String {
    let r = app
        .post("/api/v1/api-keys", who, json!({"name": "test"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["key"].as_str().unwrap().to_string()
}

/// Every documented operation, called with garbage input and a credential that is not valid,
/// answers 401 (the public sign-up and sign-in excepted).
#[tokio::test]
async fn invalid_credentials_are_401_before_any_input_is_looked_at() {
    let app = TestApp::spawn().await;
    let doc = app.get("/api/v1/openapi.json", &As::Nobody).await.body;
    let bad = [
        As::Key("spk_not-a-real-key".into()),
        As::Cookie("not-a-real-session".into()),
    ];
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, _) in item.as_object().unwrap() {
            if path.ends_with("/auth/register") || path.ends_with("/auth/login") {
                continue;
            }
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            // Path parameters that are not ids or dates, a query that is invalid everywhere.
            let url = path
                .split('/')
                .map(|s| if s.starts_with('{') { "not-valid" } else { s })
                .collect::<Vec<_>>()
                .join("/")
                + "?limit=-5&user_id=nope&from=never";
            for who in &bad {
                let body = matches!(m, Method::POST | Method::PUT).then(|| json!({"x": "\u{0}"}));
                let r = app.request(m.clone(), &url, who, body).await;
                assert_eq!(
                    r.status,
                    StatusCode::UNAUTHORIZED,
                    "{method} {url} as {who:?}: {:?}",
                    r.body
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 60, "{checked}");
}

/// A body larger than a small write is taken in only from a known caller: with a credential
/// that is not valid, the 401 comes before the announced body is sent. A valid caller's large
/// body is read as usual.
#[tokio::test]
async fn large_bodies_wait_for_the_credential_check() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    for (path, header) in [
        ("/api/v1/foods", "Authorization: Bearer spk_not-a-real-key"),
        ("/api/v1/diary", "Cookie: sparky_session=not-a-real-session"),
    ] {
        let status = app
            .status_before_body(path, header, "application/json", 1_000_000)
            .await;
        assert_eq!(status, 401, "{path}");
    }
    // 40 KiB of JSON (padded with whitespace) from a valid caller.
    let body = format!("{}{}", bread(), " ".repeat(40 * 1024));
    let As::Cookie(cookie) = &ann else {
        unreachable!()
    };
    let r = app
        .client
        .post(format!("{}/api/v1/foods", app.base))
        .header("cookie", format!("sparky_session={cookie}"))
        .header("origin", app.origin())
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn an_idempotency_key_answers_only_its_own_request() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let f = food(&app, &ann).await;
    let send = |body: Value, key: &'static str, path: &'static str| {
        let app = &app;
        let ann = ann.clone();
        async move {
            let As::Cookie(c) = ann else { unreachable!() };
            let r = app
                .client
                .post(format!("{}{path}", app.base))
                .header("cookie", format!("sparky_session={c}"))
                .header("origin", app.origin())
                .header("idempotency-key", key)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status();
            (status, r.json::<Value>().await.unwrap())
        }
    };
    let lunch = json!({"food_item_id": f, "quantity": 2, "unit": "slices", "meal_type": "lunch", "date": "2026-04-01"});
    let (s1, b1) = send(lunch.clone(), "k-1", "/api/v1/diary").await;
    let (s2, b2) = send(lunch.clone(), "k-1", "/api/v1/diary").await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(b1, b2, "a retry gets the first answer");
    let mut other = lunch.clone();
    other["quantity"] = json!(3);
    let (s3, b3) = send(other, "k-1", "/api/v1/diary").await;
    assert_eq!(s3, StatusCode::UNPROCESSABLE_ENTITY, "{b3:?}");
    assert!(b3["error"]["fields"].get("Idempotency-Key").is_some());
    assert_eq!(count(&app, "SELECT count(*) FROM food_diary").await, 1);

    // Every create a client may retry takes a key: foods, copies, quick adds.
    let (a, _) = send(bread(), "food-1", "/api/v1/foods").await;
    let (b, _) = send(bread(), "food-1", "/api/v1/foods").await;
    assert_eq!((a, b), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM food_items WHERE user_id IS NOT NULL"
        )
        .await,
        2
    );
    let copy = json!({"from_date": "2026-04-01", "to_date": "2026-04-02"});
    send(copy.clone(), "copy-1", "/api/v1/diary/copy").await;
    let (s, b) = send(copy, "copy-1", "/api/v1/diary/copy").await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(b["copied"], 1);
    let quick =
        json!({"meal_type": "dinner", "date": "2026-04-01", "nutrients": {"calories": 700}});
    send(quick.clone(), "quick-1", "/api/v1/diary/quick-add").await;
    send(quick, "quick-1", "/api/v1/diary/quick-add").await;
    assert_eq!(count(&app, "SELECT count(*) FROM food_diary").await, 3);
}

#[tokio::test]
async fn friendlier_diary() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let f = food(&app, &ann).await;
    // A serving picked by its own word, in any case and number; without a unit, servings.
    let r = app
        .post(
            "/api/v1/diary",
            &ann,
            json!({"food_item_id": f, "quantity": 2, "unit": "Slices", "meal_type": "BREAKFAST"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["nutrients"]["calories"], 200.0);
    assert_eq!(r.body["meal_type"], "breakfast");
    assert_eq!(r.body["serving"]["unit"], "slice");
    let id = r.body["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            "/api/v1/diary",
            &ann,
            json!({"food_item_id": f, "quantity": 1.5, "meal_type": "lunch"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(
        r.body["nutrients"]["calories"], 375.0,
        "1.5 × the 100 g default"
    );
    let r = app
        .post(
            "/api/v1/diary",
            &ann,
            json!({"food_item_id": f, "quantity": 1, "unit": "bucket", "meal_type": "lunch"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["error"]["fields"].get("unit").is_some());

    // One entry by id; "today" as a day; a quick add makes fiber partial.
    let one = app.get(&format!("/api/v1/diary/entries/{id}"), &ann).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body["id"], id.as_str());
    let r = app
        .post(
            "/api/v1/diary/quick-add",
            &ann,
            json!({"name": "Cake", "meal_type": "snack", "nutrients": {"calories": 350, "fat": 20}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["food_name"], "Cake");
    let today = app.get("/api/v1/diary/today", &ann).await;
    assert_eq!(today.status, StatusCode::OK, "{:?}", today.body);
    assert_eq!(today.body["totals"]["calories"], 925.0);
    let partial: Vec<&str> = today.body["partial"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(partial.contains(&"fiber"), "{partial:?}");
    assert!(!partial.contains(&"calories"));
    let r = app
        .post(
            "/api/v1/diary/quick-add",
            &ann,
            json!({"meal_type": "snack", "nutrients": {}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for bad in ["9999-12-31", "1899-01-01", "tomorrow"] {
        let r = app.get(&format!("/api/v1/diary/{bad}"), &ann).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let r = app
        .post(
            "/api/v1/diary",
            &ann,
            json!({"food_item_id": f, "quantity": 1, "meal_type": "lunch", "date": "9999-12-31"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["error"]["fields"].get("date").is_some());
}

/// Two grants of one person that both allow reading (used to be a 500 on every `?user_id=`
/// read): every pair of access types, on the diary endpoints and preferences.
#[tokio::test]
async fn several_grants_of_one_person_all_work() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let f = food(&app, &ann).await;
    log(&app, &ann, &f, "2026-05-01").await;
    let types = ["calorie", "checkin", "reports", "food_list"];
    let reads_diary = |t: &str| t == "calorie" || t == "reports";
    for (i, a) in types.iter().enumerate() {
        for b in &types[i + 1..] {
            let mut grants = Vec::new();
            for t in [a, b] {
                let r = app
                    .post(
                        "/api/v1/family-access",
                        &ann,
                        json!({"grantee_email": "bob@example.com", "access_type": t}),
                    )
                    .await;
                assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
                grants.push(r.body["id"].as_str().unwrap().to_string());
            }
            let allowed = reads_diary(a) || reads_diary(b);
            for path in [
                format!("/api/v1/diary/2026-05-01?user_id={ann_id}"),
                format!("/api/v1/diary/2026-05-02?user_id={ann_id}"),
                format!("/api/v1/diary/today?user_id={ann_id}"),
                format!("/api/v1/diary/recent?user_id={ann_id}"),
            ] {
                let r = app.get(&path, &bob).await;
                let want = if allowed {
                    StatusCode::OK
                } else {
                    StatusCode::NOT_FOUND
                };
                assert_eq!(r.status, want, "{a}+{b} {path}: {:?}", r.body);
            }
            let r = app
                .get(&format!("/api/v1/preferences?user_id={ann_id}"), &bob)
                .await;
            assert_eq!(r.status, StatusCode::OK, "{a}+{b}: {:?}", r.body);
            for g in grants {
                let r = app
                    .delete(&format!("/api/v1/family-access/{g}"), &ann)
                    .await;
                assert_eq!(r.status, StatusCode::NO_CONTENT);
            }
        }
    }
}

/// Two servers on one database apply one set of sign-in limits, and a session made on one
/// works on the other.
#[tokio::test]
async fn two_servers_share_sign_in_limits_and_sessions() {
    let config = WebConfig {
        login_attempts_per_minute_account: 3,
        ..Default::default()
    };
    let first = TestApp::spawn_with(config.clone()).await;
    let database = Database::new(first.db.owner_config(), first.db.app_role(), 4).unwrap();
    let second = TestApp::serve_with(first.db.clone_handle(), database, config, None).await;
    first.register("ann@example.com", PASSWORD).await;
    for app in [&first, &second, &first] {
        let r = app.login("ann@example.com", "wrong wrong wrong").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = second.login("ann@example.com", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{:?}", r.body);
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));

    first.register("bob@example.com", PASSWORD).await;
    let cookie = second
        .login("bob@example.com", PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    let me = first.get("/api/v1/me", &As::Cookie(cookie)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["email"], "bob@example.com");
}

/// A compressed request body is refused naming its coding (415 with `Accept-Encoding:
/// identity`), on JSON routes and the archive import alike, and writes nothing; an unknown
/// caller still gets its 401 first.
#[tokio::test]
async fn compressed_bodies_are_415_naming_the_coding() {
    use std::io::Write;
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let f = food(&app, &ann).await;
    let entry = json!({"food_item_id": f, "quantity": 1, "unit": "slice", "meal_type": "lunch"});
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(entry.to_string().as_bytes()).unwrap();
    let gzipped = gz.finish().unwrap();
    let key = key(&app, &ann).await;
    let send = |path: &str, content_type: &str, coding: &str, bearer: &str| {
        app.client
            .post(format!("{}{path}", app.base))
            .bearer_auth(bearer)
            .header("content-type", content_type)
            .header("content-encoding", coding)
            .body(gzipped.clone())
            .send()
    };
    for coding in ["gzip", "identity, br", "x-custom"] {
        let r = send("/api/v1/diary", "application/json", coding, &key)
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{coding}");
        assert_eq!(r.headers()["accept-encoding"], "identity");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unsupported_media_type");
        let message = body["error"]["message"].as_str().unwrap();
        let named = coding.rsplit(", ").next().unwrap();
        assert!(message.contains(named), "{message}");
    }
    let r = send("/api/v1/import", "application/gzip", "gzip", &key)
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = send(
        "/api/v1/diary",
        "application/json",
        "gzip",
        "sparky_made_up",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(count(&app, "SELECT count(*) FROM food_diary").await, 0);
    // `identity` is no coding at all: the body is read.
    let r = app
        .client
        .post(format!("{}/api/v1/diary", app.base))
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .header("content-encoding", "identity")
        .body(entry.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
}

/// Many requests logging onto an almost full day at once: the day ends at exactly 300
/// entries and the rest are 422s (two requests used to both see room; a probe reached 302).
#[tokio::test]
async fn a_day_limit_holds_under_concurrent_logging() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let r = app
        .post(
            "/api/v1/diary/quick-add",
            &ann,
            json!({"name": "Tea", "meal_type": "snack", "date": "2026-03-02", "nutrients": {"calories": 1}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let owner = app.db.owner_client().await;
    owner
        .execute(
            "INSERT INTO food_diary (user_id, quantity, unit, meal_type, consumed_at, entry_date, food_name, calories)
             SELECT d.user_id, 1, 'serving', 'snack', d.consumed_at, d.entry_date, 'Tea', 1
             FROM food_diary d, generate_series(1, 289)",
            &[],
        )
        .await
        .unwrap();
    let sends = (0..30).map(|_| {
        app.post(
            "/api/v1/diary/quick-add",
            &ann,
            json!({"name": "Tea", "meal_type": "snack", "date": "2026-03-02", "nutrients": {"calories": 1}}),
        )
    });
    let answers = futures::future::join_all(sends).await;
    let created = answers
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    for r in &answers {
        assert!(
            matches!(
                r.status,
                StatusCode::CREATED | StatusCode::UNPROCESSABLE_ENTITY
            ),
            "{:?}: {:?}",
            r.status,
            r.body
        );
    }
    assert_eq!(created, 10);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM food_diary WHERE entry_date = '2026-03-02'"
        )
        .await,
        300
    );
    common::assert_day_totals_match_diary(&app).await;
}

/// A diary entry or workout given both a date and a time must agree in the diary's timezone:
/// otherwise 422 on the time and nothing is stored (it was stored with both, counting on one
/// day while saying it happened on another).
#[tokio::test]
async fn a_date_and_a_time_on_different_days_are_refused() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let r = app
        .put(
            "/api/v1/preferences",
            &ann,
            json!({"timezone": "America/New_York"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let quick = |date: &str, at: &str| {
        json!({"meal_type": "snack", "name": "Egg", "nutrients": {"calories": 70},
               "date": date, "consumed_at": at})
    };
    // Noon on the 2nd in New York is the 2nd, not the 3rd.
    let r = app
        .post(
            "/api/v1/diary/quick-add",
            &ann,
            quick("2026-12-03", "2026-12-02T12:00:00-05:00"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let message = r.body["error"]["fields"]["consumed_at"].to_string();
    assert!(message.contains("2026-12-02"), "{message}");
    // 02:00 UTC on the 3rd is still the evening of the 2nd there: the same day, accepted.
    let r = app
        .post(
            "/api/v1/diary/quick-add",
            &ann,
            quick("2026-12-02", "2026-12-03T02:00:00Z"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let day3 = app.get("/api/v1/diary/2026-12-03", &ann).await;
    assert!(!day3.body.to_string().contains("Egg"), "{:?}", day3.body);

    let e = app
        .post(
            "/api/v1/exercises",
            &ann,
            json!({"name": "Rowing", "category": "cardio", "met_value": 7}),
        )
        .await;
    let workout = |date: &str, at: &str| {
        json!({"exercise_id": e.body["id"], "duration_minutes": 30,
               "date": date, "performed_at": at})
    };
    let r = app
        .post(
            "/api/v1/workouts",
            &ann,
            workout("2026-12-03", "2026-12-02T12:00:00-05:00"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(
        r.body["error"]["fields"]["performed_at"]
            .to_string()
            .contains("2026-12-02"),
        "{:?}",
        r.body
    );
    let r = app
        .post(
            "/api/v1/workouts",
            &ann,
            workout("2026-12-02", "2026-12-02T12:00:00-05:00"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let days = app
        .get("/api/v1/workouts?from=2026-12-01&to=2026-12-04", &ann)
        .await;
    assert_eq!(days.status, StatusCode::OK, "{:?}", days.body);
    assert_eq!(
        days.body.to_string().matches("Rowing").count(),
        1,
        "{:?}",
        days.body
    );
}

/// An entry dated the first or last day Sparky keeps gets noon there as its time, and that
/// time can be sent back (it was refused as outside the range). A time alone counts by its
/// day in the diary's timezone: 05:00 UTC on 2200-01-01 is refused in UTC, with nothing
/// stored, and is New Year's Eve 2199 in Los Angeles.
#[tokio::test]
async fn times_at_the_ends_of_the_range_go_by_the_diary_timezone() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let exercise = app
        .post(
            "/api/v1/exercises",
            &ann,
            json!({"name": "Rowing", "category": "cardio", "met_value": 7}),
        )
        .await;
    assert_eq!(exercise.status, StatusCode::CREATED, "{:?}", exercise.body);
    for date in ["1900-01-01", "2199-12-31"] {
        let kinds = [
            (
                "/api/v1/diary/quick-add",
                "/api/v1/diary",
                "consumed_at",
                json!({"meal_type": "snack", "name": "Egg", "nutrients": {"calories": 70},
                       "date": date}),
            ),
            (
                "/api/v1/measurements",
                "/api/v1/measurements",
                "measured_at",
                json!({"type": "waist", "value": 80, "date": date}),
            ),
            (
                "/api/v1/workouts",
                "/api/v1/workouts",
                "performed_at",
                json!({"exercise_id": exercise.body["id"], "duration_minutes": 30, "date": date}),
            ),
        ];
        for (create, item, field, body) in kinds {
            let r = app.post(create, &ann, body).await;
            assert_eq!(
                r.status,
                StatusCode::CREATED,
                "{create} {date}: {:?}",
                r.body
            );
            let at = r.body[field].as_str().unwrap().to_string();
            assert!(at.starts_with(&format!("{date}T12:00")), "{field} {at}");
            let path = format!("{item}/{}", r.body["id"].as_str().unwrap());
            let back = app.put(&path, &ann, json!({ field: at })).await;
            assert_eq!(back.status, StatusCode::OK, "{path} {at}: {:?}", back.body);
            assert_eq!(back.body["date"], date, "{:?}", back.body);
            let both = app
                .put(&path, &ann, json!({ field: at, "date": date }))
                .await;
            assert_eq!(both.status, StatusCode::OK, "{path}: {:?}", both.body);
        }
    }
    let rows = "SELECT (SELECT count(*) FROM food_diary) + (SELECT count(*) FROM measurements)
                + (SELECT count(*) FROM exercise_diary)";
    let before = count(&app, rows).await;
    for (create, field, body) in [
        (
            "/api/v1/diary/quick-add",
            "consumed_at",
            json!({"meal_type": "snack", "name": "Egg", "nutrients": {"calories": 70},
                   "consumed_at": "2200-01-01T05:00:00Z"}),
        ),
        (
            "/api/v1/measurements",
            "measured_at",
            json!({"type": "waist", "value": 80, "measured_at": "1899-12-31T23:00:00Z"}),
        ),
        (
            "/api/v1/workouts",
            "performed_at",
            json!({"exercise_id": exercise.body["id"], "duration_minutes": 30,
                   "performed_at": "2200-01-01T05:00:00Z"}),
        ),
    ] {
        let r = app.post(create, &ann, body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{create}: {:?}",
            r.body
        );
        let message = r.body["error"]["fields"][field]
            .as_str()
            .unwrap_or_default();
        assert!(
            message.contains("in the diary's timezone")
                && message.contains("1900-01-01 to 2199-12-31"),
            "{create}: {:?}",
            r.body
        );
    }
    // A day past the range in every timezone is refused by its shape, like 9999.
    let r = app
        .post(
            "/api/v1/measurements",
            &ann,
            json!({"type": "waist", "value": 80, "measured_at": "2200-01-02T12:00:00Z"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(
        count(&app, rows).await,
        before,
        "nothing refused was stored"
    );

    let (_, bob) = app.user("bob@example.com").await;
    let r = app
        .put(
            "/api/v1/preferences",
            &bob,
            json!({"timezone": "America/Los_Angeles"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .post(
            "/api/v1/diary/quick-add",
            &bob,
            json!({"meal_type": "snack", "name": "Egg", "nutrients": {"calories": 70},
                   "consumed_at": "2200-01-01T05:00:00Z"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["date"], "2199-12-31", "{:?}", r.body);
}

/// Changing an entry, workout or measurement holds a date and a time to one day as creating
/// does; a measurement is held to it on creation too. A quick add's quantity scales its
/// numbers (2 of a 300 kcal cake is 600 kcal), and another unit for it is refused.
#[tokio::test]
async fn changes_keep_dates_and_times_together_and_quick_adds_scale() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let r = app
        .put(
            "/api/v1/preferences",
            &ann,
            json!({"timezone": "Australia/Adelaide"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let cake = app
        .post(
            "/api/v1/diary/quick-add",
            &ann,
            json!({"meal_type": "snack", "name": "Cake", "nutrients": {"calories": 300, "fat": 15},
                   "date": "2026-07-01"}),
        )
        .await;
    assert_eq!(cake.status, StatusCode::CREATED, "{:?}", cake.body);
    let id = cake.body["id"].as_str().unwrap().to_string();
    let r = app
        .put(
            &format!("/api/v1/diary/{id}"),
            &ann,
            json!({"date": "2026-05-09", "consumed_at": "2026-05-01T02:30:00Z"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(
        r.body["error"]["fields"]["consumed_at"].is_string(),
        "{:?}",
        r.body
    );
    let r = app
        .put(&format!("/api/v1/diary/{id}"), &ann, json!({"quantity": 2}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["nutrients"]["calories"], 600.0, "{:?}", r.body);
    assert_eq!(r.body["nutrients"]["fat"], 30.0, "{:?}", r.body);
    assert_eq!(r.body["date"], "2026-07-01", "{:?}", r.body);
    let summary = app.get("/api/v1/summary/2026-07-01", &ann).await;
    assert_eq!(
        summary.body["eaten"]["calories"], 600.0,
        "{:?}",
        summary.body
    );
    let r = app
        .put(
            &format!("/api/v1/diary/{id}"),
            &ann,
            json!({"unit": "g", "quantity": 50}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(
        r.body["error"]["fields"]["unit"].is_string(),
        "{:?}",
        r.body
    );

    // A measurement: refused on creation and on change.
    let r = app
        .post(
            "/api/v1/measurements",
            &ann,
            json!({"type": "weight", "value": 81, "unit": "kg",
                   "measured_at": "2020-01-01T00:00:00Z", "date": "2026-07-03"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(
        r.body["error"]["fields"]["measured_at"].is_string(),
        "{:?}",
        r.body
    );
    let m = app
        .post(
            "/api/v1/measurements",
            &ann,
            json!({"type": "weight", "value": 81, "unit": "kg", "date": "2026-07-03"}),
        )
        .await;
    assert_eq!(m.status, StatusCode::CREATED, "{:?}", m.body);
    let r = app
        .put(
            &format!("/api/v1/measurements/{}", m.body["id"].as_str().unwrap()),
            &ann,
            json!({"date": "2026-12-03", "measured_at": "2026-06-01T02:00:00Z"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);

    // A workout's change.
    let e = app
        .post(
            "/api/v1/exercises",
            &ann,
            json!({"name": "Rowing", "category": "cardio", "met_value": 7}),
        )
        .await;
    let w = app
        .post(
            "/api/v1/workouts",
            &ann,
            json!({"exercise_id": e.body["id"], "duration_minutes": 30, "date": "2026-07-01"}),
        )
        .await;
    assert_eq!(w.status, StatusCode::CREATED, "{:?}", w.body);
    let r = app
        .put(
            &format!("/api/v1/workouts/{}", w.body["id"].as_str().unwrap()),
            &ann,
            json!({"date": "2026-12-05", "performed_at": "2026-05-01T02:00:00Z"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(
        r.body["error"]["fields"]["performed_at"].is_string(),
        "{:?}",
        r.body
    );
}

/// Moving an entry to another day keeps its clock time in the diary's timezone, across a
/// change from summer time (Adelaide left it on 5 April 2026); it added 24 h days in UTC.
#[tokio::test]
async fn a_moved_entry_keeps_its_clock_time_across_summer_time() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let r = app
        .put(
            "/api/v1/preferences",
            &ann,
            json!({"timezone": "Australia/Adelaide"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .post(
            "/api/v1/diary/quick-add",
            &ann,
            json!({"meal_type": "snack", "name": "Tea", "nutrients": {"calories": 5},
                   "date": "2026-04-04", "consumed_at": "2026-04-04T23:45:00+10:30"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    let moved = app
        .put(
            &format!("/api/v1/diary/{id}"),
            &ann,
            json!({"date": "2026-04-06"}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(moved.body["date"], "2026-04-06");
    // 23:45 at +09:30 is 14:15 UTC.
    let at = moved.body["consumed_at"].as_str().unwrap();
    assert!(at.starts_with("2026-04-06T14:15:00"), "{at}");
    // Copied back to the 4th, it is 23:45 at +10:30 again.
    let r = app
        .post(
            "/api/v1/diary/copy",
            &ann,
            json!({"from_date": "2026-04-06", "to_date": "2026-04-03"}),
        )
        .await;
    assert!(r.status.is_success(), "{:?}", r.body);
    let day = app.get("/api/v1/diary/2026-04-03", &ann).await;
    let copied = day.body.to_string();
    assert!(copied.contains("2026-04-03T13:15:00"), "{copied}");
}

/// Refusals of a body's or path's shape are in words, under the field a client has: a missing
/// field is that field's ("meal_type: is required", not "body"), a wrong number kind says
/// "whole number", a bad id is "id" and "must be an id".
#[tokio::test]
async fn shape_refusals_speak_plainly() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let cases: [(&str, &str, Value, &str, &str); 5] = [
        (
            "PUT",
            "/api/v1/preferences",
            json!({"exercise_eat_back_percent": 50.5}),
            "exercise_eat_back_percent",
            "must be a whole number",
        ),
        (
            "PUT",
            "/api/v1/preferences",
            json!({"exercise_eat_back_percent": 99_999_999_999_i64}),
            "exercise_eat_back_percent",
            "is too large",
        ),
        (
            "PUT",
            "/api/v1/preferences",
            json!([]),
            "body",
            "must be a JSON object",
        ),
        (
            "POST",
            "/api/v1/diary/quick-add",
            json!({"name": "x", "nutrients": {"calories": 5}}),
            "meal_type",
            "is required",
        ),
        (
            "POST",
            "/api/v1/diary",
            json!({"food_item_id": "abc", "quantity": 1, "meal_type": "snack"}),
            "food_item_id",
            "must be an id (a UUID)",
        ),
    ];
    for (method, path, body, field, said) in cases {
        let r = app
            .request(method.parse().unwrap(), path, &ann, Some(body.clone()))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            r.body
        );
        let text = r.body["error"]["fields"][field]
            .as_str()
            .unwrap_or_default();
        assert!(text.starts_with(said), "{body}: {:?}", r.body);
        assert!(!r.body.to_string().contains("i16"), "{:?}", r.body);
    }
    let r = app.delete("/api/v1/diary/not-an-id", &ann).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(r.body["error"]["fields"]["id"].is_string(), "{:?}", r.body);
    assert!(!r.body.to_string().contains("\"key\""), "{:?}", r.body);
}
