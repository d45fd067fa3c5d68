//! Copying a day's workouts (`POST /api/v1/workouts/copy`) over HTTP against a real database:
//! sets, times and distances come along, typed calories stay and estimates are made for the
//! new day; retries with an Idempotency-Key copy once; family access decides whose days may be
//! read and written.

mod common;

use common::{As, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn created(app: &TestApp, who: &As, path: &str, body: Value) -> Value {
    let r = app.post(path, who, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {:?}", r.body);
    r.body
}

async fn exercise(app: &TestApp, who: &As, name: &str, met: i32) -> String {
    created(
        app,
        who,
        "/api/v1/exercises",
        json!({"name": name, "category": "strength", "met_value": met}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn day(app: &TestApp, who: &As, date: &str, user: Option<&str>) -> Vec<Value> {
    let path = match user {
        Some(u) => format!("/api/v1/workouts/{date}?user_id={u}"),
        None => format!("/api/v1/workouts/{date}"),
    };
    let r = app.get(&path, who).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["entries"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_days_workouts_are_copied_with_their_sets() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    created(
        &app,
        &ann,
        "/api/v1/measurements",
        json!({"type": "weight", "value": 70, "unit": "kg", "measured_at": "2026-06-01T08:00:00Z"}),
    )
    .await;
    let plank = exercise(&app, &ann, "Plank", 3).await;
    let press = exercise(&app, &ann, "Press", 5).await;
    let from = "2026-06-10";
    created(
        &app,
        &ann,
        "/api/v1/workouts",
        json!({"exercise_id": plank, "date": from, "sets": [
            {"duration_seconds": 60}, {"duration_seconds": 60}, {"duration_seconds": 60}]}),
    )
    .await;
    created(
        &app,
        &ann,
        "/api/v1/workouts",
        json!({"exercise_id": press, "date": from, "duration_minutes": 20, "calories_burned": 150,
               "notes": "felt strong", "sets": [{"reps": 8, "weight": 40, "unit": "kg"},
                                                {"reps": 6, "weight": 45, "unit": "kg"}]}),
    )
    .await;

    let r = app
        .post(
            "/api/v1/workouts/copy",
            &ann,
            json!({"from_date": from, "to_date": "2026-06-11"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["copied"], 2);
    // Both were logged at noon: ordered by name to pair them.
    let by_name = |mut v: Vec<Value>| {
        v.sort_by_key(|w| w["exercise_name"].as_str().unwrap_or_default().to_string());
        v
    };
    let copied = by_name(day(&app, &ann, "2026-06-11", None).await);
    let original = by_name(day(&app, &ann, from, None).await);
    assert_eq!(copied.len(), 2);
    for (c, o) in copied.iter().zip(&original) {
        assert_ne!(c["id"], o["id"]);
        assert_eq!(c["date"], "2026-06-11");
        for field in [
            "exercise_id",
            "exercise_name",
            "sets",
            "duration_seconds",
            "notes",
        ] {
            assert_eq!(c[field], o[field], "{field}");
        }
        assert_eq!(c["calories_burned"], o["calories_burned"], "{c}");
        assert_eq!(c["calories_source"], o["calories_source"], "{c}");
    }
    // The plank's estimate (3 MET × 70 kg × 3 min) and the press's typed 150 kcal.
    assert_eq!(copied[0]["exercise_name"], "Plank");
    assert_eq!(
        copied[0]["calories_burned"].as_f64(),
        Some(10.5),
        "{:?}",
        copied[0]
    );
    assert_eq!(copied[1]["calories_source"], "user");
    let summary = app.get("/api/v1/summary/2026-06-11", &ann).await;
    assert_eq!(
        summary.body["burned"].as_f64(),
        Some(160.5),
        "{:?}",
        summary.body
    );

    // Refusals change nothing; an empty day copies nothing.
    for (body, field) in [
        (json!({"from_date": from, "to_date": from}), "to_date"),
        (json!({"from_date": from}), "to_date"),
        (
            json!({"from_date": from, "to_date": "2026-06-12", "meal_type": "lunch"}),
            "meal_type",
        ),
        (
            json!({"from_date": "June", "to_date": "2026-06-12"}),
            "from_date",
        ),
    ] {
        let r = app.post("/api/v1/workouts/copy", &ann, body.clone()).await;
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
    let r = app
        .post(
            "/api/v1/workouts/copy",
            &ann,
            json!({"from_date": "2026-06-01", "to_date": "2026-06-12"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["copied"], 0);
    assert!(day(&app, &ann, "2026-06-12", None).await.is_empty());

    // A retry with the same key copies once.
    let body = json!({"from_date": from, "to_date": "2026-06-13"});
    for _ in 0..2 {
        let r = app
            .post_with_key("/api/v1/workouts/copy", &ann, "copy-13", body.clone())
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    assert_eq!(day(&app, &ann, "2026-06-13", None).await.len(), 2);

    // Bob: not shared is not found; read-only copies into his own diary, not into hers.
    let from_ann = json!({"from_date": from, "to_date": from, "from_user_id": ann_id});
    let r = app
        .post("/api/v1/workouts/copy", &bob, from_ann.clone())
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    let r = app
        .post(
            "/api/v1/family-access",
            &ann,
            json!({"grantee_email": "bob@example.com", "access_type": "reports"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = app.post("/api/v1/workouts/copy", &bob, from_ann).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let his = by_name(day(&app, &bob, from, None).await);
    assert_eq!(his.len(), 2);
    // Her own exercises stay hers: the copies keep the name, not the link.
    assert!(his.iter().all(|w| w["exercise_id"].is_null()), "{his:?}");
    assert_eq!(his[0]["exercise_name"], "Plank");
    assert_eq!(his[0]["sets"].as_array().unwrap().len(), 3);
    let r = app
        .post(
            &format!("/api/v1/workouts/copy?user_id={ann_id}"),
            &bob,
            json!({"from_date": from, "to_date": "2026-06-14"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert!(day(&app, &ann, "2026-06-14", None).await.is_empty());
    common::assert_day_totals_match_diary(&app).await;
}
