//! The exercise diary beyond the basics (see exercises.rs for those): calorie estimates that
//! follow the owner's weights into the summary, `today`, entries by id, letter case of
//! enumerations, bounds and paging, Idempotency-Key, and family access with two grants.

mod common;

use common::{assert_day_totals_match_diary, As, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

async fn created(app: &TestApp, who: &As, path: &str, body: Value) -> Value {
    let r = app.post(path, who, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {:?}", r.body);
    r.body
}

async fn eight_met(app: &TestApp, who: &As) -> String {
    let e = created(
        app,
        who,
        "/api/v1/exercises",
        json!({"name": "Eight MET thing", "category": "cardio", "met_value": 8}),
    )
    .await;
    e["id"].as_str().unwrap().to_string()
}

async fn catalog_id(app: &TestApp, name: &str) -> String {
    let owner = app.db.owner_client().await;
    owner
        .query_one(
            "SELECT id::text FROM exercises WHERE user_id IS NULL AND name = $1",
            &[&name],
        )
        .await
        .unwrap()
        .get(0)
}

async fn weigh(app: &TestApp, who: &As, user_id: Option<&str>, kg: f64, at: &str) -> String {
    let path = match user_id {
        Some(u) => format!("/api/v1/measurements?user_id={u}"),
        None => "/api/v1/measurements".to_string(),
    };
    let m = created(
        app,
        who,
        &path,
        json!({"type": "weight", "value": kg, "unit": "kg", "measured_at": at}),
    )
    .await;
    m["id"].as_str().unwrap().to_string()
}

async fn calories(app: &TestApp, who: &As, workout: &Value) -> Value {
    let r = app
        .get(
            &format!(
                "/api/v1/workouts/entries/{}",
                workout["id"].as_str().unwrap()
            ),
            who,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["calories_burned"].clone()
}

async fn burned(app: &TestApp, who: &As, date: &str) -> Value {
    let s = app.get(&format!("/api/v1/summary/{date}"), who).await;
    assert_eq!(s.status, StatusCode::OK, "{:?}", s.body);
    s.body["burned"].clone()
}

#[tokio::test]
async fn estimates_follow_the_weights_into_the_summary() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let id = eight_met(&app, &ann).await;
    let w = created(
        &app,
        &ann,
        "/api/v1/workouts",
        json!({"exercise_id": id, "date": "2026-06-10", "duration_minutes": 30}),
    )
    .await;
    let typed = created(
        &app,
        &ann,
        "/api/v1/workouts",
        json!({"exercise_id": id, "date": "2026-06-10", "duration_minutes": 30, "calories_burned": 100}),
    )
    .await;
    assert_eq!(w["calories_burned"], Value::Null);
    assert_eq!(burned(&app, &ann, "2026-06-10").await, 100.0);

    // A weight after the day does not count.
    weigh(&app, &ann, None, 60.0, "2026-06-12T08:00:00Z").await;
    assert_eq!(calories(&app, &ann, &w).await, Value::Null);
    // One before it does: 8 MET × 70 kg × 0.5 h; the summary follows.
    let early = weigh(&app, &ann, None, 70.0, "2026-06-05T08:00:00Z").await;
    assert_eq!(calories(&app, &ann, &w).await, 280.0);
    assert_eq!(burned(&app, &ann, "2026-06-10").await, 380.0);
    let entry = app
        .get(
            &format!("/api/v1/workouts/entries/{}", w["id"].as_str().unwrap()),
            &ann,
        )
        .await;
    assert_eq!(entry.body["calories_source"], "met");
    assert!(entry.body.get("hint").is_none());
    // Corrected: 80 kg → 320.
    let r = app
        .put(
            &format!("/api/v1/measurements/{early}"),
            &ann,
            json!({"value": 80}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(calories(&app, &ann, &w).await, 320.0);
    // That day's own weight is the latest on or before it: 90 kg → 360.
    let same_day = weigh(&app, &ann, None, 90.0, "2026-06-10T06:00:00Z").await;
    assert_eq!(calories(&app, &ann, &w).await, 360.0);
    assert_eq!(burned(&app, &ann, "2026-06-10").await, 460.0);
    // Deleted again: back to 80 kg; then no weight on or before the day: no estimate.
    let gone = app
        .delete(&format!("/api/v1/measurements/{same_day}"), &ann)
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert_eq!(calories(&app, &ann, &w).await, 320.0);
    app.delete(&format!("/api/v1/measurements/{early}"), &ann)
        .await;
    let entry = app
        .get(
            &format!("/api/v1/workouts/entries/{}", w["id"].as_str().unwrap()),
            &ann,
        )
        .await;
    assert_eq!(entry.body["calories_burned"], Value::Null);
    assert_eq!(entry.body["calories_source"], Value::Null);
    assert_eq!(entry.body["hint"], "add your weight to estimate calories");
    // The typed-in value never moved.
    assert_eq!(calories(&app, &ann, &typed).await, 100.0);
    assert_eq!(burned(&app, &ann, "2026-06-10").await, 100.0);
    assert!(assert_day_totals_match_diary(&app).await >= 0);
}

#[tokio::test]
async fn family_members_get_estimates_for_weights_they_cannot_read() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let (_, cat) = app.user("cat@example.com").await;
    for (email, access) in [
        ("bob@example.com", "calorie"),
        ("cat@example.com", "checkin"),
    ] {
        created(
            &app,
            &ann,
            "/api/v1/family-access",
            json!({"grantee_email": email, "access_type": access}),
        )
        .await;
    }
    let run = catalog_id(&app, "Running, 6 mph (10 min/mile, 9.7 km/h)").await;
    weigh(&app, &ann, None, 70.0, "2026-06-01T08:00:00Z").await;
    // Bob may not read Ann's weights...
    let m = app
        .get(&format!("/api/v1/measurements?user_id={ann_id}"), &bob)
        .await;
    assert_eq!(m.status, StatusCode::NOT_FOUND, "{:?}", m.body);
    // ...but what he logs for her is estimated with them: 9.8 MET × 70 kg × 1 h = 686.
    let w = created(
        &app,
        &bob,
        &format!("/api/v1/workouts?user_id={ann_id}"),
        json!({"exercise_id": run, "date": "2026-06-10", "duration_minutes": 60}),
    )
    .await;
    assert_eq!(w["calories_burned"], 686.0);
    assert_eq!(w["user_id"], ann_id);
    // Cat (checkin) logs a newer weight for Ann; Ann's workout follows: 9.8 × 80 = 784.
    weigh(&app, &cat, Some(&ann_id), 80.0, "2026-06-08T08:00:00Z").await;
    assert_eq!(calories(&app, &ann, &w).await, 784.0);
    assert_eq!(burned(&app, &ann, "2026-06-10").await, 784.0);
    assert!(assert_day_totals_match_diary(&app).await >= 0);
}

#[tokio::test]
async fn today_and_entries_by_id() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    // UTC+14: for ten hours of every UTC day, today there is tomorrow in UTC.
    let r = app
        .put(
            "/api/v1/preferences",
            &ann,
            json!({"timezone": "Pacific/Kiritimati"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let owner = app.db.owner_client().await;
    let today: String = owner
        .query_one(
            "SELECT ((now() AT TIME ZONE 'Pacific/Kiritimati')::date)::text",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let id = eight_met(&app, &ann).await;
    let w = created(
        &app,
        &ann,
        "/api/v1/workouts",
        json!({"exercise_id": id, "duration_minutes": 20}),
    )
    .await;
    assert_eq!(w["date"], today);
    for path in [
        "/api/v1/workouts/today".to_string(),
        "/api/v1/workouts/Today".to_string(),
        format!("/api/v1/workouts/today?user_id={ann_id}"),
    ] {
        let day = app.get(&path, &ann).await;
        assert_eq!(day.status, StatusCode::OK, "{path}: {:?}", day.body);
        assert_eq!(day.body["date"], today, "{path}");
        assert_eq!(day.body["entries"][0]["id"], w["id"], "{path}");
    }
    let range = app.get("/api/v1/workouts?from=today&to=TODAY", &ann).await;
    assert_eq!(range.status, StatusCode::OK, "{:?}", range.body);
    assert_eq!(range.body["from"], today);
    assert_eq!(range.body["entries"][0]["id"], w["id"]);
    let bad = app
        .get("/api/v1/workouts?from=yesterday&to=today", &ann)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body["error"]["fields"]["from"].is_string(),
        "{:?}",
        bad.body
    );
    // Bob's today is his own (no timezone: UTC), and empty.
    let bobs = app.get("/api/v1/workouts/today", &bob).await;
    assert_eq!(bobs.status, StatusCode::OK);
    assert!(bobs.body["entries"].as_array().unwrap().is_empty());
    // Ann's today for Bob, without a grant: 404.
    assert_eq!(
        app.get(&format!("/api/v1/workouts/today?user_id={ann_id}"), &bob)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // One entry by id: the same as logged; 404 for others and unknown ids; 422 for non-ids.
    let path = format!("/api/v1/workouts/entries/{}", w["id"].as_str().unwrap());
    let one = app.get(&path, &ann).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body, w);
    assert_eq!(app.get(&path, &bob).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(
            &format!("/api/v1/workouts/entries/{}", Uuid::new_v4()),
            &ann
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let not_id = app.get("/api/v1/workouts/entries/nonsense", &ann).await;
    assert_eq!(not_id.status, StatusCode::UNPROCESSABLE_ENTITY);
    created(
        &app,
        &ann,
        "/api/v1/family-access",
        json!({"grantee_email": "bob@example.com", "access_type": "reports"}),
    )
    .await;
    assert_eq!(app.get(&path, &bob).await.body, w);
}

#[tokio::test]
async fn enumerations_accept_any_letter_case() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let e = created(
        &app,
        &ann,
        "/api/v1/exercises",
        json!({"name": "Kayak", "category": "CARDIO", "met_value": 5}),
    )
    .await;
    assert_eq!(e["category"], "cardio");
    let page = app
        .get("/api/v1/exercises?category=Cardio&q=kayak", &ann)
        .await;
    assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
    assert_eq!(page.body["items"][0]["id"], e["id"]);
    let bad = app.get("/api/v1/exercises?category=juggling", &ann).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body["error"]["fields"]["category"].is_string(),
        "{:?}",
        bad.body
    );
    let w = created(
        &app,
        &ann,
        "/api/v1/workouts",
        json!({"exercise_id": e["id"], "date": "2026-05-01", "duration_minutes": 30,
               "distance": 1, "distance_unit": "MI", "sets": [{"reps": 1, "weight": 10, "unit": "LB"}]}),
    )
    .await;
    // Shown in Ann's (metric) units: 1 mi = 1.609344 km, 10 lb = 4.535924 kg.
    assert_eq!(w["distance"], 1.609344);
    assert_eq!(w["distance_unit"], "km");
    assert_eq!(w["sets"][0]["weight"], 4.535924);
    let up = app
        .put(
            &format!("/api/v1/workouts/{}", w["id"].as_str().unwrap()),
            &ann,
            json!({"distance": 2, "distance_unit": "Km"}),
        )
        .await;
    assert_eq!(up.status, StatusCode::OK, "{:?}", up.body);
    assert_eq!(up.body["distance"], 2.0);
    // A unit alone is refused on its field and changes nothing (it was silently ignored).
    let alone = app
        .put(
            &format!("/api/v1/workouts/{}", w["id"].as_str().unwrap()),
            &ann,
            json!({"distance_unit": "mi"}),
        )
        .await;
    assert_eq!(
        alone.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        alone.body
    );
    assert!(
        alone.body["error"]["fields"]["distance_unit"].is_string(),
        "{:?}",
        alone.body
    );
    let kept = app.get("/api/v1/workouts/2026-05-01", &ann).await;
    assert_eq!(kept.body["entries"][0]["distance"], 2.0, "{:?}", kept.body);
}

#[tokio::test]
async fn lists_and_days_are_bounded_and_paged() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let id = eight_met(&app, &ann).await;
    let mut logged = Vec::new();
    for (date, minutes) in [
        ("2026-05-01", 10),
        ("2026-05-01", 20),
        ("2026-05-02", 30),
        ("2026-05-03", 40),
        ("2026-05-03", 50),
    ] {
        let w = created(
            &app,
            &ann,
            "/api/v1/workouts",
            json!({"exercise_id": id, "date": date, "duration_minutes": minutes}),
        )
        .await;
        logged.push(w["id"].clone());
    }
    // Pages of two, oldest first, each entry once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..5 {
        let path = match &cursor {
            Some(c) => format!("/api/v1/workouts?from=2026-05-01&to=2026-05-31&limit=2&cursor={c}"),
            None => "/api/v1/workouts?from=2026-05-01&to=2026-05-31&limit=2".to_string(),
        };
        let page = app.get(&path, &ann).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        let entries = page.body["entries"].as_array().unwrap();
        assert!(entries.len() <= 2);
        seen.extend(entries.iter().map(|e| e["id"].clone()));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, logged);
    for bad in [
        "/api/v1/workouts?from=2026-05-01&to=2026-05-31&limit=0",
        "/api/v1/workouts?from=2026-05-01&to=2026-05-31&limit=1001",
        "/api/v1/workouts?from=2026-05-01&to=2026-05-31&cursor=nonsense",
        "/api/v1/workouts?from=2026-05-31&to=2026-05-01",
        "/api/v1/workouts?from=2026-05-01&to=2027-05-02",
        "/api/v1/workouts?to=2026-05-01",
    ] {
        let r = app.get(bad, &ann).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {:?}",
            r.body
        );
    }
    let full_year = app
        .get("/api/v1/workouts?from=2026-01-01&to=2026-12-31", &ann)
        .await;
    assert_eq!(full_year.status, StatusCode::OK);
    for bad in ["limit=0", "limit=501"] {
        let r = app
            .get(&format!("/api/v1/exercises/{id}/history?{bad}"), &ann)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let too_many_sets: Vec<Value> = (0..101).map(|_| json!({"reps": 1})).collect();
    let r = app
        .post(
            "/api/v1/workouts",
            &ann,
            json!({"exercise_id": id, "sets": too_many_sets}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A day holds at most 100 entries: logging or moving one more is refused, nothing changes.
    let owner = app.db.owner_client().await;
    owner
        .execute(
            "INSERT INTO exercise_diary (user_id, exercise_id, duration_minutes, performed_at)
             SELECT $1, $2::text::uuid, 1, '2026-05-20 12:00+00' FROM generate_series(1, 100)",
            &[&Uuid::parse_str(&ann_id).unwrap(), &id],
        )
        .await
        .unwrap();
    let full = app
        .post(
            "/api/v1/workouts",
            &ann,
            json!({"exercise_id": id, "date": "2026-05-20", "duration_minutes": 5}),
        )
        .await;
    assert_eq!(
        full.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        full.body
    );
    assert!(full.body["error"]["fields"]["date"].is_string());
    let moved = app
        .put(
            &format!("/api/v1/workouts/{}", logged[0].as_str().unwrap()),
            &ann,
            json!({"date": "2026-05-20"}),
        )
        .await;
    assert_eq!(
        moved.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        moved.body
    );
    let day = app.get("/api/v1/workouts/2026-05-20", &ann).await;
    assert_eq!(day.body["entries"].as_array().unwrap().len(), 100);
    let first = app.get("/api/v1/workouts/2026-05-01", &ann).await;
    assert_eq!(first.body["entries"].as_array().unwrap().len(), 2);
}

/// POST with the same `Idempotency-Key`: the first answer again, one row; another body: 422.
async fn idempotent_post(app: &TestApp, who: &As, path: &str, body: Value, other: Value) -> Value {
    let As::Cookie(cookie) = who else {
        unreachable!()
    };
    let send = |body: Value| {
        app.client
            .post(format!("{}{path}", app.base))
            .header("cookie", format!("sparky_session={cookie}"))
            .header("origin", app.origin())
            .header("idempotency-key", format!("retry {path}"))
            .json(&body)
            .send()
    };
    let first = send(body.clone()).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = send(body).await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    let again: Value = again.json().await.unwrap();
    assert_eq!(first, again);
    let different = send(other).await.unwrap();
    assert_eq!(different.status(), StatusCode::UNPROCESSABLE_ENTITY);
    first
}

#[tokio::test]
async fn creates_take_an_idempotency_key() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let e = idempotent_post(
        &app,
        &ann,
        "/api/v1/exercises",
        json!({"name": "Sled push", "met_value": 6}),
        json!({"name": "Sled pull", "met_value": 6}),
    )
    .await;
    let owner = app.db.owner_client().await;
    let n: i64 = owner
        .query_one("SELECT count(*) FROM exercises WHERE source = 'user'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    idempotent_post(
        &app,
        &ann,
        "/api/v1/workouts",
        json!({"exercise_id": e["id"], "date": "2026-05-01", "duration_minutes": 10}),
        json!({"exercise_id": e["id"], "date": "2026-05-01", "duration_minutes": 11}),
    )
    .await;
    let day = app.get("/api/v1/workouts/2026-05-01", &ann).await;
    assert_eq!(day.body["entries"].as_array().unwrap().len(), 1);
}

/// Every `?user_id=` endpoint of the exercise diary, for a grantee holding every pair of
/// access types: reads need `calorie` or `reports`, writes `calorie`; two grants that both
/// allow reading are no different from one, and nothing answers 500.
#[tokio::test]
async fn every_pair_of_access_types_on_every_user_id_endpoint() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let run = catalog_id(&app, "Running, general").await;
    let w = created(
        &app,
        &ann,
        "/api/v1/workouts",
        json!({"exercise_id": run, "date": "2026-07-01", "duration_minutes": 20, "distance": 4}),
    )
    .await;
    let types = ["calorie", "checkin", "reports", "food_list"];
    let mut pairs = Vec::new();
    for (i, a) in types.iter().enumerate() {
        for b in &types[i + 1..] {
            pairs.push((*a, *b));
        }
    }
    assert_eq!(pairs.len(), 6);
    for (n, (a, b)) in pairs.into_iter().enumerate() {
        let email = format!("member{n}@example.com");
        let (_, member) = app.user(&email).await;
        for access in [a, b] {
            created(
                &app,
                &ann,
                "/api/v1/family-access",
                json!({"grantee_email": email, "access_type": access}),
            )
            .await;
        }
        let reads = [a, b].iter().any(|t| *t == "calorie" || *t == "reports");
        let writes = [a, b].contains(&"calorie");
        let read_status = if reads {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        for path in [
            format!("/api/v1/workouts/2026-07-01?user_id={ann_id}"),
            format!("/api/v1/workouts/today?user_id={ann_id}"),
            format!("/api/v1/workouts?from=2026-07-01&to=2026-07-31&user_id={ann_id}"),
            format!("/api/v1/exercises/{run}/history?user_id={ann_id}"),
            format!("/api/v1/workouts/entries/{}", w["id"].as_str().unwrap()),
        ] {
            let r = app.get(&path, &member).await;
            assert_eq!(r.status, read_status, "{a}+{b} {path}: {:?}", r.body);
        }
        let r = app
            .post(
                &format!("/api/v1/workouts?user_id={ann_id}"),
                &member,
                json!({"exercise_id": run, "date": "2026-07-02", "duration_minutes": 5}),
            )
            .await;
        let expected = match (writes, reads) {
            (true, _) => StatusCode::CREATED,
            (false, true) => StatusCode::FORBIDDEN,
            (false, false) => StatusCode::NOT_FOUND,
        };
        assert_eq!(r.status, expected, "{a}+{b} POST: {:?}", r.body);
        if reads {
            let h = app
                .get(
                    &format!("/api/v1/exercises/{run}/history?user_id={ann_id}"),
                    &member,
                )
                .await;
            assert_eq!(h.body["records"]["longest_distance"]["distance"], 4.0);
        }
    }
}

/// The document states the bounds and required parameters of this area's operations, and every
/// schema it refers to exists.
#[tokio::test]
async fn the_document_states_the_bounds() {
    let app = TestApp::spawn().await;
    let doc = app.get("/api/v1/openapi.json", &As::Nobody).await.body;
    let param = |path: &str, method: &str, name: &str| -> Value {
        doc["paths"][path][method]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{method} {path} has no parameters"))
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{method} {path}: no {name}"))
    };
    for name in ["from", "to"] {
        assert_eq!(param("/api/v1/workouts", "get", name)["required"], true);
    }
    for (path, name, max) in [
        ("/api/v1/workouts", "limit", 1000),
        ("/api/v1/exercises", "limit", 100),
        ("/api/v1/exercises/{id}/history", "limit", 500),
    ] {
        assert_eq!(param(path, "get", name)["schema"]["maximum"], max, "{path}");
    }
    for path in ["/api/v1/workouts", "/api/v1/exercises"] {
        param(path, "post", "Idempotency-Key");
    }
    assert!(doc["paths"]["/api/v1/workouts/entries/{id}"]["get"].is_object());
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["LogWorkoutInput"]["properties"]["sets"]["maxItems"],
        100
    );
    assert_eq!(
        schemas["ExerciseCategory"]["enum"],
        json!(["strength", "cardio", "flexibility", "sports"])
    );
    let text = doc.to_string();
    for piece in text.split("\"#/components/schemas/").skip(1) {
        let name = &piece[..piece.find('"').unwrap()];
        assert!(schemas.get(name).is_some(), "no schema {name}");
    }
}

/// A family member with `calorie` access logs a workout for Ann with an exercise of his own,
/// which Ann cannot see: the workout is hers, so she may still change it (it used to be 403).
#[tokio::test]
async fn the_owner_edits_a_workout_logged_with_a_members_exercise() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let r = app
        .post(
            "/api/v1/family-access",
            &ann,
            json!({"grantee_email": "bob@example.com", "access_type": "calorie"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let bobs_run = eight_met(&app, &bob).await;
    assert_eq!(
        app.get(&format!("/api/v1/exercises/{bobs_run}"), &ann)
            .await
            .status,
        StatusCode::NOT_FOUND,
        "Bob's exercise is his own"
    );
    let w = created(
        &app,
        &bob,
        &format!("/api/v1/workouts?user_id={ann_id}"),
        json!({"exercise_id": bobs_run, "date": "2026-06-10", "duration_minutes": 30}),
    )
    .await;
    let r = app
        .put(
            &format!("/api/v1/workouts/{}", w["id"].as_str().unwrap()),
            &ann,
            json!({"duration_minutes": 45}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["duration_minutes"], 45.0, "{:?}", r.body);
    assert_day_totals_match_diary(&app).await;
}

/// A distance over minutes faster than anyone goes (10,000 km in 30 minutes, 60 miles in 30)
/// is a 422 naming `distance` and writes nothing, when logged and when an edit makes it so;
/// such a session from before the check is no fastest-pace record.
#[tokio::test]
async fn a_speed_beyond_anyone_is_refused_and_no_record() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let run = eight_met(&app, &ann).await;
    let day = "2026-07-01";
    for (minutes, distance, unit) in [(30, 10000, "km"), (30, 60, "mi"), (0, 10, "km")] {
        let r = app
            .post(
                "/api/v1/workouts",
                &ann,
                json!({"exercise_id": run, "date": day, "duration_minutes": minutes,
                       "distance": distance, "distance_unit": unit}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
        assert!(
            r.body["error"]["fields"]["distance"]
                .as_str()
                .unwrap()
                .contains("faster than 100 km an hour"),
            "{:?}",
            r.body
        );
    }
    let listed = app
        .get(&format!("/api/v1/workouts?from={day}&to={day}"), &ann)
        .await;
    assert_eq!(listed.body["entries"], json!([]), "{:?}", listed.body);

    // 10 km in 50 minutes is a run; an edit to 1 minute would make it 600 km/h.
    let w = created(
        &app,
        &ann,
        "/api/v1/workouts",
        json!({"exercise_id": run, "date": day, "duration_minutes": 50, "distance": 10}),
    )
    .await;
    let id = w["id"].as_str().unwrap();
    let r = app
        .put(
            &format!("/api/v1/workouts/{id}"),
            &ann,
            json!({"duration_minutes": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let kept = app
        .get(&format!("/api/v1/workouts/entries/{id}"), &ann)
        .await;
    assert_eq!(kept.body["duration_minutes"], 50, "{:?}", kept.body);

    // A session stored before the check (written here past the API) sets no pace record.
    let owner = app.db.owner_client().await;
    owner
        .execute(
            "INSERT INTO exercise_diary (user_id, exercise_id, duration_minutes, distance_km, performed_at)
             VALUES ($1::text::uuid, $2::text::uuid, 30, 10000, '2026-07-02 12:00+00')",
            &[&ann_id, &run],
        )
        .await
        .unwrap();
    let h = app
        .get(&format!("/api/v1/exercises/{run}/history"), &ann)
        .await;
    assert_eq!(h.status, StatusCode::OK, "{:?}", h.body);
    let records = &h.body["records"];
    assert_eq!(records["fastest_pace"]["distance"], 10.0, "{records}");
    assert_eq!(
        records["longest_distance"]["distance"], 10000.0,
        "{records}"
    );
}

/// A MET estimate is held to the bound of typed calories: a week-long session at 8 MET for
/// 200 kg would be 268,800 kcal. Refused naming the duration; nothing stored.
#[tokio::test]
async fn an_estimate_beyond_the_calorie_bound_is_refused() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let id = eight_met(&app, &ann).await;
    weigh(&app, &ann, None, 200.0, "2026-06-05T08:00:00Z").await;
    let r = app
        .post(
            "/api/v1/workouts",
            &ann,
            json!({"exercise_id": id, "date": "2026-06-10", "duration_minutes": 10080}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let message = r.body["error"]["fields"]["duration_minutes"].to_string();
    assert!(message.contains("268800 kcal"), "{:?}", r.body);
    assert_eq!(burned(&app, &ann, "2026-06-10").await, 0.0);
    let day = app
        .get("/api/v1/workouts?from=2026-06-10&to=2026-06-10", &ann)
        .await;
    assert!(!day.body.to_string().contains(&id), "{:?}", day.body);
    // Typed calories are the user's: the bound is theirs (100,000), not the estimate's.
    let w = created(
        &app,
        &ann,
        "/api/v1/workouts",
        json!({"exercise_id": id, "date": "2026-06-10", "duration_minutes": 10080, "calories_burned": 5000}),
    )
    .await;
    assert_eq!(w["calories_burned"], 5000.0);
}

/// An estimate is held to the bound of a typed value even when the weight comes later: a
/// week-long workout logged before any weight stays unknown when a weight arrives (it became
/// 3,276,000 kcal in the summary, and the workout could no longer be changed).
#[tokio::test]
async fn an_estimate_made_by_a_later_weight_stays_within_the_bound() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let id = eight_met(&app, &ann).await;
    let w = created(
        &app,
        &ann,
        "/api/v1/workouts",
        json!({"exercise_id": id, "date": "2026-06-10", "duration_minutes": 10080}),
    )
    .await;
    let short = created(
        &app,
        &ann,
        "/api/v1/workouts",
        json!({"exercise_id": id, "date": "2026-06-10", "duration_minutes": 30}),
    )
    .await;
    weigh(&app, &ann, None, 200.0, "2026-06-01T08:00:00Z").await;
    // 8 MET × 200 kg × 168 h = 268,800 kcal: unknown; the short one is estimated.
    assert_eq!(calories(&app, &ann, &w).await, Value::Null);
    assert_eq!(calories(&app, &ann, &short).await, 800.0);
    assert_eq!(burned(&app, &ann, "2026-06-10").await, 800.0);
    let r = app
        .put(
            &format!("/api/v1/workouts/{}", w["id"].as_str().unwrap()),
            &ann,
            json!({"notes": "a long week"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // With the weight known when it is logged, such a workout is refused.
    let r = app
        .post(
            "/api/v1/workouts",
            &ann,
            json!({"exercise_id": id, "date": "2026-06-11", "duration_minutes": 10080}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
}

/// Durations to the second: a 25:34 run keeps its seconds (its minutes are them rounded), its
/// pace, the day's total and the fastest-pace record use them, and minutes and seconds given
/// together must agree.
#[tokio::test]
async fn durations_keep_their_seconds() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let run = eight_met(&app, &ann).await;
    weigh(&app, &ann, None, 75.0, "2026-07-01T07:00:00Z").await;
    let day = "2026-07-03";
    let w = created(
        &app,
        &ann,
        "/api/v1/workouts",
        json!({"exercise_id": run, "date": day, "duration_seconds": 1534, "distance": 5}),
    )
    .await;
    assert_eq!(w["duration_seconds"], 1534, "{w}");
    assert_eq!(w["duration_minutes"], 26, "{w}");
    // 1534 s / 60 / 5 km = 5.1133 min/km; 8 MET × 75 kg × 1534 / 3600 h = 255.67 kcal.
    assert!((w["pace"].as_f64().unwrap() - 5.1133).abs() < 0.01, "{w}");
    assert_eq!(w["calories_burned"], 255.67, "{w}");
    // A second run the same day, 25:10: the same minutes as 25:34 rounded down would be, but
    // faster; it holds the record.
    let quicker = created(
        &app,
        &ann,
        "/api/v1/workouts",
        json!({"exercise_id": run, "date": "2026-07-04", "duration_minutes": 25,
               "duration_seconds": 1510, "distance": 5}),
    )
    .await;
    let h = app
        .get(&format!("/api/v1/exercises/{run}/history"), &ann)
        .await;
    assert_eq!(h.status, StatusCode::OK, "{:?}", h.body);
    let fastest = &h.body["records"]["fastest_pace"];
    assert_eq!(fastest["workout_id"], quicker["id"], "{fastest}");
    assert_eq!(fastest["duration_seconds"], 1510, "{fastest}");

    let listed = app.get(&format!("/api/v1/workouts/{day}"), &ann).await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    assert_eq!(
        listed.body["total_duration_seconds"], 1534,
        "{:?}",
        listed.body
    );
    assert_eq!(
        listed.body["total_duration_minutes"], 26,
        "{:?}",
        listed.body
    );

    // Refused, naming the field, and nothing written.
    for (body, field) in [
        (
            json!({"duration_minutes": 25, "duration_seconds": 1534}),
            "duration_minutes",
        ),
        (json!({"duration_seconds": 604_801}), "duration_seconds"),
        (json!({"duration_seconds": -1}), "duration_seconds"),
        (json!({"duration_seconds": 90.5}), "duration_seconds"),
        (json!({"duration_seconds": "90"}), "duration_seconds"),
        (json!({"duration_minutes": i32::MAX}), "duration_minutes"),
    ] {
        let mut full = json!({"exercise_id": run, "date": day, "distance": 1});
        full.as_object_mut()
            .unwrap()
            .extend(body.as_object().unwrap().clone());
        let r = app.post("/api/v1/workouts", &ann, full).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            r.body
        );
        assert!(
            r.body["error"]["fields"][field].is_string(),
            "{body}: {:?}",
            r.body
        );
    }
    let id = w["id"].as_str().unwrap();
    for body in [
        json!({"duration_minutes": 30, "duration_seconds": null}),
        json!({"duration_minutes": 25, "duration_seconds": 1800}),
    ] {
        let r = app
            .put(&format!("/api/v1/workouts/{id}"), &ann, body.clone())
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            r.body
        );
        assert!(
            r.body["error"]["fields"]["duration_minutes"].is_string(),
            "{:?}",
            r.body
        );
    }
    let kept = app
        .get(&format!("/api/v1/workouts/entries/{id}"), &ann)
        .await;
    assert_eq!(kept.body["duration_seconds"], 1534, "{:?}", kept.body);
    // Either field changes the duration; what a client read back can be sent back as it is.
    let r = app
        .put(
            &format!("/api/v1/workouts/{id}"),
            &ann,
            json!({"duration_minutes": 30}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        (
            r.body["duration_minutes"].clone(),
            r.body["duration_seconds"].clone()
        ),
        (json!(30), json!(1800))
    );
    let r = app
        .put(
            &format!("/api/v1/workouts/{id}"),
            &ann,
            json!({"duration_seconds": 1499}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        (
            r.body["duration_minutes"].clone(),
            r.body["duration_seconds"].clone()
        ),
        (json!(25), json!(1499))
    );
    let r = app
        .put(
            &format!("/api/v1/workouts/{id}"),
            &ann,
            json!({"duration_minutes": 25, "duration_seconds": 1499, "notes": "same"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .put(
            &format!("/api/v1/workouts/{id}"),
            &ann,
            json!({"duration_minutes": null, "duration_seconds": null}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        (
            r.body["duration_minutes"].clone(),
            r.body["duration_seconds"].clone()
        ),
        (Value::Null, Value::Null)
    );
    assert_day_totals_match_diary(&app).await;
}

/// Timed sets: a set keeps its own seconds (a plank's holds, a loaded carry), shown back on
/// every read, replaced with the sets on a change, the longest one a record; a set of nothing
/// or a time out of range is a 422 naming it, and nothing is written.
#[tokio::test]
async fn timed_sets_keep_their_seconds_and_the_longest_is_a_record() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let plank = created(
        &app,
        &ann,
        "/api/v1/exercises",
        json!({"name": "Side plank", "category": "strength", "met_value": 3}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let day = "2026-07-03";
    weigh(&app, &ann, None, 70.0, "2026-07-01T08:00:00Z").await;
    let w = created(
        &app,
        &ann,
        "/api/v1/workouts",
        json!({"exercise_id": plank, "date": day, "sets": [
            {"duration_seconds": 60}, {"duration_seconds": 45},
            {"weight": 10, "unit": "kg", "duration_seconds": 30}, {"reps": 12}]}),
    )
    .await;
    let held = |w: &Value| -> Vec<Value> {
        w["sets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["duration_seconds"].clone())
            .collect()
    };
    assert_eq!(held(&w), vec![json!(60), json!(45), json!(30), Value::Null]);
    assert_eq!(w["sets"][2]["weight"].as_f64(), Some(10.0), "{w}");
    // Given no duration, the workout takes its sets' time, and so a calorie estimate
    // (3 MET × 70 kg × 135 s = 7.875 kcal).
    assert_eq!(w["duration_seconds"], 135, "{w}");
    assert_eq!(w["calories_burned"].as_f64(), Some(7.88), "{w}");
    assert_eq!(w["calories_source"], "met", "{w}");
    assert!(w["sets"][0]["reps"].is_null() && w["sets"][0]["weight"].is_null());
    let stored: i64 = app
        .db
        .owner_client()
        .await
        .query_one(
            "SELECT sum(duration_seconds) FROM exercise_sets WHERE exercise_diary_id = $1::text::uuid",
            &[&w["id"].as_str().unwrap()],
        )
        .await
        .unwrap()
        .get::<_, Option<i64>>(0)
        .unwrap();
    assert_eq!(stored, 135);
    let listed = app.get(&format!("/api/v1/workouts/{day}"), &ann).await;
    assert_eq!(
        held(&listed.body["entries"][0]),
        held(&w),
        "{:?}",
        listed.body
    );

    // A later session holds longer with a load: the record, with its weight.
    let longer = created(
        &app,
        &ann,
        "/api/v1/workouts",
        json!({"exercise_id": plank, "date": "2026-07-05",
               "sets": [{"duration_seconds": 90, "weight": 5, "unit": "kg"}]}),
    )
    .await;
    let h = app
        .get(&format!("/api/v1/exercises/{plank}/history"), &ann)
        .await;
    assert_eq!(h.status, StatusCode::OK, "{:?}", h.body);
    let record = &h.body["records"]["longest_set"];
    assert_eq!(record["workout_id"], longer["id"], "{record}");
    assert_eq!(record["duration_seconds"], 90, "{record}");
    assert_eq!(record["weight"].as_f64(), Some(5.0), "{record}");
    assert_eq!(held(&h.body["sessions"][1]), held(&w));

    // Refused, naming the set, and nothing written.
    for (set, field) in [
        (json!({}), "sets[0]"),
        (json!({"duration_seconds": 0}), "sets[0].duration_seconds"),
        (
            json!({"duration_seconds": 86_401}),
            "sets[0].duration_seconds",
        ),
        (json!({"duration_seconds": -5}), "sets[0].duration_seconds"),
        (json!({"duration_seconds": 1.5}), "sets[0].duration_seconds"),
        (
            json!({"duration_seconds": "60"}),
            "sets[0].duration_seconds",
        ),
    ] {
        let r = app
            .post(
                "/api/v1/workouts",
                &ann,
                json!({"exercise_id": plank, "date": day, "sets": [set]}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{set}: {:?}",
            r.body
        );
        assert!(
            r.body["error"]["fields"][field].is_string(),
            "{set}: {:?}",
            r.body
        );
    }
    let listed = app.get(&format!("/api/v1/workouts/{day}"), &ann).await;
    assert_eq!(listed.body["entries"].as_array().unwrap().len(), 1);

    // A change replaces the sets, times with them.
    let id = w["id"].as_str().unwrap();
    let changed = app
        .put(
            &format!("/api/v1/workouts/{id}"),
            &ann,
            json!({"sets": [{"duration_seconds": 75}, {"reps": 10}]}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(held(&changed.body), vec![json!(75), Value::Null]);
    // Its duration was its sets' time: it follows the new sets.
    assert_eq!(changed.body["duration_seconds"], 75, "{:?}", changed.body);
    // A duration typed in stays when the sets change, and clearing it brings back theirs.
    let typed = app
        .put(
            &format!("/api/v1/workouts/{id}"),
            &ann,
            json!({"duration_minutes": 10}),
        )
        .await;
    assert_eq!(typed.body["duration_seconds"], 600, "{:?}", typed.body);
    let resets = app
        .put(
            &format!("/api/v1/workouts/{id}"),
            &ann,
            json!({"sets": [{"duration_seconds": 75}, {"duration_seconds": 20}]}),
        )
        .await;
    assert_eq!(resets.body["duration_seconds"], 600, "{:?}", resets.body);
    let cleared = app
        .put(
            &format!("/api/v1/workouts/{id}"),
            &ann,
            json!({"duration_minutes": null}),
        )
        .await;
    assert_eq!(cleared.body["duration_seconds"], 95, "{:?}", cleared.body);
    let back = app
        .put(
            &format!("/api/v1/workouts/{id}"),
            &ann,
            json!({"sets": [{"duration_seconds": 75}, {"reps": 10}]}),
        )
        .await;
    assert_eq!(back.status, StatusCode::OK, "{:?}", back.body);
    let bad = app
        .put(
            &format!("/api/v1/workouts/{id}"),
            &ann,
            json!({"sets": [{"duration_seconds": 100_000}]}),
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        bad.body
    );
    let kept = app
        .get(&format!("/api/v1/workouts/entries/{id}"), &ann)
        .await;
    assert_eq!(held(&kept.body), vec![json!(75), Value::Null]);
}
