//! Write forms sent twice write once: every form that adds something carries a once-token the
//! server keeps with the write (`pages/once.rs`), so a resubmitted page, a retry after a lost
//! answer or a double tap without JavaScript adds nothing more, and the second answer leads
//! where the first did. A form whose write failed can be corrected and sent again.

mod common;
mod pages_kit;

use common::{As, TestApp};
use pages_kit::{get, post, Html};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Posts the same form twice (the same once-token), then once with a new token.
async fn twice_then_anew(
    app: &TestApp,
    who: &As,
    page: &Html,
    action: &str,
    fields: &[(&str, &str)],
) -> [Html; 3] {
    let once = page.once_of(action);
    let csrf = page.csrf();
    let other = uuid::Uuid::new_v4().to_string();
    let mut answers = Vec::new();
    for token in [once.as_str(), once.as_str(), other.as_str()] {
        let mut with: Vec<(&str, &str)> = fields.to_vec();
        with.push(("_once", token));
        let r = post(app, action, who, None, Some(&csrf), &with).await;
        r.assert_accepted();
        answers.push(r);
    }
    answers.try_into().ok().unwrap()
}

async fn api(app: &TestApp, who: &As, path: &str) -> Value {
    let r = app.get(path, who).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {:?}", r.body);
    r.body
}

#[tokio::test]
async fn day_and_check_in_forms_sent_twice_write_once() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let day = "2026-11-20";

    // Water on the day page: each quick button is its own form with its own token.
    let page = get(&app, &format!("/day/{day}"), &ann, None).await;
    let tokens = page.body.matches("name=\"_once\"").count();
    assert!(tokens >= 3, "water buttons and weight: {tokens}");
    twice_then_anew(&app, &ann, &page, "/water", &[("date", day), ("ml", "250")]).await;
    let summary = api(&app, &ann, &format!("/api/v1/summary/{day}")).await;
    assert_eq!(summary["water_ml"].as_f64(), Some(500.0), "{summary}");

    // The check-in form, with two values: stored twice (two sends), not three times.
    let page = get(&app, &format!("/checkin?date={day}"), &ann, None).await;
    twice_then_anew(
        &app,
        &ann,
        &page,
        "/checkin",
        &[("date", day), ("m.weight", "80"), ("m.waist", "90")],
    )
    .await;
    let stored = api(&app, &ann, "/api/v1/measurements?type=weight").await;
    assert_eq!(stored["items"].as_array().unwrap().len(), 2, "{stored}");

    // Water typed on the check-in page.
    let page = get(&app, &format!("/checkin?date={day}"), &ann, None).await;
    twice_then_anew(
        &app,
        &ann,
        &page,
        "/checkin/water",
        &[("date", day), ("ml", "100")],
    )
    .await;
    let summary = api(&app, &ann, &format!("/api/v1/summary/{day}")).await;
    assert_eq!(summary["water_ml"].as_f64(), Some(700.0), "{summary}");
}

#[tokio::test]
async fn copying_a_day_and_logging_a_workout_twice_write_once() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let r = app
        .post(
            "/api/v1/diary/quick-add",
            &ann,
            json!({"date": "2026-11-19", "meal_type": "lunch", "name": "Soup", "nutrients": {"calories": 300}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);

    let sheet = get(&app, "/add?date=2026-11-20&meal=lunch&tab=copy", &ann, None).await;
    let answers = twice_then_anew(
        &app,
        &ann,
        &sheet,
        "/add/copy",
        &[("from_date", "2026-11-19"), ("to_date", "2026-11-20")],
    )
    .await;
    // The resend goes where the first send did (its notice too), copying nothing more.
    assert!(
        answers[0].location.starts_with("/day/2026-11-20?copied="),
        "{}",
        answers[0].location
    );
    assert_eq!(answers[0].location, answers[1].location);
    let copied = api(&app, &ann, "/api/v1/diary/2026-11-20").await;
    let entries: usize = copied["meals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["entries"].as_array().unwrap().len())
        .sum();
    assert_eq!(entries, 2, "{copied}");

    let found = api(&app, &ann, "/api/v1/exercises?q=bench+press").await;
    let bench = found["items"][0]["id"].as_str().unwrap().to_string();
    let form = get(
        &app,
        &format!("/exercise/log/{bench}?date=2026-11-20"),
        &ann,
        None,
    )
    .await;
    let answers = twice_then_anew(
        &app,
        &ann,
        &form,
        "/exercise/log",
        &[
            ("exercise_id", &bench),
            ("date", "2026-11-20"),
            ("reps_1", "10"),
            ("weight_1", "60"),
        ],
    )
    .await;
    assert_eq!(answers[1].location, "/exercise?date=2026-11-20");
    let workouts = api(&app, &ann, "/api/v1/workouts/2026-11-20").await;
    assert_eq!(
        workouts["entries"].as_array().unwrap().len(),
        2,
        "{workouts}"
    );
}

#[tokio::test]
async fn a_new_recipe_or_plan_sent_twice_is_made_once_and_both_answers_open_it() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;

    let page = get(&app, "/recipes", &ann, None).await;
    let answers = twice_then_anew(
        &app,
        &ann,
        &page,
        "/recipes",
        &[("name", "Chili"), ("servings", "4")],
    )
    .await;
    assert!(answers[0].location.starts_with("/recipes/"));
    assert_eq!(answers[0].location, answers[1].location);
    assert_ne!(answers[0].location, answers[2].location);
    let recipes = api(&app, &ann, "/api/v1/recipes").await;
    assert_eq!(recipes["items"].as_array().unwrap().len(), 2, "{recipes}");

    let page = get(&app, "/plans", &ann, None).await;
    let answers = twice_then_anew(&app, &ann, &page, "/plans", &[("name", "Cut")]).await;
    assert!(answers[0].location.starts_with("/plans/"));
    assert_eq!(answers[0].location, answers[1].location);
    let plans = api(&app, &ann, "/api/v1/meal-plan-templates").await;
    assert_eq!(plans.as_array().unwrap().len(), 2, "{plans}");
}

#[tokio::test]
async fn a_form_whose_write_failed_can_be_sent_again_with_its_token() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let page = get(&app, "/recipes", &ann, None).await;
    let once = page.once_of("/recipes");
    let csrf = page.csrf();

    let bad = post(
        &app,
        "/recipes",
        &ann,
        None,
        Some(&csrf),
        &[("name", "Chili"), ("servings", "lots"), ("_once", &once)],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let none = api(&app, &ann, "/api/v1/recipes").await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0, "{none}");

    let fixed = post(
        &app,
        "/recipes",
        &ann,
        None,
        Some(&csrf),
        &[("name", "Chili"), ("servings", "4"), ("_once", &once)],
    )
    .await;
    assert_eq!(fixed.status, StatusCode::SEE_OTHER, "{}", fixed.body);
    let made = api(&app, &ann, "/api/v1/recipes").await;
    assert_eq!(made["items"].as_array().unwrap().len(), 1, "{made}");

    // A token that is not one (too long, or a control character) is refused, naming it, and
    // stores nothing; one just short of the store's limit too (the form's kind goes in front).
    for bad in ["x".repeat(300), "x".repeat(250), "a\u{7}b".to_string()] {
        let r = post(
            &app,
            "/plans",
            &ann,
            None,
            Some(&csrf),
            &[("name", "Cut"), ("_once", &bad)],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("_once"), "{}", r.body);
    }
    assert_eq!(
        api(&app, &ann, "/api/v1/meal-plan-templates").await,
        json!([])
    );
}

/// Sends of one form that arrive together (taps without JavaScript on a slow connection): the
/// later ones wait for the first and then write nothing.
#[tokio::test]
async fn sends_of_one_form_at_the_same_moment_write_once() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let day = "2026-11-20";
    let page = get(&app, &format!("/day/{day}"), &ann, None).await;
    let once = page.once_of("/water");
    let csrf = page.csrf();
    let fields = [("date", day), ("ml", "250"), ("_once", once.as_str())];
    let sends = (0..6).map(|_| post(&app, "/water", &ann, None, Some(&csrf), &fields));
    for r in futures::future::join_all(sends).await {
        r.assert_accepted();
    }
    let summary = api(&app, &ann, &format!("/api/v1/summary/{day}")).await;
    assert_eq!(summary["water_ml"].as_f64(), Some(250.0), "{summary}");
}

/// Sharing with someone, sent twice: one grant, and the second answer is not "already shared".
#[tokio::test]
async fn a_grant_sent_twice_is_one_grant_without_a_refusal() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    app.user("bob@example.com").await;
    let page = get(&app, "/settings/family", &ann, None).await;
    let once = page.once_of("/settings/family");
    let csrf = page.csrf();
    let fields = [
        ("email", "bob@example.com"),
        ("access_type", "calorie"),
        ("_once", once.as_str()),
    ];
    for _ in 0..2 {
        let r = post(&app, "/settings/family", &ann, None, Some(&csrf), &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, "/settings/family?done=granted");
    }
    let grants = api(&app, &ann, "/api/v1/family-access").await;
    assert_eq!(
        grants["given"].as_array().map(Vec::len),
        Some(1),
        "{grants}"
    );
}

/// A new API key sent twice is one key; the second answer says its secret went out with the
/// first and how to recover, rather than making a second key.
#[tokio::test]
async fn an_api_key_form_sent_twice_makes_one_key_and_says_so() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let page = get(&app, "/settings/security", &ann, None).await;
    let once = page.once_of("/settings/keys");
    let csrf = page.csrf();
    let fields = [("name", "Phone"), ("_once", once.as_str())];
    let first = post(&app, "/settings/keys", &ann, None, Some(&csrf), &fields).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert!(first.body.contains("id=\"new-key\""), "{}", first.body);
    let again = post(&app, "/settings/keys", &ann, None, Some(&csrf), &fields).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert!(!again.body.contains("id=\"new-key\""), "{}", again.body);
    assert!(
        again.body.contains("This form was sent twice"),
        "{}",
        again.body
    );
    let keys = api(&app, &ann, "/api/v1/api-keys").await;
    let n = keys.as_array().or(keys["items"].as_array()).map(Vec::len);
    assert_eq!(n, Some(1), "{keys}");
}
