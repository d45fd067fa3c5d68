//! Onboarding in the browser: register → onboarding → targets saved with the profile,
//! preferences and weight in one step; skippable; asked once; bad answers re-rendered.

mod common;
mod page_forms;

use common::{As, TestApp, PASSWORD};
use page_forms::{get, post, submit};
use reqwest::StatusCode;
use serde_json::Value;

/// Registers through the sign-up page; returns where it led and the session.
async fn register_in_browser(app: &TestApp, email: &str) -> (String, As) {
    let r = app
        .client
        .post(format!("{}/register", app.base))
        .header("origin", app.origin())
        .form(&[
            ("full_name", "Ada Example"),
            ("email", email),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("sparky_session="))
        .map(|c| c.split(';').next().unwrap()["sparky_session=".len()..].to_string())
        .expect("session cookie");
    (location, As::Cookie(cookie))
}

/// Signs in through the sign-in page; returns where it led.
async fn sign_in_in_browser(app: &TestApp, email: &str) -> String {
    let r = app
        .client
        .post(format!("{}/signin", app.base))
        .header("origin", app.origin())
        .form(&[("email", email), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    r.headers()["location"].to_str().unwrap().to_string()
}

const ANSWERS: &[(&str, &str)] = &[
    ("units_system", "imperial"),
    ("timezone", "America/Chicago"),
    ("sex", "female"),
    ("birth_date", "1990-06-15"),
    ("height", "65"),
    ("height_unit", "in"),
    ("weight", "160"),
    ("weight_unit", "lb"),
    ("activity", "moderate"),
    ("goal", "lose"),
];

fn with(action: &str, changes: &[(&'static str, &'static str)]) -> Vec<(&'static str, String)> {
    let mut fields: Vec<(&str, String)> = ANSWERS
        .iter()
        .map(|(k, v)| {
            let v = changes
                .iter()
                .find(|(c, _)| c == k)
                .map(|(_, n)| *n)
                .unwrap_or(v);
            (*k, v.to_string())
        })
        .collect();
    fields.push(("action", action.to_string()));
    fields
}

async fn send(app: &TestApp, who: &As, fields: &[(&'static str, String)]) -> page_forms::Html {
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    submit(app, "/onboarding", "/onboarding", who, &f).await
}

async fn active_goals(app: &TestApp, who: &As) -> Vec<Value> {
    let r = app.get("/api/v1/goals?status=active", who).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body.as_array().unwrap().clone()
}

fn target(goals: &[Value], kind: &str) -> f64 {
    goals
        .iter()
        .find(|g| g["type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {goals:?}"))["target_value"]
        .as_f64()
        .unwrap()
}

#[tokio::test]
async fn register_leads_to_onboarding_and_saving_stores_everything_at_once() {
    let app = TestApp::spawn().await;
    let (to, me) = register_in_browser(&app, "ada@example.com").await;
    assert_eq!(to, "/onboarding");

    let page = get(&app, "/onboarding", &me).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Welcome to Sparky"));
    assert!(page.body.contains("<option value=\"Europe/Berlin\""));
    assert!(page.body.contains("data-browser-timezone"));
    assert!(
        page.body.contains("<option value=\"UTC\" selected>"),
        "the stored zone without JS"
    );
    assert!(page.body.contains("/onboarding/skip"));

    // The preview shows the targets and the formula, and saves nothing.
    let preview = send(&app, &me, &with("preview", &[])).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(
        preview.body.contains("Mifflin-St Jeor BMR") && preview.body.contains("× activity 1.55"),
        "{}",
        preview.body
    );
    // In the units chosen (US here): pounds and inches.
    assert!(
        preview.body.contains("− 550 kcal to lose 1.1 lb a week → "),
        "{}",
        preview.body
    );
    assert!(
        preview.body.contains("Worked out for: Female, "),
        "{}",
        preview.body
    );
    assert!(preview.body.contains("65 in, 160 lb"), "{}", preview.body);
    assert!(active_goals(&app, &me).await.is_empty());
    assert_eq!(
        app.get("/api/v1/profile", &me).await.body["sex"],
        Value::Null
    );

    let saved = send(&app, &me, &with("save", &[])).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location, "/");

    let prefs = app.get("/api/v1/preferences", &me).await.body;
    assert_eq!(prefs["units_system"], "imperial");
    assert_eq!(prefs["timezone"], "America/Chicago");
    let profile = app.get("/api/v1/profile", &me).await.body;
    assert_eq!(profile["sex"], "female");
    assert_eq!(profile["birth_date"], "1990-06-15");
    assert_eq!(profile["height_cm"], 165.1);
    assert_eq!(profile["activity_level"], "moderate");
    let latest = app.get("/api/v1/measurements/latest", &me).await.body;
    let weight = latest["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["type"] == "weight")
        .expect("a weight");
    assert_eq!(weight["value"], 160.0, "{weight}");

    // The targets are /goals/suggest's for the same person, rounded.
    let suggestion = app
        .get("/api/v1/goals/suggest?weekly_change_kg=-0.5", &me)
        .await
        .body;
    let goals = active_goals(&app, &me).await;
    assert_eq!(goals.len(), 4, "{goals:?}");
    let round = |v: &Value| v.as_f64().unwrap().round();
    assert_eq!(
        target(&goals, "calorie_target"),
        round(&suggestion["target_calories"])
    );
    assert_eq!(
        target(&goals, "protein_target"),
        round(&suggestion["macros"]["protein_g"])
    );
    assert_eq!(
        target(&goals, "carbs_target"),
        round(&suggestion["macros"]["carbohydrates_g"])
    );
    assert_eq!(
        target(&goals, "fat_target"),
        round(&suggestion["macros"]["fat_g"])
    );

    // A leftover onboarding tab sent again (another once-token) changes nothing: 409 saying
    // where to change things (it replaced the profile, timezone and targets set since).
    let mut leftover: Vec<(&'static str, String)> = with("save", &[]);
    for f in leftover.iter_mut() {
        if f.0 == "timezone" {
            f.1 = "Europe/Paris".into();
        }
    }
    let csrf = get(&app, "/", &me).await.csrf();
    let mut fields: Vec<(&str, &str)> = leftover.iter().map(|(k, v)| (*k, v.as_str())).collect();
    fields.push(("_csrf", &csrf));
    let stale = post(&app, "/onboarding", &me, &fields).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert!(stale.body.contains("already set up"), "{}", stale.body);
    let prefs = app.get("/api/v1/preferences", &me).await.body;
    assert_eq!(prefs["timezone"], "America/Chicago");

    // Done: not shown again, and signing in goes to Today.
    let again = get(&app, "/onboarding", &me).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(again.location, "/");
    assert_eq!(sign_in_in_browser(&app, "ada@example.com").await, "/");
}

#[tokio::test]
async fn bad_answers_are_shown_next_to_their_fields_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let (_, me) = register_in_browser(&app, "bea@example.com").await;
    let bad = send(
        &app,
        &me,
        &with(
            "save",
            &[
                ("height", "12"),
                ("birth_date", ""),
                ("timezone", "Mars/Base"),
            ],
        ),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("Enter your height: 50 to 272 cm"),
        "{}",
        bad.body
    );
    assert!(bad
        .body
        .contains("Enter a birth date that makes you 15 to 120"));
    assert!(bad.body.contains("Choose your timezone from the list"));
    assert!(bad.body.contains("aria-invalid=\"true\""));
    // What was typed stays.
    assert!(bad
        .body
        .contains("name=\"height\" inputmode=\"text\" value=\"12\""));
    assert!(bad.body.contains("<option value=\"lb\" selected>"));

    assert!(active_goals(&app, &me).await.is_empty());
    let prefs = app.get("/api/v1/preferences", &me).await.body;
    assert_eq!(prefs["units_system"], "metric");
    assert_eq!(
        app.get("/api/v1/profile", &me).await.body["sex"],
        Value::Null
    );
    let latest = app.get("/api/v1/measurements/latest", &me).await.body;
    assert!(latest["items"].as_array().unwrap().is_empty(), "{latest}");
    // Still to do.
    assert_eq!(get(&app, "/onboarding", &me).await.status, StatusCode::OK);
}

/// A height in feet and inches counts whatever unit is picked; a 12-inch part is refused.
#[tokio::test]
async fn a_height_in_feet_and_inches_is_understood() {
    let app = TestApp::spawn().await;
    let (_, me) = register_in_browser(&app, "fay@example.com").await;
    let bad = send(&app, &me, &with("save", &[("height", "5'12\"")])).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("like 5&#39;5"), "{}", bad.body);
    let saved = send(
        &app,
        &me,
        &with("save", &[("height", "5ft 5in"), ("height_unit", "cm")]),
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let profile = app.get("/api/v1/profile", &me).await.body;
    assert_eq!(profile["height_cm"], 165.1);
}

#[tokio::test]
async fn skipping_goes_to_today_and_is_remembered() {
    let app = TestApp::spawn().await;
    // An account made elsewhere (the API) meets onboarding at its first browser sign-in.
    let (_, _api) = app.user("cy@example.com").await;
    assert_eq!(
        sign_in_in_browser(&app, "cy@example.com").await,
        "/onboarding"
    );
    let (_, me) = app.user("dee@example.com").await;
    let skipped = submit(&app, "/onboarding", "/onboarding/skip", &me, &[]).await;
    assert_eq!(skipped.status, StatusCode::SEE_OTHER);
    assert_eq!(skipped.location, "/");
    assert!(active_goals(&app, &me).await.is_empty());
    assert_eq!(sign_in_in_browser(&app, "dee@example.com").await, "/");
    assert_eq!(get(&app, "/onboarding", &me).await.location, "/");
}

#[tokio::test]
async fn writes_need_the_token_and_pages_need_a_session() {
    let app = TestApp::spawn().await;
    let (_, me) = app.user("eve@example.com").await;
    let fields: Vec<(&str, &str)> = ANSWERS
        .iter()
        .copied()
        .chain([("action", "save")])
        .collect();
    let forged = post(&app, "/onboarding", &me, &fields).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let skipped = post(&app, "/onboarding/skip", &me, &[]).await;
    assert_eq!(skipped.status, StatusCode::FORBIDDEN);
    assert!(active_goals(&app, &me).await.is_empty());
    assert_eq!(get(&app, "/onboarding", &me).await.status, StatusCode::OK);

    let out = get(&app, "/onboarding", &As::Nobody).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location, "/signin?next=%2Fonboarding");
}

/// A sign-in or register form with fields left out (a script, a broken client) is the page
/// again saying what is missing, not a bare 400; nothing is created.
#[tokio::test]
async fn sign_in_and_register_forms_missing_fields_say_what_is_missing() {
    let app = TestApp::spawn().await;
    let send = |path: &'static str, body: &'static str| {
        app.client
            .post(format!("{}{path}", app.base))
            .header("origin", app.origin())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    for body in ["", "email=ann%40example.com", "password=x", "nonsense"] {
        let r = send("/signin", body).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{body:?}");
        let page = r.text().await.unwrap();
        assert!(
            page.contains("Enter your email and password."),
            "{body:?}: {page}"
        );
    }
    let r = send("/register", "email=ann%40example.com").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("class=\"form-error\" role=\"alert\""),
        "{page}"
    );
    // A refusal names the field as the form labels it, not by its key.
    let r = send(
        "/register",
        "email=ann%40example.com&full_name=+&password=correct+horse+battery",
    )
    .await
    .unwrap();
    let page = r.text().await.unwrap();
    assert!(page.contains("Name: "), "{page}");
    assert!(!page.contains("full_name: "), "{page}");
    // Nothing was created: the address is still free.
    let (location, _) = register_in_browser(&app, "ann@example.com").await;
    assert_eq!(location, "/onboarding");
}

/// Saving onboarding twice with the same form (a double tap, a resubmitted page): the weight
/// is one reading and the second answer goes to Today like the first.
#[tokio::test]
async fn onboarding_saved_twice_keeps_one_weight_reading() {
    let app = TestApp::spawn().await;
    let (_, me) = register_in_browser(&app, "ann@example.com").await;
    let form = get(&app, "/onboarding", &me).await;
    let once = form.once_of("/onboarding");
    let mut fields = with("save", &[]);
    fields.push(("_once", once));
    fields.push(("_csrf", form.csrf()));
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for _ in 0..2 {
        let r = post(&app, "/onboarding", &me, &f).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, "/");
    }
    let weights = app.get("/api/v1/measurements?type=weight", &me).await;
    assert_eq!(
        weights.body["items"].as_array().map(Vec::len),
        Some(1),
        "{:?}",
        weights.body
    );
}
