//! The Reports page (`/reports`): range chooser, charts, tables and CSV links for one's own
//! data and a family member's; a bad range is explained and the default shown; a report not
//! shared says so; the More menu leads there.

mod common;
mod pages_kit;

use common::{As, TestApp};
use pages_kit::{get, grant};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

async fn seed(app: &TestApp, ann_id: Uuid, ann: &As) {
    let db = app.db.owner_client().await;
    db.execute(
        "INSERT INTO food_diary (user_id, food_name, quantity, unit, meal_type, consumed_at,
             entry_date, calories, protein, carbohydrates, fat, fiber, sodium)
         VALUES ($1, 'Oats', 1, 'serving', 'breakfast', '2026-07-01 08:00+00', '2026-07-01',
                 2000, 100, 250, 60, 30, 2000),
                ($1, 'Oats', 1, 'serving', 'breakfast', '2026-07-03 08:00+00', '2026-07-03',
                 1500, 50, 200, 50, 20, 2500)",
        &[&ann_id],
    )
    .await
    .unwrap();
    db.execute(
        "INSERT INTO goals (user_id, type, target_value, status) VALUES ($1, 'calorie_target', 1800, 'active');
         ",
        &[&ann_id],
    )
    .await
    .unwrap();
    db.execute(
        "INSERT INTO measurements (user_id, type, value, unit, measured_at) VALUES
           ($1, 'weight', 80, 'kg', '2026-07-01 07:00+00'), ($1, 'weight', 79.5, 'kg', '2026-07-04 07:00+00'),
           ($1, 'waist', 90, 'cm', '2026-07-02 07:00+00'), ($1, 'waist', 89, 'cm', '2026-07-09 07:00+00')",
        &[&ann_id],
    )
    .await
    .unwrap();
    let bench: Uuid = db
        .query_one(
            "SELECT id FROM exercises WHERE name = 'Barbell bench press' AND user_id IS NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let r = app
        .post(
            "/api/v1/workouts",
            ann,
            json!({"exercise_id": bench, "date": "2026-07-02", "duration_minutes": 40,
                   "sets": [{"reps": 5, "weight": 80}, {"reps": 3, "weight": 90}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

const RANGE: &str = "from=2026-07-01&to=2026-07-14";

#[tokio::test]
async fn the_reports_page_charts_and_tabulates_a_range_with_csv_links() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    seed(&app, ann_id.parse().unwrap(), &ann).await;

    let page = get(&app, &format!("/reports?{RANGE}"), &ann, None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let b = &page.body;
    for text in [
        "<h1>Reports</h1>",
        // (With the year once this test runs in another year than the range.)
        "Wed 1 Jul",
        // Calories: a sparkline with the target, the average over the 2 logged days.
        "<svg class=\"spark\"",
        "1,750 kcal",
        "1,800 kcal",
        "2 of 14",
        // Weekly budget of the part week 07-01..05: its two logged days × 1800 (the days
        // without food are not calories under budget, as on Today).
        "3,600",
        // The foods that gave the most calories: Oats twice, 3,500 kcal, all of them.
        "Top foods",
        "href=\"/reports?from=2026-07-01&amp;to=2026-07-14&amp;by=calories#rep-top\" aria-current=\"page\">Calories</a>",
        "<tr><th scope=\"row\">Oats</th><td class=\"n\">2×</td><td class=\"n\">3,500</td><td class=\"n\">100%</td></tr>",
        // Micronutrients against reference intakes, with the share of days met.
        "Fiber",
        "≥ 28 g",
        "Sodium",
        "≤ 2,300 mg",
        "50%",
        // Weight chart with its trend; the waist over time.
        "<svg class=\"chart\"",
        "Waist",
        "a week",
        // Exercise: volume per muscle group and the records.
        "chest 670 kg",
        "Estimated 1RM",
        "Barbell bench press",
        "Heaviest weight",
        // CSV downloads of the same range.
        "/api/v1/reports/nutrition?from=2026-07-01&amp;to=2026-07-14&amp;format=csv",
        "/api/v1/reports/body?from=2026-07-01&amp;to=2026-07-14&amp;format=csv",
        "/api/v1/reports/exercise?from=2026-07-01&amp;to=2026-07-14&amp;format=csv",
    ] {
        assert!(b.contains(text), "missing {text:?}");
    }
    assert!(!b.contains("style="), "no inline styles under the CSP");
    assert!(!b.contains("No workouts in this period."));

    // A range without workouts says so instead of charting a flat line.
    let quiet = get(&app, "/reports?from=2026-06-01&to=2026-06-14", &ann, None).await;
    assert_eq!(quiet.status, StatusCode::OK);
    assert!(
        quiet.body.contains("No workouts in this period."),
        "{}",
        quiet.body
    );
    assert!(quiet.body.contains("No foods to rank in this period."));
    // A range of a past year says which year (it read "Wed 1 Jan – Wed 31 Dec").
    let past = get(&app, "/reports?from=2025-01-01&to=2025-12-31", &ann, None).await;
    assert!(
        past.body.contains("Wed 1 Jan 2025 – Wed 31 Dec 2025"),
        "{}",
        past.body
    );

    // Ranked by another nutrient: fiber, in g.
    let fiber = get(&app, &format!("/reports?{RANGE}&by=fiber"), &ann, None).await;
    assert_eq!(fiber.status, StatusCode::OK);
    assert!(
        fiber.body.contains("<tr><th scope=\"row\">Oats</th><td class=\"n\">2×</td><td class=\"n\">50</td><td class=\"n\">100%</td></tr>"),
        "{}",
        fiber.body
    );
    assert!(fiber
        .body
        .contains("by=fiber#rep-top\" aria-current=\"page\""));
    // An unknown nutrient is calories.
    let odd = get(&app, &format!("/reports?{RANGE}&by=vitamins"), &ann, None).await;
    assert_eq!(odd.status, StatusCode::OK);
    assert!(odd
        .body
        .contains("by=calories#rep-top\" aria-current=\"page\""));

    // The links the page offers work with the session cookie.
    let csv = app
        .get(
            &format!("/api/v1/reports/nutrition?{RANGE}&format=csv"),
            &ann,
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK);

    // Presets: the 7-day link is current.
    let page = get(&app, "/reports?days=7", &ann, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .body
        .contains("href=\"/reports?days=7\" aria-current=\"page\""));
    assert!(page.body.contains("format=csv"));

    // A bad range is explained; the default period is shown.
    let page = get(&app, "/reports?from=2026-07-02&to=2026-07-01", &ann, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("must not be before from"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains("href=\"/reports?days=30\" aria-current=\"page\""));
    let page = get(&app, "/reports?days=9999", &ann, None).await;
    assert!(page.body.contains("must be between 1 and 366"));

    // The More menu leads here; signed out, sign in first.
    let settings = get(&app, "/settings", &ann, None).await;
    assert!(settings.body.contains("href=\"/reports\""));
    let out = get(&app, "/reports", &As::Nobody, None).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(
        out.location.starts_with("/signin?next=%2Freports"),
        "{}",
        out.location
    );
}

#[tokio::test]
async fn family_members_see_what_is_shared_with_them() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let (_, cat) = app.user("cat@example.com").await;
    seed(&app, ann_id.parse().unwrap(), &ann).await;
    grant(&app, &ann, "bob@example.com", "reports").await;
    grant(&app, &ann, "cat@example.com", "food_list").await;

    let page = get(&app, &format!("/reports?{RANGE}"), &bob, Some(&ann_id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Estimated 1RM"));
    assert!(page.body.contains("1,750 kcal"));
    assert!(page.body.contains(&format!(
        "/api/v1/reports/body?from=2026-07-01&amp;to=2026-07-14&amp;user_id={ann_id}&amp;format=csv"
    )));
    assert!(!page.body.contains("This is not shared with you."));

    // food_list shares no diary, measurements or workouts.
    let page = get(&app, &format!("/reports?{RANGE}"), &cat, Some(&ann_id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body.matches("This is not shared with you.").count(), 3);
    assert!(!page.body.contains("format=csv"));
    assert!(!page.body.contains("1,750"));
    // The heading still names the period asked for (it was "Thu 1 Jan 1970").
    assert!(!page.body.contains("1970"), "{}", page.body);
    assert!(
        page.body.contains("Wed 1 Jul – Tue 14 Jul"),
        "{}",
        page.body
    );
    let last = get(&app, "/reports?days=7", &cat, Some(&ann_id)).await;
    assert_eq!(last.status, StatusCode::OK);
    assert!(!last.body.contains("1970"), "{}", last.body);
}
