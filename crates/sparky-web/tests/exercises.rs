//! Exercise catalog, custom exercises, the exercise diary (workouts) and exercise history,
//! against a real database.

mod common;

use common::{As, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

async fn create_exercise(app: &TestApp, who: &As, body: Value) -> Value {
    let r = app.post("/api/v1/exercises", who, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body
}

async fn log(app: &TestApp, who: &As, body: Value) -> Value {
    let r = app.post("/api/v1/workouts", who, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body
}

/// A weight measurement written as the owner role (measurements have their own endpoints,
/// not exercised here).
async fn add_weight(app: &TestApp, user: &str, kg: &str, at: &str) {
    let owner = app.db.owner_client().await;
    owner
        .execute(
            "INSERT INTO measurements (user_id, type, value, unit, measured_at)
             VALUES ($1, 'weight', $2::text::numeric, 'kg', $3::text::timestamptz)",
            &[&Uuid::parse_str(user).unwrap(), &kg, &at],
        )
        .await
        .unwrap();
}

/// A catalog exercise's id, by its exact name.
async fn catalog_id(app: &TestApp, name: &str) -> String {
    let owner = app.db.owner_client().await;
    owner
        .query_one(
            "SELECT id::text FROM exercises WHERE user_id IS NULL AND name = $1",
            &[&name],
        )
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .get(0)
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn catalog_has_150_exercises_with_met_values_and_filters_work() {
    let app = TestApp::spawn().await;
    let owner = app.db.owner_client().await;
    let row = owner
        .query_one(
            "SELECT count(*) FILTER (WHERE met_value IS NOT NULL AND compendium_code IS NOT NULL),
                    count(DISTINCT category), count(*) FILTER (WHERE instructions IS NULL OR muscle_groups IS NULL)
             FROM exercises WHERE user_id IS NULL AND source = 'sparky'",
            &[],
        )
        .await
        .unwrap();
    let with_met: i64 = row.get(0);
    assert!(
        with_met >= 150,
        "{with_met} catalog exercises with MET values"
    );
    assert_eq!(row.get::<_, i64>(1), 4);
    assert_eq!(row.get::<_, i64>(2), 0);
    // Facts from the 2011 Compendium.
    for (name, met, code) in [
        ("Running, 6 mph (10 min/mile, 9.7 km/h)", "9.80", "12050"),
        ("Walking, 3 mph (4.8 km/h), moderate pace", "3.50", "17190"),
        ("Weight training, general", "3.50", "02054"),
    ] {
        let r = owner
            .query_one(
                "SELECT met_value::text, compendium_code FROM exercises WHERE name = $1",
                &[&name],
            )
            .await
            .unwrap();
        assert_eq!(
            (r.get::<_, String>(0), r.get::<_, String>(1)),
            (met.to_string(), code.to_string())
        );
    }

    let (_, ann) = app.user("ann@example.com").await;
    // Paging through everything visible.
    let mut seen = 0;
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/exercises?limit=100&cursor={c}"),
            None => "/api/v1/exercises?limit=100".to_string(),
        };
        let page = app.get(&path, &ann).await;
        assert_eq!(page.status, StatusCode::OK);
        seen += page.body["items"].as_array().unwrap().len();
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert!(seen >= 150);

    // Filters.
    let cardio = app
        .get("/api/v1/exercises?category=cardio&limit=100", &ann)
        .await;
    assert!(cardio.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["category"] == "cardio"));
    assert!(names(&cardio.body).iter().any(|n| n.starts_with("Running")));
    let barbell_quads = app
        .get(
            "/api/v1/exercises?equipment=barbell&muscle=quadriceps&category=strength",
            &ann,
        )
        .await;
    let items = barbell_quads.body["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|e| e["equipment"] == "barbell"
        && e["muscle_groups"]
            .as_array()
            .unwrap()
            .contains(&json!("quadriceps"))));
    assert!(names(&barbell_quads.body).contains(&"Barbell back squat".to_string()));
    // Search: prefix first, typos tolerated.
    let squat = app.get("/api/v1/exercises?q=barbell%20back", &ann).await;
    assert_eq!(squat.body["items"][0]["name"], "Barbell back squat");
    assert_eq!(squat.body["items"][0]["met_value"], 5.0);
    assert_eq!(squat.body["items"][0]["compendium_code"], "02052");
    let typo = app.get("/api/v1/exercises?q=deadlit", &ann).await;
    assert!(
        names(&typo.body).iter().any(|n| n.contains("deadlift")),
        "{:?}",
        names(&typo.body)
    );
    assert_eq!(
        app.get("/api/v1/exercises?limit=0", &ann).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.get("/api/v1/exercises", &As::Nobody).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn custom_exercises_crud_and_isolation() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let mine = create_exercise(
        &app,
        &ann,
        json!({"name": "Sled push", "category": "Strength", "muscle_groups": ["Quadriceps", "glutes"],
               "equipment": "Sled", "instructions": "Push it.", "met_value": 6}),
    )
    .await;
    assert_eq!(mine["category"], "strength");
    assert_eq!(mine["muscle_groups"], json!(["quadriceps", "glutes"]));
    assert_eq!(mine["source"], "user");
    let id = mine["id"].as_str().unwrap();
    let path = format!("/api/v1/exercises/{id}");
    assert_eq!(app.get(&path, &ann).await.body["name"], "Sled push");
    // Found by its owner's search and filters, not by anyone else's.
    assert_eq!(
        names(&app.get("/api/v1/exercises?q=sled", &ann).await.body),
        vec!["Sled push"]
    );
    assert_eq!(
        names(&app.get("/api/v1/exercises?equipment=sled", &ann).await.body),
        vec!["Sled push"]
    );
    assert!(names(&app.get("/api/v1/exercises?q=sled", &bob).await.body).is_empty());
    // Bob: 404 for read, change and delete.
    assert_eq!(app.get(&path, &bob).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.put(&path, &bob, json!({"name": "Mine now"}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.delete(&path, &bob).await.status, StatusCode::NOT_FOUND);
    // Validation.
    let bad = app
        .post(
            "/api/v1/exercises",
            &ann,
            json!({"name": " ", "category": "juggling", "met_value": 0}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body["error"]["fields"]["name"].is_string());
    assert!(bad.body["error"]["fields"]["category"].is_string());
    assert!(bad.body["error"]["fields"]["met_value"].is_string());
    // A MET that rounds to 0.00 is refused on its own field, in words.
    let tiny = app
        .post(
            "/api/v1/exercises",
            &ann,
            json!({"name": "Tiny", "met_value": 0.004}),
        )
        .await;
    assert_eq!(tiny.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        tiny.body["error"]["fields"]["met_value"], "must be from 0.01 to 30",
        "{:?}",
        tiny.body
    );
    // Update.
    let up = app
        .put(
            &path,
            &ann,
            json!({"name": "Prowler push", "category": "cardio", "met_value": 8.5}),
        )
        .await;
    assert_eq!(up.status, StatusCode::OK, "{:?}", up.body);
    assert_eq!(up.body["name"], "Prowler push");
    assert_eq!(up.body["met_value"], 8.5);
    // The catalog is read-only: 403.
    let squat = catalog_id(&app, "Barbell back squat").await;
    let catalog_path = format!("/api/v1/exercises/{squat}");
    assert_eq!(
        app.put(&catalog_path, &ann, json!({"name": "Mine"}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(&catalog_path, &ann).await.status,
        StatusCode::FORBIDDEN
    );
    // A diary entry keeps the exercise's name after the exercise is deleted.
    let w = log(
        &app,
        &ann,
        json!({"exercise_id": id, "date": "2026-04-01", "duration_minutes": 10}),
    )
    .await;
    assert_eq!(app.delete(&path, &ann).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path, &ann).await.status, StatusCode::NOT_FOUND);
    let day = app.get("/api/v1/workouts/2026-04-01", &ann).await;
    assert_eq!(day.body["entries"][0]["id"], w["id"]);
    assert_eq!(day.body["entries"][0]["exercise_name"], "Prowler push");
    assert_eq!(day.body["entries"][0]["exercise_id"], Value::Null);
}

#[tokio::test]
async fn strength_workout_keeps_every_set_and_edits_replace_them() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let bench = catalog_id(&app, "Barbell bench press").await;
    let w = log(
        &app,
        &ann,
        json!({"exercise_id": bench, "date": "2026-05-02", "notes": "felt strong",
               "sets": [{"reps": 8, "weight": 60}, {"reps": 6, "weight": 70.5}, {"reps": 4, "weight": 77.125, "unit": "kg"}]}),
    )
    .await;
    assert_eq!(w["exercise_name"], "Barbell bench press");
    assert_eq!(w["date"], "2026-05-02");
    assert_eq!(w["notes"], "felt strong");
    let expected = json!([
        {"set_number": 1, "reps": 8, "weight": 60.0, "unit": "kg", "duration_seconds": null},
        {"set_number": 2, "reps": 6, "weight": 70.5, "unit": "kg", "duration_seconds": null},
        {"set_number": 3, "reps": 4, "weight": 77.125, "unit": "kg", "duration_seconds": null},
    ]);
    assert_eq!(w["sets"], expected);
    // No duration: no estimate, and a hint saying why.
    assert_eq!(w["calories_burned"], Value::Null);
    assert_eq!(w["hint"], "add a duration to estimate calories");
    let day = app.get("/api/v1/workouts/2026-05-02", &ann).await;
    assert_eq!(day.status, StatusCode::OK);
    assert_eq!(day.body["entries"][0]["sets"], expected);
    // The seed's summary columns are kept up to date.
    let owner = app.db.owner_client().await;
    let s = owner
        .query_one(
            "SELECT sets, reps, weight::text FROM exercise_diary WHERE id = $1",
            &[&Uuid::parse_str(w["id"].as_str().unwrap()).unwrap()],
        )
        .await
        .unwrap();
    assert_eq!(
        (
            s.get::<_, i32>(0),
            s.get::<_, i32>(1),
            s.get::<_, String>(2)
        ),
        (3, 18, "77.13".to_string())
    );
    // Edit: replace the sets, move the day.
    let path = format!("/api/v1/workouts/{}", w["id"].as_str().unwrap());
    let up = app
        .put(
            &path,
            &ann,
            json!({"sets": [{"reps": 5, "weight": 80}], "date": "2026-05-03", "notes": null}),
        )
        .await;
    assert_eq!(up.status, StatusCode::OK, "{:?}", up.body);
    assert_eq!(
        up.body["sets"],
        json!([{"set_number": 1, "reps": 5, "weight": 80.0, "unit": "kg", "duration_seconds": null}])
    );
    assert_eq!(up.body["date"], "2026-05-03");
    assert_eq!(up.body["notes"], Value::Null);
    assert!(
        app.get("/api/v1/workouts/2026-05-02", &ann).await.body["entries"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Range listing, bounded.
    let range = app
        .get("/api/v1/workouts?from=2026-05-01&to=2026-05-31", &ann)
        .await;
    assert_eq!(range.status, StatusCode::OK);
    assert_eq!(range.body["entries"].as_array().unwrap().len(), 1);
    assert_eq!(range.body["entries"][0]["sets"][0]["reps"], 5);
    assert_eq!(
        app.get("/api/v1/workouts?from=2025-01-01&to=2026-05-31", &ann)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let no_to = app.get("/api/v1/workouts?from=2026-05-01", &ann).await;
    assert_eq!(no_to.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_to.body["error"]["fields"]["to"].is_string());
    // Invalid input.
    for bad in [
        json!({"exercise_id": bench}),
        json!({"exercise_id": bench, "sets": [{"reps": -1, "weight": 10}]}),
        json!({"exercise_id": bench, "sets": [{"reps": 5, "weight": 10, "unit": "stone"}]}),
        json!({"exercise_id": bench, "duration_minutes": 20, "distance": -3}),
    ] {
        let r = app.post("/api/v1/workouts", &ann, bad.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad} {:?}",
            r.body
        );
    }
    let missing = app
        .post(
            "/api/v1/workouts",
            &ann,
            json!({"exercise_id": Uuid::new_v4(), "duration_minutes": 5}),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    // Delete.
    assert_eq!(app.delete(&path, &ann).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.delete(&path, &ann).await.status, StatusCode::NOT_FOUND);
    let left: i64 = owner
        .query_one("SELECT count(*) FROM exercise_sets", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
}

#[tokio::test]
async fn imperial_users_get_back_exactly_what_they_typed() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    assert_eq!(
        app.put(
            "/api/v1/preferences",
            &ann,
            json!({"units_system": "imperial"})
        )
        .await
        .status,
        StatusCode::OK
    );
    let squat = catalog_id(&app, "Goblet squat").await;
    let w = log(
        &app,
        &ann,
        json!({"exercise_id": squat, "date": "2026-05-02",
               "sets": [{"reps": 10, "weight": 90}, {"reps": 8, "weight": 92.5, "unit": "lb"}, {"reps": 5, "weight": 50, "unit": "kg"}]}),
    )
    .await;
    assert_eq!(w["sets"][0]["weight"], 90.0);
    assert_eq!(w["sets"][0]["unit"], "lb");
    assert_eq!(w["sets"][1]["weight"], 92.5);
    // 50 kg = 110.2311 lb.
    assert_eq!(w["sets"][2]["weight"], 110.2311);
    let owner = app.db.owner_client().await;
    let kg: String = owner
        .query_one(
            "SELECT weight_kg::text FROM exercise_sets WHERE set_number = 1",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(kg, "40.823313");
    // Distances too: 3.1 mi in, 3.1 mi out; 5 km in, shown in miles.
    let run = catalog_id(&app, "Running, general").await;
    let r = log(
        &app,
        &ann,
        json!({"exercise_id": run, "date": "2026-05-02", "duration_minutes": 31, "distance": 3.1}),
    )
    .await;
    assert_eq!(r["distance"], 3.1);
    assert_eq!(r["distance_unit"], "mi");
    assert_eq!(r["pace"], 10.0);
    let k = log(
        &app,
        &ann,
        json!({"exercise_id": run, "date": "2026-05-03", "duration_minutes": 25, "distance": 5, "distance_unit": "km"}),
    )
    .await;
    assert_eq!(k["distance"], 3.1069);
    // The day shows the same.
    let day = app.get("/api/v1/workouts/2026-05-02", &ann).await;
    assert_eq!(day.body["entries"][0]["sets"][0]["weight"], 90.0);
}

#[tokio::test]
async fn calories_from_met_body_weight_and_hours() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let met8 = create_exercise(
        &app,
        &ann,
        json!({"name": "Eight MET thing", "category": "cardio", "met_value": 8}),
    )
    .await;
    let id = met8["id"].as_str().unwrap();
    // No weight yet: no estimate, a hint.
    let early = log(
        &app,
        &ann,
        json!({"exercise_id": id, "date": "2026-06-10", "duration_minutes": 30}),
    )
    .await;
    assert_eq!(early["calories_burned"], Value::Null);
    assert_eq!(early["calories_source"], Value::Null);
    assert_eq!(early["hint"], "add your weight to estimate calories");
    // 70 kg on the 1st; a later weight (after the day) is not used.
    add_weight(&app, &ann_id, "70", "2026-06-01T08:00:00Z").await;
    add_weight(&app, &ann_id, "90", "2026-06-20T08:00:00Z").await;
    let w = log(
        &app,
        &ann,
        json!({"exercise_id": id, "date": "2026-06-10", "duration_minutes": 30}),
    )
    .await;
    // 8 MET × 70 kg × 0.5 h = 280 kcal.
    assert_eq!(w["calories_burned"], 280.0);
    assert_eq!(w["calories_source"], "met");
    assert!(w.get("hint").is_none());
    // Editing the duration re-estimates: 45 min → 420.
    let path = format!("/api/v1/workouts/{}", w["id"].as_str().unwrap());
    let up = app.put(&path, &ann, json!({"duration_minutes": 45})).await;
    assert_eq!(up.body["calories_burned"], 420.0);
    // Moved past the 90 kg weigh-in: 8 × 90 × 0.75 = 540.
    let up = app.put(&path, &ann, json!({"date": "2026-06-21"})).await;
    assert_eq!(up.body["calories_burned"], 540.0);
    // The user's number wins, and sticks through edits; null goes back to the estimate.
    let mine = log(
        &app,
        &ann,
        json!({"exercise_id": id, "date": "2026-06-10", "duration_minutes": 30, "calories_burned": 123.45}),
    )
    .await;
    assert_eq!(mine["calories_burned"], 123.45);
    assert_eq!(mine["calories_source"], "user");
    let mpath = format!("/api/v1/workouts/{}", mine["id"].as_str().unwrap());
    let up = app.put(&mpath, &ann, json!({"duration_minutes": 60})).await;
    assert_eq!(up.body["calories_burned"], 123.45);
    let up = app
        .put(&mpath, &ann, json!({"calories_burned": null}))
        .await;
    assert_eq!(up.body["calories_burned"], 560.0);
    assert_eq!(up.body["calories_source"], "met");
    // The day's total. The entry logged before any weigh-in got its estimate when the 70 kg
    // (dated before its day) was logged: 280; the other 280 one moved away.
    let day = app.get("/api/v1/workouts/2026-06-10", &ann).await;
    assert_eq!(day.body["entries"][0]["id"], early["id"]);
    assert_eq!(day.body["entries"][0]["calories_burned"], 280.0);
    assert_eq!(day.body["entries"][0]["calories_source"], "met");
    assert_eq!(day.body["total_calories_burned"], 280.0 + 560.0);
    assert_eq!(day.body["total_duration_minutes"], 30 + 60);
    // A catalog exercise: running 6 mph (9.8 MET), 70 kg, 60 min = 686.
    let run = catalog_id(&app, "Running, 6 mph (10 min/mile, 9.7 km/h)").await;
    let r = log(
        &app,
        &ann,
        json!({"exercise_id": run, "date": "2026-06-11", "duration_minutes": 60, "distance": 9.656064}),
    )
    .await;
    assert_eq!(r["met_value"], 9.8);
    assert_eq!(r["calories_burned"], 686.0);
}

#[tokio::test]
async fn history_and_personal_records() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let squat = catalog_id(&app, "Barbell back squat").await;
    // Day 1: 100 × 5, 100 × 3. Day 2: 110 × 1, 100 × 8. Day 3: 90 × 12.
    log(
        &app,
        &ann,
        json!({"exercise_id": squat, "date": "2026-03-01",
        "sets": [{"reps": 5, "weight": 100}, {"reps": 3, "weight": 100}]}),
    )
    .await;
    let d2 = log(
        &app,
        &ann,
        json!({"exercise_id": squat, "date": "2026-03-08",
        "sets": [{"reps": 1, "weight": 110}, {"reps": 8, "weight": 100}]}),
    )
    .await;
    let d3 = log(
        &app,
        &ann,
        json!({"exercise_id": squat, "date": "2026-03-15",
        "sets": [{"reps": 12, "weight": 90}, {"reps": 40, "weight": 60}]}),
    )
    .await;
    let h = app
        .get(&format!("/api/v1/exercises/{squat}/history"), &ann)
        .await;
    assert_eq!(h.status, StatusCode::OK, "{:?}", h.body);
    assert_eq!(h.body["exercise_name"], "Barbell back squat");
    let sessions = h.body["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 3);
    assert_eq!(sessions[0]["date"], "2026-03-15");
    assert_eq!(sessions[2]["sets"].as_array().unwrap().len(), 2);
    let rec = &h.body["records"];
    assert_eq!(rec["heaviest_weight"]["weight"], 110.0);
    assert_eq!(rec["heaviest_weight"]["reps"], 1);
    assert_eq!(rec["heaviest_weight"]["workout_id"], d2["id"]);
    // Epley: 110 × 1 = 110; 100 × 8 = 126.67; 90 × 12 = 126; 100 × 5 = 116.67. A burnout
    // set of 60 × 40 estimates nothing (past 12 reps; it would "estimate" 140).
    assert_eq!(rec["best_one_rep_max"]["estimated_one_rep_max"], 126.67);
    assert_eq!(rec["best_one_rep_max"]["weight"], 100.0);
    assert_eq!(rec["best_one_rep_max"]["reps"], 8);
    assert_eq!(rec["best_one_rep_max"]["date"], "2026-03-08");
    assert_eq!(
        rec["most_reps_at_weight"],
        json!([
            {"weight": 110.0, "reps": 1, "date": "2026-03-08", "workout_id": d2["id"]},
            {"weight": 100.0, "reps": 8, "date": "2026-03-08", "workout_id": d2["id"]},
            {"weight": 90.0, "reps": 12, "date": "2026-03-15", "workout_id": d3["id"]},
            {"weight": 60.0, "reps": 40, "date": "2026-03-15", "workout_id": d3["id"]},
        ])
    );
    assert_eq!(rec["longest_distance"], Value::Null);
    // Cardio records: 5 km in 25 min (5:00/km), 10 km in 55 min (5:30/km).
    let run = catalog_id(&app, "Running, general").await;
    let fast = log(
        &app,
        &ann,
        json!({"exercise_id": run, "date": "2026-03-02", "duration_minutes": 25, "distance": 5}),
    )
    .await;
    let long = log(
        &app,
        &ann,
        json!({"exercise_id": run, "date": "2026-03-09", "duration_minutes": 55, "distance": 10}),
    )
    .await;
    let h = app
        .get(&format!("/api/v1/exercises/{run}/history?limit=1"), &ann)
        .await;
    assert_eq!(h.body["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(h.body["records"]["longest_distance"]["distance"], 10.0);
    assert_eq!(
        h.body["records"]["longest_distance"]["workout_id"],
        long["id"]
    );
    assert_eq!(h.body["records"]["fastest_pace"]["pace"], 5.0);
    assert_eq!(h.body["records"]["fastest_pace"]["workout_id"], fast["id"]);
    assert_eq!(h.body["records"]["heaviest_weight"], Value::Null);
    // Bob sees none of Ann's history, and cannot ask for it.
    let bh = app
        .get(&format!("/api/v1/exercises/{squat}/history"), &bob)
        .await;
    assert_eq!(bh.status, StatusCode::OK);
    assert!(bh.body["sessions"].as_array().unwrap().is_empty());
    let ann_id = h.body["user_id"].as_str().unwrap();
    assert_eq!(
        app.get(
            &format!("/api/v1/exercises/{squat}/history?user_id={ann_id}"),
            &bob
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(
            &format!("/api/v1/exercises/{}/history", Uuid::new_v4()),
            &ann
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn workouts_are_private_and_follow_the_family_matrix() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let (_, cat) = app.user("cat@example.com").await;
    let row = catalog_id(&app, "Rowing machine, moderate").await;
    let w = log(
        &app,
        &ann,
        json!({"exercise_id": row, "date": "2026-07-01", "duration_minutes": 20, "sets": [{"reps": 1}]}),
    )
    .await;
    let entry = format!("/api/v1/workouts/{}", w["id"].as_str().unwrap());
    let day = format!("/api/v1/workouts/2026-07-01?user_id={ann_id}");
    let range = format!("/api/v1/workouts?from=2026-07-01&to=2026-07-31&user_id={ann_id}");
    let as_ann = format!("/api/v1/workouts?user_id={ann_id}");
    let body = json!({"exercise_id": row, "date": "2026-07-01", "duration_minutes": 15});

    // No grant: 404 everywhere; Bob's own day is empty.
    assert_eq!(app.get(&day, &bob).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&range, &bob).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.post(&as_ann, &bob, body.clone()).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.put(&entry, &bob, json!({"duration_minutes": 1}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.delete(&entry, &bob).await.status, StatusCode::NOT_FOUND);
    assert!(
        app.get("/api/v1/workouts/2026-07-01", &bob).await.body["entries"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // reports: reads, cannot write.
    app.post(
        "/api/v1/family-access",
        &bob,
        json!({"grantee_email": "cat@example.com", "access_type": "reports"}),
    )
    .await;
    app.post(
        "/api/v1/family-access",
        &ann,
        json!({"grantee_email": "bob@example.com", "access_type": "reports"}),
    )
    .await;
    let seen = app.get(&day, &bob).await;
    assert_eq!(seen.status, StatusCode::OK, "{:?}", seen.body);
    assert_eq!(seen.body["entries"][0]["sets"][0]["reps"], 1);
    assert_eq!(
        app.get(&range, &bob).await.body["entries"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let write = app.post(&as_ann, &bob, body.clone()).await;
    assert!(
        matches!(write.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{:?}",
        write.body
    );
    assert_eq!(
        app.put(&entry, &bob, json!({"duration_minutes": 1}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.delete(&entry, &bob).await.status, StatusCode::FORBIDDEN);
    // Cat has a grant from Bob, not from Ann.
    assert_eq!(app.get(&day, &cat).await.status, StatusCode::NOT_FOUND);

    // calorie: logs, edits and deletes for Ann.
    app.post(
        "/api/v1/family-access",
        &ann,
        json!({"grantee_email": "bob@example.com", "access_type": "calorie"}),
    )
    .await;
    let write = app
        .post(
            &as_ann,
            &bob,
            json!({"exercise_id": row, "date": "2026-07-01", "duration_minutes": 15,
                   "sets": [{"reps": 10, "weight": 20}, {"reps": 10, "weight": 22}]}),
        )
        .await;
    assert_eq!(write.status, StatusCode::CREATED, "{:?}", write.body);
    assert_eq!(write.body["user_id"], ann_id);
    assert_eq!(write.body["sets"].as_array().unwrap().len(), 2);
    let ann_day = app.get("/api/v1/workouts/2026-07-01", &ann).await;
    assert_eq!(ann_day.body["entries"].as_array().unwrap().len(), 2);
    assert_eq!(ann_day.body["entries"][1]["sets"][1]["weight"], 22.0);
    let up = app.put(&entry, &bob, json!({"duration_minutes": 25})).await;
    assert_eq!(up.status, StatusCode::OK, "{:?}", up.body);
    assert_eq!(up.body["duration_minutes"], 25);
    let bobs = format!("/api/v1/workouts/{}", write.body["id"].as_str().unwrap());
    assert_eq!(app.delete(&bobs, &bob).await.status, StatusCode::NO_CONTENT);

    // The app role without a user sees no entries and no sets.
    let database = app.db.database().await;
    let mut tx = database.anonymous().await.unwrap();
    let n: i64 = tx
        .query_one(
            "SELECT (SELECT count(*) FROM exercise_diary) + (SELECT count(*) FROM exercise_sets)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
    // Another user as such sees none of Ann's sets either.
    let mut tx = database
        .as_user(Uuid::parse_str(cat_id(&app).await.as_str()).unwrap())
        .await
        .unwrap();
    let n: i64 = tx
        .query_one("SELECT count(*) FROM exercise_sets", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}

async fn cat_id(app: &TestApp) -> String {
    let owner = app.db.owner_client().await;
    owner
        .query_one(
            "SELECT id::text FROM users WHERE email = 'cat@example.com'",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}
