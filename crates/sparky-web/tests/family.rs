//! Family access end to end (ARCHITECTURE.md, the database contract): grants are created, listed and removed over HTTP,
//! and what a grant allows is decided by RLS alone.

mod common;

use common::{As, TestApp};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

async fn grant(app: &TestApp, who: &As, email: &str, access_type: &str) -> common::Response {
    app.post(
        "/api/v1/family-access",
        who,
        json!({"grantee_email": email, "access_type": access_type}),
    )
    .await
}

#[tokio::test]
async fn grants_are_created_listed_used_and_revoked() {
    let app = TestApp::spawn().await;
    let (a_id, a) = app.user("ann@example.com").await;
    let (b_id, b) = app.user("bob@example.com").await;
    let (_, c) = app.user("cat@example.com").await;

    // Creating.
    let r = grant(&app, &a, "Bob@Example.com ", "reports").await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let grant_id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["access_type"], "reports");
    assert_eq!(r.body["grantor"]["id"], a_id.as_str());
    assert_eq!(r.body["grantee"]["id"], b_id.as_str());

    let r = grant(&app, &a, "nobody@example.com", "reports").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    assert_eq!(r.code(), "not_found");
    let r = grant(&app, &a, "ann@example.com", "reports").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(r.body["error"]["fields"]["grantee_email"].is_string());
    let r = grant(&app, &a, "bob@example.com", "reports").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert_eq!(r.code(), "conflict");
    let r = grant(&app, &a, "bob@example.com", "everything").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(
        r.body["error"]["fields"]["access_type"].is_string(),
        "{:?}",
        r.body
    );
    let r = grant(&app, &As::Nobody, "bob@example.com", "reports").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // Listing, from both sides.
    let r = app.get("/api/v1/family-access", &a).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["given"].as_array().unwrap().len(), 1, "{:?}", r.body);
    assert_eq!(r.body["received"], json!([]));
    assert_eq!(r.body["given"][0]["id"], grant_id.as_str());
    assert_eq!(r.body["given"][0]["grantee"]["email"], "bob@example.com");
    assert_eq!(r.body["given"][0]["access_type"], "reports");

    let r = app.get("/api/v1/family-access", &b).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["given"], json!([]));
    assert_eq!(
        r.body["received"].as_array().unwrap().len(),
        1,
        "{:?}",
        r.body
    );
    assert_eq!(r.body["received"][0]["grantor"]["email"], "ann@example.com");

    let r = app.get("/api/v1/family-access", &c).await;
    assert_eq!(
        r.body,
        json!({"given": [], "received": []}),
        "C sees nothing"
    );

    let r = app.get("/api/v1/accessible-users", &b).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let people = r.body.as_array().unwrap();
    assert_eq!(people.len(), 1, "{:?}", r.body);
    assert_eq!(people[0]["user_id"], a_id.as_str());
    assert_eq!(people[0]["email"], "ann@example.com");
    assert_eq!(people[0]["access_types"], json!(["reports"]));
    assert_eq!(
        app.get("/api/v1/accessible-users", &a).await.body,
        json!([])
    );
    assert_eq!(
        app.get("/api/v1/accessible-users", &c).await.body,
        json!([])
    );

    // Acting for A: any grant reads preferences; none writes them.
    app.put(
        "/api/v1/preferences",
        &a,
        json!({"theme": "dark", "timezone": "Europe/Berlin"}),
    )
    .await;
    let as_a = format!("/api/v1/preferences?user_id={a_id}");
    let r = app.get(&as_a, &b).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["theme"], "dark");
    assert_eq!(r.body["timezone"], "Europe/Berlin");

    // Readable but not writable: 403 saying so, not "not found".
    let r = app.put(&as_a, &b, json!({"theme": "light"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("read these preferences but not change them"),
        "{:?}",
        r.body
    );
    let mine = app.get("/api/v1/preferences", &a).await;
    assert_eq!(mine.body["theme"], "dark", "A's preferences unchanged");
    // B's own preferences were not touched either.
    assert_eq!(
        app.get("/api/v1/preferences", &b).await.body["theme"],
        "system"
    );

    let r = app.get(&as_a, &c).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);

    // Only its two sides remove a grant: a third user cannot even see it.
    let path = format!("/api/v1/family-access/{grant_id}");
    let r = app.delete(&path, &c).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    assert_eq!(
        app.get(&as_a, &b).await.status,
        StatusCode::OK,
        "still granted"
    );

    let r = app.delete(&path, &a).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let r = app.get(&as_a, &b).await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "revoked at once: {:?}",
        r.body
    );
    assert_eq!(
        app.get("/api/v1/accessible-users", &b).await.body,
        json!([])
    );
    let r = app.delete(&path, &a).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "already gone");

    // The grantee may leave a grant: gone for both at once.
    let r = grant(&app, &a, "bob@example.com", "reports").await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let path = format!("/api/v1/family-access/{}", r.body["id"].as_str().unwrap());
    assert_eq!(app.get(&as_a, &b).await.status, StatusCode::OK);
    let r = app.delete(&path, &b).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    assert_eq!(app.get(&as_a, &b).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/v1/family-access", &a).await.body["given"],
        json!([])
    );
}

async fn measurement_count(app: &TestApp, acting: Uuid, owner: Uuid) -> i64 {
    let db = app.db.database().await;
    let mut tx = db.as_user(acting).await.unwrap();
    tx.query_one(
        "SELECT count(*) FROM measurements WHERE user_id = $1",
        &[&owner],
    )
    .await
    .unwrap()
    .get(0)
}

/// Inserts a weight for `owner` acting as `acting`; the SQLSTATE when refused.
async fn insert_measurement(app: &TestApp, acting: Uuid, owner: Uuid) -> Result<(), String> {
    let db = app.db.database().await;
    let mut tx = db.as_user(acting).await.unwrap();
    tx.execute(
        "INSERT INTO measurements (user_id, type, value, unit, measured_at)
         VALUES ($1, 'weight', 70.5, 'kg', now())",
        &[&owner],
    )
    .await
    .map_err(|e| e.code().unwrap_or("none").to_string())?;
    tx.commit().await.map_err(|e| e.to_string())
}

#[tokio::test]
async fn an_access_type_not_granted_is_refused_by_rls() {
    let app = TestApp::spawn().await;
    let (a_id, a) = app.user("ann@example.com").await;
    let (b_id, _) = app.user("bob@example.com").await;
    let (c_id, _) = app.user("cat@example.com").await;
    let (a_uuid, b_uuid, c_uuid): (Uuid, Uuid, Uuid) = (
        a_id.parse().unwrap(),
        b_id.parse().unwrap(),
        c_id.parse().unwrap(),
    );

    insert_measurement(&app, a_uuid, a_uuid).await.unwrap();
    assert_eq!(measurement_count(&app, b_uuid, a_uuid).await, 0, "no grant");

    let r = grant(&app, &a, "bob@example.com", "reports").await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(
        measurement_count(&app, b_uuid, a_uuid).await,
        1,
        "reports reads"
    );
    assert_eq!(
        insert_measurement(&app, b_uuid, a_uuid).await,
        Err("42501".to_string()),
        "reports does not write"
    );
    assert_eq!(
        measurement_count(&app, c_uuid, a_uuid).await,
        0,
        "C has no grant"
    );

    let r = grant(&app, &a, "bob@example.com", "checkin").await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    insert_measurement(&app, b_uuid, a_uuid)
        .await
        .expect("checkin writes");
    assert_eq!(measurement_count(&app, a_uuid, a_uuid).await, 2);
    // A grant is one way: A has none from B.
    assert_eq!(
        insert_measurement(&app, a_uuid, b_uuid).await,
        Err("42501".to_string())
    );
}

/// Copying the dinner someone at home logged: only from a diary shared with you (`calorie` or
/// `reports`; otherwise 404 and nothing written), onto the same day too, as your own entries;
/// their own foods are not linked from your diary, catalog foods are.
#[tokio::test]
async fn a_family_members_meal_is_copied_into_your_diary() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (bob_id, bob) = app.user("bob@example.com").await;
    let owner = app.db.owner_client().await;
    owner
        .batch_execute(
            "WITH f AS (INSERT INTO food_items (name, source, source_id) VALUES ('Catalog rice', 'usda', 'test-rice') RETURNING id)
             INSERT INTO nutrition_data (food_item_id, serving_size, serving_unit, calories, is_default)
             SELECT id, 100, 'g', 130, true FROM f",
        )
        .await
        .unwrap();
    let rice: String = owner
        .query_one(
            "SELECT id::text FROM food_items WHERE source_id = 'test-rice'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let r = app
        .post(
            "/api/v1/foods",
            &ann,
            json!({"name": "Ann's curry", "servings": [{"size": 100, "unit": "g", "nutrients": {"calories": 150}}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let curry = r.body["id"].as_str().unwrap().to_string();
    for (food, grams) in [(&rice, 200), (&curry, 300)] {
        let r = app
            .post(
                "/api/v1/diary",
                &ann,
                json!({"food_item_id": food, "quantity": grams, "unit": "g", "meal_type": "dinner", "date": "2026-07-05"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let copy = json!({"from_date": "2026-07-05", "to_date": "2026-07-05", "meal_type": "dinner", "from_user_id": ann_id});
    let count_bobs = "SELECT count(*) FROM food_diary WHERE user_id = $1::text::uuid";
    // Not shared, or shared without the diary: 404, nothing written.
    let r = app.post("/api/v1/diary/copy", &bob, copy.clone()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    assert_eq!(
        grant(&app, &ann, "bob@example.com", "checkin").await.status,
        StatusCode::CREATED
    );
    let r = app.post("/api/v1/diary/copy", &bob, copy.clone()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    let bobs: i64 = owner
        .query_one(count_bobs, &[&bob_id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(bobs, 0);

    assert_eq!(
        grant(&app, &ann, "bob@example.com", "reports").await.status,
        StatusCode::CREATED
    );
    let r = app.post("/api/v1/diary/copy", &bob, copy.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["copied"], 2, "{:?}", r.body);
    for e in r.body["entries"].as_array().unwrap() {
        assert_eq!(e["user_id"], bob_id.as_str());
        assert_eq!(e["date"], "2026-07-05");
    }
    let day = app.get("/api/v1/diary/2026-07-05", &bob).await;
    assert_eq!(day.body["totals"]["calories"], 710.0, "260 + 450");
    let links = owner
        .query(
            "SELECT food_name, food_item_id::text FROM food_diary WHERE user_id = $1::text::uuid ORDER BY food_name",
            &[&bob_id],
        )
        .await
        .unwrap();
    let links: Vec<(String, Option<String>)> = links.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        links,
        vec![
            ("Ann's curry".to_string(), None),
            ("Catalog rice".to_string(), Some(rice.clone()))
        ]
    );
    common::assert_day_totals_match_diary(&app).await;
    // Ann's own diary is as it was, and she cannot copy Bob's (he shares nothing).
    let ann_day = app.get("/api/v1/diary/2026-07-05", &ann).await;
    assert_eq!(ann_day.body["totals"]["calories"], 710.0);
    let r = app
        .post(
            "/api/v1/diary/copy",
            &ann,
            json!({"from_date": "2026-07-05", "to_date": "2026-07-06", "from_user_id": bob_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    // Your own day onto itself is still refused.
    let r = app
        .post(
            "/api/v1/diary/copy",
            &bob,
            json!({"from_date": "2026-07-05", "to_date": "2026-07-05"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
}

/// Lists of someone who shares nothing with the caller answer 404 like every other read
/// (measurement types, recipes and food search answered 200 with nothing of theirs), and
/// 200 once the right grant exists.
#[tokio::test]
async fn lists_of_someone_who_shares_nothing_are_404() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let stranger = Uuid::new_v4();
    let lists = |who: &str| {
        vec![
            format!("/api/v1/measurement-types?user_id={who}"),
            format!("/api/v1/recipes?user_id={who}"),
            format!("/api/v1/foods?q=secret&user_id={who}"),
        ]
    };
    for id in [ann_id.clone(), stranger.to_string()] {
        for path in lists(&id) {
            let r = app.get(&path, &bob).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {:?}", r.body);
        }
    }
    for access in ["checkin", "food_list"] {
        let r = grant(&app, &ann, "bob@example.com", access).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    for path in lists(&ann_id) {
        let r = app.get(&path, &bob).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {:?}", r.body);
    }
    // Your own lists stay as they are, with or without your own id.
    for path in lists(&ann_id) {
        assert_eq!(app.get(&path, &ann).await.status, StatusCode::OK, "{path}");
    }
}

/// The recent-foods list offers only foods its reader may log again: not a family member's
/// own food that they logged into this diary (logging it answered 404).
#[tokio::test]
async fn recent_foods_leave_out_foods_the_reader_cannot_log() {
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
    let food = |name: &str| {
        json!({"name": name, "servings": [{"size": 1, "unit": "bar",
               "nutrients": {"calories": 200}}]})
    };
    let bobs = app.post("/api/v1/foods", &bob, food("Bob's bar")).await;
    let anns = app.post("/api/v1/foods", &ann, food("Ann's bar")).await;
    for (who, id, path) in [
        (
            &bob,
            &bobs.body["id"],
            format!("/api/v1/diary?user_id={ann_id}"),
        ),
        (&ann, &anns.body["id"], "/api/v1/diary".to_string()),
    ] {
        let r = app
            .post(
                &path,
                who,
                json!({"food_item_id": id, "quantity": 1, "meal_type": "snack"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let recent = app.get("/api/v1/diary/recent", &ann).await;
    assert_eq!(recent.status, StatusCode::OK, "{:?}", recent.body);
    let text = recent.body.to_string();
    assert!(text.contains("Ann's bar"), "{text}");
    assert!(!text.contains("Bob's bar"), "{text}");
    // Bob, viewing Ann's diary, is offered his own bar (he may log it there), not Ann's.
    let recent = app
        .get(&format!("/api/v1/diary/recent?user_id={ann_id}"), &bob)
        .await;
    let text = recent.body.to_string();
    assert!(text.contains("Bob's bar"), "{text}");
    assert!(!text.contains("Ann's bar"), "{text}");
}
