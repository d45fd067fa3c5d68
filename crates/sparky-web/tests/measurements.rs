//! Measurements, measurement types and the weight trend, black-box over HTTP against a real
//! database.

mod common;

use common::{As, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn set_prefs(app: &TestApp, who: &As, prefs: Value) {
    let r = app.put("/api/v1/preferences", who, prefs).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

async fn log(app: &TestApp, who: &As, body: Value) -> Value {
    let r = app.post("/api/v1/measurements", who, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body
}

fn field_error(r: &common::Response, field: &str) {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(
        r.body["error"]["fields"][field].is_string(),
        "expected a problem with {field}: {:?}",
        r.body
    );
}

#[tokio::test]
async fn imperial_user_logs_90_lb_and_reads_90_lb() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    set_prefs(&app, &ann, json!({"units_system": "imperial"})).await;
    let m = log(
        &app,
        &ann,
        json!({"type": "weight", "value": 90, "unit": "lb", "measured_at": "2026-06-01T07:00:00Z"}),
    )
    .await;
    assert_eq!(m["value"], 90.0);
    assert_eq!(m["unit"], "lb");
    // 90 × 0.45359237 = 40.8233133 kg exactly; the column keeps 6 places.
    assert_eq!(m["canonical_value"], 40.823313);
    assert_eq!(m["canonical_unit"], "kg");
    assert_eq!(m["type"], "weight");
    assert_eq!(m["date"], "2026-06-01");

    // Read back through the listing and the database.
    let list = app.get("/api/v1/measurements?type=weight", &ann).await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    assert_eq!(list.body["items"][0]["value"], 90.0);
    assert_eq!(list.body["items"][0]["unit"], "lb");
    let owner = app.db.owner_client().await;
    let stored: String = owner
        .query_one("SELECT value::text FROM measurements", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, "40.823313");

    // Without a unit, the value is in the user's display unit (lb here).
    let m = log(&app, &ann, json!({"type": "waist", "value": 32})).await;
    assert_eq!(
        (m["value"].clone(), m["unit"].clone()),
        (json!(32.0), json!("in"))
    );
    assert_eq!(m["canonical_value"], 81.28);
    assert_eq!(m["canonical_unit"], "cm");

    // Water in fl oz, body fat in %.
    let m = log(
        &app,
        &ann,
        json!({"type": "water", "value": 500, "unit": "ml"}),
    )
    .await;
    assert_eq!(
        (m["value"].clone(), m["unit"].clone()),
        (json!(16.91), json!("fl oz"))
    );
    let m = log(
        &app,
        &ann,
        json!({"type": "body_fat", "value": 18.5, "unit": "%"}),
    )
    .await;
    assert_eq!(
        (m["value"].clone(), m["unit"].clone()),
        (json!(18.5), json!("%"))
    );

    // Switching to metric shows the same stored weight in kg.
    set_prefs(&app, &ann, json!({"units_system": "metric"})).await;
    let list = app.get("/api/v1/measurements?type=weight", &ann).await;
    assert_eq!(list.body["items"][0]["value"], 40.82);
    assert_eq!(list.body["items"][0]["unit"], "kg");
}

#[tokio::test]
async fn metric_user_sees_kg_and_validation_is_per_field() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let m = log(
        &app,
        &ann,
        json!({"type": "weight", "value": 70.5, "unit": "kg", "date": "2026-06-01"}),
    )
    .await;
    assert_eq!(
        (m["value"].clone(), m["unit"].clone()),
        (json!(70.5), json!("kg"))
    );
    assert_eq!(m["date"], "2026-06-01");
    let m = log(
        &app,
        &ann,
        json!({"type": "weight", "value": 160, "unit": "lb"}),
    )
    .await;
    assert_eq!(
        (m["value"].clone(), m["unit"].clone()),
        (json!(72.57), json!("kg"))
    );
    let m = log(
        &app,
        &ann,
        json!({"type": "height", "value": 6, "unit": "ft"}),
    )
    .await;
    assert_eq!(
        (m["value"].clone(), m["unit"].clone()),
        (json!(182.88), json!("cm"))
    );
    let m = log(
        &app,
        &ann,
        json!({"type": "steps", "value": 10000, "unit": "count"}),
    )
    .await;
    assert_eq!(m["value"], 10000.0);
    let half = app
        .post(
            "/api/v1/measurements",
            &ann,
            json!({"type": "steps", "value": 1234.5}),
        )
        .await;
    assert_eq!(half.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        half.body["error"]["fields"]["value"],
        "steps are a whole number"
    );
    let m = log(
        &app,
        &ann,
        json!({"type": "resting_heart_rate", "value": 58, "note": " after coffee "}),
    )
    .await;
    assert_eq!(
        (m["value"].clone(), m["unit"].clone()),
        (json!(58.0), json!("bpm"))
    );
    assert_eq!(m["note"], "after coffee");

    for (body, field) in [
        (
            json!({"type": "wingspan", "value": 180, "unit": "cm"}),
            "type",
        ),
        (json!({"type": "weight", "value": 70, "unit": "cm"}), "unit"),
        (
            json!({"type": "weight", "value": 70, "unit": "stone"}),
            "unit",
        ),
        (
            json!({"type": "body_fat", "value": 20, "unit": "kg"}),
            "unit",
        ),
        (
            json!({"type": "weight", "value": -70, "unit": "kg"}),
            "value",
        ),
        (json!({"type": "weight", "value": 0, "unit": "kg"}), "value"),
        (
            json!({"type": "weight", "value": 5000, "unit": "kg"}),
            "value",
        ),
        (json!({"type": "body_fat", "value": 120}), "value"),
        (
            json!({"type": "resting_heart_rate", "value": 1000}),
            "value",
        ),
        (
            json!({"type": "weight", "value": 70, "date": "2026-02-30"}),
            "date",
        ),
        (
            json!({"type": "weight", "value": 70, "measured_at": "yesterday"}),
            "measured_at",
        ),
        (
            json!({"type": "weight", "value": 70, "note": "x".repeat(2001)}),
            "note",
        ),
    ] {
        let r = app.post("/api/v1/measurements", &ann, body.clone()).await;
        field_error(&r, field);
    }
    for (query, field) in [
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2026-06-02&to=2026-06-01", "to"),
        ("type=wingspan", "type"),
        ("limit=0", "limit"),
        ("cursor=bm9wZQ", "cursor"),
    ] {
        let r = app
            .get(&format!("/api/v1/measurements?{query}"), &ann)
            .await;
        field_error(&r, field);
    }
    // Zero steps and zero water are real readings.
    log(&app, &ann, json!({"type": "steps", "value": 0})).await;
    // Nothing invalid was stored.
    let all = app.get("/api/v1/measurements", &ann).await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 6);
}

#[tokio::test]
async fn correct_and_clear_a_measurement() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    set_prefs(&app, &ann, json!({"units_system": "imperial"})).await;
    let m = log(
        &app,
        &ann,
        json!({"type": "weight", "value": 190, "unit": "lb", "date": "2026-06-01", "note": "typo"}),
    )
    .await;
    let id = m["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/measurements/{id}");

    // Correct the value (in the display unit by default) and clear the note.
    let put = app
        .put(&path, &ann, json!({"value": 180, "note": ""}))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    assert_eq!(put.body["value"], 180.0);
    assert_eq!(put.body["note"], Value::Null);
    // The correction sticks: read it back.
    let list = app.get("/api/v1/measurements?type=weight", &ann).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(list.body["items"][0]["value"], 180.0);
    assert_eq!(list.body["items"][0]["canonical_value"], 81.646627);
    assert_eq!(list.body["items"][0]["date"], "2026-06-01");
    // In another unit, and moved to another day.
    let put = app
        .put(
            &path,
            &ann,
            json!({"value": 81, "unit": "kg", "date": "2026-06-02"}),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    assert_eq!(put.body["canonical_value"], 81.0);
    assert_eq!(put.body["value"], 178.57);
    assert_eq!(put.body["date"], "2026-06-02");
    assert!(put.body["measured_at"]
        .as_str()
        .unwrap()
        .starts_with("2026-06-02"));
    // Bad corrections are refused and change nothing.
    field_error(&app.put(&path, &ann, json!({"value": -1})).await, "value");
    field_error(
        &app.put(&path, &ann, json!({"value": 80, "unit": "cm"}))
            .await,
        "unit",
    );
    field_error(&app.put(&path, &ann, json!({"unit": "kg"})).await, "unit");
    assert_eq!(
        app.get("/api/v1/measurements/latest", &ann).await.body["items"][0]["canonical_value"],
        81.0
    );

    // Clear it.
    assert_eq!(app.delete(&path, &ann).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.delete(&path, &ann).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.put(&path, &ann, json!({"value": 1})).await.status,
        StatusCode::NOT_FOUND
    );
    let list = app.get("/api/v1/measurements?type=weight", &ann).await;
    assert!(list.body["items"].as_array().unwrap().is_empty());
    assert_eq!(
        app.put("/api/v1/measurements/not-a-uuid", &ann, json!({"value": 1}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn latest_per_type_and_listing_filters_and_pages() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    for (kind, value, at) in [
        ("weight", 80.0, "2026-06-01T07:00:00Z"),
        ("weight", 79.5, "2026-06-03T07:00:00Z"),
        ("weight", 79.8, "2026-06-02T07:00:00Z"),
        ("waist", 90.0, "2026-06-01T07:00:00Z"),
        ("waist", 89.0, "2026-05-01T07:00:00Z"),
        ("body_fat", 21.0, "2026-06-02T07:00:00Z"),
        // A typo's year: not the latest weight, for this list, goals and estimates alike.
        ("weight", 97.0, "2199-06-01T07:00:00Z"),
    ] {
        log(
            &app,
            &ann,
            json!({"type": kind, "value": value, "measured_at": at}),
        )
        .await;
    }
    let latest = app.get("/api/v1/measurements/latest", &ann).await;
    assert_eq!(latest.status, StatusCode::OK, "{:?}", latest.body);
    let items = latest.body["items"].as_array().unwrap();
    let got: Vec<(String, f64)> = items
        .iter()
        .map(|m| {
            (
                m["type"].as_str().unwrap().to_string(),
                m["value"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("body_fat".to_string(), 21.0),
            ("waist".to_string(), 90.0),
            ("weight".to_string(), 79.5)
        ]
    );
    let goal = app
        .post(
            "/api/v1/goals",
            &ann,
            json!({"type": "weight_loss", "target_value": 75, "target_unit": "kg"}),
        )
        .await;
    assert_eq!(goal.status, StatusCode::CREATED, "{:?}", goal.body);
    assert_eq!(goal.body["current_value"], 79.5, "{:?}", goal.body);

    // Range filter on the local day, newest first.
    let r = app
        .get(
            "/api/v1/measurements?type=weight&from=2026-06-02&to=2026-06-03",
            &ann,
        )
        .await;
    let values: Vec<f64> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_f64().unwrap())
        .collect();
    assert_eq!(values, vec![79.5, 79.8]);
    assert_eq!(r.body["next_cursor"], Value::Null);
    // Other types carry no trend.
    let r = app.get("/api/v1/measurements?type=waist", &ann).await;
    assert_eq!(r.body["trend"], Value::Null);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2);

    // Pages of 2 walk all 7 exactly once.
    let mut seen = Vec::new();
    let mut path = "/api/v1/measurements?limit=2".to_string();
    loop {
        let page = app.get(&path, &ann).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        for m in page.body["items"].as_array().unwrap() {
            seen.push(m["measured_at"].as_str().unwrap().to_string() + m["id"].as_str().unwrap());
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/measurements?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(seen, sorted, "newest first, no repeats");
    sorted.dedup();
    assert_eq!(sorted.len(), 7);
}

#[tokio::test]
async fn weight_listing_returns_a_smooth_trend() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    // Constant weights: the trend equals them.
    for day in 1..=5 {
        log(
            &app,
            &ann,
            json!({"type": "weight", "value": 80, "date": format!("2026-06-0{day}")}),
        )
        .await;
    }
    let r = app.get("/api/v1/measurements?type=weight", &ann).await;
    assert_eq!(r.body["trend_unit"], "kg");
    let trend = r.body["trend"].as_array().unwrap();
    assert_eq!(trend.len(), 5);
    assert_eq!(trend[0]["date"], "2026-06-01");
    assert!(trend.iter().all(|p| p["value"] == 80.0), "{trend:?}");

    // A spike moves the trend a tenth of the way; two readings on a day count as their mean.
    log(
        &app,
        &ann,
        json!({"type": "weight", "value": 82, "date": "2026-06-06"}),
    )
    .await;
    log(
        &app,
        &ann,
        json!({"type": "weight", "value": 84, "date": "2026-06-06"}),
    )
    .await;
    log(
        &app,
        &ann,
        json!({"type": "weight", "value": 80, "date": "2026-06-07"}),
    )
    .await;
    let r = app
        .get("/api/v1/measurements?type=weight&from=2026-06-05", &ann)
        .await;
    let trend: Vec<(String, f64)> = r.body["trend"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["date"].as_str().unwrap().to_string(),
                p["value"].as_f64().unwrap(),
            )
        })
        .collect();
    // 80 → 80 + 0.1·(83 − 80) = 80.3 → 80.3 + 0.1·(80 − 80.3) = 80.27; the days before
    // `from` still feed the trend (it does not restart at 80 on the 5th by accident).
    assert_eq!(
        trend,
        vec![
            ("2026-06-05".to_string(), 80.0),
            ("2026-06-06".to_string(), 80.3),
            ("2026-06-07".to_string(), 80.27)
        ]
    );
    let raw = r.body["items"].as_array().unwrap().len();
    assert_eq!(raw, 4, "raw weights are returned alongside the trend");

    // Imperial users get the trend in lb.
    set_prefs(&app, &ann, json!({"units_system": "imperial"})).await;
    let r = app
        .get("/api/v1/measurements?type=weight&from=2026-06-07", &ann)
        .await;
    assert_eq!(r.body["trend_unit"], "lb");
    assert_eq!(r.body["trend"][0]["value"], 176.97);
}

#[tokio::test]
async fn custom_types_are_created_used_and_private() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;

    let types = app.get("/api/v1/measurement-types", &ann).await;
    assert_eq!(types.status, StatusCode::OK);
    let names: Vec<&str> = types
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for n in [
        "weight",
        "body_fat",
        "muscle_mass",
        "waist",
        "hips",
        "neck",
        "chest",
        "height",
        "resting_heart_rate",
        "steps",
        "water",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    assert_eq!(names.len(), 11);

    let r = app
        .post(
            "/api/v1/measurement-types",
            &ann,
            json!({"name": "bicep_left", "unit": "in"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["unit"], "cm");
    assert_eq!(r.body["dimension"], "length");
    assert_eq!(r.body["built_in"], false);
    assert_eq!(r.body["user_id"], ann_id);
    let r = app
        .post(
            "/api/v1/measurement-types",
            &ann,
            json!({"name": "grip_strength", "dimension": "mass"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["unit"], "kg");

    for (body, status, field) in [
        (
            json!({"name": "Bicep Right", "unit": "cm"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("name"),
        ),
        (
            json!({"name": "x", "dimension": "colour"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("dimension"),
        ),
        (
            json!({"name": "x", "dimension": "mass", "unit": "cm"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("unit"),
        ),
        (
            json!({"name": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("dimension"),
        ),
        (
            json!({"name": "bicep_left", "unit": "cm"}),
            StatusCode::CONFLICT,
            None,
        ),
        (
            json!({"name": "weight", "unit": "kg"}),
            StatusCode::CONFLICT,
            None,
        ),
    ] {
        let r = app
            .post("/api/v1/measurement-types", &ann, body.clone())
            .await;
        assert_eq!(r.status, status, "{body}: {:?}", r.body);
        if let Some(f) = field {
            field_error(&r, f);
        }
    }

    let m = log(
        &app,
        &ann,
        json!({"type": "bicep_left", "value": 14, "unit": "in"}),
    )
    .await;
    assert_eq!(
        (m["value"].clone(), m["unit"].clone()),
        (json!(35.56), json!("cm"))
    );
    field_error(
        &app.post(
            "/api/v1/measurements",
            &ann,
            json!({"type": "bicep_left", "value": 14, "unit": "kg"}),
        )
        .await,
        "unit",
    );
    let latest = app.get("/api/v1/measurements/latest", &ann).await;
    assert_eq!(latest.body["items"][0]["type"], "bicep_left");

    // Bob neither sees nor uses Ann's type; he may make his own of the same name.
    let bob_types = app.get("/api/v1/measurement-types", &bob).await;
    assert_eq!(bob_types.body.as_array().unwrap().len(), 11);
    field_error(
        &app.post(
            "/api/v1/measurements",
            &bob,
            json!({"type": "bicep_left", "value": 30, "unit": "cm"}),
        )
        .await,
        "type",
    );
    let r = app
        .post(
            "/api/v1/measurement-types",
            &bob,
            json!({"name": "bicep_left", "dimension": "length"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    log(
        &app,
        &bob,
        json!({"type": "bicep_left", "value": 30, "unit": "cm"}),
    )
    .await;
    assert_eq!(
        app.get("/api/v1/measurement-types", &bob)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        12
    );
    assert_eq!(
        app.get("/api/v1/measurement-types", &ann)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        13
    );
    // Asking for Ann's types without a grant is a 404, as for her measurements; with a grant
    // that does not cover measurements, only the built-ins.
    let path = format!("/api/v1/measurement-types?user_id={ann_id}");
    assert_eq!(app.get(&path, &bob).await.status, StatusCode::NOT_FOUND);
    let r = app
        .post(
            "/api/v1/family-access",
            &ann,
            json!({"grantee_email": "bob@example.com", "access_type": "food_list"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = app.get(&path, &bob).await;
    assert_eq!(r.body.as_array().unwrap().len(), 11, "{:?}", r.body);
}

#[tokio::test]
async fn other_users_measurements_are_invisible() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let m = log(&app, &ann, json!({"type": "weight", "value": 70})).await;
    let path = format!("/api/v1/measurements/{}", m["id"].as_str().unwrap());
    assert_eq!(
        app.put(&path, &bob, json!({"value": 1})).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.delete(&path, &bob).await.status, StatusCode::NOT_FOUND);
    assert!(app.get("/api/v1/measurements", &bob).await.body["items"]
        .as_array()
        .unwrap()
        .is_empty());
    assert!(
        app.get("/api/v1/measurements/latest", &bob).await.body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    for p in [
        format!("/api/v1/measurements?user_id={ann_id}"),
        format!("/api/v1/measurements?type=weight&user_id={ann_id}"),
        format!("/api/v1/measurements/latest?user_id={ann_id}"),
    ] {
        assert_eq!(app.get(&p, &bob).await.status, StatusCode::NOT_FOUND, "{p}");
    }
    let w = app
        .post(
            &format!("/api/v1/measurements?user_id={ann_id}"),
            &bob,
            json!({"type": "weight", "value": 70}),
        )
        .await;
    assert!(
        matches!(w.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{:?}",
        w.body
    );
    assert_eq!(
        app.get("/api/v1/measurements", &ann).await.body["items"][0]["value"],
        70.0
    );
    assert_eq!(
        app.get("/api/v1/measurements", &As::Nobody).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn family_checkin_writes_reports_reads() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (bob_id, bob) = app.user("bob@example.com").await;
    let (_, cat) = app.user("cat@example.com").await;
    set_prefs(&app, &ann, json!({"units_system": "imperial"})).await;
    let r = app
        .post(
            "/api/v1/measurement-types",
            &ann,
            json!({"name": "calf", "dimension": "length"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let own = log(
        &app,
        &ann,
        json!({"type": "weight", "value": 150, "unit": "lb", "date": "2026-06-01"}),
    )
    .await;
    let own_path = format!("/api/v1/measurements/{}", own["id"].as_str().unwrap());
    let for_ann = format!("/api/v1/measurements?user_id={ann_id}");
    let grant = |email: &str, access: &str| json!({"grantee_email": email, "access_type": access});

    // checkin: Bob logs, corrects and clears Ann's measurements, in Ann's units.
    let g = app
        .post(
            "/api/v1/family-access",
            &ann,
            grant("bob@example.com", "checkin"),
        )
        .await;
    assert_eq!(g.status, StatusCode::CREATED, "{:?}", g.body);
    let w = app
        .post(
            &for_ann,
            &bob,
            json!({"type": "weight", "value": 149, "date": "2026-06-02"}),
        )
        .await;
    assert_eq!(w.status, StatusCode::CREATED, "{:?}", w.body);
    assert_eq!(w.body["user_id"], ann_id);
    assert_eq!(
        (w.body["value"].clone(), w.body["unit"].clone()),
        (json!(149.0), json!("lb"))
    );
    let bobs = format!("/api/v1/measurements/{}", w.body["id"].as_str().unwrap());
    // ... with Ann's custom type too.
    let w2 = app
        .post(&for_ann, &bob, json!({"type": "calf", "value": 15}))
        .await;
    assert_eq!(w2.status, StatusCode::CREATED, "{:?}", w2.body);
    assert_eq!(
        app.get(&format!("/api/v1/measurement-types?user_id={ann_id}"), &bob)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        12
    );
    assert_eq!(
        app.put(&bobs, &bob, json!({"value": 148})).await.status,
        StatusCode::OK
    );
    let list = app.get(&format!("{for_ann}&type=weight"), &bob).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["items"][0]["value"], 148.0);
    assert_eq!(list.body["trend"].as_array().unwrap().len(), 2);
    let latest = app
        .get(
            &format!("/api/v1/measurements/latest?user_id={ann_id}"),
            &bob,
        )
        .await;
    assert_eq!(latest.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.delete(
            &format!("/api/v1/measurements/{}", w2.body["id"].as_str().unwrap()),
            &bob
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    // Bob's own measurements stay his.
    assert!(app.get("/api/v1/measurements", &bob).await.body["items"]
        .as_array()
        .unwrap()
        .is_empty());

    // reports: Cat reads but cannot write, correct or clear.
    assert_eq!(
        app.get(&for_ann, &cat).await.status,
        StatusCode::NOT_FOUND,
        "no grant yet"
    );
    let w = app
        .post(&for_ann, &cat, json!({"type": "weight", "value": 70}))
        .await;
    assert!(
        matches!(w.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{:?}",
        w.body
    );
    app.post(
        "/api/v1/family-access",
        &ann,
        grant("cat@example.com", "reports"),
    )
    .await;
    let seen = app.get(&format!("{for_ann}&type=weight"), &cat).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert_eq!(seen.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(seen.body["items"][1]["unit"], "lb");
    let w = app
        .post(&for_ann, &cat, json!({"type": "weight", "value": 70}))
        .await;
    assert!(
        matches!(w.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{:?}",
        w.body
    );
    assert_eq!(
        app.put(&own_path, &cat, json!({"value": 70})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(&own_path, &cat).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app.get("/api/v1/measurements?type=weight", &ann).await;
    let values: Vec<f64> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_f64().unwrap())
        .collect();
    assert_eq!(values, vec![148.0, 150.0]);

    // A grant of another type (calorie) does not open measurements.
    let (_, dan) = app.user("dan@example.com").await;
    app.post(
        "/api/v1/family-access",
        &ann,
        grant("dan@example.com", "calorie"),
    )
    .await;
    assert_eq!(app.get(&for_ann, &dan).await.status, StatusCode::NOT_FOUND);
    let w = app
        .post(&for_ann, &dan, json!({"type": "weight", "value": 70}))
        .await;
    assert!(
        matches!(w.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{:?}",
        w.body
    );

    // Revoking closes it at once.
    let grants = app.get("/api/v1/family-access", &ann).await;
    let bob_grant = grants.body["given"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["grantee"]["id"] == bob_id.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.delete(&format!("/api/v1/family-access/{bob_grant}"), &ann)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.get(&for_ann, &bob).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.put(&bobs, &bob, json!({"value": 1})).await.status,
        StatusCode::NOT_FOUND
    );
}

/// The day of a measurement is the owner's local day.
#[tokio::test]
async fn entry_date_is_the_owners_local_day() {
    let app = TestApp::spawn().await;
    let (nz_id, nz) = app.user("nz@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    set_prefs(&app, &nz, json!({"timezone": "Pacific/Auckland"})).await;
    // UTC+13 in November: 11:30 UTC is 00:30 the next day.
    let m = log(
        &app,
        &nz,
        json!({"type": "weight", "value": 70, "measured_at": "2026-11-24T11:30:00Z"}),
    )
    .await;
    assert_eq!(m["date"], "2026-11-25");
    let m = log(
        &app,
        &nz,
        json!({"type": "weight", "value": 70, "measured_at": "2026-11-24T10:30:00Z"}),
    )
    .await;
    assert_eq!(m["date"], "2026-11-24");
    let r = app
        .get("/api/v1/measurements?from=2026-11-25&to=2026-11-25", &nz)
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    // A family member logging from UTC lands on the owner's day too.
    app.post(
        "/api/v1/family-access",
        &nz,
        json!({"grantee_email": "bob@example.com", "access_type": "checkin"}),
    )
    .await;
    let w = app
        .post(
            &format!("/api/v1/measurements?user_id={nz_id}"),
            &bob,
            json!({"type": "waist", "value": 80, "measured_at": "2026-11-24T12:00:00Z"}),
        )
        .await;
    assert_eq!(w.status, StatusCode::CREATED, "{:?}", w.body);
    assert_eq!(w.body["date"], "2026-11-25");
    // Moving measured_at without a date moves the day with it.
    let path = format!("/api/v1/measurements/{}", m["id"].as_str().unwrap());
    let put = app
        .put(&path, &nz, json!({"measured_at": "2026-11-25T12:00:00Z"}))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    assert_eq!(put.body["date"], "2026-11-26");
    // A seed-style insert without entry_date gets the local day from the trigger.
    let owner = app.db.owner_client().await;
    let day: chrono::NaiveDate = owner
        .query_one(
            "INSERT INTO measurements (user_id, type, value, unit, measured_at)
             VALUES ($1::text::uuid, 'weight', 70, 'kg', '2026-11-24T11:30:00Z') RETURNING entry_date",
            &[&nz_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(day.to_string(), "2026-11-25");
}

#[tokio::test]
async fn one_measurement_by_id_in_its_owners_units() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    set_prefs(&app, &ann, json!({"units_system": "imperial"})).await;
    let m = log(
        &app,
        &ann,
        json!({"type": "weight", "value": 150, "unit": "lb", "date": "2026-06-01"}),
    )
    .await;
    let path = format!("/api/v1/measurements/{}", m["id"].as_str().unwrap());
    let one = app.get(&path, &ann).await;
    assert_eq!(one.status, StatusCode::OK, "{:?}", one.body);
    assert_eq!(one.body, m, "the same as when it was logged");
    // Someone it is not shared with: as if it did not exist; with a grant, in Ann's units.
    assert_eq!(app.get(&path, &bob).await.status, StatusCode::NOT_FOUND);
    app.post(
        "/api/v1/family-access",
        &ann,
        json!({"grantee_email": "bob@example.com", "access_type": "reports"}),
    )
    .await;
    let seen = app.get(&path, &bob).await;
    assert_eq!(seen.status, StatusCode::OK, "{:?}", seen.body);
    assert_eq!(
        (seen.body["value"].clone(), seen.body["unit"].clone()),
        (json!(150.0), json!("lb"))
    );
    assert_eq!(seen.body["user_id"], ann_id);
    // Gone once deleted; a path that is not an id names nothing.
    assert_eq!(app.delete(&path, &ann).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path, &ann).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/v1/measurements/not-a-uuid", &ann)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn types_and_units_in_any_letter_case() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let m = log(
        &app,
        &ann,
        json!({"type": "Weight", "value": 160, "unit": "LB"}),
    )
    .await;
    assert_eq!(m["type"], "weight");
    assert_eq!(m["canonical_value"], 72.574779);
    let m = log(
        &app,
        &ann,
        json!({"type": " BODY_FAT ", "value": 20, "unit": "Percent"}),
    )
    .await;
    assert_eq!(m["type"], "body_fat");
    let m = log(
        &app,
        &ann,
        json!({"type": "water", "value": 16, "unit": "Fl Oz"}),
    )
    .await;
    assert_eq!(
        (m["unit"].clone(), m["value"].clone()),
        (json!("ml"), json!(473.18))
    );
    // Custom types: stored in lower case, found in any case; dimensions in any case.
    let r = app
        .post(
            "/api/v1/measurement-types",
            &ann,
            json!({"name": "Bicep_Left", "dimension": "LENGTH"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["name"], "bicep_left");
    assert_eq!(r.body["dimension"], "length");
    let again = app
        .post(
            "/api/v1/measurement-types",
            &ann,
            json!({"name": "BICEP_LEFT", "dimension": "length"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{:?}", again.body);
    log(&app, &ann, json!({"type": "BICEP_left", "value": 35})).await;
    let list = app.get("/api/v1/measurements?type=WEIGHT", &ann).await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(list.body["trend"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn dates_outside_1900_to_2199_are_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let m = log(&app, &ann, json!({"type": "weight", "value": 70})).await;
    let path = format!("/api/v1/measurements/{}", m["id"].as_str().unwrap());
    for (body, field) in [
        (
            json!({"type": "weight", "value": 200, "date": "9999-12-31"}),
            "date",
        ),
        (
            json!({"type": "weight", "value": 200, "date": "1899-12-31"}),
            "date",
        ),
        (
            json!({"type": "weight", "value": 200, "measured_at": "9999-12-31T23:00:00Z"}),
            "measured_at",
        ),
        (
            json!({"type": "weight", "value": 200, "measured_at": "2199-12-31T23:00:00-12:00"}),
            "measured_at",
        ),
    ] {
        field_error(
            &app.post("/api/v1/measurements", &ann, body.clone()).await,
            field,
        );
    }
    field_error(
        &app.put(&path, &ann, json!({"date": "9999-12-31"})).await,
        "date",
    );
    field_error(
        &app.put(&path, &ann, json!({"measured_at": "9999-12-31T00:00:00Z"}))
            .await,
        "measured_at",
    );
    // A time alone whose day in the diary's timezone (UTC here) is past the range: the
    // message says where it falls.
    let r = app
        .post(
            "/api/v1/measurements",
            &ann,
            json!({"type": "weight", "value": 80, "measured_at": "2200-01-01T05:00:00Z"}),
        )
        .await;
    assert!(
        r.body["error"]["fields"]["measured_at"]
            .as_str()
            .unwrap()
            .contains("is on 2200-01-01 in the diary's timezone"),
        "{:?}",
        r.body
    );
    field_error(
        &app.get("/api/v1/measurements?from=9999-12-31", &ann).await,
        "from",
    );
    field_error(
        &app.get("/api/v1/measurements?limit=501", &ann).await,
        "limit",
    );
    // The weight that counts is still the real one.
    let latest = app.get("/api/v1/measurements/latest", &ann).await;
    assert_eq!(latest.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(latest.body["items"][0]["value"], 70.0);
}

#[tokio::test]
async fn retried_logging_with_an_idempotency_key_logs_once() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let body = json!({"type": "weight", "value": 70.2, "date": "2026-06-01"});
    let first = app
        .post_with_key("/api/v1/measurements", &ann, "scale-1", body.clone())
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    let retry = app
        .post_with_key("/api/v1/measurements", &ann, "scale-1", body.clone())
        .await;
    assert_eq!(retry.status, StatusCode::CREATED);
    assert_eq!(retry.body, first.body, "the first answer, not a second row");
    // The same key for another reading is refused; a new key logs again.
    let other = app
        .post_with_key(
            "/api/v1/measurements",
            &ann,
            "scale-1",
            json!({"type": "weight", "value": 71}),
        )
        .await;
    field_error(&other, "Idempotency-Key");
    let second = app
        .post_with_key("/api/v1/measurements", &ann, "scale-2", body)
        .await;
    assert_eq!(second.status, StatusCode::CREATED);
    assert_ne!(second.body["id"], first.body["id"]);
    let list = app.get("/api/v1/measurements", &ann).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);
    // Custom types too.
    let t = json!({"name": "calf", "dimension": "length"});
    let a = app
        .post_with_key("/api/v1/measurement-types", &ann, "type-1", t.clone())
        .await;
    let b = app
        .post_with_key("/api/v1/measurement-types", &ann, "type-1", t)
        .await;
    assert_eq!(
        (a.status, b.status),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    assert_eq!(a.body["id"], b.body["id"]);
}

/// A value that is zero at the places shown (1e-7 kg, a 0.00001 kcal target, a weekday's
/// 0.00001) is refused like 0: it passed as "above 0", was stored as 0 and became the latest
/// weight, or a target with a progress of 1,000,000,000 %.
#[tokio::test]
async fn values_that_are_zero_as_shown_are_refused_like_zero() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    for body in [
        json!({"type": "weight", "value": 0.0000001, "unit": "kg"}),
        json!({"type": "waist", "value": 0.0000001, "unit": "cm"}),
    ] {
        let r = app.post("/api/v1/measurements", &ann, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            r.body
        );
    }
    for body in [
        json!({"type": "calorie_target", "target_value": 0.00001}),
        json!({"type": "water_target", "target_value": 0.0000001, "target_unit": "l"}),
        json!({"type": "calorie_target", "target_value": 2000, "by_weekday": {"saturday": 0.00001}}),
    ] {
        let r = app.post("/api/v1/goals", &ann, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            r.body
        );
    }
    let stored = app.get("/api/v1/measurements?type=weight", &ann).await;
    assert_eq!(stored.body["items"], json!([]), "{:?}", stored.body);
    assert_eq!(app.get("/api/v1/goals", &ann).await.body, json!([]));
    // A small real value is kept (weight has a plausible range; muscle mass from 1 kg).
    let r = app
        .post(
            "/api/v1/measurements",
            &ann,
            json!({"type": "muscle_mass", "value": 1.5, "unit": "kg"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

/// A refused reading says its limits in the unit it was typed in, and a body type's own range
/// before its dimension's bound: 1,500 lb is "between 4.4 and 1433 lb", a 500 in waist is not
/// told "at most 500 cm", a body fat of 150 gets the same range as one of 90.
#[tokio::test]
async fn limits_are_said_in_the_unit_typed() {
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
    for (kind, value, unit, said) in [
        (
            "weight",
            1500.0,
            Some("lb"),
            "must be between 4.5 and 1433 lb",
        ),
        ("weight", 1.0, None, "must be between 4.5 and 1433 lb"),
        ("waist", 500.0, None, "must be between 7.9 and 118.1 in"),
        ("neck", 50.0, Some("in"), "must be between 4 and 39.3 in"),
        ("weight", 1000.0, Some("kg"), "must be between 2 and 650 kg"),
        ("body_fat", 150.0, None, "must be between 2 and 80 %"),
        ("body_fat", 90.0, None, "must be between 2 and 80 %"),
        // Ten million steps or a barrel of water in one reading is a typo.
        (
            "steps",
            10_000_000.0,
            None,
            "must be between 0 and 300000 steps",
        ),
        (
            "water",
            1000.0,
            Some("fl oz"),
            "must be between 0 and 676.2 fl oz",
        ),
    ] {
        let mut body = json!({"type": kind, "value": value});
        if let Some(u) = unit {
            body["unit"] = json!(u);
        }
        let r = app.post("/api/v1/measurements", &ann, body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind} {value}: {:?}",
            r.body
        );
        assert_eq!(
            r.body["error"]["fields"]["value"], said,
            "{kind} {value}: {:?}",
            r.body
        );
    }
    let list = app.get("/api/v1/measurements", &ann).await;
    assert_eq!(list.body["items"], json!([]), "{:?}", list.body);
    // What a message names as allowed is allowed (2 kg is 4.409 lb, 100 cm is 39.37 in).
    for (kind, value) in [
        ("weight", 4.5),
        ("neck", 39.3),
        ("neck", 4.0),
        ("water", 676.2),
        ("steps", 300_000.0),
    ] {
        let r = app
            .post(
                "/api/v1/measurements",
                &ann,
                json!({"type": kind, "value": value}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{kind} {value}: {:?}",
            r.body
        );
    }
}
