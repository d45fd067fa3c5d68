//! Goals and calorie suggestions, black-box over HTTP against a real database. Data that goals
//! derive from (weights, water, diary entries) is inserted as its owner through the app role,
//! so RLS applies as it does for the app.

mod common;

use chrono::Datelike;
use common::{As, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sparky_core::report::WEEKDAY_NAMES as WEEKDAYS;
use uuid::Uuid;

async fn create_goal(app: &TestApp, who: &As, body: Value) -> Value {
    let r = app.post("/api/v1/goals", who, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body
}

/// Inserts a measurement `days_ago` days before now, as its owner.
/// Pauses `who`'s active weight goal, so another may be set (one is active at a time).
async fn pause_weight_goal(app: &TestApp, who: &As) {
    let goals = app.get("/api/v1/goals", who).await.body;
    for g in goals.as_array().unwrap() {
        let weight =
            ["weight_loss", "muscle_gain", "weight_target"].contains(&g["type"].as_str().unwrap());
        if weight && g["status"] == "active" {
            let r = app
                .put(
                    &format!("/api/v1/goals/{}", g["id"].as_str().unwrap()),
                    who,
                    json!({"status": "paused"}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        }
    }
}

async fn measure(app: &TestApp, owner: &str, kind: &str, value: &str, unit: &str, days_ago: i32) {
    let owner: Uuid = owner.parse().unwrap();
    let db = app.db.database().await;
    let mut tx = db.as_user(owner).await.unwrap();
    tx.execute(
        "INSERT INTO measurements (user_id, type, value, unit, measured_at)
         VALUES ($1, $2, $3::text::numeric, $4, now() - make_interval(days => $5))",
        &[&owner, &kind, &value, &unit, &days_ago],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// Inserts a food diary entry for today in the owner's timezone (or `days_ago` before it).
async fn eat(app: &TestApp, owner: &str, calories: &str, protein: &str, days_ago: i32) {
    let owner: Uuid = owner.parse().unwrap();
    let db = app.db.database().await;
    let mut tx = db.as_user(owner).await.unwrap();
    tx.execute(
        "INSERT INTO food_diary (user_id, food_name, quantity, unit, meal_type, consumed_at,
             entry_date, calories, protein, carbohydrates, fat)
         SELECT $1, 'Test food', 1, 'serving', 'lunch', now(),
             (now() AT TIME ZONE coalesce((SELECT timezone FROM user_preferences WHERE user_id = $1), 'UTC'))::date - $4::int,
             $2::text::numeric, $3::text::numeric, 10, 5",
        &[&owner, &calories, &protein, &days_ago],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn goal_crud() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let g = create_goal(
        &app,
        &ann,
        json!({"type": "calorie_target", "target_value": 2000, "target_date": "2027-01-31"}),
    )
    .await;
    assert_eq!(g["type"], "calorie_target");
    assert_eq!(g["status"], "active");
    assert_eq!(g["target_value"], 2000.0);
    assert_eq!(g["target_unit"], "kcal");
    assert_eq!(g["target_date"], "2027-01-31");
    assert_eq!(g["user_id"], ann_id.as_str());
    assert_eq!(g["current_value"], 0.0);
    assert_eq!(g["progress_percent"], 0.0);
    let id = g["id"].as_str().unwrap();

    let list = app.get("/api/v1/goals", &ann).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    let one = app.get(&format!("/api/v1/goals/{id}"), &ann).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body["id"], id);

    let up = app
        .put(
            &format!("/api/v1/goals/{id}"),
            &ann,
            json!({"target_value": 1800, "status": "paused"}),
        )
        .await;
    assert_eq!(up.status, StatusCode::OK, "{:?}", up.body);
    assert_eq!(up.body["target_value"], 1800.0);
    assert_eq!(up.body["status"], "paused");
    let filtered = app.get("/api/v1/goals?status=active", &ann).await;
    assert_eq!(filtered.body.as_array().unwrap().len(), 0);
    let filtered = app.get("/api/v1/goals?type=calorie_target", &ann).await;
    assert_eq!(filtered.body.as_array().unwrap().len(), 1);

    // Validation names the field.
    let bad = app
        .post(
            "/api/v1/goals",
            &ann,
            json!({"type": "happiness", "target_value": 1}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body["error"]["fields"]["type"].is_string(),
        "{:?}",
        bad.body
    );
    let bad = app
        .post(
            "/api/v1/goals",
            &ann,
            json!({"type": "protein_target", "target_value": -5}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body["error"]["fields"]["target_value"].is_string());
    let bad = app
        .post(
            "/api/v1/goals",
            &ann,
            json!({"type": "weight_target", "target_value": 70, "target_unit": "stone"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body["error"]["fields"]["target_unit"].is_string());
    let bad = app.get("/api/v1/goals?status=done", &ann).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    // current_value is derived, never typed in.
    let bad = app
        .post(
            "/api/v1/goals",
            &ann,
            json!({"type": "fat_target", "target_value": 60, "current_value": 10}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    assert_eq!(
        app.delete(&format!("/api/v1/goals/{id}"), &ann)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&format!("/api/v1/goals/{id}"), &ann).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&format!("/api/v1/goals/{id}"), &ann)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn one_active_goal_per_type() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let first = create_goal(
        &app,
        &ann,
        json!({"type": "weight_loss", "target_value": 70}),
    )
    .await;
    let second = app
        .post(
            "/api/v1/goals",
            &ann,
            json!({"type": "weight_loss", "target_value": 65}),
        )
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT, "{:?}", second.body);
    // Nor another weight goal of another type: both would aim the weight somewhere.
    for other in ["weight_target", "muscle_gain"] {
        let r = app
            .post(
                "/api/v1/goals",
                &ann,
                json!({"type": other, "target_value": 80}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{other}: {:?}", r.body);
        assert!(
            r.body.to_string().contains("already an active weight goal"),
            "{:?}",
            r.body
        );
    }
    // Other types are independent; a paused goal of the type does not count.
    create_goal(
        &app,
        &ann,
        json!({"type": "calorie_target", "target_value": 2000}),
    )
    .await;
    create_goal(
        &app,
        &ann,
        json!({"type": "weight_target", "target_value": 70, "status": "paused"}),
    )
    .await;
    create_goal(
        &app,
        &ann,
        json!({"type": "weight_loss", "target_value": 60, "status": "paused"}),
    )
    .await;
    let id = first["id"].as_str().unwrap();
    let paused = app
        .put(
            &format!("/api/v1/goals/{id}"),
            &ann,
            json!({"status": "paused"}),
        )
        .await;
    assert_eq!(paused.status, StatusCode::OK);
    let next = create_goal(
        &app,
        &ann,
        json!({"type": "weight_loss", "target_value": 65}),
    )
    .await;
    assert_eq!(next["status"], "active");
    // Re-activating the old one now conflicts.
    let again = app
        .put(
            &format!("/api/v1/goals/{id}"),
            &ann,
            json!({"status": "active"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    // Completing the new one frees the slot.
    let next_id = next["id"].as_str().unwrap();
    app.put(
        &format!("/api/v1/goals/{next_id}"),
        &ann,
        json!({"status": "completed"}),
    )
    .await;
    let again = app
        .put(
            &format!("/api/v1/goals/{id}"),
            &ann,
            json!({"status": "active"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
}

#[tokio::test]
async fn weight_goal_current_value_and_progress_from_measurements() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    // No weight yet: no current value, no progress.
    let g = create_goal(
        &app,
        &ann,
        json!({"type": "weight_loss", "target_value": 80}),
    )
    .await;
    assert_eq!(g["current_value"], Value::Null);
    assert_eq!(g["progress_percent"], Value::Null);
    assert_eq!(g["target_unit"], "kg");
    let id = g["id"].as_str().unwrap().to_string();
    app.delete(&format!("/api/v1/goals/{id}"), &ann).await;

    measure(&app, &ann_id, "weight", "90", "kg", 3).await;
    measure(&app, &ann_id, "weight", "88", "kg", 1).await;
    let g = create_goal(
        &app,
        &ann,
        json!({"type": "weight_loss", "target_value": 80}),
    )
    .await;
    // The start is the latest weight when the goal was set.
    assert_eq!(g["start_value"], 88.0);
    assert_eq!(g["current_value"], 88.0);
    assert_eq!(g["progress_percent"], 0.0);
    let id = g["id"].as_str().unwrap().to_string();
    measure(&app, &ann_id, "weight", "84", "kg", 0).await;
    let g = app.get(&format!("/api/v1/goals/{id}"), &ann).await.body;
    assert_eq!(g["current_value"], 84.0);
    // (88 − 84) / (88 − 80) = 50 %
    assert_eq!(g["progress_percent"], 50.0);
    // Past the target: clamped to 100.
    measure(&app, &ann_id, "weight", "78.5", "kg", 0).await;
    let g = app.get(&format!("/api/v1/goals/{id}"), &ann).await.body;
    assert_eq!(g["current_value"], 78.5);
    assert_eq!(g["progress_percent"], 100.0);

    // Imperial owner: goals in lb, typed and shown; 180 lb stays 180 lb.
    let r = app
        .put(
            "/api/v1/preferences",
            &ann,
            json!({"units_system": "imperial"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    pause_weight_goal(&app, &ann).await;
    let w = create_goal(
        &app,
        &ann,
        json!({"type": "weight_target", "target_value": 180}),
    )
    .await;
    assert_eq!(w["target_unit"], "lb");
    assert_eq!(w["target_value"], 180.0);
    // 78.5 kg = 173.06 lb
    assert_eq!(w["current_value"], 173.06);
    let g = app.get(&format!("/api/v1/goals/{id}"), &ann).await.body;
    assert_eq!(g["target_unit"], "lb");
    // 80 kg = 176.37 lb
    assert_eq!(g["target_value"], 176.37);
    // Stored canonically in kg.
    let owner = app.db.owner_client().await;
    let kg: String = owner
        .query_one(
            "SELECT target_value::text FROM goals WHERE type = 'weight_target'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(kg, "81.646627"); // 180 × 0.45359237 = 81.6466266
}

#[tokio::test]
async fn daily_targets_from_todays_diary_and_water() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let cal = create_goal(
        &app,
        &ann,
        json!({"type": "calorie_target", "target_value": 2000}),
    )
    .await;
    let protein = create_goal(
        &app,
        &ann,
        json!({"type": "protein_target", "target_value": 100, "target_unit": "g"}),
    )
    .await;
    let water = create_goal(
        &app,
        &ann,
        json!({"type": "water_target", "target_value": 2, "target_unit": "l"}),
    )
    .await;
    assert_eq!(water["target_value"], 2000.0);
    assert_eq!(water["target_unit"], "ml");

    eat(&app, &ann_id, "500.5", "20", 0).await;
    eat(&app, &ann_id, "699.5", "10.25", 0).await;
    eat(&app, &ann_id, "3000", "200", 1).await; // yesterday: not counted
    measure(&app, &ann_id, "water", "500", "ml", 0).await;
    measure(&app, &ann_id, "water", "750", "ml", 0).await;
    measure(&app, &ann_id, "water", "900", "ml", 2).await; // not today

    let list = app.get("/api/v1/goals", &ann).await;
    assert_eq!(list.status, StatusCode::OK);
    let find = |id: &Value| {
        list.body
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["id"] == *id)
            .unwrap()
            .clone()
    };
    let c = find(&cal["id"]);
    assert_eq!(c["current_value"], 1200.0);
    assert_eq!(c["progress_percent"], 60.0);
    let p = find(&protein["id"]);
    assert_eq!(p["current_value"], 30.25);
    assert_eq!(p["progress_percent"], 30.25);
    let w = find(&water["id"]);
    assert_eq!(w["current_value"], 1250.0);
    assert_eq!(w["progress_percent"], 62.5);
    assert_eq!(c["projected_date"], Value::Null);
}

#[tokio::test]
async fn projected_date_for_a_steady_loss_and_none_when_flat() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (bob_id, bob) = app.user("bob@example.com").await;
    // Ann loses 0.2 kg a day for 30 days: 100 → 94.2.
    for i in 0..30 {
        let value = rust_decimal::Decimal::from(100)
            - rust_decimal::Decimal::new(2, 1) * rust_decimal::Decimal::from(i);
        measure(&app, &ann_id, "weight", &value.to_string(), "kg", 29 - i).await;
    }
    let g = create_goal(
        &app,
        &ann,
        json!({"type": "weight_loss", "target_value": 90, "start_value": 100}),
    )
    .await;
    let projected = g["projected_date"].as_str().expect("a projected date");
    let today = chrono::Utc::now().date_naive();
    let projected = chrono::NaiveDate::parse_from_str(projected, "%Y-%m-%d").unwrap();
    assert!(projected > today, "{projected} after {today}");
    // About (94.2 trend-ish − 90) / 0.2 a day: weeks away, not years.
    assert!(
        projected < today + chrono::Duration::days(120),
        "{projected}"
    );
    assert_eq!(g["current_value"], 94.2);
    // (100 − 94.2) / (100 − 90) = 58 %
    assert_eq!(g["progress_percent"], 58.0);
    // A paused goal has no projection.
    let id = g["id"].as_str().unwrap();
    let paused = app
        .put(
            &format!("/api/v1/goals/{id}"),
            &ann,
            json!({"status": "paused"}),
        )
        .await;
    assert_eq!(paused.body["projected_date"], Value::Null);

    // Bob's weight is flat: no projection.
    for i in 0..30 {
        measure(&app, &bob_id, "weight", "80", "kg", i).await;
    }
    let g = create_goal(
        &app,
        &bob,
        json!({"type": "weight_loss", "target_value": 75}),
    )
    .await;
    assert_eq!(g["projected_date"], Value::Null);
    assert_eq!(g["current_value"], 80.0);
    // Gaining towards a loss target: none either.
    pause_weight_goal(&app, &bob).await;
    let g = create_goal(
        &app,
        &bob,
        json!({"type": "muscle_gain", "target_value": 85}),
    )
    .await;
    assert_eq!(g["projected_date"], Value::Null);
}

#[tokio::test]
async fn suggest_matches_worked_examples() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;

    // Mifflin-St Jeor, man 80 kg, 180 cm, 30 y: 1780; moderate × 1.55 = 2759; −0.5 kg/week
    // = −550 kcal/day → 2209.
    let r = app
        .get(
            "/api/v1/goals/suggest?sex=male&age=30&height_cm=180&weight_kg=80&activity=moderate&weekly_change_kg=-0.5",
            &ann,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let b = &r.body;
    assert_eq!(b["bmr"], 1780.0);
    assert_eq!(b["bmr_formula"], "Mifflin-St Jeor");
    assert_eq!(b["activity_multiplier"], 1.55);
    assert_eq!(b["tdee"], 2759.0);
    assert_eq!(b["kcal_per_kg"], 7700.0);
    assert_eq!(b["daily_adjustment_kcal"], -550.0);
    assert_eq!(b["target_calories"], 2209.0);
    assert_eq!(b["floor_applied"], false);
    assert_eq!(b["floor_kcal"], 1500.0);
    assert_eq!(b["macros"]["protein_g"], 144.0);
    assert_eq!(b["macros"]["fat_g"], 61.4);
    assert_eq!(b["macros"]["carbohydrates_g"], 270.2);

    // Woman 60 kg, 165 cm, 25 y: 1345.25; sedentary 1614.3.
    let r = app
        .get(
            "/api/v1/goals/suggest?sex=female&age=25&height_cm=165&weight_kg=60",
            &ann,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["bmr"], 1345.25);
    assert_eq!(r.body["activity"], "sedentary");
    assert_eq!(r.body["tdee"], 1614.3);
    assert_eq!(r.body["target_calories"], 1614.3);
    // An aggressive deficit (−1 kg/week = −1100 kcal/day → 514.3) stops at the 1200 floor.
    let r = app
        .get(
            "/api/v1/goals/suggest?sex=female&age=25&height_cm=165&weight_kg=60&weekly_change_kg=-1",
            &ann,
        )
        .await;
    assert_eq!(r.body["target_calories"], 1200.0);
    assert_eq!(r.body["floor_applied"], true);
    assert_eq!(r.body["floor_kcal"], 1200.0);
    // The floor is configurable.
    let r = app
        .get(
            "/api/v1/goals/suggest?sex=female&age=25&height_cm=165&weight_kg=60&weekly_change_kg=-1&floor_kcal=1400",
            &ann,
        )
        .await;
    assert_eq!(r.body["target_calories"], 1400.0);
    assert_eq!(r.body["floor_applied"], true);

    // Katch-McArdle with body fat: 80 kg at 20 % → 370 + 21.6 × 64 = 1752.4.
    let r = app
        .get(
            "/api/v1/goals/suggest?sex=male&age=30&height_cm=180&weight_kg=80&body_fat_percent=20",
            &ann,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["bmr"], 1752.4);
    assert_eq!(r.body["bmr_formula"], "Katch-McArdle");
    assert_eq!(r.body["tdee"], 2102.88);

    // Validation names the field.
    let r = app
        .get(
            "/api/v1/goals/suggest?age=abc&height_cm=180&weight_kg=80&activity=lazy",
            &ann,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = &r.body["error"]["fields"];
    assert!(fields["sex"].is_string(), "{:?}", r.body);
    assert!(fields["age"].is_string());
    assert!(fields["activity"].is_string());
    let r = app
        .get(
            "/api/v1/goals/suggest?sex=male&age=30&height_cm=180&weight_kg=80&floor_kcal=100",
            &ann,
        )
        .await;
    assert!(r.body["error"]["fields"]["floor_kcal"].is_string());
    let r = app
        .get(
            "/api/v1/goals/suggest?sex=male&age=30&height_cm=180&weight_kg=80&weekly_change_kg=-5",
            &ann,
        )
        .await;
    assert!(r.body["error"]["fields"]["weekly_change_kg"].is_string());
    // An empty value is not "absent": the document declares an enum and numbers.
    let r = app
        .get("/api/v1/goals/suggest?activity=&age=&sex=male", &ann)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body["error"]["fields"]["activity"].is_string(),
        "{:?}",
        r.body
    );
    assert!(r.body["error"]["fields"]["age"].is_string());
    // No weight given and none measured.
    let r = app
        .get("/api/v1/goals/suggest?sex=male&age=30&height_cm=180", &ann)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["error"]["fields"]["weight_kg"].is_string());

    // Missing weight and height default to the latest measurements.
    measure(&app, &ann_id, "height", "180", "cm", 30).await;
    measure(&app, &ann_id, "weight", "85", "kg", 5).await;
    measure(&app, &ann_id, "weight", "80", "kg", 1).await;
    let r = app.get("/api/v1/goals/suggest?sex=male&age=30", &ann).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["bmr"], 1780.0);
    assert_eq!(r.body["inputs"]["weight_kg"], 80.0);
    assert_eq!(r.body["inputs"]["weight_source"], "measurement");
    assert_eq!(r.body["inputs"]["height_source"], "measurement");

    assert_eq!(
        app.get("/api/v1/goals/suggest?sex=male&age=30", &As::Nobody)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn goals_are_isolated_between_users() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let g = create_goal(
        &app,
        &ann,
        json!({"type": "calorie_target", "target_value": 2000}),
    )
    .await;
    let path = format!("/api/v1/goals/{}", g["id"].as_str().unwrap());
    assert_eq!(app.get(&path, &bob).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.put(&path, &bob, json!({"target_value": 1}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.delete(&path, &bob).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&format!("/api/v1/goals?user_id={ann_id}"), &bob)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .post(
            &format!("/api/v1/goals?user_id={ann_id}"),
            &bob,
            json!({"type": "fat_target", "target_value": 50}),
        )
        .await;
    assert!(
        matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{:?}",
        r.body
    );
    assert_eq!(app.get("/api/v1/goals", &bob).await.body, json!([]));
    // Bob's own goal of the same type is his own slot.
    create_goal(
        &app,
        &bob,
        json!({"type": "calorie_target", "target_value": 2500}),
    )
    .await;
    // Ann's goal is untouched.
    let mine = app.get(&path, &ann).await;
    assert_eq!(mine.body["target_value"], 2000.0);
    // A user with no goals of their own sees none of anyone's, even with a direct query.
    let db = app.db.database().await;
    let nobody = db.as_user(Uuid::nil()).await.unwrap();
    let rows = nobody
        .query_and_commit("SELECT count(*) FROM goals", &[])
        .await
        .unwrap();
    assert_eq!(rows[0].get::<_, i64>(0), 0);
}

#[tokio::test]
async fn family_grantees_read_goals_but_never_write_them() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let (_, cat) = app.user("cat@example.com").await;
    let (_, dan) = app.user("dan@example.com").await;
    measure(&app, &ann_id, "weight", "90", "kg", 0).await;
    let g = create_goal(
        &app,
        &ann,
        json!({"type": "weight_loss", "target_value": 80}),
    )
    .await;
    eat(&app, &ann_id, "1000", "50", 0).await;
    create_goal(
        &app,
        &ann,
        json!({"type": "calorie_target", "target_value": 2000}),
    )
    .await;
    let list_path = format!("/api/v1/goals?user_id={ann_id}");
    let path = format!("/api/v1/goals/{}", g["id"].as_str().unwrap());

    // reports: reads goals, with values derived from Ann's data.
    let r = app
        .post(
            "/api/v1/family-access",
            &ann,
            json!({"grantee_email": "bob@example.com", "access_type": "reports"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let seen = app.get(&list_path, &bob).await;
    assert_eq!(seen.status, StatusCode::OK, "{:?}", seen.body);
    let goals = seen.body.as_array().unwrap();
    assert_eq!(goals.len(), 2);
    let weight = goals.iter().find(|g| g["type"] == "weight_loss").unwrap();
    assert_eq!(weight["current_value"], 90.0);
    let cal = goals
        .iter()
        .find(|g| g["type"] == "calorie_target")
        .unwrap();
    assert_eq!(cal["current_value"], 1000.0);
    assert_eq!(app.get(&path, &bob).await.status, StatusCode::OK);
    // ...and cannot write them.
    let r = app.put(&path, &bob, json!({"target_value": 60})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert_eq!(app.delete(&path, &bob).await.status, StatusCode::FORBIDDEN);
    let r = app
        .post(
            &list_path,
            &bob,
            json!({"type": "fat_target", "target_value": 50}),
        )
        .await;
    assert!(
        matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{:?}",
        r.body
    );
    let after = app.get(&path, &ann).await;
    assert_eq!(after.body["target_value"], 80.0);
    assert_eq!(
        app.get("/api/v1/goals", &ann)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // food_list does not include goals.
    app.post(
        "/api/v1/family-access",
        &ann,
        json!({"grantee_email": "cat@example.com", "access_type": "food_list"}),
    )
    .await;
    assert_eq!(
        app.get(&list_path, &cat).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get(&path, &cat).await.status, StatusCode::NOT_FOUND);
    // checkin (the weight) shows the weight goal, whose start is a weight, and not the daily
    // targets; calorie (the diary) the daily targets and not the weight goal.
    app.post(
        "/api/v1/family-access",
        &ann,
        json!({"grantee_email": "dan@example.com", "access_type": "checkin"}),
    )
    .await;
    let seen = app.get(&list_path, &dan).await;
    assert_eq!(seen.status, StatusCode::OK, "{:?}", seen.body);
    let types: Vec<&str> = seen
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["weight_loss"], "{:?}", seen.body);
    // calorie: reads goals too.
    app.post(
        "/api/v1/family-access",
        &ann,
        json!({"grantee_email": "cat@example.com", "access_type": "calorie"}),
    )
    .await;
    let seen = app.get(&list_path, &cat).await;
    assert_eq!(seen.status, StatusCode::OK);
    let types: Vec<&str> = seen
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["calorie_target"], "{:?}", seen.body);
    // The weight goal is not even visible to her; the calorie target is, read-only.
    assert_eq!(
        app.put(&path, &cat, json!({"status": "paused"}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let cal_path = format!("/api/v1/goals/{}", seen.body[0]["id"].as_str().unwrap());
    assert_eq!(
        app.put(&cal_path, &cat, json!({"status": "paused"}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_profile_is_kept_changed_field_by_field_and_shared_like_preferences() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let empty = app.get("/api/v1/profile", &ann).await;
    assert_eq!(empty.status, StatusCode::OK, "{:?}", empty.body);
    assert_eq!(empty.body["user_id"], ann_id.as_str());
    for f in [
        "sex",
        "birth_date",
        "age",
        "height_cm",
        "activity_level",
        "updated_at",
    ] {
        assert_eq!(empty.body[f], Value::Null, "{f}");
    }
    let r = app
        .put(
            "/api/v1/profile",
            &ann,
            json!({"sex": "Female", "birth_date": "1990-01-01", "height_cm": 165.5, "activity_level": "Very-Active"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["sex"], "female");
    assert_eq!(r.body["birth_date"], "1990-01-01");
    assert_eq!(r.body["height_cm"], 165.5);
    assert_eq!(r.body["activity_level"], "very_active");
    let age = r.body["age"].as_i64().unwrap();
    assert!((35..=37).contains(&age), "{age}");
    // Left out: kept; null: cleared.
    let r = app
        .put(
            "/api/v1/profile",
            &ann,
            json!({"activity_level": "light", "height_cm": null}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["sex"], "female");
    assert_eq!(r.body["activity_level"], "light");
    assert_eq!(r.body["height_cm"], Value::Null);
    assert_eq!(app.get("/api/v1/profile", &ann).await.body, r.body);

    // Bad values are refused with the field named, and change nothing.
    for (body, field) in [
        (json!({"sex": "other"}), "sex"),
        (json!({"birth_date": "1899-12-31"}), "birth_date"),
        (json!({"birth_date": "2150-01-01"}), "birth_date"),
        (json!({"height_cm": 20}), "height_cm"),
        (json!({"height_cm": 300}), "height_cm"),
        (json!({"activity_level": "lazy"}), "activity_level"),
        (json!({"weight_kg": 60}), "weight_kg"),
    ] {
        let bad = app.put("/api/v1/profile", &ann, body.clone()).await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            bad.body
        );
        assert!(
            bad.body["error"]["fields"][field].is_string(),
            "{body}: {:?}",
            bad.body
        );
    }
    assert_eq!(app.get("/api/v1/profile", &ann).await.body, r.body);

    // Others: nothing without a grant; any grant shows it; nobody else writes it.
    let theirs = format!("/api/v1/profile?user_id={ann_id}");
    assert_eq!(app.get(&theirs, &bob).await.status, StatusCode::NOT_FOUND);
    app.post(
        "/api/v1/family-access",
        &ann,
        json!({"grantee_email": "bob@example.com", "access_type": "food_list"}),
    )
    .await;
    let seen = app.get(&theirs, &bob).await;
    assert_eq!(seen.status, StatusCode::OK, "{:?}", seen.body);
    assert_eq!(seen.body["sex"], "female");
    let bobs = app
        .put("/api/v1/profile", &bob, json!({"sex": "male"}))
        .await;
    assert_eq!(
        bobs.body["user_id"],
        app.get("/api/v1/profile", &bob).await.body["user_id"]
    );
    assert_eq!(app.get(&theirs, &bob).await.body["sex"], "female");
}

#[tokio::test]
async fn suggest_uses_the_profile_for_what_the_query_leaves_out() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    // 30 years old today (in UTC, Ann's timezone).
    let today = chrono::Utc::now().date_naive();
    let birth = today
        .with_year(today.year() - 30)
        .unwrap_or(today - chrono::Days::new(30 * 365 + 8));
    let r = app
        .put(
            "/api/v1/profile",
            &ann,
            json!({"sex": "male", "birth_date": birth.to_string(), "height_cm": 180, "activity_level": "moderate"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["age"], 30);
    // Only the weight is missing.
    let r = app.get("/api/v1/goals/suggest", &ann).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = r.body["error"]["fields"].as_object().unwrap();
    assert_eq!(
        fields.keys().collect::<Vec<_>>(),
        ["weight_kg"],
        "{:?}",
        r.body
    );
    measure(&app, &ann_id, "height", "170", "cm", 3).await;
    measure(&app, &ann_id, "weight", "80", "kg", 1).await;
    // The worked example of suggest_matches_worked_examples, from the profile.
    let r = app
        .get("/api/v1/goals/suggest?weekly_change_kg=-0.5", &ann)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["bmr"], 1780.0);
    assert_eq!(r.body["tdee"], 2759.0);
    assert_eq!(r.body["target_calories"], 2209.0);
    let inputs = &r.body["inputs"];
    assert_eq!(inputs["sex_source"], "profile");
    assert_eq!(inputs["age"], 30);
    assert_eq!(inputs["age_source"], "profile");
    assert_eq!(
        inputs["height_cm"], 180.0,
        "the profile's height before a measurement"
    );
    assert_eq!(inputs["height_source"], "profile");
    assert_eq!(inputs["weight_source"], "measurement");
    assert_eq!(inputs["activity_source"], "profile");
    assert_eq!(r.body["activity"], "moderate");
    // The query still wins.
    let r = app
        .get(
            "/api/v1/goals/suggest?sex=female&age=25&height_cm=165&weight_kg=60&activity=SEDENTARY",
            &ann,
        )
        .await;
    assert_eq!(r.body["bmr"], 1345.25);
    assert_eq!(r.body["inputs"]["sex_source"], "query");
    assert_eq!(r.body["inputs"]["activity_source"], "query");
}

#[tokio::test]
async fn a_weight_goal_can_set_its_calorie_target_in_the_same_call() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let old = create_goal(
        &app,
        &ann,
        json!({"type": "calorie_target", "target_value": 2500}),
    )
    .await;

    // Without a profile nothing can be worked out, and nothing is saved.
    let r = app
        .post(
            "/api/v1/goals",
            &ann,
            json!({"type": "weight_loss", "target_value": 75, "with_calorie_target": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let problem = r.body["error"]["fields"]["with_calorie_target"]
        .as_str()
        .unwrap();
    assert!(
        problem.contains("sex") && problem.contains("weight_kg"),
        "{problem}"
    );
    assert_eq!(
        app.get("/api/v1/goals", &ann)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let today = chrono::Utc::now().date_naive();
    let birth = today
        .with_year(today.year() - 30)
        .unwrap_or(today - chrono::Days::new(30 * 365 + 8));
    app.put(
        "/api/v1/profile",
        &ann,
        json!({"sex": "male", "birth_date": birth.to_string(), "height_cm": 180, "activity_level": "moderate"}),
    )
    .await;
    measure(&app, &ann_id, "weight", "80", "kg", 0).await;
    let r = app
        .post(
            "/api/v1/goals",
            &ann,
            json!({"type": "Weight_Loss", "target_value": 75, "with_calorie_target": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["type"], "weight_loss");
    assert_eq!(r.body["start_value"], 80.0);
    let set = &r.body["calorie_target"];
    // TDEE 2759 − 550 (0.5 kg a week, the default) = 2209 kcal.
    assert_eq!(set["goal"]["type"], "calorie_target");
    assert_eq!(set["goal"]["status"], "active");
    assert_eq!(set["goal"]["target_value"], 2209.0);
    assert_eq!(set["rate_source"], "default");
    assert_eq!(set["suggestion"]["weekly_change_kg"], -0.5);
    assert_eq!(set["paused_goal_id"], old["id"]);
    let message = set["message"].as_str().unwrap();
    assert!(
        message.contains("2209 kcal") && message.contains("2500 kcal"),
        "{message}"
    );
    let goals = app.get("/api/v1/goals", &ann).await.body;
    let status_of = |id: &Value| {
        goals
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["id"] == *id)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status_of(&old["id"]), "paused");
    assert_eq!(status_of(&set["goal"]["id"]), "active");

    // A target date sets the rate: 4 kg in 4 weeks is 1 kg a week, the most suggested.
    pause_weight_goal(&app, &ann).await;
    let r = app
        .post(
            "/api/v1/goals",
            &ann,
            json!({"type": "muscle_gain", "target_value": 84, "target_date": (today + chrono::Days::new(28)).to_string(),
                   "with_calorie_target": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let set = &r.body["calorie_target"];
    assert_eq!(set["rate_source"], "target_date");
    assert_eq!(set["rate_limited"], true);
    assert_eq!(set["suggestion"]["weekly_change_kg"], 0.5);
    // 2759 + 550
    assert_eq!(set["goal"]["target_value"], 3309.0);

    // The rate may be given; its sign must fit the goal. Other goal types cannot ask.
    for (body, field) in [
        (
            json!({"type": "weight_target", "target_value": 75, "with_calorie_target": true}),
            "with_calorie_target",
        ),
        (
            json!({"type": "weight_loss", "target_value": 75, "with_calorie_target": true, "weekly_change_kg": 0.5}),
            "weekly_change_kg",
        ),
        (
            json!({"type": "weight_loss", "target_value": 75, "weekly_change_kg": -0.5}),
            "weekly_change_kg",
        ),
        (
            json!({"type": "weight_loss", "target_value": 75, "target_date": "9999-12-31"}),
            "target_date",
        ),
    ] {
        let bad = app.post("/api/v1/goals", &ann, body.clone()).await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            bad.body
        );
        assert!(
            bad.body["error"]["fields"][field].is_string(),
            "{body}: {:?}",
            bad.body
        );
    }
    // A second active weight_loss goal conflicts: the calorie target is not touched either.
    let before = app
        .get("/api/v1/goals?type=calorie_target&status=active", &ann)
        .await
        .body;
    let r = app
        .post(
            "/api/v1/goals",
            &ann,
            json!({"type": "weight_loss", "target_value": 70, "with_calorie_target": true, "weekly_change_kg": -1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert_eq!(
        app.get("/api/v1/goals?type=calorie_target&status=active", &ann)
            .await
            .body,
        before
    );
}

#[tokio::test]
async fn goals_accept_any_letter_case_bounded_lists_and_retries() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let body =
        json!({"type": "WATER_TARGET", "target_value": 2, "target_unit": "L", "status": "Active"});
    let a = app
        .post_with_key("/api/v1/goals", &ann, "goal-1", body.clone())
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    assert_eq!(a.body["type"], "water_target");
    assert_eq!(a.body["target_value"], 2000.0);
    let b = app
        .post_with_key("/api/v1/goals", &ann, "goal-1", body)
        .await;
    assert_eq!(
        b.status,
        StatusCode::CREATED,
        "a retry, not a 409: {:?}",
        b.body
    );
    assert_eq!(a.body, b.body);
    let list = app
        .get("/api/v1/goals?type=Water_Target&status=ACTIVE", &ann)
        .await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    for q in ["limit=0", "limit=501", "type=happiness", "status=done"] {
        let r = app.get(&format!("/api/v1/goals?{q}"), &ann).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{q}: {:?}",
            r.body
        );
    }
    let id = a.body["id"].as_str().unwrap();
    let r = app
        .put(
            &format!("/api/v1/goals/{id}"),
            &ann,
            json!({"target_date": "2200-01-01"}),
        )
        .await;
    assert!(
        r.body["error"]["fields"]["target_date"].is_string(),
        "{:?}",
        r.body
    );
    // A goal is not due before it starts: neither when set nor when changed.
    let r = app
        .put(
            &format!("/api/v1/goals/{id}"),
            &ann,
            json!({"target_date": "2001-01-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(r.body["error"]["fields"]["target_date"].is_string());
    let kept = app.get(&format!("/api/v1/goals/{id}"), &ann).await;
    assert_ne!(kept.body["target_date"], "2001-01-01", "{:?}", kept.body);
    let r = app
        .post(
            "/api/v1/goals",
            &ann,
            json!({"type": "water_target", "target_value": 2000, "target_date": "2001-01-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(r.body["error"]["fields"]["target_date"].is_string());
    assert_eq!(
        app.get("/api/v1/goals/not-a-uuid", &ann).await.status,
        StatusCode::NOT_FOUND
    );
}

/// A daily target can differ by day of the week: today's progress, a day's summary and the
/// nutrition report's days and weekly budgets each use the day's own target; an update
/// replaces the days, `{}` clears them, and bad values are refused without changing anything.
#[tokio::test]
async fn daily_targets_can_differ_by_day_of_the_week() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let today = chrono::Utc::now().date_naive();
    let wd = today.weekday().num_days_from_monday() as usize;
    // Today's weekday has 2500, one other day 2600, the other five the usual 2000.
    let other = (wd + 2) % 7;
    let mut by = serde_json::Map::new();
    by.insert(WEEKDAYS[wd].into(), json!(2500.0));
    by.insert(WEEKDAYS[other].into(), json!(2600.0));
    let by = Value::Object(by);
    let g = create_goal(
        &app,
        &ann,
        json!({"type": "calorie_target", "target_value": 2000, "by_weekday": by}),
    )
    .await;
    assert_eq!(g["target_value"], 2000.0);
    assert_eq!(g["by_weekday"], by);
    assert_eq!(g["target_today"], 2500.0);
    let id = g["id"].as_str().unwrap().to_string();

    eat(&app, &ann_id, "1250", "40", 0).await;
    let list = app.get("/api/v1/goals", &ann).await;
    assert_eq!(list.body[0]["current_value"], 1250.0);
    assert_eq!(
        list.body[0]["progress_percent"], 50.0,
        "against today's 2500"
    );

    let day_target = |d: chrono::NaiveDate| {
        let app = &app;
        let ann = &ann;
        async move {
            let s = app.get(&format!("/api/v1/summary/{d}"), ann).await;
            assert_eq!(s.status, StatusCode::OK, "{:?}", s.body);
            (
                s.body["targets"]["calories"].clone(),
                s.body["remaining"]["calories"].clone(),
            )
        }
    };
    assert_eq!(day_target(today).await, (json!(2500.0), json!(1250.0)));
    let in_two_days = today + chrono::Duration::days(2);
    assert_eq!(
        day_target(in_two_days).await,
        (json!(2600.0), json!(2600.0))
    );
    let tomorrow = today + chrono::Duration::days(1);
    assert_eq!(day_target(tomorrow).await, (json!(2000.0), json!(2000.0)));

    // The report over this week: each day's target, the week's budget the sum of the logged
    // days' (today's only: the days without food are not calories under budget).
    let monday = today - chrono::Duration::days(wd as i64);
    let sunday = monday + chrono::Duration::days(6);
    let r = app
        .get(
            &format!("/api/v1/reports/nutrition?from={monday}&to={sunday}"),
            &ann,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let targets: Vec<f64> = r.body["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["calorie_target"].as_f64().unwrap())
        .collect();
    let mut expected = vec![2000.0; 7];
    expected[wd] = 2500.0;
    expected[other] = 2600.0;
    assert_eq!(targets, expected);
    assert_eq!(r.body["calories"]["weeks"][0]["budget"], 2500.0);
    assert_eq!(r.body["calories"]["target"], 2000.0);
    assert_eq!(r.body["calories"]["by_weekday"], by);
    // Today's 1250 is within its 2500.
    assert_eq!(r.body["calories"]["days_within_target"], 1);

    // Bad values: 422 naming the day, and nothing changes.
    for (body, field) in [
        (
            json!({"by_weekday": {"saturday": -5}}),
            "by_weekday.saturday",
        ),
        // Rounds to 0 at the stored precision.
        (
            json!({"by_weekday": {"sunday": 0.0000001}}),
            "by_weekday.sunday",
        ),
        (json!({"target_value": 0.0000001}), "target_value"),
        (
            json!({"by_weekday": {"monday": 25000}}),
            "by_weekday.monday",
        ),
        (
            json!({"by_weekday": {"friday": 1800}, "target_unit": "g"}),
            "target_unit",
        ),
    ] {
        let bad = app.put(&format!("/api/v1/goals/{id}"), &ann, body).await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{:?}",
            bad.body
        );
        assert!(
            bad.body["error"]["fields"][field].is_string(),
            "{field}: {:?}",
            bad.body
        );
    }
    let bad = app
        .put(
            &format!("/api/v1/goals/{id}"),
            &ann,
            json!({"by_weekday": {"funday": 1}}),
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        bad.body
    );
    let bad = app
        .post(
            "/api/v1/goals",
            &ann,
            json!({"type": "weight_target", "target_value": 70, "by_weekday": {"monday": 72}}),
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        bad.body
    );
    assert!(bad.body["error"]["fields"]["by_weekday"].is_string());
    let same = app.get(&format!("/api/v1/goals/{id}"), &ann).await;
    assert_eq!(same.body["by_weekday"], by);

    // An update replaces the days; `{}` makes every day the same again.
    let up = app
        .put(
            &format!("/api/v1/goals/{id}"),
            &ann,
            json!({"by_weekday": {"friday": 1800}}),
        )
        .await;
    assert_eq!(up.status, StatusCode::OK, "{:?}", up.body);
    assert_eq!(up.body["by_weekday"], json!({"friday": 1800.0}));
    let up = app
        .put(
            &format!("/api/v1/goals/{id}"),
            &ann,
            json!({"target_value": 2100}),
        )
        .await;
    assert_eq!(up.body["by_weekday"], json!({"friday": 1800.0}), "kept");
    let up = app
        .put(
            &format!("/api/v1/goals/{id}"),
            &ann,
            json!({"by_weekday": {}}),
        )
        .await;
    assert_eq!(up.status, StatusCode::OK, "{:?}", up.body);
    assert!(up.body.get("by_weekday").is_none(), "{:?}", up.body);
    assert_eq!(up.body["target_today"], 2100.0);
    assert_eq!(day_target(in_two_days).await.0, json!(2100.0));

    // Other daily targets too, in the unit given: litres of water stored as ml.
    let w = create_goal(
        &app,
        &ann,
        json!({"type": "water_target", "target_value": 2, "target_unit": "l",
               "by_weekday": {"sunday": 3}}),
    )
    .await;
    assert_eq!(w["by_weekday"], json!({"sunday": 3000.0}));

    // The database keeps the shape whoever writes: seven values, positive, not all missing,
    // daily targets only.
    let owner: Uuid = ann_id.parse().unwrap();
    let db = app.db.database().await;
    for (goal_type, array) in [
        ("calorie_target", "{1,2,3,4,5,6}"),
        ("calorie_target", "{NULL,NULL,NULL,NULL,NULL,NULL,NULL}"),
        ("calorie_target", "{0,NULL,NULL,NULL,NULL,NULL,NULL}"),
        ("weight_target", "{70,NULL,NULL,NULL,NULL,NULL,NULL}"),
    ] {
        let mut tx = db.as_user(owner).await.unwrap();
        let e = tx
            .execute(
                "INSERT INTO goals (user_id, type, target_value, target_unit, status, weekday_targets)
                 VALUES ($1, $2, 1500, 'kcal', 'paused', $3::text::numeric[])",
                &[&owner, &goal_type, &array],
            )
            .await
            .expect_err(array);
        let sparky_db::DbError::Postgres(pg) = &e else {
            panic!("{array}: {e}");
        };
        assert_eq!(
            pg.as_db_error().and_then(|d| d.constraint()),
            Some("goals_weekday_targets_check"),
            "{array}: {pg:?}"
        );
    }
}

/// Losing weight to a heavier target (or gaining to a lighter one) is refused on the target,
/// naming the starting weight in the user's unit, and nothing is written; reaching a weight
/// goes either way.
#[tokio::test]
async fn a_weight_goal_must_point_the_way_it_says() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let r = app
        .put(
            "/api/v1/preferences",
            &ann,
            json!({"units_system": "imperial"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .post(
            "/api/v1/measurements",
            &ann,
            json!({"type": "weight", "value": 165, "unit": "lb"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    for (kind, target) in [
        ("weight_loss", 170),
        ("weight_loss", 165),
        ("muscle_gain", 120),
    ] {
        let r = app
            .post(
                "/api/v1/goals",
                &ann,
                json!({"type": kind, "target_value": target, "target_unit": "lb",
                       "with_calorie_target": true}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind} {target}: {:?}",
            r.body
        );
        let message = r.body["error"]["fields"]["target_value"].to_string();
        assert!(message.contains("starting weight 165 lb"), "{message}");
    }
    let goals = app.get("/api/v1/goals", &ann).await;
    assert_eq!(goals.body.as_array().unwrap().len(), 0, "{:?}", goals.body);
    for (kind, target) in [
        ("weight_target", 170),
        ("weight_loss", 150),
        ("muscle_gain", 175),
    ] {
        pause_weight_goal(&app, &ann).await;
        let r = app
            .post(
                "/api/v1/goals",
                &ann,
                json!({"type": kind, "target_value": target, "target_unit": "lb"}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{kind} {target}: {:?}",
            r.body
        );
    }
}

/// A change that turns a weight goal the wrong way is refused like creating one: from its
/// start, or the latest weight when it has none; nothing changes.
#[tokio::test]
async fn a_changed_weight_goal_must_still_point_the_way_it_says() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    // Made before any weight: no start.
    let g = create_goal(
        &app,
        &ann,
        json!({"type": "weight_loss", "target_value": 70, "target_unit": "kg"}),
    )
    .await;
    let id = g["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            "/api/v1/measurements",
            &ann,
            json!({"type": "weight", "value": 80, "unit": "kg"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    for body in [
        json!({"target_value": 90, "target_unit": "kg"}),
        json!({"start_value": 60, "target_unit": "kg"}),
    ] {
        let r = app
            .put(&format!("/api/v1/goals/{id}"), &ann, body.clone())
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            r.body
        );
        assert!(
            r.body["error"]["fields"]["target_value"].is_string(),
            "{:?}",
            r.body
        );
    }
    let kept = app.get(&format!("/api/v1/goals/{id}"), &ann).await;
    assert_eq!(kept.body["target_value"], 70.0, "{:?}", kept.body);
    let r = app
        .put(
            &format!("/api/v1/goals/{id}"),
            &ann,
            json!({"target_value": 75, "target_unit": "kg"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

/// Weigh-ins that stopped months ago project no date in the past for a target not reached.
#[tokio::test]
async fn an_old_trend_projects_no_past_date() {
    let app = TestApp::spawn().await;
    let (cat_id, cat) = app.user("cat@example.com").await;
    // 90 → 87 kg over ten days, four months ago; at that rate 85 kg came and went months ago.
    for i in 0..11 {
        let value = rust_decimal::Decimal::from(90)
            - rust_decimal::Decimal::new(3, 1) * rust_decimal::Decimal::from(i);
        measure(&app, &cat_id, "weight", &value.to_string(), "kg", 120 - i).await;
    }
    let g = create_goal(
        &app,
        &cat,
        json!({"type": "weight_loss", "target_value": 85, "start_value": 90}),
    )
    .await;
    assert_eq!(g["projected_date"], Value::Null, "{g}");
}
