//! "Copy to today" on the exercise page (`POST /exercise/copy`): a past day of the workout
//! history is logged again today, once per form (the once-token), only where the viewer may
//! log; unreadable days and other people's diaries copy nothing.

mod common;
mod pages_kit;

use chrono::{Days, NaiveDate};
use common::{As, TestApp};
use pages_kit::{get, grant, post, Html};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn workouts(app: &TestApp, who: &As, date: NaiveDate) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/workouts/{date}"), who).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["entries"].as_array().unwrap().clone()
}

/// Today and yesterday in UTC, the time zone users start with.
fn days() -> (NaiveDate, NaiveDate) {
    let today = chrono::Utc::now().date_naive();
    (today, today - Days::new(1))
}

/// Logs two 30-minute rows of `who`'s own "Rowing" on `date`.
async fn two_rowings(app: &TestApp, who: &As, date: NaiveDate) {
    let r = app
        .post(
            "/api/v1/exercises",
            who,
            json!({"name": "Rowing", "category": "cardio", "met_value": 7}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    for _ in 0..2 {
        let r = app
            .post(
                "/api/v1/workouts",
                who,
                json!({"exercise_id": id, "date": date.to_string(), "duration_minutes": 30}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
}

/// Whether the page offers "Copy to today" for `day`.
fn offers_copy_of(page: &Html, day: NaiveDate) -> bool {
    page.body
        .split("action=\"/exercise/copy\"")
        .skip(1)
        .any(|form| {
            let form = &form[..form.find("</form>").unwrap_or(form.len())];
            form.contains(&format!("name=\"from\" value=\"{day}\""))
        })
}

fn copy_forms(page: &Html) -> usize {
    page.body.matches("action=\"/exercise/copy\"").count()
}

#[tokio::test]
async fn a_past_day_is_copied_to_today_once() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (today, yesterday) = days();
    two_rowings(&app, &ann, yesterday).await;

    let page = get(&app, "/exercise", &ann, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Copy to today"), "{}", page.body);
    assert!(offers_copy_of(&page, yesterday), "{}", page.body);
    assert_eq!(copy_forms(&page), 1);
    let csrf = page.csrf();
    let once = page.once_of("/exercise/copy");
    let from = yesterday.to_string();
    let form = [("_once", once.as_str()), ("_for", ""), ("from", &from)];

    let r = post(&app, "/exercise/copy", &ann, None, Some(&csrf), &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        r.location.starts_with("/exercise?copied=2&mark="),
        "{}",
        r.location
    );
    let copied = workouts(&app, &ann, today).await;
    assert_eq!(copied.len(), 2, "{copied:?}");
    assert!(copied.iter().all(|w| w["exercise_name"] == "Rowing"));
    assert_eq!(workouts(&app, &ann, yesterday).await.len(), 2);

    // The page it leads to says so; today's own group offers no copy of itself.
    let after = get(&app, &r.location, &ann, None).await;
    assert_eq!(after.status, StatusCode::OK);
    assert!(
        after.body.contains("Copied 2 workouts to today."),
        "{}",
        after.body
    );
    assert!(offers_copy_of(&after, yesterday), "{}", after.body);
    assert!(!offers_copy_of(&after, today), "{}", after.body);
    assert_eq!(copy_forms(&after), 1);
    // A made-up address shows no notice.
    let forged = get(&app, "/exercise?copied=9&mark=0123456789abcdef", &ann, None).await;
    assert_eq!(forged.status, StatusCode::OK);
    assert!(!forged.body.contains("Copied 9"), "{}", forged.body);
    assert!(!forged.body.contains("to today."), "{}", forged.body);

    // The same form sent again (a double tap, a resent page) goes to the same answer and
    // copies nothing more.
    let again = post(&app, "/exercise/copy", &ann, None, Some(&csrf), &form).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert_eq!(again.location, r.location);
    assert_eq!(workouts(&app, &ann, today).await.len(), 2);

    // A day that is not one is a 4xx page naming it; nothing is copied.
    for garbage in ["yesterday", "2026-02-30", "", "99999-01-01"] {
        let once = uuid::Uuid::new_v4().to_string();
        let r = post(
            &app,
            "/exercise/copy",
            &ann,
            None,
            Some(&csrf),
            &[("_once", &once), ("_for", ""), ("from", garbage)],
        )
        .await;
        assert!(r.status.is_client_error(), "{garbage}: {}", r.status);
        assert!(r.body.contains("The day copied"), "{garbage}: {}", r.body);
    }
    // Today onto itself (a crafted form): refused, said.
    let once = uuid::Uuid::new_v4().to_string();
    let r = post(
        &app,
        "/exercise/copy",
        &ann,
        None,
        Some(&csrf),
        &[("_once", &once), ("from", &today.to_string())],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("is today"), "{}", r.body);
    assert_eq!(workouts(&app, &ann, today).await.len(), 2);

    // Without the form's token: refused.
    let r = post(&app, "/exercise/copy", &ann, None, None, &[("from", &from)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(workouts(&app, &ann, today).await.len(), 2);
}

#[tokio::test]
async fn only_those_who_may_log_copy_into_a_diary() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let (_, dan) = app.user("dan@example.com").await;
    let (_, eve) = app.user("eve@example.com").await;
    grant(&app, &ann, "dan@example.com", "reports").await;
    grant(&app, &ann, "eve@example.com", "calorie").await;
    let (today, yesterday) = days();
    two_rowings(&app, &ann, yesterday).await;
    let from = yesterday.to_string();

    // Eve (calorie) is offered the copy of Ann's day and copies it into Ann's diary.
    let page = get(&app, "/exercise", &eve, Some(&ann_id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(offers_copy_of(&page, yesterday), "{}", page.body);
    let once = page.once_of("/exercise/copy");
    let r = post(
        &app,
        "/exercise/copy",
        &eve,
        Some(&ann_id),
        Some(&page.csrf()),
        &[("_once", &once), ("_for", &ann_id), ("from", &from)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(workouts(&app, &ann, today).await.len(), 2);
    assert!(workouts(&app, &eve, today).await.is_empty());

    // Bob, without a grant, naming Ann's diary: refused, nothing copied into it.
    let csrf = pages_kit::token(&app, &bob, "/checkin").await;
    let once = uuid::Uuid::new_v4().to_string();
    let r = post(
        &app,
        "/exercise/copy",
        &bob,
        Some(&ann_id),
        Some(&csrf),
        &[("_once", &once), ("_for", &ann_id), ("from", &from)],
    )
    .await;
    assert!(r.status.is_client_error(), "{}: {}", r.status, r.body);
    // His own diary's day (empty) copies nothing anywhere.
    let once = uuid::Uuid::new_v4().to_string();
    let r = post(
        &app,
        "/exercise/copy",
        &bob,
        None,
        Some(&csrf),
        &[("_once", &once), ("_for", ""), ("from", &from)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let after = get(&app, &r.location, &bob, None).await;
    assert!(
        after.body.contains("There were no workouts to copy."),
        "{}",
        after.body
    );
    assert_eq!(workouts(&app, &ann, today).await.len(), 2);
    assert!(workouts(&app, &bob, today).await.is_empty());

    // Dan (reports) sees the history without the copy, and a crafted form is refused.
    let page = get(&app, "/exercise", &dan, Some(&ann_id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Rowing"), "{}", page.body);
    assert_eq!(copy_forms(&page), 0, "{}", page.body);
    let csrf = pages_kit::token(&app, &dan, "/checkin").await;
    let once = uuid::Uuid::new_v4().to_string();
    let r = post(
        &app,
        "/exercise/copy",
        &dan,
        Some(&ann_id),
        Some(&csrf),
        &[("_once", &once), ("_for", &ann_id), ("from", &from)],
    )
    .await;
    assert!(
        r.status == StatusCode::FORBIDDEN || r.status == StatusCode::NOT_FOUND,
        "{}: {}",
        r.status,
        r.body
    );
    assert_eq!(workouts(&app, &ann, today).await.len(), 2);
}
