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
    // A workout on Tuesday 06-30, a day without food: outside the week budget (its target is
    // not counted, so neither is its exercise).
    owner
        .execute(
            "INSERT INTO exercise_diary (user_id, exercise_id, duration_minutes, calories_burned, performed_at)
             SELECT $1, id, 40, 400, '2026-06-30 18:00+00' FROM exercises WHERE user_id IS NULL LIMIT 1",
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
    assert_eq!(b["exercise_eat_back_percent"], 100);

    // Eating back half of the exercise calories (Settings): only 140 of the 280 count, for
    // Ann and for whoever she shares her diary with.
    let r = app
        .put(
            "/api/v1/preferences",
            &ann,
            json!({"exercise_eat_back_percent": 50}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["exercise_eat_back_percent"], 50);
    let half = app.get("/api/v1/summary/2026-07-05", &ann).await;
    assert_eq!(
        half.body["remaining"]["calories"], 1495.7,
        "2000 − 644.3 + 140"
    );
    assert_eq!(half.body["exercise_eat_back_percent"], 50);
    assert_eq!(
        half.body["burned"], 280.0,
        "burned is still what was burned"
    );
    // The week's budget (Monday 2026-06-29 to this Sunday): the days with food logged (07-01
    // to 07-03) and this one, 4 × 2000, against everything eaten up to this day
    // (3 × 189.5 + 644.3) and the share of exercise that counts. Monday, Tuesday and Saturday
    // have nothing logged: they are not 6,000 kcal "left" (a new user's first Sunday showed
    // a whole week's budget against one day).
    assert_eq!(
        half.body["week"],
        json!({"from": "2026-06-29", "to": "2026-07-05", "budget": 8000.0, "days_counted": 4,
               "eaten": 1212.8, "burned_counted": 140.0, "remaining": 6927.2, "days_after": 0})
    );
    // Mid-week, only the days up to the one asked about count as eaten, and the days after
    // it are in the budget.
    let wednesday = app.get("/api/v1/summary/2026-07-01", &ann).await;
    assert_eq!(
        wednesday.body["week"],
        json!({"from": "2026-06-29", "to": "2026-07-05", "budget": 10000.0, "days_counted": 5,
               "eaten": 189.5, "burned_counted": 0.0, "remaining": 9810.5, "days_after": 4})
    );
    // Weeks that start on Sunday: that Sunday opens a new week.
    let r = app
        .put("/api/v1/preferences", &ann, json!({"week_start": "sunday"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let sunday = app.get("/api/v1/summary/2026-07-05", &ann).await;
    assert_eq!(
        sunday.body["week"],
        json!({"from": "2026-07-05", "to": "2026-07-11", "budget": 14000.0, "days_counted": 7,
               "eaten": 644.3, "burned_counted": 140.0, "remaining": 13495.7, "days_after": 6})
    );
    let wednesday = app.get("/api/v1/summary/2026-07-01", &ann).await;
    assert_eq!(wednesday.body["week"]["from"], "2026-06-28");
    assert_eq!(wednesday.body["week"]["days_after"], 3);
    let bad = app
        .put(
            "/api/v1/preferences",
            &ann,
            json!({"week_start": "someday"}),
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        bad.body
    );
    assert!(
        bad.body["error"]["fields"]["week_start"].is_string(),
        "{:?}",
        bad.body
    );
    let r = app
        .put("/api/v1/preferences", &ann, json!({"week_start": "monday"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let (_, bob) = app.user("bob@example.com").await;
    let r = app
        .post(
            "/api/v1/family-access",
            &ann,
            json!({"grantee_email": "bob@example.com", "access_type": "reports"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let shared = app
        .get(
            &format!("/api/v1/summary/2026-07-05?user_id={ann_id}"),
            &bob,
        )
        .await;
    assert_eq!(shared.status, StatusCode::OK, "{:?}", shared.body);
    assert_eq!(shared.body["remaining"]["calories"], 1495.7);
    for bad in [json!(101), json!(-1), json!("half"), json!(50.5)] {
        let r = app
            .put(
                "/api/v1/preferences",
                &ann,
                json!({"exercise_eat_back_percent": bad}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {:?}",
            r.body
        );
    }
    let r = app
        .put(
            "/api/v1/preferences",
            &ann,
            json!({"exercise_eat_back_percent": 100}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
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
    common::assert_day_totals_match_diary(&app).await;

    // Corrections and deletions reach the totals: a later weight, water removed, the workout
    // deleted, a weight moved to another day.
    owner
        .batch_execute(&format!(
            "INSERT INTO measurements (user_id, type, value, unit, measured_at)
               VALUES ('{ann_uuid}', 'weight', 80.4, 'kg', '2026-07-05 21:00+00');
             DELETE FROM measurements WHERE user_id = '{ann_uuid}' AND type = 'water' AND entry_date = '2026-07-05';
             DELETE FROM exercise_diary WHERE user_id = '{ann_uuid}';
             UPDATE measurements SET measured_at = '2026-07-04 07:00+00', entry_date = '2026-07-04'
               WHERE user_id = '{ann_uuid}' AND value = 81.2;"
        ))
        .await
        .unwrap();
    common::assert_day_totals_match_diary(&app).await;
    let s = app.get("/api/v1/summary/2026-07-05", &ann).await;
    assert_eq!(s.body["weight_kg"], 80.4);
    assert_eq!(s.body["water_ml"], 0.0);
    assert_eq!(s.body["burned"], 0.0);
    let s = app.get("/api/v1/summary/2026-07-04", &ann).await;
    assert_eq!(s.body["weight_kg"], 81.2);
    assert_eq!(s.body["water_ml"], 999.0);

    assert_eq!(
        app.get("/api/v1/summary/2026-02-30", &ann).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

/// Today's streak is not 0 before anything is logged today: it is the one ending yesterday
/// (in the owner's timezone), while a past day without entries still has none.
#[tokio::test]
async fn todays_streak_lasts_until_today_ends() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let r = app
        .put(
            "/api/v1/preferences",
            &ann,
            json!({"timezone": "Pacific/Auckland"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Pacific::Auckland)
        .date_naive();
    let oats = food(&app, &ann, 380.0, 13.0).await;
    for back in 1..=3u64 {
        let d = (today - chrono::Days::new(back)).to_string();
        log(&app, &ann, &oats, 50.0, &d, "breakfast").await;
    }
    let s = app.get(&format!("/api/v1/summary/{today}"), &ann).await;
    assert_eq!(s.body["entries"], 0);
    assert_eq!(s.body["streak_days"], 3, "{:?}", s.body);
    log(&app, &ann, &oats, 50.0, &today.to_string(), "breakfast").await;
    let s = app.get(&format!("/api/v1/summary/{today}"), &ann).await;
    assert_eq!(s.body["streak_days"], 4);
    // A past day without entries ended its streak.
    let gap = (today - chrono::Days::new(5)).to_string();
    log(
        &app,
        &ann,
        &oats,
        50.0,
        &(today - chrono::Days::new(6)).to_string(),
        "lunch",
    )
    .await;
    let s = app.get(&format!("/api/v1/summary/{gap}"), &ann).await;
    assert_eq!(s.body["streak_days"], 0);
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
    // reports opens measurements too: the water is known.
    assert_eq!(s.body["water_ml"], 0.0);
    assert_eq!(r.body["days"][0]["water_ml"], 0.0, "{:?}", r.body);

    // A `calorie` grantee sees the diary but not measurements: water is unknown (null), not
    // "0 ml drunk"; the page says it is not shared.
    let (_, cat) = app.user("cat@example.com").await;
    app.post(
        "/api/v1/family-access",
        &ann,
        json!({"grantee_email": "cat@example.com", "access_type": "calorie"}),
    )
    .await;
    let c = app.get(&path, &cat).await;
    assert_eq!(c.status, StatusCode::OK, "{:?}", c.body);
    assert_eq!(c.body["eaten"]["calories"], 379.0);
    assert_eq!(c.body["water_ml"], Value::Null, "{:?}", c.body);
    assert_eq!(c.body["remaining"]["water"], Value::Null);
    let r = app.get(&range, &cat).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["days"][0]["eaten"]["calories"], 379.0);
    assert_eq!(r.body["days"][0]["water_ml"], Value::Null, "{:?}", r.body);
}

/// The per-day totals the summary reads are kept by triggers; every way the diary changes
/// (log, edit, move to another day, delete, copy, bulk SQL, deleting the user) keeps them equal
/// to the diary itself.
#[tokio::test]
async fn day_totals_stay_equal_to_the_diary_through_every_kind_of_change() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (bob_id, bob) = app.user("bob@example.com").await;
    let oats = food(&app, &ann, 379.0, 13.15).await;
    let apple = food(&app, &bob, 52.1, 0.26).await;
    for (date, meal) in [
        ("2026-10-01", "breakfast"),
        ("2026-10-01", "lunch"),
        ("2026-10-02", "dinner"),
    ] {
        log(&app, &ann, &oats, 80.0, date, meal).await;
    }
    log(&app, &bob, &apple, 150.0, "2026-10-01", "snack").await;
    assert_eq!(common::assert_day_totals_match_diary(&app).await, 3);

    let day = app.get("/api/v1/diary/2026-10-01", &ann).await;
    let first = day.body["meals"][0]["entries"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let second = day.body["meals"][1]["entries"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .put(
            &format!("/api/v1/diary/{first}"),
            &ann,
            json!({"quantity": 125.5}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    common::assert_day_totals_match_diary(&app).await;
    // Moving an entry changes two days.
    let r = app
        .put(
            &format!("/api/v1/diary/{second}"),
            &ann,
            json!({"date": "2026-10-03"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(common::assert_day_totals_match_diary(&app).await, 4);
    let r = app
        .post(
            "/api/v1/diary/copy",
            &ann,
            json!({"from_date": "2026-10-01", "to_date": "2026-10-05"}),
        )
        .await;
    assert!(r.status.is_success(), "{:?}", r.body);
    assert_eq!(common::assert_day_totals_match_diary(&app).await, 5);
    // Deleting a day's only entry removes the day.
    assert_eq!(
        app.delete(&format!("/api/v1/diary/{first}"), &ann)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(common::assert_day_totals_match_diary(&app).await, 4);
    let one = app.get("/api/v1/summary/2026-10-01", &ann).await;
    assert_eq!(one.body["entries"], 0);
    assert!(one.body["eaten"]["calories"].is_null(), "{:?}", one.body);

    // Bulk statements over many days and users, as the owner.
    let owner = app.db.owner_client().await;
    owner
        .execute(
            "INSERT INTO food_diary (user_id, food_item_id, quantity, unit, meal_type, consumed_at, entry_date, calories, protein)
             SELECT u.id, NULL, 10 * g, 'g', 'snack', d + time '10:00', d, g * 1.25, NULL
             FROM users u, generate_series(date '2026-10-01', date '2026-10-20', interval '1 day') d,
                  generate_series(1, 3) g",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(common::assert_day_totals_match_diary(&app).await, 40);
    owner
        .execute(
            "UPDATE food_diary SET entry_date = entry_date + 1, calories = calories * 2 WHERE meal_type = 'snack'",
            &[],
        )
        .await
        .unwrap();
    common::assert_day_totals_match_diary(&app).await;
    let bob_uuid: uuid::Uuid = bob_id.parse().unwrap();
    owner
        .execute("DELETE FROM users WHERE id = $1", &[&bob_uuid])
        .await
        .unwrap();
    let days = common::assert_day_totals_match_diary(&app).await;
    assert_eq!(days, 20, "ann's days: 2026-10-02 to 2026-10-21");
}

/// Many requests logging food on the same day at once: each total is recomputed after a
/// per-day lock, so none is lost.
#[tokio::test]
async fn concurrent_logging_on_one_day_keeps_exact_totals() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let oats = food(&app, &ann, 379.0, 13.15).await;
    let posts = (0..32).map(|i| {
        app.post(
            "/api/v1/diary",
            &ann,
            json!({"food_item_id": oats["id"], "quantity": 10 + i, "unit": "g",
                   "meal_type": "lunch", "date": "2026-11-01"}),
        )
    });
    for r in futures::future::join_all(posts).await {
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    assert_eq!(common::assert_day_totals_match_diary(&app).await, 1);
    let s = app.get("/api/v1/summary/2026-11-01", &ann).await;
    assert_eq!(s.body["entries"], 32);
    // 32 entries of 10..=41 g: 816 g of 379 kcal/100 g.
    assert_eq!(s.body["eaten"]["calories"], 3092.64);
}

/// Per growing table: (name, sequential scans, heap and index blocks touched), from the
/// statistics views. Backends report their counters when they exit, so the app's connections
/// are ended first.
async fn table_reads(app: &TestApp) -> Vec<(String, i64, i64)> {
    let owner = app.db.owner_client().await;
    owner
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    for _ in 0..100 {
        let others: i64 = owner
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if others == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    owner
        .query(
            "SELECT s.relname::text, s.seq_scan,
                    coalesce(io.heap_blks_read + io.heap_blks_hit, 0) + coalesce(io.idx_blks_read + io.idx_blks_hit, 0)
             FROM pg_stat_user_tables s JOIN pg_statio_user_tables io USING (relid)
             WHERE s.relname IN ('food_diary', 'diary_day_totals', 'measurement_day_totals', 'measurements',
                                 'exercise_diary', 'exercise_sets')
             ORDER BY s.relname",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

/// With sequential scans priced out (enable_seqscan = off), PostgreSQL still scans a table
/// sequentially, or walks a whole index, only when no index condition can narrow the read:
/// under row level security that happens when a condition is not leakproof (COALESCE, LIKE…),
/// and it turns a 2 ms diary day into a read of every user's diary. With another user's
/// 40,000 entries in the tables, the everyday reads must touch only a few pages.
#[tokio::test]
async fn everyday_reads_touch_only_the_users_rows_under_row_level_security() {
    let db = sparky_testkit::TestDb::new().await;
    let mut config = db.request_config();
    config.options("-c enable_seqscan=off");
    let database = db
        .database_builder()
        .requests(sparky_db::RequestLogin::as_request_role(config))
        .pool_size(4)
        .build()
        .unwrap();
    let app = TestApp::serve(db, database, sparky_web::WebConfig::default()).await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let (crowd_id, _) = app.user("crowd@example.com").await;
    let ann_uuid: uuid::Uuid = ann_id.parse().unwrap();
    let crowd_uuid: uuid::Uuid = crowd_id.parse().unwrap();
    let oats = food(&app, &ann, 379.0, 13.15).await;
    log(&app, &ann, &oats, 50.0, "2026-07-05", "breakfast").await;
    let sled = app.sled_push_workout(&ann, "2026-07-05").await;
    app.post(
        "/api/v1/family-access",
        &ann,
        json!({"grantee_email": "bob@example.com", "access_type": "reports"}),
    )
    .await;
    let owner = app.db.owner_client().await;
    owner
        .execute(
            "INSERT INTO measurements (user_id, type, value, unit, measured_at) VALUES
               ($1, 'water', 500, 'ml', '2026-07-05 09:00+00'), ($1, 'weight', 81.2, 'kg', '2026-07-05 07:00+00')",
            &[&ann_uuid],
        )
        .await
        .unwrap();
    for sql in [
        "INSERT INTO food_diary (user_id, quantity, unit, meal_type, consumed_at, entry_date, food_name, calories)
         SELECT $1, 100, 'g', 'lunch', d + time '12:00', d, 'Crowd food', 100
         FROM generate_series(date '2025-07-06', date '2026-07-05', interval '1 day') d, generate_series(1, 110) n",
        "INSERT INTO measurements (user_id, type, value, unit, measured_at)
         SELECT $1, t, 1, 'ml', d + time '08:00' + n * interval '1 minute'
         FROM generate_series(date '2025-07-06', date '2026-07-05', interval '1 day') d,
              (VALUES ('water'), ('weight')) w(t), generate_series(1, 30) n",
        "INSERT INTO exercise_diary (user_id, exercise_id, duration_minutes, calories_burned, performed_at)
         SELECT $1, (SELECT id FROM exercises WHERE user_id IS NULL ORDER BY name LIMIT 1), 30, 200, d + time '18:00'
         FROM generate_series(date '2025-07-06', date '2026-07-05', interval '1 day') d, generate_series(1, 30) n",
        "INSERT INTO exercise_sets (exercise_diary_id, set_number, reps, weight_kg)
         SELECT e.id, n, 10, 50 FROM exercise_diary e, generate_series(1, 3) n WHERE e.user_id = $1",
    ] {
        owner.execute(sql, &[&crowd_uuid]).await.unwrap();
    }
    owner.batch_execute("ANALYZE").await.unwrap();
    let before = table_reads(&app).await;
    assert_eq!(before.len(), 6, "{before:?}");

    let paths = [
        "/api/v1/diary/2026-07-05".to_string(),
        "/api/v1/summary/2026-07-05".to_string(),
        "/api/v1/summary?from=2025-07-06&to=2026-07-05".to_string(),
        "/api/v1/workouts/2026-07-05".to_string(),
        "/api/v1/measurements?type=weight&from=2026-06-06&to=2026-07-05".to_string(),
        format!("/api/v1/exercises/{sled}/history"),
    ];
    for path in &paths {
        let r = app.get(path, &ann).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {:?}", r.body);
        let shared = format!(
            "{path}{}user_id={ann_id}",
            if path.contains('?') { '&' } else { '?' }
        );
        let r = app.get(&shared, &bob).await;
        assert_eq!(r.status, StatusCode::OK, "{shared}: {:?}", r.body);
    }
    let after = table_reads(&app).await;
    for ((table, seq_before, blocks_before), (_, seq_after, blocks_after)) in
        before.iter().zip(&after)
    {
        assert_eq!(
            seq_after, seq_before,
            "{table}: a sequential scan while serving {paths:?}"
        );
        // Twelve requests, each a few index and heap pages per table; reading the crowd's rows
        // (hundreds of pages) would be far more.
        assert!(
            blocks_after - blocks_before < 80,
            "{table}: {} blocks read while serving {paths:?}",
            blocks_after - blocks_before
        );
    }
}

/// Logging, editing, moving and deleting entries of the same days at once: inserts add to the
/// day totals while edits and deletes recompute them, and neither may lose the other's change.
/// One food knows its fiber and the other does not, so the totals also keep "unknown" apart
/// from a sum of the entries that know it.
#[tokio::test]
async fn concurrent_logging_editing_and_deleting_keep_exact_totals() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let oats = food(&app, &ann, 379.0, 13.15).await;
    let r = app
        .post(
            "/api/v1/foods",
            &ann,
            json!({"name": "Bran", "servings": [{"size": 100, "unit": "g",
                   "nutrients": {"calories": 321.5, "fiber": 42.8}}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let bran = r.body;
    for i in 0..16 {
        let f = if i % 2 == 0 { &oats } else { &bran };
        log(&app, &ann, f, 20.0 + i as f64, "2026-11-10", "lunch").await;
    }
    // A day where no entry knows the fiber: it stays unknown.
    log(&app, &ann, &oats, 55.0, "2026-11-12", "dinner").await;
    let day = app.get("/api/v1/diary/2026-11-10", &ann).await;
    let ids: Vec<String> = day.body["meals"][1]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 16);

    let mut writes = Vec::new();
    for i in 0..24 {
        let f = if i % 3 == 0 { &bran } else { &oats };
        let date = if i % 2 == 0 {
            "2026-11-10"
        } else {
            "2026-11-11"
        };
        writes.push(app.post(
            "/api/v1/diary",
            &ann,
            json!({"food_item_id": f["id"], "quantity": 10 + i, "unit": "g",
                   "meal_type": "snack", "date": date}),
        ));
    }
    let paths: Vec<String> = ids.iter().map(|id| format!("/api/v1/diary/{id}")).collect();
    let edits = paths[..8].iter().enumerate().map(|(i, path)| {
        let body = if i % 2 == 0 {
            json!({"quantity": 99.5})
        } else {
            json!({"date": "2026-11-11"})
        };
        app.put(path, &ann, body)
    });
    let deletes = paths[8..14].iter().map(|path| app.delete(path, &ann));
    let (writes, edits, deletes) = futures::future::join3(
        futures::future::join_all(writes),
        futures::future::join_all(edits),
        futures::future::join_all(deletes),
    )
    .await;
    for r in writes {
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    for r in edits {
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    for r in deletes {
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    }
    assert_eq!(common::assert_day_totals_match_diary(&app).await, 3);
    // 16 logged, 4 moved away and 6 deleted, 12 added; 4 moved in and 12 added.
    let ten = app.get("/api/v1/summary/2026-11-10", &ann).await;
    assert_eq!(ten.body["entries"], 18, "{:?}", ten.body);
    let eleven = app.get("/api/v1/summary/2026-11-11", &ann).await;
    assert_eq!(eleven.body["entries"], 16, "{:?}", eleven.body);
    assert!(eleven.body["eaten"]["fiber"].as_f64().unwrap() > 0.0);
    let twelve = app.get("/api/v1/summary/2026-11-12", &ann).await;
    assert_eq!(twelve.body["eaten"]["calories"], 208.45);
    assert!(twelve.body["eaten"]["fiber"].is_null(), "{:?}", twelve.body);
}

#[tokio::test]
async fn today_and_the_nutrients_only_some_entries_know() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let r = app
        .put(
            "/api/v1/preferences",
            &ann,
            json!({"timezone": "Pacific/Auckland"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let oats = food(&app, &ann, 379.0, 13.15).await;
    let r = app
        .post(
            "/api/v1/foods",
            &ann,
            json!({"name": "Apple", "servings": [{"size": 100, "unit": "g",
                   "nutrients": {"calories": 52, "carbohydrates": 13.8, "fiber": 2.4}}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let apple = r.body;
    // Logged without a date: today in Ann's timezone.
    let entry = app
        .post(
            "/api/v1/diary",
            &ann,
            json!({"food_item_id": oats["id"], "quantity": 100, "unit": "g", "meal_type": "breakfast"}),
        )
        .await;
    assert_eq!(entry.status, StatusCode::CREATED, "{:?}", entry.body);
    let today = entry.body["date"].as_str().unwrap().to_string();
    let s = app.get("/api/v1/summary/today", &ann).await;
    assert_eq!(s.status, StatusCode::OK, "{:?}", s.body);
    assert_eq!(s.body["date"], today.as_str());
    assert_eq!(s.body["entries"], 1);
    assert!(
        s.body.get("partial").is_none(),
        "one entry knows what it knows"
    );
    assert_eq!(app.get("/api/v1/summary/TODAY", &ann).await.body, s.body);

    // The apple knows carbohydrates and fiber, the oats do not: those totals are partial;
    // nutrients neither knows are simply absent, and protein and fat are known by one only.
    log(&app, &ann, &apple, 150.0, &today, "snack").await;
    let s = app.get(&format!("/api/v1/summary/{today}"), &ann).await;
    assert_eq!(s.body["entries"], 2);
    assert_eq!(
        s.body["partial"],
        json!(["protein", "carbohydrates", "fat", "fiber"])
    );
    assert_eq!(s.body["eaten"]["fiber"], 3.6);
    assert!(s.body["eaten"].get("sugar").is_none());
    // The diary day says the same.
    let day = app.get("/api/v1/diary/today", &ann).await;
    assert_eq!(day.body["partial"], s.body["partial"]);
    assert_eq!(day.body["totals"], s.body["eaten"]);

    for path in [
        "/api/v1/summary/9999-12-31",
        "/api/v1/summary/1899-12-31",
        "/api/v1/summary/yesterday",
        "/api/v1/summary?from=1899-12-31&to=1900-01-05",
        "/api/v1/summary?from=2199-12-31&to=9999-01-01",
    ] {
        let r = app.get(path, &ann).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {:?}",
            r.body
        );
    }
}

/// Every `?user_id=` read of this area, for every pair of access types a user may give the
/// same person: 200 when either type opens the area, 404 otherwise, never a 500 (two grants
/// that both allow a read used to make the visibility check fail).
#[tokio::test]
async fn two_grants_to_one_person_open_every_read_of_body_data() {
    let app = TestApp::spawn().await;
    let (_, viewer) = app.user("viewer@example.com").await;
    let types = ["calorie", "checkin", "reports", "food_list"];
    let diary = |t: &str| matches!(t, "calorie" | "reports");
    let body = |t: &str| matches!(t, "checkin" | "reports");
    let mut pairs = Vec::new();
    for (i, a) in types.iter().enumerate() {
        for b in &types[i + 1..] {
            pairs.push((*a, *b));
        }
    }
    assert_eq!(pairs.len(), 6);
    for (n, (a, b)) in pairs.iter().enumerate() {
        let email = format!("owner{n}@example.com");
        let (owner_id, owner) = app.user(&email).await;
        for t in [a, b] {
            let g = app
                .post(
                    "/api/v1/family-access",
                    &owner,
                    json!({"grantee_email": "viewer@example.com", "access_type": t}),
                )
                .await;
            assert_eq!(g.status, StatusCode::CREATED, "{:?}", g.body);
        }
        let opens_diary = diary(a) || diary(b);
        let opens_body = body(a) || body(b);
        let u = format!("user_id={owner_id}");
        for (path, visible) in [
            // Daily targets with the diary, weight goals with the weight.
            (format!("/api/v1/goals?{u}"), opens_diary || opens_body),
            (format!("/api/v1/summary/2026-07-01?{u}"), opens_diary),
            (format!("/api/v1/summary/today?{u}"), opens_diary),
            (
                format!("/api/v1/summary?from=2026-07-01&to=2026-07-31&{u}"),
                opens_diary,
            ),
            (format!("/api/v1/measurements?{u}"), opens_body),
            (format!("/api/v1/measurements?type=weight&{u}"), opens_body),
            (format!("/api/v1/measurements/latest?{u}"), opens_body),
            (format!("/api/v1/reports/nutrition?{u}"), opens_diary),
            (format!("/api/v1/reports/foods?{u}"), opens_diary),
            (format!("/api/v1/reports/exercise?{u}"), opens_diary),
            (format!("/api/v1/reports/body?{u}"), opens_body),
            (format!("/api/v1/measurement-types?{u}"), true),
            (format!("/api/v1/profile?{u}"), true),
        ] {
            let r = app.get(&path, &viewer).await;
            let expected = if visible {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(r.status, expected, "{a}+{b}: {path}: {:?}", r.body);
        }
        // Writing: checkin (with or without reports) logs a measurement for the owner.
        let w = app
            .post(
                &format!("/api/v1/measurements?{u}"),
                &viewer,
                json!({"type": "weight", "value": 70}),
            )
            .await;
        if *a == "checkin" || *b == "checkin" {
            assert_eq!(w.status, StatusCode::CREATED, "{a}+{b}: {:?}", w.body);
        } else {
            assert!(
                matches!(w.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                "{a}+{b}: {:?}",
                w.body
            );
        }
    }
}

/// The week of the last day Sparky keeps counts no day after it.
#[tokio::test]
async fn the_last_weeks_budget_ends_on_the_last_day() {
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
    let s = app.get("/api/v1/summary/2199-12-31", &ann).await;
    assert_eq!(s.status, StatusCode::OK, "{:?}", s.body);
    assert_eq!(s.body["week"]["days_counted"], 1, "{:?}", s.body);
    assert_eq!(s.body["week"]["days_after"], 0);
    assert_eq!(s.body["week"]["budget"], 2000.0);
}

/// A day before whose entries know no calories adds no target to the week's budget.
#[tokio::test]
async fn a_day_without_known_calories_adds_nothing_to_the_week() {
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
    let oats = food(&app, &ann, 380.0, 13.0).await;
    log(&app, &ann, &oats, 100.0, "2026-06-01", "breakfast").await;
    let r = app
        .post(
            "/api/v1/diary/quick-add",
            &ann,
            json!({"date": "2026-06-02", "meal_type": "lunch", "name": "Shake", "nutrients": {"protein": 30}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let s = app.get("/api/v1/summary/2026-06-03", &ann).await;
    let week = &s.body["week"];
    assert_eq!(week["days_counted"], 6, "{week}");
    assert_eq!(week["budget"], 12000.0);
    assert_eq!(week["eaten"], 380.0);
}

/// Two weights typed for one past day (both at noon): the one written last is the day's.
#[tokio::test]
async fn of_two_weights_typed_for_one_day_the_last_counts() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    for day in 10..16 {
        let date = format!("2026-06-{day}");
        for kg in [77.0, 76.2] {
            let r = app
                .post(
                    "/api/v1/measurements",
                    &ann,
                    json!({"type": "weight", "value": kg, "unit": "kg", "date": date}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        }
        let s = app.get(&format!("/api/v1/summary/{date}"), &ann).await;
        assert_eq!(s.body["weight_kg"], 76.2, "{date}: {:?}", s.body);
    }
}

/// A past day is summed up against the targets it had (goals change in place; the trigger's
/// history keeps what they were), and so is its week's budget; today has the goals' own.
#[tokio::test]
async fn a_past_day_has_the_targets_it_had() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let ann_id: uuid::Uuid = ann_id.parse().unwrap();
    for (kind, value) in [("calorie_target", 2000), ("protein_target", 100)] {
        let r = app
            .post(
                "/api/v1/goals",
                &ann,
                json!({"type": kind, "target_value": value}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    // As if both were set on 07-01 and lowered on 07-08 (Wednesday), then raised again today.
    let owner = app.db.owner_client().await;
    owner
        .batch_execute(&format!(
            "UPDATE goal_target_history SET valid_from = '2026-07-01' WHERE user_id = '{ann_id}';
             INSERT INTO goal_target_history (user_id, type, valid_from, target_value) VALUES
                 ('{ann_id}', 'calorie_target', '2026-07-08', 1500),
                 ('{ann_id}', 'protein_target', '2026-07-08', 80),
                 ('{ann_id}', 'calorie_target', current_date - 1, 2000),
                 ('{ann_id}', 'protein_target', current_date - 1, 100);"
        ))
        .await
        .unwrap();
    let oats = food(&app, &ann, 380.0, 13.0).await;
    log(&app, &ann, &oats, 100.0, "2026-07-07", "breakfast").await;
    log(&app, &ann, &oats, 100.0, "2026-07-09", "breakfast").await;

    let before = app.get("/api/v1/summary/2026-07-07", &ann).await;
    assert_eq!(before.status, StatusCode::OK, "{:?}", before.body);
    assert_eq!(
        before.body["targets"]["calories"], 2000.0,
        "{}",
        before.body
    );
    let after = app.get("/api/v1/summary/2026-07-09", &ann).await;
    assert_eq!(after.body["targets"]["calories"], 1500.0, "{}", after.body);
    assert_eq!(after.body["targets"]["protein"], 80.0, "{}", after.body);
    assert_eq!(
        after.body["remaining"]["calories"], 1120.0,
        "{}",
        after.body
    );
    // The week of 07-06: 07-07 logged (2,000 then), 07-09 to 07-12 at 1,500.
    assert_eq!(after.body["week"]["days_counted"], 5, "{}", after.body);
    assert_eq!(after.body["week"]["budget"], 8000.0, "{}", after.body);
    let today = app.get("/api/v1/summary/today", &ann).await;
    assert_eq!(today.body["targets"]["calories"], 2000.0, "{}", today.body);
    assert_eq!(today.body["targets"]["protein"], 100.0, "{}", today.body);
}

/// Weights, water and MET-estimated workouts written, edited and deleted at once on the same
/// days: the day's water and last weight stay what the measurements say, and every workout's
/// estimate is the one its day's body weight gives, whichever committed first (a weight change
/// re-estimates the workouts it can see; a workout estimates with the weight it can see).
#[tokio::test]
async fn concurrent_weights_water_and_workouts_keep_totals_and_estimates() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let r = app
        .post(
            "/api/v1/exercises",
            &ann,
            json!({"name": "Eight MET thing", "category": "cardio", "met_value": 8}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let exercise = r.body["id"].as_str().unwrap().to_string();
    let days = ["2026-10-01", "2026-10-02", "2026-10-03"];
    let mut weights = Vec::new();
    for (i, day) in days.iter().enumerate() {
        let r = app
            .post(
                "/api/v1/measurements",
                &ann,
                json!({"type": "weight", "value": 70 + i, "unit": "kg", "date": day}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        weights.push(format!(
            "/api/v1/measurements/{}",
            r.body["id"].as_str().unwrap()
        ));
    }

    let mut posts = Vec::new();
    for i in 0..30usize {
        let day = days[i % 3];
        let (path, body) = match i % 3 {
            0 => (
                "/api/v1/measurements",
                json!({"type": "weight", "value": 60 + i, "unit": "kg", "date": day}),
            ),
            1 => (
                "/api/v1/measurements",
                json!({"type": "water", "value": 250 + i, "unit": "ml", "date": day}),
            ),
            _ => (
                "/api/v1/workouts",
                json!({"exercise_id": exercise, "date": day, "duration_minutes": 20 + i}),
            ),
        };
        posts.push(app.post(path, &ann, body));
    }
    let edits = weights[..2]
        .iter()
        .map(|path| app.put(path, &ann, json!({"value": 95, "unit": "kg"})));
    let delete = app.delete(&weights[2], &ann);
    let (posts, edits, delete) = futures::future::join3(
        futures::future::join_all(posts),
        futures::future::join_all(edits),
        delete,
    )
    .await;
    for r in posts {
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    for r in edits {
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    assert_eq!(delete.status, StatusCode::NO_CONTENT, "{:?}", delete.body);

    common::assert_day_totals_match_diary(&app).await;
    let owner = app.db.owner_client().await;
    let wrong: i64 = owner
        .query_one(
            "SELECT count(*) FROM exercise_diary d
             WHERE d.calories_source = 'met' AND d.calories_burned IS DISTINCT FROM
                   public.workout_calories_estimate_seconds(d.user_id, d.entry_date, d.met_value, d.duration_seconds)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let estimated: i64 = owner
        .query_one(
            "SELECT count(*) FROM exercise_diary WHERE calories_source = 'met'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        (wrong, estimated),
        (0, 10),
        "workouts estimated with a stale weight"
    );
}
