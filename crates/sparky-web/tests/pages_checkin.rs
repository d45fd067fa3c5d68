//! The check-in page (`/checkin`) as a browser without JavaScript uses it: logging several
//! measurements at once, water, a custom type, correcting and deleting history entries, the
//! weight chart; bad input re-renders the form and stores nothing; CSRF, sign-in and family
//! grants.

mod common;
mod pages_kit;

use common::{As, TestApp};
use pages_kit::{get, grant, post, token};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn measurements(app: &TestApp, who: &As, query: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/measurements?{query}"), who).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_check_in_logs_every_filled_value_in_the_users_units() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let csrf = token(&app, &ann, "/checkin").await;

    let r = post(
        &app,
        "/checkin",
        &ann,
        None,
        Some(&csrf),
        &[
            ("date", "2026-11-20"),
            ("m.weight", "80,5"),
            ("m.body_fat", "21"),
            ("m.waist", "88"),
            ("m.hips", ""),
            ("note", "morning"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location, "/checkin?date=2026-11-20");
    let items = measurements(&app, &ann, "").await;
    assert_eq!(items.len(), 3, "{items:?}");
    let weight = items.iter().find(|m| m["type"] == "weight").unwrap();
    assert_eq!(weight["value"], json!(80.5));
    assert_eq!(weight["unit"], "kg");
    assert_eq!(weight["date"], "2026-11-20");
    assert_eq!(weight["note"], "morning");

    // The history shows them; the weight is on the chart.
    let page = get(&app, "/checkin?days=365", &ann, None).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "80.5 kg",
        "21%",
        "88 cm",
        "Waist",
        "Body fat",
        "<svg class=\"chart\"",
    ] {
        assert!(page.body.contains(text), "{text} missing");
    }

    // An imperial user types pounds and sees pounds.
    let (_, bob) = app.user("bob@example.com").await;
    let r = app
        .put(
            "/api/v1/preferences",
            &bob,
            json!({"units_system": "imperial"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let csrf = token(&app, &bob, "/checkin").await;
    let page = get(&app, "/checkin", &bob, None).await;
    assert!(page
        .body
        .contains("Weight <span class=\"muted\">(lb)</span>"));
    let r = post(
        &app,
        "/checkin",
        &bob,
        None,
        Some(&csrf),
        &[("m.weight", "200")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let items = measurements(&app, &bob, "type=weight").await;
    assert_eq!(items[0]["canonical_value"], json!(90.718474));
    assert!(get(&app, "/checkin", &bob, None)
        .await
        .body
        .contains("200 lb"));

    // A form left open in pounds while the units changed to metric keeps its pounds: the
    // page sends the unit it showed.
    assert!(
        page.body.contains("name=\"u.weight\" value=\"lb\""),
        "{}",
        page.body
    );
    let r = app
        .put(
            "/api/v1/preferences",
            &bob,
            json!({"units_system": "metric"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    for (path, fields) in [
        (
            "/checkin",
            vec![
                ("date", "2026-11-21"),
                ("m.weight", "170"),
                ("u.weight", "lb"),
            ],
        ),
        (
            "/weight",
            vec![("date", "2026-11-22"), ("value", "170"), ("unit", "lb")],
        ),
    ] {
        let r = post(&app, path, &bob, None, Some(&csrf), &fields).await;
        assert!(
            r.status.is_redirection() || r.status.is_success(),
            "{path}: {}",
            r.body
        );
    }
    let items = measurements(&app, &bob, "type=weight").await;
    for date in ["2026-11-21", "2026-11-22"] {
        let m = items.iter().find(|m| m["date"] == date).unwrap();
        assert_eq!(m["canonical_value"], json!(77.110703), "{m}");
    }
}

#[tokio::test]
async fn bad_values_re_render_the_form_and_store_nothing() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let csrf = token(&app, &ann, "/checkin").await;

    let r = post(
        &app,
        "/checkin",
        &ann,
        None,
        Some(&csrf),
        &[
            ("m.weight", "81"),
            ("m.body_fat", "150"),
            ("m.waist", "lots"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("aria-invalid=\"true\""));
    assert!(r.body.contains("Enter a number"), "not-a-number message");
    assert!(r.body.contains("value=\"150\""), "what was typed stays");
    assert!(r.body.contains("value=\"lots\""));
    assert!(measurements(&app, &ann, "").await.is_empty());
    // A date that is not one, or out of range, is a 422 naming it, for readings and water:
    // not today's reading.
    for bad in ["2026-02-30", "2200-01-01", "1899-12-31", "garbage"] {
        for (path, field) in [("/checkin", "m.waist"), ("/checkin/water", "amount")] {
            let r = post(
                &app,
                path,
                &ann,
                None,
                Some(&csrf),
                &[("date", bad), (field, "31")],
            )
            .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path} {bad}: {}",
                r.body
            );
            assert!(r.body.contains("date"), "{}", r.body);
        }
    }
    assert!(measurements(&app, &ann, "").await.is_empty());

    // A note too long is the note's problem, said once, not under each number.
    let long = "n".repeat(2001);
    let r = post(
        &app,
        "/checkin",
        &ann,
        None,
        Some(&csrf),
        &[("m.weight", "81"), ("m.waist", "80"), ("note", &long)],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body.matches("Note: ").count(), 1, "{}", r.body);
    assert!(!r.body.contains("aria-invalid=\"true\""), "{}", r.body);
    assert!(measurements(&app, &ann, "").await.is_empty());

    // Out of range only (numbers parse): the application layer's message, next to body fat.
    let r = post(
        &app,
        "/checkin",
        &ann,
        None,
        Some(&csrf),
        &[("m.weight", "81"), ("m.body_fat", "150")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("id=\"m-body_fat-e\""),
        "error next to body fat"
    );
    assert!(measurements(&app, &ann, "").await.is_empty());

    // Nothing filled in.
    let r = post(
        &app,
        "/checkin",
        &ann,
        None,
        Some(&csrf),
        &[("m.weight", "")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Fill in at least one value"));

    // Water that is not a number; a custom type with a name that is not a name.
    let r = post(
        &app,
        "/checkin/water",
        &ann,
        None,
        Some(&csrf),
        &[("amount", "a glass")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("value=\"a glass\""));
    let r = post(
        &app,
        "/checkin/types",
        &ann,
        None,
        Some(&csrf),
        &[("name", "9 lives"), ("dimension", "length")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("snake_case"), "{}", r.body);
    assert!(measurements(&app, &ann, "").await.is_empty());
}

#[tokio::test]
async fn water_custom_types_edit_and_delete() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let csrf = token(&app, &ann, "/checkin").await;

    let r = post(
        &app,
        "/checkin/water",
        &ann,
        None,
        Some(&csrf),
        &[("ml", "250")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = post(
        &app,
        "/checkin/water",
        &ann,
        None,
        Some(&csrf),
        &[("amount", "500")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let water = measurements(&app, &ann, "type=water").await;
    assert_eq!(water.len(), 2);
    assert!(get(&app, "/checkin", &ann, None)
        .await
        .body
        .contains("750 ml"));

    // A custom type: created from a name people type, then offered by the form.
    let r = post(
        &app,
        "/checkin/types",
        &ann,
        None,
        Some(&csrf),
        &[("name", "Left arm"), ("dimension", "length")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let types = app.get("/api/v1/measurement-types", &ann).await;
    assert!(types.body.to_string().contains("left_arm"));
    let page = get(&app, "/checkin", &ann, None).await;
    assert!(page.body.contains("name=\"m.left_arm\""));
    assert!(page.body.contains("Left arm"));
    // The same name again: a conflict, shown on the form.
    let r = post(
        &app,
        "/checkin/types",
        &ann,
        None,
        Some(&csrf),
        &[("name", "left arm"), ("dimension", "length")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("already exists"));
    let r = post(
        &app,
        "/checkin",
        &ann,
        None,
        Some(&csrf),
        &[("m.left_arm", "34.5")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let arm = measurements(&app, &ann, "type=left_arm").await;
    assert_eq!(arm[0]["value"], json!(34.5));
    let id = arm[0]["id"].as_str().unwrap().to_string();

    // Correct it; a bad correction changes nothing.
    let r = post(
        &app,
        &format!("/checkin/entry/{id}"),
        &ann,
        None,
        Some(&csrf),
        &[("value", "x")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("<details open>"));
    let r = post(
        &app,
        &format!("/checkin/entry/{id}"),
        &ann,
        None,
        Some(&csrf),
        &[("value", "35")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        measurements(&app, &ann, "type=left_arm").await[0]["value"],
        json!(35.0)
    );
    // A weight stored in another unit and saved as the form shows it is left exactly as it was.
    let r = app
        .put(
            "/api/v1/preferences",
            &ann,
            json!({"units_system": "imperial"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .post(
            "/api/v1/measurements",
            &ann,
            json!({"type": "weight", "value": 81000, "unit": "g", "date": "2026-11-20"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let (wid, shown) = (
        r.body["id"].as_str().unwrap().to_string(),
        r.body["value"].to_string(),
    );
    let stored = r.body["canonical_value"].clone();
    let r = post(
        &app,
        &format!("/checkin/entry/{wid}"),
        &ann,
        None,
        Some(&csrf),
        &[("value", &shown)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let after = app.get(&format!("/api/v1/measurements/{wid}"), &ann).await;
    assert_eq!(after.body["canonical_value"], stored, "{:?}", after.body);

    // Delete it.
    let r = post(
        &app,
        &format!("/checkin/entry/{id}/delete"),
        &ann,
        None,
        Some(&csrf),
        &[("confirm", "yes")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(measurements(&app, &ann, "type=left_arm").await.is_empty());
}

#[tokio::test]
async fn writes_need_the_token_and_pages_need_a_session() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let r = post(&app, "/checkin", &ann, None, None, &[("m.weight", "80")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post(
        &app,
        "/checkin",
        &ann,
        None,
        Some("not-the-token"),
        &[("m.weight", "80")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(measurements(&app, &ann, "").await.is_empty());

    let r = get(&app, "/checkin?days=30", &As::Nobody, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location, "/signin?next=%2Fcheckin%3Fdays%3D30");
}

#[tokio::test]
async fn family_members_see_and_log_only_with_the_grant() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let (_, cat) = app.user("cat@example.com").await;
    let r = app
        .post(
            "/api/v1/measurements",
            &ann,
            json!({"type": "weight", "value": 70}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    grant(&app, &ann, "bob@example.com", "checkin").await;
    grant(&app, &ann, "cat@example.com", "reports").await;

    // Today is not Bob's to see for Ann (no diary grant): he lands on her check-in instead.
    let today = get(&app, "/", &bob, Some(&ann_id)).await;
    assert_eq!(today.status, StatusCode::SEE_OTHER, "{}", today.body);
    assert_eq!(today.location, "/checkin");
    // Cat (reports) reads Ann's Today.
    let today = get(&app, "/", &cat, Some(&ann_id)).await;
    assert_eq!(today.status, StatusCode::OK, "{}", today.body);

    // Bob may check in for Ann.
    let page = get(&app, "/checkin", &bob, Some(&ann_id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("70 kg"));
    assert!(page.body.contains("method=\"post\" action=\"/checkin\""));
    assert!(
        !page.body.contains("action=\"/checkin/types\""),
        "custom types are one's own"
    );
    let csrf = page.csrf();
    let r = post(
        &app,
        "/checkin",
        &bob,
        Some(&ann_id),
        Some(&csrf),
        &[("m.weight", "69.5")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let items = measurements(&app, &ann, "type=weight").await;
    assert_eq!(items.len(), 2);
    assert_eq!(
        items.iter().filter(|m| m["value"] == json!(69.5)).count(),
        1
    );

    // Cat may only read: no forms, and a crafted post is refused by RLS.
    let page = get(&app, "/checkin", &cat, Some(&ann_id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("69.5 kg"));
    assert!(!page.body.contains("method=\"post\" action=\"/checkin\""));
    assert!(!page.body.contains("/delete"));
    let csrf = token(&app, &cat, "/checkin").await;
    let r = post(
        &app,
        "/checkin",
        &cat,
        Some(&ann_id),
        Some(&csrf),
        &[("m.weight", "50")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(measurements(&app, &ann, "type=weight").await.len(), 2);

    // Without any grant the cookie is ignored: Cat's own (empty) data.
    let (_, dan) = app.user("dan@example.com").await;
    let page = get(&app, "/checkin", &dan, Some(&ann_id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("69.5 kg"));
}
