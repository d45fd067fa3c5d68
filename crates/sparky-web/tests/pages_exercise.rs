//! The exercise page (`/exercise`) as a browser without JavaScript uses it: catalog search
//! with filters, logging strength sets and cardio in the user's units, the calorie estimate,
//! the history by day, personal records, deleting; bad input re-renders the form and stores
//! nothing; CSRF, sign-in and family grants.

mod common;
mod pages_kit;

use common::{As, TestApp};
use pages_kit::{get, grant, post, token};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn exercise_id(app: &TestApp, who: &As, q: &str) -> String {
    let r = app
        .get(&format!("/api/v1/exercises?q={}", q.replace(' ', "+")), who)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["items"][0]["id"].as_str().unwrap().to_string()
}

async fn workouts(app: &TestApp, who: &As, date: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/workouts/{date}"), who).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["entries"].as_array().unwrap().clone()
}

async fn today(app: &TestApp, who: &As) -> String {
    let r = app.get("/api/v1/workouts/today", who).await;
    r.body["date"]
        .as_str()
        .unwrap_or_else(|| panic!("{:?}", r.body))
        .to_string()
}

#[tokio::test]
async fn the_catalog_is_searched_with_filters() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let page = get(&app, "/exercise?q=bench+press", &ann, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Bench press") || page.body.contains("bench press"),
        "{}",
        page.body
    );
    // The filters offer what the catalog holds.
    assert!(page.body.contains("<option value=\"biceps\""));
    assert!(page.body.contains("<option value=\"barbell\""));
    assert!(page.body.contains("<option value=\"cardio\""));

    // The fragment htmx asks for, filtered: only cardio, only dumbbell curls for biceps.
    let r = get(&app, "/exercise/search?category=cardio", &ann, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Cardio"));
    assert!(!r.body.contains("Strength"), "{}", r.body);
    let r = get(
        &app,
        "/exercise/search?muscle=biceps&equipment=dumbbell",
        &ann,
        None,
    )
    .await;
    assert!(r.body.contains("curl"), "{}", r.body);
    assert!(!r.body.contains("barbell"), "{}", r.body);
    let r = get(&app, "/exercise/search?q=zzzzqqqq", &ann, None).await;
    assert!(r.body.contains("No exercise matches"));
}

#[tokio::test]
async fn strength_sets_and_cardio_are_logged_with_records_and_history() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
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
            json!({"type": "weight", "value": 176, "date": "2026-11-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let bench = exercise_id(&app, &ann, "bench press").await;

    // The form: sets in lb, and a calorie estimate at Ann's weight.
    let form = get(
        &app,
        &format!("/exercise/log/{bench}?date=2026-11-20"),
        &ann,
        None,
    )
    .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"reps_1\""));
    assert!(form.body.contains("placeholder=\"lb\""));
    assert!(
        form.body.contains("per 30 minutes at 176 lb"),
        "{}",
        form.body
    );
    let csrf = form.csrf();
    let est = get(
        &app,
        &format!("/exercise/estimate?exercise_id={bench}&duration=60"),
        &ann,
        None,
    )
    .await;
    assert!(est.body.contains("for 60 min at 176 lb"), "{}", est.body);

    let r = post(
        &app,
        "/exercise/log",
        &ann,
        None,
        Some(&csrf),
        &[
            ("exercise_id", &bench),
            ("date", "2026-11-20"),
            ("reps_1", "10"),
            ("weight_1", "135"),
            ("reps_2", "8"),
            ("weight_2", "155"),
            ("reps_3", ""),
            ("weight_3", ""),
            ("duration", "40"),
            ("notes", "paused <reps>"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location, "/exercise?date=2026-11-20");
    let logged = workouts(&app, &ann, "2026-11-20").await;
    assert_eq!(logged.len(), 1);
    // A date that is not one, or out of range, is a 422 naming it: not today's workout.
    for bad in ["2026-02-30", "2200-01-01", "garbage"] {
        let r = post(
            &app,
            "/exercise/log",
            &ann,
            None,
            Some(&csrf),
            &[
                ("exercise_id", &bench),
                ("date", bad),
                ("reps_1", "10"),
                ("weight_1", "135"),
            ],
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.body
        );
        assert!(r.body.contains("date"), "{}", r.body);
    }
    let stored: i64 = app
        .db
        .owner_client()
        .await
        .query_one("SELECT count(*) FROM exercise_diary", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 1, "nothing stored for a bad date");
    assert_eq!(logged[0]["sets"].as_array().unwrap().len(), 2);
    assert_eq!(logged[0]["sets"][1]["weight"], json!(155.0));
    assert_eq!(logged[0]["sets"][1]["unit"], "lb");
    assert!(logged[0]["calories_burned"].as_f64().unwrap() > 0.0);

    // Cardio: distance in miles.
    let run = exercise_id(&app, &ann, "running").await;
    let form = get(&app, &format!("/exercise/log/{run}"), &ann, None).await;
    assert!(form.body.contains("Distance (mi)"), "{}", form.body);
    let today = today(&app, &ann).await;
    let r = post(
        &app,
        "/exercise/log",
        &ann,
        None,
        Some(&csrf),
        &[
            ("exercise_id", &run),
            ("date", &today),
            ("duration", "30"),
            ("distance", "3.1"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let logged = workouts(&app, &ann, &today).await;
    assert_eq!(logged[0]["distance"], json!(3.1));
    assert_eq!(logged[0]["distance_unit"], "mi");

    // The page: today's run in the history with its kcal, records of both.
    let page = get(&app, "/exercise", &ann, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("30 min · 3.1 mi"), "{}", page.body);
    // A workout's notes show when it is opened, escaped.
    assert!(
        page.body
            .contains("<p class=\"notes small\">paused &#60;reps&#62;</p>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Longest distance"));
    assert!(page.body.contains("3.1 mi"));
    assert!(page.body.contains("Fastest pace"));
    assert!(page.body.contains("9:41 /mi"), "{}", page.body);

    // Delete the run.
    let id = logged[0]["id"].as_str().unwrap();
    let r = post(
        &app,
        &format!("/exercise/workout/{id}/delete"),
        &ann,
        None,
        Some(&csrf),
        &[("confirm", "yes")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(workouts(&app, &ann, &today).await.is_empty());

    // A form left open in pounds and miles while the units changed to metric keeps them: the
    // form sends the units it showed.
    assert!(form.body.contains("name=\"weight_unit\" value=\"lb\""));
    assert!(form.body.contains("name=\"distance_unit\" value=\"mi\""));
    let r = app
        .put(
            "/api/v1/preferences",
            &ann,
            json!({"units_system": "metric"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    for (exercise, fields) in [
        (&bench, vec![("reps_1", "5"), ("weight_1", "225")]),
        // As a stopwatch shows it: 59 min 40 s, kept to the second (60 minutes rounded).
        (&run, vec![("duration", "59:40"), ("distance", "6.2")]),
    ] {
        let mut fields = fields;
        fields.extend([
            ("exercise_id", exercise.as_str()),
            ("date", today.as_str()),
            ("weight_unit", "lb"),
            ("distance_unit", "mi"),
        ]);
        let r = post(&app, "/exercise/log", &ann, None, Some(&csrf), &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let logged = workouts(&app, &ann, &today).await;
    let set = logged
        .iter()
        .find_map(|w| w["sets"].as_array().filter(|s| !s.is_empty()))
        .expect("the bench press sets");
    // 225 lb, shown now in kg.
    assert_eq!(set[0]["unit"], "kg");
    assert_eq!(set[0]["weight"], json!(102.058283), "{set:?}");
    let ran = logged.iter().find(|w| !w["distance"].is_null()).unwrap();
    assert_eq!(ran["distance_unit"], "km");
    let km = ran["distance"].as_f64().unwrap();
    assert!((km - 9.978).abs() < 0.01, "6.2 mi is 9.978 km, got {km}");
    assert_eq!(ran["duration_minutes"], 60, "{ran}");
    assert_eq!(ran["duration_seconds"], 3580, "{ran}");
    // The day's list and the edit form show it as typed.
    let page = get(&app, &format!("/exercise?date={today}"), &ann, None).await;
    assert!(page.body.contains("59:40"), "{}", page.body);
    let edit = get(
        &app,
        &format!("/exercise/workout/{}/edit", ran["id"].as_str().unwrap()),
        &ann,
        None,
    )
    .await;
    assert_eq!(edit.status, StatusCode::OK, "{}", edit.body);
    assert!(edit.body.contains("value=\"59:40\""), "{}", edit.body);
    let est = get(
        &app,
        &format!("/exercise/estimate?exercise_id={run}&duration=25:34"),
        &ann,
        None,
    )
    .await;
    assert!(est.body.contains("for 25:34 at"), "{}", est.body);
    // A refused form is shown again in the units it was typed in.
    let r = post(
        &app,
        "/exercise/log",
        &ann,
        None,
        Some(&csrf),
        &[
            ("exercise_id", &bench),
            ("reps_1", "x"),
            ("weight_1", "100"),
            ("weight_unit", "lb"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("placeholder=\"lb\""), "{}", r.body);
}

#[tokio::test]
async fn records_show_the_heaviest_set() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let bench = exercise_id(&app, &ann, "bench press").await;
    let csrf = token(&app, &ann, "/checkin").await;
    let today = today(&app, &ann).await;
    for (reps, kg) in [("5", "100"), ("3", "105")] {
        let r = post(
            &app,
            "/exercise/log",
            &ann,
            None,
            Some(&csrf),
            &[
                ("exercise_id", &bench),
                ("date", &today),
                ("reps_1", reps),
                ("weight_1", kg),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let page = get(&app, "/exercise", &ann, None).await;
    assert!(page.body.contains("Heaviest set"));
    assert!(page.body.contains("105 kg × 3"), "{}", page.body);
    assert!(page.body.contains("Best estimated 1-rep max"));
    assert!(
        page.body.contains("116.7 kg"),
        "Epley 100 × 35/30: {}",
        page.body
    );
}

#[tokio::test]
async fn bad_input_re_renders_the_form_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let bench = exercise_id(&app, &ann, "bench press").await;
    let csrf = token(&app, &ann, "/checkin").await;
    let today = today(&app, &ann).await;
    // Not numbers.
    let r = post(
        &app,
        "/exercise/log",
        &ann,
        None,
        Some(&csrf),
        &[
            ("exercise_id", &bench),
            ("date", &today),
            ("reps_1", "ten"),
            ("weight_1", "60"),
            ("duration", "half an hour"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Enter whole reps"));
    assert!(r
        .body
        .contains("Enter minutes (30), minutes and seconds (25:40)"));
    assert!(r.body.contains("value=\"ten\""));
    assert!(r.body.contains("value=\"half an hour\""));
    // Out of range (the application layer's check), named at the second filled row.
    let r = post(
        &app,
        "/exercise/log",
        &ann,
        None,
        Some(&csrf),
        &[
            ("exercise_id", &bench),
            ("date", &today),
            ("reps_1", "5"),
            ("weight_1", "60"),
            ("reps_3", "5"),
            ("weight_3", "9000"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("must be between 0 and 5000"), "{}", r.body);
    let at = r.body.find("id=\"weight-3\"").unwrap();
    assert!(
        r.body[at..].find("must be between").unwrap() < 400,
        "error next to set 3"
    );
    // Nothing at all.
    let r = post(
        &app,
        "/exercise/log",
        &ann,
        None,
        Some(&csrf),
        &[("exercise_id", &bench), ("date", &today)],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("give sets, a duration"), "{}", r.body);
    // Only zeros: nothing was done either.
    let r = post(
        &app,
        "/exercise/log",
        &ann,
        None,
        Some(&csrf),
        &[
            ("exercise_id", &bench),
            ("date", &today),
            ("duration", "0"),
            ("calories", "0"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("give sets, a duration"), "{}", r.body);
    assert!(workouts(&app, &ann, &today).await.is_empty());
}

#[tokio::test]
async fn writes_need_the_token_and_pages_need_a_session() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let bench = exercise_id(&app, &ann, "bench press").await;
    let r = post(
        &app,
        "/exercise/log",
        &ann,
        None,
        None,
        &[("exercise_id", &bench), ("duration", "30")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(workouts(&app, &ann, "today").await.is_empty());
    let r = get(&app, "/exercise", &As::Nobody, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location, "/signin?next=%2Fexercise");
}

#[tokio::test]
async fn family_members_log_only_with_the_calorie_grant() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let (_, cat) = app.user("cat@example.com").await;
    grant(&app, &ann, "bob@example.com", "calorie").await;
    grant(&app, &ann, "cat@example.com", "checkin").await;
    let bench = exercise_id(&app, &ann, "bench press").await;

    // Bob logs for Ann.
    let page = get(&app, "/exercise", &bob, Some(&ann_id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("/exercise/log/"),
        "results link to the log form"
    );
    let csrf = page.csrf();
    let r = post(
        &app,
        "/exercise/log",
        &bob,
        Some(&ann_id),
        Some(&csrf),
        &[("exercise_id", &bench), ("reps_1", "5"), ("weight_1", "80")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(workouts(&app, &ann, "today").await.len(), 1);
    let page = get(&app, "/exercise", &bob, Some(&ann_id)).await;
    assert!(page.body.contains("5 × 80 kg"));
    assert!(page.body.contains("/delete"));

    // Cat (check-ins only) sees no diary and cannot log: RLS refuses a crafted post.
    let page = get(&app, "/exercise", &cat, Some(&ann_id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("not shared with you"));
    assert!(!page.body.contains("/exercise/log/"));
    assert!(!page.body.contains("5 × 80 kg"));
    let csrf = page.csrf();
    let r = post(
        &app,
        "/exercise/log",
        &cat,
        Some(&ann_id),
        Some(&csrf),
        &[("exercise_id", &bench), ("reps_1", "5")],
    )
    .await;
    assert!(
        r.status == StatusCode::FORBIDDEN || r.status == StatusCode::NOT_FOUND,
        "{}",
        r.status
    );
    assert_eq!(workouts(&app, &ann, "today").await.len(), 1);
}

#[tokio::test]
async fn more_set_rows_keeps_what_was_typed_and_logs_every_set() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let bench = exercise_id(&app, &ann, "bench press").await;
    let form = get(&app, &format!("/exercise/log/{bench}"), &ann, None).await;
    assert!(form.body.contains("name=\"reps_6\""));
    assert!(!form.body.contains("name=\"reps_7\""));
    let csrf = form.csrf();
    let today = today(&app, &ann).await;

    // Six sets typed, then "More set rows": the form comes back with nine rows, the six sets
    // still in it, the cursor in row 7, and nothing logged yet.
    let mut fields: Vec<(String, String)> = vec![
        ("exercise_id".into(), bench.clone()),
        ("date".into(), today.clone()),
        ("set_rows".into(), "6".into()),
        ("add_sets".into(), "1".into()),
    ];
    for n in 1..=6 {
        fields.push((format!("reps_{n}"), "5".into()));
        fields.push((format!("weight_{n}"), format!("{}", 60 + n * 5)));
    }
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let r = post(&app, "/exercise/log", &ann, None, Some(&csrf), &borrowed).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("name=\"reps_9\""), "{}", r.body);
    assert!(!r.body.contains("name=\"reps_10\""));
    assert!(r.body.contains("name=\"set_rows\" value=\"9\""));
    assert!(r.body.contains("id=\"weight-6\" name=\"weight_6\" inputmode=\"decimal\" autocomplete=\"off\" placeholder=\"kg\" value=\"90\""), "{}", r.body);
    assert!(r.body.contains("name=\"reps_7\" autofocus"));
    assert!(
        workouts(&app, &ann, &today).await.is_empty(),
        "nothing logged yet"
    );

    // Eight sets logged from the nine rows.
    fields.retain(|(k, _)| k != "add_sets" && k != "set_rows");
    fields.push(("set_rows".into(), "9".into()));
    fields.push(("reps_7".into(), "3".into()));
    fields.push(("weight_7".into(), "100".into()));
    fields.push(("reps_8".into(), "2".into()));
    fields.push(("weight_8".into(), "105".into()));
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let r = post(&app, "/exercise/log", &ann, None, Some(&csrf), &borrowed).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let logged = workouts(&app, &ann, &today).await;
    assert_eq!(logged.len(), 1);
    let sets = logged[0]["sets"].as_array().unwrap();
    assert_eq!(sets.len(), 8);
    assert_eq!(sets[7]["weight"], json!(105.0));

    // The rows stop growing at 30, and a forged row count cannot go past that.
    let r = post(
        &app,
        "/exercise/log",
        &ann,
        None,
        Some(&csrf),
        &[
            ("exercise_id", &bench),
            ("date", &today),
            ("set_rows", "29"),
            ("add_sets", "1"),
        ],
    )
    .await;
    assert!(r.body.contains("name=\"reps_30\""));
    assert!(!r.body.contains("name=\"reps_31\""));
    assert!(
        !r.body.contains("name=\"add_sets\""),
        "no more rows offered at the limit"
    );
    let r = post(
        &app,
        "/exercise/log",
        &ann,
        None,
        Some(&csrf),
        &[
            ("exercise_id", &bench),
            ("date", &today),
            ("set_rows", "5000"),
            ("add_sets", "1"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("name=\"reps_31\""));
}

/// A viewer whose grant does not open the exercise diary is told so on the records card too,
/// not that the person has no records.
#[tokio::test]
async fn records_not_shared_say_so() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, cat) = app.user("cat@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let run = exercise_id(&app, &ann, "running").await;
    let date = today(&app, &ann).await;
    let r = app
        .post(
            "/api/v1/workouts",
            &ann,
            json!({"exercise_id": run, "date": date, "duration_minutes": 30,
                   "distance": 5, "distance_unit": "km"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    grant(&app, &ann, "cat@example.com", "checkin").await;
    grant(&app, &ann, "bob@example.com", "calorie").await;
    let page = get(&app, "/exercise", &cat, Some(&ann_id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("Records appear here once"),
        "{}",
        page.body
    );
    assert_eq!(
        page.body
            .matches("This exercise diary is not shared with you.")
            .count(),
        2,
        "{}",
        page.body
    );
    let page = get(&app, "/exercise", &bob, Some(&ann_id)).await;
    assert!(page.body.contains("Longest distance"), "{}", page.body);
}

/// A workout is changed on the page: its form comes filled in the owner's units, the sets
/// typed replace its sets, a cleared value is cleared, and a bad value is shown again with
/// nothing changed.
#[tokio::test]
async fn a_workout_is_changed_on_its_form() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let bench = exercise_id(&app, &ann, "bench press").await;
    let r = app
        .post(
            "/api/v1/workouts",
            &ann,
            json!({"exercise_id": bench, "date": "2026-11-20", "duration_minutes": 40,
                   "calories_burned": 250, "notes": "heavy",
                   "sets": [{"reps": 10, "weight": 60}, {"reps": 8, "weight": 65}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();

    let form = get(&app, &format!("/exercise/workout/{id}/edit"), &ann, None).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    for filled in [
        format!("action=\"/exercise/workout/{id}\""),
        "name=\"reps_2\"".into(),
        "value=\"65\"".into(),
        "id=\"lg-dur\" name=\"duration\"".into(),
        "value=\"250\"".into(),
        ">heavy</textarea>".into(),
    ] {
        assert!(form.body.contains(&filled), "{filled}: {}", form.body);
    }
    let csrf = form.csrf();

    // Three sets now, no calories typed (back to the estimate), another day.
    let r = post(
        &app,
        &format!("/exercise/workout/{id}"),
        &ann,
        None,
        Some(&csrf),
        &[
            ("exercise_id", bench.as_str()),
            ("date", "2026-11-21"),
            ("set_rows", "6"),
            ("reps_1", "10"),
            ("weight_1", "60"),
            ("reps_2", "8"),
            ("weight_2", "67.5"),
            ("reps_3", "6"),
            ("weight_3", "70"),
            ("duration", "45"),
            ("calories", ""),
            ("notes", "felt strong"),
            ("weight_unit", "kg"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location, "/exercise?date=2026-11-21");
    assert!(workouts(&app, &ann, "2026-11-20").await.is_empty());
    let moved = workouts(&app, &ann, "2026-11-21").await;
    assert_eq!(moved.len(), 1);
    let w = &moved[0];
    assert_eq!(w["id"], id.as_str());
    let weights: Vec<f64> = w["sets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["weight"].as_f64().unwrap())
        .collect();
    assert_eq!(weights, [60.0, 67.5, 70.0]);
    assert_eq!(w["duration_minutes"], 45);
    assert_eq!(w["notes"], "felt strong");
    assert_ne!(w["calories_source"], "user", "{w}");

    // A bad value: the form again with what was typed, the workout as it was.
    let r = post(
        &app,
        &format!("/exercise/workout/{id}"),
        &ann,
        None,
        Some(&csrf),
        &[
            ("date", "2026-11-21"),
            ("set_rows", "6"),
            ("reps_1", "10"),
            ("weight_1", "6000"),
            ("duration", "45"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("value=\"6000\""), "{}", r.body);
    assert!(r.body.contains("must be between 0 and 5000"), "{}", r.body);
    let same = workouts(&app, &ann, "2026-11-21").await;
    assert_eq!(same[0]["sets"].as_array().unwrap().len(), 3);

    // The history offers the change.
    let page = get(&app, "/exercise", &ann, None).await;
    assert!(
        page.body
            .contains(&format!("href=\"/exercise/workout/{id}/edit\"")),
        "{}",
        page.body
    );
    // Someone else's workout is not found.
    let (_, bob) = app.user("bob@example.com").await;
    let r = get(&app, &format!("/exercise/workout/{id}/edit"), &bob, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Nor changed by them.
    let bob_csrf = token(&app, &bob, "/settings").await;
    let r = post(
        &app,
        &format!("/exercise/workout/{id}"),
        &bob,
        None,
        Some(&bob_csrf),
        &[("date", "2026-11-22"), ("duration", "1")],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let same = workouts(&app, &ann, "2026-11-21").await;
    assert_eq!(same[0]["duration_minutes"], 45);
}

async fn exercises_named(app: &TestApp, who: &As, q: &str) -> Vec<Value> {
    let r = app
        .get(&format!("/api/v1/exercises?q={}", q.replace(' ', "+")), who)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["source"] == "user")
        .cloned()
        .collect()
}

#[tokio::test]
async fn an_exercise_of_ones_own_is_made_logged_changed_and_deleted() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;

    // A search that finds nothing offers the words as a new exercise, on the shown day.
    let r = get(
        &app,
        "/exercise/search?q=sled+push&date=2026-11-20",
        &ann,
        None,
    )
    .await;
    assert!(r.body.contains("No exercise matches"), "{}", r.body);
    assert!(
        r.body
            .contains("href=\"/exercise/new?name=sled+push&#38;date=2026-11-20\""),
        "{}",
        r.body
    );
    let form = get(
        &app,
        "/exercise/new?name=sled+push&date=2026-11-20",
        &ann,
        None,
    )
    .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("value=\"sled push\""), "{}", form.body);
    assert!(
        form.body.contains("<option value=\"barbell\""),
        "{}",
        form.body
    );
    let csrf = form.csrf();
    let once = form.once_of("/exercise/new");

    // Bad input: the form again with each problem at its field, nothing made.
    let r = post(
        &app,
        "/exercise/new",
        &ann,
        None,
        Some(&csrf),
        &[
            ("name", "   "),
            ("category", "juggling"),
            ("met_value", "0"),
            ("date", "2026-11-20"),
            ("_once", &once),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for field in ["exf-name", "exf-cat", "exf-met"] {
        let at = r.body.find(&format!("<label for=\"{field}\"")).unwrap();
        let before = &r.body[..at];
        assert!(
            before.ends_with("aria-invalid=\"true\">"),
            "{field} not marked: {}",
            r.body
        );
    }
    let r = post(
        &app,
        "/exercise/new",
        &ann,
        None,
        Some(&csrf),
        &[
            ("name", "Sled push"),
            ("met_value", "lots"),
            ("_once", &once),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Enter a number"), "{}", r.body);
    assert!(exercises_named(&app, &ann, "sled").await.is_empty());

    // Made, then straight on to logging it on the day the page showed.
    let fields = [
        ("name", "Sled push"),
        ("category", "strength"),
        ("muscle_groups", "Quadriceps, glutes; quadriceps"),
        ("equipment", "Sled"),
        ("met_value", "6,5"),
        ("instructions", "Push low."),
        ("date", "2026-11-20"),
        ("_once", once.as_str()),
    ];
    let r = post(&app, "/exercise/new", &ann, None, Some(&csrf), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mine = exercises_named(&app, &ann, "sled").await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    let e = &mine[0];
    let id = e["id"].as_str().unwrap().to_string();
    assert_eq!(r.location, format!("/exercise/log/{id}?date=2026-11-20"));
    assert_eq!(e["name"], "Sled push");
    assert_eq!(e["category"], "strength");
    assert_eq!(e["muscle_groups"], json!(["quadriceps", "glutes"]));
    assert_eq!(e["equipment"], "sled");
    assert_eq!(e["met_value"], 6.5);
    assert_eq!(e["instructions"], "Push low.");
    // The same form sent again (its answer lost) makes nothing more and leads to the same place.
    let again = post(&app, "/exercise/new", &ann, None, Some(&csrf), &fields).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert_eq!(again.location, r.location);
    assert_eq!(exercises_named(&app, &ann, "sled").await.len(), 1);

    // Its log form links to changing it; the catalog's does not.
    let log = get(&app, &r.location, &ann, None).await;
    assert!(
        log.body.contains(&format!("href=\"/exercise/mine/{id}\"")),
        "{}",
        log.body
    );
    let bench = exercise_id(&app, &ann, "bench press").await;
    let log = get(&app, &format!("/exercise/log/{bench}"), &ann, None).await;
    assert!(!log.body.contains("/exercise/mine/"), "{}", log.body);
    // The catalog's exercise has no form of its own: its log form instead.
    let r = get(&app, &format!("/exercise/mine/{bench}"), &ann, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location, format!("/exercise/log/{bench}"));

    // Changed on its page.
    let page = get(&app, &format!("/exercise/mine/{id}"), &ann, None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("value=\"quadriceps, glutes\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("value=\"6.5\""), "{}", page.body);
    let r = post(
        &app,
        &format!("/exercise/mine/{id}"),
        &ann,
        None,
        Some(&csrf),
        &[
            ("name", "Prowler push"),
            ("category", "cardio"),
            ("muscle_groups", ""),
            ("equipment", ""),
            ("met_value", ""),
            ("instructions", ""),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location, format!("/exercise/mine/{id}?saved=1"));
    let e = &exercises_named(&app, &ann, "prowler").await[0];
    assert_eq!(e["category"], "cardio");
    assert_eq!(e["met_value"], Value::Null);
    assert_eq!(e["muscle_groups"], json!([]));
    // A bad change is shown again and changes nothing.
    let r = post(
        &app,
        &format!("/exercise/mine/{id}"),
        &ann,
        None,
        Some(&csrf),
        &[("name", &"x".repeat(256)), ("met_value", "31")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("from 0.01 to 30"), "{}", r.body);
    assert_eq!(exercises_named(&app, &ann, "prowler").await.len(), 1);

    // Another user neither sees nor changes it, nor deletes it.
    let (_, bob) = app.user("bob@example.com").await;
    let bob_csrf = token(&app, &bob, "/settings").await;
    assert_eq!(
        get(&app, &format!("/exercise/mine/{id}"), &bob, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = post(
        &app,
        &format!("/exercise/mine/{id}"),
        &bob,
        None,
        Some(&bob_csrf),
        &[("name", "Mine now")],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = post(
        &app,
        &format!("/exercise/mine/{id}/delete"),
        &bob,
        None,
        Some(&bob_csrf),
        &[("confirm", "yes")],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // Nor the catalog's, through the form.
    let r = post(
        &app,
        &format!("/exercise/mine/{bench}"),
        &bob,
        None,
        Some(&bob_csrf),
        &[("name", "Renamed")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(exercises_named(&app, &ann, "prowler").await.len(), 1);

    // A workout logged with it keeps its name once it is deleted, after asking.
    let r = app
        .post(
            "/api/v1/workouts",
            &ann,
            json!({"exercise_id": id, "date": "2026-11-20", "duration_minutes": 10,
                   "calories_burned": 90}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = post(
        &app,
        &format!("/exercise/mine/{id}/delete"),
        &ann,
        None,
        Some(&csrf),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("Delete the exercise “Prowler push”?"),
        "{}",
        r.body
    );
    assert_eq!(exercises_named(&app, &ann, "prowler").await.len(), 1);
    let r = post(
        &app,
        &format!("/exercise/mine/{id}/delete"),
        &ann,
        None,
        Some(&csrf),
        &[("confirm", "yes")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(exercises_named(&app, &ann, "prowler").await.is_empty());
    // A day out of range in the form is dropped: the log form then opens on today.
    let form = get(&app, "/exercise/new?date=9999-01-01", &ann, None).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(!form.body.contains("9999"), "{}", form.body);
    let r = post(
        &app,
        "/exercise/new",
        &ann,
        None,
        Some(&csrf),
        &[("name", "Farmer's walk"), ("date", "9999-01-01")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(!r.location.contains("date="), "{}", r.location);
    assert_eq!(
        get(&app, &r.location, &ann, None).await.status,
        StatusCode::OK
    );
    let kept = workouts(&app, &ann, "2026-11-20").await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["exercise_name"], "Prowler push");
}

#[tokio::test]
async fn only_the_signed_in_user_is_offered_a_new_exercise() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let page = get(&app, "/exercise", &ann, None).await;
    assert!(
        page.body.contains("href=\"/exercise/new?date="),
        "{}",
        page.body
    );
    // Viewing a family member's diary: their exercises are theirs to make.
    let (bob_id, bob) = app.user("bob@example.com").await;
    grant(&app, &bob, "ann@example.com", "calorie").await;
    let viewing = bob_id.to_string();
    let page = get(&app, "/exercise?q=zzzzqqqq", &ann, Some(&viewing)).await;
    assert!(page.body.contains("No exercise matches"), "{}", page.body);
    assert!(!page.body.contains("/exercise/new"), "{}", page.body);
}

/// Timed sets (a plank, a weighted hold, a carry): the third input of a set row takes
/// seconds ("60") or a stopwatch's "1:30"; a row with only a time is a set; the history, the
/// edit form and the records show the time.
#[tokio::test]
async fn timed_sets_are_logged_shown_changed_and_kept_as_a_record() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let plank = exercise_id(&app, &ann, "plank").await;
    let form = get(&app, &format!("/exercise/log/{plank}"), &ann, None).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("name=\"time_1\""), "{}", form.body);
    assert!(form.body.contains("name=\"time_6\""), "{}", form.body);
    let csrf = form.csrf();
    // Days within the page's last 30.
    let date = today(&app, &ann).await;
    let yesterday = (date.parse::<chrono::NaiveDate>().unwrap() - chrono::Days::new(1)).to_string();
    let date = date.as_str();

    // A bodyweight plank of 1:30, a weighted hold of 60 s, a set of reps.
    let r = post(
        &app,
        "/exercise/log",
        &ann,
        None,
        Some(&csrf),
        &[
            ("exercise_id", &plank),
            ("date", date),
            ("set_rows", "6"),
            ("time_1", "1:30"),
            ("weight_2", "20"),
            ("time_2", "60"),
            ("reps_3", "10"),
            ("weight_3", "20"),
            ("time_4", ""),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let logged = workouts(&app, &ann, date).await;
    assert_eq!(logged.len(), 1, "{logged:?}");
    let sets = logged[0]["sets"].as_array().unwrap();
    assert_eq!(sets.len(), 3, "{sets:?}");
    assert_eq!(sets[0]["duration_seconds"], 90);
    assert_eq!(sets[0]["reps"], Value::Null);
    assert_eq!(sets[0]["weight"], Value::Null);
    assert_eq!(sets[1]["duration_seconds"], 60);
    assert_eq!(sets[1]["weight"], json!(20.0));
    assert_eq!(sets[2]["duration_seconds"], Value::Null);
    assert_eq!(sets[2]["reps"], 10);

    // The day's list shows each set as done.
    let page = get(&app, &format!("/exercise?date={date}"), &ann, None).await;
    assert!(
        page.body.contains("1:30, 20 kg × 60 s, 10 × 20 kg"),
        "{}",
        page.body
    );

    // Its form shows the times back, as a stopwatch shows them.
    let id = logged[0]["id"].as_str().unwrap().to_string();
    let edit = get(&app, &format!("/exercise/workout/{id}/edit"), &ann, None).await;
    assert_eq!(edit.status, StatusCode::OK, "{}", edit.body);
    for filled in [
        "name=\"time_1\" autocomplete=\"off\" placeholder=\"time\" value=\"1:30\"",
        "name=\"time_2\" autocomplete=\"off\" placeholder=\"time\" value=\"1:00\"",
        "name=\"time_3\" autocomplete=\"off\" placeholder=\"time\" value=\"\"",
    ] {
        assert!(edit.body.contains(filled), "{filled}: {}", edit.body);
    }
    // Changed there: the plank held longer (0:45 is read as 45 s), the hold's time cleared.
    let r = post(
        &app,
        &format!("/exercise/workout/{id}"),
        &ann,
        None,
        Some(&csrf),
        &[
            ("exercise_id", &plank),
            ("date", date),
            ("set_rows", "6"),
            ("time_1", "2:05"),
            ("reps_2", "8"),
            ("weight_2", "20"),
            ("time_2", ""),
            ("time_3", "0:45"),
            ("weight_unit", "kg"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let changed = workouts(&app, &ann, date).await;
    let seconds: Vec<Value> = changed[0]["sets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["duration_seconds"].clone())
        .collect();
    assert_eq!(seconds, [json!(125), Value::Null, json!(45)]);

    // A longer plank on another day, and a weighted hold that is longer still: the longest
    // set is the record, with the weight it was held with.
    let r = app
        .post(
            "/api/v1/workouts",
            &ann,
            json!({"exercise_id": plank, "date": yesterday,
                   "sets": [{"duration_seconds": 150, "weight": 10}, {"duration_seconds": 30}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let page = get(&app, "/exercise", &ann, None).await;
    let at = page.body.find("Longest set").expect("the record");
    let item: String = page.body[at..].chars().take(120).collect();
    assert!(item.contains("10 kg × 2:30"), "{item}");
    let day = yesterday[8..].trim_start_matches('0');
    assert!(item.contains(&format!(" {day} ")), "on {yesterday}: {item}");
}

/// A time that is not one, or not 1 second to a day, re-shows the form with the problem at
/// that input and what was typed; nothing is stored.
#[tokio::test]
async fn a_bad_set_time_is_shown_at_its_input_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let plank = exercise_id(&app, &ann, "plank").await;
    let csrf = token(&app, &ann, "/checkin").await;
    let date = today(&app, &ann).await;
    let date = date.as_str();
    for bad in ["abc", "0", "25:99", "24:00:01", "90000", "1.5"] {
        let r = post(
            &app,
            "/exercise/log",
            &ann,
            None,
            Some(&csrf),
            &[
                ("exercise_id", &plank),
                ("date", date),
                ("set_rows", "6"),
                ("time_1", "1:00"),
                ("time_2", bad),
            ],
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.body
        );
        let at = r.body.find("id=\"time-2\"").expect("the input");
        let after = &r.body[at..];
        assert!(
            after.starts_with(&format!(
                "id=\"time-2\" name=\"time_2\" autocomplete=\"off\" placeholder=\"time\" value=\"{bad}\""
            )),
            "{bad}: {after}"
        );
        let error = after.find("Enter a time from 1 s to 24 h").expect(bad);
        assert!(
            error < after.find("id=\"reps-3\"").unwrap(),
            "{bad}: at set 2"
        );
        // Its field is marked, not the weight's before it.
        let field = &r.body[r.body[..at].rfind("id=\"weight-2\"").unwrap()..at];
        assert!(field.contains("aria-invalid=\"true\""), "{bad}: {field}");
        assert_eq!(r.body.matches("Enter a time from").count(), 1, "{bad}");
    }
    assert!(workouts(&app, &ann, date).await.is_empty());
}

/// The fields a browser sends with the form posting to `action`, as the page filled them
/// (inputs with their values, textareas with their text; no submit buttons).
fn form_fields(body: &str, action: &str) -> Vec<(String, String)> {
    let at = body
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form posting to {action}:\n{body}"));
    let form = &body[at..];
    let form = &form[..form.find("</form>").unwrap()];
    let attr = |tag: &str, name: &str| -> Option<String> {
        let marker = format!(" {name}=\"");
        let start = tag.find(&marker)? + marker.len();
        Some(tag[start..].split('"').next().unwrap().to_string())
    };
    let unescape = |s: &str| {
        s.replace("&#38;", "&")
            .replace("&#60;", "<")
            .replace("&#62;", ">")
            .replace("&#34;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    };
    let mut fields = Vec::new();
    for part in form.split("<input").skip(1) {
        let tag = &part[..part.find('>').unwrap()];
        if let Some(name) = attr(tag, "name") {
            fields.push((name, unescape(&attr(tag, "value").unwrap_or_default())));
        }
    }
    for part in form.split("<textarea").skip(1) {
        let tag = &part[..part.find('>').unwrap()];
        let text = &part[part.find('>').unwrap() + 1..part.find("</textarea>").unwrap()];
        if let Some(name) = attr(tag, "name") {
            fields.push((name, unescape(text)));
        }
    }
    fields
}

/// The value of the input named `name` in `body`.
fn input_value(body: &str, name: &str) -> String {
    let at = body
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no input {name}:\n{body}"));
    let rest = &body[at..];
    let rest = &rest[..rest.find('>').unwrap()];
    let start = rest.find("value=\"").expect("a value") + "value=\"".len();
    rest[start..].split('"').next().unwrap().to_string()
}

/// A set as it is compared: reps, weight, unit, time.
fn set_facts(w: &Value) -> Vec<(Value, Value, Value, Value)> {
    w["sets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["reps"].clone(),
                s["weight"].clone(),
                s["unit"].clone(),
                s["duration_seconds"].clone(),
            )
        })
        .collect()
}

/// "Mon 3 Nov" (with the year when it is not this one), as the pages name a day.
fn day_named(d: &str, today: &str) -> String {
    let d: chrono::NaiveDate = d.parse().unwrap();
    let mut s = d.format("%a %-d %b").to_string();
    if d.format("%Y").to_string() != today[..4] {
        s.push_str(&d.format(" %Y").to_string());
    }
    s
}

fn days_before(date: &str, n: u64) -> String {
    (date.parse::<chrono::NaiveDate>().unwrap() - chrono::Days::new(n)).to_string()
}

/// A new workout's form names the last session of the exercise; "Fill in the same" fills it
/// with that session's sets (a timed one too), duration and distance, on the form's day and
/// without its note or calories; logging that stores the same sets today.
#[tokio::test]
async fn the_last_session_fills_a_new_workout_the_same() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let bench = exercise_id(&app, &ann, "bench press").await;
    let today = today(&app, &ann).await;
    let earlier = days_before(&today, 3);

    // Never done: no line.
    let form = get(
        &app,
        &format!("/exercise/log/{bench}?date={today}"),
        &ann,
        None,
    )
    .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(!form.body.contains("Last time"), "{}", form.body);
    let csrf = form.csrf();

    // Three sets three days ago, the last a timed hold, with a note and calories typed in.
    let r = post(
        &app,
        "/exercise/log",
        &ann,
        None,
        Some(&csrf),
        &[
            ("exercise_id", &bench),
            ("date", &earlier),
            ("set_rows", "6"),
            ("reps_1", "10"),
            ("weight_1", "60"),
            ("reps_2", "8"),
            ("weight_2", "62.5"),
            ("weight_3", "40"),
            ("time_3", "1:30"),
            ("duration", "40"),
            ("calories", "250"),
            ("notes", "felt heavy"),
            ("weight_unit", "kg"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let before = workouts(&app, &ann, &earlier).await;
    assert_eq!(before.len(), 1);
    let id = before[0]["id"].as_str().unwrap().to_string();
    assert_eq!(before[0]["sets"].as_array().unwrap().len(), 3);

    // The new form for today names it, with the way to do it again.
    let form = get(
        &app,
        &format!("/exercise/log/{bench}?date={today}"),
        &ann,
        None,
    )
    .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let line = format!("Last time, {}:", day_named(&earlier, &today));
    assert!(form.body.contains(&line), "{line}: {}", form.body);
    assert!(
        form.body
            .contains("10 × 60 kg, 8 × 62.5 kg, 40 kg × 1:30 · 40 min"),
        "{}",
        form.body
    );
    let fill = format!("/exercise/log/{bench}?date={today}&amp;repeat={id}");
    assert!(
        form.body.contains(&format!("href=\"{fill}\"")),
        "{}",
        form.body
    );
    assert!(form.body.contains(&format!("hx-get=\"{fill}\"")));
    assert!(form.body.contains("Fill in the same"));
    assert_eq!(input_value(&form.body, "reps_1"), "");

    // Followed: the rows, the duration filled; the form's day, no note, no calories.
    let filled = get(&app, &fill.replace("&amp;", "&"), &ann, None).await;
    assert_eq!(filled.status, StatusCode::OK, "{}", filled.body);
    for (name, value) in [
        ("reps_1", "10"),
        ("weight_1", "60"),
        ("time_1", ""),
        ("reps_2", "8"),
        ("weight_2", "62.5"),
        ("reps_3", ""),
        ("weight_3", "40"),
        ("time_3", "1:30"),
        ("reps_4", ""),
        ("duration", "40"),
        ("calories", ""),
        ("date", today.as_str()),
        ("weight_unit", "kg"),
    ] {
        assert_eq!(input_value(&filled.body, name), value, "{name}");
    }
    assert!(
        filled
            .body
            .contains("name=\"notes\" rows=\"2\" maxlength=\"5000\"></textarea>"),
        "{}",
        filled.body
    );
    assert!(!filled.body.contains("felt heavy"));
    assert!(
        filled
            .body
            .contains(&format!("Filled in from {}:", day_named(&earlier, &today))),
        "{}",
        filled.body
    );
    assert!(!filled.body.contains("Fill in the same"));
    assert!(filled
        .body
        .contains(&format!("href=\"/exercise/log/{bench}?date={today}\"")));
    assert!(filled.body.contains("Start empty"));
    // A new workout, not a change of the old one.
    assert!(filled.body.contains("action=\"/exercise/log\""));

    // Logged as the browser sends it: the same sets today, the old workout as it was.
    let fields = form_fields(&filled.body, "/exercise/log");
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let r = post(&app, "/exercise/log", &ann, None, None, &borrowed).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location, format!("/exercise?date={today}"));
    let now = workouts(&app, &ann, &today).await;
    assert_eq!(now.len(), 1, "{now:?}");
    assert_ne!(now[0]["id"], id.as_str());
    assert_eq!(set_facts(&now[0]), set_facts(&before[0]));
    assert_eq!(now[0]["duration_seconds"], before[0]["duration_seconds"]);
    assert_eq!(now[0]["notes"], Value::Null, "{}", now[0]);
    assert_ne!(now[0]["calories_source"], "user", "{}", now[0]);
    assert_eq!(workouts(&app, &ann, &earlier).await, before);

    // The form now names today's, the most recent.
    let form = get(&app, &format!("/exercise/log/{bench}"), &ann, None).await;
    assert!(form.body.contains("Last time, Today:"), "{}", form.body);
}

/// Each workout of the last 30 days offers "Repeat": the form for its exercise filled from it,
/// on the shown day; not for a workout whose exercise was deleted since.
#[tokio::test]
async fn workouts_in_the_list_are_repeated() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let run = exercise_id(&app, &ann, "running").await;
    let today = today(&app, &ann).await;
    let yesterday = days_before(&today, 1);
    let r = app
        .post(
            "/api/v1/measurements",
            &ann,
            json!({"type": "weight", "value": 70, "date": yesterday}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = app
        .post(
            "/api/v1/workouts",
            &ann,
            json!({"exercise_id": run, "date": yesterday, "duration_seconds": 1540,
                   "distance": 5.2, "distance_unit": "km", "notes": "windy"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    let name = r.body["exercise_name"].as_str().unwrap().to_string();
    // An exercise of her own, deleted since: its workout stays, with nothing to log again.
    let r = app
        .post(
            "/api/v1/exercises",
            &ann,
            json!({"name": "Sled drag", "category": "strength"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let sled = r.body["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            "/api/v1/workouts",
            &ann,
            json!({"exercise_id": sled, "date": yesterday,
                   "sets": [{"reps": 5, "weight": 100}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let sled_workout = r.body["id"].as_str().unwrap().to_string();
    let r = app.delete(&format!("/api/v1/exercises/{sled}"), &ann).await;
    assert!(r.status.is_success(), "{:?}", r.body);

    let page = get(&app, "/exercise", &ann, None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let repeat = format!("/exercise/log/{run}?date={today}&amp;repeat={id}");
    assert!(
        page.body.contains(&format!("href=\"{repeat}\"")),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!("hx-get=\"{repeat}\"")));
    assert!(
        page.body
            .contains(&format!("<span class=\"sr-only\">Repeat {name}</span>")),
        "{}",
        page.body
    );
    assert!(page.body.contains("Sled drag"));
    assert!(!page.body.contains(&format!("repeat={sled_workout}")));
    assert_eq!(
        page.body
            .matches("class=\"button small ghost repeat\"")
            .count(),
        1
    );

    let form = get(&app, &repeat.replace("&amp;", "&"), &ann, None).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert_eq!(input_value(&form.body, "duration"), "25:40");
    assert_eq!(input_value(&form.body, "distance"), "5.2");
    assert_eq!(input_value(&form.body, "date"), today);
    assert!(!form.body.contains("windy"), "{}", form.body);
    assert!(form.body.contains("Filled in from"), "{}", form.body);
    // The estimate is for the duration filled in.
    assert!(form.body.contains("for 25:40 at 70 kg"), "{}", form.body);

    // On another shown day, the form is for that day.
    let page = get(&app, &format!("/exercise?date={yesterday}"), &ann, None).await;
    assert!(page.body.contains(&format!(
        "href=\"/exercise/log/{run}?date={yesterday}&amp;repeat={id}\""
    )));
}

/// A repeat that is not a workout of this exercise in the shown diary (someone else's,
/// another exercise's, gone, not an id) is the empty form, not an error.
#[tokio::test]
async fn a_repeat_of_no_such_workout_is_the_empty_form() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let bench = exercise_id(&app, &ann, "bench press").await;
    let run = exercise_id(&app, &ann, "running").await;
    let today = today(&app, &ann).await;
    let r = app
        .post(
            "/api/v1/workouts",
            &ann,
            json!({"exercise_id": bench, "date": today,
                   "sets": [{"reps": 5, "weight": 80}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let anns = r.body["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            "/api/v1/workouts",
            &ann,
            json!({"exercise_id": run, "date": today, "duration_minutes": 30}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let anns_run = r.body["id"].as_str().unwrap().to_string();

    // Bob, not shared with: Ann's workout is not his to see; he has no last session.
    for repeat in [
        anns.as_str(),
        "garbage",
        "",
        "00000000-0000-0000-0000-000000000000",
        &uuid::Uuid::new_v4().to_string(),
    ] {
        let r = get(
            &app,
            &format!("/exercise/log/{bench}?repeat={repeat}"),
            &bob,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{repeat}: {}", r.body);
        assert_eq!(input_value(&r.body, "reps_1"), "", "{repeat}");
        assert_eq!(input_value(&r.body, "weight_1"), "", "{repeat}");
        assert!(!r.body.contains("Filled in from"), "{repeat}");
        assert!(!r.body.contains("Last time"), "{repeat}");
    }
    // Ann: another exercise's workout fills nothing; the bench press's last session is named.
    let r = get(
        &app,
        &format!("/exercise/log/{bench}?repeat={anns_run}"),
        &ann,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(input_value(&r.body, "duration"), "");
    assert!(!r.body.contains("Filled in from"), "{}", r.body);
    assert!(r.body.contains("Last time, Today:"), "{}", r.body);
    assert!(r.body.contains(&format!("repeat={anns}")));
    // A bad date is still the 422 it was.
    let r = get(
        &app,
        &format!("/exercise/log/{bench}?date=garbage&repeat={anns}"),
        &ann,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
}

/// Family members: with the calorie grant the last session is offered and repeated into the
/// shared diary; with reports it is shown read-only (no Repeat, no Fill in the same, a crafted
/// post refused); with check-ins only it is not shown at all. Someone else's workout does not
/// fill one's own diary's form.
#[tokio::test]
async fn family_members_repeat_only_with_the_calorie_grant() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let (_, cat) = app.user("cat@example.com").await;
    let (_, dan) = app.user("dan@example.com").await;
    grant(&app, &ann, "bob@example.com", "calorie").await;
    grant(&app, &ann, "cat@example.com", "checkin").await;
    grant(&app, &ann, "dan@example.com", "reports").await;
    let bench = exercise_id(&app, &ann, "bench press").await;
    let today = today(&app, &ann).await;
    let yesterday = days_before(&today, 1);
    let r = app
        .post(
            "/api/v1/workouts",
            &ann,
            json!({"exercise_id": bench, "date": yesterday, "notes": "Ann's",
                   "sets": [{"reps": 5, "weight": 80}, {"reps": 5, "weight": 85}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    let fill = format!("/exercise/log/{bench}?date={today}&repeat={id}");

    // Bob (calorie): Repeat in the list, the line with Fill in the same, logged into Ann's diary.
    let page = get(&app, "/exercise", &bob, Some(&ann_id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(&fill.replace('&', "&amp;")),
        "{}",
        page.body
    );
    let form = get(
        &app,
        &format!("/exercise/log/{bench}?date={today}"),
        &bob,
        Some(&ann_id),
    )
    .await;
    assert!(form.body.contains("Last time, "), "{}", form.body);
    assert!(form.body.contains("Fill in the same"), "{}", form.body);
    let filled = get(&app, &fill, &bob, Some(&ann_id)).await;
    assert_eq!(filled.status, StatusCode::OK, "{}", filled.body);
    assert_eq!(input_value(&filled.body, "weight_2"), "85");
    let fields = form_fields(&filled.body, "/exercise/log");
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let r = post(&app, "/exercise/log", &bob, Some(&ann_id), None, &borrowed).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let logged = workouts(&app, &ann, &today).await;
    assert_eq!(logged.len(), 1);
    assert_eq!(
        set_facts(&logged[0]),
        set_facts(&workouts(&app, &ann, &yesterday).await[0])
    );
    // Ann's workout does not fill Bob's own diary's form (he may read it, it is not his).
    let own = get(&app, &fill, &bob, None).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    assert_eq!(input_value(&own.body, "weight_2"), "");
    assert!(!own.body.contains("Last time"), "{}", own.body);

    // Dan (reports): the list without Repeat (nor Change), the line without Fill in the same.
    let page = get(&app, "/exercise", &dan, Some(&ann_id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("5 × 85 kg"), "{}", page.body);
    assert!(!page.body.contains("repeat="), "{}", page.body);
    assert!(!page.body.contains("/edit\""), "{}", page.body);
    let form = get(
        &app,
        &format!("/exercise/log/{bench}?date={today}"),
        &dan,
        Some(&ann_id),
    )
    .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("Last time, Today:"), "{}", form.body);
    assert!(!form.body.contains("Fill in the same"), "{}", form.body);
    // What he may read fills the form as it would; logging it is refused all the same.
    let filled = get(&app, &fill, &dan, Some(&ann_id)).await;
    assert_eq!(filled.status, StatusCode::OK, "{}", filled.body);
    assert_eq!(input_value(&filled.body, "weight_2"), "85");
    assert!(!filled.body.contains("Start empty"), "{}", filled.body);
    let fields = form_fields(&filled.body, "/exercise/log");
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let r = post(&app, "/exercise/log", &dan, Some(&ann_id), None, &borrowed).await;
    assert!(
        r.status == StatusCode::FORBIDDEN || r.status == StatusCode::NOT_FOUND,
        "{}: {}",
        r.status,
        r.body
    );
    assert_eq!(workouts(&app, &ann, &today).await.len(), 1);

    // Cat (check-ins): no line, nothing filled, no error.
    let form = get(&app, &fill, &cat, Some(&ann_id)).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(!form.body.contains("Last time"), "{}", form.body);
    assert!(!form.body.contains("Filled in from"), "{}", form.body);
    assert_eq!(input_value(&form.body, "reps_1"), "");
}
