//! `POST /api/v1/import/{kind}`: other trackers' export files over HTTP, black-box against a
//! real database, with the fixtures of crates/sparky-import/fixtures.

mod common;

use common::{As, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sparky_web::WebConfig;

fn fixture(name: &str) -> Vec<u8> {
    common::import_fixture(name)
}

async fn send(app: &TestApp, path: &str, key: Option<&str>, body: Vec<u8>) -> (StatusCode, Value) {
    let mut req = app
        .client
        .post(format!("{}{}", app.base, path))
        .header("Content-Type", "application/octet-stream")
        .body(body);
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// An import that must succeed: its preview.
async fn imported(app: &TestApp, path: &str, key: &str, body: Vec<u8>) -> Value {
    let (s, p) = send(app, path, Some(key), body).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    p
}

async fn user_with_key(app: &TestApp, email: &str) -> String {
    let (_, cookie) = app.user(email).await;
    key_of(app, &cookie).await
}

/// A new API key of the signed-in user.
async fn key_of(app: &TestApp, cookie: &common::As) -> String {
    let r = app
        .post("/api/v1/api-keys", cookie, json!({"name": "import"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["key"].as_str().unwrap().to_string()
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

async fn written(app: &TestApp) -> [i64; 4] {
    [
        count(app, "SELECT count(*) FROM food_diary").await,
        count(app, "SELECT count(*) FROM measurements").await,
        count(app, "SELECT count(*) FROM exercise_diary").await,
        count(app, "SELECT count(*) FROM import_records").await,
    ]
}

#[tokio::test]
async fn mfp_dry_run_import_rerun_and_another_user() {
    let app = TestApp::spawn().await;
    let key = user_with_key(&app, "ann@example.com").await;
    let file = fixture("mfp/Nutrition-Summary.csv");

    let p = imported(&app, "/api/v1/import/mfp?dry_run=true", &key, file.clone()).await;
    assert_eq!(p["dry_run"], true);
    assert_eq!(p["created"]["diary"], 4, "{p}");
    assert_eq!(p["skipped"]["diary"], 1, "{p}");
    assert_eq!(written(&app).await, [0; 4]);

    let p = imported(&app, "/api/v1/import/mfp", &key, file.clone()).await;
    assert_eq!(p["created"]["diary"], 4, "{p}");
    let day = app
        .get("/api/v1/diary/2025-01-15", &As::Key(key.clone()))
        .await;
    assert_eq!(day.status, StatusCode::OK, "{:?}", day.body);
    assert_eq!(day.body["totals"]["calories"], 1885.0, "{:?}", day.body);
    assert_eq!(day.body["totals"]["protein"], 112.5);

    let p = imported(&app, "/api/v1/import/mfp?dry_run=false", &key, file.clone()).await;
    assert_eq!(p["created"]["diary"], 0, "{p}");
    assert_eq!(count(&app, "SELECT count(*) FROM food_diary").await, 4);

    // Another user's ledger is their own: the same file is new to them.
    let other = user_with_key(&app, "bob@example.com").await;
    let p = imported(&app, "/api/v1/import/mfp", &other, file).await;
    assert_eq!(p["created"]["diary"], 4, "{p}");
    assert_eq!(count(&app, "SELECT count(*) FROM food_diary").await, 8);
}

/// MyFitnessPal's summary has one row per day and meal: a later export whose breakfast total
/// changed replaces the breakfast an earlier import stored (it used to add a second one), the
/// unchanged meals are skipped, and the same row twice in one file is one entry.
#[tokio::test]
async fn a_later_mfp_export_replaces_a_changed_meal() {
    let app = TestApp::spawn().await;
    let key = user_with_key(&app, "ann@example.com").await;
    let file = String::from_utf8(fixture("mfp/Nutrition-Summary.csv")).unwrap();
    let breakfast =
        "2025-01-15,Breakfast,420,12.5,4.1,2.0,5.2,0,210,480,390,48.0,6.5,12.0,22.5,10,15,20,18,";
    assert!(file.contains(breakfast));
    let twice = file.replace(breakfast, &format!("{breakfast}\n{breakfast}"));
    let p = imported(&app, "/api/v1/import/mfp", &key, twice.into_bytes()).await;
    assert_eq!(p["created"]["diary"], 4, "{p}");
    assert_eq!(p["replaced_entries"], 0, "{p}");
    let day = async |app: &TestApp| {
        app.get("/api/v1/diary/2025-01-15", &As::Key(key.clone()))
            .await
            .body
    };
    assert_eq!(day(&app).await["totals"]["calories"], 1885.0);

    let later = file.replace(
        breakfast,
        "2025-01-15,Breakfast,450,12.5,4.1,2.0,5.2,0,210,480,390,48.0,6.5,12.0,22.5,10,15,20,18,",
    );
    let dry = imported(
        &app,
        "/api/v1/import/mfp?dry_run=true",
        &key,
        later.clone().into_bytes(),
    )
    .await;
    assert_eq!(dry["created"]["diary"], 1, "{dry}");
    assert_eq!(dry["replaced_entries"], 1, "{dry}");
    assert_eq!(day(&app).await["totals"]["calories"], 1885.0, "a dry run");
    let p = imported(&app, "/api/v1/import/mfp", &key, later.clone().into_bytes()).await;
    assert_eq!(p["created"]["diary"], 1, "{p}");
    assert_eq!(p["replaced_entries"], 1, "{p}");
    let now = day(&app).await;
    assert_eq!(now["totals"]["calories"], 1915.0, "{now}");
    assert_eq!(
        now["meals"][0]["entries"].as_array().unwrap().len(),
        1,
        "{now}"
    );
    // And once more: nothing new, nothing replaced.
    let p = imported(&app, "/api/v1/import/mfp", &key, later.into_bytes()).await;
    assert_eq!(p["created"]["diary"], 0, "{p}");
    assert_eq!(p["replaced_entries"], 0, "{p}");
    assert_eq!(day(&app).await["totals"]["calories"], 1915.0);
    common::assert_day_totals_match_diary(&app).await;
}

#[tokio::test]
async fn apple_health_and_cronometer() {
    let app = TestApp::spawn().await;
    let key = user_with_key(&app, "ann@example.com").await;
    let p = imported(
        &app,
        "/api/v1/import/apple-health",
        &key,
        fixture("apple-health/export.xml"),
    )
    .await;
    assert_eq!(p["created"]["measurements"], 5, "{p}");
    assert_eq!(p["created"]["workouts"], 2, "{p}");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM measurements WHERE type = 'steps' AND value = 8000"
        )
        .await,
        1
    );
    let p = imported(
        &app,
        "/api/v1/import/cronometer?dry_run=true",
        &key,
        fixture("cronometer/biometrics.csv"),
    )
    .await;
    assert_eq!(p["created"]["measurements"], 3, "{p}");
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let app = TestApp::spawn_with(WebConfig {
        max_import_body_bytes: 4096,
        ..WebConfig::default()
    })
    .await;
    let key = user_with_key(&app, "ann@example.com").await;
    let csv = b"date,name,minutes\n2025-01-02,Run,30\n".to_vec();

    let (s, _) = send(&app, "/api/v1/import/mfp", None, csv.clone()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    let (s, p) = send(&app, "/api/v1/import/csv", Some(&key), csv.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert!(p["error"]["fields"]["target"].is_string(), "{p}");

    for query in [
        "dry_run=",
        "dry_run=maybe",
        "target=",
        "target=meals",
        "decimal=",
        "units=x",
    ] {
        let (s, p) = send(
            &app,
            &format!("/api/v1/import/csv?{query}"),
            Some(&key),
            csv.clone(),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {p}");
    }
    let (s, p) = send(&app, "/api/v1/import/fitbit", Some(&key), csv.clone()).await;
    assert!(
        s == StatusCode::UNPROCESSABLE_ENTITY || s == StatusCode::NOT_FOUND,
        "{s} {p}"
    );

    let (s, p) = send(
        &app,
        "/api/v1/import/csv?target=workouts&map=Minutes%3Dpace",
        Some(&key),
        csv.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");

    let broken = b"Date,Meal,Calories\n2025-01-15,Lunch,500\n2025-01-16,Dinner\n".to_vec();
    let (s, p) = send(&app, "/api/v1/import/mfp", Some(&key), broken).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["error"]["code"], "validation_failed", "{p}");
    assert!(
        p["error"]["fields"]["body"]
            .as_str()
            .unwrap()
            .contains("line 3"),
        "{p}"
    );

    let (s, p) = send(
        &app,
        "/api/v1/import/apple-health",
        Some(&key),
        b"<nope".to_vec(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (s, p) = send(&app, "/api/v1/import/mfp", Some(&key), Vec::new()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");

    let (s, p) = send(&app, "/api/v1/import/mfp", Some(&key), vec![b'a'; 10_000]).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{p}");
    assert_eq!(written(&app).await, [0; 4]);
}

#[tokio::test]
async fn the_operation_is_documented() {
    let app = TestApp::spawn().await;
    let doc = app.get("/api/v1/openapi.json", &As::Nobody).await.body;
    let op = &doc["paths"]["/api/v1/import/{kind}"]["post"];
    for status in ["200", "401", "413", "422"] {
        assert!(op["responses"][status].is_object(), "{status}: {op}");
    }
    let params = op["parameters"].as_array().unwrap();
    let names: Vec<&str> = params.iter().map(|p| p["name"].as_str().unwrap()).collect();
    for n in [
        "kind", "dry_run", "target", "map", "decimal", "dates", "units",
    ] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }
    assert!(
        op["requestBody"]["content"]["application/octet-stream"].is_object(),
        "{op}"
    );
    // Every schema the operation refers to exists (the fuzzer refuses a dangling one).
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    refs(op, &mut found);
    assert!(!found.is_empty());
    for r in found {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{r} is not in the document"
        );
    }
}

/// Strong and Hevy: a workout per exercise of each session with its sets in kg (weights
/// without a unit in the user's system), its summary columns, cardio with time and distance;
/// re-importing creates nothing.
#[tokio::test]
async fn strong_and_hevy_workouts_with_their_sets() {
    let app = TestApp::spawn().await;
    let ann = user_with_key(&app, "ann@example.com").await;
    let p = imported(
        &app,
        "/api/v1/import/strong",
        &ann,
        fixture("strong/strong.csv"),
    )
    .await;
    assert_eq!(p["created"]["workouts"], 4, "{p}");
    assert_eq!(p["skipped"]["workouts"], 1, "the rest timer: {p}");
    let bench = "(SELECT id FROM exercise_diary WHERE exercise_name = 'Bench Press (Barbell)')";
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) FROM exercise_sets WHERE exercise_diary_id = {bench}
                 AND (set_number, reps, weight_kg) IN ((1, 10, 40), (2, 8, 60), (3, 6, 62.5))"
            )
        )
        .await,
        3
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM exercise_diary WHERE exercise_name = 'Bench Press (Barbell)'
             AND sets = 3 AND reps = 24 AND weight = 62.5 AND duration_minutes = 25
             AND entry_date = '2025-11-03'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM exercise_diary WHERE notes = 'Running, from Strong'
             AND distance_km = 5 AND duration_minutes = 25 AND sets IS NULL"
        )
        .await,
        1
    );
    // The API shows them like logged workouts.
    let r = app
        .get(
            "/api/v1/workouts?from=2025-11-01&to=2025-11-30",
            &As::Key(ann.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let text = r.body.to_string();
    assert!(text.contains("Bench Press (Barbell)"), "{text}");
    assert!(text.contains("62.5"), "{text}");

    let before = written(&app).await;
    let p = imported(
        &app,
        "/api/v1/import/strong",
        &ann,
        fixture("strong/strong.csv"),
    )
    .await;
    assert_eq!(p["created"]["workouts"], 0, "{p}");
    assert_eq!(written(&app).await, before);

    let p = imported(
        &app,
        "/api/v1/import/hevy",
        &ann,
        fixture("hevy/workouts.csv"),
    )
    .await;
    assert_eq!(p["created"]["workouts"], 3, "{p}");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM exercise_diary WHERE notes = 'Treadmill, from Hevy'
             AND distance_km = 4.2 AND duration_minutes = 30"
        )
        .await,
        1
    );

    // An imperial account: Strong's weights and distances without a unit are pounds and miles.
    let (_, bob_cookie) = app.user("bob@example.com").await;
    let r = app
        .put(
            "/api/v1/preferences",
            &bob_cookie,
            json!({"units_system": "imperial"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .post("/api/v1/api-keys", &bob_cookie, json!({"name": "import"}))
        .await;
    let bob = r.body["key"].as_str().unwrap().to_string();
    imported(
        &app,
        "/api/v1/import/strong",
        &bob,
        fixture("strong/strong.csv"),
    )
    .await;
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM exercise_sets s JOIN exercise_diary d ON d.id = s.exercise_diary_id
             JOIN users u ON u.id = d.user_id
             WHERE u.email = 'bob@example.com' AND s.set_number = 1 AND s.weight_kg = 18.143695"
        )
        .await,
        1,
        "40 lb"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM exercise_diary d JOIN users u ON u.id = d.user_id
             WHERE u.email = 'bob@example.com' AND d.notes = 'Running, from Strong'
             AND d.distance_km = 8.04672"
        )
        .await,
        1,
        "5 mi"
    );
    // Not a Strong file: 422, nothing written.
    let before = written(&app).await;
    let (s, p) = send(
        &app,
        "/api/v1/import/strong",
        Some(&bob),
        fixture("hevy/workouts.csv"),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(written(&app).await, before);
    // Dates outside 1900-2199 are skipped like the API refuses them (any importer).
    let far = "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps\n\
               9999-01-01 07:00:00,W,1h,Bench,1,20,5\n\
               1800-01-01 07:00:00,W,1h,Bench,1,20,5\n";
    let p = imported(&app, "/api/v1/import/strong", &bob, far.into()).await;
    assert_eq!(p["created"]["workouts"], 0, "{p}");
    assert_eq!(p["skipped"]["workouts"], 2, "{p}");
    assert!(
        p.to_string().contains("between 1900-01-01 and 2199-12-31"),
        "{p}"
    );
    assert_eq!(written(&app).await, before);
}

/// A generic CSV's preview says how each column was read, so a person can fix the matching
/// (`map`) before importing; the apps' own formats have no such list.
#[tokio::test]
async fn a_csv_preview_lists_how_each_column_was_read() {
    let app = TestApp::spawn().await;
    let key = user_with_key(&app, "ann@example.com").await;
    let csv = "Datum;Mahlzeit;Essen;Kalorien;Notiz\n01.11.2025;Mittag;Suppe;250,5;gut\n"
        .as_bytes()
        .to_vec();
    let columns = |p: &serde_json::Value| -> Vec<(String, serde_json::Value)> {
        p["columns"]
            .as_array()
            .unwrap_or_else(|| panic!("no columns: {p}"))
            .iter()
            .map(|c| {
                (
                    c["column"].as_str().unwrap().to_string(),
                    c["field"].clone(),
                )
            })
            .collect()
    };
    let p = imported(
        &app,
        "/api/v1/import/csv?target=diary&dry_run=true",
        &key,
        csv.clone(),
    )
    .await;
    let read = columns(&p);
    assert_eq!(read[0], ("Datum".into(), serde_json::json!("date")));
    assert_eq!(read[1], ("Mahlzeit".into(), serde_json::json!("meal")));
    assert_eq!(read[3], ("Kalorien".into(), serde_json::Value::Null), "{p}");
    assert_eq!(p["created"]["diary"], 0, "no nutrient column: {p}");

    let p = imported(
        &app,
        "/api/v1/import/csv?target=diary&dry_run=true&map=Kalorien%3Dcalories%3BEssen%3Dname",
        &key,
        csv.clone(),
    )
    .await;
    let read = columns(&p);
    assert_eq!(read[2], ("Essen".into(), serde_json::json!("name")));
    assert_eq!(read[3], ("Kalorien".into(), serde_json::json!("calories")));
    assert_eq!(read[4], ("Notiz".into(), serde_json::Value::Null));
    assert_eq!(p["created"]["diary"], 1, "{p}");

    let p = imported(
        &app,
        "/api/v1/import/strong?dry_run=true",
        &key,
        fixture("strong/strong.csv"),
    )
    .await;
    assert!(p.get("columns").is_none(), "{p}");
}

/// FitNotes: a workout per exercise of each day with its sets in kg (the older export's
/// `Weight (lbs)` header converted), timed holds as timed sets, cardio with its own minutes, no
/// time of day; re-importing creates nothing.
#[tokio::test]
async fn fitnotes_workouts_with_their_sets() {
    let app = TestApp::spawn().await;
    let ann = user_with_key(&app, "ann@example.com").await;
    let p = imported(
        &app,
        "/api/v1/import/fitnotes",
        &ann,
        fixture("fitnotes/FitNotes_Export.csv"),
    )
    .await;
    assert_eq!(p["created"]["workouts"], 5, "{p}");
    assert_eq!(p["skipped"]["workouts"], 1, "the unreadable weight: {p}");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM exercise_diary WHERE exercise_name = 'Flat Barbell Bench Press'
             AND sets = 2 AND reps = 14 AND weight = 62.5 AND entry_date = '2025-11-03'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM exercise_diary WHERE notes = 'Plank, from FitNotes'
             AND duration_minutes = 4 AND duration_seconds = 240 AND sets = 3 AND reps IS NULL"
        )
        .await,
        1
    );
    // Each hold keeps its own time.
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM exercise_sets s JOIN exercise_diary d ON d.id = s.exercise_diary_id
             WHERE d.notes = 'Plank, from FitNotes' AND s.reps IS NULL AND s.weight_kg IS NULL
               AND (s.set_number, s.duration_seconds) IN ((1, 90), (2, 75), (3, 75))"
        )
        .await,
        3
    );
    let p = imported(
        &app,
        "/api/v1/import/fitnotes",
        &ann,
        fixture("fitnotes/FitNotes_Export.csv"),
    )
    .await;
    assert_eq!(p["created"]["workouts"], 0, "{p}");

    let p = imported(
        &app,
        "/api/v1/import/fitnotes",
        &ann,
        fixture("fitnotes/FitNotes_Export_older.csv"),
    )
    .await;
    assert_eq!(p["created"]["workouts"], 2, "{p}");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM exercise_sets s JOIN exercise_diary d ON d.id = s.exercise_diary_id
             WHERE d.exercise_name = 'Barbell Squat' AND s.set_number = 1 AND s.reps = 5
               AND round(s.weight_kg, 2) = 102.06"
        )
        .await,
        1
    );
    let (s, p) = send(
        &app,
        "/api/v1/import/fitnotes",
        Some(&ann),
        fixture("strong/strong.csv"),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
}

/// MacroFactor's export workbook (.xlsx): food log rows become diary entries with their
/// nutrients in the meal their time falls in, a day with daily totals but no food log rows gets
/// one day-total entry, scale weights and body fat become measurements, the workout log
/// workouts with their sets, custom foods foods of the user's own; a dry run writes nothing, a second import creates nothing, and what is not a workbook is a 422.
#[tokio::test]
async fn macrofactor_workbook_foods_weights_and_day_totals() {
    let app = TestApp::spawn().await;
    let key = user_with_key(&app, "ann@example.com").await;
    let book = fixture("macrofactor/granular.xlsx");

    let p = imported(
        &app,
        "/api/v1/import/macrofactor?dry_run=true",
        &key,
        book.clone(),
    )
    .await;
    assert_eq!(p["source"], "macrofactor", "{p}");
    assert_eq!(p["created"]["diary"], 5, "{p}");
    assert_eq!(p["created"]["measurements"], 3, "{p}");
    assert_eq!(p["created"]["workouts"], 3, "{p}");
    assert_eq!(p["created"]["foods"], 2, "{p}");
    assert_eq!(p["skipped"]["diary"], 2, "{p}");
    assert_eq!(p["skipped_unread"], 1, "{p}");
    let reasons: Vec<&str> = p["skip_reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons.contains(&"Food Log: Mystery bar: a negative amount of calories"),
        "{reasons:?}"
    );
    assert_eq!(written(&app).await, [0; 4]);

    let p = imported(&app, "/api/v1/import/macrofactor", &key, book.clone()).await;
    assert_eq!(p["created"]["diary"], 5, "{p}");
    assert_eq!(p["created"]["workouts"], 3, "{p}");
    // The custom food is the user's own, searchable, with its serving.
    let found = app
        .get("/api/v1/foods?q=protein%20shake", &As::Key(key.clone()))
        .await;
    assert_eq!(found.status, StatusCode::OK, "{:?}", found.body);
    assert!(
        found.body.to_string().contains("\"Protein shake\""),
        "{:?}",
        found.body
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM food_items f JOIN nutrition_data n ON n.food_item_id = f.id
             WHERE f.name = 'Protein shake' AND f.brand = 'Home' AND f.user_id IS NOT NULL
             AND n.serving_size = 1 AND n.serving_unit = 'scoop' AND n.serving_weight_g = 30
             AND n.calories = 120 AND n.protein = 24"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM exercise_sets s JOIN exercise_diary e ON e.id = s.exercise_diary_id
             WHERE e.exercise_name = 'Bench Press' AND e.duration_minutes = 43
             AND (s.set_number, s.reps, s.weight_kg) IN ((1, 8, 60), (2, 5, 100))"
        )
        .await,
        2
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM exercise_diary WHERE exercise_name = 'Treadmill Run'
             AND distance_km = 5.2 AND duration_minutes = 30 AND entry_date = '2026-11-02'"
        )
        .await,
        1
    );
    let rows = app
        .db
        .owner_client()
        .await
        .query(
            "SELECT entry_date::text, meal_type, food_name, calories::float8, fiber::float8
             FROM food_diary ORDER BY entry_date, consumed_at NULLS FIRST, food_name",
            &[],
        )
        .await
        .unwrap();
    let got: Vec<(String, String, String, f64, Option<f64>)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    let row = |d: &str, m: &str, n: &str, kcal: f64, fiber: Option<f64>| {
        (d.to_string(), m.to_string(), n.to_string(), kcal, fiber)
    };
    assert_eq!(
        got,
        [
            row("2026-10-31", "snack", "MacroFactor day total", 2100.0, None),
            row(
                "2026-11-01",
                "breakfast",
                "Oats, 1 cup (81 g)",
                307.0,
                Some(8.2)
            ),
            row(
                "2026-11-01",
                "lunch",
                "Chicken breast, grilled, 150 g",
                248.0,
                Some(0.0)
            ),
            row(
                "2026-11-01",
                "dinner",
                "Rice, white, cooked, 1.5 cup (237 g)",
                308.0,
                Some(0.9)
            ),
            row(
                "2026-11-02",
                "snack",
                "Greek yogurt & honey, 1 container (170 g)",
                190.0,
                None
            ),
        ]
    );
    let day = app
        .get("/api/v1/diary/2026-11-01", &As::Key(key.clone()))
        .await;
    assert_eq!(day.status, StatusCode::OK, "{:?}", day.body);
    assert_eq!(day.body["totals"]["calories"], 863.0, "{:?}", day.body);
    let weights = app
        .db
        .owner_client()
        .await
        .query(
            "SELECT type, value::float8, unit FROM measurements ORDER BY measured_at, type",
            &[],
        )
        .await
        .unwrap();
    let got: Vec<(String, f64, String)> = weights
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        got,
        [
            ("body_fat".to_string(), 21.5, "%".to_string()),
            ("weight".to_string(), 80.2, "kg".to_string()),
            ("weight".to_string(), 80.0, "kg".to_string()),
        ]
    );

    let p = imported(&app, "/api/v1/import/macrofactor", &key, book.clone()).await;
    assert_eq!(p["created"]["diary"], 0, "{p}");
    assert_eq!(p["created"]["measurements"], 0, "{p}");

    // A day that has entries keeps them alone: the quick export's total for it is not added.
    let r = app
        .post(
            "/api/v1/diary/quick-add",
            &As::Key(key.clone()),
            json!({"name": "Toast", "meal_type": "breakfast", "date": "2026-11-03",
                   "nutrients": {"calories": 150}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let quick = fixture("macrofactor/quick-export.xlsx");
    let p = imported(&app, "/api/v1/import/macrofactor", &key, quick).await;
    assert_eq!(p["created"]["diary"], 1, "{p}");
    assert_eq!(p["created"]["measurements"], 3, "{p}");
    assert_eq!(
        p["skip_reasons"][0]["reason"],
        "a day's total, but the day already has food diary entries (it would count them twice)",
        "{p}"
    );
    async fn calories(app: &TestApp, key: &str, date: &str) -> f64 {
        let day = app
            .get(&format!("/api/v1/diary/{date}"), &As::Key(key.to_string()))
            .await;
        day.body["totals"]["calories"].as_f64().unwrap()
    }
    assert_eq!(calories(&app, &key, "2026-11-03").await, 150.0);
    assert_eq!(calories(&app, &key, "2026-11-04").await, 1980.0);

    // The food log of a day that got a day total earlier replaces that total (here one
    // sheet saved as CSV); a dry run only says so.
    let log =
        b"Date,Time,Food Name,Calories (kcal),Protein (g)\n2026-11-04,08:00,Eggs,180,12\n".to_vec();
    let p = imported(
        &app,
        "/api/v1/import/macrofactor?dry_run=true",
        &key,
        log.clone(),
    )
    .await;
    assert_eq!(p["replaced_day_totals"], 1, "{p}");
    assert_eq!(calories(&app, &key, "2026-11-04").await, 1980.0);
    let p = imported(&app, "/api/v1/import/macrofactor", &key, log).await;
    assert_eq!(p["replaced_day_totals"], 1, "{p}");
    assert_eq!(p["created"]["diary"], 1, "{p}");
    assert_eq!(calories(&app, &key, "2026-11-04").await, 180.0);
    // The replaced total stays replaced when the quick export comes again.
    let p = imported(
        &app,
        "/api/v1/import/macrofactor",
        &key,
        fixture("macrofactor/quick-export.xlsx"),
    )
    .await;
    assert_eq!(p["created"]["diary"], 0, "{p}");
    assert_eq!(p["replaced_day_totals"], 0, "{p}");
    assert_eq!(calories(&app, &key, "2026-11-04").await, 180.0);
    let before = written(&app).await;

    // Neither a workbook nor text (an old .xls), a broken workbook, a CSV of something
    // else: 422 naming the body, nothing written.
    let (s, p) = send(
        &app,
        "/api/v1/import/macrofactor",
        Some(&key),
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00".to_vec(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let message = p["error"]["fields"]["body"].as_str().unwrap();
    assert!(message.contains("neither a zip archive"), "{p}");
    let (s, p) = send(
        &app,
        "/api/v1/import/macrofactor",
        Some(&key),
        b"Month,Rent\nJanuary,900\n".to_vec(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let message = p["error"]["fields"]["body"].as_str().unwrap();
    assert!(message.contains("not a MacroFactor export"), "{p}");
    let (s, p) = send(
        &app,
        "/api/v1/import/macrofactor",
        Some(&key),
        book[..book.len() / 2].to_vec(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert!(
        p["error"]["fields"]["body"]
            .as_str()
            .unwrap()
            .contains("not a readable Excel workbook"),
        "{p}"
    );
    assert_eq!(written(&app).await, before);
}

/// Exports write times of day without a zone: "07:30" in Strong means half past seven where
/// the lifter lives. They are kept as that time in the owner's timezone (New York here, five
/// hours behind UTC in November), not as 07:30 UTC.
#[tokio::test]
async fn times_without_a_zone_are_the_owners_local_time() {
    let app = TestApp::spawn().await;
    let (_, cookie) = app.user("ann@example.com").await;
    let r = app
        .put(
            "/api/v1/preferences",
            &cookie,
            json!({"timezone": "America/New_York"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let key = key_of(&app, &cookie).await;
    imported(
        &app,
        "/api/v1/import/strong",
        &key,
        fixture("strong/strong.csv"),
    )
    .await;
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM exercise_diary WHERE exercise_name = 'Bench Press (Barbell)'
             AND entry_date = '2025-11-03' AND performed_at = '2025-11-03 12:30:00+00'"
        )
        .await,
        1
    );
    // A UTC user's 07:30 stays 07:30 UTC.
    let bob = user_with_key(&app, "bob@example.com").await;
    imported(
        &app,
        "/api/v1/import/strong",
        &bob,
        fixture("strong/strong.csv"),
    )
    .await;
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM exercise_diary WHERE exercise_name = 'Bench Press (Barbell)'
             AND performed_at = '2025-11-03 07:30:00+00'"
        )
        .await,
        1
    );
}

/// A NUL byte in a meal name: that row is skipped with its line and a reason, the others are
/// imported (the import used to fail at the end with PostgreSQL's words).
#[tokio::test]
async fn a_nul_in_a_name_skips_that_row() {
    let app = TestApp::spawn().await;
    let key = user_with_key(&app, "ann@example.com").await;
    let file = b"Date,Meal,Calories,Fat (g),Protein (g),Carbohydrates (g)\n\
                 2025-02-01,Lunch,500,10,20,60\n\
                 2025-02-01,Din\0ner,700,20,30,80\n"
        .to_vec();
    let p = imported(&app, "/api/v1/import/mfp?dry_run=true", &key, file.clone()).await;
    assert_eq!(p["created"]["diary"], 1, "{p}");
    let p = imported(&app, "/api/v1/import/mfp", &key, file).await;
    assert_eq!(p["created"]["diary"], 1, "{p}");
    assert_eq!(p["skipped"]["diary"], 1, "{p}");
    assert!(p.to_string().contains("NUL"), "{p}");
}

/// A read-only API key cannot import (the import's own transaction is read only too, so
/// PostgreSQL refuses its writes): 403 and nothing written.
#[tokio::test]
async fn a_read_only_key_imports_nothing() {
    let app = TestApp::spawn().await;
    let (_, cookie) = app.user("ann@example.com").await;
    let r = app
        .post(
            "/api/v1/api-keys",
            &cookie,
            json!({"name": "backup", "read_only": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let key = r.body["key"].as_str().unwrap().to_string();
    let file = fixture("mfp/Nutrition-Summary.csv");
    let (status, body) = send(&app, "/api/v1/import/mfp", Some(&key), file).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("read-only"));
    assert_eq!(written(&app).await, [0; 4]);
}

/// An Apple Health export with one day's steps (one source) and water, and a weigh-in.
fn health_export(steps: u32, water_ml: u32) -> Vec<u8> {
    let record = |kind: &str, unit: &str, at: &str, value: &str| {
        format!(
            r#" <Record type="HKQuantityTypeIdentifier{kind}" sourceName="Phone" unit="{unit}" creationDate="{at}" startDate="{at}" endDate="{at}" value="{value}"/>"#
        )
    };
    [
        r#"<?xml version="1.0" encoding="UTF-8"?>"#.to_string(),
        r#"<HealthData locale="en_US">"#.to_string(),
        record(
            "StepCount",
            "count",
            "2025-01-15 09:00:00 +0000",
            &steps.to_string(),
        ),
        record(
            "DietaryWater",
            "mL",
            "2025-01-15 10:00:00 +0000",
            &water_ml.to_string(),
        ),
        record("BodyMass", "kg", "2025-01-15 07:05:00 +0000", "80.5"),
        "</HealthData>".to_string(),
    ]
    .join("\n")
    .into_bytes()
}

/// The values of one type on 2025-01-15, oldest first.
async fn values_on_the_day(app: &TestApp, kind: &str) -> Vec<f64> {
    let rows = app
        .db
        .owner_client()
        .await
        .query(
            "SELECT value::float8 FROM measurements
             WHERE type = $1 AND entry_date = '2025-01-15' ORDER BY measured_at",
            &[&kind],
        )
        .await
        .unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}

/// The Apple Health file and the phone's pushes know each other's rows: a day's steps or water
/// is one value a day (the larger: a later snapshot of a growing total), the same weigh-in is
/// one reading, a re-imported file with grown totals updates them, and a deleted day stays
/// deleted.
#[tokio::test]
async fn an_apple_health_file_and_phone_pushes_count_a_day_once() {
    let app = TestApp::spawn().await;
    let key = user_with_key(&app, "ann@example.com").await;
    let p = imported(
        &app,
        "/api/v1/import/apple-health",
        &key,
        health_export(5000, 500),
    )
    .await;
    assert_eq!(p["created"]["measurements"], 3, "{p}");

    let push = |body: Value| {
        let app = &app;
        let key = key.clone();
        async move {
            let r = app
                .client
                .post(format!("{}/api/v1/health-data", app.base))
                .bearer_auth(key)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            r.json::<Value>().await.unwrap()
        }
    };
    // The phone sends the day again, later: more steps and water, the same weigh-in.
    let r = push(json!([
        {"type": "steps", "value": 8000, "date": "2025-01-15", "source": "HealthKit"},
        {"type": "water", "value": 750, "unit": "ml", "date": "2025-01-15", "source": "HealthKit"},
        {"type": "weight", "value": 80.5, "unit": "kg", "date": "2025-01-15",
         "timestamp": "2025-01-15T07:05:00Z", "source": "HealthKit"}
    ]))
    .await;
    assert_eq!(r["processed"], 2, "{r}");
    assert_eq!(r["skipped"], 1, "{r}");
    assert_eq!(values_on_the_day(&app, "steps").await, [8000.0]);
    assert_eq!(values_on_the_day(&app, "water").await, [750.0]);
    assert_eq!(values_on_the_day(&app, "weight").await, [80.5]);
    // Another source's smaller total for the day changes nothing.
    let r = push(json!([
        {"type": "steps", "value": 6000, "date": "2025-01-15", "source": "My Shortcut"}
    ]))
    .await;
    assert_eq!(r["skipped"], 1, "{r}");
    assert_eq!(values_on_the_day(&app, "steps").await, [8000.0]);

    // Importing the old file again does not undo the phone's larger totals.
    let p = imported(
        &app,
        "/api/v1/import/apple-health",
        &key,
        health_export(5000, 500),
    )
    .await;
    assert_eq!(p["created"]["measurements"], 0, "{p}");
    assert_eq!(p["replaced_day_values"], 0, "{p}");
    assert_eq!(values_on_the_day(&app, "steps").await, [8000.0]);

    // A newer export whose day grew: the preview says so, the import updates the one row.
    let newer = health_export(9000, 750);
    let dry = imported(
        &app,
        "/api/v1/import/apple-health?dry_run=true",
        &key,
        newer.clone(),
    )
    .await;
    assert_eq!(dry["replaced_day_values"], 1, "{dry}");
    assert_eq!(dry["created"]["measurements"], 0, "{dry}");
    assert_eq!(values_on_the_day(&app, "steps").await, [8000.0]);
    let p = imported(&app, "/api/v1/import/apple-health", &key, newer.clone()).await;
    assert_eq!(p["replaced_day_values"], 1, "{p}");
    assert_eq!(values_on_the_day(&app, "steps").await, [9000.0]);
    assert_eq!(values_on_the_day(&app, "water").await, [750.0]);
    let r = app
        .client
        .get(format!("{}/api/v1/summary/2025-01-15", app.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(r["water_ml"], 750.0, "{r}");

    // Deleted by the user: neither the file nor the phone brings it back.
    let deleted = count(
        &app,
        "WITH d AS (DELETE FROM measurements WHERE type = 'steps' RETURNING 1) SELECT count(*) FROM d",
    )
    .await;
    assert_eq!(deleted, 1);
    let p = imported(&app, "/api/v1/import/apple-health", &key, newer).await;
    assert_eq!(p["created"]["measurements"], 0, "{p}");
    let r = push(json!([
        {"type": "steps", "value": 8000, "date": "2025-01-15", "source": "HealthKit"}
    ]))
    .await;
    assert_eq!(r["skipped"], 1, "{r}");
    assert!(values_on_the_day(&app, "steps").await.is_empty());
}

/// Cronometer's sleep lands where the phones put it (`sleep_hours`, created on first use), and
/// a biometric row exported twice is one reading.
#[tokio::test]
async fn cronometer_sleep_meets_the_phones_and_repeats_are_one_reading() {
    let app = TestApp::spawn().await;
    let key = user_with_key(&app, "ann@example.com").await;
    let file = b"Day,Time,Group,Metric,Unit,Amount\n\
                 2025-02-01,7:00 AM,Uncategorized,Weight,kg,80.5\n\
                 2025-02-01,7:00 AM,Uncategorized,Weight,kg,80.5\n\
                 2025-02-01,,Uncategorized,Sleep,hours,7.5\n"
        .to_vec();
    let p = imported(&app, "/api/v1/import/cronometer", &key, file).await;
    assert_eq!(p["created"]["measurements"], 2, "{p}");
    assert_eq!(p["skipped"]["measurements"], 1, "{p}");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM measurements WHERE type = 'sleep_hours' AND value = 7.5"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM measurement_types WHERE name = 'sleep_hours' AND user_id IS NOT NULL"
        )
        .await,
        1
    );
}

/// A serving corrected in Cronometer replaces the entry an earlier import stored (the newer
/// export is a newer version of the same serving), counted in `replaced_entries`; new servings
/// are added and unchanged ones stay.
#[tokio::test]
async fn a_later_cronometer_export_replaces_a_corrected_serving() {
    let app = TestApp::spawn().await;
    let key = user_with_key(&app, "ann@example.com").await;
    let first = String::from_utf8(fixture("cronometer/servings.csv")).unwrap();
    let p = imported(
        &app,
        "/api/v1/import/cronometer",
        &key,
        first.clone().into_bytes(),
    )
    .await;
    let entries = p["created"]["diary"].as_u64().unwrap() as i64;
    let chicken = "SELECT count(*) FROM food_diary WHERE food_name LIKE 'Chicken Breast%'";
    assert_eq!(count(&app, chicken).await, 1);
    let newer = first.replace(
        "\"Chicken Breast, roasted\",150.00 g,247.5",
        "\"Chicken Breast, roasted\",200.00 g,330.0",
    );
    assert_ne!(newer, first);
    let dry = imported(
        &app,
        "/api/v1/import/cronometer?dry_run=true",
        &key,
        newer.clone().into_bytes(),
    )
    .await;
    assert_eq!(dry["replaced_entries"], 1, "{dry}");
    assert_eq!(dry["created"]["diary"], 1, "{dry}");
    let p = imported(
        &app,
        "/api/v1/import/cronometer",
        &key,
        newer.clone().into_bytes(),
    )
    .await;
    assert_eq!(p["replaced_entries"], 1, "{p}");
    assert_eq!(count(&app, chicken).await, 1);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM food_diary WHERE food_name LIKE 'Chicken Breast%' AND calories = 330"
        )
        .await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM food_diary").await,
        entries
    );
    // The same newer file again changes nothing.
    let again = imported(&app, "/api/v1/import/cronometer", &key, newer.into_bytes()).await;
    assert_eq!(again["created"]["diary"], 0, "{again}");
    assert_eq!(again["replaced_entries"], 0, "{again}");
    common::assert_day_totals_match_diary(&app).await;

    // Two identical servings, the second corrected, then a third like the first logged later:
    // the third is new (it was skipped as the replaced second's "already imported" key).
    let head = first.lines().next().unwrap();
    let cols = head.split(',').count();
    let apple = |amount: &str, kcal: &str| {
        // The quoted name holds one comma: one field fewer than the commas say.
        let row = format!("2025-03-01,,Snacks,\"Apples, raw\",{amount},{kcal}");
        let fields = row.split(',').count() - 1;
        format!("{row}{}", ",".repeat(cols - fields))
    };
    let file = |rows: &[&String]| {
        let mut f = vec![head.to_string()];
        f.extend(rows.iter().map(|r| r.to_string()));
        (f.join("\n") + "\n").into_bytes()
    };
    let (one, two) = (apple("1.00 medium", "95.0"), apple("2.00 medium", "190.0"));
    let total = async |app: &TestApp| -> f64 {
        app.db
            .owner_client()
            .await
            .query_one(
                "SELECT coalesce(sum(calories), 0)::float8 FROM food_diary
                 WHERE entry_date = '2025-03-01'",
                &[],
            )
            .await
            .unwrap()
            .get(0)
    };
    imported(&app, "/api/v1/import/cronometer", &key, file(&[&one, &one])).await;
    assert_eq!(total(&app).await, 190.0);
    imported(&app, "/api/v1/import/cronometer", &key, file(&[&one, &two])).await;
    assert_eq!(total(&app).await, 285.0);
    let p = imported(
        &app,
        "/api/v1/import/cronometer",
        &key,
        file(&[&one, &two, &one]),
    )
    .await;
    assert_eq!(p["created"]["diary"], 1, "{p}");
    assert_eq!(total(&app).await, 380.0);
}

/// A Strong session changed since an earlier import (a set corrected, one added) replaces the
/// workout that import stored (`replaced_entries`), instead of staying "already imported";
/// unchanged sessions stay, and the same file again changes nothing.
#[tokio::test]
async fn a_later_strong_export_replaces_a_changed_session() {
    let app = TestApp::spawn().await;
    let key = user_with_key(&app, "ann@example.com").await;
    let first = String::from_utf8(fixture("strong/strong.csv")).unwrap();
    let p = imported(
        &app,
        "/api/v1/import/strong",
        &key,
        first.clone().into_bytes(),
    )
    .await;
    let workouts = p["created"]["workouts"].as_i64().unwrap();
    assert!(workouts >= 3, "{p}");
    let bench = "SELECT string_agg(s.reps || 'x' || s.weight_kg::float8, ' ' ORDER BY s.set_number)
                 FROM exercise_diary d JOIN exercise_sets s ON s.exercise_diary_id = d.id
                 WHERE d.exercise_name LIKE 'Bench Press%'";
    let sets = async |app: &TestApp| -> Option<String> {
        app.db
            .owner_client()
            .await
            .query_one(bench, &[])
            .await
            .unwrap()
            .get(0)
    };
    assert_eq!(sets(&app).await.as_deref(), Some("10x40 8x60 6x62.5"));
    // The set's RPE and note are kept in the workout's notes.
    let notes: Option<String> = app
        .db
        .owner_client()
        .await
        .query_one(
            "SELECT notes FROM exercise_diary WHERE exercise_name LIKE 'Bench Press%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        notes.as_deref(),
        Some("Bench Press (Barbell), from Strong\n\nset 3: RPE 8, felt strong")
    );
    // In Strong the third set is corrected to 65 kg and a fourth added.
    let newer = first.replace(
        "\"Bench Press (Barbell)\",3,62.5,6,0,0,\"felt strong\",,8\n",
        "\"Bench Press (Barbell)\",3,65,6,0,0,\"felt strong\",,8\n2025-11-03 07:30:00,\"Push day\",1h 6m,\"Bench Press (Barbell)\",4,65,5,0,0,,,\n",
    );
    assert_ne!(newer, first);
    // What the user typed in Sparky on the session stays on its newer version.
    let bench_id: String = app
        .db
        .owner_client()
        .await
        .query_one(
            "SELECT id::text FROM exercise_diary WHERE exercise_name LIKE 'Bench Press%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let r = app
        .client
        .put(format!("{}/api/v1/workouts/{bench_id}", app.base))
        .bearer_auth(&key)
        .json(&json!({"notes": "felt strong today", "calories_burned": 210}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let dry = imported(
        &app,
        "/api/v1/import/strong?dry_run=true",
        &key,
        newer.clone().into_bytes(),
    )
    .await;
    assert_eq!(dry["replaced_entries"], 1, "{dry}");
    assert_eq!(dry["created"]["workouts"], 1, "{dry}");
    let p = imported(
        &app,
        "/api/v1/import/strong",
        &key,
        newer.clone().into_bytes(),
    )
    .await;
    assert_eq!(p["replaced_entries"], 1, "{p}");
    assert_eq!(sets(&app).await.as_deref(), Some("10x40 8x60 6x65 5x65"));
    let row = app
        .db
        .owner_client()
        .await
        .query_one(
            "SELECT notes, calories_burned::float8 FROM exercise_diary
             WHERE exercise_name LIKE 'Bench Press%'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        row.get::<_, Option<String>>(0).as_deref(),
        Some("felt strong today")
    );
    assert_eq!(row.get::<_, f64>(1), 210.0);
    assert_eq!(
        count(&app, "SELECT count(*) FROM exercise_diary").await,
        workouts
    );
    let again = imported(&app, "/api/v1/import/strong", &key, newer.into_bytes()).await;
    assert_eq!(again["created"]["workouts"], 0, "{again}");
    assert_eq!(again["replaced_entries"], 0, "{again}");
    assert_eq!(
        count(&app, "SELECT count(*) FROM exercise_diary").await,
        workouts
    );
}

/// Renaming a session, reordering its exercises or deleting one in Strong does not import
/// anything again nor move one exercise's rows onto another. Rows an older Sparky imported
/// under keys that named the session (simulated here by putting its keys back into the
/// ledger) are recognised, and remembered under today's keys, so a rename after that is
/// recognised too.
#[tokio::test]
async fn renaming_reordering_or_deleting_in_strong_imports_nothing_again() {
    let app = TestApp::spawn().await;
    let key = user_with_key(&app, "ann@example.com").await;
    let first = fixture("strong/strong.csv");
    let p = imported(&app, "/api/v1/import/strong", &key, first.clone()).await;
    let workouts = p["created"]["workouts"].as_i64().unwrap();
    assert!(workouts >= 3, "{p}");

    // The ledger as an older Sparky left it: its keys and versions.
    let parsed = sparky_import::strength::parse_strong(&first, &Default::default()).unwrap();
    let owner = app.db.owner_client().await;
    let mut rekeyed = 0;
    for r in &parsed.records {
        let sparky_import::Record::Workout(w) = r else {
            continue;
        };
        let earlier = w.earlier.as_ref().unwrap();
        rekeyed += owner
            .execute(
                "UPDATE import_records SET record_key = $2, fingerprint = $3 WHERE record_key = $1",
                &[&w.key, &earlier.key, &earlier.version],
            )
            .await
            .unwrap();
    }
    assert_eq!(rekeyed as i64, workouts);
    let again = imported(&app, "/api/v1/import/strong", &key, first.clone()).await;
    assert_eq!(again["created"]["workouts"], 0, "{again}");
    assert_eq!(again["replaced_entries"], 0, "{again}");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM import_records WHERE area = 'workouts'"
        )
        .await,
        2 * workouts,
        "remembered under both keys"
    );

    // Renamed in Strong: the session. Nothing is new, nothing replaced.
    let text = String::from_utf8(first).unwrap();
    let renamed = text.replace("\"Push day\"", "\"Chest & back\"");
    let p = imported(
        &app,
        "/api/v1/import/strong",
        &key,
        renamed.clone().into_bytes(),
    )
    .await;
    assert_eq!(p["created"]["workouts"], 0, "{p}");
    assert_eq!(p["replaced_entries"], 0, "{p}");

    // Reordered in Strong (Pull Up before Bench), after a note typed on the bench in Sparky:
    // every exercise keeps its own row, note and calories.
    let owner = app.db.owner_client().await;
    owner
        .execute(
            "UPDATE exercise_diary SET notes = 'bench PR', calories_burned = 250,
                    calories_source = 'user'
             WHERE exercise_name LIKE 'Bench Press%'",
            &[],
        )
        .await
        .unwrap();
    let lines: Vec<&str> = renamed.lines().collect();
    let (bench, rest): (Vec<&str>, Vec<&str>) =
        lines[1..].iter().partition(|l| l.contains("Bench Press"));
    let reordered = std::iter::once(lines[0])
        .chain(rest.iter().copied().filter(|l| l.contains("Pull Up")))
        .chain(bench.iter().copied())
        .chain(rest.iter().copied().filter(|l| !l.contains("Pull Up")))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    let p = imported(
        &app,
        "/api/v1/import/strong",
        &key,
        reordered.clone().into_bytes(),
    )
    .await;
    assert_eq!(p["created"]["workouts"], 0, "{p}");
    assert_eq!(p["replaced_entries"], 0, "{p}");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM exercise_diary
             WHERE exercise_name LIKE 'Bench Press%' AND notes = 'bench PR'
               AND calories_burned = 250"
        )
        .await,
        1
    );

    // The Pull Up deleted in Strong: nothing is duplicated. The bench's share of the
    // session's time grew (all of the 41 minutes the run left, not three sets of five), so
    // it is a newer version
    // of its row, still with the user's note and calories; the running has its own time.
    let without: String = reordered
        .lines()
        .filter(|l| !l.contains("Pull Up"))
        .map(|l| format!("{l}\n"))
        .collect();
    let p = imported(&app, "/api/v1/import/strong", &key, without.into_bytes()).await;
    assert_eq!(p["replaced_entries"], 1, "{p}");
    assert_eq!(p["created"]["workouts"], 1, "{p}");
    assert_eq!(
        count(&app, "SELECT count(*) FROM exercise_diary").await,
        workouts
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM exercise_diary
             WHERE exercise_name LIKE 'Bench Press%' AND notes = 'bench PR'
               AND calories_burned = 250 AND duration_minutes = 41"
        )
        .await,
        1
    );
}

/// A meal name the app does not know is filed under snacks, and the preview says so once with
/// the rows it concerns (it used to happen without a word).
#[tokio::test]
async fn an_unknown_meal_name_is_noted_in_the_preview() {
    let app = TestApp::spawn().await;
    let key = user_with_key(&app, "ann@example.com").await;
    let csv = b"date,meal,name,calories\n\
        2025-01-02,Pre-workout,Banana,105\n\
        2025-01-02,Lunch,Soup,300\n\
        2025-01-03,Pre-workout,Gel,90\n"
        .to_vec();
    let p = imported(
        &app,
        "/api/v1/import/csv?target=diary&dry_run=true",
        &key,
        csv.clone(),
    )
    .await;
    let notes = p["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{p}");
    assert_eq!(notes[0]["area"], "diary", "{p}");
    assert_eq!(notes[0]["count"], 2, "{p}");
    assert_eq!(notes[0]["first_line"], 2, "{p}");
    assert!(
        notes[0]["note"].as_str().unwrap().contains("“Pre-workout”"),
        "{p}"
    );
    let p = imported(&app, "/api/v1/import/csv?target=diary", &key, csv).await;
    assert_eq!(p["created"]["diary"], 3, "{p}");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM food_diary WHERE meal_type = 'snack'
               AND food_name IN ('Banana', 'Gel')"
        )
        .await,
        2
    );
}

/// Cronometer's nutrient columns Sparky has no field for become the custom nutrients of the
/// same name (any letter case, converted to their unit); the preview says which columns are
/// kept and why the others are not; an amount no entry may hold skips its row; the entry's
/// amounts follow a changed quantity; defining one later does not make rows new.
#[tokio::test]
async fn cronometer_columns_fill_custom_nutrients_of_the_same_name() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let key = key_of(&app, &ann).await;
    for (name, unit) in [("Caffeine", "mg"), ("omega-3", "mg"), ("Vitamin D", "µg")] {
        let r = app
            .post(
                "/api/v1/custom-nutrients",
                &ann,
                json!({"name": name, "unit": unit}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let file = b"Day,Time,Group,Food Name,Amount,Energy (kcal),Caffeine (mg),Omega-3 (g),Vitamin D (IU),Theanine (mg),Protein (g)\n\
                 2025-04-01,8:00 AM,Breakfast,Coffee,1.00 cup,2.4,95,0.00,,20,0.3\n\
                 2025-04-01,12:00 PM,Lunch,Salmon,100.00 g,208,0,2.26,526,,20.4\n\
                 2025-04-01,3:00 PM,Snacks,Espresso,1.00 shot,1,212000,,,,0.1\n"
        .to_vec();
    let dry = imported(
        &app,
        "/api/v1/import/cronometer?dry_run=true",
        &key,
        file.clone(),
    )
    .await;
    let columns = dry["custom_nutrients"]
        .as_array()
        .expect("custom_nutrients");
    let find = |c: &str| {
        columns
            .iter()
            .find(|x| x["column"] == c)
            .unwrap_or_else(|| panic!("{c} in {dry}"))
            .clone()
    };
    assert_eq!(find("Caffeine (mg)")["custom_nutrient"], "Caffeine");
    assert_eq!(find("Omega-3 (g)")["custom_nutrient"], "omega-3");
    assert!(find("Vitamin D (IU)")["custom_nutrient"].is_null());
    assert!(find("Vitamin D (IU)")["note"]
        .as_str()
        .unwrap()
        .contains("µg"));
    assert!(find("Theanine (mg)")["note"]
        .as_str()
        .unwrap()
        .contains("define a custom nutrient named Theanine"));
    // Built-in nutrients are not listed.
    assert!(
        columns.iter().all(|c| c["column"] != "Protein (g)"),
        "{dry}"
    );
    assert_eq!(dry["created"]["diary"], 2, "{dry}");
    assert_eq!(dry["skipped"]["diary"], 1, "{dry}");
    let reason = dry["skip_reasons"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("Caffeine (mg)"), "{reason}");
    assert_eq!(count(&app, "SELECT count(*) FROM food_diary").await, 0);

    let p = imported(&app, "/api/v1/import/cronometer", &key, file.clone()).await;
    assert_eq!(p["created"]["diary"], 2, "{p}");
    let day = app.get("/api/v1/diary/2025-04-01", &ann).await;
    assert_eq!(day.status, StatusCode::OK, "{:?}", day.body);
    assert_eq!(
        day.body["custom_totals"],
        json!({"Caffeine": 95.0, "omega-3": 2260.0}),
        "{:?}",
        day.body
    );
    let coffee = day.body["meals"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["entries"].as_array().unwrap().clone())
        .find(|e| e["food_name"] == "Coffee, 1.00 cup")
        .expect("the coffee");
    assert_eq!(coffee["custom_nutrients"], json!({"Caffeine": 95.0}));
    // Two cups: twice the caffeine, like its calories.
    let path = format!("/api/v1/diary/{}", coffee["id"].as_str().unwrap());
    let r = app.put(&path, &ann, json!({"quantity": 2})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["custom_nutrients"], json!({"Caffeine": 190.0}));
    assert_eq!(r.body["nutrients"]["calories"], 4.8, "{:?}", r.body);
    let totals = app
        .get(
            "/api/v1/custom-nutrients/totals?from=2025-04-01&to=2025-04-01",
            &ann,
        )
        .await;
    assert_eq!(
        totals.body[0]["totals"],
        json!({"Caffeine": 190.0, "omega-3": 2260.0}),
        "{:?}",
        totals.body
    );
    common::assert_day_totals_match_diary(&app).await;

    // Theanine defined afterwards: the same file again brings nothing new.
    app.post(
        "/api/v1/custom-nutrients",
        &ann,
        json!({"name": "Theanine", "unit": "mg"}),
    )
    .await;
    let again = imported(&app, "/api/v1/import/cronometer", &key, file).await;
    assert_eq!(again["created"]["diary"], 0, "{again}");
    assert_eq!(count(&app, "SELECT count(*) FROM food_diary").await, 2);
}

/// A generic CSV diary's unmatched columns with a unit work the same way, and a cell that is
/// not a number there is said.
#[tokio::test]
async fn a_csv_diary_fills_custom_nutrients_from_columns_with_a_unit() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let key = key_of(&app, &ann).await;
    let r = app
        .post(
            "/api/v1/custom-nutrients",
            &ann,
            json!({"name": "Caffeine", "unit": "g"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let file = b"Date,Meal,Name,Calories,Caffeine (mg),Notes\n\
                 2025-05-01,breakfast,Tea,2,45,green\n\
                 2025-05-01,lunch,Cola,140,lots,\n"
        .to_vec();
    let p = imported(&app, "/api/v1/import/csv?target=diary", &key, file).await;
    assert_eq!(p["created"]["diary"], 1, "{p}");
    assert_eq!(p["skipped"]["diary"], 1, "{p}");
    assert!(
        p["skip_reasons"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("Caffeine (mg): not a number"),
        "{p}"
    );
    assert_eq!(
        p["custom_nutrients"][0]["custom_nutrient"], "Caffeine",
        "{p}"
    );
    let day = app.get("/api/v1/diary/2025-05-01", &ann).await;
    assert_eq!(
        day.body["custom_totals"],
        json!({"Caffeine": 0.045}),
        "{:?}",
        day.body
    );

    // A foods file: the serving holds the amounts.
    let foods = b"Name,Serving Size,Serving Unit,Calories,Caffeine (mg)\n\
                  Energy drink,250,ml,110,80\n"
        .to_vec();
    let p = imported(&app, "/api/v1/import/csv?target=foods", &key, foods).await;
    assert_eq!(p["created"]["foods"], 1, "{p}");
    let found = app.get("/api/v1/foods?q=energy%20drink", &ann).await;
    let id = found.body["items"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{:?}", found.body))
        .to_string();
    let food = app.get(&format!("/api/v1/foods/{id}"), &ann).await;
    assert_eq!(
        food.body["servings"][0]["custom_nutrients"],
        json!({"Caffeine": 0.08}),
        "{:?}",
        food.body
    );
}
