//! The daily summary equals the sum of its parts.

mod common;

use common::{As, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn food(app: &TestApp, who: &As, kcal: f64, protein: f64) -> Value {
    let r = app
        .post(
            "/api/v1/foods",
            who,
            json!({"name": format!("Food {kcal}"), "servings": [{"size": 100, "unit": "g",
                   "nutrients": {"calories": kcal, "protein": protein, "fat": 3.3}}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body
}

async fn log(app: &TestApp, who: &As, food: &Value, grams: f64, date: &str, meal: &str) {
    let r = app
        .post(
            "/api/v1/diary",
            who,
            json!({"food_item_id": food["id"], "quantity": grams, "unit": "g", "meal_type": meal, "date": date}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

#[tokio::test]
async fn a_day_adds_up_eaten_burned_targets_water_weight_and_streak() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let ann_uuid: uuid::Uuid = ann_id.parse().unwrap();
    let oats = food(&app, &ann, 379.0, 13.15).await;
    for date in ["2026-07-01", "2026-07-02", "2026-07-03", "2026-07-05"] {
        log(&app, &ann, &oats, 50.0, date, "breakfast").await;
    }
    log(&app, &ann, &oats, 120.0, "2026-07-05", "dinner").await;
    let owner = app.db.owner_client().await;
    owner
        .execute(
            "INSERT INTO goals (user_id, type, target_value, status) VALUES
               ($1, 'calorie_target', 2000, 'active'), ($1, 'protein_target', 150, 'active'),
               ($1, 'water_target', 2500, 'active'), ($1, 'fat_target', 70, 'paused')",
            &[&ann_uuid],
        )
        .await
        .unwrap();
    owner
        .execute(
            "INSERT INTO measurements (user_id, type, value, unit, measured_at) VALUES
               ($1, 'water', 500, 'ml', '2026-07-05 09:00+00'), ($1, 'water', 750, 'ml', '2026-07-05 15:00+00'),
               ($1, 'weight', 81.2, 'kg', '2026-07-05 07:00+00'), ($1, 'weight', 80.9, 'kg', '2026-07-05 20:00+00'),
               ($1, 'water', 999, 'ml', '2026-07-04 12:00+00')",
            &[&ann_uuid],
        )
        .await
        .unwrap();
    owner
        .execute(
            "INSERT INTO exercise_diary (user_id, exercise_id, duration_minutes, calories_burned, performed_at)
             SELECT $1, id, 30, 280, '2026-07-05 18:00+00' FROM exercises WHERE user_id IS NULL LIMIT 1",
            &[&ann_uuid],
        )
        .await
        .unwrap();

    let s = app.get("/api/v1/summary/2026-07-05", &ann).await;
    assert_eq!(s.status, StatusCode::OK, "{:?}", s.body);
    let b = &s.body;
    // 170 g of 379 kcal/100 g.
    assert_eq!(b["eaten"]["calories"], 644.3);
    assert_eq!(b["burned"], 280.0);
    assert_eq!(b["net_calories"], 364.3);
    assert_eq!(b["targets"]["calories"], 2000.0);
    assert!(
        b["targets"]["fat"].is_null(),
        "paused goals are not targets"
    );
    assert_eq!(b["remaining"]["calories"], 1635.7, "2000 − 644.3 + 280");
    assert_eq!(b["remaining"]["protein"], 127.65, "150 − 22.355 rounded");
    assert_eq!(b["water_ml"], 1250.0);
    assert_eq!(b["remaining"]["water"], 1250.0);
    assert_eq!(b["weight_kg"], 80.9, "the day's last weight");
    assert_eq!(b["entries"], 2);
    assert_eq!(b["streak_days"], 1, "the 4th has no entry");
    let s3 = app.get("/api/v1/summary/2026-07-03", &ann).await;
    assert_eq!(s3.body["streak_days"], 3);
    let s4 = app.get("/api/v1/summary/2026-07-04", &ann).await;
    assert_eq!(s4.body["streak_days"], 0);
    assert_eq!(s4.body["water_ml"], 999.0);

    // The summary agrees with the diary day, nutrient by nutrient.
    let day = app.get("/api/v1/diary/2026-07-05", &ann).await;
    assert_eq!(day.body["totals"], b["eaten"]);

    assert_eq!(
        app.get("/api/v1/summary/2026-02-30", &ann).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn a_range_is_one_row_a_day_and_equals_the_diary_days() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let foods = [
        food(&app, &ann, 379.0, 13.15).await,
        food(&app, &ann, 52.1, 0.26).await,
    ];
    // Pseudo-random entries over 20 days (a fixed LCG keeps the test repeatable).
    let mut seed: u64 = 42;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        seed >> 33
    };
    for _ in 0..40 {
        let day = 1 + next() % 20;
        let grams = 1.0 + (next() % 40000) as f64 / 100.0;
        let f = &foods[(next() % 2) as usize];
        let meal = ["breakfast", "lunch", "dinner", "snack"][(next() % 4) as usize];
        log(&app, &ann, f, grams, &format!("2026-08-{day:02}"), meal).await;
    }
    let r = app
        .get("/api/v1/summary?from=2026-08-01&to=2026-08-31", &ann)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let days = r.body["days"].as_array().unwrap();
    assert_eq!(days.len(), 31);
    let mut total_entries = 0;
    for d in days {
        let date = d["date"].as_str().unwrap();
        let diary = app.get(&format!("/api/v1/diary/{date}"), &ann).await;
        assert_eq!(d["eaten"], diary.body["totals"], "{date}");
        total_entries += d["entries"].as_i64().unwrap();
    }
    assert_eq!(total_entries, 40);

    let too_long = app
        .get("/api/v1/summary?from=2026-01-01&to=2027-01-02", &ann)
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    let backwards = app
        .get("/api/v1/summary?from=2026-08-02&to=2026-08-01", &ann)
        .await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    let year = app
        .get("/api/v1/summary?from=2026-01-01&to=2026-12-31", &ann)
        .await;
    assert_eq!(year.body["days"].as_array().unwrap().len(), 365);
}

#[tokio::test]
async fn family_members_see_a_summary_only_with_a_diary_grant() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let oats = food(&app, &ann, 379.0, 13.15).await;
    log(&app, &ann, &oats, 100.0, "2026-09-01", "lunch").await;
    let path = format!("/api/v1/summary/2026-09-01?user_id={ann_id}");
    assert_eq!(app.get(&path, &bob).await.status, StatusCode::NOT_FOUND);
    let range = format!("/api/v1/summary?from=2026-09-01&to=2026-09-02&user_id={ann_id}");
    assert_eq!(app.get(&range, &bob).await.status, StatusCode::NOT_FOUND);
    app.post(
        "/api/v1/family-access",
        &ann,
        json!({"grantee_email": "bob@example.com", "access_type": "reports"}),
    )
    .await;
    let s = app.get(&path, &bob).await;
    assert_eq!(s.status, StatusCode::OK);
    assert_eq!(s.body["eaten"]["calories"], 379.0);
    assert_eq!(s.body["user_id"], ann_id);
    let r = app.get(&range, &bob).await;
    assert_eq!(r.body["days"][0]["eaten"]["calories"], 379.0);
}
