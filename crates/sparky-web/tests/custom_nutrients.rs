//! Custom nutrients over HTTP against a real database: defining them, amounts on foods, the
//! diary adding them up as entries are logged, changed, copied and planned, renaming and
//! deleting, limits, and who may read or change them.

mod common;

use common::{As, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn define(app: &TestApp, who: &As, name: &str, unit: &str) -> common::Response {
    app.post(
        "/api/v1/custom-nutrients",
        who,
        json!({"name": name, "unit": unit}),
    )
    .await
}

fn field_error(r: &common::Response, field: &str) {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(
        r.body["error"]["fields"][field].is_string(),
        "expected a problem with {field}: {:?}",
        r.body
    );
}

/// A cold brew with 95 mg caffeine and 0.5 g omega 3 in its 250 ml serving.
async fn cold_brew(app: &TestApp, who: &As, custom: Value) -> common::Response {
    app.post(
        "/api/v1/foods",
        who,
        json!({"name": "Cold brew", "servings": [{"size": 250, "unit": "ml",
               "nutrients": {"calories": 5}, "custom_nutrients": custom}]}),
    )
    .await
}

async fn log(app: &TestApp, who: &As, food: &Value, quantity: f64, date: &str) -> Value {
    let r = app
        .post(
            "/api/v1/diary",
            who,
            json!({"food_item_id": food["id"], "quantity": quantity, "meal_type": "breakfast",
                   "date": date}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body
}

async fn day(app: &TestApp, who: &As, date: &str) -> Value {
    let r = app.get(&format!("/api/v1/diary/{date}"), who).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

async fn stored_definitions(app: &TestApp) -> i64 {
    app.db
        .owner_client()
        .await
        .query_one("SELECT count(*) FROM custom_nutrients", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn defining_renaming_and_deleting_with_their_refusals() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;

    let r = define(&app, &ann, "  Caffeine ", "MG").await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(
        (&r.body["name"], &r.body["unit"]),
        (&json!("Caffeine"), &json!("mg"))
    );
    let caffeine = r.body["id"].as_str().unwrap().to_string();
    let r = define(&app, &ann, "Iodine", "mcg").await;
    assert_eq!(r.body["unit"], "µg", "{:?}", r.body);

    // Refusals change nothing.
    let r = define(&app, &ann, "caffeine", "mg").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    field_error(&define(&app, &ann, "Protein", "g").await, "name");
    field_error(&define(&app, &ann, "Saturated fat", "g").await, "name");
    field_error(&define(&app, &ann, "Zinc", "kcal").await, "unit");
    field_error(&define(&app, &ann, "", "mg").await, "name");
    field_error(&define(&app, &ann, &"x".repeat(41), "mg").await, "name");
    let r = app
        .post(
            "/api/v1/custom-nutrients",
            &ann,
            json!({"name": "Zinc", "unit": "mg", "colour": "red"}),
        )
        .await;
    assert!(r.status.is_client_error(), "{:?}", r.body);
    assert_eq!(stored_definitions(&app).await, 2);

    // The list is by name; Bob has his own (empty) one and cannot see Ann's.
    let list = app.get("/api/v1/custom-nutrients", &ann).await;
    let names: Vec<&str> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Caffeine", "Iodine"]);
    assert_eq!(
        app.get("/api/v1/custom-nutrients", &bob).await.body,
        json!([])
    );

    // Someone else's is not found, for renaming or deleting; nothing changes.
    let path = format!("/api/v1/custom-nutrients/{caffeine}");
    let r = app
        .put(&path, &bob, json!({"name": "Coffee", "unit": "mg"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    let r = app.delete(&path, &bob).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    assert_eq!(stored_definitions(&app).await, 2);

    // Renaming onto another of yours is a conflict; a new case of its own name is fine.
    let r = app
        .put(&path, &ann, json!({"name": "IODINE", "unit": "mg"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    let r = app
        .put(&path, &ann, json!({"name": "CAFFEINE", "unit": "mg"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["name"], "CAFFEINE");

    let r = app.delete(&path, &ann).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let r = app.delete(&path, &ann).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    assert_eq!(stored_definitions(&app).await, 1);
}

#[tokio::test]
async fn at_most_fifty_a_user() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    for i in 0..50 {
        let r = define(&app, &ann, &format!("Nutrient {i}"), "mg").await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    field_error(&define(&app, &ann, "One more", "mg").await, "name");
    assert_eq!(stored_definitions(&app).await, 50);
    let list = app.get("/api/v1/custom-nutrients", &ann).await;
    assert_eq!(list.body.as_array().unwrap().len(), 50);
}

#[tokio::test]
async fn adds_at_once_stop_at_fifty() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    for i in 0..45 {
        let r = define(&app, &ann, &format!("Nutrient {i}"), "mg").await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    // Ten adds at the same time (and two of one name): five make it, the rest are refused.
    let names: Vec<String> = (0..10).map(|i| format!("Extra {}", i.min(8))).collect();
    let answers =
        futures::future::join_all(names.iter().map(|n| define(&app, &ann, n, "mg"))).await;
    let created = answers
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    assert_eq!(
        created,
        5,
        "{:?}",
        answers.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    for r in &answers {
        assert!(
            [
                StatusCode::CREATED,
                StatusCode::UNPROCESSABLE_ENTITY,
                StatusCode::CONFLICT
            ]
            .contains(&r.status),
            "{:?}",
            r.body
        );
    }
    assert_eq!(stored_definitions(&app).await, 50);
}

#[tokio::test]
async fn foods_hold_amounts_and_the_diary_adds_them_up() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    define(&app, &ann, "Caffeine", "mg").await;
    define(&app, &ann, "Omega 3", "g").await;

    // Only defined names, amounts from 0 to 100,000; refusals store no food.
    let r = cold_brew(&app, &ann, json!({"Theanine": 20})).await;
    field_error(&r, "servings[0].custom_nutrients.Theanine");
    field_error(
        &cold_brew(&app, &ann, json!({"Caffeine": -1})).await,
        "servings[0].custom_nutrients.Caffeine",
    );
    field_error(
        &cold_brew(&app, &ann, json!({"Caffeine": 100001})).await,
        "servings[0].custom_nutrients.Caffeine",
    );
    let r = cold_brew(&app, &ann, json!({"Caffeine": "lots"})).await;
    assert!(r.status.is_client_error(), "{:?}", r.body);
    let stored: i64 = app
        .db
        .owner_client()
        .await
        .query_one(
            "SELECT count(*) FROM food_items WHERE user_id IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 0);

    for twice in [
        json!({"Caffeine": 1, "caffeine": 2}),
        json!({"Caffeine": 1, "Caffeine ": 2}),
    ] {
        let r = cold_brew(&app, &ann, twice).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    }
    // Any letter case finds the definition; the food keeps its name.
    let r = cold_brew(&app, &ann, json!({"caffeine": 95, "OMEGA 3": 0.5})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let food = r.body;
    assert_eq!(
        food["servings"][0]["custom_nutrients"],
        json!({"Caffeine": 95.0, "Omega 3": 0.5})
    );
    let read = app
        .get(
            &format!("/api/v1/foods/{}", food["id"].as_str().unwrap()),
            &ann,
        )
        .await;
    assert_eq!(
        read.body["servings"][0]["custom_nutrients"],
        food["servings"][0]["custom_nutrients"]
    );

    // Two servings, then 500 ml (two servings again) in another meal.
    let e = log(&app, &ann, &food, 2.0, "2026-11-02").await;
    assert_eq!(
        e["custom_nutrients"],
        json!({"Caffeine": 190.0, "Omega 3": 1.0})
    );
    let r = app
        .post(
            "/api/v1/diary",
            &ann,
            json!({"food_item_id": food["id"], "quantity": 125, "unit": "ml",
                   "meal_type": "lunch", "date": "2026-11-02"}),
        )
        .await;
    assert_eq!(
        r.body["custom_nutrients"],
        json!({"Caffeine": 47.5, "Omega 3": 0.25}),
        "{:?}",
        r.body
    );
    let d = day(&app, &ann, "2026-11-02").await;
    assert_eq!(
        d["custom_totals"],
        json!({"Caffeine": 237.5, "Omega 3": 1.25})
    );
    assert_eq!(
        d["meals"][0]["custom_totals"],
        json!({"Caffeine": 190.0, "Omega 3": 1.0})
    );
    assert_eq!(
        d["meals"][1]["custom_totals"],
        json!({"Caffeine": 47.5, "Omega 3": 0.25})
    );
    assert!(
        d["meals"][2].get("custom_totals").is_none(),
        "{:?}",
        d["meals"][2]
    );

    // Changing the amount changes what the entry holds.
    let path = format!("/api/v1/diary/{}", e["id"].as_str().unwrap());
    let r = app.put(&path, &ann, json!({"quantity": 3})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["custom_nutrients"]["Caffeine"], 285.0);
    let r = app
        .put(&path, &ann, json!({"quantity": 1, "unit": "l"}))
        .await;
    assert_eq!(
        r.body["custom_nutrients"]["Caffeine"], 380.0,
        "{:?}",
        r.body
    );

    // Editing the food later does not rewrite what was logged.
    let r = app
        .put(
            &format!("/api/v1/foods/{}", food["id"].as_str().unwrap()),
            &ann,
            json!({"name": "Cold brew", "servings": [{"size": 250, "unit": "ml",
                   "nutrients": {"calories": 5}, "custom_nutrients": {"Caffeine": 150}}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.body["servings"][0]["custom_nutrients"],
        json!({"Caffeine": 150.0})
    );
    let d = day(&app, &ann, "2026-11-02").await;
    assert_eq!(
        d["custom_totals"],
        json!({"Caffeine": 427.5, "Omega 3": 2.25})
    );

    // A copied day holds the same; the daily totals list both days.
    let r = app
        .post(
            "/api/v1/diary/copy",
            &ann,
            json!({"from_date": "2026-11-02", "to_date": "2026-11-03"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(
        day(&app, &ann, "2026-11-03").await["custom_totals"],
        d["custom_totals"]
    );
    let t = app
        .get(
            "/api/v1/custom-nutrients/totals?from=2026-11-01&to=2026-11-30",
            &ann,
        )
        .await;
    assert_eq!(t.status, StatusCode::OK, "{:?}", t.body);
    assert_eq!(
        t.body,
        json!([
            {"date": "2026-11-02", "totals": {"Caffeine": 427.5, "Omega 3": 2.25}},
            {"date": "2026-11-03", "totals": {"Caffeine": 427.5, "Omega 3": 2.25}},
        ])
    );
    let r = app
        .get(
            "/api/v1/custom-nutrients/totals?from=2026-01-01&to=2027-01-02",
            &ann,
        )
        .await;
    field_error(&r, "to");

    // A quick add has none; the totals stay.
    let r = app
        .post(
            "/api/v1/diary/quick-add",
            &ann,
            json!({"meal_type": "snack", "date": "2026-11-02", "nutrients": {"calories": 100}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert!(r.body.get("custom_nutrients").is_none(), "{:?}", r.body);
    common::assert_day_totals_match_diary(&app).await;
}

#[tokio::test]
async fn renaming_follows_into_foods_and_the_diary_and_deleting_keeps_the_amounts() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let id = define(&app, &ann, "Caffeine", "mg").await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    define(&app, &bob, "Caffeine", "mg").await;
    let food = cold_brew(&app, &ann, json!({"Caffeine": 95})).await.body;
    log(&app, &ann, &food, 1.0, "2026-11-02").await;
    let bobs = cold_brew(&app, &bob, json!({"Caffeine": 80})).await.body;
    log(&app, &bob, &bobs, 1.0, "2026-11-02").await;

    let path = format!("/api/v1/custom-nutrients/{id}");
    let r = app
        .put(
            &path,
            &ann,
            json!({"name": "Coffee caffeine", "unit": "mg"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let read = app
        .get(
            &format!("/api/v1/foods/{}", food["id"].as_str().unwrap()),
            &ann,
        )
        .await;
    assert_eq!(
        read.body["servings"][0]["custom_nutrients"],
        json!({"Coffee caffeine": 95.0})
    );
    assert_eq!(
        day(&app, &ann, "2026-11-02").await["custom_totals"],
        json!({"Coffee caffeine": 95.0})
    );
    // Bob's name is his own.
    assert_eq!(
        day(&app, &bob, "2026-11-02").await["custom_totals"],
        json!({"Caffeine": 80.0})
    );

    // Deleted: the amounts stay where they are, and the food can still be saved with them.
    assert_eq!(app.delete(&path, &ann).await.status, StatusCode::NO_CONTENT);
    let food_path = format!("/api/v1/foods/{}", food["id"].as_str().unwrap());
    let mut body = json!({"name": "Cold brew, large", "servings": [{"size": 250, "unit": "ml",
        "nutrients": {"calories": 5}, "custom_nutrients": {"Coffee caffeine": 95}}]});
    let r = app.put(&food_path, &ann, body.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // ... but not put on another food.
    let r = cold_brew(&app, &ann, json!({"Coffee caffeine": 1})).await;
    field_error(&r, "servings[0].custom_nutrients.Coffee caffeine");
    // Defined again, the diary counts it again.
    define(&app, &ann, "coffee caffeine", "mg").await;
    assert_eq!(
        day(&app, &ann, "2026-11-02").await["custom_totals"],
        json!({"Coffee caffeine": 95.0})
    );
    body["servings"][0]["custom_nutrients"] = json!({});
    let r = app.put(&food_path, &ann, body).await;
    assert!(
        r.body["servings"][0].get("custom_nutrients").is_none(),
        "{:?}",
        r.body
    );
}

#[tokio::test]
async fn family_with_the_diary_shared_read_definitions_and_totals_others_do_not() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let (cat_id, cat) = app.user("cat@example.com").await;
    define(&app, &ann, "Caffeine", "mg").await;
    let food = cold_brew(&app, &ann, json!({"Caffeine": 95})).await.body;
    log(&app, &ann, &food, 1.0, "2026-11-02").await;
    let r = app
        .post(
            "/api/v1/family-access",
            &ann,
            json!({"grantee_email": "bob@example.com", "access_type": "reports"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);

    let list = app
        .get(&format!("/api/v1/custom-nutrients?user_id={ann_id}"), &bob)
        .await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    assert_eq!(list.body[0]["name"], "Caffeine");
    let totals =
        format!("/api/v1/custom-nutrients/totals?from=2026-11-01&to=2026-11-30&user_id={ann_id}");
    let t = app.get(&totals, &bob).await;
    assert_eq!(t.body[0]["totals"]["Caffeine"], 95.0, "{:?}", t.body);
    let d = app
        .get(&format!("/api/v1/diary/2026-11-02?user_id={ann_id}"), &bob)
        .await;
    assert_eq!(d.body["custom_totals"]["Caffeine"], 95.0, "{:?}", d.body);

    for path in [format!("/api/v1/custom-nutrients?user_id={ann_id}"), totals] {
        let r = app.get(&path, &cat).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {:?}", r.body);
    }
    // Row level security itself: as Cat, no definition of Ann's is there to read.
    let seen: i64 = app
        .db
        .database()
        .await
        .as_user(cat_id.parse().unwrap())
        .await
        .unwrap()
        .query_and_commit("SELECT count(*) FROM custom_nutrients", &[])
        .await
        .unwrap()[0]
        .get(0);
    assert_eq!(seen, 0);
}

#[tokio::test]
async fn applying_a_meal_plan_carries_the_amounts() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    define(&app, &ann, "Caffeine", "mg").await;
    let food = cold_brew(&app, &ann, json!({"Caffeine": 95})).await.body;
    let plan = app
        .post(
            "/api/v1/meal-plan-templates",
            &ann,
            json!({"name": "Mornings"}),
        )
        .await;
    assert_eq!(plan.status, StatusCode::CREATED, "{:?}", plan.body);
    let r = app
        .post(
            &format!(
                "/api/v1/meal-plan-templates/{}/items",
                plan.body["id"].as_str().unwrap()
            ),
            &ann,
            json!({"food_item_id": food["id"], "quantity": 2, "unit": "serving",
                   "meal_type": "breakfast"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = app
        .post(
            &format!(
                "/api/v1/meal-plan-templates/{}/apply",
                plan.body["id"].as_str().unwrap()
            ),
            &ann,
            json!({"from": "2026-11-02", "to": "2026-11-03"}),
        )
        .await;
    assert!(r.status.is_success(), "{:?}", r.body);
    for date in ["2026-11-02", "2026-11-03"] {
        assert_eq!(
            day(&app, &ann, date).await["custom_totals"],
            json!({"Caffeine": 190.0})
        );
    }
}

#[tokio::test]
async fn a_recipe_holds_what_its_ingredients_hold() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    define(&app, &ann, "Caffeine", "mg").await;
    let brew = cold_brew(&app, &ann, json!({"Caffeine": 95})).await.body;
    let r = app
        .post(
            "/api/v1/recipes",
            &ann,
            json!({"name": "Iced mocha", "servings": 3, "ingredients": [
                {"food_item_id": brew["id"], "quantity": 500, "unit": "ml"},
                {"food_item_id": brew["id"], "quantity": 0.5}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    // (190 + 47.5) mg over 3 servings.
    let food = app
        .get(
            &format!("/api/v1/foods/{}", r.body["id"].as_str().unwrap()),
            &ann,
        )
        .await;
    assert_eq!(
        food.body["servings"][0]["custom_nutrients"],
        json!({"Caffeine": 79.1667})
    );
    let e = log(&app, &ann, &food.body, 3.0, "2026-11-02").await;
    assert_eq!(e["custom_nutrients"], json!({"Caffeine": 237.5001}));

    // Too much in one serving is refused, and the recipe is not changed.
    let path = format!("/api/v1/recipes/{}", r.body["id"].as_str().unwrap());
    let strong = cold_brew(&app, &ann, json!({"Caffeine": 100000}))
        .await
        .body;
    let r = app
        .put(
            &path,
            &ann,
            json!({"name": "Iced mocha", "servings": 1, "ingredients": [
                {"food_item_id": strong["id"], "quantity": 2}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let again = app
        .get(
            &format!("/api/v1/foods/{}", food.body["id"].as_str().unwrap()),
            &ann,
        )
        .await;
    assert_eq!(again.body["servings"], food.body["servings"]);
}

#[tokio::test]
async fn a_daily_range_is_kept_checked_and_replaced() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let post = |body: Value| {
        let app = &app;
        let ann = &ann;
        async move { app.post("/api/v1/custom-nutrients", ann, body).await }
    };
    let r = post(json!({"name": "Caffeine", "unit": "mg", "daily_max": 400})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["daily_max"], 400.0);
    assert!(r.body["daily_min"].is_null(), "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    for (body, field) in [
        (
            json!({"name": "Zinc", "unit": "mg", "daily_min": 12, "daily_max": 8}),
            "daily_max",
        ),
        (
            json!({"name": "Zinc", "unit": "mg", "daily_min": -1}),
            "daily_min",
        ),
        (
            json!({"name": "Zinc", "unit": "mg", "daily_max": 0}),
            "daily_max",
        ),
        (
            json!({"name": "Zinc", "unit": "mg", "daily_max": 1000001}),
            "daily_max",
        ),
    ] {
        field_error(&post(body.clone()).await, field);
    }
    assert_eq!(stored_definitions(&app).await, 1);
    let r = post(json!({"name": "Omega 3", "unit": "g", "daily_min": 1.1, "daily_max": 1.1})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(
        (&r.body["daily_min"], &r.body["daily_max"]),
        (&json!(1.1), &json!(1.1))
    );

    // A PUT is the whole definition: left out, the range goes.
    let path = format!("/api/v1/custom-nutrients/{id}");
    let r = app
        .put(
            &path,
            &ann,
            json!({"name": "Caffeine", "unit": "mg", "daily_min": 50}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["daily_min"], 50.0);
    assert!(r.body["daily_max"].is_null(), "{:?}", r.body);
    let list = app.get("/api/v1/custom-nutrients", &ann).await.body;
    assert_eq!(list[0]["name"], "Caffeine");
    assert_eq!(list[0]["daily_min"], 50.0);
}

#[tokio::test]
async fn the_nutrition_report_averages_logged_days_and_counts_days_within_the_range() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let r = app
        .post(
            "/api/v1/custom-nutrients",
            &ann,
            json!({"name": "Caffeine", "unit": "mg", "daily_max": 200}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    define(&app, &ann, "Iodine", "µg").await;
    let brew = cold_brew(&app, &ann, json!({"Caffeine": 95})).await.body;
    // 3 servings (285 mg, over) on the 2nd, 1 (95 mg) on the 3rd, a day of none on the 4th.
    log(&app, &ann, &brew, 3.0, "2026-11-02").await;
    log(&app, &ann, &brew, 1.0, "2026-11-03").await;
    let r = app
        .post(
            "/api/v1/diary/quick-add",
            &ann,
            json!({"meal_type": "snack", "date": "2026-11-04", "nutrients": {"calories": 100}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let path = "/api/v1/reports/nutrition?from=2026-11-01&to=2026-11-07";
    let r = app.get(path, &ann).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["logged_days"], 3);
    assert_eq!(
        r.body["custom_nutrients"],
        json!([
            {"name": "Caffeine", "unit": "mg", "average": 126.67, "daily_min": null,
             "daily_max": 200.0, "days_within": 2},
            {"name": "Iodine", "unit": "µg", "average": 0.0, "daily_min": null,
             "daily_max": null, "days_within": null},
        ])
    );
    // The CSV has a column per definition: the day's amount, 0 on a logged day without
    // any, empty on a day not logged.
    let csv = app.get(&format!("{path}&format=csv"), &ann).await;
    assert_eq!(csv.status, StatusCode::OK);
    let text = csv.body.as_str().unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].ends_with(",Caffeine_mg,Iodine_µg"), "{}", lines[0]);
    let tail = |date: &str| -> String {
        let l = lines.iter().find(|l| l.starts_with(date)).unwrap();
        l.split(',').rev().take(2).collect::<Vec<_>>().join("|")
    };
    assert_eq!(tail("2026-11-01"), "|");
    assert_eq!(tail("2026-11-02"), "0|285");
    assert_eq!(tail("2026-11-03"), "0|95");
    assert_eq!(tail("2026-11-04"), "0|0");
    // Shared through reports: the same rows; otherwise none of it.
    app.post(
        "/api/v1/family-access",
        &ann,
        json!({"grantee_email": "bob@example.com", "access_type": "reports"}),
    )
    .await;
    let theirs = app.get(&format!("{path}&user_id={ann_id}"), &bob).await;
    assert_eq!(theirs.body["custom_nutrients"], r.body["custom_nutrients"]);
    assert_eq!(
        app.get(path, &bob).await.body["custom_nutrients"],
        json!([])
    );
}
