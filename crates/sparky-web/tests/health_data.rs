//! Health data pushed from phones (`POST /api/v1/health-data`) and through SparkyFitness's
//! routes (`POST /api/health-data` and the two its app calls first), black-box over HTTP
//! against a real database.

mod common;

use common::{As, Response, TestApp};
use reqwest::{header, StatusCode};
use serde_json::{json, Value};

/// How a push authenticates.
enum Cred<'a> {
    Bearer(&'a str),
    XApiKey(&'a str),
    Cookie(&'a As, bool),
}

async fn send(app: &TestApp, path: &str, cred: Cred<'_>, body: Value) -> Response {
    let mut req = app.client.post(format!("{}{}", app.base, path)).json(&body);
    req = match cred {
        Cred::Bearer(k) => req.bearer_auth(k),
        Cred::XApiKey(k) => req.header("X-API-Key", k),
        Cred::Cookie(As::Cookie(c), with_origin) => {
            let req = req.header(header::COOKIE, format!("sparky_session={c}"));
            if with_origin {
                req.header(header::ORIGIN, app.origin())
            } else {
                req
            }
        }
        Cred::Cookie(..) => req,
    };
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    Response {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}

async fn push(app: &TestApp, key: &str, body: Value) -> Value {
    let r = send(app, "/api/v1/health-data", Cred::Bearer(key), body).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

/// A user with an API key: (user id, cookie, key).
async fn user_with_key(app: &TestApp, email: &str) -> (String, As, String) {
    let (id, cookie) = app.user(email).await;
    let r = app
        .post("/api/v1/api-keys", &cookie, json!({"name": "phone"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    (id, cookie, r.body["key"].as_str().unwrap().to_string())
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

/// (type, value as text, unit, day) of every measurement, by type.
async fn measurements(app: &TestApp) -> Vec<(String, String, String, String)> {
    app.db
        .owner_client()
        .await
        .query(
            "SELECT type, value::text, unit, entry_date::text FROM measurements ORDER BY type, measured_at",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
}

fn mixed_batch() -> Value {
    json!([
        {"type": "steps", "value": 8000, "date": "2026-06-01", "source": "HealthKit"},
        {"type": "weight", "value": 180, "unit": "lb", "date": "2026-06-01",
         "timestamp": "2026-06-01T05:30:00Z", "source": "HealthKit"},
        {"type": "body_fat", "value": 18.5, "unit": "%", "date": "2026-06-01", "source": "HealthKit"},
        {"type": "water", "value": 500, "unit": "ml", "date": "2026-06-01", "source": "HealthKit"},
        {"type": "Active Calories", "value": 450, "date": "2026-06-01", "source": "HealthKit"},
        {"type": "sleep", "value": 450, "unit": "min", "date": "2026-06-01", "source": "HealthKit"},
        {"type": "workout", "name": "Running", "date": "2026-06-01",
         "timestamp": "2026-06-01T06:00:00Z", "duration_minutes": 30, "distance": 5,
         "distance_unit": "km", "calories": 300, "source": "HealthKit"},
        {"type": "Blood Glucose", "value": 5.4, "unit": "mmol/L", "date": "2026-06-01",
         "source": "HealthKit"}
    ])
}

#[tokio::test]
async fn a_mixed_batch_lands_in_the_right_rows_and_units_and_a_resend_changes_nothing() {
    let app = TestApp::spawn().await;
    let (_, me, key) = user_with_key(&app, "ann@example.com").await;

    let r = push(&app, &key, mixed_batch()).await;
    assert_eq!(r, json!({"processed": 8, "skipped": 0, "errors": []}));

    let day = "2026-06-01".to_string();
    let m = measurements(&app).await;
    let expect =
        |t: &str, v: &str, u: &str| (t.to_string(), v.to_string(), u.to_string(), day.clone());
    assert_eq!(
        m,
        vec![
            expect("active_calories", "450.000000", "count"),
            expect("blood_glucose", "5.400000", "count"),
            expect("body_fat", "18.500000", "%"),
            expect("sleep_hours", "7.500000", "count"),
            expect("steps", "8000.000000", "count"),
            expect("water", "500.000000", "ml"),
            // 180 lb = 81.64662660 kg, kept to 6 places.
            expect("weight", "81.646627", "kg"),
        ]
    );
    // The foreign unit is kept in the note; the weight keeps its time.
    let owner = app.db.owner_client().await;
    let note: String = owner
        .query_one(
            "SELECT note FROM measurements WHERE type = 'blood_glucose'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(note, "from HealthKit, in mmol/L");
    let at: String = owner
        .query_one(
            "SELECT to_char(measured_at AT TIME ZONE 'UTC', 'HH24:MI') FROM measurements WHERE type = 'weight'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(at, "05:30");
    // New types were created as the user's own, the built-in ones were not.
    let mut types: Vec<String> = owner
        .query(
            "SELECT name || ':' || dimension FROM measurement_types WHERE user_id IS NOT NULL ORDER BY name",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    types.sort();
    assert_eq!(
        types,
        [
            "active_calories:count",
            "blood_glucose:count",
            "sleep_hours:count"
        ]
    );

    // The workout is matched to the catalog and keeps the phone's calories.
    let w = owner
        .query_one(
            "SELECT d.exercise_name, d.exercise_id IS NOT NULL, d.duration_minutes,
                    d.distance_km::text, d.calories_burned::text, d.calories_source, d.entry_date::text
             FROM exercise_diary d",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(w.get::<_, String>(0), "Running, general");
    assert!(w.get::<_, bool>(1));
    assert_eq!(w.get::<_, Option<i32>>(2), Some(30));
    assert_eq!(w.get::<_, String>(3), "5.000000");
    assert_eq!(w.get::<_, String>(4), "300.00");
    assert_eq!(w.get::<_, String>(5), "user");
    assert_eq!(w.get::<_, String>(6), day);

    // The summary burns the workout, not the active calories on top (they include it).
    let s = app.get("/api/v1/summary/2026-06-01", &me).await;
    assert_eq!(s.status, StatusCode::OK, "{:?}", s.body);
    assert_eq!(s.body["burned"], 300.0);
    assert_eq!(s.body["water_ml"], 500.0);
    assert_eq!(s.body["weight_kg"], 81.646627);
    // Read back in the user's units through the measurements API.
    let l = app.get("/api/v1/measurements?type=weight", &me).await;
    assert_eq!(l.body["items"][0]["value"], 81.65);
    assert_eq!(l.body["items"][0]["unit"], "kg");

    // The same batch again: all skipped, nothing duplicated.
    let before = m.len();
    let r = push(&app, &key, mixed_batch()).await;
    assert_eq!(r, json!({"processed": 0, "skipped": 8, "errors": []}));
    assert_eq!(measurements(&app).await.len(), before);
    assert_eq!(count(&app, "SELECT count(*) FROM exercise_diary").await, 1);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM measurement_types WHERE user_id IS NOT NULL"
        )
        .await,
        3
    );

    // The day's step total grew: it replaces the morning's total, it is not added to it; a
    // corrected workout replaces the first one too.
    let r = push(
        &app,
        &key,
        json!([
            {"type": "steps", "value": 9500, "date": "2026-06-01", "source": "HealthKit"},
            {"type": "workout", "name": "Running", "date": "2026-06-01",
             "timestamp": "2026-06-01T06:00:00Z", "duration_minutes": 35, "distance": 5,
             "distance_unit": "km", "calories": 320, "source": "HealthKit"},
            // The same day's steps from another source: one value a day, the larger.
            {"type": "steps", "value": 7000, "date": "2026-06-01", "source": "Watch"}
        ]),
    )
    .await;
    assert_eq!(r, json!({"processed": 2, "skipped": 1, "errors": []}));
    let steps: Vec<String> = owner
        .query(
            "SELECT value::text FROM measurements WHERE type = 'steps' ORDER BY value",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(steps, ["9500.000000"]);
    // Two sources' totals for a new day in one request, and a third's larger one in the
    // next: one row, the largest.
    let r = push(
        &app,
        &key,
        json!([
            {"type": "steps", "value": 5000, "date": "2026-06-02", "source": "HealthKit"},
            {"type": "steps", "value": 6000, "date": "2026-06-02", "source": "Watch"},
            {"type": "steps", "value": 5500, "date": "2026-06-02", "source": "Ring"}
        ]),
    )
    .await;
    assert_eq!(r, json!({"processed": 1, "skipped": 2, "errors": []}));
    let r = push(
        &app,
        &key,
        json!([
            {"type": "steps", "value": 5200, "date": "2026-06-02", "source": "HealthKit"},
            {"type": "steps", "value": 6400, "date": "2026-06-02", "source": "Scale"}
        ]),
    )
    .await;
    assert_eq!(r, json!({"processed": 1, "skipped": 1, "errors": []}));
    let day2: Vec<String> = owner
        .query(
            "SELECT value::text FROM measurements WHERE type = 'steps' AND entry_date = '2026-06-02'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(day2, ["6400.000000"]);
    // HealthKit's lower value does not undo the larger total another source sent since; on a
    // day that is its own alone, HealthKit corrects its total downwards.
    let r = push(
        &app,
        &key,
        json!([
            {"type": "steps", "value": 5300, "date": "2026-06-02", "source": "HealthKit"},
            {"type": "steps", "value": 4000, "date": "2026-06-03", "source": "HealthKit"}
        ]),
    )
    .await;
    assert_eq!(r, json!({"processed": 1, "skipped": 1, "errors": []}));
    let r = push(
        &app,
        &key,
        json!([{"type": "steps", "value": 3800, "date": "2026-06-03", "source": "HealthKit"}]),
    )
    .await;
    assert_eq!(r, json!({"processed": 1, "skipped": 0, "errors": []}));
    let totals: Vec<String> = owner
        .query(
            "SELECT entry_date::text || '=' || value::text FROM measurements
             WHERE type = 'steps' AND entry_date > '2026-06-01' ORDER BY entry_date",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(totals, ["2026-06-02=6400.000000", "2026-06-03=3800.000000"]);

    // A watch lowering its own total leaves the day at the largest any source still says
    // (the phone's), not at the watch's new one.
    let r = push(
        &app,
        &key,
        json!([
            {"type": "steps", "value": 12000, "date": "2026-06-04", "source": "Watch"},
            {"type": "steps", "value": 11000, "date": "2026-06-04", "source": "Phone"}
        ]),
    )
    .await;
    assert_eq!(r["processed"], 1, "{r}");
    let r = push(
        &app,
        &key,
        json!([{"type": "steps", "value": 9000, "date": "2026-06-04", "source": "Watch"}]),
    )
    .await;
    assert_eq!(r["errors"], json!([]), "{r}");
    let day4: Vec<String> = owner
        .query(
            "SELECT value::text FROM measurements WHERE type = 'steps' AND entry_date = '2026-06-04'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(day4, ["11000.000000"]);
    // Weights and heart rates without a time are not totals: each source keeps its own.
    let r = push(
        &app,
        &key,
        json!([
            {"type": "weight", "value": 80, "unit": "kg", "date": "2026-06-04", "source": "Scale"},
            {"type": "weight", "value": 79, "unit": "kg", "date": "2026-06-04", "source": "Phone"}
        ]),
    )
    .await;
    assert_eq!(r["processed"], 2, "{r}");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM measurements WHERE type = 'weight' AND entry_date = '2026-06-04'"
        )
        .await,
        2
    );
    let w = owner
        .query_one(
            "SELECT count(*), max(duration_minutes), max(calories_burned)::text FROM exercise_diary",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(w.get::<_, i64>(0), 1);
    assert_eq!(w.get::<_, Option<i32>>(1), Some(35));
    assert_eq!(w.get::<_, String>(2), "320.00");
    let s = app.get("/api/v1/summary/2026-06-01", &me).await;
    assert_eq!(s.body["burned"], 320.0);

    // A reading the user deleted stays deleted while the phone resends the same values.
    let id: uuid::Uuid = owner
        .query_one("SELECT id FROM measurements WHERE type = 'body_fat'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        app.delete(&format!("/api/v1/measurements/{id}"), &me)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let r = push(&app, &key, mixed_batch()).await;
    assert_eq!(r["processed"], 2, "steps and the workout went back: {r:?}");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM measurements WHERE type = 'body_fat'"
        )
        .await,
        0
    );
    common::assert_day_totals_match_diary(&app).await;
}

#[tokio::test]
async fn a_bad_record_is_reported_by_index_and_the_others_are_stored() {
    let app = TestApp::spawn().await;
    let (_, _, key) = user_with_key(&app, "ann@example.com").await;
    let r = push(
        &app,
        &key,
        json!([
            {"type": "weight", "value": 80, "unit": "kg", "date": "2026-06-02"},
            {"type": "body_fat", "value": 150, "date": "2026-06-02"},
            {"type": "water", "value": 250, "unit": "ml", "date": "2026-06-02"},
            {"type": "weight", "value": 80, "unit": "parsec", "date": "2026-06-03"},
            {"type": "workout", "date": "2026-06-02", "duration_minutes": 20},
            {"type": "123", "value": 1, "date": "2026-06-02"},
            {"type": "sleep", "value": 30, "date": "2026-06-02"},
            {"type": "nutrition", "value": 500, "date": "2026-06-02"},
            {"type": "workout", "name": "Running", "date": "2026-06-02", "duration_minutes": 30,
             "distance": 10000, "distance_unit": "km"}
        ]),
    )
    .await;
    assert_eq!(r["processed"], 2, "{r:?}");
    assert_eq!(r["skipped"], 1, "{r:?}");
    let errors = r["errors"].as_array().unwrap();
    let indexes: Vec<u64> = errors
        .iter()
        .map(|e| e["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indexes, [1, 3, 4, 5, 6, 8], "{r:?}");
    assert!(
        errors[5]["message"]
            .as_str()
            .unwrap()
            .contains("faster than 100 km an hour"),
        "{r:?}"
    );
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 100"),
        "{r:?}"
    );
    assert!(
        errors[1]["message"].as_str().unwrap().contains("parsec"),
        "{r:?}"
    );
    let m = measurements(&app).await;
    let kinds: Vec<&str> = m.iter().map(|(t, ..)| t.as_str()).collect();
    assert_eq!(kinds, ["water", "weight"]);
}

#[tokio::test]
async fn keys_work_in_either_header_and_sessions_need_the_origin_check() {
    let app = TestApp::spawn().await;
    let (_, me, key) = user_with_key(&app, "ann@example.com").await;
    let one = |v: i32| json!({"type": "steps", "value": v, "date": "2026-06-01"});

    let r = send(&app, "/api/v1/health-data", Cred::XApiKey(&key), one(1)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["processed"], 1);
    let r = send(&app, "/api/v1/health-data", Cred::Bearer(&key), one(2)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["processed"], 1);

    for cred in [
        Cred::Bearer("spk_not-a-key"),
        Cred::XApiKey("spk_not-a-key"),
        Cred::XApiKey(""),
    ] {
        let r = send(&app, "/api/v1/health-data", cred, one(3)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.body);
        assert_eq!(r.code(), "unauthenticated");
    }
    let r = app.post("/api/v1/health-data", &As::Nobody, one(3)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A bad key is refused before the body is looked at.
    let r = send(
        &app,
        "/api/v1/health-data",
        Cred::XApiKey("spk_not-a-key"),
        json!("not records"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.body);

    // A browser session: writes need this server's Origin.
    let r = send(
        &app,
        "/api/v1/health-data",
        Cred::Cookie(&me, false),
        one(4),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert_eq!(r.code(), "csrf_failed");
    let r = send(&app, "/api/health-data", Cred::Cookie(&me, false), one(4)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    let r = send(&app, "/api/v1/health-data", Cred::Cookie(&me, true), one(4)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    // Only the two key pushes and the session push wrote (3 is in no day's value).
    let m = measurements(&app).await;
    assert_eq!(m.len(), 1, "one record per day and source: {m:?}");
    assert_eq!(m[0].1, "4.000000");

    // X-API-Key works on the rest of the API too.
    let r = app
        .client
        .get(format!("{}/api/v1/me", app.base))
        .header("X-API-Key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_key_writes_only_its_owners_rows() {
    let app = TestApp::spawn().await;
    let (ann_id, ann, ann_key) = user_with_key(&app, "ann@example.com").await;
    let (bob_id, bob, bob_key) = user_with_key(&app, "bob@example.com").await;
    let record =
        json!({"type": "steps", "value": 5000, "date": "2026-06-01", "source": "HealthKit"});

    assert_eq!(push(&app, &ann_key, record.clone()).await["processed"], 1);
    // Bob sending the very same record is not a resend of Ann's.
    assert_eq!(push(&app, &bob_key, record.clone()).await["processed"], 1);
    assert_eq!(
        push(
            &app,
            &bob_key,
            json!([{"type": "Mood score", "value": 3, "date": "2026-06-01"}])
        )
        .await["processed"],
        1
    );

    let owner = app.db.owner_client().await;
    let owners: Vec<String> = owner
        .query(
            "SELECT user_id::text FROM measurements ORDER BY user_id::text = $1 DESC",
            &[&ann_id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(owners, [ann_id.clone(), bob_id.clone(), bob_id.clone()]);
    let ledger: Vec<String> = owner
        .query(
            "SELECT user_id::text FROM health_data_records ORDER BY user_id::text = $1 DESC",
            &[&ann_id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ledger, [ann_id.clone(), bob_id.clone(), bob_id.clone()]);
    // Bob's custom type is his: Ann does not see it.
    let types = app.get("/api/v1/measurement-types", &ann).await;
    assert!(
        !types.body.to_string().contains("mood_score"),
        "{:?}",
        types.body
    );
    let types = app.get("/api/v1/measurement-types", &bob).await;
    assert!(types.body.to_string().contains("mood_score"));
    // Each sees one steps reading: their own.
    for who in [&ann, &bob] {
        let l = app.get("/api/v1/measurements?type=steps", who).await;
        assert_eq!(l.body["items"].as_array().unwrap().len(), 1);
    }
}

/// One chunk as the SparkyFitness app sends it after reading Apple Health.
fn app_chunk() -> Value {
    json!([
        {"value": 8123, "type": "step", "date": "2026-06-01", "unit": "count", "source": "HealthKit"},
        {"value": 80.2, "type": "weight", "date": "2026-06-01", "unit": "kg", "source": "HealthKit",
         "record_timezone": "Europe/Berlin"},
        {"value": 21.3, "type": "body_fat", "date": "2026-06-01", "unit": "%", "source": "HealthKit"},
        {"value": 1250, "type": "water", "date": "2026-06-01", "unit": "ml", "source": "HealthKit"},
        {"value": 512.4, "type": "Active Calories", "date": "2026-06-01", "unit": "kcal", "source": "HealthKit"},
        {"value": 1.8, "type": "height", "date": "2026-06-01", "unit": "m", "source": "HealthKit"},
        {"value": 62, "type": "heart_rate_avg", "date": "2026-06-01", "unit": "bpm", "source": "HealthKit"},
        {"type": "SleepSession", "source": "HealthKit", "timestamp": "2026-05-31T22:10:00Z",
         "entry_date": "2026-06-01", "bedtime": "2026-05-31T22:10:00Z",
         "wake_time": "2026-06-01T05:40:00Z", "duration_in_seconds": 27000,
         "time_asleep_in_seconds": 25200, "deep_sleep_seconds": 3600, "stage_events": []},
        {"type": "ExerciseSession", "source": "HealthKit", "date": "2026-06-01",
         "entry_date": "2026-06-01", "timestamp": "2026-06-01T16:00:00Z",
         "startTime": "2026-06-01T16:00:00Z", "endTime": "2026-06-01T16:45:00Z",
         "duration": 2700, "activityType": "Cycling", "title": "Cycling",
         "caloriesBurned": 410, "distance": 15.5, "notes": "Source: HealthKit",
         "raw_data": {"uuid": "X"}, "source_id": "7C1E-WORKOUT",
         "sets": [{"set_number": 1, "set_type": "Working Set", "duration_seconds": 2700}],
         "record_timezone": "Europe/Berlin"},
        {"type": "Nutrition", "source": "HealthKit", "source_id": "F00D", "timestamp": "2026-06-01T12:00:00Z",
         "food_name": "Apple Health food", "meal_type": "lunch", "calories": 600}
    ])
}

#[tokio::test]
async fn the_sparkyfitness_app_and_shortcuts_can_push_to_api_health_data() {
    let app = TestApp::spawn().await;
    let (id, me, key) = user_with_key(&app, "ann@example.com").await;

    // The app's connection check and timezone bootstrap.
    let r = app
        .client
        .get(format!("{}/api/identity/user", app.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let who: Value = r.json().await.unwrap();
    assert_eq!(who["activeUserId"], id.as_str());
    assert_eq!(who["authenticatedUserEmail"], "ann@example.com");
    let r = app
        .client
        .get(format!("{}/api/identity/user", app.base))
        .bearer_auth("spk_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = app
        .put(
            "/api/v1/preferences",
            &me,
            json!({"timezone": "Europe/Berlin"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = send(
        &app,
        "/api/user-preferences/bootstrap-timezone",
        Cred::Bearer(&key),
        json!({"timezone": "America/New_York"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.body["timezone"], "Europe/Berlin",
        "the account's, unchanged"
    );

    // A chunk from the app.
    let r = send(&app, "/api/health-data", Cred::Bearer(&key), app_chunk()).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["message"], "All health data successfully processed.");
    assert_eq!(
        r.body["processed"].as_array().unwrap().len(),
        9,
        "{:?}",
        r.body
    );
    assert_eq!(r.body["errors"], json!([]));
    assert_eq!(r.body["skipped"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["skipped"][0]["type"], "Nutrition");
    assert_eq!(
        r.body["processed"][0],
        json!({"index": 0, "type": "step", "status": "success"})
    );

    let day = "2026-06-01".to_string();
    let m = measurements(&app).await;
    let expect =
        |t: &str, v: &str, u: &str| (t.to_string(), v.to_string(), u.to_string(), day.clone());
    assert_eq!(
        m,
        vec![
            expect("active_calories", "512.400000", "count"),
            expect("body_fat", "21.300000", "%"),
            expect("heart_rate_avg", "62.000000", "bpm"),
            expect("height", "180.000000", "cm"),
            expect("sleep_hours", "7.000000", "count"),
            expect("steps", "8123.000000", "count"),
            expect("water", "1250.000000", "ml"),
            expect("weight", "80.200000", "kg"),
        ]
    );
    let owner = app.db.owner_client().await;
    let w = owner
        .query_one(
            "SELECT exercise_name, duration_minutes, distance_km::text, calories_burned::text, entry_date::text
             FROM exercise_diary",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(w.get::<_, String>(0), "Bicycling, general");
    assert_eq!(w.get::<_, Option<i32>>(1), Some(45));
    assert_eq!(w.get::<_, String>(2), "15.500000");
    assert_eq!(w.get::<_, String>(3), "410.00");
    assert_eq!(w.get::<_, String>(4), day);

    // The app resends its window (X-API-Key this time): nothing new, nothing duplicated, and
    // no errors (a chunk whose records all failed would be a failed sync for the app).
    let r = send(&app, "/api/health-data", Cred::XApiKey(&key), app_chunk()).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["processed"], json!([]));
    assert_eq!(r.body["errors"], json!([]));
    assert_eq!(r.body["skipped"].as_array().unwrap().len(), 10);
    assert_eq!(measurements(&app).await.len(), 8);
    assert_eq!(count(&app, "SELECT count(*) FROM exercise_diary").await, 1);

    // An iOS Shortcut: one object, numbers as text, no source, no unit (kg).
    let r = send(
        &app,
        "/api/health-data",
        Cred::XApiKey(&key),
        json!({"value": "79.9", "type": "weight", "date": "2026-06-02"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["processed"].as_array().unwrap().len(), 1);
    let v: String = owner
        .query_one(
            "SELECT value::text FROM measurements WHERE type = 'weight' AND entry_date = '2026-06-02'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(v, "79.900000");

    // A bad record among good ones: 200, listed in errors.
    let r = send(
        &app,
        "/api/health-data",
        Cred::Bearer(&key),
        json!([
            {"value": 900, "type": "step", "date": "2026-06-03"},
            {"value": "lots", "type": "step", "date": "2026-06-04"}
        ]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["processed"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["errors"][0]["index"], 1);
    assert_eq!(
        r.body["message"],
        "Some health data entries could not be processed."
    );
    common::assert_day_totals_match_diary(&app).await;
}

#[tokio::test]
async fn limits_and_malformed_bodies_are_refused_whole() {
    let app = TestApp::spawn().await;
    let (_, _, key) = user_with_key(&app, "ann@example.com").await;
    let rec = json!({"type": "steps", "value": 1, "date": "2026-06-01"});

    for path in ["/api/v1/health-data", "/api/health-data"] {
        let many = Value::Array(vec![rec.clone(); 5001]);
        let r = send(&app, path, Cred::Bearer(&key), many).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {:?}",
            r.body
        );
        assert!(
            r.body["error"]["fields"]["body"]
                .as_str()
                .unwrap()
                .contains("at most 5000"),
            "{:?}",
            r.body
        );
        // Not records at all.
        for body in [json!(5), json!("steps"), json!(null)] {
            let r = send(&app, path, Cred::Bearer(&key), body.clone()).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path} {body}: {:?}",
                r.body
            );
        }
        // NUL in a string, anywhere.
        let r = send(
            &app,
            path,
            Cred::Bearer(&key),
            json!([rec.clone(), {"type": "ste\u{0}ps", "value": 1, "date": "2026-06-01"}]),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {:?}",
            r.body
        );
        assert!(
            r.body["error"]["fields"]["[1].type"].is_string(),
            "{:?}",
            r.body
        );
        // Malformed JSON.
        let r = app
            .client
            .post(format!("{}{}", app.base, path))
            .bearer_auth(&key)
            .header(header::CONTENT_TYPE, "application/json")
            .body("[{\"type\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        // Not JSON.
        let r = app
            .client
            .post(format!("{}{}", app.base, path))
            .bearer_auth(&key)
            .body("type=steps")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
    // Sparky's own shape: the documented lengths, types and fields.
    for (bad, field) in [
        (
            json!([{"type": "x".repeat(65), "value": 1, "date": "2026-06-01"}]),
            "[0].type",
        ),
        (
            json!([rec.clone(), {"type": "steps", "value": 1, "date": "2026-06-01", "source": "s".repeat(65)}]),
            "[1].source",
        ),
        (
            json!([{"type": "steps", "value": 1, "date": "2301-01-01"}]),
            "[0].date",
        ),
        (
            json!([{"type": "steps", "value": "many", "date": "2026-06-01"}]),
            "[0].value",
        ),
        (
            json!([{"type": "steps", "value": 1, "date": "2026-06-01", "colour": "red"}]),
            "[0]",
        ),
        (json!([{"type": "steps", "value": 1}]), "[0]"),
        // A single reading without its day: the missing field is named.
        (json!({"type": "steps", "value": 1}), "date"),
    ] {
        let r = send(&app, "/api/v1/health-data", Cred::Bearer(&key), bad.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {:?}",
            r.body
        );
        let fields = r.body["error"]["fields"].as_object().unwrap();
        assert!(
            fields.keys().any(|k| k.starts_with(field)),
            "{bad}: expected {field}, got {fields:?}"
        );
    }
    // SparkyFitness's shape: an entry that is not an object.
    let r = send(
        &app,
        "/api/health-data",
        Cred::Bearer(&key),
        json!([rec.clone(), 7]),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(r.body["error"]["fields"]["[1]"].is_string(), "{:?}", r.body);

    // Nothing was stored by any of them.
    assert_eq!(count(&app, "SELECT count(*) FROM measurements").await, 0);
    assert_eq!(
        count(&app, "SELECT count(*) FROM health_data_records").await,
        0
    );

    // An empty batch is fine.
    let r = push(&app, &key, json!([])).await;
    assert_eq!(r, json!({"processed": 0, "skipped": 0, "errors": []}));
}

#[tokio::test]
async fn records_repeated_in_one_request_count_once_and_new_types_are_bounded() {
    let app = TestApp::spawn().await;
    let (_, _, key) = user_with_key(&app, "ann@example.com").await;
    let r = push(
        &app,
        &key,
        json!([
            {"type": "steps", "value": 100, "date": "2026-06-01"},
            {"type": "steps", "value": 200, "date": "2026-06-01"},
        ]),
    )
    .await;
    assert_eq!(r, json!({"processed": 1, "skipped": 1, "errors": []}));
    assert_eq!(measurements(&app).await[0].1, "200.000000");
    // A later repeat that cannot be stored does not take the good one's place.
    let r = push(
        &app,
        &key,
        json!([
            {"type": "body_fat", "value": 21, "unit": "%", "date": "2026-06-02"},
            {"type": "body_fat", "value": 150, "unit": "%", "date": "2026-06-02"},
        ]),
    )
    .await;
    assert_eq!(r["processed"], 1, "{r:?}");
    assert_eq!(r["skipped"], 0, "{r:?}");
    assert_eq!(r["errors"][0]["index"], 1, "{r:?}");
    assert!(
        measurements(&app)
            .await
            .iter()
            .any(|m| m.0 == "body_fat" && m.1 == "21.000000"),
        "{:?}",
        measurements(&app).await
    );

    // 60 new kinds of data: 50 types are created, the other 10 records wait for a resend.
    let many: Vec<Value> = (0..60)
        .map(|i| json!({"type": format!("metric_{i}"), "value": i, "date": "2026-06-01"}))
        .collect();
    let r = push(&app, &key, Value::Array(many.clone())).await;
    assert_eq!(r["processed"], 50, "{r:?}");
    assert_eq!(r["errors"].as_array().unwrap().len(), 10);
    let r = push(&app, &key, Value::Array(many)).await;
    assert_eq!(r["processed"], 10, "{r:?}");
    assert_eq!(r["skipped"], 50, "{r:?}");
}

#[tokio::test]
async fn the_openapi_document_describes_the_health_routes() {
    let app = TestApp::spawn().await;
    let doc = app.get("/api/v1/openapi.json", &As::Nobody).await.body;
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    // Every schema the health routes refer to is in the document.
    let text = doc.to_string();
    for name in [
        "HealthDataBody",
        "HealthRecordInput",
        "HealthDataResult",
        "CompatHealthDataBody",
        "CompatHealthResult",
        "CompatIdentity",
    ] {
        assert!(schemas.contains_key(name), "{name} is missing");
    }
    let mut refs = Vec::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("#/components/schemas/") {
        rest = &rest[i + "#/components/schemas/".len()..];
        let end = rest.find('"').unwrap();
        refs.push(rest[..end].to_string());
    }
    for r in refs {
        assert!(schemas.contains_key(&r), "dangling $ref {r}");
    }
    let body = &schemas["HealthDataBody"]["oneOf"];
    assert_eq!(body[0]["maxItems"], 5000, "{body}");
    assert_eq!(
        schemas["HealthRecordInput"]["properties"]["type"]["maxLength"],
        64
    );
    for (path, method) in [
        ("/api/v1/health-data", "post"),
        ("/api/health-data", "post"),
        ("/api/identity/user", "get"),
        ("/api/user-preferences/bootstrap-timezone", "post"),
    ] {
        let op = &doc["paths"][path][method];
        assert_eq!(op["security"].as_array().map(Vec::len), Some(3), "{path}");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["api_key_header"]["name"],
        "X-API-Key"
    );
}

/// Phones count distance in metres: a workout's `distance_unit` may be `m` (it refused the
/// whole batch), and sleep, distance and active energy are shown in h, km and kcal, not
/// "count".
#[tokio::test]
async fn metres_are_a_distance_unit_and_phone_types_show_their_units() {
    let app = TestApp::spawn().await;
    let (_, cookie, key) = user_with_key(&app, "ann@example.com").await;
    let r = push(
        &app,
        &key,
        json!([
            {"type": "workout", "name": "Running", "date": "2026-06-01", "timestamp": "2026-06-01T07:00:00Z",
             "duration_minutes": 210, "distance": 42195, "distance_unit": "m"},
            {"type": "workout", "name": "Cycling", "date": "2026-06-01", "timestamp": "2026-06-01T17:00:00Z",
             "duration_minutes": 30, "distance": 10, "distance_unit": "Miles"},
            {"type": "sleep", "value": 7.5, "unit": "h", "date": "2026-06-01"},
            {"type": "distance", "value": 8200, "unit": "m", "date": "2026-06-01"},
            {"type": "active_calories", "value": 540, "date": "2026-06-01"},
        ]),
    )
    .await;
    assert_eq!(r["processed"], 5, "{r:?}");
    let day = app
        .get("/api/v1/workouts?from=2026-06-01&to=2026-06-01", &cookie)
        .await;
    assert_eq!(day.status, StatusCode::OK, "{:?}", day.body);
    let mut km: Vec<f64> = day.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["distance"].as_f64().unwrap())
        .collect();
    km.sort_by(f64::total_cmp);
    assert!((km[0] - 16.09344).abs() < 1e-6, "{km:?}");
    assert!((km[1] - 42.195).abs() < 1e-9, "{km:?}");
    let listed = app
        .get(
            "/api/v1/measurements?from=2026-06-01&to=2026-06-01",
            &cookie,
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    let unit_of = |kind: &str| {
        listed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["type"] == kind)
            .map(|m| m["unit"].as_str().unwrap().to_string())
    };
    assert_eq!(
        unit_of("sleep_hours").as_deref(),
        Some("h"),
        "{:?}",
        listed.body
    );
    assert_eq!(unit_of("distance_km").as_deref(), Some("km"));
    assert_eq!(unit_of("active_calories").as_deref(), Some("kcal"));
    let types = app.get("/api/v1/measurement-types", &cookie).await;
    let sleep = types
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "sleep_hours")
        .cloned();
    assert_eq!(
        sleep.as_ref().map(|t| t["display_unit"].clone()),
        Some(json!("h")),
        "{:?}",
        types.body
    );
    assert!(
        sleep.as_ref().unwrap()["accepted_units"]
            .as_array()
            .unwrap()
            .contains(&json!("h")),
        "{sleep:?}"
    );
    // A phone type takes the unit it is shown in, when logged and when corrected; others not.
    let logged = app
        .post(
            "/api/v1/measurements",
            &cookie,
            json!({"type": "sleep_hours", "value": 6.5, "unit": "H", "date": "2026-06-02"}),
        )
        .await;
    assert_eq!(logged.status, StatusCode::CREATED, "{:?}", logged.body);
    assert_eq!(logged.body["unit"], "h", "{:?}", logged.body);
    let id = logged.body["id"].as_str().unwrap().to_string();
    let corrected = app
        .put(
            &format!("/api/v1/measurements/{id}"),
            &cookie,
            json!({"value": 7.25, "unit": "h"}),
        )
        .await;
    assert_eq!(corrected.status, StatusCode::OK, "{:?}", corrected.body);
    assert_eq!(
        corrected.body["canonical_value"], 7.25,
        "{:?}",
        corrected.body
    );
    let kcal = app
        .post(
            "/api/v1/measurements",
            &cookie,
            json!({"type": "active_calories", "value": 420, "unit": "kcal", "date": "2026-06-02"}),
        )
        .await;
    assert_eq!(kcal.status, StatusCode::CREATED, "{:?}", kcal.body);
    let wrong = app
        .post(
            "/api/v1/measurements",
            &cookie,
            json!({"type": "weight", "value": 70, "unit": "h", "date": "2026-06-02"}),
        )
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        wrong.body
    );
    // A phone type's refusal names its unit; a day of 50,000 active kcal is implausible.
    let wrong = app
        .post(
            "/api/v1/measurements",
            &cookie,
            json!({"type": "sleep_hours", "value": 7, "unit": "kg", "date": "2026-06-02"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.to_string().contains("in h"), "{:?}", wrong.body);
    let huge = app
        .post(
            "/api/v1/measurements",
            &cookie,
            json!({"type": "active_calories", "value": 50000, "date": "2026-06-02"}),
        )
        .await;
    assert_eq!(
        huge.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        huge.body
    );
    assert!(
        huge.body.to_string().contains("20000 kcal"),
        "{:?}",
        huge.body
    );
}

/// A ledger row that points at a reading of another type (an edited archive) does not swallow
/// later pushes: the record is stored as a new reading, the other type's is left alone (every
/// later push was "processed" and nothing stored).
#[tokio::test]
async fn a_ledger_row_pointing_at_another_type_does_not_swallow_pushes() {
    let app = TestApp::spawn().await;
    let (_, _, key) = user_with_key(&app, "ann@example.com").await;
    let r = push(
        &app,
        &key,
        json!([
            {"type": "steps", "value": 8123, "date": "2026-12-01", "source": "HealthKit"},
            {"type": "weight", "value": 68, "unit": "kg", "date": "2026-12-01", "source": "HealthKit"}
        ]),
    )
    .await;
    assert_eq!(r["processed"], 2, "{r:?}");
    let owner = app.db.owner_client().await;
    owner
        .execute(
            "UPDATE health_data_records h SET measurement_id = (SELECT id FROM measurements WHERE type = 'weight')
             WHERE h.kind = 'steps'",
            &[],
        )
        .await
        .unwrap();
    let r = push(
        &app,
        &key,
        json!([{"type": "steps", "value": 9000, "date": "2026-12-01", "source": "HealthKit"}]),
    )
    .await;
    assert_eq!(r["processed"], 1, "{r:?}");
    let m = measurements(&app).await;
    let values: Vec<(String, String)> = m.iter().map(|(t, v, ..)| (t.clone(), v.clone())).collect();
    assert!(
        values.contains(&("steps".into(), "9000.000000".into())),
        "{values:?}"
    );
    assert!(
        values.contains(&("weight".into(), "68.000000".into())),
        "{values:?}"
    );
}

/// Readings a body cannot have, or whose date and time disagree, are per-record errors; the
/// rest of the batch is stored.
#[tokio::test]
async fn implausible_readings_and_disagreeing_times_are_refused() {
    let app = TestApp::spawn().await;
    let (_, _, key) = user_with_key(&app, "ann@example.com").await;
    let r = push(
        &app,
        &key,
        json!([
            {"type": "weight", "value": 80, "unit": "kg", "date": "2026-11-10",
             "timestamp": "2020-01-01T12:00:00Z"},
            {"type": "body_fat", "value": 0.22, "date": "2026-11-10"},
            {"type": "weight", "value": 1000, "unit": "kg", "date": "2026-11-10"},
            {"type": "height", "value": 3, "unit": "cm", "date": "2026-11-10"},
            {"type": "weight", "value": 80, "unit": "kg", "date": "2026-11-10",
             "timestamp": "2026-11-10T23:30:00Z"}
        ]),
    )
    .await;
    assert_eq!(r["processed"], 1, "{r}");
    let errors = r["errors"].as_array().unwrap();
    let message = |i: usize| {
        errors
            .iter()
            .find(|e| e["index"] == i)
            .unwrap_or_else(|| panic!("no error for {i}: {r}"))["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(message(0).contains("not near date 2026-11-10"), "{r}");
    assert!(message(1).contains("not a fraction"), "{r}");
    assert!(message(2).contains("between 2 and 650 kg"), "{r}");
    assert!(message(3).contains("between 30 and 300 cm"), "{r}");
    assert_eq!(count(&app, "SELECT count(*) FROM measurements").await, 1);
    // A night of 30 hours is refused through the API as by the push (the push made the type).
    let r = push(
        &app,
        &key,
        json!([{"type": "sleep", "value": 7.5, "unit": "h", "date": "2026-11-10"}]),
    )
    .await;
    assert_eq!(r["processed"], 1, "{r}");
    let r = send(
        &app,
        "/api/v1/measurements",
        Cred::Bearer(&key),
        json!({"type": "sleep_hours", "value": 30, "date": "2026-11-11"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(
        r.body.to_string().contains("between 0 and 24 h"),
        "{:?}",
        r.body
    );
}

/// A weigh-in the SparkyFitness app sends with a time in its `date` keeps that time, so the
/// same weigh-in pushed with a timestamp to Sparky's own route (a scale's Shortcut) is one
/// reading, not two (one at 07:00, one at noon).
#[tokio::test]
async fn a_timed_weigh_in_through_both_push_routes_is_one_reading() {
    let app = TestApp::spawn().await;
    let (_, _, key) = user_with_key(&app, "ann@example.com").await;
    let r = push(
        &app,
        &key,
        json!([{"type": "weight", "value": 79.5, "unit": "kg", "date": "2026-11-29",
                "timestamp": "2026-11-29T07:00:00Z", "source": "scale"}]),
    )
    .await;
    assert_eq!(r["processed"], 1, "{r}");
    let r = send(
        &app,
        "/api/health-data",
        Cred::Bearer(&key),
        json!([{"type": "weight", "value": 79.5, "date": "2026-11-29T07:00:00Z", "source": "app"}]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM measurements WHERE type = 'weight'"
        )
        .await,
        1,
        "{:?}",
        r.body
    );
    // Another time that day is another reading, stored at its own time.
    let r = send(
        &app,
        "/api/health-data",
        Cred::Bearer(&key),
        json!([{"type": "weight", "value": 79.1, "date": "2026-11-29T19:30:00Z", "source": "app"}]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM measurements WHERE type = 'weight'
              AND measured_at = '2026-11-29T19:30:00Z'"
        )
        .await,
        1
    );
}
