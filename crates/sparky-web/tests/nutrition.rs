//! Foods and the food diary, black-box over HTTP against a real database.

mod common;

use common::{As, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn oats() -> Value {
    json!({
        "name": "Rolled oats", "brand": "Acme", "barcode": "036000291452",
        "servings": [
            {"size": 100, "unit": "g", "nutrients": {"calories": 379, "protein": 13.15, "carbohydrates": 67.7, "fat": 6.52, "fiber": 10.1, "sodium": 6, "iron": 4.25}},
            {"size": 1, "unit": "cup", "weight_g": 81, "nutrients": {"calories": 307, "protein": 10.65}}
        ]
    })
}

async fn create_food(app: &TestApp, who: &As, body: Value) -> Value {
    let r = app.post("/api/v1/foods", who, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body
}

#[tokio::test]
async fn food_crud_and_validation() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let food = create_food(&app, &ann, oats()).await;
    let id = food["id"].as_str().unwrap();
    assert_eq!(
        food["barcode"], "0036000291452",
        "UPC-A stored in its EAN-13 form"
    );
    assert_eq!(food["servings"].as_array().unwrap().len(), 2);
    assert_eq!(food["servings"][0]["is_default"], true);
    assert_eq!(food["servings"][0]["nutrients"]["protein"], 13.15);
    assert_eq!(food["servings"][1]["description"], "1 cup (81 g)");

    let got = app.get(&format!("/api/v1/foods/{id}"), &ann).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["name"], "Rolled oats");

    let mut changed = oats();
    changed["name"] = json!("Porridge oats");
    let put = app.put(&format!("/api/v1/foods/{id}"), &ann, changed).await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    assert_eq!(put.body["name"], "Porridge oats");
    // Servings whose size and unit stay keep their ids (recipes and plans point at them; they
    // fell back to the default serving); a changed one is new, a dropped one gone.
    let ids = |v: &Value| -> Vec<String> {
        v["servings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&put.body), ids(&food), "{:?}", put.body);
    let mut edited = oats();
    edited["servings"][1]["nutrients"]["calories"] = json!(310);
    edited["servings"][0] = json!({"size": 50, "unit": "g", "nutrients": {"calories": 190}});
    let put = app.put(&format!("/api/v1/foods/{id}"), &ann, edited).await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    let now = ids(&put.body);
    assert_eq!(now.len(), 2);
    let cup = put.body["servings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["unit"] == "cup")
        .unwrap();
    assert_eq!(cup["id"].as_str().unwrap(), ids(&food)[1], "{:?}", put.body);
    assert_eq!(cup["nutrients"]["calories"], 310.0);
    assert!(
        !now.contains(&ids(&food)[0]),
        "100 g is gone: {:?}",
        put.body
    );
    assert_eq!(
        put.body["servings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["is_default"] == true)
            .count(),
        1
    );

    for (body, field) in [
        (
            json!({"name": "", "servings": [{"size": 1, "unit": "g"}]}),
            "name",
        ),
        (json!({"name": "x", "servings": []}), "servings"),
        // A serving measured by weight weighs what it says.
        (
            json!({"name": "x", "servings": [{"size": 1, "unit": "kg", "weight_g": 500}]}),
            "servings[0].weight_g",
        ),
        (
            json!({"name": "x", "barcode": "036000291453", "servings": [{"size": 1, "unit": "g"}]}),
            "barcode",
        ),
        (
            json!({"name": "x", "servings": [{"size": 0, "unit": "g"}]}),
            "servings[0].size",
        ),
        (
            json!({"name": "x", "servings": [{"size": 1, "unit": "g", "nutrients": {"fat": -1}}]}),
            "servings[0].nutrients.fat",
        ),
        (
            json!({"name": "x", "servings": [{"size": 1, "unit": "g", "nutrients": {"colour": 1}}]}),
            "servings[0].nutrients.colour",
        ),
    ] {
        let r = app.post("/api/v1/foods", &ann, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            r.body
        );
        assert!(
            r.body["error"]["fields"].get(field).is_some(),
            "{field}: {:?}",
            r.body
        );
    }

    // Another user cannot see, change or delete it.
    let (_, bob) = app.user("bob@example.com").await;
    assert_eq!(
        app.get(&format!("/api/v1/foods/{id}"), &bob).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.put(&format!("/api/v1/foods/{id}"), &bob, oats())
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&format!("/api/v1/foods/{id}"), &bob)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&format!("/api/v1/foods/{id}"), &ann)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&format!("/api/v1/foods/{id}"), &ann).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn search_ranks_exact_and_prefix_first_tolerates_typos_and_pages() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    for (name, brand) in [
        ("Banana bread", Some("Bakery")),
        ("Banana", None),
        ("Banana chips", Some("Crunchy")),
        ("Dried banana", None),
        ("Apple", None),
    ] {
        create_food(
            &app,
            &ann,
            json!({"name": name, "brand": brand, "servings": [{"size": 100, "unit": "g", "nutrients": {"calories": 89}}]}),
        )
        .await;
    }
    let r = app.get("/api/v1/foods?q=banana", &ann).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let names: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "Banana", "{names:?}");
    assert!(
        names.iter().position(|n| *n == "Dried banana").unwrap()
            > names.iter().position(|n| *n == "Banana chips").unwrap()
    );
    assert!(!names.contains(&"Apple"));

    let typo = app.get("/api/v1/foods?q=bananna", &ann).await;
    let names: Vec<&str> = typo.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Banana"), "typo-tolerant: {names:?}");

    let brand = app.get("/api/v1/foods?q=crunchy", &ann).await;
    assert_eq!(
        brand.body["items"][0]["name"], "Banana chips",
        "brand is searched"
    );

    let page1 = app.get("/api/v1/foods?q=banana&limit=2", &ann).await;
    assert_eq!(page1.body["items"].as_array().unwrap().len(), 2);
    let cursor = page1.body["next_cursor"].as_str().unwrap().to_string();
    let page2 = app
        .get(
            &format!("/api/v1/foods?q=banana&limit=2&cursor={cursor}"),
            &ann,
        )
        .await;
    assert_eq!(page2.status, StatusCode::OK);
    let first: Vec<&Value> = page1.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["id"])
        .collect();
    for f in page2.body["items"].as_array().unwrap() {
        assert!(!first.contains(&&f["id"]), "pages do not overlap");
    }
    assert_eq!(
        app.get("/api/v1/foods?limit=1000", &ann).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.get("/api/v1/foods?cursor=zzz", &ann).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Another user's foods are not in my results.
    let (_, bob) = app.user("bob@example.com").await;
    assert!(app.get("/api/v1/foods?q=banana", &bob).await.body["items"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn recently_logged_foods_rank_first_within_their_tier() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let mut ids = Vec::new();
    for name in ["Greek yogurt", "Yogurt drink"] {
        ids.push(
            create_food(
                &app,
                &ann,
                json!({"name": name, "servings": [{"size": 100, "unit": "g"}]}),
            )
            .await["id"]
                .clone(),
        );
    }
    let before = app.get("/api/v1/foods?q=yog", &ann).await;
    assert_eq!(
        before.body["items"][0]["name"], "Yogurt drink",
        "prefix match first"
    );
    // Log the greek yogurt; among substring matches it now leads.
    let r = app
        .post(
            "/api/v1/diary",
            &ann,
            json!({"food_item_id": ids[0], "quantity": 150, "unit": "g", "meal_type": "breakfast"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let after = app.get("/api/v1/foods?q=gurt", &ann).await;
    assert_eq!(
        after.body["items"][0]["name"], "Greek yogurt",
        "{:?}",
        after.body
    );
}

#[tokio::test]
async fn diary_totals_are_exact_and_grouped_by_meal() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let food = create_food(&app, &ann, oats()).await;
    let id = food["id"].clone();
    let cup = food["servings"][1]["id"].clone();
    let log = |body: Value| {
        let app = &app;
        let ann = ann.clone();
        async move { app.post("/api/v1/diary", &ann, body).await }
    };
    let a = log(json!({"food_item_id": id, "quantity": 40, "unit": "g", "meal_type": "breakfast", "date": "2026-03-01"})).await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    assert_eq!(
        a.body["nutrients"]["calories"], 151.6,
        "40 g of 379 kcal/100 g"
    );
    assert_eq!(a.body["servings"], 0.4);
    let b = log(json!({"food_item_id": id, "quantity": 1.5, "unit": "oz", "meal_type": "snack", "date": "2026-03-01"})).await;
    assert_eq!(b.status, StatusCode::CREATED);
    // 1.5 oz = 42.5242846875 g → 161.1670389656 kcal → stored 161.167
    assert_eq!(b.body["nutrients"]["calories"], 161.167);
    let c = log(json!({"food_item_id": id, "nutrition_data_id": cup, "quantity": 2, "unit": "serving", "meal_type": "breakfast", "date": "2026-03-01"})).await;
    assert_eq!(c.body["nutrients"]["calories"], 614.0);
    let d = log(json!({"food_item_id": id, "nutrition_data_id": cup, "quantity": 0.5, "unit": "cup", "meal_type": "dinner", "date": "2026-03-01"})).await;
    assert_eq!(d.body["nutrients"]["calories"], 153.5);
    // Grams against a "cup" serving use its weight: 40.5 g = half a cup.
    let e = log(json!({"food_item_id": id, "nutrition_data_id": cup, "quantity": 40.5, "unit": "g", "meal_type": "dinner", "date": "2026-03-01"})).await;
    assert_eq!(e.body["nutrients"]["calories"], 153.5);

    let day = app.get("/api/v1/diary/2026-03-01", &ann).await;
    assert_eq!(day.status, StatusCode::OK, "{:?}", day.body);
    let meals: Vec<&str> = day.body["meals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["meal_type"].as_str().unwrap())
        .collect();
    assert_eq!(meals, ["breakfast", "lunch", "dinner", "snack"]);
    assert_eq!(day.body["meals"][0]["entries"].as_array().unwrap().len(), 2);
    assert_eq!(day.body["meals"][1]["entries"].as_array().unwrap().len(), 0);
    assert_eq!(day.body["meals"][0]["totals"]["calories"], 765.6);
    assert_eq!(
        day.body["totals"]["calories"], 1233.767,
        "151.6 + 161.167 + 614 + 153.5 + 153.5"
    );
    // Iron only known for the 100 g serving: totals add the known values.
    assert_eq!(
        day.body["totals"]["iron"], 3.5073,
        "1.7 + 1.8073 (unrounded 1.80728...)"
    );
    // The sum of the meal totals is the day total, nutrient by nutrient.
    let totals = &day.body["totals"];
    for (k, v) in totals.as_object().unwrap() {
        let sum: f64 = day.body["meals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["totals"][k].as_f64().unwrap_or(0.0))
            .sum();
        assert!((sum - v.as_f64().unwrap()).abs() < 1e-9, "{k}");
    }

    for (body, field) in [
        (
            json!({"food_item_id": id, "quantity": 0, "unit": "g", "meal_type": "lunch"}),
            "quantity",
        ),
        (
            json!({"food_item_id": id, "quantity": -3, "unit": "g", "meal_type": "lunch"}),
            "quantity",
        ),
        (
            json!({"food_item_id": id, "quantity": 1, "unit": "furlong", "meal_type": "lunch"}),
            "unit",
        ),
        (
            json!({"food_item_id": id, "quantity": 1, "unit": "slice", "meal_type": "lunch"}),
            "unit",
        ),
        (
            json!({"food_item_id": id, "quantity": 1, "unit": "g", "meal_type": "brunch"}),
            "meal_type",
        ),
        (
            json!({"food_item_id": id, "quantity": 1, "unit": "g", "meal_type": "lunch", "date": "2026-02-30"}),
            "date",
        ),
    ] {
        let r = app.post("/api/v1/diary", &ann, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            r.body
        );
        assert!(
            r.body["error"]["fields"].get(field).is_some(),
            "{field}: {:?}",
            r.body
        );
    }
    assert_eq!(
        app.get("/api/v1/diary/2026-13-01", &ann).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let missing = app
        .post("/api/v1/diary", &ann, json!({"food_item_id": uuid::Uuid::new_v4(), "quantity": 1, "unit": "g", "meal_type": "lunch"}))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn edits_and_deletes_of_foods_never_rewrite_history() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let food = create_food(&app, &ann, oats()).await;
    let id = food["id"].as_str().unwrap().to_string();
    let entry = app
        .post("/api/v1/diary", &ann, json!({"food_item_id": id, "quantity": 50, "unit": "g", "meal_type": "lunch", "date": "2026-03-02"}))
        .await;
    let entry_id = entry.body["id"].as_str().unwrap().to_string();
    let mut changed = oats();
    changed["name"] = json!("Renamed");
    changed["servings"][0]["nutrients"]["calories"] = json!(999);
    app.put(&format!("/api/v1/foods/{id}"), &ann, changed).await;
    let day = app.get("/api/v1/diary/2026-03-02", &ann).await;
    assert_eq!(
        day.body["meals"][1]["entries"][0]["food_name"],
        "Rolled oats"
    );
    assert_eq!(day.body["totals"]["calories"], 189.5);

    // Editing the quantity rescales from the snapshot, not the food's new values.
    let put = app
        .put(
            &format!("/api/v1/diary/{entry_id}"),
            &ann,
            json!({"quantity": 100}),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    assert_eq!(put.body["nutrients"]["calories"], 379.0);
    let moved = app
        .put(
            &format!("/api/v1/diary/{entry_id}"),
            &ann,
            json!({"meal_type": "dinner", "date": "2026-03-03"}),
        )
        .await;
    assert_eq!(moved.body["date"], "2026-03-03");
    assert_eq!(moved.body["meal_type"], "dinner");
    assert_eq!(moved.body["nutrients"]["calories"], 379.0);

    assert_eq!(
        app.delete(&format!("/api/v1/foods/{id}"), &ann)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let day = app.get("/api/v1/diary/2026-03-03", &ann).await;
    let e = &day.body["meals"][2]["entries"][0];
    assert_eq!(e["food_name"], "Rolled oats");
    assert!(e["food_item_id"].is_null());
    assert_eq!(day.body["totals"]["calories"], 379.0);
    // Still editable after the food is gone.
    let put = app
        .put(
            &format!("/api/v1/diary/{entry_id}"),
            &ann,
            json!({"quantity": 200, "unit": "g"}),
        )
        .await;
    assert_eq!(put.body["nutrients"]["calories"], 758.0, "{:?}", put.body);
    assert_eq!(
        app.delete(&format!("/api/v1/diary/{entry_id}"), &ann)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.delete(&format!("/api/v1/diary/{entry_id}"), &ann)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn copy_a_meal_or_a_day_and_recent_foods() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let food = create_food(&app, &ann, oats()).await;
    let id = food["id"].clone();
    for meal in ["breakfast", "breakfast", "lunch"] {
        app.post("/api/v1/diary", &ann, json!({"food_item_id": id, "quantity": 40, "unit": "g", "meal_type": meal, "date": "2026-04-01"}))
            .await;
    }
    let meal = app
        .post(
            "/api/v1/diary/copy",
            &ann,
            json!({"from_date": "2026-04-01", "to_date": "2026-04-02", "meal_type": "breakfast"}),
        )
        .await;
    assert_eq!(meal.status, StatusCode::CREATED, "{:?}", meal.body);
    assert_eq!(meal.body["copied"], 2);
    let day = app
        .post(
            "/api/v1/diary/copy",
            &ann,
            json!({"from_date": "2026-04-01", "to_date": "2026-04-03"}),
        )
        .await;
    assert_eq!(day.body["copied"], 3);
    let d3 = app.get("/api/v1/diary/2026-04-03", &ann).await;
    assert_eq!(d3.body["totals"]["calories"], 454.8);
    assert!(d3.body["meals"][0]["entries"][0]["consumed_at"]
        .as_str()
        .unwrap()
        .starts_with("2026-04-03"));

    let recent = app.get("/api/v1/diary/recent", &ann).await;
    assert_eq!(recent.status, StatusCode::OK, "{:?}", recent.body);
    let items = recent.body.as_array().unwrap();
    assert_eq!(items.len(), 1, "one food, however often logged");
    assert_eq!(items[0]["times_logged"], 8);
    assert_eq!(items[0]["last_quantity"], 40.0);
}

#[tokio::test]
async fn retried_logging_with_an_idempotency_key_logs_once() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let food = create_food(&app, &ann, oats()).await;
    let body = json!({"food_item_id": food["id"], "quantity": 40, "unit": "g", "meal_type": "lunch", "date": "2026-05-01"});
    let As::Cookie(cookie) = &ann else {
        unreachable!()
    };
    let send = || {
        app.client
            .post(format!("{}/api/v1/diary", app.base))
            .header("cookie", format!("sparky_session={cookie}"))
            .header("origin", app.origin())
            .header("idempotency-key", "tap-123")
            .json(&body)
            .send()
    };
    // A double tap: two requests at once, then a late retry.
    let (r1, r2) = tokio::join!(send(), send());
    let (r1, r2) = (r1.unwrap(), r2.unwrap());
    assert_eq!(r1.status(), StatusCode::CREATED);
    assert_eq!(r2.status(), StatusCode::CREATED);
    let (b1, b2): (Value, Value) = (r1.json().await.unwrap(), r2.json().await.unwrap());
    assert_eq!(b1["id"], b2["id"]);
    let b3: Value = send().await.unwrap().json().await.unwrap();
    assert_eq!(b1["id"], b3["id"]);
    let day = app.get("/api/v1/diary/2026-05-01", &ann).await;
    assert_eq!(day.body["meals"][1]["entries"].as_array().unwrap().len(), 1);
    // A different key logs again.
    let other = app
        .client
        .post(format!("{}/api/v1/diary", app.base))
        .header("cookie", format!("sparky_session={cookie}"))
        .header("origin", app.origin())
        .header("idempotency-key", "tap-124")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::CREATED);
    assert_eq!(
        app.get("/api/v1/diary/2026-05-01", &ann).await.body["meals"][1]["entries"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

/// A diary day is a calendar date in the diary owner's timezone.
#[tokio::test]
async fn entries_near_midnight_land_on_the_local_day() {
    let app = TestApp::spawn().await;
    let food_body = json!({"name": "Toast", "servings": [{"size": 1, "unit": "slice", "weight_g": 28, "nutrients": {"calories": 75}}]});
    for (email, tz, consumed_at, expected_day) in [
        // UTC+13 (Auckland in November, daylight time): 11:30 UTC is 00:30 the next day.
        (
            "nz@example.com",
            "Pacific/Auckland",
            "2026-11-24T11:30:00Z",
            "2026-11-25",
        ),
        // UTC−10 (Honolulu): 08:00 UTC is 22:00 the previous day.
        (
            "hi@example.com",
            "Pacific/Honolulu",
            "2026-11-25T08:00:00Z",
            "2026-11-24",
        ),
        // New York, the night the clocks spring forward (8 March 2026): 04:30 UTC is
        // 23:30 EST on the 7th; 05:30 UTC is 00:30 EST on the 8th.
        (
            "ny1@example.com",
            "America/New_York",
            "2026-03-08T04:30:00Z",
            "2026-03-07",
        ),
        (
            "ny2@example.com",
            "America/New_York",
            "2026-03-08T05:30:00Z",
            "2026-03-08",
        ),
        // ... and after the switch (EDT, UTC−4): 03:59 UTC on the 9th is 23:59 on the 8th.
        (
            "ny3@example.com",
            "America/New_York",
            "2026-03-09T03:59:00Z",
            "2026-03-08",
        ),
    ] {
        let (_, who) = app.user(email).await;
        assert_eq!(
            app.put("/api/v1/preferences", &who, json!({"timezone": tz}))
                .await
                .status,
            StatusCode::OK
        );
        let food = create_food(&app, &who, food_body.clone()).await;
        let r = app
            .post("/api/v1/diary", &who, json!({"food_item_id": food["id"], "quantity": 2, "unit": "serving", "meal_type": "snack", "consumed_at": consumed_at}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        assert_eq!(r.body["date"], expected_day, "{tz} {consumed_at}");
        let day = app
            .get(&format!("/api/v1/diary/{expected_day}"), &who)
            .await;
        assert_eq!(day.body["totals"]["calories"], 150.0, "{tz}");
    }
}

#[tokio::test]
async fn family_access_on_the_diary() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let (_, cat) = app.user("cat@example.com").await;
    let food = create_food(&app, &ann, oats()).await;
    let r = app.post("/api/v1/diary", &ann, json!({"food_item_id": food["id"], "quantity": 40, "unit": "g", "meal_type": "lunch", "date": "2026-06-01"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let day_path = format!("/api/v1/diary/2026-06-01?user_id={ann_id}");
    // No grant: nothing.
    assert_eq!(app.get(&day_path, &bob).await.status, StatusCode::NOT_FOUND);

    // reports: read only.
    app.post(
        "/api/v1/family-access",
        &ann,
        json!({"grantee_email": "bob@example.com", "access_type": "reports"}),
    )
    .await;
    let seen = app.get(&day_path, &bob).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert_eq!(seen.body["totals"]["calories"], 151.6, "{:?}", seen.body);
    let entry_id = seen.body["meals"][1]["entries"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Bob cannot see Ann's private food, so he logs one of his own into her diary.
    let bob_food = create_food(&app, &bob, json!({"name": "Bob's bar", "servings": [{"size": 1, "unit": "serving", "nutrients": {"calories": 200}}]})).await;
    let write = app
        .post(&format!("/api/v1/diary?user_id={ann_id}"), &bob, json!({"food_item_id": bob_food["id"], "quantity": 1, "unit": "serving", "meal_type": "snack", "date": "2026-06-01"}))
        .await;
    assert!(
        matches!(write.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{:?}",
        write.body
    );
    let edit = app
        .put(
            &format!("/api/v1/diary/{entry_id}"),
            &bob,
            json!({"quantity": 400}),
        )
        .await;
    assert_eq!(edit.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.delete(&format!("/api/v1/diary/{entry_id}"), &bob)
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // calorie: may log for Ann.
    app.post(
        "/api/v1/family-access",
        &ann,
        json!({"grantee_email": "bob@example.com", "access_type": "calorie"}),
    )
    .await;
    let write = app
        .post(&format!("/api/v1/diary?user_id={ann_id}"), &bob, json!({"food_item_id": bob_food["id"], "quantity": 1, "unit": "serving", "meal_type": "snack", "date": "2026-06-01"}))
        .await;
    assert_eq!(write.status, StatusCode::CREATED, "{:?}", write.body);
    assert_eq!(write.body["user_id"], ann_id);
    assert_eq!(
        app.get("/api/v1/diary/2026-06-01", &ann).await.body["totals"]["calories"],
        351.6
    );
    // Ann cannot see Bob's bar, yet the entry is in her diary: she may change it and copy
    // the day (with the bar's link kept), and her edit still may not point at his food anew.
    let bars_entry = write.body["id"].as_str().unwrap().to_string();
    let edit = app
        .put(
            &format!("/api/v1/diary/{bars_entry}"),
            &ann,
            json!({"quantity": 2}),
        )
        .await;
    assert_eq!(edit.status, StatusCode::OK, "{:?}", edit.body);
    assert_eq!(edit.body["nutrients"]["calories"], 400.0, "{:?}", edit.body);
    let copied = app
        .post(
            "/api/v1/diary/copy",
            &ann,
            json!({"from_date": "2026-06-01", "to_date": "2026-06-02"}),
        )
        .await;
    assert_eq!(copied.status, StatusCode::CREATED, "{:?}", copied.body);
    assert_eq!(copied.body["copied"], 2, "{:?}", copied.body);
    assert_eq!(
        app.get("/api/v1/diary/2026-06-02", &ann).await.body["totals"]["calories"],
        551.6
    );
    let relink = app
        .put(
            &format!("/api/v1/diary/{entry_id}"),
            &ann,
            json!({"food_item_id": bob_food["id"]}),
        )
        .await;
    assert!(
        relink.status.is_client_error(),
        "{:?}: {:?}",
        relink.status,
        relink.body
    );
    common::assert_day_totals_match_diary(&app).await;

    // food_list: Cat sees Ann's foods in search; without it she does not.
    assert!(app.get("/api/v1/foods?q=oats", &cat).await.body["items"]
        .as_array()
        .unwrap()
        .is_empty());
    app.post(
        "/api/v1/family-access",
        &ann,
        json!({"grantee_email": "cat@example.com", "access_type": "food_list"}),
    )
    .await;
    let found = app.get("/api/v1/foods?q=oats", &cat).await;
    assert_eq!(found.body["items"][0]["name"], "Rolled oats");
    assert_eq!(
        app.get(&format!("/api/v1/foods?user_id={ann_id}"), &cat)
            .await
            .body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // ... but food_list is not the diary.
    assert_eq!(app.get(&day_path, &cat).await.status, StatusCode::NOT_FOUND);
}

/// Catalog words are indexed for prefix search (food_search_words, kept by triggers): a word
/// anywhere in the name or brand is found by its first letters, among many foods that merely
/// contain those letters; renaming and deleting keep the index current; users' own foods are
/// never in it (they are searched directly, under RLS).
#[tokio::test]
async fn catalog_words_are_found_by_prefix_and_follow_renames_and_deletes() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let owner = app.db.owner_client().await;
    // 300 catalog foods containing "bre" inside a word, and one with a word starting with it.
    owner
        .execute(
            "INSERT INTO food_items (name, brand, source, source_id)
             SELECT 'Umbrella snack ' || n, NULL, 'test', 'u' || n FROM generate_series(1, 300) n",
            &[],
        )
        .await
        .unwrap();
    let breast: uuid::Uuid = owner
        .query_one(
            "INSERT INTO food_items (name, brand, source, source_id)
             VALUES ('Chicken breast, roasted', 'Farm & Co.', 'test', 'b1') RETURNING id",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let words: Vec<String> = owner
        .query(
            "SELECT word FROM food_search_words WHERE food_item_id = $1 ORDER BY word",
            &[&breast],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(words, ["breast", "chicken", "co", "farm", "roasted"]);

    let names = |r: &common::Response| -> Vec<String> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect()
    };
    let r = app.get("/api/v1/foods?q=brea&limit=5", &ann).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(
        names(&r).contains(&"Chicken breast, roasted".to_string()),
        "{:?}",
        names(&r)
    );
    let r = app.get("/api/v1/foods?q=farm&limit=5", &ann).await;
    assert_eq!(names(&r), ["Chicken breast, roasted"], "found by its brand");

    owner
        .execute(
            "UPDATE food_items SET name = 'Turkey thigh' WHERE id = $1",
            &[&breast],
        )
        .await
        .unwrap();
    let r = app.get("/api/v1/foods?q=thig&limit=5", &ann).await;
    assert_eq!(names(&r), ["Turkey thigh"]);
    let stale: i64 = owner
        .query_one(
            "SELECT count(*) FROM food_search_words WHERE food_item_id = $1 AND word IN ('breast', 'chicken')",
            &[&breast],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stale, 0, "old words go with the old name");
    owner
        .execute("DELETE FROM food_items WHERE id = $1", &[&breast])
        .await
        .unwrap();
    let left: i64 = owner
        .query_one(
            "SELECT count(*) FROM food_search_words WHERE food_item_id = $1",
            &[&breast],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);

    // My own food is searchable but not in the shared word index.
    let mine = create_food(
        &app,
        &ann,
        json!({"name": "Breakfast bowl", "servings": [{"size": 1, "unit": "bowl", "nutrients": {"calories": 420}}]}),
    )
    .await;
    let r = app.get("/api/v1/foods?q=bowl", &ann).await;
    assert_eq!(names(&r), ["Breakfast bowl"]);
    let indexed: i64 = owner
        .query_one(
            "SELECT count(*) FROM food_search_words WHERE food_item_id = $1::text::uuid",
            &[&mine["id"].as_str().unwrap()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(indexed, 0);
}

/// Every query word must match, in any order, singular or plural, in the catalog (through
/// `food_search_candidates`) and in my own foods alike; the plain food comes first.
#[tokio::test]
async fn search_matches_all_words_in_any_order_and_puts_the_plain_food_first() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let owner = app.db.owner_client().await;
    for (i, name) in [
        "Cheese, ricotta, whole milk",
        "Milk, dry, whole, without added vitamin D",
        "Milk, whole, 3.25% milkfat, with added vitamin D",
        "Wholesome milky bar",
        "Milk, lowfat, fluid, 1% milkfat",
        "Buttermilk, wholegrain",
    ]
    .iter()
    .enumerate()
    {
        owner
            .execute(
                "INSERT INTO food_items (name, source, source_id) VALUES ($1, 'test', $2)",
                &[name, &format!("m{i}")],
            )
            .await
            .unwrap();
    }
    create_food(
        &app,
        &ann,
        json!({"name": "Eggs, scrambled, my way", "servings": [{"size": 1, "unit": "plate"}]}),
    )
    .await;
    let names = |q: &str| {
        let app = &app;
        let ann = &ann;
        let q = q.replace(' ', "%20");
        async move {
            let r = app.get(&format!("/api/v1/foods?q={q}"), ann).await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
            r.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["name"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    for q in ["whole milk", "milk whole", "Whole  Milk", "milk"] {
        let found = names(q).await;
        assert_eq!(
            found[0], "Milk, whole, 3.25% milkfat, with added vitamin D",
            "{q}: {found:?}"
        );
    }
    let found = names("whole milk").await;
    assert!(
        !found.contains(&"Milk, lowfat, fluid, 1% milkfat".to_string()),
        "{found:?}"
    );
    assert_eq!(
        found.last().unwrap(),
        "Buttermilk, wholegrain",
        "inside words after word starts: {found:?}"
    );
    assert_eq!(
        names("dry whole milk").await[0],
        "Milk, dry, whole, without added vitamin D"
    );
    assert_eq!(
        names("milk 1").await[0],
        "Milk, lowfat, fluid, 1% milkfat",
        "short words too (near misses follow)"
    );
    assert_eq!(
        names("egg").await,
        ["Eggs, scrambled, my way"],
        "plural and my own foods"
    );
    assert_eq!(names("scrambled eggs").await, ["Eggs, scrambled, my way"]);
}

/// Following `next_cursor` through a search lists every food once: every page is ranked from
/// the candidates and the mode (exact words, or broad with typos) the first page chose. They
/// used to be chosen per page, so pages repeated and skipped foods, and a typo's second page
/// was empty.
#[tokio::test]
async fn search_pages_list_every_food_once() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let owner = app.db.owner_client().await;
    owner
        .execute(
            "INSERT INTO food_items (name, source, source_id)
             SELECT format('Milk drink %s', i), 'test', format('milk-%s', i) FROM generate_series(1, 150) i
             UNION ALL
             SELECT format('Chicken dish %s', i), 'test', format('chicken-%s', i) FROM generate_series(1, 30) i",
            &[],
        )
        .await
        .unwrap();
    let pages = async |q: &str, limit: usize| {
        let mut ids: Vec<String> = Vec::new();
        let mut path = format!("/api/v1/foods?q={q}&limit={limit}");
        for _ in 0..100 {
            let r = app.get(&path, &ann).await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
            let items = r.body["items"].as_array().unwrap();
            assert!(items.len() <= limit);
            ids.extend(items.iter().map(|f| f["id"].as_str().unwrap().to_string()));
            match r.body["next_cursor"].as_str() {
                Some(c) => path = format!("/api/v1/foods?q={q}&limit={limit}&cursor={c}"),
                None => return ids,
            }
        }
        panic!("no end to the pages of {q}");
    };
    for (q, limit) in [("milk", 20), ("milk", 7), ("chiken", 10)] {
        let ids = pages(q, limit).await;
        let unique: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{q} by {limit}: a food came twice");
        assert!(
            ids.len() > limit,
            "{q} by {limit}: more than one page ({})",
            ids.len()
        );
    }
    // Small pages (up to 29 foods) rank the same candidates: the same foods in the same order.
    let by_20 = pages("milk", 20).await;
    let by_7 = pages("milk", 7).await;
    assert_eq!(by_7, by_20);
}

/// An entry of more than a million of a nutrient is a typo: a 422 naming the quantity, not a
/// 10-billion-kcal entry or "numeric field overflow".
#[tokio::test]
async fn an_absurd_amount_is_refused_naming_the_quantity() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let food = create_food(
        &app,
        &ann,
        json!({"name": "Lard block", "servings": [{"size": 1, "unit": "block", "nutrients": {"calories": 100000}}]}),
    )
    .await;
    for quantity in [json!(11), json!(1000000)] {
        let r = app
            .post(
                "/api/v1/diary",
                &ann,
                json!({"food_item_id": food["id"], "quantity": quantity, "meal_type": "snack", "date": "2026-07-01"}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{quantity}: {:?}",
            r.body
        );
        assert!(
            r.body["error"]["fields"]["quantity"]
                .as_str()
                .unwrap()
                .contains("more than 1000000 calories"),
            "{:?}",
            r.body
        );
    }
    let r = app
        .post(
            "/api/v1/diary",
            &ann,
            json!({"food_item_id": food["id"], "quantity": 10, "meal_type": "snack", "date": "2026-07-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

/// Search reads accented letters as plain ones, in the catalog and in one's own foods, either
/// way round; the database folds exactly as Rust does.
#[tokio::test]
async fn search_folds_accents() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let owner = app.db.owner_client().await;
    // Every letter of the table, folded by SQL and by Rust alike.
    let all: String = sparky_core::food_search::ACCENTED
        .chars()
        .chain(sparky_core::food_search::LIGATURES.iter().map(|(c, _)| *c))
        .collect();
    let sql: String = owner
        .query_one("SELECT public.search_fold($1)", &[&all])
        .await
        .unwrap()
        .get(0);
    assert_eq!(sql, sparky_core::food_search::fold_accents(&all));
    owner
        .execute(
            "INSERT INTO food_items (name, brand, source, source_id)
             VALUES ('Crème brûlée', 'Pâtisserie Léa', 'test', 'cb1')",
            &[],
        )
        .await
        .unwrap();
    create_food(
        &app,
        &ann,
        json!({"name": "Müsli", "servings": [{"size": 50, "unit": "g", "nutrients": {"calories": 190}}]}),
    )
    .await;
    for (q, want) in [
        ("creme brulee", "Crème brûlée"),
        ("crème", "Crème brûlée"),
        ("patisserie", "Crème brûlée"),
        ("musli", "Müsli"),
        ("müsli", "Müsli"),
        ("MÜSLI", "Müsli"),
    ] {
        let r = app
            .get(&format!("/api/v1/foods?q={}", urlencode(q)), &ann)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {:?}", r.body);
        assert_eq!(r.body["items"][0]["name"], want, "{q}: {:?}", r.body);
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A measure only another serving converts ("2 tbsp" of oats weighed per 100 g that also have
/// a "1 cup" serving) is read against that serving, in the diary, recipes and plans alike;
/// a measure no serving converts is still refused.
#[tokio::test]
async fn a_measure_is_read_against_the_serving_it_converts_to() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let food = create_food(&app, &ann, oats()).await;
    let (id, cup) = (food["id"].clone(), food["servings"][1]["id"].clone());
    let r = app
        .post(
            "/api/v1/diary",
            &ann,
            json!({"food_item_id": id, "quantity": 2, "unit": "tbsp", "meal_type": "breakfast", "date": "2026-03-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["nutrition_data_id"], cup);
    // 2 tbsp = 1/8 cup of 307 kcal.
    assert_eq!(r.body["nutrients"]["calories"], 38.375);
    let recipe = app
        .post(
            "/api/v1/recipes",
            &ann,
            json!({"name": "Porridge", "servings": 1,
                   "ingredients": [{"food_item_id": id, "quantity": 4, "unit": "tbsp"}]}),
        )
        .await;
    assert_eq!(recipe.status, StatusCode::CREATED, "{:?}", recipe.body);
    let bad = app
        .post(
            "/api/v1/diary",
            &ann,
            json!({"food_item_id": id, "quantity": 2, "unit": "slice", "meal_type": "breakfast", "date": "2026-03-01"}),
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        bad.body
    );
}

/// Household measures carry a description ("cup (4.86 large eggs)", "cup, sliced"): a typed
/// "cup" is read against such a serving; with two different cup servings the refusal names
/// both so the user can pick, and naming one picks it.
#[tokio::test]
async fn a_described_household_measure_is_found_by_its_unit() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let egg = create_food(
        &app,
        &ann,
        json!({"name": "Egg, whole", "servings": [
            {"size": 100, "unit": "g", "nutrients": {"calories": 143}},
            {"size": 1, "unit": "cup (4.86 large eggs)", "weight_g": 243, "nutrients": {"calories": 347.49}}
        ]}),
    )
    .await;
    let log = async |food: &Value, quantity: f64, unit: &str| {
        app.post(
            "/api/v1/diary",
            &ann,
            json!({"food_item_id": food["id"], "quantity": quantity, "unit": unit,
                   "meal_type": "breakfast", "date": "2026-03-01"}),
        )
        .await
    };
    let r = log(&egg, 1.0, "cup").await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["nutrition_data_id"], egg["servings"][1]["id"]);
    assert_eq!(r.body["nutrients"]["calories"], 347.49);
    // Half a cup is 8 tbsp, read against the same serving.
    let r = log(&egg, 8.0, "tbsp").await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["nutrients"]["calories"], 173.745);

    let banana = create_food(
        &app,
        &ann,
        json!({"name": "Banana", "servings": [
            {"size": 100, "unit": "g", "nutrients": {"calories": 89}},
            {"size": 1, "unit": "cup, mashed", "weight_g": 225, "nutrients": {"calories": 200.25}},
            {"size": 1, "unit": "cup, sliced", "weight_g": 150, "nutrients": {"calories": 133.5}}
        ]}),
    )
    .await;
    let r = log(&banana, 1.0, "cup").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let message = r.body["error"]["fields"]["unit"].to_string();
    assert!(
        message.contains("\\\"cup, mashed\\\"") && message.contains("\\\"cup, sliced\\\""),
        "{message}"
    );
    assert!(message.contains("nutrition_data_id"), "{message}");
    // A tablespoon is a sixteenth of either cup: as ambiguous, not silently the first.
    let r = log(&banana, 2.0, "tbsp").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let said = r.body["error"]["fields"]["unit"].to_string();
    assert!(
        said.contains("cup, mashed") && said.contains("cup, sliced"),
        "{said}"
    );
    let r = log(&banana, 1.0, "cup, sliced").await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["nutrients"]["calories"], 133.5);
    let r = log(&banana, 150.0, "g").await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["nutrients"]["calories"], 133.5);
    let day = app.get("/api/v1/diary/2026-03-01", &ann).await;
    let entries: usize = day.body["meals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["entries"].as_array().unwrap().len())
        .sum();
    assert_eq!(entries, 4, "the refused one wrote nothing: {:?}", day.body);
}

/// A serving of known weight cannot hold more than it weighs: 5,000 kcal or 150 g of macros
/// in 100 g is a slipped decimal point, refused on the nutrient; nothing is created. A serving
/// without a weight ("1 bar") is taken as given.
#[tokio::test]
async fn a_label_that_cannot_be_true_is_refused() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let food = |size: f64, unit: &str, weight: Option<f64>, nutrients: Value| {
        let mut serving = json!({"size": size, "unit": unit, "nutrients": nutrients});
        if let Some(w) = weight {
            serving["weight_g"] = json!(w);
        }
        json!({"name": "Label test", "servings": [serving]})
    };
    for (body, field) in [
        (
            food(100.0, "g", None, json!({"calories": 5000})),
            "servings[0].nutrients.calories",
        ),
        (
            food(
                100.0,
                "g",
                None,
                json!({"calories": 100, "protein": 50, "carbohydrates": 50, "fat": 50}),
            ),
            "servings[0].nutrients",
        ),
        (
            food(
                1.0,
                "cup",
                Some(30.0),
                json!({"calories": 120, "protein": 40}),
            ),
            "servings[0].nutrients",
        ),
        (
            food(2.0, "oz", None, json!({"calories": 1000})),
            "servings[0].nutrients.calories",
        ),
    ] {
        let r = app.post("/api/v1/foods", &ann, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            r.body
        );
        let said = r.body["error"]["fields"][field]
            .as_str()
            .unwrap_or_default();
        assert!(
            said.contains("slipped decimal point"),
            "{field}: {:?}",
            r.body
        );
    }
    let mine = app.get("/api/v1/foods?q=label", &ann).await;
    assert_eq!(mine.body["items"], json!([]), "nothing created");
    // Pure oil (884 kcal, 100 g fat in 100 g) and a bar without a weight are fine.
    for body in [
        food(100.0, "g", None, json!({"calories": 884, "fat": 100})),
        food(1.0, "bar", None, json!({"calories": 5000, "protein": 500})),
    ] {
        let r = app.post("/api/v1/foods", &ann, body.clone()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{body}: {:?}", r.body);
    }
}

/// Parts cannot outweigh their whole: more sugar than carbohydrates, or more saturated fat
/// than fat, is refused on the part, in a quick add as in a food.
#[tokio::test]
async fn parts_do_not_outweigh_their_whole() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    for (nutrients, field) in [
        (
            json!({"calories": 100, "carbohydrates": 10, "sugar": 40}),
            "nutrients.sugar",
        ),
        (
            json!({"calories": 100, "fat": 5, "saturated_fat": 20}),
            "nutrients.saturated_fat",
        ),
    ] {
        let r = app
            .post(
                "/api/v1/diary/quick-add",
                &ann,
                json!({"meal_type": "snack", "nutrients": nutrients}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
        assert!(
            r.body["error"]["fields"][field].is_string(),
            "{field}: {:?}",
            r.body
        );
    }
    let r = app
        .post(
            "/api/v1/foods",
            &ann,
            json!({"name": "Odd", "servings": [{"size": 1, "unit": "bar",
                   "nutrients": {"carbohydrates": 10, "sugar": 12}}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    // Equal, or within rounding, is fine.
    let r = app
        .post(
            "/api/v1/diary/quick-add",
            &ann,
            json!({"meal_type": "snack", "nutrients": {"calories": 40, "carbohydrates": 10, "sugar": 10.4, "fat": 0}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

/// A food's servings come back in one order every time: the default first, then by weight
/// (they came in the random order of their ids).
#[tokio::test]
async fn servings_come_back_default_first_then_by_weight() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let serving = |size: f64, unit: &str, grams: f64, default: bool| {
        json!({"size": size, "unit": unit, "weight_g": grams, "is_default": default,
               "nutrients": {"calories": grams * 3.8}})
    };
    let food = create_food(
        &app,
        &ann,
        json!({"name": "Oats", "servings": [
            serving(1.0, "cup", 81.0, false),
            serving(0.5, "cup", 40.5, true),
            serving(100.0, "g", 100.0, false),
            serving(1.0, "oz", 28.35, false),
            serving(1.0, "tbsp", 5.0, false),
        ]}),
    )
    .await;
    let id = food["id"].as_str().unwrap();
    for _ in 0..3 {
        let r = app.get(&format!("/api/v1/foods/{id}"), &ann).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        let weights: Vec<f64> = r.body["servings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["weight_g"].as_f64().unwrap())
            .collect();
        assert_eq!(weights, [40.5, 5.0, 28.35, 81.0, 100.0], "{:?}", r.body);
    }
}

/// The names of a page of foods.
fn names(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect()
}

/// A search's names walked one a page by its cursors (at most ten pages).
async fn walk_search(app: &TestApp, who: &common::As, q: &str) -> Vec<String> {
    let mut walked = Vec::new();
    let mut path = format!("/api/v1/foods?q={q}&limit=1");
    for _ in 0..10 {
        let r = app.get(&path, who).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        walked.extend(names(&r.body));
        match r.body["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/foods?q={q}&limit=1&cursor={c}"),
            None => break,
        }
    }
    walked
}

/// A word the catalog knows by another name finds it when the word itself finds few foods:
/// "courgettes" finds zucchini, after the foods named with the word itself, on one list that
/// the pages walk without repeating or skipping.
#[tokio::test]
async fn other_names_find_the_catalogs_name_after_their_own() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    for name in [
        "Squash, summer, zucchini, raw",
        "Courgette fritters",
        "Apple",
    ] {
        create_food(
            &app,
            &ann,
            json!({"name": name, "servings": [{"size": 100, "unit": "g", "nutrients": {"calories": 17}}]}),
        )
        .await;
    }
    let r = app.get("/api/v1/foods?q=courgettes", &ann).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let found = names(&r.body);
    let fritters = found.iter().position(|n| n == "Courgette fritters");
    let zucchini = found
        .iter()
        .position(|n| n == "Squash, summer, zucchini, raw");
    assert!(
        fritters.is_some() && zucchini.is_some() && fritters < zucchini,
        "{found:?}"
    );
    assert!(!found.contains(&"Apple".to_string()));
    // One a page: the same two, each once.
    let walked = walk_search(&app, &ann, "courgettes").await;
    let own: Vec<&String> = walked
        .iter()
        .filter(|n| n.contains("ourgette") || n.contains("zucchini"))
        .collect();
    assert_eq!(own.len(), 2, "{walked:?}");
    assert_eq!(walked.len(), found.len(), "{walked:?} against {found:?}");
    // British yoghurt finds yogurt too.
    create_food(
        &app,
        &ann,
        json!({"name": "Yogurt, greek, plain", "servings": [{"size": 100, "unit": "g", "nutrients": {"calories": 59}}]}),
    )
    .await;
    let r = app.get("/api/v1/foods?q=greek+yoghurt", &ann).await;
    assert!(
        names(&r.body).contains(&"Yogurt, greek, plain".to_string()),
        "{:?}",
        r.body
    );
}

/// "oatmeal" alone means the dish: cooked oats come first, then the foods named with the word
/// (cookies, baby cereal); raw oats are not oatmeal. The pages walk the same list.
#[tokio::test]
async fn oatmeal_finds_cooked_oats_first() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let cooked = "Cereals, oats, regular and quick, unenriched, cooked with water (includes boiling and microwaving), without salt";
    for name in [
        "Cookies, oatmeal, commercially prepared, regular",
        "Babyfood, cereal, oatmeal, dry",
        cooked,
        "Oats",
    ] {
        create_food(
            &app,
            &ann,
            json!({"name": name, "servings": [{"size": 100, "unit": "g", "nutrients": {"calories": 71}}]}),
        )
        .await;
    }
    let r = app.get("/api/v1/foods?q=oatmeal", &ann).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let found = names(&r.body);
    assert_eq!(found.first().map(String::as_str), Some(cooked), "{found:?}");
    assert_eq!(
        found.len(),
        3,
        "the cookies and the baby cereal after: {found:?}"
    );
    assert!(!found.contains(&"Oats".to_string()), "{found:?}");
    let walked = walk_search(&app, &ann, "oatmeal").await;
    assert_eq!(walked, found);
    // With another word, the words say what is meant: the cookies, then what is close in
    // some words only (the baby cereal); not cooked foods ("cookies" is no "cook").
    let r = app.get("/api/v1/foods?q=oatmeal+cookies", &ann).await;
    let found = names(&r.body);
    assert_eq!(
        found.first().map(String::as_str),
        Some("Cookies, oatmeal, commercially prepared, regular"),
        "{found:?}"
    );
    assert!(!found.iter().any(|n| n == cooked), "{found:?}");
}

/// Drinks by their everyday names: "soda" alone is a soft drink, before the saltines whose
/// name mentions soda; "coke" is a cola before the near spellings (cooked, poke) that were
/// all it found; "fries" finds fries, not every "fr" word (frankfurters first).
#[tokio::test]
async fn soda_coke_and_fries_find_what_is_meant() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    for name in [
        "Crackers, saltines (includes oyster, soda, soup)",
        "Carbonated beverage, cola, contains caffeine",
        "Carbonated beverage, lemon-lime soda, contains caffeine",
        "Mushrooms, shiitake, cooked, with salt",
        "Pokeberry shoots, (poke), cooked",
        "Frankfurter, beef",
        "Potatoes, french fried, steak fries, frozen, oven-heated",
        "Doughnuts, cake-type, plain",
        "Nuts, coconut meat, raw",
    ] {
        create_food(
            &app,
            &ann,
            json!({"name": name, "servings": [{"size": 100, "unit": "g", "nutrients": {"calories": 40}}]}),
        )
        .await;
    }
    let soda = walk_search(&app, &ann, "soda").await;
    assert_eq!(
        soda.last().map(String::as_str),
        Some("Crackers, saltines (includes oyster, soda, soup)"),
        "the soft drinks first: {soda:?}"
    );
    assert!(soda[0].starts_with("Carbonated beverage"), "{soda:?}");
    let coke = walk_search(&app, &ann, "coke").await;
    assert_eq!(
        coke.first().map(String::as_str),
        Some("Carbonated beverage, cola, contains caffeine"),
        "{coke:?}"
    );
    assert!(
        coke.iter().any(|n| n.starts_with("Mushrooms")),
        "near spellings after: {coke:?}"
    );
    let donut = walk_search(&app, &ann, "donut").await;
    assert_eq!(
        donut.first().map(String::as_str),
        Some("Doughnuts, cake-type, plain"),
        "{donut:?}"
    );
    let fries = walk_search(&app, &ann, "fries").await;
    assert_eq!(
        fries,
        ["Potatoes, french fried, steak fries, frozen, oven-heated"],
        "{fries:?}"
    );
}

/// A word alone means its everyday kind first ("tea": black tea, before chamomile, the shorter
/// name), then the other kinds; a stand-in ("Wine, non-alcoholic") comes after the real thing.
/// The pages walk the same list.
#[tokio::test]
async fn a_word_alone_finds_its_everyday_kind_first() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    for name in [
        "Tea, herb, chamomile, brewed",
        "Tea, black, brewed, prepared with tap water",
        "Wine, non-alcoholic",
        "Alcoholic beverage, wine, table, red",
    ] {
        create_food(
            &app,
            &ann,
            json!({"name": name, "servings": [{"size": 100, "unit": "g", "nutrients": {"calories": 1}}]}),
        )
        .await;
    }
    let tea = walk_search(&app, &ann, "tea").await;
    assert_eq!(
        tea,
        [
            "Tea, black, brewed, prepared with tap water",
            "Tea, herb, chamomile, brewed"
        ]
    );
    let r = app.get("/api/v1/foods?q=tea", &ann).await;
    assert_eq!(names(&r.body), tea);
    let wine = walk_search(&app, &ann, "wine").await;
    assert_eq!(
        wine,
        [
            "Alcoholic beverage, wine, table, red",
            "Wine, non-alcoholic"
        ]
    );
    // With more words, they say what is meant.
    let r = app.get("/api/v1/foods?q=herb+tea", &ann).await;
    assert_eq!(
        names(&r.body).first().map(String::as_str),
        Some("Tea, herb, chamomile, brewed")
    );
    // One's own habit comes first: chamomile, once logged, leads "tea".
    let r = app.get("/api/v1/foods?q=chamomile", &ann).await;
    let chamomile = r.body["items"][0]["id"].clone();
    let r = app
        .post(
            "/api/v1/diary",
            &ann,
            json!({"food_item_id": chamomile, "quantity": 100, "unit": "g", "meal_type": "snack"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let tea = walk_search(&app, &ann, "tea").await;
    assert_eq!(
        tea,
        [
            "Tea, herb, chamomile, brewed",
            "Tea, black, brewed, prepared with tap water"
        ]
    );
}

/// A serving unit typed with a count ("2 tbsp", "½ cup", "100g") is that many of the unit:
/// stored as size and unit, so logging in another unit of its kind converts.
#[tokio::test]
async fn a_unit_typed_with_its_count_is_a_size_and_a_unit() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let food = create_food(
        &app,
        &ann,
        json!({"name": "Peanut butter", "servings": [
            {"size": 1, "unit": "2 tbsp", "weight_g": 32, "nutrients": {"calories": 190}},
            {"size": 2, "unit": "½ cup", "nutrients": {"calories": 1520}},
            {"size": 1, "unit": "100g", "nutrients": {"calories": 594}}
        ]}),
    )
    .await;
    let servings = food["servings"].as_array().unwrap();
    let shape: Vec<(f64, &str)> = servings
        .iter()
        .map(|s| (s["size"].as_f64().unwrap(), s["unit"].as_str().unwrap()))
        .collect();
    assert!(shape.contains(&(2.0, "tbsp")), "{shape:?}");
    assert!(shape.contains(&(1.0, "cup")), "{shape:?}");
    assert!(shape.contains(&(100.0, "g")), "{shape:?}");
    let tbsp = servings.iter().find(|s| s["unit"] == "tbsp").unwrap();
    assert_eq!(tbsp["description"], "2 tbsp (32 g)");
    // A teaspoon of the 2 tbsp serving: a sixth of it.
    let r = app
        .post(
            "/api/v1/diary",
            &ann,
            json!({"food_item_id": food["id"], "nutrition_data_id": tbsp["id"],
                   "quantity": 1, "unit": "tsp", "meal_type": "snacks", "date": "2026-11-20"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let kcal = r.body["nutrients"]["calories"].as_f64().unwrap();
    assert!((kcal - 190.0 / 6.0).abs() < 0.01, "{kcal}");
    // A count that makes the size too large is refused at the size.
    let r = app
        .post(
            "/api/v1/foods",
            &ann,
            json!({"name": "Too much", "servings": [
                {"size": 1000, "unit": "1000 g", "nutrients": {"calories": 1}}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(
        r.body["error"]["fields"]["servings[0].size"].is_string(),
        "{:?}",
        r.body
    );
}
