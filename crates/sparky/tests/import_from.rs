//! Black-box tests of `sparky import-from` against a real PostgreSQL, with the fixtures of
//! crates/sparky-import/fixtures (files in the shapes MyFitnessPal, Cronometer and Apple
//! Health export).

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use rust_decimal::Decimal;
use sparky_testkit::TestDb;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../sparky-import/fixtures")
        .join(name)
}

fn sparky(url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sparky"));
    cmd.env_remove("DATABASE_URL")
        .env_remove("SPARKY_DATA_DIR")
        .env_remove("SPARKY_APP_ROLE")
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    cmd
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn import(db: &TestDb, args: &[&str], files: &[PathBuf]) -> Output {
    sparky(&db.url())
        .args(["import-from"])
        .args(args)
        .args(["--user", "ann@example.com", "--json"])
        .args(files)
        .output()
        .expect("run sparky")
}

fn preview(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", text(out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
}

async fn set_up() -> (TestDb, tokio_postgres::Client) {
    let db = TestDb::new().await;
    let owner = db.owner_client().await;
    owner
        .execute(
            "SELECT user_id FROM auth.register_user('ann@example.com', 'x', 'Ann', true)",
            &[],
        )
        .await
        .unwrap();
    (db, owner)
}

async fn count(owner: &tokio_postgres::Client, sql: &str) -> i64 {
    owner.query_one(sql, &[]).await.unwrap().get(0)
}

async fn decimal(owner: &tokio_postgres::Client, sql: &str) -> Decimal {
    owner.query_one(sql, &[]).await.unwrap().get(0)
}

/// Every table an import writes, counted.
async fn written(owner: &tokio_postgres::Client) -> [i64; 5] {
    [
        count(owner, "SELECT count(*) FROM food_diary").await,
        count(owner, "SELECT count(*) FROM measurements").await,
        count(owner, "SELECT count(*) FROM exercise_diary").await,
        count(
            owner,
            "SELECT count(*) FROM food_items WHERE user_id IS NOT NULL",
        )
        .await,
        count(owner, "SELECT count(*) FROM import_records").await,
    ]
}

#[tokio::test]
async fn mfp_nutrition_dry_run_import_and_rerun() {
    let (db, owner) = set_up().await;
    let file = fixture("mfp/Nutrition-Summary.csv");

    let p = preview(&import(
        &db,
        &["mfp", "--dry-run"],
        std::slice::from_ref(&file),
    ));
    assert_eq!(p["dry_run"], true);
    assert_eq!(p["created"]["diary"], 4, "{p}");
    assert_eq!(p["skipped"]["diary"], 1, "{p}");
    assert_eq!(p["skip_reasons"][0]["reason"], "nothing eaten (all zero)");
    assert_eq!(p["skip_reasons"][0]["first_line"], 5);
    assert_eq!(written(&owner).await, [0; 5], "a dry run writes nothing");

    let p = preview(&import(&db, &["mfp"], std::slice::from_ref(&file)));
    assert_eq!(p["created"]["diary"], 4, "{p}");
    assert_eq!(count(&owner, "SELECT count(*) FROM food_diary").await, 4);
    // The diary's day totals follow: 420 + 655 + 810 on the 15th.
    assert_eq!(
        decimal(
            &owner,
            "SELECT calories FROM diary_day_totals WHERE entry_date = '2025-01-15'"
        )
        .await,
        Decimal::from(1885)
    );
    assert_eq!(
        decimal(&owner, "SELECT sum(protein) FROM food_diary").await,
        Decimal::new(1175, 1)
    );
    assert_eq!(
        decimal(
            &owner,
            "SELECT sodium FROM food_diary WHERE meal_type = 'dinner'"
        )
        .await,
        Decimal::from(1350)
    );
    assert_eq!(
        count(
            &owner,
            "SELECT count(*) FROM food_diary WHERE meal_type = 'snack' AND entry_date = '2025-01-16'"
        )
        .await,
        1
    );

    let p = preview(&import(&db, &["mfp"], &[file]));
    assert_eq!(
        p["created"]["diary"], 0,
        "a second run creates nothing: {p}"
    );
    assert_eq!(p["skipped"]["diary"], 5);
    assert!(p["skip_reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["reason"] == "already imported" && r["count"] == 4));
    assert_eq!(count(&owner, "SELECT count(*) FROM food_diary").await, 4);
}

#[tokio::test]
async fn mfp_measurements_and_exercise_convert_to_metric() {
    let (db, owner) = set_up().await;
    let files = [
        fixture("mfp/Measurement-Summary.csv"),
        fixture("mfp/Exercise-Summary.csv"),
    ];
    let p = preview(&import(&db, &["mfp", "--units", "imperial"], &files));
    assert_eq!(p["created"]["measurements"], 5, "{p}");
    assert_eq!(p["created"]["workouts"], 2, "{p}");
    assert_eq!(p["skipped"]["workouts"], 1, "{p}");
    // 180 lb and 34 in, stored in kg and cm.
    assert_eq!(
        decimal(
            &owner,
            "SELECT value FROM measurements WHERE type = 'weight' AND entry_date = '2025-01-15'"
        )
        .await,
        "81.646627".parse::<Decimal>().unwrap()
    );
    assert_eq!(
        decimal(
            &owner,
            "SELECT value FROM measurements WHERE type = 'waist' AND entry_date = '2025-01-15'"
        )
        .await,
        "86.36".parse::<Decimal>().unwrap()
    );
    assert_eq!(
        decimal(
            &owner,
            "SELECT calories_burned FROM exercise_diary WHERE entry_date = '2025-01-15'"
        )
        .await,
        Decimal::from(320)
    );
    let p = preview(&import(&db, &["mfp", "--units", "imperial"], &files));
    assert_eq!(p["created"]["measurements"], 0, "{p}");
    assert_eq!(p["created"]["workouts"], 0, "{p}");
}

#[tokio::test]
async fn cronometer_export_in_one_transaction() {
    let (db, owner) = set_up().await;
    let files = [
        fixture("cronometer/servings.csv"),
        fixture("cronometer/biometrics.csv"),
        fixture("cronometer/exercises.csv"),
    ];
    let p = preview(&import(&db, &["cronometer", "--dry-run"], &files));
    assert_eq!(
        (
            &p["created"]["diary"],
            &p["created"]["measurements"],
            &p["created"]["workouts"]
        ),
        (&3.into(), &3.into(), &2.into()),
        "{p}"
    );
    assert_eq!(written(&owner).await, [0; 5]);

    preview(&import(&db, &["cronometer"], &files));
    assert_eq!(
        decimal(&owner, "SELECT sum(calories) FROM food_diary").await,
        "508.2".parse::<Decimal>().unwrap()
    );
    assert_eq!(
        decimal(
            &owner,
            "SELECT protein FROM food_diary WHERE food_name LIKE 'Chicken%'"
        )
        .await,
        "46.5".parse::<Decimal>().unwrap()
    );
    // 181.4 lbs → kg.
    assert_eq!(
        decimal(
            &owner,
            "SELECT value FROM measurements WHERE type = 'weight'"
        )
        .await,
        "82.281656".parse::<Decimal>().unwrap()
    );
    assert_eq!(
        decimal(
            &owner,
            "SELECT value FROM measurements WHERE type = 'body_fat'"
        )
        .await,
        "22.5".parse::<Decimal>().unwrap()
    );
    assert_eq!(
        decimal(&owner, "SELECT sum(calories_burned) FROM exercise_diary").await,
        Decimal::from(500)
    );
    let before = written(&owner).await;
    let p = preview(&import(&db, &["cronometer"], &files));
    assert_eq!(
        p["created"],
        serde_json::json!({"foods": 0, "diary": 0, "measurements": 0, "workouts": 0, "goals": 0})
    );
    assert_eq!(written(&owner).await, before);
}

#[tokio::test]
async fn apple_health_export() {
    let (db, owner) = set_up().await;
    let file = fixture("apple-health/export.xml");
    let p = preview(&import(
        &db,
        &["apple-health", "--dry-run"],
        std::slice::from_ref(&file),
    ));
    assert_eq!(p["created"]["measurements"], 5, "{p}");
    assert_eq!(p["created"]["workouts"], 2, "{p}");
    assert_eq!(written(&owner).await, [0; 5]);

    preview(&import(&db, &["apple-health"], std::slice::from_ref(&file)));
    let value = |t: &'static str| {
        let owner = &owner;
        async move {
            decimal(
                owner,
                &format!("SELECT value FROM measurements WHERE type = '{t}'"),
            )
            .await
        }
    };
    assert_eq!(
        value("weight").await,
        "81.828064".parse::<Decimal>().unwrap()
    );
    assert_eq!(value("body_fat").await, Decimal::from(22));
    assert_eq!(value("height").await, Decimal::from(178));
    assert_eq!(value("steps").await, Decimal::from(8000));
    assert_eq!(value("water").await, Decimal::from(750));
    assert_eq!(
        decimal(
            &owner,
            "SELECT distance_km FROM exercise_diary WHERE duration_minutes = 32"
        )
        .await,
        "5.2".parse::<Decimal>().unwrap()
    );
    let p = preview(&import(&db, &["apple-health"], &[file]));
    assert_eq!(p["created"]["measurements"], 0, "{p}");
    assert_eq!(p["created"]["workouts"], 0, "{p}");
}

#[tokio::test]
async fn generic_csv_with_a_mapping_and_european_numbers() {
    let (db, owner) = set_up().await;
    let dir = tempfile::tempdir().unwrap();
    let diary = dir.path().join("tagebuch.csv");
    std::fs::write(
        &diary,
        "Datum;Mahlzeit;Name;Kalorien;Eiweiß\n31/12/2025;Lunch;Brot;1.234,5;12,5\n01/12/2025;Dinner;Suppe;250;8\n",
    )
    .unwrap();
    let args = [
        "csv",
        "--target",
        "diary",
        "--map",
        "Kalorien=calories",
        "--map",
        "Eiweiß=protein",
    ];
    let p = preview(&import(&db, &args, std::slice::from_ref(&diary)));
    assert_eq!(p["created"]["diary"], 2, "{p}");
    assert_eq!(
        decimal(
            &owner,
            "SELECT calories FROM food_diary WHERE entry_date = '2025-12-31'"
        )
        .await,
        "1234.5".parse::<Decimal>().unwrap()
    );
    assert_eq!(
        count(&owner, "SELECT count(*) FROM food_diary WHERE entry_date = '2025-12-01' AND meal_type = 'dinner'").await,
        1
    );
    let p = preview(&import(&db, &args, std::slice::from_ref(&diary)));
    assert_eq!(p["created"]["diary"], 0, "{p}");
    assert_eq!(p["columns"][3]["field"], "calories", "{p}");
    // The text output says how the columns were read.
    let out = sparky(&db.url())
        .args(["import-from"])
        .args(args)
        .args(["--user", "ann@example.com", "--dry-run"])
        .arg(&diary)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("columns: Datum → date, Mahlzeit → meal, Name → name, Kalorien → calories, Eiweiß → protein"),
        "{said}"
    );

    let foods = dir.path().join("foods.csv");
    std::fs::write(
        &foods,
        "name,brand,serving_size,serving_unit,calories,protein,carbs,fat\nGranola,Acme,40,g,180,4,28,6\n",
    )
    .unwrap();
    let p = preview(&import(&db, &["csv", "--target", "foods"], &[foods]));
    assert_eq!(p["created"]["foods"], 1, "{p}");
    assert_eq!(
        decimal(
            &owner,
            "SELECT n.calories FROM nutrition_data n JOIN food_items f ON f.id = n.food_item_id WHERE f.name = 'Granola'"
        )
        .await,
        Decimal::from(180)
    );
}

#[tokio::test]
async fn a_bad_file_is_refused_and_nothing_is_written() {
    let (db, owner) = set_up().await;
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.csv");
    std::fs::write(
        &bad,
        "Date,Meal,Calories\n2025-01-15,Lunch,500\n2025-01-16,Dinner\n",
    )
    .unwrap();
    let out = import(
        &db,
        &["mfp"],
        &[fixture("mfp/Nutrition-Summary.csv"), bad.clone()],
    );
    assert!(!out.status.success(), "{}", text(&out));
    let msg = text(&out);
    assert!(
        msg.contains("broken.csv") && msg.contains("line 3"),
        "{msg}"
    );
    assert!(msg.contains("nothing was imported"), "{msg}");
    assert_eq!(written(&owner).await, [0; 5]);

    let xml = dir.path().join("export.xml");
    std::fs::write(&xml, "<HealthData><Record type=\"x\"").unwrap();
    let out = import(&db, &["apple-health"], &[xml]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("export.xml"), "{}", text(&out));

    let out = import(&db, &["csv"], &[bad]);
    assert!(!out.status.success());
    assert!(text(&out).contains("--target"), "{}", text(&out));

    let out = sparky(&db.url())
        .args(["import-from", "mfp", "--user", "nobody@example.com"])
        .arg(fixture("mfp/Nutrition-Summary.csv"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("nobody@example.com"), "{}", text(&out));
    assert_eq!(written(&owner).await, [0; 5]);
}

#[tokio::test]
async fn sparkyfitness_database_import() {
    let (db, owner) = set_up().await;
    let source = TestDb::empty().await;
    source
        .owner_client()
        .await
        .batch_execute(include_str!("data/sparkyfitness.sql"))
        .await
        .unwrap();
    let run = |dry: bool| {
        let mut cmd = sparky(&db.url());
        cmd.args([
            "import-from",
            "sparkyfitness",
            "--json",
            "--source-database-url",
        ])
        .arg(source.url());
        if dry {
            cmd.arg("--dry-run");
        }
        cmd.output().unwrap()
    };
    let users = || count(&owner, "SELECT count(*) FROM users");

    let out = run(true);
    let p = preview(&out);
    assert_eq!(p["created"]["diary"], 2, "{p}");
    assert_eq!(written(&owner).await, [0; 5], "a dry run writes nothing");
    assert_eq!(users().await, 1, "a dry run creates no account");

    let p = preview(&run(false));
    assert_eq!(p["created"]["diary"], 3, "{p}");
    assert_eq!(p["created"]["foods"], 1, "{p}");
    assert_eq!(p["created"]["workouts"], 1, "{p}");
    // weight, waist, steps, body fat and the custom blood glucose.
    assert_eq!(p["created"]["measurements"], 5, "{p}");
    assert_eq!(p["created"]["goals"], 4, "{p}");
    assert_eq!(users().await, 2, "cat@example.com was created");

    let ann = "(SELECT id FROM users WHERE email = 'ann@example.com')";
    assert_eq!(
        decimal(
            &owner,
            &format!("SELECT calories FROM diary_day_totals WHERE user_id = {ann} AND entry_date = '2025-02-01'")
        )
        .await,
        Decimal::from(500)
    );
    assert_eq!(
        count(
            &owner,
            &format!("SELECT count(*) FROM food_diary WHERE user_id = {ann} AND meal_type = 'snack' AND food_name LIKE 'Tomato soup (as logged)%'")
        )
        .await,
        1
    );
    assert_eq!(
        decimal(
            &owner,
            &format!("SELECT value FROM measurements WHERE user_id = {ann} AND type = 'weight'")
        )
        .await,
        "80.5".parse::<Decimal>().unwrap()
    );
    assert_eq!(
        decimal(
            &owner,
            &format!(
                "SELECT value FROM measurements WHERE user_id = {ann} AND type = 'blood_glucose'"
            )
        )
        .await,
        "5.4".parse::<Decimal>().unwrap()
    );
    assert_eq!(
        decimal(
            &owner,
            &format!(
                "SELECT target_value FROM goals WHERE user_id = {ann} AND type = 'calorie_target'"
            )
        )
        .await,
        Decimal::from(2100)
    );
    assert_eq!(
        count(
            &owner,
            "SELECT count(*) FROM food_diary d JOIN users u ON u.id = d.user_id WHERE u.email = 'cat@example.com'"
        )
        .await,
        1
    );

    let before = written(&owner).await;
    let p = preview(&run(false));
    assert_eq!(
        p["created"],
        serde_json::json!({"foods": 0, "diary": 0, "measurements": 0, "workouts": 0, "goals": 0}),
        "{p}"
    );
    assert_eq!(written(&owner).await, before);
    assert_eq!(users().await, 2);

    // An unreachable source is a clear error.
    let out = sparky(&db.url())
        .args([
            "import-from",
            "sparkyfitness",
            "--source-database-url",
            "not a url",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("source-database-url"), "{}", text(&out));
}

#[tokio::test]
async fn generic_csv_measurements_and_workouts() {
    let (db, owner) = set_up().await;
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.csv");
    std::fs::write(
        &body,
        "Date,Weight (lb),Waist (in),Mood\n2025-03-01,200,40,good\n2025-03-02,198.5,,ok\n",
    )
    .unwrap();
    let p = preview(&import(
        &db,
        &["csv", "--target", "measurements"],
        std::slice::from_ref(&body),
    ));
    assert_eq!(p["created"]["measurements"], 3, "{p}");
    assert_eq!(
        decimal(
            &owner,
            "SELECT value FROM measurements WHERE type = 'weight' AND entry_date = '2025-03-01'"
        )
        .await,
        "90.718474".parse::<Decimal>().unwrap()
    );
    assert_eq!(
        decimal(
            &owner,
            "SELECT value FROM measurements WHERE type = 'waist'"
        )
        .await,
        "101.6".parse::<Decimal>().unwrap()
    );

    let long = dir.path().join("long.csv");
    std::fs::write(
        &long,
        "date,type,value,unit\n2025-03-01,Blood Pressure,120,mmHg\n2025-03-01,Body Fat,25,%\n",
    )
    .unwrap();
    let p = preview(&import(&db, &["csv", "--target", "measurements"], &[long]));
    assert_eq!(p["created"]["measurements"], 1, "{p}");
    assert_eq!(p["skipped"]["measurements"], 1, "{p}");
    assert!(
        p["skip_reasons"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("blood_pressure"),
        "{p}"
    );

    let runs = dir.path().join("runs.csv");
    std::fs::write(
        &runs,
        "Date,Time,Activity,Duration,Distance (mi),Calories\n03/02/2025,07:30,Running,30,3.1,350\n",
    )
    .unwrap();
    let p = preview(&import(
        &db,
        &["csv", "--target", "workouts", "--dates", "mdy"],
        &[runs],
    ));
    assert_eq!(p["created"]["workouts"], 1, "{p}");
    assert_eq!(
        decimal(
            &owner,
            "SELECT distance_km FROM exercise_diary WHERE entry_date = '2025-03-02'"
        )
        .await,
        "4.988966".parse::<Decimal>().unwrap()
    );
}

#[tokio::test]
async fn the_preview_reads_as_text() {
    let (db, owner) = set_up().await;
    let out = sparky(&db.url())
        .args(["import-from", "mfp", "--dry-run"])
        .arg(fixture("mfp/Nutrition-Summary.csv"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("dry run, nothing written"), "{s}");
    assert!(s.contains("would create 0 foods, 4 diary entries"), "{s}");
    assert!(s.contains("skipped 1 rows"), "{s}");
    assert!(
        s.contains("diary: nothing eaten (all zero) (first at line 5)"),
        "{s}"
    );
    assert_eq!(written(&owner).await, [0; 5]);
}

/// MacroFactor's quick and granular export workbooks in one command: food log rows, day
/// totals for days without them, weights, body fat, steps and workouts; a second run creates nothing and
/// a file that is not a workbook fails the command naming it.
#[tokio::test]
async fn macrofactor_workbooks() {
    let (db, owner) = set_up().await;
    let files = [
        fixture("macrofactor/granular.xlsx"),
        fixture("macrofactor/quick-export.xlsx"),
    ];
    let p = preview(&import(&db, &["macrofactor", "--dry-run"], &files));
    assert_eq!(
        (
            &p["created"]["diary"],
            &p["created"]["measurements"],
            &p["created"]["workouts"]
        ),
        (&7.into(), &6.into(), &3.into()),
        "{p}"
    );
    assert_eq!(p["created"]["foods"], 2, "{p}");
    assert_eq!(written(&owner).await, [0; 5]);

    preview(&import(&db, &["macrofactor"], &files));
    // 863 kcal of foods on 2026-11-01, day totals of 2,100, 2,050 and 1,980, yogurt 190.
    assert_eq!(
        decimal(&owner, "SELECT sum(calories) FROM food_diary").await,
        Decimal::from(863 + 2100 + 2050 + 1980 + 190)
    );
    assert_eq!(
        count(
            &owner,
            "SELECT count(*) FROM food_diary WHERE food_name = 'MacroFactor day total'"
        )
        .await,
        3
    );
    assert_eq!(
        decimal(
            &owner,
            "SELECT sum(value) FROM measurements WHERE type = 'steps'"
        )
        .await,
        Decimal::from(9120 + 11034)
    );
    let before = written(&owner).await;
    let p = preview(&import(&db, &["macrofactor"], &files));
    assert_eq!(p["created"]["diary"], 0, "{p}");
    assert_eq!(p["created"]["measurements"], 0, "{p}");
    assert_eq!(written(&owner).await, before);

    let dir = tempfile::tempdir().unwrap();
    let xls = dir.path().join("MacroFactor.xls");
    std::fs::write(&xls, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00").unwrap();
    let out = import(
        &db,
        &["macrofactor"],
        &[fixture("macrofactor/granular.xlsx"), xls],
    );
    assert!(!out.status.success(), "{}", text(&out));
    let msg = text(&out);
    assert!(
        msg.contains("MacroFactor.xls") && msg.contains("neither a zip archive"),
        "{msg}"
    );
    assert_eq!(written(&owner).await, before);
}
