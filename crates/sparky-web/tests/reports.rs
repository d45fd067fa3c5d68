//! Reports (`/api/v1/reports/…`) against hand-computed figures for seeded data: missing days
//! are null, averages are over logged days, weekly budgets, the share of days a reference
//! intake was met, the weight trend and its weekly rate, custom measurement types, volume per
//! muscle group, personal records; CSV with the owner's units; family access; bad ranges.

mod common;

use common::{As, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

const RANGE: &str = "from=2026-07-01&to=2026-07-14";

/// A diary entry straight into the table (the triggers keep the day totals).
#[allow(clippy::too_many_arguments)]
async fn eat(
    app: &TestApp,
    owner: Uuid,
    date: &str,
    kcal: i32,
    protein: i32,
    carbs: i32,
    fat: i32,
    fiber: i32,
    sodium: Option<i32>,
) {
    let owner_db = app.db.owner_client().await;
    owner_db
        .execute(
            "INSERT INTO food_diary (user_id, food_name, quantity, unit, meal_type, consumed_at,
                 entry_date, calories, protein, carbohydrates, fat, fiber, sodium)
             VALUES ($1, 'Test food', 1, 'serving', 'lunch', $2::date + time '12:00', $2::date,
                     $3::int, $4::int, $5::int, $6::int, $7::int, $8::int)",
            &[
                &owner,
                &chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap(),
                &kcal,
                &protein,
                &carbs,
                &fat,
                &fiber,
                &sodium,
            ],
        )
        .await
        .unwrap();
}

async fn measure(app: &TestApp, owner: Uuid, kind: &str, value: &str, unit: &str, at: &str) {
    let owner_db = app.db.owner_client().await;
    owner_db
        .execute(
            "INSERT INTO measurements (user_id, type, value, unit, measured_at)
             VALUES ($1, $2, $3::text::numeric, $4, $5::text::timestamptz)",
            &[&owner, &kind, &value, &unit, &at],
        )
        .await
        .unwrap();
}

async fn exercise_id(app: &TestApp, name: &str) -> String {
    let owner_db = app.db.owner_client().await;
    let row = owner_db
        .query_one(
            "SELECT id FROM exercises WHERE name = $1 AND user_id IS NULL",
            &[&name],
        )
        .await
        .unwrap();
    row.get::<_, Uuid>(0).to_string()
}

async fn workout(
    app: &TestApp,
    who: &As,
    exercise: &str,
    date: &str,
    sets: Value,
    kcal: i32,
    mins: i32,
) {
    let r = app
        .post(
            "/api/v1/workouts",
            who,
            json!({"exercise_id": exercise, "date": date, "sets": sets,
                   "calories_burned": kcal, "duration_minutes": mins}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

/// Ann's fortnight: three logged days of food, weights and a custom girth, three workouts.
async fn seed_ann(app: &TestApp, ann_id: Uuid, ann: &As) {
    // 07-01 Wed: 2000 kcal; 07-02: two entries, 1500 kcal; 07-06 Mon: 2500 kcal, no sodium.
    eat(
        app,
        ann_id,
        "2026-07-01",
        2000,
        100,
        250,
        60,
        30,
        Some(2000),
    )
    .await;
    eat(app, ann_id, "2026-07-02", 1000, 30, 150, 30, 10, Some(1500)).await;
    eat(app, ann_id, "2026-07-02", 500, 20, 50, 20, 10, Some(1000)).await;
    eat(app, ann_id, "2026-07-06", 2500, 150, 300, 80, 28, None).await;
    // Outside the range: not counted.
    eat(app, ann_id, "2026-06-30", 9999, 1, 1, 1, 1, Some(1)).await;
    let owner_db = app.db.owner_client().await;
    owner_db
        .execute(
            "INSERT INTO goals (user_id, type, target_value, status) VALUES
               ($1, 'calorie_target', 1800, 'active'), ($1, 'protein_target', 120, 'active')",
            &[&ann_id],
        )
        .await
        .unwrap();
    owner_db
        .execute(
            "INSERT INTO measurement_types (user_id, name, unit, dimension)
             VALUES ($1, 'left_arm', 'cm', 'length')",
            &[&ann_id],
        )
        .await
        .unwrap();
    // 81 the day before the range warms the trend up; 07-02 has two weights (mean 79.2).
    measure(app, ann_id, "weight", "81", "kg", "2026-06-30 07:00+00").await;
    measure(app, ann_id, "weight", "80", "kg", "2026-07-01 07:00+00").await;
    measure(app, ann_id, "weight", "79", "kg", "2026-07-02 07:00+00").await;
    measure(app, ann_id, "weight", "79.4", "kg", "2026-07-02 19:00+00").await;
    measure(app, ann_id, "left_arm", "35", "cm", "2026-07-03 07:00+00").await;
    measure(app, ann_id, "left_arm", "35.5", "cm", "2026-07-10 07:00+00").await;
    measure(app, ann_id, "waist", "90", "cm", "2026-07-05 07:00+00").await;

    let bench = exercise_id(app, "Barbell bench press").await;
    let squat = exercise_id(app, "Barbell back squat").await;
    // Before the range: sets the bench records to beat (1RM 80 × 35/30 = 93.33).
    workout(
        app,
        ann,
        &bench,
        "2026-06-20",
        json!([{"reps": 5, "weight": 80}]),
        100,
        20,
    )
    .await;
    // Equal, not beaten: no record. Volume 800.
    workout(
        app,
        ann,
        &bench,
        "2026-07-01",
        json!([{"reps": 5, "weight": 80}, {"reps": 5, "weight": 80}]),
        200,
        45,
    )
    .await;
    // 3 × 90: 1RM 99 and heaviest 90, both records. Volume 270.
    workout(
        app,
        ann,
        &bench,
        "2026-07-03",
        json!([{"reps": 3, "weight": 90}]),
        150,
        30,
    )
    .await;
    // First squats ever: records. Volume 3 × 5 × 100 = 1500.
    workout(
        app,
        ann,
        &squat,
        "2026-07-08",
        json!([{"reps": 5, "weight": 100}, {"reps": 5, "weight": 100}, {"reps": 5, "weight": 100}]),
        300,
        60,
    )
    .await;
}

/// A day some of whose entries give no sodium knows a lower bound of it: within the limit it
/// cannot say the limit was kept (left out of the share), past it the limit was broken.
#[tokio::test]
async fn a_partly_known_limit_is_not_counted_as_kept() {
    let app = TestApp::spawn().await;
    let (bob_id, bob) = app.user("bob@example.com").await;
    let bob_id: Uuid = bob_id.parse().unwrap();
    // 07-01: 1000 mg and an entry without sodium; 07-02: 2500 mg and one without; 07-03:
    // 1200 mg, every entry known.
    eat(&app, bob_id, "2026-07-01", 800, 30, 90, 20, 10, Some(1000)).await;
    eat(&app, bob_id, "2026-07-01", 400, 10, 50, 10, 5, None).await;
    eat(&app, bob_id, "2026-07-02", 900, 30, 90, 20, 10, Some(2500)).await;
    eat(&app, bob_id, "2026-07-02", 300, 10, 30, 10, 5, None).await;
    eat(
        &app,
        bob_id,
        "2026-07-03",
        1500,
        60,
        150,
        50,
        30,
        Some(1200),
    )
    .await;
    let r = app
        .get(&format!("/api/v1/reports/nutrition?{RANGE}"), &bob)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let n = r.body["nutrients"].as_array().unwrap();
    let sodium = n.iter().find(|n| n["nutrient"] == "sodium").unwrap();
    assert_eq!(sodium["days_known"], 3, "{sodium}");
    assert_eq!(sodium["days_decided"], 2, "{sodium}");
    assert_eq!(sodium["days_met"], 1, "{sodium}");
    assert_eq!(sodium["percent_of_days_met"], 50.0, "{sodium}");
    let fiber = n.iter().find(|n| n["nutrient"] == "fiber").unwrap();
    assert_eq!(fiber["days_decided"], 3, "{fiber}");
    // The page says of how many days.
    let As::Cookie(session) = &bob else {
        panic!("a session")
    };
    let page = app
        .client
        .get(format!("{}/reports?{RANGE}", app.base))
        .header("cookie", format!("sparky_session={session}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("50% of 2 days"), "{page}");
}

#[tokio::test]
async fn nutrition_report_adds_up_by_hand() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let ann_id: Uuid = ann_id.parse().unwrap();
    seed_ann(&app, ann_id, &ann).await;

    let r = app
        .get(&format!("/api/v1/reports/nutrition?{RANGE}"), &ann)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let b = &r.body;
    assert_eq!(b["from"], "2026-07-01");
    assert_eq!(b["to"], "2026-07-14");
    assert_eq!(b["logged_days"], 3);
    let days = b["days"].as_array().unwrap();
    assert_eq!(days.len(), 14);
    assert_eq!(days[0]["eaten"]["calories"], 2000.0);
    assert_eq!(days[1]["eaten"]["calories"], 1500.0);
    assert_eq!(days[1]["eaten"]["sodium"], 2500.0);
    // A day without entries is missing, not zero.
    assert_eq!(days[2]["date"], "2026-07-03");
    assert_eq!(days[2]["eaten"], Value::Null);
    assert_eq!(days[5]["eaten"]["calories"], 2500.0);

    // (2000 + 1500 + 2500) / 3 logged days; 07-02 is within 1800, and 07-01 within 1800 plus
    // its 200 kcal workout (all of it counts by default), as Today shows it.
    let c = &b["calories"];
    assert_eq!(c["target"], 1800.0);
    assert_eq!(c["average"], 2000.0);
    assert_eq!(c["days_within_target"], 2);
    // Weeks from Monday: 07-01..05, 07-06..12, 07-13..14; each budget is its logged days ×
    // 1800 (a day without food is not calories under budget), none for a week without any;
    // the exercise that counts is that of the logged days (07-03 and 07-08 had no food).
    assert_eq!(
        c["weeks"],
        json!([
            {"week_start": "2026-06-29", "days": 5, "logged_days": 2, "calories": 3500.0, "budget": 3600.0, "burned_counted": 200.0},
            {"week_start": "2026-07-06", "days": 7, "logged_days": 1, "calories": 2500.0, "budget": 1800.0, "burned_counted": 0.0},
            {"week_start": "2026-07-13", "days": 2, "logged_days": 0, "calories": null, "budget": null, "burned_counted": 0.0},
        ])
    );
    // With half of exercise counted, 07-01 (2000 > 1800 + 100) is over again.
    let r = app
        .put(
            "/api/v1/preferences",
            &ann,
            json!({"exercise_eat_back_percent": 50}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let half = app
        .get(&format!("/api/v1/reports/nutrition?{RANGE}"), &ann)
        .await;
    assert_eq!(half.body["calories"]["days_within_target"], 1);
    assert_eq!(half.body["calories"]["weeks"][0]["burned_counted"], 100.0);

    // Macros: 300 g protein (1200 kcal), 750 g carbs (3000), 190 g fat (1710) of 5910 kcal.
    let macros = b["macros"].as_array().unwrap();
    assert_eq!(macros[0]["nutrient"], "protein");
    assert_eq!(macros[0]["average"], 100.0);
    assert_eq!(macros[0]["target"], 120.0);
    assert_eq!(macros[0]["energy_percent"], 20.3);
    assert_eq!(macros[1]["energy_percent"], 50.8);
    assert_eq!(macros[2]["average"], 63.3);
    assert_eq!(macros[2]["target"], Value::Null);
    assert_eq!(macros[2]["energy_percent"], 28.9);

    // Only what the diary holds: fiber (30, 20, 28 against at least 28) and sodium (2000,
    // 2500, unknown against at most 2300: the unknown day neither met nor broke the limit).
    let n = b["nutrients"].as_array().unwrap();
    assert_eq!(n.len(), 2, "{n:?}");
    assert_eq!(
        n[0],
        json!({"nutrient": "fiber", "unit": "g", "average": 26.0, "target": 28.0,
               "bound": "at_least", "days_known": 3, "days_decided": 3, "days_met": 2,
               "percent_of_days_met": 66.7})
    );
    assert_eq!(
        n[1],
        json!({"nutrient": "sodium", "unit": "mg", "average": 2250.0, "target": 2300.0,
               "bound": "at_most", "days_known": 2, "days_decided": 2, "days_met": 1,
               "percent_of_days_met": 50.0})
    );

    // CSV: a header row, one row a day, empty cells for a missing day.
    let csv = app
        .get(
            &format!("/api/v1/reports/nutrition?{RANGE}&format=csv"),
            &ann,
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(csv.headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("sparky-nutrition-2026-07-01-2026-07-14.csv"));
    let text = csv.body.as_str().unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 15);
    assert!(
        lines[0].starts_with("date,logged,calorie_target_kcal,burned_kcal,calories_kcal,protein_g,carbohydrates_g,fat_g,fiber_g,sugar_g,sodium_mg"),
        "{}",
        lines[0]
    );
    assert!(lines[0].ends_with("vitamin_a_µg,vitamin_c_mg"));
    assert!(
        lines[2].starts_with("2026-07-02,true,1800,,1500,50,200,50,20,,2500,"),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].starts_with("2026-07-03,false,1800,150,,,"),
        "{}",
        lines[3]
    );
    assert_eq!(csv.headers["vary"], "Accept");

    // Without format=, the Accept header decides; a browser's usual header gets JSON.
    let path = format!("/api/v1/reports/nutrition?{RANGE}");
    let by_accept = app
        .request_with(
            reqwest::Method::GET,
            &path,
            &ann,
            None,
            &[("accept", "text/csv")],
        )
        .await;
    assert_eq!(by_accept.status, StatusCode::OK);
    assert!(by_accept.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert_eq!(by_accept.body, csv.body);
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let json_again = app
        .request_with(
            reqwest::Method::GET,
            &path,
            &ann,
            None,
            &[("accept", browser)],
        )
        .await;
    assert!(json_again.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    assert!(json_again.body.is_object());
}

#[tokio::test]
async fn body_report_has_the_trend_its_weekly_rate_and_custom_types() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let ann_id: Uuid = ann_id.parse().unwrap();
    seed_ann(&app, ann_id, &ann).await;

    let r = app
        .get(&format!("/api/v1/reports/body?{RANGE}"), &ann)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let b = &r.body;
    assert_eq!(b["units_system"], "metric");
    // Trend from 81 (06-30): 81 + 0.1 × (80 − 81) = 80.9; then 80.9 + 0.1 × (79.2 − 80.9) = 80.73.
    assert_eq!(
        b["weight"]["points"],
        json!([
            {"date": "2026-07-01", "value": 80.0, "trend": 80.9},
            {"date": "2026-07-02", "value": 79.2, "trend": 80.73},
        ])
    );
    assert_eq!(b["weight"]["unit"], "kg");
    // −0.17 a day is −1.19 a week.
    assert_eq!(b["weight"]["weekly_rate"], -1.19);
    assert_eq!(b["weight"]["trend_change"], -0.17);
    let m = b["measurements"].as_array().unwrap();
    assert_eq!(m.len(), 2, "{m:?}");
    assert_eq!(m[0]["type"], "left_arm");
    assert_eq!(m[0]["unit"], "cm");
    assert_eq!(
        m[0]["points"],
        json!([{"date": "2026-07-03", "value": 35.0}, {"date": "2026-07-10", "value": 35.5}])
    );
    assert_eq!(m[0]["change"], 0.5);
    assert_eq!(m[1]["type"], "waist");
    assert_eq!(m[1]["change"], Value::Null);

    // An imperial owner reads pounds and inches, in JSON and CSV.
    let (ivy_id, ivy) = app.user("ivy@example.com").await;
    let ivy_id: Uuid = ivy_id.parse().unwrap();
    let p = app
        .put(
            "/api/v1/preferences",
            &ivy,
            json!({"units_system": "imperial"}),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{:?}", p.body);
    measure(&app, ivy_id, "weight", "100", "kg", "2026-07-01 07:00+00").await;
    measure(&app, ivy_id, "waist", "100", "cm", "2026-07-01 07:00+00").await;
    let r = app
        .get(&format!("/api/v1/reports/body?{RANGE}"), &ivy)
        .await;
    assert_eq!(r.body["weight"]["unit"], "lb");
    assert_eq!(r.body["weight"]["points"][0]["value"], 220.46);
    assert_eq!(r.body["measurements"][0]["unit"], "in");
    let csv = app
        .get(&format!("/api/v1/reports/body?{RANGE}&format=csv"), &ivy)
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    let text = csv.body.as_str().unwrap();
    assert_eq!(
        text,
        "date,type,value,unit,trend\r\n2026-07-01,weight,220.46,lb,220.46\r\n2026-07-01,waist,39.37,in,\r\n"
    );
}

#[tokio::test]
async fn exercise_report_has_volume_per_muscle_group_and_records() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let ann_id: Uuid = ann_id.parse().unwrap();
    seed_ann(&app, ann_id, &ann).await;

    let r = app
        .get(&format!("/api/v1/reports/exercise?{RANGE}"), &ann)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let b = &r.body;
    assert_eq!(b["weight_unit"], "kg");
    assert_eq!(b["sessions"], 3);
    assert_eq!(b["active_days"], 3);
    assert_eq!(b["calories_burned"], 650.0);
    assert_eq!(b["duration_minutes"], 135);
    let weeks = b["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 3);
    assert_eq!(weeks[0]["week_start"], "2026-06-29");
    assert_eq!(weeks[0]["sessions"], 2);
    assert_eq!(weeks[0]["calories_burned"], 350.0);
    // Bench press works chest, triceps and shoulders: 800 + 270 each.
    assert_eq!(
        weeks[0]["volume"],
        json!([
            {"muscle_group": "chest", "volume": 1070.0},
            {"muscle_group": "shoulders", "volume": 1070.0},
            {"muscle_group": "triceps", "volume": 1070.0},
        ])
    );
    let squat_groups: Vec<&str> = weeks[1]["volume"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            assert_eq!(v["volume"], 1500.0);
            v["muscle_group"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        squat_groups,
        ["glutes", "hamstrings", "lower back", "quadriceps"]
    );
    assert_eq!(weeks[2]["sessions"], 0);
    assert_eq!(
        b["volume"][0],
        json!({"muscle_group": "glutes", "volume": 1500.0})
    );

    // 07-01 only equals the June bench; 07-03 beats it; the first squats set records.
    let records: Vec<(String, String, String, f64, f64, i64)> = b["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["date"].as_str().unwrap().to_string(),
                r["exercise_name"].as_str().unwrap().to_string(),
                r["kind"].as_str().unwrap().to_string(),
                r["value"].as_f64().unwrap(),
                r["weight"].as_f64().unwrap(),
                r["reps"].as_i64().unwrap(),
            )
        })
        .collect();
    let rec = |d: &str, n: &str, k: &str, v: f64, w: f64, reps: i64| {
        (d.to_string(), n.to_string(), k.to_string(), v, w, reps)
    };
    assert_eq!(
        records,
        vec![
            rec(
                "2026-07-03",
                "Barbell bench press",
                "heaviest_weight",
                90.0,
                90.0,
                3
            ),
            rec(
                "2026-07-03",
                "Barbell bench press",
                "one_rep_max",
                99.0,
                90.0,
                3
            ),
            rec(
                "2026-07-08",
                "Barbell back squat",
                "heaviest_weight",
                100.0,
                100.0,
                5
            ),
            rec(
                "2026-07-08",
                "Barbell back squat",
                "one_rep_max",
                116.67,
                100.0,
                5
            ),
        ]
    );

    let csv = app
        .get(
            &format!("/api/v1/reports/exercise?{RANGE}&format=csv"),
            &ann,
        )
        .await;
    let text = csv.body.as_str().unwrap();
    assert!(text.starts_with("date,metric,subject,value,unit\r\n2026-07-01,sessions,,1,count\r\n2026-07-01,calories_burned,,200,kcal\r\n"), "{text}");
    assert!(
        text.contains("2026-06-29,volume,chest,1070,kg\r\n"),
        "{text}"
    );
    assert!(
        text.contains("2026-07-08,one_rep_max,Barbell back squat,116.67,kg\r\n"),
        "{text}"
    );
}

#[tokio::test]
async fn family_with_reports_access_reads_them_and_others_get_404() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let ann_uuid: Uuid = ann_id.parse().unwrap();
    let (_, bob) = app.user("bob@example.com").await;
    let (_, cat) = app.user("cat@example.com").await;
    let (_, dan) = app.user("dan@example.com").await;
    seed_ann(&app, ann_uuid, &ann).await;
    for (email, access) in [
        ("bob@example.com", "reports"),
        ("cat@example.com", "food_list"),
    ] {
        let r = app
            .post(
                "/api/v1/family-access",
                &ann,
                json!({"grantee_email": email, "access_type": access}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    for report in ["nutrition", "body", "exercise"] {
        let path = format!("/api/v1/reports/{report}?{RANGE}&user_id={ann_id}");
        let own = app
            .get(&format!("/api/v1/reports/{report}?{RANGE}"), &ann)
            .await;
        let shared = app.get(&path, &bob).await;
        assert_eq!(shared.status, StatusCode::OK, "{report}: {:?}", shared.body);
        assert_eq!(shared.body, own.body, "{report}: bob reads what ann reads");
        let no_grant = app.get(&path, &cat).await;
        let stranger = app.get(&path, &dan).await;
        assert_eq!(no_grant.status, StatusCode::NOT_FOUND, "{report}");
        assert_eq!(stranger.status, StatusCode::NOT_FOUND, "{report}");
        assert_eq!(no_grant.body, stranger.body, "{report}");
        // A CSV is no way around it either.
        let csv = app.get(&format!("{path}&format=csv"), &cat).await;
        assert_eq!(csv.status, StatusCode::NOT_FOUND, "{report}");
    }
    let r = app.get("/api/v1/reports/nutrition", &As::Nobody).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_ranges_are_422_and_presets_end_today() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    for (query, field) in [
        ("days=0", "days"),
        ("days=367", "days"),
        ("days=", "days"),
        ("days=seven", "days"),
        ("from=2026-01-01", "to"),
        ("to=2026-01-01", "from"),
        ("from=2026-01-02&to=2026-01-01", "to"),
        ("from=2026-01-01&to=2027-01-02", "to"),
        ("days=7&from=2026-01-01&to=2026-01-02", "days"),
        ("from=2026-02-30&to=2026-03-01", "from"),
        ("format=xml", "format"),
        ("format=", "format"),
        ("user_id=", "user_id"),
    ] {
        for report in ["nutrition", "body", "exercise"] {
            let r = app
                .get(&format!("/api/v1/reports/{report}?{query}"), &ann)
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{report}?{query}: {:?}",
                r.body
            );
            assert_eq!(r.code(), "validation_failed", "{query}");
            assert!(
                r.body["error"]["fields"].get(field).is_some(),
                "{report}?{query}: {:?}",
                r.body
            );
        }
    }
    // A year of 366 days is the most; presets end today (in the owner's timezone).
    let r = app
        .get(
            "/api/v1/reports/nutrition?from=2024-01-01&to=2024-12-31",
            &ann,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["days"].as_array().unwrap().len(), 366);
    for days in [7, 30, 90, 365] {
        let r = app
            .get(&format!("/api/v1/reports/nutrition?days={days}"), &ann)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let today = chrono::Utc::now().date_naive().to_string();
        assert_eq!(r.body["to"], today);
        assert_eq!(r.body["days"].as_array().unwrap().len(), days);
        let r = app
            .get(&format!("/api/v1/reports/exercise?days={days}"), &ann)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["sessions"], 0);
        let r = app
            .get(&format!("/api/v1/reports/body?days={days}"), &ann)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["weight"]["points"], json!([]));
    }
    let r = app.get("/api/v1/reports/body", &ann).await;
    assert_eq!(r.status, StatusCode::OK);
}

/// Weekly totals follow the owner's first day of the week (`week_start`): the same days, laid
/// into Sunday-to-Saturday weeks, with nothing lost or counted twice.
#[tokio::test]
async fn weeks_start_on_the_owners_first_day_of_the_week() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let ann_id: Uuid = ann_id.parse().unwrap();
    seed_ann(&app, ann_id, &ann).await;
    let monday_weeks = app
        .get(&format!("/api/v1/reports/nutrition?{RANGE}"), &ann)
        .await
        .body;
    let r = app
        .put("/api/v1/preferences", &ann, json!({"week_start": "sunday"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    let starts = |b: &Value| -> Vec<String> {
        b["weeks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["week_start"].as_str().unwrap().to_string())
            .collect()
    };
    let sum = |b: &Value, field: &str| -> f64 {
        b["weeks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w[field].as_f64().unwrap_or(0.0))
            .sum()
    };
    let n = app
        .get(&format!("/api/v1/reports/nutrition?{RANGE}"), &ann)
        .await;
    assert_eq!(n.status, StatusCode::OK, "{:?}", n.body);
    let c = &n.body["calories"];
    assert_eq!(starts(c), ["2026-06-28", "2026-07-05", "2026-07-12"]);
    let days: Vec<i64> = c["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["days"].as_i64().unwrap())
        .collect();
    assert_eq!(days, [4, 7, 3]);
    assert_eq!(
        sum(c, "calories"),
        sum(&monday_weeks["calories"], "calories"),
        "{c}"
    );

    let e = app
        .get(&format!("/api/v1/reports/exercise?{RANGE}"), &ann)
        .await;
    assert_eq!(e.status, StatusCode::OK, "{:?}", e.body);
    assert_eq!(starts(&e.body), ["2026-06-28", "2026-07-05", "2026-07-12"]);
    assert_eq!(sum(&e.body, "sessions"), 3.0);
    let volume: f64 = e.body["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["volume"].as_array().unwrap().clone())
        .map(|v| v["volume"].as_f64().unwrap())
        .sum();
    let total: f64 = e.body["volume"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["volume"].as_f64().unwrap())
        .sum();
    assert_eq!(volume, total, "{}", e.body);
}

/// The foods report: a food is one food item (whatever it was called when logged), a quick
/// add its name in any case; ranked by a nutrient's amount in the range, with the share of the
/// range's total, as JSON and CSV; bounds and strangers refused.
#[tokio::test]
async fn foods_report_ranks_the_ranges_foods() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let food = |name: &str, kcal: i64, protein: i64| {
        json!({"name": name, "servings": [{"size": 100, "unit": "g",
               "nutrients": {"calories": kcal, "protein": protein, "fat": 1}}]})
    };
    let oats = app.post("/api/v1/foods", &ann, food("Oats", 380, 13)).await;
    assert_eq!(oats.status, StatusCode::CREATED, "{:?}", oats.body);
    let oats_id = oats.body["id"].as_str().unwrap().to_string();
    let egg = app.post("/api/v1/foods", &ann, food("Egg", 150, 12)).await;
    let egg_id = egg.body["id"].as_str().unwrap().to_string();
    let log = |id: &str, grams: i64, date: &str| {
        json!({"food_item_id": id, "quantity": grams, "unit": "g", "meal_type": "breakfast",
               "date": date})
    };
    for (id, grams, date) in [
        (&oats_id, 100, "2026-07-01"),
        (&oats_id, 50, "2026-07-03"),
        (&egg_id, 100, "2026-07-02"),
        (&egg_id, 100, "2026-07-03"),
        (&egg_id, 100, "2026-07-04"),
        // Outside the range.
        (&oats_id, 1000, "2026-06-30"),
    ] {
        let r = app.post("/api/v1/diary", &ann, log(id, grams, date)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    // Renamed afterwards: still one food, shown by its name as last logged.
    let renamed = app
        .put(
            &format!("/api/v1/foods/{oats_id}"),
            &ann,
            food("Rolled oats", 380, 13),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.body);
    let r = app
        .post("/api/v1/diary", &ann, log(&oats_id, 50, "2026-07-05"))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    for (name, kcal) in [("Cake", 300), ("cake", 200), ("Apple", 95)] {
        let quick = json!({"meal_type": "snack", "date": "2026-07-04", "name": name,
                           "nutrients": {"calories": kcal}});
        let r = app.post("/api/v1/diary/quick-add", &ann, quick).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }

    let r = app
        .get(&format!("/api/v1/reports/foods?{RANGE}"), &ann)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["by"], "calories");
    assert_eq!(r.body["unit"], "kcal");
    // Oats 380 + 190 + 190 = 760; egg 3 × 150 = 450; cake 500; apple 95: 1805 kcal.
    assert_eq!(r.body["total"], json!(1805.0));
    let foods = r.body["foods"].as_array().unwrap();
    let ranked: Vec<(String, Value, Value, Value)> = foods
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                f["entries"].clone(),
                f["amount"].clone(),
                f["percent"].clone(),
            )
        })
        .collect();
    assert_eq!(
        ranked,
        vec![
            ("Rolled oats".into(), json!(3), json!(760.0), json!(42.1)),
            // Named as last logged.
            ("cake".into(), json!(2), json!(500.0), json!(27.7)),
            ("Egg".into(), json!(3), json!(450.0), json!(24.9)),
            ("Apple".into(), json!(1), json!(95.0), json!(5.3)),
        ]
    );
    assert_eq!(foods[0]["food_item_id"], json!(oats_id));
    assert_eq!(foods[0]["protein"], json!(26.0));
    assert_eq!(foods[1]["food_item_id"], Value::Null);
    assert_eq!(foods[2]["fat"], json!(3.0));

    // By protein, the top one: eggs (36 g of 62); the quick adds gave none and are left out.
    let r = app
        .get(
            &format!("/api/v1/reports/foods?{RANGE}&by=protein&limit=1"),
            &ann,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["unit"], "g");
    assert_eq!(r.body["total"], json!(62.0));
    assert_eq!(
        r.body["foods"],
        json!([{"name": "Egg", "brand": null, "food_item_id": egg_id, "entries": 3,
                "amount": 36.0, "percent": 58.1, "calories": 450.0, "protein": 36.0,
                "carbohydrates": null, "fat": 3.0}])
    );
    let r = app
        .get(&format!("/api/v1/reports/foods?{RANGE}&by=fiber"), &ann)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["foods"], json!([]));
    assert_eq!(r.body["total"], Value::Null);

    // CSV: a header row and a row per food.
    let csv = app
        .get(&format!("/api/v1/reports/foods?{RANGE}&format=csv"), &ann)
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("sparky-foods-2026-07-01-2026-07-14.csv"));
    let text = csv.body.as_str().unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        vec![
            "rank,food,brand,entries,calories_kcal,percent,protein_g,carbohydrates_g,fat_g",
            "1,Rolled oats,,3,760,42.1,26,,2",
            "2,cake,,2,500,27.7,,,",
            "3,Egg,,3,450,24.9,36,,3",
            "4,Apple,,1,95,5.3,,,",
        ]
    );

    // Bad input is a 422 naming the parameter; another user's report is a 404.
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=51", "limit"),
        ("by=vitamins", "by"),
        ("days=400", "days"),
    ] {
        let r = app
            .get(&format!("/api/v1/reports/foods?{query}"), &ann)
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {:?}",
            r.body
        );
        assert!(
            r.body["error"]["fields"].get(field).is_some(),
            "{query}: {:?}",
            r.body
        );
    }
    let (bob_id, _) = app.user("bob@example.com").await;
    let r = app
        .get(&format!("/api/v1/reports/foods?user_id={bob_id}"), &ann)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
}

/// The exercise report lists the distance and pace records the Exercise page shows (it said
/// "no new records" when only those were set), in the owner's units, in JSON and CSV.
#[tokio::test]
async fn exercise_report_has_distance_and_pace_records() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let run = app
        .post(
            "/api/v1/exercises",
            &ann,
            json!({"name": "Trail run", "category": "cardio", "met_value": 9}),
        )
        .await;
    assert_eq!(run.status, StatusCode::CREATED, "{:?}", run.body);
    for (date, km, minutes) in [
        ("2026-07-02", 5, 30),
        ("2026-07-05", 10, 55),
        ("2026-07-06", 3, 12),
        ("2026-07-07", 2, 20),
    ] {
        let r = app
            .post(
                "/api/v1/workouts",
                &ann,
                json!({"exercise_id": run.body["id"], "date": date, "duration_minutes": minutes,
                       "distance": km, "distance_unit": "km"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let r = app
        .get(&format!("/api/v1/reports/exercise?{RANGE}"), &ann)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let records: Vec<(String, String, f64, String)> = r.body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["date"].as_str().unwrap().to_string(),
                r["kind"].as_str().unwrap().to_string(),
                r["value"].as_f64().unwrap(),
                r["unit"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let rec = |d: &str, k: &str, v: f64, u: &str| (d.to_string(), k.to_string(), v, u.to_string());
    assert_eq!(
        records,
        vec![
            rec("2026-07-02", "fastest_pace", 6.0, "min/km"),
            rec("2026-07-02", "longest_distance", 5.0, "km"),
            rec("2026-07-05", "fastest_pace", 5.5, "min/km"),
            rec("2026-07-05", "longest_distance", 10.0, "km"),
            rec("2026-07-06", "fastest_pace", 4.0, "min/km"),
        ]
    );
    let csv = app
        .get(
            &format!("/api/v1/reports/exercise?{RANGE}&format=csv"),
            &ann,
        )
        .await;
    let text = csv.body.as_str().unwrap();
    assert!(
        text.contains("2026-07-06,fastest_pace,Trail run,4,min/km\r\n"),
        "{text}"
    );
    // The Reports page lists them too.
    let page = app.get(&format!("/reports?{RANGE}"), &ann).await;
    let html = page.body.as_str().unwrap_or_default();
    for text in [
        "Fastest pace",
        "4:00 /km",
        "Longest distance",
        "10 km in 55 min",
    ] {
        assert!(html.contains(text), "missing {text:?}: {html}");
    }
}

/// The exercise report lists the longest timed set of an exercise as the Exercise page does
/// (a hold that beats every earlier one; ties stay with the first), with its load, in JSON,
/// CSV and on the Reports page.
#[tokio::test]
async fn exercise_report_has_longest_set_records() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let plank = app
        .post(
            "/api/v1/exercises",
            &ann,
            json!({"name": "Front plank", "category": "strength", "met_value": 3}),
        )
        .await;
    assert_eq!(plank.status, StatusCode::CREATED, "{:?}", plank.body);
    for (date, sets) in [
        (
            "2026-07-02",
            json!([{"duration_seconds": 45}, {"duration_seconds": 60}]),
        ),
        (
            "2026-07-05",
            json!([{"duration_seconds": 60}, {"reps": 10}]),
        ),
        (
            "2026-07-06",
            json!([{"duration_seconds": 90, "weight": 10, "unit": "kg"}, {"duration_seconds": 30}]),
        ),
    ] {
        let r = app
            .post(
                "/api/v1/workouts",
                &ann,
                json!({"exercise_id": plank.body["id"], "date": date, "sets": sets}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let r = app
        .get(&format!("/api/v1/reports/exercise?{RANGE}"), &ann)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let held: Vec<(String, f64, Value, Value)> = r.body["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "longest_set")
        .map(|r| {
            assert_eq!(r["unit"], "s", "{r}");
            (
                r["date"].as_str().unwrap().to_string(),
                r["value"].as_f64().unwrap(),
                r["weight"].clone(),
                r["duration_seconds"].clone(),
            )
        })
        .collect();
    assert_eq!(
        held,
        vec![
            ("2026-07-02".to_string(), 60.0, Value::Null, json!(60)),
            ("2026-07-06".to_string(), 90.0, json!(10.0), json!(90)),
        ]
    );
    let csv = app
        .get(
            &format!("/api/v1/reports/exercise?{RANGE}&format=csv"),
            &ann,
        )
        .await;
    let text = csv.body.as_str().unwrap();
    assert!(
        text.contains("2026-07-06,longest_set,Front plank,90,s\r\n"),
        "{text}"
    );
    let page = app.get(&format!("/reports?{RANGE}"), &ann).await;
    let html = page.body.as_str().unwrap_or_default();
    for text in ["Longest set", "1:30", "10 kg × 1:30", "60 s"] {
        assert!(html.contains(text), "missing {text:?}: {html}");
    }
    // The loaded hold is the heaviest set too, as on the Exercise page, without reps.
    let heaviest: Vec<&Value> = r.body["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "heaviest_weight")
        .collect();
    assert_eq!(heaviest.len(), 1, "{heaviest:?}");
    assert_eq!(heaviest[0]["date"], "2026-07-06");
    assert!(heaviest[0]["reps"].is_null(), "{heaviest:?}");
    let history = app
        .get(
            &format!(
                "/api/v1/exercises/{}/history",
                plank.body["id"].as_str().unwrap()
            ),
            &ann,
        )
        .await;
    assert_eq!(
        history.body["records"]["heaviest_weight"]["date"], "2026-07-06",
        "{:?}",
        history.body
    );
    assert!(!html.contains("0 × 10 kg"), "{html}");
}

/// A day of a type that adds up (steps, water, sleep, active energy, distance) is the sum of
/// its readings; a day of any other type is their mean.
#[tokio::test]
async fn body_report_sums_the_types_that_add_up() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let ann_id: Uuid = ann_id.parse().unwrap();
    measure(
        &app,
        ann_id,
        "steps",
        "5000",
        "count",
        "2026-07-02 10:00+00",
    )
    .await;
    measure(
        &app,
        ann_id,
        "steps",
        "3000",
        "count",
        "2026-07-02 18:00+00",
    )
    .await;
    measure(
        &app,
        ann_id,
        "resting_heart_rate",
        "60",
        "bpm",
        "2026-07-02 07:00+00",
    )
    .await;
    measure(
        &app,
        ann_id,
        "resting_heart_rate",
        "64",
        "bpm",
        "2026-07-02 19:00+00",
    )
    .await;
    // Sleep as a phone sends it: a night and a nap on one day.
    let key = app
        .post("/api/v1/api-keys", &ann, json!({"name": "phone"}))
        .await;
    let key = key.body["key"].as_str().unwrap().to_string();
    let r = app
        .client
        .post(format!("{}/api/v1/health-data", app.base))
        .bearer_auth(&key)
        .json(&json!([
            {"type": "sleep", "value": 7.5, "unit": "h", "date": "2026-07-02",
             "timestamp": "2026-07-02T06:00:00Z"},
            {"type": "sleep", "value": 1, "unit": "h", "date": "2026-07-02",
             "timestamp": "2026-07-02T14:00:00Z"}
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let r = app
        .get(&format!("/api/v1/reports/body?{RANGE}"), &ann)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let of = |kind: &str| {
        r.body["measurements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["type"] == kind)
            .unwrap_or_else(|| panic!("{kind} in {:?}", r.body))["points"]
            .clone()
    };
    assert_eq!(
        of("steps"),
        json!([{"date": "2026-07-02", "value": 8000.0}])
    );
    assert_eq!(
        of("sleep_hours"),
        json!([{"date": "2026-07-02", "value": 8.5}])
    );
    assert_eq!(
        of("resting_heart_rate"),
        json!([{"date": "2026-07-02", "value": 62.0}])
    );
}

/// A day whose entries know no calories (only a supplement's fat) is not a 0 kcal day: it
/// stays out of the calorie average, the days within target and the week's budget.
#[tokio::test]
async fn a_day_without_known_calories_is_not_a_zero_calorie_day() {
    let app = TestApp::spawn().await;
    let (id, me) = app.user("ed@example.com").await;
    let id: Uuid = id.parse().unwrap();
    let r = app
        .post(
            "/api/v1/goals",
            &me,
            json!({"type": "calorie_target", "target_value": 1800}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    eat(&app, id, "2026-07-01", 2000, 100, 200, 50, 20, None).await;
    app.db
        .owner_client()
        .await
        .execute(
            "INSERT INTO food_diary (user_id, food_name, quantity, unit, meal_type, consumed_at,
                 entry_date, fat)
             VALUES ($1, 'Fish oil', 1, 'capsule', 'snack', '2026-07-02 12:00', '2026-07-02', 1)",
            &[&id],
        )
        .await
        .unwrap();
    let r = app
        .get(&format!("/api/v1/reports/nutrition?{RANGE}"), &me)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let c = &r.body["calories"];
    assert_eq!(r.body["logged_days"], 2);
    assert_eq!(c["average"], 2000.0, "{c}");
    assert_eq!(c["days_within_target"], 0, "{c}");
    assert_eq!(c["weeks"][0]["logged_days"], 1, "{c}");
    assert_eq!(c["weeks"][0]["budget"], 1800.0, "{c}");
}

/// A session without a calorie estimate or a duration leaves the day's calories and minutes
/// unknown (null, an empty CSV cell), not 0, and the report counts such sessions.
#[tokio::test]
async fn unknown_workout_calories_and_minutes_stay_unknown() {
    let app = TestApp::spawn().await;
    let (_, me) = app.user("flo@example.com").await;
    app.sled_push_workout(&me, "2026-07-02").await;
    let r = app
        .get(&format!("/api/v1/reports/exercise?{RANGE}"), &me)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let day = &r.body["days"][0];
    assert_eq!(day["date"], "2026-07-02");
    assert_eq!(day["calories_burned"], Value::Null, "{day}");
    assert_eq!(day["duration_minutes"], Value::Null, "{day}");
    assert_eq!(day["sessions_without_calories"], 1);
    assert_eq!(r.body["sessions_without_calories"], 1);
    let csv = app
        .get(&format!("/api/v1/reports/exercise?{RANGE}&format=csv"), &me)
        .await;
    let text = csv.body.as_str().unwrap().to_string();
    assert!(text.contains("2026-07-02,calories_burned,,,kcal"), "{text}");
    assert!(text.contains("2026-07-02,duration,,,min"), "{text}");
}

/// Each past day is judged by the calorie target it had: a target lowered on 07-08 leaves the
/// days before it with the earlier one (the chart's line, the days within target and the
/// weekly budgets alike); a goal's changes are recorded by the database as they happen.
#[tokio::test]
async fn past_days_keep_the_target_they_had() {
    let app = TestApp::spawn().await;
    let (bob_id, bob) = app.user("bob@example.com").await;
    let bob_id: Uuid = bob_id.parse().unwrap();
    let r = app
        .post(
            "/api/v1/goals",
            &bob,
            json!({"type": "calorie_target", "target_value": 2000}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let owner_db = app.db.owner_client().await;
    let recorded: Vec<(String, Option<f64>)> = owner_db
        .query(
            "SELECT valid_from::text, target_value::float8 FROM goal_target_history
             WHERE user_id = $1 AND type = 'calorie_target' ORDER BY valid_from",
            &[&bob_id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(recorded[0].1, Some(2000.0), "{recorded:?}");
    // As if 2000 had been set on 07-01 and lowered to 1500 on 07-08.
    owner_db
        .execute(
            "UPDATE goal_target_history SET valid_from = '2026-07-01' WHERE user_id = $1;",
            &[&bob_id],
        )
        .await
        .unwrap();
    owner_db
        .execute(
            "INSERT INTO goal_target_history (user_id, type, valid_from, target_value)
             VALUES ($1, 'calorie_target', '2026-07-08', 1500)",
            &[&bob_id],
        )
        .await
        .unwrap();
    eat(
        &app,
        bob_id,
        "2026-07-02",
        1800,
        90,
        200,
        60,
        20,
        Some(1000),
    )
    .await;
    eat(
        &app,
        bob_id,
        "2026-07-09",
        1800,
        90,
        200,
        60,
        20,
        Some(1000),
    )
    .await;
    let r = app
        .get(&format!("/api/v1/reports/nutrition?{RANGE}"), &bob)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let days = r.body["days"].as_array().unwrap();
    assert_eq!(days[1]["calorie_target"], 2000.0, "07-02");
    assert_eq!(days[8]["calorie_target"], 1500.0, "07-09");
    assert_eq!(days[13]["calorie_target"], 1500.0, "07-14");
    // 07-02 within its 2,000; 07-09 over its 1,500.
    assert_eq!(r.body["calories"]["days_within_target"], 1, "{}", r.body);
    let weeks = r.body["calories"]["weeks"].as_array().unwrap();
    assert_eq!(weeks[0]["budget"], 2000.0, "{weeks:?}");
    assert_eq!(weeks[1]["budget"], 1500.0, "{weeks:?}");
    // The goal's target, today: the report's headline target is the current one.
    assert_eq!(r.body["calories"]["target"], 2000.0);
}
