//! Hostile export files through `POST /api/v1/import/{kind}`, black-box against a real
//! database: every importer gets its fixtures with fields made hostile (sparky-testkit's
//! `hostile` mutations: NUL, huge and non-finite numbers, impossible dates, cut and repeated
//! lines, flipped bytes). An import may be refused (422, 413) or skip rows; it may not answer
//! 5xx, the derived day totals must still equal the diaries, and whatever was imported must
//! leave in the account's export archive and come in again in another account.

mod common;

use common::{assert_day_totals_match_diary, As, TestApp};
use rand::rngs::StdRng;
use rand::SeedableRng;
use reqwest::{header, StatusCode};
use serde_json::{json, Value};
use sparky_testkit::hostile::{mutate_bytes, mutate_csv};

fn fixture(name: &str) -> Vec<u8> {
    common::import_fixture(name)
}

async fn key_of(app: &TestApp, email: &str) -> String {
    let (_, cookie) = app.user(email).await;
    let r = app
        .post("/api/v1/api-keys", &cookie, json!({"name": "import"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["key"].as_str().unwrap().to_string()
}

async fn send(
    app: &TestApp,
    path: &str,
    key: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, String) {
    let resp = app
        .client
        .post(format!("{}{}", app.base, path))
        .header(header::CONTENT_TYPE, content_type)
        .bearer_auth(key)
        .body(body)
        .send()
        .await
        .unwrap();
    (resp.status(), resp.text().await.unwrap())
}

const FILES: &[(&str, &str, bool)] = &[
    // (import kind, fixture, is text)
    ("mfp", "mfp/Nutrition-Summary.csv", true),
    ("mfp", "mfp/Measurement-Summary.csv", true),
    ("mfp", "mfp/Exercise-Summary.csv", true),
    ("cronometer", "cronometer/servings.csv", true),
    ("cronometer", "cronometer/biometrics.csv", true),
    ("cronometer", "cronometer/exercises.csv", true),
    ("strong", "strong/strong.csv", true),
    ("hevy", "hevy/workouts.csv", true),
    ("fitnotes", "fitnotes/FitNotes_Export.csv", true),
    ("apple-health", "apple-health/export.xml", false),
    ("macrofactor", "macrofactor/granular.xlsx", false),
];

#[tokio::test]
async fn hostile_export_files_are_refused_or_read_never_a_server_error() {
    let app = TestApp::spawn().await;
    let key = key_of(&app, "ann@example.com").await;
    let mut rng = StdRng::seed_from_u64(0x1a9_0ff1);
    let mut imported = 0;
    for (kind, path, text) in FILES {
        let original = fixture(path);
        for round in 0..30 {
            let file = if *text {
                mutate_csv(std::str::from_utf8(&original).unwrap(), &mut rng).into_bytes()
            } else {
                mutate_bytes(&original, &mut rng)
            };
            let (status, body) = send(
                &app,
                &format!("/api/v1/import/{kind}"),
                &key,
                "application/octet-stream",
                file.clone(),
            )
            .await;
            let shown = String::from_utf8_lossy(&file[..file.len().min(1_500)]).into_owned();
            assert!(
                status == StatusCode::OK
                    || status == StatusCode::UNPROCESSABLE_ENTITY
                    || status == StatusCode::PAYLOAD_TOO_LARGE,
                "{path} round {round}: {status} {body}\nfile:\n{shown}"
            );
            if status == StatusCode::OK {
                imported += 1;
            } else {
                let error: Value = serde_json::from_str(&body).unwrap();
                assert!(error["error"]["message"].is_string(), "{body}");
            }
        }
        // The same hostile fields through the generic CSV importer, for each area.
        if *text {
            for target in ["foods", "diary", "measurements", "workouts"] {
                let file =
                    mutate_csv(std::str::from_utf8(&original).unwrap(), &mut rng).into_bytes();
                let (status, body) = send(
                    &app,
                    &format!("/api/v1/import/csv?target={target}"),
                    &key,
                    "text/csv",
                    file.clone(),
                )
                .await;
                assert!(
                    status == StatusCode::OK || status == StatusCode::UNPROCESSABLE_ENTITY,
                    "{path} as {target}: {status} {body}\nfile:\n{}",
                    String::from_utf8_lossy(&file[..file.len().min(1_500)])
                );
            }
        }
    }
    assert!(
        imported > 20,
        "most damaged files still import some rows: {imported}"
    );
    assert_day_totals_match_diary(&app).await;

    // Whatever came in leaves in the archive, and comes in again elsewhere.
    let resp = app
        .client
        .get(format!("{}/api/v1/export", app.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let archive = resp.bytes().await.unwrap().to_vec();
    let bob = key_of(&app, "bob@example.com").await;
    let (status, body) = send(&app, "/api/v1/import", &bob, "application/gzip", archive).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_day_totals_match_diary(&app).await;
    let rows = |table: &'static str| {
        let app = &app;
        async move {
            let sql = format!(
                "SELECT u.email, count(t.*) FROM users u LEFT JOIN {table} t ON t.user_id = u.id \
                 GROUP BY u.email ORDER BY u.email"
            );
            app.db
                .owner_client()
                .await
                .query(&sql, &[])
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1)))
                .collect::<Vec<_>>()
        }
    };
    for table in ["food_diary", "measurements", "exercise_diary"] {
        let counts = rows(table).await;
        assert_eq!(counts.len(), 2, "{counts:?}");
        assert_eq!(counts[0].1, counts[1].1, "{table}: {counts:?}");
        assert!(
            counts[0].1 > 0,
            "{table}: nothing imported to move: {counts:?}"
        );
    }
    // Each day has the same water and weight in both accounts (of weights at one time, the
    // one written last: the archive keeps the order).
    let days = app
        .db
        .owner_client()
        .await
        .query(
            "SELECT count(*) FROM (SELECT entry_date, water_ml, weight_kg, count(*) FROM measurement_day_totals \
             GROUP BY 1, 2, 3 HAVING count(*) <> 2) odd",
            &[],
        )
        .await
        .unwrap()[0]
        .get::<_, i64>(0);
    assert_eq!(days, 0, "days whose water or weight differ after the move");
    // Reads over everything imported still answer.
    let who = As::Key(key.clone());
    for path in [
        "/api/v1/measurements?limit=200",
        "/api/v1/workouts?from=1900-01-01&to=2199-12-31",
        "/api/v1/summary?from=2020-01-01&to=2026-12-31",
        "/api/v1/reports/nutrition?from=2020-01-01&to=2026-12-31",
    ] {
        let r = app.get(path, &who).await;
        assert!(
            r.status == StatusCode::OK || r.status == StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {} {:?}",
            r.status,
            r.body
        );
        assert!(!r.status.is_server_error());
    }
}
