//! The Goals page: today's progress against the targets, editing the targets, the suggestion
//! with its formula, and the weight goal; a family member sees but cannot change them.

mod common;
mod page_forms;

use common::{As, TestApp};
use page_forms::{get, get_viewing, post, submit};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn active(app: &TestApp, who: &As) -> Vec<Value> {
    let r = app.get("/api/v1/goals?status=active", who).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body.as_array().unwrap().clone()
}

fn target(goals: &[Value], kind: &str) -> Option<f64> {
    goals
        .iter()
        .find(|g| g["type"] == kind)
        .map(|g| g["target_value"].as_f64().unwrap())
}

async fn set_goal(app: &TestApp, who: &As, kind: &str, value: f64) {
    let r = app
        .post(
            "/api/v1/goals",
            who,
            json!({"type": kind, "target_value": value}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

async fn log(app: &TestApp, who: &As, kind: &str, value: f64) {
    let r = app
        .post(
            "/api/v1/measurements",
            who,
            json!({"type": kind, "value": value}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

#[tokio::test]
async fn targets_show_todays_progress_and_are_edited_at_once() {
    let app = TestApp::spawn().await;
    let (_, me) = app.user("ann@example.com").await;
    set_goal(&app, &me, "calorie_target", 2000.0).await;
    set_goal(&app, &me, "carbs_target", 250.0).await;
    set_goal(&app, &me, "water_target", 2500.0).await;
    log(&app, &me, "water", 500.0).await;

    let page = get(&app, "/goals", &me).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("aria-current=\"page\""));
    assert!(page.body.contains("500 ml of 2,500 ml"), "{}", page.body);
    assert!(page
        .body
        .contains("name=\"calorie_target\" inputmode=\"decimal\" value=\"2000\""));
    assert!(page
        .body
        .contains("0 kcal eaten of a 2,000 kcal target today"));
    assert!(page.body.contains("class=\"ring\""));

    let saved = submit(
        &app,
        "/goals",
        "/goals/targets",
        &me,
        &[
            ("calorie_target", "1800"),
            ("protein_target", "120"),
            ("carbs_target", ""),
            ("fat_target", "60,5"),
            ("water_target", "2000"),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location, "/goals");
    let goals = active(&app, &me).await;
    assert_eq!(target(&goals, "calorie_target"), Some(1800.0));
    assert_eq!(target(&goals, "protein_target"), Some(120.0));
    assert_eq!(target(&goals, "fat_target"), Some(60.5));
    assert_eq!(target(&goals, "water_target"), Some(2000.0));
    assert_eq!(
        target(&goals, "carbs_target"),
        None,
        "an emptied field stops the target"
    );
    let paused = app.get("/api/v1/goals?status=paused", &me).await.body;
    assert_eq!(paused[0]["type"], "carbs_target");

    // A post without some fields (a script, a partial form) changes only what it sends; it
    // used to stop every target it left out.
    let saved = submit(
        &app,
        "/goals",
        "/goals/targets",
        &me,
        &[("calorie_target", "1900")],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let goals = active(&app, &me).await;
    assert_eq!(target(&goals, "calorie_target"), Some(1900.0));
    assert_eq!(target(&goals, "protein_target"), Some(120.0));
    assert_eq!(target(&goals, "fat_target"), Some(60.5));
    assert_eq!(target(&goals, "water_target"), Some(2000.0));
}

#[tokio::test]
async fn bad_targets_are_shown_next_to_the_field_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let (_, me) = app.user("bob@example.com").await;
    set_goal(&app, &me, "calorie_target", 2000.0).await;
    for (calories, message) in [
        ("lots", "Enter calories between 1 and 20,000 kcal"),
        ("50000", "Enter calories between 1 and 20,000 kcal"),
    ] {
        let bad = submit(
            &app,
            "/goals",
            "/goals/targets",
            &me,
            &[("calorie_target", calories), ("protein_target", "150")],
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{calories}");
        assert!(bad.body.contains(message), "{}", bad.body);
        assert!(
            bad.body.contains(&format!("value=\"{calories}\"")),
            "what was typed stays"
        );
    }
    let goals = active(&app, &me).await;
    assert_eq!(goals.len(), 1, "{goals:?}");
    assert_eq!(target(&goals, "calorie_target"), Some(2000.0));

    let bad = submit(
        &app,
        "/goals",
        "/goals/weight",
        &me,
        &[("goal_type", "weight_loss"), ("target", "")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Enter a target weight"));
    // A calorie target needs the profile: said next to the box, and the goal is not set.
    let bad = submit(
        &app,
        "/goals",
        "/goals/weight",
        &me,
        &[
            ("goal_type", "weight_loss"),
            ("target", "70"),
            ("with_calorie_target", "1"),
        ],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("complete your profile"), "{}", bad.body);
    assert_eq!(active(&app, &me).await.len(), 1);
}

/// Every daily target's days of the week with their own value: set from the grid, shown
/// open, refused with the problem next to the day (nothing changes), kept by a form without
/// the grid (the suggestion's), and cleared again.
#[tokio::test]
async fn targets_can_differ_on_some_days_of_the_week() {
    let app = TestApp::spawn().await;
    let (_, me) = app.user("cid@example.com").await;
    set_goal(&app, &me, "calorie_target", 2000.0).await;
    let page = get(&app, "/goals", &me).await;
    assert!(
        page.body.contains("Different targets on some days"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<details class=\"weekday-targets\">"));
    assert!(page.body.contains("aria-label=\"Saturday, Protein (g)\""));
    let by_weekday = |goals: &[Value], kind: &str| {
        goals
            .iter()
            .find(|g| g["type"] == kind)
            .map(|g| g["by_weekday"].clone())
    };

    let saved = submit(
        &app,
        "/goals",
        "/goals/targets",
        &me,
        &[
            ("weekdays", "1"),
            ("calorie_target", "2000"),
            ("cal_saturday", "2600"),
            ("cal_sunday", "2450"),
            ("protein_target", "120"),
            ("protein_saturday", "150"),
            ("water_target", "2000"),
            ("water_wednesday", "3000"),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let calories = json!({"saturday": 2600.0, "sunday": 2450.0});
    let goals = active(&app, &me).await;
    assert_eq!(by_weekday(&goals, "calorie_target"), Some(calories.clone()));
    assert_eq!(
        by_weekday(&goals, "protein_target"),
        Some(json!({"saturday": 150.0}))
    );
    assert_eq!(
        by_weekday(&goals, "water_target"),
        Some(json!({"wednesday": 3000.0}))
    );
    let page = get(&app, "/goals", &me).await;
    assert!(page
        .body
        .contains("<details class=\"weekday-targets\" open>"));
    for (field, value) in [
        ("cal_saturday", "2600"),
        ("protein_saturday", "150"),
        ("water_wednesday", "3000"),
    ] {
        assert!(
            page.body.contains(&format!(
                "name=\"{field}\" inputmode=\"decimal\" value=\"{value}\""
            )),
            "{field}"
        );
    }

    for (day, typed, problem) in [
        (
            "cal_monday",
            "lots",
            "Enter calories between 1 and 20,000 kcal, or leave the day empty",
        ),
        (
            "cal_monday",
            "0",
            "Enter calories between 1 and 20,000 kcal, or leave the day empty",
        ),
        (
            "cal_friday",
            "90000",
            "Enter calories between 1 and 20,000 kcal, or leave the day empty",
        ),
        (
            "fat_tuesday",
            "5000",
            "Enter grams of fat up to 2,000 or a share of the calories such as 30 %, or leave the day empty",
        ),
    ] {
        let bad = submit(
            &app,
            "/goals",
            "/goals/targets",
            &me,
            &[
                ("weekdays", "1"),
                ("calorie_target", "2000"),
                ("fat_target", "70"),
                (day, typed),
                ("cal_saturday", "2600"),
            ],
        )
        .await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{day}={typed}"
        );
        assert!(bad.body.contains(problem), "{}", bad.body);
        assert!(
            bad.body.contains(&format!(
                "name=\"{day}\" inputmode=\"decimal\" value=\"{typed}\" aria-label="
            )),
            "what was typed stays"
        );
        assert!(bad.body.contains(&format!("aria-describedby=\"e-{day}\"")));
        let goals = active(&app, &me).await;
        assert_eq!(by_weekday(&goals, "calorie_target"), Some(calories.clone()));
        assert_eq!(target(&goals, "fat_target"), None, "nothing was written");
    }

    // A day of its own without a usual target would be dropped unseen: refused.
    let bad = submit(
        &app,
        "/goals",
        "/goals/targets",
        &me,
        &[
            ("weekdays", "1"),
            ("calorie_target", "2000"),
            ("carbs_saturday", "300"),
        ],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(
        bad.body.contains("Days of their own need a usual target"),
        "{}",
        bad.body
    );
    assert_eq!(target(&active(&app, &me).await, "carbs_target"), None);

    // The suggestion's form has no grid: the days stay.
    let kept = submit(
        &app,
        "/goals",
        "/goals/targets",
        &me,
        &[("calorie_target", "2100"), ("protein_target", "125")],
    )
    .await;
    assert_eq!(kept.status, StatusCode::SEE_OTHER, "{}", kept.body);
    let goals = active(&app, &me).await;
    assert_eq!(target(&goals, "calorie_target"), Some(2100.0));
    assert_eq!(by_weekday(&goals, "calorie_target"), Some(calories.clone()));
    assert_eq!(
        by_weekday(&goals, "protein_target"),
        Some(json!({"saturday": 150.0}))
    );

    // All days empty: the same targets every day again.
    let saved = submit(
        &app,
        "/goals",
        "/goals/targets",
        &me,
        &[
            ("weekdays", "1"),
            ("calorie_target", "2100"),
            ("protein_target", "125"),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let goals = active(&app, &me).await;
    assert_eq!(target(&goals, "calorie_target"), Some(2100.0));
    assert_eq!(by_weekday(&goals, "calorie_target"), Some(Value::Null));
    assert_eq!(by_weekday(&goals, "protein_target"), Some(Value::Null));
}

#[tokio::test]
async fn a_weight_goal_is_set_shown_and_completed() {
    let app = TestApp::spawn().await;
    let (_, me) = app.user("cy@example.com").await;
    log(&app, &me, "weight", 80.0).await;
    let page = get(&app, "/goals", &me).await;
    assert!(page.body.contains("No weight goal set"));
    let set = submit(
        &app,
        "/goals",
        "/goals/weight",
        &me,
        &[
            ("goal_type", "weight_loss"),
            ("target", "75"),
            ("target_date", "2030-01-31"),
        ],
    )
    .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
    let goals = active(&app, &me).await;
    assert_eq!(target(&goals, "weight_loss"), Some(75.0));
    let page = get(&app, "/goals", &me).await;
    assert!(page.body.contains("Lose weight"));
    assert!(
        page.body.contains("80 kg") && page.body.contains("75 kg"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Target date: Thu 31 Jan 2030"));
    let id = goals[0]["id"].as_str().unwrap();
    let done = submit(
        &app,
        "/goals",
        &format!("/goals/{id}/status"),
        &me,
        &[("status", "completed")],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let goal = app.get(&format!("/api/v1/goals/{id}"), &me).await.body;
    assert_eq!(goal["status"], "completed");
    assert!(get(&app, "/goals", &me)
        .await
        .body
        .contains("No weight goal set"));
}

#[tokio::test]
async fn the_suggestion_is_the_apis_with_its_formula_and_can_be_adopted() {
    let app = TestApp::spawn().await;
    let (_, me) = app.user("dee@example.com").await;
    let bare = get(&app, "/goals?direction=lose", &me).await;
    assert!(bare.body.contains("Sparky needs"));
    assert!(bare.body.contains("your sex") && bare.body.contains("your height"));

    let r = app
        .put("/api/v1/profile", &me, json!({"sex": "male", "birth_date": "1985-01-10", "height_cm": 182, "activity_level": "light"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    log(&app, &me, "weight", 90.0).await;
    set_goal(&app, &me, "water_target", 3000.0).await;
    let api = app
        .get("/api/v1/goals/suggest?weekly_change_kg=-0.5", &me)
        .await
        .body;
    let kcal = api["target_calories"].as_f64().unwrap().round();
    let page = get(&app, "/goals?direction=lose", &me).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Mifflin-St Jeor BMR"), "{}", page.body);
    assert!(page.body.contains("× activity 1.375"));
    assert!(
        page.body
            .contains(&format!("name=\"calorie_target\" value=\"{kcal}\"")),
        "{}",
        page.body
    );

    let adopted = submit(
        &app,
        "/goals",
        "/goals/targets",
        &me,
        &[
            ("calorie_target", &kcal.to_string()),
            ("protein_target", "162"),
            ("carbs_target", "200"),
            ("fat_target", "60"),
            ("water_target", "3000"),
        ],
    )
    .await;
    assert_eq!(adopted.status, StatusCode::SEE_OTHER);
    let goals = active(&app, &me).await;
    assert_eq!(target(&goals, "calorie_target"), Some(kcal));
    assert_eq!(target(&goals, "water_target"), Some(3000.0));
}

#[tokio::test]
async fn a_family_member_sees_the_goals_without_the_forms() {
    let app = TestApp::spawn().await;
    let (eve_id, eve) = app.user("eve@example.com").await;
    let (_, fay) = app.user("fay@example.com").await;
    let (_, gus) = app.user("gus@example.com").await;
    set_goal(&app, &eve, "calorie_target", 2100.0).await;
    set_goal(&app, &eve, "water_target", 2000.0).await;
    log(&app, &eve, "water", 1500.0).await;
    for (who, access) in [
        ("fay@example.com", "calorie"),
        ("gus@example.com", "checkin"),
    ] {
        let r = app
            .post(
                "/api/v1/family-access",
                &eve,
                json!({"grantee_email": who, "access_type": access}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let page = get_viewing(&app, "/goals", &fay, &eve_id).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("2100 kcal"), "{}", page.body);
    assert!(page
        .body
        .contains("0 kcal eaten of a 2,100 kcal target today"));
    assert!(!page.body.contains("action=\"/goals/targets\""));
    assert!(!page.body.contains("action=\"/goals/weight\""));
    assert!(!page.body.contains("id=\"suggest\""));
    // A diary share does not open the weight goal: the page says so, and whose targets these are.
    assert!(
        page.body.contains("weight goal is not shared with you"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("No weight goal set"), "{}", page.body);
    // Water is a measurement, not part of a diary share: unknown, not "0 ml".
    assert!(!page.body.contains("0 ml of"), "{}", page.body);
    assert!(page.body.contains("Not shared with you"), "{}", page.body);
    assert!(
        page.body
            .contains("Today against Test Person&#39;s targets"),
        "{}",
        page.body
    );
    // The daily targets are not part of a check-in grant (it shows weight goals only): RLS
    // hides them.
    let hidden = get_viewing(&app, "/goals", &gus, &eve_id).await;
    assert_eq!(hidden.status, StatusCode::OK);
    assert!(!hidden.body.contains("2100"), "{}", hidden.body);
    assert!(!hidden.body.contains("2,100"), "{}", hidden.body);
    assert!(
        hidden.body.contains("No weight goal set"),
        "{}",
        hidden.body
    );
    // Nor does it say she ate nothing or has no targets: those are not shared.
    assert!(!hidden.body.contains("kcal eaten"), "{}", hidden.body);
    assert!(!hidden.body.contains("no target"), "{}", hidden.body);
    assert!(
        hidden
            .body
            .contains("diary and daily targets are not shared with you"),
        "{}",
        hidden.body
    );
}

#[tokio::test]
async fn writes_need_the_token_and_pages_need_a_session() {
    let app = TestApp::spawn().await;
    let (_, me) = app.user("hal@example.com").await;
    for path in ["/goals/targets", "/goals/weight"] {
        let r = post(
            &app,
            path,
            &me,
            &[
                ("calorie_target", "1000"),
                ("goal_type", "weight_loss"),
                ("target", "70"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert!(active(&app, &me).await.is_empty());
    let out = get(&app, "/goals", &As::Nobody).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location, "/signin?next=%2Fgoals");
}

/// What Goals says is left counts the exercise that counts, as Today and the summary do.
#[tokio::test]
async fn goals_leave_what_today_leaves() {
    let app = TestApp::spawn().await;
    let (_, me) = app.user("ann@example.com").await;
    set_goal(&app, &me, "calorie_target", 2000.0).await;
    let r = app
        .post(
            "/api/v1/diary/quick-add",
            &me,
            json!({"meal_type": "lunch", "name": "Lunch", "nutrients": {"calories": 500}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let e = app
        .post(
            "/api/v1/exercises",
            &me,
            json!({"name": "Rowing", "category": "cardio", "met_value": 7}),
        )
        .await;
    let w = app
        .post(
            "/api/v1/workouts",
            &me,
            json!({"exercise_id": e.body["id"], "duration_minutes": 30, "calories_burned": 300}),
        )
        .await;
    assert_eq!(w.status, StatusCode::CREATED, "{:?}", w.body);
    let summary = app.get("/api/v1/summary/today", &me).await;
    assert_eq!(summary.body["remaining"]["calories"], json!(1800.0));
    let page = get(&app, "/goals", &me).await;
    assert!(page.body.contains(">1,800<"), "{}", page.body);
    assert!(!page.body.contains(">1,500<"), "{}", page.body);

    // Past the target but within target + exercise: the ring is not drawn "over".
    let r = app
        .post(
            "/api/v1/diary/quick-add",
            &me,
            json!({"meal_type": "dinner", "name": "Dinner", "nutrients": {"calories": 1700}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let page = get(&app, "/goals", &me).await;
    assert!(page.body.contains(">100<"), "{}", page.body);
    assert!(page.body.contains("class=\"eaten\""), "{}", page.body);
    assert!(!page.body.contains("class=\"over\""), "{}", page.body);
}

/// A paused weight goal stays on the page with Resume (it vanished, with no way back).
#[tokio::test]
async fn a_paused_weight_goal_can_be_resumed() {
    let app = TestApp::spawn().await;
    let (_, me) = app.user("ann@example.com").await;
    log(&app, &me, "weight", 80.0).await;
    let r = app
        .post(
            "/api/v1/goals",
            &me,
            json!({"type": "weight_loss", "target_value": 70, "target_unit": "kg"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    let paused = submit(
        &app,
        "/goals",
        &format!("/goals/{id}/status"),
        &me,
        &[("status", "paused")],
    )
    .await;
    assert_eq!(paused.status, StatusCode::SEE_OTHER, "{}", paused.body);
    let page = get(&app, "/goals", &me).await;
    assert!(page.body.contains("Paused · target 70 kg"), "{}", page.body);
    assert!(page.body.contains(">Resume</button>"), "{}", page.body);
    let resumed = submit(
        &app,
        "/goals",
        &format!("/goals/{id}/status"),
        &me,
        &[("status", "active")],
    )
    .await;
    assert_eq!(resumed.status, StatusCode::SEE_OTHER, "{}", resumed.body);
    assert_eq!(target(&active(&app, &me).await, "weight_loss"), Some(70.0));
    let page = get(&app, "/goals", &me).await;
    assert!(!page.body.contains("Paused · target"), "{}", page.body);
}

/// Saving the targets form changes only what was changed: a field still showing the stored
/// target rounded (an imperial user's 2000 ml as 67.6 fl oz, 124.15 g protein as 124, a
/// weekday's own water) keeps the exact stored value; a changed one is read in the user's unit.
#[tokio::test]
async fn saving_keeps_the_targets_that_were_not_touched() {
    let app = TestApp::spawn().await;
    let (_, me) = app.user("ivy@example.com").await;
    let r = app
        .put(
            "/api/v1/preferences",
            &me,
            json!({"units_system": "imperial"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    set_goal(&app, &me, "calorie_target", 1800.0).await;
    set_goal(&app, &me, "protein_target", 124.15).await;
    let r = app
        .post(
            "/api/v1/goals",
            &me,
            json!({"type": "water_target", "target_value": 2000,
                   "by_weekday": {"saturday": 2500}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let page = get(&app, "/goals", &me).await;
    assert!(page.body.contains("value=\"67.6\""), "{}", page.body);
    assert!(page.body.contains("value=\"84.5\""), "{}", page.body);
    assert!(page.body.contains("value=\"124\""), "{}", page.body);

    let saved = submit(
        &app,
        "/goals",
        "/goals/targets",
        &me,
        &[
            ("calorie_target", "1900"),
            ("protein_target", "124"),
            ("carbs_target", ""),
            ("fat_target", ""),
            ("water_target", "67.6"),
            ("weekdays", "1"),
            ("water_saturday", "84.5"),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let goals = active(&app, &me).await;
    assert_eq!(target(&goals, "calorie_target"), Some(1900.0));
    assert_eq!(target(&goals, "protein_target"), Some(124.15));
    assert_eq!(target(&goals, "water_target"), Some(2000.0));
    let water = goals.iter().find(|g| g["type"] == "water_target").unwrap();
    assert_eq!(water["by_weekday"]["saturday"], 2500.0, "{water}");

    // A changed value is taken in fl oz.
    let saved = submit(
        &app,
        "/goals",
        "/goals/targets",
        &me,
        &[("water_target", "64")],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let water = target(&active(&app, &me).await, "water_target").unwrap();
    assert!((water - 1892.7).abs() < 0.1, "{water}");
}

/// Protein, carbs and fat may be typed as a share of the calories ("30 %"): stored as the
/// whole grams of the calorie target set with them (a day's share, of that day's calories),
/// and shown as a share again. A share without calories, or outside 1-100 %, is refused.
#[tokio::test]
async fn macro_targets_are_typed_as_a_share_of_the_calories() {
    let app = TestApp::spawn().await;
    let (_, me) = app.user("dee@example.com").await;
    let saved = submit(
        &app,
        "/goals",
        "/goals/targets",
        &me,
        &[
            ("weekdays", "1"),
            ("calorie_target", "2000"),
            ("cal_saturday", "2400"),
            ("protein_target", "30 %"),
            ("carbs_target", "45%"),
            ("fat_target", "25 %"),
            ("carbs_saturday", "50 %"),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let goals = active(&app, &me).await;
    // 30 % of 2000 kcal at 4 kcal/g; 45 % at 4; 25 % at 9 (55.6 g, kept whole).
    assert_eq!(target(&goals, "protein_target"), Some(150.0));
    assert_eq!(target(&goals, "carbs_target"), Some(225.0));
    assert_eq!(target(&goals, "fat_target"), Some(56.0));
    let carbs = goals.iter().find(|g| g["type"] == "carbs_target").unwrap();
    // Saturday's half of its own 2400 kcal.
    assert_eq!(carbs["by_weekday"], json!({"saturday": 300.0}));

    // Shown in grams with their share.
    let page = get(&app, "/goals", &me).await;
    assert!(
        page.body
            .contains("name=\"protein_target\" inputmode=\"decimal\" value=\"150\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("30 % of calories"), "{}", page.body);
    assert!(page.body.contains("45 % of calories"), "{}", page.body);

    // A new calorie target in the same form is what the share is of.
    let saved = submit(
        &app,
        "/goals",
        "/goals/targets",
        &me,
        &[("calorie_target", "1800"), ("protein_target", "40%")],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(
        target(&active(&app, &me).await, "protein_target"),
        Some(180.0)
    );

    // Refused, nothing changed: out of range, not a number, no calories to take it of.
    for (fields, problem) in [
        (
            vec![("calorie_target", "1800"), ("fat_target", "120 %")],
            "a share of the calories such as 30 %",
        ),
        (
            vec![("calorie_target", "1800"), ("fat_target", "lots %")],
            "a share of the calories such as 30 %",
        ),
        (
            vec![("calorie_target", ""), ("fat_target", "30 %")],
            "A share of the calories needs a calorie target",
        ),
    ] {
        let bad = submit(&app, "/goals", "/goals/targets", &me, &fields).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert!(bad.body.contains(problem), "{fields:?}: {}", bad.body);
        let goals = active(&app, &me).await;
        assert_eq!(target(&goals, "calorie_target"), Some(1800.0));
        assert_eq!(target(&goals, "fat_target"), Some(56.0));
    }
}
